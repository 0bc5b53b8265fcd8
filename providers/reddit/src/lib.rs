#![doc = include_str!("../README.md")]

use social_core::{Mapping, TokenIn};
use social_oauth2::{ClientAuth, OAuth2Backend, OAuth2Spec, Pkce, ProfileCall};

/// The backend name.
pub const NAME: &str = "reddit";

/// Reddit's endpoints, flags and mapping: a provider that is only data. Authorization and
/// tokens live on www.reddit.com, the API on oauth.reddit.com (`API_URL`).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Reddit",
    api_url: Some("https://oauth.reddit.com"),
    authorization_url: "https://www.reddit.com/api/v1/authorize",
    token_url: "https://www.reddit.com/api/v1/access_token",
    revoke_url: Some("https://www.reddit.com/api/v1/revoke_token"),
    default_scope: &["identity"],
    // Without it Reddit issues a one-hour token and no refresh token.
    auth_params: &[("duration", "permanent")],
    pkce: Pkce::None,
    client_auth: ClientAuth::Basic,
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/api/v1/me", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/id",
        username: Some("/name"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The Reddit backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
