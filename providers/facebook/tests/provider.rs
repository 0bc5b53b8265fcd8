//! Facebook passes the provider conformance suite from recorded fixtures.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new("facebook")
        .endpoint("authorization_url", "/dialog/oauth")
        .endpoint("api_url", "/graph")
        .token(
            "GET",
            "/graph/oauth/access_token",
            social_testkit::fixture!("token.json"),
        )
        .api("GET", "/graph/me", social_testkit::fixture!("me.json"))
}

social_testkit::conformance!(
    backend = Arc::new(social_facebook::backend()),
    fixture = fixture()
);

mod quirks;
