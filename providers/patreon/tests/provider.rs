//! Patreon passes the provider conformance suite from fixtures in the shape of its answers.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_patreon::NAME)
        .endpoint("authorization_url", "/oauth2/authorize")
        .token(
            "POST",
            "/api/oauth2/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/api/oauth2/v2")
        .api(
            "GET",
            "/api/oauth2/v2/identity",
            social_testkit::fixture!("user.json"),
        )
}

social_testkit::conformance!(
    backend = Arc::new(social_patreon::backend()),
    fixture = fixture()
);

mod quirks;
