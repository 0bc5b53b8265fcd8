//! Spotify passes the provider conformance suite from fixtures in the shape of its answers.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_spotify::NAME)
        .endpoint("authorization_url", "/authorize")
        .token("POST", "/api/token", social_testkit::fixture!("token.json"))
        .endpoint("api_url", "/v1")
        .api("GET", "/v1/me", social_testkit::fixture!("user.json"))
}

social_testkit::conformance!(
    backend = Arc::new(social_spotify::backend()),
    fixture = fixture()
);

mod quirks;
