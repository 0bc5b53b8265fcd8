//! Both Mail.ru backends pass the provider conformance suite from fixtures in the shape of
//! their answers: `mailru` (Mail.ru OAuth) and `mailru-oauth2` (the legacy connect platform,
//! whose user call is signed).

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn mailru() -> Fixture {
    Fixture::new(social_mailru::NAME)
        .endpoint("authorization_url", "/login")
        .endpoint("api_url", "")
        .token("POST", "/token", social_testkit::fixture!("token.json"))
        .api("GET", "/userinfo", social_testkit::fixture!("user.json"))
}

fn legacy() -> Fixture {
    Fixture::new(social_mailru::LEGACY_NAME)
        .endpoint("authorization_url", "/oauth/authorize")
        .endpoint("api_url", "")
        .token(
            "POST",
            "/oauth/token",
            social_testkit::fixture!("legacy_token.json"),
        )
        .api(
            "GET",
            "/platform/api",
            social_testkit::fixture!("legacy_user.json"),
        )
}

social_testkit::conformance!(
    mailru: backend = Arc::new(social_mailru::backend()),
    fixture = mailru()
);

social_testkit::conformance!(
    legacy: backend = Arc::new(social_mailru::legacy()),
    fixture = legacy()
);

mod quirks;
