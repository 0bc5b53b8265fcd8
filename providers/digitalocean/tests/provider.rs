//! DigitalOcean passes the provider conformance suite from fixtures in the shape of its
//! answers: authorization and tokens on cloud.digitalocean.com, the account on the API.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_digitalocean::NAME)
        .endpoint("authorization_url", "/v1/oauth/authorize")
        .token(
            "POST",
            "/v1/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/api")
        .api(
            "GET",
            "/api/v2/account",
            social_testkit::fixture!("account.json"),
        )
        .revoke("POST", "/v1/oauth/revoke", 200)
}

social_testkit::conformance!(
    backend = Arc::new(social_digitalocean::backend()),
    fixture = fixture()
);

mod quirks;
