//! Stack Overflow passes the provider conformance suite from fixtures in the shape of Stack
//! Exchange's answers: the JSON token answer of `POST /oauth/access_token/json` and the
//! wrapper of `GET /2.3/me` whose `items` holds the user.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_stackoverflow::NAME)
        .endpoint("authorization_url", "/oauth")
        .endpoint("api_url", "/2.3")
        .token(
            "POST",
            "/oauth/access_token/json",
            social_testkit::fixture!("token.json"),
        )
        .api("GET", "/2.3/me", social_testkit::fixture!("user.json"))
}

social_testkit::conformance!(
    backend = Arc::new(social_stackoverflow::backend()),
    fixture = fixture()
);

mod quirks;
