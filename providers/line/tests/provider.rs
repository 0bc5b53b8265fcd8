//! LINE passes the provider conformance suite from fixtures in the shape of its answers.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_line::NAME)
        .endpoint("authorization_url", "/oauth2/v2.1/authorize")
        .endpoint("api_url", "")
        .token(
            "POST",
            "/oauth2/v2.1/token",
            social_testkit::fixture!("token.json"),
        )
        .api("GET", "/v2/profile", social_testkit::fixture!("user.json"))
}

social_testkit::conformance!(
    backend = Arc::new(social_line::backend()),
    fixture = fixture()
);

mod quirks;
