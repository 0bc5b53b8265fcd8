#![doc = include_str!("../README.md")]

use social_core::{EmailVerified, Mapping, TokenIn};
use social_oauth2::{OAuth2Backend, OAuth2Spec, ProfileCall};

/// The backend name.
pub const NAME: &str = "discord";

/// Discord's endpoints, flags and mapping: a provider that is only data. The profile call
/// lives under the versioned API root (`API_URL`), the OAuth 2.0 endpoints do not.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Discord",
    api_url: Some("https://discord.com/api/v10"),
    authorization_url: "https://discord.com/oauth2/authorize",
    token_url: "https://discord.com/api/oauth2/token",
    revoke_url: Some("https://discord.com/api/oauth2/token/revoke"),
    default_scope: &["identify", "email"],
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/users/@me", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/id",
        username: Some("/username"),
        email: Some("/email"),
        email_verified: EmailVerified::At("/verified"),
        fullname: Some("/global_name"),
        locale: Some("/locale"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The Discord backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
