//! Okta passes the OpenID Connect conformance checks against its org authorization server and
//! against a custom one, with ID tokens minted at run time and discovery, token and userinfo
//! answers in Okta's shape.
//!
//! The suite points `OIDC_ENDPOINT` at the fake server, so the issuer template of `DOMAIN` is
//! exercised end to end in `quirks`.

use social_core::serde_json::{Value, json};
use social_testkit::oidc::OidcFixture;

/// The user id of the fixtures.
const SUB: &str = "00u8f2kq3xVbR7mT95d7";

/// What Okta puts in an ID token issued with an access token: the base claims only (given and
/// family names, `email_verified` and the rest come from userinfo).
fn id_token_claims() -> Value {
    json!({
        "ver": 1, "jti": "ID.5kT0aWq8xRmN2pLc7VbY3dEoZs9uHf1gJi4KnMtA6rQ",
        "amr": ["pwd"], "idp": "00o3x9fLq2RvB8kW75d7", "auth_time": 1718031100,
        "name": "Ada Lovelace", "email": "ada.lovelace@example.com",
        "preferred_username": "ada.lovelace@example.com",
    })
}

/// The org authorization server: issuer `https://<domain>`, endpoints under `/oauth2/v1/`.
fn org_server() -> OidcFixture {
    OidcFixture::new(
        social_okta::NAME,
        "",
        social_testkit::fixture!("openid-configuration.json"),
        social_testkit::fixture!("token.json"),
        SUB,
        id_token_claims(),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
}

/// The custom authorization server `default`: issuer `https://<domain>/oauth2/default`, the
/// same document with its endpoints under `/oauth2/default/v1/`.
fn custom_server() -> OidcFixture {
    let discovery = social_testkit::fixture!("openid-configuration.json")
        .replace("{server}/oauth2/v1/", "{server}/oauth2/default/v1/");
    OidcFixture::new(
        social_okta::NAME,
        "/oauth2/default",
        &discovery,
        social_testkit::fixture!("token.json"),
        SUB,
        id_token_claims(),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
}

social_testkit::oidc_conformance!(
    org_authorization_server: backend = std::sync::Arc::new(social_okta::backend()),
    fixture = org_server()
);

social_testkit::oidc_conformance!(
    custom_authorization_server: backend = std::sync::Arc::new(social_okta::backend()),
    fixture = custom_server()
);

mod quirks;
