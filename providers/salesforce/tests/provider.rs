//! Salesforce passes the provider conformance suite from fixtures in the shape of its answers.
//! `API_URL` points the identity call at the fake server; the path comes from the token
//! answer's `id`.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_salesforce::NAME)
        .endpoint("authorization_url", "/services/oauth2/authorize")
        .token(
            "POST",
            "/services/oauth2/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "")
        .api(
            "GET",
            "/id/00DB0000000TfcZMAS/005B0000005Bk90IAC",
            social_testkit::fixture!("identity.json"),
        )
        .revoke("POST", "/services/oauth2/revoke", 200)
}

social_testkit::conformance!(
    backend = Arc::new(social_salesforce::backend()),
    fixture = fixture()
);

mod quirks;
