//! Google passes the OpenID Connect conformance checks: ID tokens minted at run time, and
//! Google's recorded discovery document, token answer and userinfo answer.

use std::sync::Arc;

use social_core::serde_json::json;
use social_testkit::{oidc::OidcFixture, provider::CLIENT_ID};

/// Google's discovery document with each of its hosts moved under the fake server
/// (`https://accounts.google.com/...` becomes `{server}/accounts.google.com/...`).
fn discovery() -> String {
    social_testkit::fixture!("openid-configuration.json").replace("https://", "{server}/")
}

fn fixture() -> OidcFixture {
    OidcFixture::new(
        social_google::NAME,
        "/accounts.google.com",
        &discovery(),
        social_testkit::fixture!("token.json"),
        "110169484474386276334",
        // What Google puts in its ID tokens besides the registered claims.
        json!({
            "azp": CLIENT_ID, "hd": "example.com",
            "email": "ada.lovelace@example.com", "email_verified": true,
            "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace",
            "picture": "https://lh3.googleusercontent.com/a/ACg8ocL-scrubbed-picture-id=s96-c",
        }),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
    // Google answers a refresh token only to offline requests, as the token fixture has one.
    .option("access_type", "offline")
}

social_testkit::oidc_conformance!(
    backend = Arc::new(social_google::backend().with_cache(Arc::default())),
    fixture = fixture(),
);

mod quirks;
