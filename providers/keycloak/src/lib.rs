#![doc = include_str!("../README.md")]

use social_oauth2::oidc::{OidcBackend, OidcSpec};

/// The backend name.
pub const NAME: &str = "keycloak";

/// Keycloak as an OpenID Connect provider: the realm `SOCIAL_AUTH_KEYCLOAK_REALM` of the server
/// at `SOCIAL_AUTH_KEYCLOAK_BASE_URL` (issuer `<base_url>/realms/<realm>`), whose endpoints and
/// keys are discovered from `<issuer>/.well-known/openid-configuration`.
pub const SPEC: OidcSpec = OidcSpec {
    name: NAME,
    display_name: "Keycloak",
    issuer: Some("{base_url}/realms/{realm}"),
    // `<issuer>/protocol/openid-connect/revoke` (RFC 7009).
    revoke: true,
    ..OidcSpec::DEFAULT
};

/// The Keycloak backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<OidcSpec> {
    OidcBackend::new(SPEC)
}
