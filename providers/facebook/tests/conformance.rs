//! Facebook passes the provider conformance suite from recorded fixtures.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(
        "facebook",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"),
    )
    .endpoint("authorization_url", "/dialog/oauth")
    .endpoint("api_url", "/graph")
    .token(
        "GET",
        "/graph/oauth/access_token",
        include_str!("fixtures/token.json"),
    )
    .api("GET", "/graph/me", include_str!("fixtures/me.json"))
}

social_testkit::conformance!(
    backend = Arc::new(social_facebook::backend()),
    fixture = fixture()
);
