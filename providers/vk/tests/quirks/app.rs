//! The VK iframe application (`vk-app`): `auth_key` checked against vectors computed apart
//! from the crate, then the viewer's profile fetched again with the access token VK passed.

use std::time::Duration;

use md5::{Digest as _, Md5};
use social_core::{ErrorKind, serde_json::json};
use social_testkit::provider::expect_kind;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use super::{callback, engine, query};

const APP_ID: &str = "5123456";
const APP_SECRET: &str = "AppSecretExample";
const VIEWER: &str = "210700286";
/// MD5 of `5123456_210700286_AppSecretExample`, worked out with Python's `hashlib.md5`,
/// outside this crate.
const AUTH_KEY: &str = "cf281a44ecc41c802c00291a4f1a9316";
const ACCESS_TOKEN: &str = "vk1.a.fake-iframe-token-3Jd8Qp";
const USER: &str = social_testkit::fixture!("user.json");

/// `auth_key` as VK describes it, worked out here and not with the crate: MD5 fed the
/// application id, `_`, the viewer id, `_` and the secret, piece by piece.
fn vk_auth_key(app_id: &str, viewer_id: &str, secret: &str) -> String {
    let mut md5 = Md5::new();
    for piece in [app_id, "_", viewer_id, "_", secret] {
        md5.update(piece.as_bytes());
    }
    md5.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A fake VK API answering `users.get` with `response`.
async fn vk_api(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/method/users.get"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn settings(server: &MockServer) -> String {
    format!(
        "[backends.vk-app]\nkey = \"{APP_ID}\"\nsecret = \"{APP_SECRET}\"\n\
         api_url = \"{}/method\"\n",
        server.uri()
    )
}

/// The launch parameters VK gives the application's page, with `changes` applied (an empty
/// value removes the parameter).
fn launch<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("api_id", APP_ID),
        ("viewer_id", VIEWER),
        ("viewer_type", "2"),
        ("is_app_user", "1"),
        ("access_token", ACCESS_TOKEN),
        ("auth_key", AUTH_KEY),
        // Not signed, never read: the profile comes from VK again.
        (
            "api_result",
            r#"{"response":[{"id":1,"first_name":"Forged"}]}"#,
        ),
    ];
    for (k, v) in changes {
        params.retain(|(name, _)| name != k);
        if !v.is_empty() {
            params.push((k, v));
        }
    }
    params
}

fn ok(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json")
}

#[test]
fn the_literal_vector_and_the_signer_of_the_tests_agree() {
    assert_eq!(vk_auth_key(APP_ID, VIEWER, APP_SECRET), AUTH_KEY);
}

#[tokio::test]
async fn a_signed_launch_logs_the_viewer_in_with_the_profile_vk_gives_again() {
    let server = vk_api(ok(USER)).await;
    let (auth, storage) = engine(social_vk::app(), &settings(&server), Duration::from_secs(5));
    let done = social_testkit::logged_in(callback(&auth, social_vk::APP_NAME, &launch(&[])).await);
    let account = done.account.expect("an account");
    assert_eq!(account.uid, VIEWER);
    assert_eq!(done.user.fullname.as_deref(), Some("Ivan Petrov"));
    assert_eq!(done.user.username, "ivan_petrov");
    assert_eq!(
        account
            .tokens()
            .map(|t| t.access_token.secret().to_owned())
            .as_deref(),
        Some(ACCESS_TOKEN)
    );
    assert_eq!(account.extra_data.get("id"), Some(&json!(210_700_286)));
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "one users.get call");
    assert_eq!(
        query(&requests[0], "access_token").as_deref(),
        Some(ACCESS_TOKEN)
    );
    assert_eq!(query(&requests[0], "v").as_deref(), Some("5.199"));
    assert!(query(&requests[0], "fields").is_some());
    assert_eq!(storage.counts(), (1, 1));
}

