//! Yandex ID passes the provider conformance suite from fixtures in the shape of its answers.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_yandex::NAME)
        .endpoint("authorization_url", "/authorize")
        .endpoint("api_url", "")
        .token("POST", "/token", social_testkit::fixture!("token.json"))
        .api("GET", "/info", social_testkit::fixture!("user.json"))
}

social_testkit::conformance!(
    backend = Arc::new(social_yandex::backend()),
    fixture = fixture()
);

mod quirks;
