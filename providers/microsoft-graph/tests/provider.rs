//! Microsoft Graph passes the provider conformance suite from fixtures.
// TODO(provider author): the fixtures are made up; record the provider's real answers,
// scrubbed, and keep the paths below in step with `SPEC`.

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_microsoft_graph::NAME)
        .endpoint("authorization_url", "/oauth/authorize")
        .token(
            "POST",
            "/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/api")
        .api("GET", "/api/user", social_testkit::fixture!("user.json"))
}

social_testkit::conformance!(
    backend = std::sync::Arc::new(social_microsoft_graph::backend()),
    fixture = fixture()
);
