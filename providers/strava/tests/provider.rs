//! Strava passes the provider conformance suite from fixtures in the shape of its answers:
//! the token answer with its athlete summary, and the athlete of `GET /api/v3/athlete`.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_strava::NAME)
        .endpoint("authorization_url", "/oauth/authorize")
        .token(
            "POST",
            "/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/api/v3")
        .api(
            "GET",
            "/api/v3/athlete",
            social_testkit::fixture!("athlete.json"),
        )
        .revoke("POST", "/oauth/revoke", 200)
}

social_testkit::conformance!(
    backend = Arc::new(social_strava::backend()),
    fixture = fixture()
);

mod quirks;
