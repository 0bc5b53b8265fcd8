#![doc = include_str!("../README.md")]

use social_core::{Mapping, TokenIn};
use social_oauth2::{OAuth2Backend, OAuth2Spec, ProfileCall};

/// The backend name.
pub const NAME: &str = "gitlab";

/// GitLab's endpoints, flags and mapping: a provider that is only data. Every URL is built
/// on the base URL, gitlab.com unless `BASE_URL` names a self-managed instance.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "GitLab",
    base_url: Some("https://gitlab.com"),
    api_url: Some("{base_url}/api/v4"),
    authorization_url: "{base_url}/oauth/authorize",
    token_url: "{base_url}/oauth/token",
    revoke_url: Some("{base_url}/oauth/revoke"),
    default_scope: &["read_user"],
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/user", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/id",
        username: Some("/username"),
        email: Some("/email"),
        fullname: Some("/name"),
        picture: Some("/avatar_url"),
        profile_url: Some("/web_url"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The GitLab backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
