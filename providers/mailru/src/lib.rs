#![doc = include_str!("../README.md")]

use social_core::{EmailVerified, Mapping, TokenIn};
use social_oauth2::{OAuth2Backend, OAuth2Spec, ProfileCall};

/// The backend name.
pub const NAME: &str = "mailru";

/// Mailru's endpoints, flags and mapping: a plain OAuth 2.0 provider is nothing more.
/// URLs are templates on the base URL (`BASE_URL` setting) and the API root (`API_URL`).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    // TODO(provider author): every value here is a made-up placeholder. Take the endpoints,
    // the default scope and PKCE support from the provider's OAuth 2.0 documentation, and set
    // what differs from `OAuth2Spec::DEFAULT` (client_auth, refresh, revoke_url, ...).
    base_url: Some("https://mailru.example"),
    api_url: Some("{base_url}/api"),
    authorization_url: "{base_url}/oauth/authorize",
    token_url: "{base_url}/oauth/token",
    default_scope: &["profile", "email"],
    // TODO(provider author): the user endpoint from the provider's API reference.
    profile: Some(ProfileCall::get("{api_url}/user", TokenIn::Bearer)),
    mapping: Mapping {
        // TODO(provider author): JSON pointers into the user endpoint's answer. The uid must
        // be stable and never reused (an id, not a login users can rename).
        uid: "/id",
        username: Some("/username"),
        email: Some("/email"),
        // TODO(provider author): `Always` or `At("/...")` only where the provider documents
        // that it verifies the addresses it gives.
        email_verified: EmailVerified::No,
        fullname: Some("/name"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The Mailru backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
