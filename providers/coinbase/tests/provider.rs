//! Coinbase passes the provider conformance suite from fixtures in the shape of its answers:
//! the token answer of `login.coinbase.com/oauth2/token` and the user of `GET /v2/user`,
//! wrapped in `data`.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_coinbase::NAME)
        .endpoint("authorization_url", "/oauth2/auth")
        .token(
            "POST",
            "/oauth2/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "")
        .api("GET", "/v2/user", social_testkit::fixture!("user.json"))
        .revoke("POST", "/oauth2/revoke", 200)
}

social_testkit::conformance!(
    backend = Arc::new(social_coinbase::backend()),
    fixture = fixture()
);

mod quirks;
