//! Reddit passes the provider conformance suite from fixtures in the shape of its answers:
//! authorization and tokens on one host, the user API on another.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_reddit::NAME)
        .endpoint("authorization_url", "/api/v1/authorize")
        .token(
            "POST",
            "/api/v1/access_token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/oauth")
        .api(
            "GET",
            "/oauth/api/v1/me",
            social_testkit::fixture!("user.json"),
        )
        .revoke("POST", "/api/v1/revoke_token", 204)
}

social_testkit::conformance!(
    backend = Arc::new(social_reddit::backend()),
    fixture = fixture()
);

mod quirks;
