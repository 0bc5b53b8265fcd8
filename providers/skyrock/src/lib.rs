#![doc = include_str!("../README.md")]

use social_core::{EmailVerified, Mapping};
use social_oauth1::{OAuth1Backend, OAuth1Spec};

/// The backend name.
pub const NAME: &str = "skyrock";

/// Skyrock's endpoints, flags and mapping: a plain OAuth 1.0a provider is nothing more.
pub const SPEC: OAuth1Spec = OAuth1Spec {
    name: NAME,
    // TODO(provider author): every URL here is a made-up placeholder. Take the endpoints
    // from the provider's OAuth 1.0a documentation, and set what differs from
    // `OAuth1Spec::DEFAULT` (GET token calls, parameters in the query, ...).
    request_token_url: "https://skyrock.example/oauth/request_token",
    authorization_url: "https://skyrock.example/oauth/authorize",
    access_token_url: "https://skyrock.example/oauth/access_token",
    // TODO(provider author): the user endpoint from the provider's API reference (`None`
    // when the access-token answer names the user: then implement `OAuth1Provider`).
    profile_url: Some("https://skyrock.example/api/user"),
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
    ..OAuth1Spec::DEFAULT
};

/// The Skyrock backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth1Backend<OAuth1Spec> {
    OAuth1Backend::new(SPEC)
}
