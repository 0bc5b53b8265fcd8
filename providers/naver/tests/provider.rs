//! Naver passes the provider conformance suite from fixtures in the shape of its answers.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_naver::NAME)
        .endpoint("authorization_url", "/oauth2.0/authorize")
        .endpoint("api_url", "/v1/nid/me")
        .token(
            "POST",
            "/oauth2.0/token",
            social_testkit::fixture!("token.json"),
        )
        .api("GET", "/v1/nid/me", social_testkit::fixture!("user.json"))
}

social_testkit::conformance!(
    backend = Arc::new(social_naver::backend()),
    fixture = fixture()
);

mod quirks;
