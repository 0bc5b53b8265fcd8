//! Atlassian passes the provider conformance suite from fixtures in the shape of its answers:
//! the account (`/me`) and the sites the token may reach (`/oauth/token/accessible-resources`),
//! both checked for the bearer token.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_atlassian::NAME)
        .endpoint("authorization_url", "/authorize")
        .token(
            "POST",
            "/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "")
        .api("GET", "/me", social_testkit::fixture!("me.json"))
        .api(
            "GET",
            "/oauth/token/accessible-resources",
            social_testkit::fixture!("accessible-resources.json"),
        )
}

social_testkit::conformance!(
    backend = Arc::new(social_atlassian::backend()),
    fixture = fixture()
);

mod quirks;
