//! Dropbox passes the provider conformance suite from fixtures in the shape of its answers
//! (`oauth2/token`, `2/users/get_current_account`).

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_dropbox::NAME)
        .endpoint("authorization_url", "/oauth2/authorize")
        .endpoint("api_url", "")
        .token(
            "POST",
            "/oauth2/token",
            social_testkit::fixture!("token.json"),
        )
        .api(
            "POST",
            "/2/users/get_current_account",
            social_testkit::fixture!("user.json"),
        )
        .revoke("POST", "/2/auth/token/revoke", 200)
}

social_testkit::conformance!(
    backend = Arc::new(social_dropbox::backend()),
    fixture = fixture()
);

mod quirks;
