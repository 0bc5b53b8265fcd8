//! OK's OAuth 2.0 backend (`odnoklassniki-oauth2`) passes the provider conformance suite from
//! fixtures in the shape of OK's answers; the iframe backend (`odnoklassniki-app`), which is
//! not OAuth, is tested in `quirks::app`.

use std::sync::Arc;

use social_testkit::provider::Fixture;

/// The application's public key the fixtures configure.
const APPLICATION_KEY: &str = "CBAFEDCBA1234567";

fn fixture() -> Fixture {
    Fixture::new(social_odnoklassniki::NAME)
        .endpoint("authorization_url", "/oauth/authorize")
        .endpoint("api_url", "")
        .option("application_key", APPLICATION_KEY)
        .token(
            "POST",
            "/oauth/token.do",
            social_testkit::fixture!("token.json"),
        )
        .api("GET", "/fb.do", social_testkit::fixture!("user.json"))
}

social_testkit::conformance!(
    backend = Arc::new(social_odnoklassniki::backend()),
    fixture = fixture()
);

mod quirks;
