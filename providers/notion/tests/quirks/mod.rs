//! Notion's own behaviour: the user read from the token answer with no API call, a
//! workspace-owned authorization refused, `owner=user` and no PKCE on the authorize URL,
//! client credentials as HTTP Basic with a JSON body, failures of the token endpoint, the JSON
//! refresh that rotates the refresh token, the JSON revocation, and the callback failures the
//! suite's `failures` check would otherwise cover.

use std::sync::Arc;

use base64::Engine as _;
use social_core::{
    ErrorKind, Outcome, Value,
    serde_json::{self, json},
};
use social_testkit::{
    provider::{CLIENT_ID, CLIENT_SECRET, Fixture, Harness, expect_kind},
    query_param,
    wiremock::{Mock, Request, ResponseTemplate, matchers},
};

use super::fixture;

const TOKEN: &str = social_testkit::fixture!("token.json");
const ACCESS: &str = "ntn_access_5Qw8Xv2Lr7Kp3Zt9Hb4Jm6Nc1Df0Gs";
const REFRESH: &str = "nrt_refresh_8Ty2Uk5Wq9Ze3Rx7Vn1Mb4Lc6Jp0Hd";

fn basic() -> String {
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    format!("Basic {credentials}")
}

fn header<'a>(request: &'a Request, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn json_body(request: &Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or_default()
}

/// The fixture with the token answer changed by `change`.
fn with_token(change: impl FnOnce(&mut Value)) -> Fixture {
    let mut token: Value = serde_json::from_str(TOKEN).unwrap_or_default();
    change(&mut token);
    Fixture::new(social_notion::NAME)
        .endpoint("authorization_url", "/v1/oauth/authorize")
        .token("POST", "/v1/oauth/token", &token.to_string())
        .revoke("POST", "/v1/oauth/revoke", 200)
}

async fn harness(fixture: &Fixture) -> Harness {
    Harness::new(Arc::new(social_notion::backend()), fixture).await
}

async fn login(fixture: &Fixture) -> (Harness, social_core::Login) {
    let h = harness(fixture).await;
    h.mount_token(fixture, 1).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(done)) => (h, done),
        other => panic!("login failed: {other:?}"),
    }
}

#[tokio::test]
async fn the_user_comes_from_the_token_answer_and_no_user_api_is_called() {
    let (h, done) = login(&fixture()).await;
    let requests = h.server.received_requests().await.unwrap_or_default();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(
        paths,
        ["/v1/oauth/token"],
        "the token request and nothing else"
    );

    let account = done.account.expect("an account");
    assert_eq!(
        account.uid, "6a0e4f2b-93d1-4c58-b7a6-1e2f3d4c5b6a",
        "owner.user.id"
    );
    assert_eq!(done.user.email.as_deref(), Some("ada@example.com"));
    assert!(
        !done.user.email_verified,
        "Notion does not say it verified it"
    );
    assert_eq!(done.user.fullname.as_deref(), Some("Ada Lovelace"));
    for (key, value) in [
        ("workspace_id", "b2d7e3c8-1a95-4f60-8e3b-2c4d6f8a0b17"),
        ("workspace_name", "Analytical Engine Notes"),
        ("bot_id", "3f1c9a52-7e44-4d0b-9c21-6b8e2f5a7d10"),
    ] {
        assert_eq!(account.extra_data.get(key), Some(&json!(value)), "{key}");
    }
}

