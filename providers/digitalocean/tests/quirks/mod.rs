//! DigitalOcean's own quirks: the account wrapped in `account`, its `email_verified` flag,
//! and a revocation authenticated by the token itself.

use std::sync::Arc;

use social_core::{Outcome, SocialAccount, Value};
use social_testkit::{
    provider::{Fixture, Harness},
    wiremock::{Mock, ResponseTemplate, matchers},
};

/// The access token of `token.json`.
const ACCESS: &str = "doo_v1_4f1c8e2a9b7d6035e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

/// Logs in over `fixture`'s answers.
async fn login(h: &Harness, fixture: &Fixture) -> social_core::Login {
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

#[test]
fn an_unverified_address_is_not_marked_verified() {
    social_testkit::run(async {
        let mut account: Value =
            social_core::serde_json::from_str(social_testkit::fixture!("account.json"))
                .expect("the fixture is JSON");
        account["account"]["email_verified"] = Value::Bool(false);
        let fixture = Fixture::new(social_digitalocean::NAME)
            .token(
                "POST",
                "/v1/oauth/token",
                social_testkit::fixture!("token.json"),
            )
            .endpoint("api_url", "/api")
            .api("GET", "/api/v2/account", &account.to_string());
        let h = Harness::new(Arc::new(social_digitalocean::backend()), &fixture).await;
        let done = login(&h, &fixture).await;
        assert_eq!(done.user.email.as_deref(), Some("ada@example.com"));
        assert!(!done.user.email_verified, "DigitalOcean says unverified");
        let account = done.account.expect("an account");
        assert_eq!(
            account.uid, "3c1e5a7b9d2f4e6a8c0b1d3f5e7a9c2b4d6f8e0a",
            "the user's uuid, not the team's"
        );
    });
}

#[test]
fn revocation_is_authenticated_by_the_token_not_the_client() {
    social_testkit::run(async {
        let fixture = super::fixture();
        let h = Harness::new(Arc::new(social_digitalocean::backend()), &fixture).await;
        let account: SocialAccount = login(&h, &fixture).await.account.expect("an account");
        h.server.reset().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/v1/oauth/revoke"))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&h.server)
            .await;
        h.auth.revoke_token(&account).await.expect("revoked");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let [request] = requests.as_slice() else {
            panic!("one revocation request, got {}", requests.len())
        };
        let authorization = request.headers.get("authorization");
        assert_eq!(
            authorization.and_then(|v| v.to_str().ok()),
            Some(format!("Bearer {ACCESS}").as_str()),
            "the token authenticates the call"
        );
        assert_eq!(
            String::from_utf8_lossy(&request.body),
            format!("token={ACCESS}"),
            "the token to revoke, and no client secret"
        );
        assert_eq!(
            request
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/x-www-form-urlencoded")
        );
    });
}
