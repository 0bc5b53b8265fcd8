//! Foursquare passes the provider conformance suite from fixtures in the shape of its answers
//! (the token answer of its OAuth guide, the `users/self` answer of its v2 API).

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_foursquare::NAME)
        .endpoint("authorization_url", "/oauth2/authenticate")
        .token(
            "GET",
            "/oauth2/access_token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/v2")
        .api(
            "GET",
            "/v2/users/self",
            social_testkit::fixture!("user.json"),
        )
}

social_testkit::conformance!(
    backend = Arc::new(social_foursquare::backend()),
    fixture = fixture()
);

mod quirks;
