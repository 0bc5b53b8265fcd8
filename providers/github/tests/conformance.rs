//! GitHub passes the provider conformance suite from recorded fixtures.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(
        "github",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"),
    )
    .endpoint("authorization_url", "/login/oauth/authorize")
    .endpoint("api_url", "/api")
    .token(
        "POST",
        "/login/oauth/access_token",
        include_str!("fixtures/token.json"),
    )
    .api("GET", "/api/user", include_str!("fixtures/user.json"))
    .api(
        "GET",
        "/api/user/emails",
        include_str!("fixtures/emails.json"),
    )
    .revoke("DELETE", "/applications/test-client-id/token", 204)
    .endpoint("revoke_token_url", "/applications/{client_id}/token")
}

social_testkit::conformance!(
    backend = Arc::new(social_github::backend()),
    fixture = fixture()
);
