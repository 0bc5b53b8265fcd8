//! Microsoft Graph passes the provider conformance suite from fixtures in the shape of its
//! answers (the identity platform's token answer, Graph's `GET /me`), under both of its
//! backend names.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture(name: &str) -> Fixture {
    Fixture::new(name)
        .endpoint("authorization_url", "/common/oauth2/v2.0/authorize")
        .token(
            "POST",
            "/common/oauth2/v2.0/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/v1.0")
        .api("GET", "/v1.0/me", social_testkit::fixture!("user.json"))
}

social_testkit::conformance!(
    microsoft_graph: backend = Arc::new(social_microsoft_graph::backend()),
    fixture = fixture(social_microsoft_graph::NAME)
);

social_testkit::conformance!(
    live: backend = Arc::new(social_microsoft_graph::live()),
    fixture = fixture(social_microsoft_graph::LIVE)
);

mod quirks;
