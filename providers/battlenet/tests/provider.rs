//! Battlenet passes the OpenID Connect conformance checks, with ID tokens minted at run time
//! and fixtures for discovery, token and userinfo answers.
// TODO(provider author): the fixtures are made up; record the provider's real discovery
// document, token and userinfo answers, scrubbed, and put the claims its ID tokens carry
// below.

use social_core::serde_json::json;
use social_testkit::oidc::OidcFixture;

fn fixture() -> OidcFixture {
    OidcFixture::new(
        social_battlenet::NAME,
        // The issuer's path on the fake server: discovery is served under it.
        "",
        social_testkit::fixture!("openid-configuration.json"),
        social_testkit::fixture!("token.json"),
        "248289761001",
        // What the provider puts in its ID tokens besides the registered claims.
        json!({
            "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace",
            "email": "ada@example.com", "email_verified": true,
        }),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
}

social_testkit::oidc_conformance!(
    backend = std::sync::Arc::new(social_battlenet::backend()),
    fixture = fixture()
);
