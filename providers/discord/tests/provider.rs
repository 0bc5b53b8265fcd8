//! Discord passes the provider conformance suite from fixtures in the shape of its answers.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_discord::NAME)
        .endpoint("authorization_url", "/oauth2/authorize")
        .token(
            "POST",
            "/api/oauth2/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/api/v10")
        .api(
            "GET",
            "/api/v10/users/@me",
            social_testkit::fixture!("user.json"),
        )
        .revoke("POST", "/api/oauth2/token/revoke", 200)
}

social_testkit::conformance!(
    backend = Arc::new(social_discord::backend()),
    fixture = fixture()
);

mod quirks;
