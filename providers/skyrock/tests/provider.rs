//! Skyrock passes the OAuth 1.0a conformance suite (every request's HMAC-SHA1 signature
//! checked by the suite's own provider code) from fixtures in the shape of its answers.

use std::sync::Arc;

use social_testkit::oauth1::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_skyrock::NAME)
        .request_token(
            "POST",
            "/v2/oauth/initiate",
            social_testkit::fixture!("request_token.txt"),
        )
        .authorize("/v2/oauth/authenticate")
        .access_token(
            "POST",
            "/v2/oauth/token",
            social_testkit::fixture!("access_token.txt"),
        )
        .endpoint("api_url", "/v2/user/get.json")
        .api(
            "GET",
            "/v2/user/get.json",
            social_testkit::fixture!("user.json"),
        )
}

social_testkit::oauth1_conformance!(
    backend = Arc::new(social_skyrock::backend()),
    fixture = fixture()
);

mod quirks;
