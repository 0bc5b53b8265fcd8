#![doc = include_str!("../README.md")]

use social_core::{EmailVerified, Mapping, TokenIn};
use social_oauth2::{OAuth2Backend, OAuth2Spec, Pkce, ProfileCall};

/// The backend name.
pub const NAME: &str = "patreon";

/// Patreon's endpoints, flags and mapping: a provider that is only data. API v2 returns only
/// the user fields a request names, so the identity call names them (`fields[user]`); the
/// answer is a JSON:API document, the user under `/data`.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Patreon",
    api_url: Some("https://www.patreon.com/api/oauth2/v2"),
    authorization_url: "https://www.patreon.com/oauth2/authorize",
    token_url: "https://www.patreon.com/api/oauth2/token",
    default_scope: &["identity", "identity[email]"],
    pkce: Pkce::None,
    refresh: true,
    profile: Some(ProfileCall::get(
        "{api_url}/identity?fields%5Buser%5D=email,first_name,full_name,image_url,\
         is_email_verified,last_name,url",
        TokenIn::Bearer,
    )),
    mapping: Mapping {
        uid: "/data/id",
        email: Some("/data/attributes/email"),
        email_verified: EmailVerified::At("/data/attributes/is_email_verified"),
        fullname: Some("/data/attributes/full_name"),
        first_name: Some("/data/attributes/first_name"),
        last_name: Some("/data/attributes/last_name"),
        picture: Some("/data/attributes/image_url"),
        profile_url: Some("/data/attributes/url"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The Patreon backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
