//! TikTok passes the provider conformance suite from fixtures in the shape of its answers:
//! the token answer of `POST /v2/oauth/token/` (with `open_id`) and the Display API's
//! `GET /v2/user/info/` envelope. The suite finds the client id under TikTok's name
//! (`client_key`); `quirks` checks that name and TikTok's other ways.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_tiktok::NAME)
        .endpoint("authorization_url", "/v2/auth/authorize/")
        .endpoint("api_url", "")
        .token(
            "POST",
            "/v2/oauth/token/",
            social_testkit::fixture!("token.json"),
        )
        .api(
            "GET",
            "/v2/user/info/",
            social_testkit::fixture!("user.json"),
        )
        .revoke("POST", "/v2/oauth/revoke/", 200)
}

social_testkit::conformance!(
    backend = Arc::new(social_tiktok::backend()),
    fixture = fixture()
);

mod quirks;
