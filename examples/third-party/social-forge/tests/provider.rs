//! social-forge's providers pass social-auth's conformance suite, as any provider crate's do:
//! Gitea on gitea.com and on a self-hosted instance, and Disqus with its quirks.

use std::sync::Arc;

use social_core::{ErrorKind, Outcome};
use social_testkit::provider::{Fixture, Harness, expect_kind};
use social_testkit::wiremock::{Mock, ResponseTemplate, matchers};

fn gitea_com() -> Fixture {
    Fixture::new("gitea")
        .endpoint("authorization_url", "/login/oauth/authorize")
        .token(
            "POST",
            "/login/oauth/access_token",
            social_testkit::fixture!("gitea_token.json"),
        )
        .endpoint("api_url", "/api/v1/user")
        .api(
            "GET",
            "/api/v1/user",
            social_testkit::fixture!("gitea_user.json"),
        )
}

/// A self-hosted instance: one `BASE_URL` setting moves every endpoint, and nothing else is
/// pointed at the fake server.
fn self_hosted() -> Fixture {
    Fixture::new("gitea")
        .base("base_url", "/git")
        .endpoint("authorization_url", "/git/login/oauth/authorize")
        .token(
            "POST",
            "/git/login/oauth/access_token",
            social_testkit::fixture!("gitea_token.json"),
        )
        .api(
            "GET",
            "/git/api/v1/user",
            social_testkit::fixture!("gitea_user.json"),
        )
}

fn disqus() -> Fixture {
    Fixture::new("disqus")
        .endpoint("authorization_url", "/api/oauth/2.0/authorize/")
        .token(
            "POST",
            "/api/oauth/2.0/access_token/",
            social_testkit::fixture!("disqus_token.json"),
        )
        .endpoint("api_url", "/api/3.0/users/details.json")
        .api(
            "GET",
            "/api/3.0/users/details.json",
            social_testkit::fixture!("disqus_user.json"),
        )
}

social_testkit::conformance!(gitea_com: backend = Arc::new(social_forge::gitea()), fixture = gitea_com());
social_testkit::conformance!(gitea_self_hosted: backend = Arc::new(social_forge::gitea()), fixture = self_hosted());
social_testkit::conformance!(disqus: backend = Arc::new(social_forge::disqus()), fixture = disqus());

#[test]
fn disqus_sends_the_application_keys_with_the_token() {
    social_testkit::run(async {
        let fixture = disqus();
        let h = Harness::new(Arc::new(social_forge::disqus()), &fixture).await;
        h.mount_token(&fixture, 1).await;
        h.mount_apis(&fixture).await;
        let outcome = h.login().await;
        assert!(matches!(outcome, Ok(Outcome::LoggedIn(_))), "{outcome:?}");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let call = requests
            .iter()
            .find(|r| r.url.path() == "/api/3.0/users/details.json")
            .unwrap_or_else(|| panic!("no profile call"));
        let query: Vec<(String, String)> = call.url.query_pairs().into_owned().collect();
        for (key, value) in [
            ("api_key", social_testkit::provider::CLIENT_ID),
            ("api_secret", social_testkit::provider::CLIENT_SECRET),
        ] {
            assert!(
                query.iter().any(|(k, v)| k == key && v == value),
                "{key} missing from {query:?}"
            );
        }
    });
}

#[test]
fn disqus_error_codes_in_a_200_are_errors_and_write_nothing() {
    social_testkit::run(async {
        for (code, kind) in [
            (5, ErrorKind::ProviderRejected),
            (12, ErrorKind::ProviderRejected),
            (13, ErrorKind::ProviderUnavailable),
        ] {
            let fixture = disqus();
            let h = Harness::new(Arc::new(social_forge::disqus()), &fixture).await;
            h.mount_token(&fixture, 1).await;
            Mock::given(matchers::method("GET"))
                .and(matchers::path("/api/3.0/users/details.json"))
                .respond_with(ResponseTemplate::new(200).set_body_raw(
                    format!(r#"{{"code": {code}, "response": "Invalid access token"}}"#),
                    "application/json",
                ))
                .mount(&h.server)
                .await;
            expect_kind(&format!("code {code}"), h.login().await, kind);
            h.assert_nothing_written(&format!("code {code}"));
        }
    });
}
