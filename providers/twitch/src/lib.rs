#![doc = include_str!("../README.md")]

use social_oauth2::oidc::{OidcBackend, OidcSpec};

/// The backend name.
pub const NAME: &str = "twitch";

/// Twitch's issuer and flags; its endpoints and keys are discovered from
/// `<issuer>/.well-known/openid-configuration`.
pub const SPEC: OidcSpec = OidcSpec {
    name: NAME,
    // TODO(provider author): a made-up placeholder. Take the issuer from the provider's
    // OpenID Connect documentation, and set what differs from `OidcSpec::DEFAULT` (PKCE,
    // client_auth, echoes_nonce, refresh, revoke, a mapping for non-standard claims).
    issuer: Some("https://twitch.example"),
    ..OidcSpec::DEFAULT
};

/// The Twitch backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<OidcSpec> {
    OidcBackend::new(SPEC)
}
