//! Bitbucket passes the provider conformance suite from fixtures in the shape of its answers
//! (`site/oauth2/access_token`, `2.0/user`, `2.0/user/emails`).

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_bitbucket::NAME)
        .endpoint("authorization_url", "/site/oauth2/authorize")
        .token(
            "POST",
            "/site/oauth2/access_token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/2.0")
        .api("GET", "/2.0/user", social_testkit::fixture!("user.json"))
        .api(
            "GET",
            "/2.0/user/emails",
            social_testkit::fixture!("emails.json"),
        )
}

social_testkit::conformance!(
    backend = Arc::new(social_bitbucket::backend()),
    fixture = fixture()
);

mod quirks;
