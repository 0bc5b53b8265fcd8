#![doc = include_str!("../README.md")]

use social_core::{Mapping, TokenIn};
use social_oauth2::{ClientAuth, OAuth2Backend, OAuth2Spec, ProfileCall};

/// The backend name.
pub const NAME: &str = "zoom";

/// Zoom's endpoints, flags and mapping: a provider that is only data. Authorization and tokens
/// live on zoom.us, the user (`GET /users/me`) on the API (`API_URL`).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Zoom",
    api_url: Some("https://api.zoom.us/v2"),
    authorization_url: "https://zoom.us/oauth/authorize",
    token_url: "https://zoom.us/oauth/token",
    revoke_url: Some("https://zoom.us/oauth/revoke"),
    // No `scope` argument: Zoom grants the scopes configured on the app in its Marketplace.
    default_scope: &[],
    client_auth: ClientAuth::Basic,
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/users/me", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/id",
        email: Some("/email"),
        fullname: Some("/display_name"),
        first_name: Some("/first_name"),
        last_name: Some("/last_name"),
        picture: Some("/pic_url"),
        locale: Some("/language"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The Zoom backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
