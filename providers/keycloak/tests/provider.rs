//! Keycloak passes the OpenID Connect conformance checks, with ID tokens minted at run time and
//! discovery, token and userinfo answers in Keycloak's shape, for a realm `corp`.
//!
//! The suite points `OIDC_ENDPOINT` at the fake server's realm, so the issuer template of
//! `BASE_URL` and `REALM` is exercised end to end in `quirks`.

use social_core::serde_json::json;
use social_testkit::{oidc::OidcFixture, provider::CLIENT_ID};

fn fixture() -> OidcFixture {
    OidcFixture::new(
        social_keycloak::NAME,
        "/realms/corp",
        social_testkit::fixture!("openid-configuration.json"),
        social_testkit::fixture!("token.json"),
        "4f6e2a1c-9b7d-4e3f-8a25-c61d0b9e7f42",
        // What Keycloak puts in its ID tokens besides the registered claims.
        json!({
            "typ": "ID", "azp": CLIENT_ID, "auth_time": 1718031100,
            "jti": "7b1d5e93-2c4f-4a86-b0e7-93f1d2a6c548", "acr": "1",
            "session_state": "0d6a41f2-8c3e-4b57-9e1a-5f2c7b8d9a03",
            "sid": "0d6a41f2-8c3e-4b57-9e1a-5f2c7b8d9a03",
            "email_verified": true, "name": "Ada Lovelace", "preferred_username": "ada",
            "given_name": "Ada", "family_name": "Lovelace", "email": "ada.lovelace@example.com",
        }),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
}

social_testkit::oidc_conformance!(
    backend = std::sync::Arc::new(social_keycloak::backend()),
    fixture = fixture()
);

mod quirks;
