//! Log in with PayPal passes the provider conformance suite from fixtures in the shape of its
//! answers: the token answer of `/v1/oauth2/token` and the OpenID Connect user info of
//! `/v1/identity/openidconnect/userinfo?schema=openid`.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_paypal::NAME)
        .endpoint("authorization_url", "/signin/authorize")
        .token(
            "POST",
            "/v1/oauth2/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "")
        .api(
            "GET",
            "/v1/identity/openidconnect/userinfo",
            social_testkit::fixture!("userinfo.json"),
        )
}

social_testkit::conformance!(
    backend = Arc::new(social_paypal::backend()),
    fixture = fixture()
);

mod quirks;
