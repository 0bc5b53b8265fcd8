//! WeChat passes the provider conformance suite from fixtures in the shape of its answers:
//! the token answer of `GET /sns/oauth2/access_token` (with `openid` and `unionid`) and the
//! user of `GET /sns/userinfo`. The suite finds the client id and secret under WeChat's names
//! (`appid`, `secret`); `quirks` checks those names and WeChat's other ways.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_wechat::NAME)
        .endpoint("authorization_url", "/connect/qrconnect")
        .endpoint("api_url", "")
        .token(
            "GET",
            "/sns/oauth2/access_token",
            social_testkit::fixture!("token.json"),
        )
        .api(
            "GET",
            "/sns/userinfo",
            social_testkit::fixture!("user.json"),
        )
}

social_testkit::conformance!(
    backend = Arc::new(social_wechat::backend()),
    fixture = fixture()
);

mod quirks;
