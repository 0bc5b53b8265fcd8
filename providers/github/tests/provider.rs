//! GitHub passes the provider conformance suite from recorded fixtures.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new("github")
        .endpoint("authorization_url", "/login/oauth/authorize")
        .endpoint("api_url", "/api")
        .token(
            "POST",
            "/login/oauth/access_token",
            social_testkit::fixture!("token.json"),
        )
        .api("GET", "/api/user", social_testkit::fixture!("user.json"))
        .api(
            "GET",
            "/api/user/emails",
            social_testkit::fixture!("emails.json"),
        )
        .revoke("DELETE", "/applications/test-client-id/token", 204)
        .endpoint("revoke_token_url", "/applications/{client_id}/token")
}

social_testkit::conformance!(
    backend = Arc::new(social_github::backend()),
    fixture = fixture()
);

mod quirks;