/// Runs the backend itself (no engine) through one login against `server`, returning the
/// provider's answer as the backend hands it to the pipeline.
async fn backend_login(server: &social_testkit::wiremock::MockServer) -> social_core::AuthResponse {
    use social_core::{Backend, BackendCx, MemoryStorage, MemoryStrategy, ProviderCx};
    let token_url = format!("{}/v1/oauth/token", server.uri());
    let settings = social_testkit::settings_from(
        &format!(
            "[backends.notion]\nkey = \"{CLIENT_ID}\"\nsecret = \"{CLIENT_SECRET}\"\n\
             access_token_url = \"{token_url}\""
        ),
        &[],
    );
    let http = social_core::http::ReqwestClient::new(std::time::Duration::from_secs(5), "test")
        .unwrap_or_else(|e| panic!("{e}"));
    let clock = social_core::clock::SystemClock;
    let storage = MemoryStorage::new();
    let backend = social_notion::backend();
    let provider = ProviderCx::new(social_notion::NAME, &settings, &http, &clock);
    let session = MemoryStrategy::new("http://testserver");
    let start = BackendCx {
        provider,
        strategy: &session,
        storage: &storage,
    };
    let flow = backend
        .start(&start)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let state = query_param(flow.redirect_url().unwrap_or_default(), "state").unwrap_or_default();
    let callback = session
        .next_request()
        .with_param("code", "test-code")
        .with_param("state", &state);
    let complete = BackendCx {
        provider,
        strategy: &callback,
        storage: &storage,
    };
    backend
        .complete(&complete)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn the_user_data_is_the_token_answer_without_its_tokens() {
    let server = social_testkit::wiremock::MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/v1/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN, "application/json"))
        .mount(&server)
        .await;
    let response = backend_login(&server).await;
    assert_eq!(
        response.data["owner"]["user"]["name"],
        json!("Ada Lovelace")
    );
    assert_eq!(
        response.data["workspace_name"],
        json!("Analytical Engine Notes")
    );
    for secret in ["access_token", "refresh_token"] {
        assert!(
            response.data.get(secret).is_none(),
            "{secret} left in the user data"
        );
    }
    let tokens = response.tokens.expect("tokens");
    assert_eq!(tokens.access_token.secret(), ACCESS);
    assert_eq!(
        tokens.refresh_token.as_ref().map(|t| t.secret()),
        Some(REFRESH)
    );
}

#[tokio::test]
async fn an_authorization_owned_by_the_workspace_is_refused() {
    for owner in [
        json!({"type": "workspace", "workspace": true}),
        // The shape Notion answered before owners had a type.
        json!({"workspace": true}),
    ] {
        let fixture = with_token(|t| t["owner"] = owner.clone());
        let h = harness(&fixture).await;
        h.mount_token(&fixture, 1).await;
        match h.login().await {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Failed, "{e}");
                assert!(e.details().contains("owner"), "names the owner: {e}");
            }
            Ok(other) => panic!("a workspace-owned authorization logged in: {other:?}"),
        }
        h.assert_nothing_written("workspace owner");
    }
}

#[tokio::test]
async fn a_user_owner_without_an_id_is_refused() {
    let fixture = with_token(|t| {
        if let Some(user) = t["owner"]["user"].as_object_mut() {
            user.remove("id");
        }
    });
    let h = harness(&fixture).await;
    h.mount_token(&fixture, 1).await;
    expect_kind(
        "owner without id",
        h.login().await,
        ErrorKind::InvalidResponse,
    );
    h.assert_nothing_written("owner without id");
}

