//! Login with Amazon passes the provider conformance suite from fixtures in the shape of its
//! answers.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_amazon::NAME)
        .endpoint("authorization_url", "/ap/oa")
        .token(
            "POST",
            "/auth/o2/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/")
        .api(
            "GET",
            "/user/profile",
            social_testkit::fixture!("user.json"),
        )
}

social_testkit::conformance!(
    backend = Arc::new(social_amazon::backend()),
    fixture = fixture()
);

mod quirks;
