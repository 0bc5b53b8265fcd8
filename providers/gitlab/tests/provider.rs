//! GitLab passes the provider conformance suite from fixtures in the shape of its answers, on
//! gitlab.com and on a self-managed instance reached through `BASE_URL` alone.

use std::sync::Arc;

use social_testkit::provider::Fixture;

/// gitlab.com: every endpoint is pointed at the fake server one by one.
fn gitlab_com() -> Fixture {
    Fixture::new(social_gitlab::NAME)
        .endpoint("authorization_url", "/oauth/authorize")
        .token(
            "POST",
            "/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/api/v4")
        .api("GET", "/api/v4/user", social_testkit::fixture!("user.json"))
        .revoke("POST", "/oauth/revoke", 200)
}

/// A self-managed instance under a path: only `BASE_URL` is set, and the backend must find
/// every endpoint under it by itself.
fn self_managed() -> Fixture {
    Fixture::new(social_gitlab::NAME)
        .base("base_url", "/gitlab")
        .endpoint("authorization_url", "/gitlab/oauth/authorize")
        .token(
            "POST",
            "/gitlab/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .api(
            "GET",
            "/gitlab/api/v4/user",
            social_testkit::fixture!("user.json"),
        )
        .revoke("POST", "/gitlab/oauth/revoke", 200)
}

social_testkit::conformance!(gitlab_com: backend = Arc::new(social_gitlab::backend()), fixture = gitlab_com());
social_testkit::conformance!(self_managed: backend = Arc::new(social_gitlab::backend()), fixture = self_managed());

mod quirks;
