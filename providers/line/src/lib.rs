#![doc = include_str!("../README.md")]

use social_core::{Mapping, TokenIn};
use social_oauth2::{OAuth2Backend, OAuth2Spec, ProfileCall};

/// The backend name.
pub const NAME: &str = "line";

/// LINE Login v2.1's endpoints, flags and mapping: a plain OAuth 2.0 provider whose user comes
/// from the profile call. `API_URL` moves the API root.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "LINE",
    api_url: Some("https://api.line.me"),
    authorization_url: "https://access.line.me/oauth2/v2.1/authorize",
    token_url: "https://api.line.me/oauth2/v2.1/token",
    default_scope: &["profile"],
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/v2/profile", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/userId",
        username: Some("/displayName"),
        fullname: Some("/displayName"),
        picture: Some("/pictureUrl"),
        extra_data: &["statusMessage"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The LINE backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
