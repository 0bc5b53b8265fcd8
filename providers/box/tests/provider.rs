//! Box passes the provider conformance suite from fixtures in the shape of its answers: the
//! token answer of `api.box.com/oauth2/token` and the user of `GET /2.0/users/me`.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_box::NAME)
        .endpoint("authorization_url", "/api/oauth2/authorize")
        .token(
            "POST",
            "/oauth2/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/2.0")
        .api(
            "GET",
            "/2.0/users/me",
            social_testkit::fixture!("user.json"),
        )
        .revoke("POST", "/oauth2/revoke", 200)
}

social_testkit::conformance!(
    backend = Arc::new(social_box::backend()),
    fixture = fixture()
);

mod quirks;
