#![doc = include_str!("../README.md")]

use social_core::{Mapping, TokenIn};
use social_oauth2::{ClientAuth, OAuth2Backend, OAuth2Spec, ProfileCall};

/// The backend name.
pub const NAME: &str = "figma";

/// Figma's endpoints, flags and mapping: a plain OAuth 2.0 provider whose token endpoint takes
/// the client credentials as HTTP Basic only. `API_URL` moves the REST API root.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Figma",
    api_url: Some("https://api.figma.com/v1"),
    authorization_url: "https://www.figma.com/oauth",
    token_url: "https://api.figma.com/v1/oauth/token",
    refresh_url: Some("https://api.figma.com/v1/oauth/refresh"),
    refresh: true,
    default_scope: &["current_user:read"],
    scope_separator: ",",
    client_auth: ClientAuth::Basic,
    profile: Some(ProfileCall::get("{api_url}/me", TokenIn::Bearer)),
    mapping: Mapping {
        username: Some("/handle"),
        email: Some("/email"),
        fullname: Some("/handle"),
        picture: Some("/img_url"),
        extra_data: &["handle"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The Figma backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
