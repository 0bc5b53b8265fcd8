//! Instagram passes the provider conformance suite from fixtures in the shape of its answers:
//! `oauth/access_token` and `/me` of the Graph API.
//!
//! The code exchange is run here with the flat token answer (`token_flat.json`) that apps
//! receive in practice: the suite finds the access token only at the top level of the answer.
//! The answer wrapped in `data`, as Meta's documentation shows it (`token.json`), is logged in
//! with in `quirks`.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_instagram::NAME)
        .endpoint("authorization_url", "/oauth/authorize")
        .token(
            "POST",
            "/oauth/access_token",
            social_testkit::fixture!("token_flat.json"),
        )
        .endpoint("api_url", "/v25.0")
        .endpoint("exchange_token_url", "/access_token")
        .api("GET", "/v25.0/me", social_testkit::fixture!("user.json"))
}

social_testkit::conformance!(
    backend = Arc::new(social_instagram::backend()),
    fixture = fixture()
);

mod quirks;