#[tokio::test]
async fn a_bad_auth_key_is_refused_before_any_call() {
    let mut off = AUTH_KEY.to_owned();
    off.replace_range(0..1, "d");
    let other_secret = vk_auth_key(APP_ID, VIEWER, "AnotherSecret");
    let other_viewer = vk_auth_key(APP_ID, "210700287", APP_SECRET);
    for (case, changes, kind) in [
        (
            "auth_key one byte off",
            vec![("auth_key", off.as_str())],
            ErrorKind::Failed,
        ),
        (
            "another secret",
            vec![("auth_key", other_secret.as_str())],
            ErrorKind::Failed,
        ),
        (
            "auth_key of another viewer",
            vec![("auth_key", other_viewer.as_str())],
            ErrorKind::Failed,
        ),
        (
            "no auth_key",
            vec![("auth_key", "")],
            ErrorKind::MissingParameter,
        ),
        (
            "no viewer_id",
            vec![("viewer_id", "")],
            ErrorKind::MissingParameter,
        ),
        (
            "no access_token",
            vec![("access_token", "")],
            ErrorKind::MissingParameter,
        ),
        (
            "viewer_id not an id",
            vec![("viewer_id", "ivan")],
            ErrorKind::Failed,
        ),
        (
            "another application",
            vec![("api_id", "999")],
            ErrorKind::Failed,
        ),
    ] {
        let server = vk_api(ok(USER)).await;
        let (auth, storage) = engine(social_vk::app(), &settings(&server), Duration::from_secs(5));
        let outcome = callback(&auth, social_vk::APP_NAME, &launch(&changes)).await;
        expect_kind(case, outcome, kind);
        assert_eq!(storage.counts(), (0, 0), "{case}: nothing written");
        let calls = server.received_requests().await.unwrap_or_default();
        assert!(calls.is_empty(), "{case}: VK was not called");
    }
}

#[tokio::test]
async fn the_token_must_belong_to_the_signed_viewer() {
    let mut other: social_core::Value = social_core::serde_json::from_str(USER).expect("json");
    other["response"][0]["id"] = json!(42);
    let server = vk_api(ResponseTemplate::new(200).set_body_json(&other)).await;
    let (auth, storage) = engine(social_vk::app(), &settings(&server), Duration::from_secs(5));
    let outcome = callback(&auth, social_vk::APP_NAME, &launch(&[])).await;
    expect_kind("token of another user", outcome, ErrorKind::Failed);
    assert_eq!(storage.counts(), (0, 0));
}

#[tokio::test]
async fn users_get_failures_give_their_kinds_and_write_nothing() {
    let error =
        |code: i64| ok(&json!({"error": {"error_code": code, "error_msg": "refused"}}).to_string());
    for (case, response, kind) in [
        ("token revoked", error(5), ErrorKind::TokenError),
        ("rate limit", error(29), ErrorKind::ProviderUnavailable),
        (
            "too many requests",
            error(6),
            ErrorKind::ProviderUnavailable,
        ),
        ("access denied", error(15), ErrorKind::ProviderRejected),
        (
            "502",
            ResponseTemplate::new(502),
            ErrorKind::ProviderUnavailable,
        ),
        (
            "401",
            ResponseTemplate::new(401),
            ErrorKind::ProviderRejected,
        ),
        ("not JSON", ok("<html></html>"), ErrorKind::InvalidResponse),
        (
            "no user",
            ok(r#"{"response": []}"#),
            ErrorKind::InvalidResponse,
        ),
        (
            "id a text",
            ok(r#"{"response": [{"id": "ivan"}]}"#),
            ErrorKind::InvalidResponse,
        ),
        (
            "time-out",
            ok(USER).set_delay(Duration::from_secs(2)),
            ErrorKind::Timeout,
        ),
    ] {
        let server = vk_api(response).await;
        let (auth, storage) = engine(
            social_vk::app(),
            &settings(&server),
            Duration::from_millis(700),
        );
        let outcome = callback(&auth, social_vk::APP_NAME, &launch(&[])).await;
        expect_kind(case, outcome, kind);
        assert_eq!(storage.counts(), (0, 0), "{case}: nothing written");
    }
}

#[tokio::test]
async fn start_goes_straight_to_the_callback() {
    let server = vk_api(ok(USER)).await;
    let (auth, _) = engine(social_vk::app(), &settings(&server), Duration::from_secs(5));
    let flow = auth
        .begin(
            &social_core::MemoryStrategy::new(super::ORIGIN),
            social_vk::APP_NAME,
        )
        .await
        .expect("begin");
    assert_eq!(
        flow.redirect_url(),
        Some("http://testserver/complete/vk-app/")
    );
}
