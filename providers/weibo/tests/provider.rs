//! Weibo passes the provider conformance suite from fixtures in the shape of its answers
//! (`oauth2/access_token`, `2/users/show.json`).

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_weibo::NAME)
        .endpoint("authorization_url", "/oauth2/authorize")
        .token(
            "POST",
            "/oauth2/access_token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/2")
        .endpoint("token_info_url", "/oauth2/get_token_info")
        .api(
            "GET",
            "/2/users/show.json",
            social_testkit::fixture!("user.json"),
        )
}

social_testkit::conformance!(
    backend = Arc::new(social_weibo::backend()),
    fixture = fixture()
);

mod quirks;
