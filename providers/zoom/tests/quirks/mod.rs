//! Zoom's own quirks: the client authenticates with HTTP Basic at every token call (exchange,
//! refresh, revocation) and never puts its credentials in the body; refresh tokens rotate.

use std::sync::Arc;

use social_core::{Outcome, Secret, SocialAccount};
use social_testkit::{
    provider::{Fixture, Harness},
    wiremock::{Mock, Request, ResponseTemplate, matchers},
};

/// The suite's client (`test-client-id:test-client-secret`) as HTTP Basic credentials.
const BASIC: &str = "Basic dGVzdC1jbGllbnQtaWQ6dGVzdC1jbGllbnQtc2VjcmV0";
/// The access and refresh tokens of `token.json`.
const ACCESS: &str = "zoom-access-3f9a1c7e5b2d8046";
const REFRESH: &str = "zoom-refresh-6b0e4d2a8c1f9735";

/// Logs in over the fixtures, then forgets every answer: the account and the harness.
async fn logged_in() -> (Harness, SocialAccount) {
    let fixture: Fixture = super::fixture();
    let h = Harness::new(Arc::new(social_zoom::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    let account = match h.login().await {
        Ok(Outcome::LoggedIn(login)) => login.account.expect("an account"),
        other => panic!("login failed: {other:?}"),
    };
    h.server.reset().await;
    (h, account)
}

/// The only request the fake provider received, checked to carry the client as HTTP Basic
/// and no credential in its body; its body.
async fn basic_request(h: &Harness) -> String {
    let requests: Vec<Request> = h.server.received_requests().await.unwrap_or_default();
    let [request] = requests.as_slice() else {
        panic!("one request, got {}", requests.len())
    };
    assert_eq!(
        request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(BASIC),
        "client credentials as HTTP Basic"
    );
    let body = String::from_utf8_lossy(&request.body).into_owned();
    assert!(
        !body.contains("client_id") && !body.contains("client_secret"),
        "no client credentials in the body: {body}"
    );
    body
}

#[test]
fn refresh_uses_basic_credentials_and_keeps_the_rotated_refresh_token() {
    social_testkit::run(async {
        let (h, account) = logged_in().await;
        let refreshed = r#"{"access_token":"zoom-access-71d0","token_type":"bearer","refresh_token":"zoom-refresh-c9e2","expires_in":3599,"scope":"user:read:user"}"#;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth/token"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(refreshed, "application/json"))
            .expect(1)
            .mount(&h.server)
            .await;
        let account = h.auth.refresh_token(&account).await.expect("refreshed");
        let body = basic_request(&h).await;
        assert_eq!(
            body,
            format!("grant_type=refresh_token&refresh_token={REFRESH}")
        );
        let tokens = account.tokens().expect("tokens");
        assert_eq!(tokens.access_token.secret(), "zoom-access-71d0");
        assert_eq!(
            tokens.refresh_token.as_ref().map(Secret::secret),
            Some("zoom-refresh-c9e2"),
            "a refresh token is good once: the new one replaces it"
        );
    });
}

#[test]
fn revocation_uses_basic_credentials() {
    social_testkit::run(async {
        let (h, account) = logged_in().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth/revoke"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(r#"{"status":"success"}"#, "application/json"),
            )
            .expect(1)
            .mount(&h.server)
            .await;
        h.auth.revoke_token(&account).await.expect("revoked");
        let body = basic_request(&h).await;
        assert_eq!(body, format!("token={ACCESS}&token_type_hint=access_token"));
    });
}
