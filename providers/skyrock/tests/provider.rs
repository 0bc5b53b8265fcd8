//! Skyrock passes the OAuth 1.0a conformance suite from fixtures.
// TODO(provider author): the fixtures are made up; record the provider's real answers,
// scrubbed, and keep the paths below in step with `SPEC`.

use social_testkit::oauth1::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_skyrock::NAME)
        .request_token(
            "POST",
            "/oauth/request_token",
            social_testkit::fixture!("request_token.txt"),
        )
        .authorize("/oauth/authorize")
        .access_token(
            "POST",
            "/oauth/access_token",
            social_testkit::fixture!("access_token.txt"),
        )
        .endpoint("api_url", "/api/user")
        .api("GET", "/api/user", social_testkit::fixture!("user.json"))
}

social_testkit::oauth1_conformance!(
    backend = std::sync::Arc::new(social_skyrock::backend()),
    fixture = fixture()
);
