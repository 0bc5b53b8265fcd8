//! Google passes the provider conformance suite from recorded fixtures.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(
        "google",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"),
    )
    .endpoint("authorization_url", "/o/oauth2/v2/auth")
    .endpoint("api_url", "/v1/userinfo")
    .token("POST", "/token", include_str!("fixtures/token.json"))
    .api(
        "GET",
        "/v1/userinfo",
        include_str!("fixtures/userinfo.json"),
    )
    .revoke("POST", "/revoke", 200)
    // Google answers a refresh token only to offline requests, as the token fixture has one.
    .option("access_type", "offline")
}

social_testkit::conformance!(
    backend = Arc::new(social_google::backend()),
    fixture = fixture()
);
