//! Figma passes the provider conformance suite from fixtures in the shape of its answers.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_figma::NAME)
        .endpoint("authorization_url", "/oauth")
        .endpoint("api_url", "/v1")
        .token(
            "POST",
            "/v1/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .refresh("/v1/oauth/refresh")
        .api("GET", "/v1/me", social_testkit::fixture!("user.json"))
}

social_testkit::conformance!(
    backend = Arc::new(social_figma::backend()),
    fixture = fixture()
);

mod quirks;
