//! Yahoo passes the provider conformance suite from fixtures in the shape of its answers
//! (the token answer of its OAuth 2.0 guide, the userinfo answer of its Get User Info API).

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_yahoo::NAME)
        .endpoint("authorization_url", "/oauth2/request_auth")
        .token(
            "POST",
            "/oauth2/get_token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/openid/v1/userinfo")
        .api(
            "GET",
            "/openid/v1/userinfo",
            social_testkit::fixture!("user.json"),
        )
}

social_testkit::conformance!(
    backend = Arc::new(social_yahoo::backend()),
    fixture = fixture()
);

mod quirks;
