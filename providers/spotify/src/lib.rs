#![doc = include_str!("../README.md")]

use social_core::{EmailVerified, Mapping, TokenIn};
use social_oauth2::{ClientAuth, OAuth2Backend, OAuth2Spec, ProfileCall};

/// The backend name.
pub const NAME: &str = "spotify";

/// Spotify's endpoints, flags and mapping: a provider that is only data. The token endpoint
/// takes the client credentials as HTTP Basic; the profile call lives under the Web API root
/// (`API_URL`).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Spotify",
    api_url: Some("https://api.spotify.com/v1"),
    authorization_url: "https://accounts.spotify.com/authorize",
    token_url: "https://accounts.spotify.com/api/token",
    default_scope: &["user-read-email"],
    client_auth: ClientAuth::Basic,
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/me", TokenIn::Bearer)),
    mapping: Mapping {
        // Spotify's immutable account id; `id`, the user name, may change.
        uid: "/account_id",
        username: Some("/id"),
        email: Some("/email"),
        email_verified: EmailVerified::No,
        fullname: Some("/display_name"),
        picture: Some("/images/0/url"),
        profile_url: Some("/external_urls/spotify"),
        extra_data: &["id"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The Spotify backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
