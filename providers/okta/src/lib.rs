#![doc = include_str!("../README.md")]

use social_oauth2::oidc::{OidcBackend, OidcSpec};

/// The backend name.
pub const NAME: &str = "okta";

/// Okta as an OpenID Connect provider: the org authorization server of the Okta domain
/// `SOCIAL_AUTH_OKTA_DOMAIN` (issuer `https://<domain>`), whose endpoints and keys are
/// discovered from `https://<domain>/.well-known/openid-configuration`. A custom authorization
/// server is chosen by its issuer in `SOCIAL_AUTH_OKTA_OIDC_ENDPOINT`.
pub const SPEC: OidcSpec = OidcSpec {
    name: NAME,
    display_name: "Okta",
    issuer: Some("https://{domain}"),
    // `/oauth2/v1/revoke` takes access and refresh tokens (RFC 7009), with the client's
    // credentials as at the token endpoint.
    revoke: true,
    ..OidcSpec::DEFAULT
};

/// The Okta backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<OidcSpec> {
    OidcBackend::new(SPEC)
}
