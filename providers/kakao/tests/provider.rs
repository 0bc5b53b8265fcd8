//! Kakao passes the provider conformance suite from fixtures in the shape of its answers.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_kakao::NAME)
        .endpoint("authorization_url", "/oauth/authorize")
        .endpoint("api_url", "")
        .token(
            "POST",
            "/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .api("GET", "/v2/user/me", social_testkit::fixture!("user.json"))
        .revoke("POST", "/v1/user/logout", 200)
}

social_testkit::conformance!(
    backend = Arc::new(social_kakao::backend()),
    fixture = fixture()
);

mod quirks;