#[tokio::test]
async fn the_authorize_url_asks_for_a_user_owner_without_scope_or_pkce() {
    let fixture = fixture();
    let h = harness(&fixture).await;
    let (_, url) = h.begin().await;
    let url = url.to_string();
    assert_eq!(query_param(&url, "owner").as_deref(), Some("user"));
    assert_eq!(query_param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(query_param(&url, "scope"), None, "Notion takes no scopes");
    assert_eq!(query_param(&url, "code_challenge"), None, "no PKCE");
}

#[tokio::test]
async fn the_token_request_is_json_with_the_credentials_as_basic_only() {
    let (h, _) = login(&fixture()).await;
    let requests = h.server.received_requests().await.unwrap_or_default();
    let token = requests
        .iter()
        .find(|r| r.url.path() == "/v1/oauth/token")
        .expect("a token request");
    assert_eq!(header(token, "authorization"), basic());
    assert_eq!(header(token, "content-type"), "application/json");
    let body = json_body(token);
    assert_eq!(body["grant_type"], json!("authorization_code"));
    assert_eq!(body["code"], json!("test-code"));
    assert_eq!(
        body["redirect_uri"],
        json!("http://testserver/complete/notion/")
    );
    for name in ["client_id", "client_secret", "code_verifier"] {
        assert!(body.get(name).is_none(), "`{name}` must not be in {body}");
    }
}

#[tokio::test]
async fn token_endpoint_failures_log_nobody_in() {
    let notion_error = |status: u16, code: &str| {
        ResponseTemplate::new(status).set_body_raw(
            json!({"object": "error", "status": status, "code": code,
                   "message": "Invalid code."})
            .to_string(),
            "application/json",
        )
    };
    for (case, response, kind) in [
        (
            "400",
            notion_error(400, "invalid_grant"),
            ErrorKind::TokenError,
        ),
        (
            "401",
            notion_error(401, "invalid_client"),
            ErrorKind::TokenError,
        ),
        (
            "500",
            ResponseTemplate::new(500),
            ErrorKind::ProviderUnavailable,
        ),
        (
            "malformed JSON",
            ResponseTemplate::new(200).set_body_raw(r#"{"access_token": "#, "application/json"),
            ErrorKind::InvalidResponse,
        ),
        (
            "error in a 200",
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"error":"invalid_grant"}"#, "application/json"),
            ErrorKind::TokenError,
        ),
        (
            "no access token",
            ResponseTemplate::new(200).set_body_raw(
                r#"{"token_type":"bearer","bot_id":"x"}"#,
                "application/json",
            ),
            ErrorKind::TokenError,
        ),
    ] {
        let fixture = fixture();
        let h = harness(&fixture).await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/v1/oauth/token"))
            .respond_with(response)
            .mount(&h.server)
            .await;
        expect_kind(case, h.login().await, kind);
        h.assert_nothing_written(case);
    }
}

#[tokio::test]
async fn refresh_is_json_with_basic_and_keeps_the_rotated_refresh_token() {
    let (h, done) = login(&fixture()).await;
    let account = done.account.expect("an account");
    h.server.reset().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/v1/oauth/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(
                json!({"access_token": "ntn_access_refreshed", "token_type": "bearer",
                       "refresh_token": "nrt_refresh_rotated", "bot_id": "x"})
                .to_string(),
                "application/json",
            ),
        )
        .expect(1)
        .mount(&h.server)
        .await;
    let refreshed = h
        .auth
        .refresh_token(&account)
        .await
        .unwrap_or_else(|e| panic!("refresh failed: {e}"));
    let requests = h.server.received_requests().await.unwrap_or_default();
    let request = requests.first().expect("a refresh request");
    assert_eq!(header(request, "authorization"), basic());
    assert_eq!(header(request, "content-type"), "application/json");
    assert_eq!(
        json_body(request),
        json!({"grant_type": "refresh_token", "refresh_token": REFRESH})
    );
    let tokens = refreshed.tokens().expect("tokens");
    assert_eq!(tokens.access_token.secret(), "ntn_access_refreshed");
    assert_eq!(
        tokens.refresh_token.as_ref().map(|t| t.secret()),
        Some("nrt_refresh_rotated"),
        "the rotated refresh token replaces the spent one"
    );
}

#[tokio::test]
async fn revocation_is_json_with_basic_and_a_notion_version() {
    let (h, done) = login(&fixture()).await;
    let account = done.account.expect("an account");
    h.server.reset().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/v1/oauth/revoke"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"request_id":"0c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f"}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&h.server)
        .await;
    h.auth
        .revoke_token(&account)
        .await
        .unwrap_or_else(|e| panic!("revoke failed: {e}"));
    let requests = h.server.received_requests().await.unwrap_or_default();
    let request = requests.first().expect("a revocation request");
    assert_eq!(header(request, "authorization"), basic());
    assert_eq!(header(request, "content-type"), "application/json");
    assert_eq!(
        header(request, "notion-version"),
        social_notion::NOTION_VERSION
    );
    assert_eq!(json_body(request), json!({"token": ACCESS}));
}

#[tokio::test]
async fn a_denied_or_forged_callback_logs_nobody_in() {
    let fixture = fixture();
    let h = harness(&fixture).await;
    h.mount_token(&fixture, 0).await;
    let (session, url) = h.begin().await;
    let state = query_param(url.as_str(), "state").unwrap_or_default();
    let denied = h
        .callback(&session, &[("error", "access_denied"), ("state", &state)])
        .await;
    expect_kind("user denied", denied, ErrorKind::Canceled);
    let (session, _) = h.begin().await;
    let forged = h
        .callback(
            &session,
            &[("code", "c"), ("state", "forged-state-value-0000")],
        )
        .await;
    expect_kind("wrong state", forged, ErrorKind::StateMismatch);
    h.assert_nothing_written("callback errors");
}
