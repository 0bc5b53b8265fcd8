//! Sign in with Apple passes the OpenID Connect conformance checks, with ID tokens minted at
//! run time in the shape Apple's carry, a discovery document in the shape of Apple's, and a
//! client secret generated from a test key.

use social_core::serde_json::json;
use social_testkit::oidc::{OidcFixture, TestKey};

/// The Team ID and Key ID of the tests' made-up developer account.
const TEAM_ID: &str = "A1B2C3D4E5";
const KEY_ID: &str = "K9L8M7N6P5";
/// Apple's user ids are stable per team: `<digits>.<hex>.<digits>`.
const SUB: &str = "001473.9c2b5e8f0a1d4c6b8e3f7a2d9b1c5e40.1842";

fn fixture_with(client_key: &TestKey) -> OidcFixture {
    OidcFixture::new(
        social_apple_id::NAME,
        "",
        social_testkit::fixture!("openid-configuration.json"),
        social_testkit::fixture!("token.json"),
        SUB,
        // Apple sends the booleans as text, and no names: those come in the `user` field.
        json!({
            "email": "k7qz2m9x4b@privaterelay.appleid.com",
            "email_verified": "true",
            "is_private_email": "true",
            "real_user_status": 2,
            "nonce_supported": true,
            "auth_time": 1_700_000_000,
        }),
    )
    .option("team_id", TEAM_ID)
    .option("private_key", client_key.private_pem())
    .option("private_key_id", KEY_ID)
}

fn fixture() -> OidcFixture {
    fixture_with(&TestKey::ec())
}

social_testkit::oidc_conformance!(
    backend = std::sync::Arc::new(social_apple_id::backend()),
    fixture = fixture()
);

mod quirks;
