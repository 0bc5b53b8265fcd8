//! Zoom passes the provider conformance suite from fixtures in the shape of its answers:
//! authorization and tokens on zoom.us, the user on api.zoom.us.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_zoom::NAME)
        .endpoint("authorization_url", "/oauth/authorize")
        .token(
            "POST",
            "/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/v2")
        .api("GET", "/v2/users/me", social_testkit::fixture!("me.json"))
        .revoke("POST", "/oauth/revoke", 200)
}

social_testkit::conformance!(
    backend = Arc::new(social_zoom::backend()),
    fixture = fixture()
);

mod quirks;
