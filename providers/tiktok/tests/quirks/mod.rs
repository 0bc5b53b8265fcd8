//! TikTok's own quirks: `client_key` instead of `client_id` everywhere, comma-separated
//! scopes, no PKCE for the web, the user wrapped in `data.user` next to an `error` object
//! whose `code` must be `ok`, the `open_id` of the user checked against the token answer's,
//! and revocation and refresh with the client key and secret in the body.

use std::{collections::BTreeMap, sync::Arc};

use social_core::{
    ErrorKind, MemoryStrategy, Outcome, Secret, SocialAccount, Storage,
    serde_json::{self, Value, json},
};
use social_testkit::{
    logged_in,
    provider::{CLIENT_ID, CLIENT_SECRET, Fixture, Harness, expect_kind},
    query_param, settings_from,
    wiremock::{Mock, Request, ResponseTemplate, matchers},
};

use super::fixture;

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const ACCESS: &str = "act.tiktok-access-4b1e9c07d2a8f356";
const REFRESH: &str = "rft.tiktok-refresh-9e0d3a6c1f74b825";
const OPEN_ID: &str = "723f24d7-e717-40f8-a2b6-cb8464cd23b4";

/// The fields of a form-encoded body.
fn form(request: &Request) -> BTreeMap<String, String> {
    social_testkit::url::form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The fields `pairs` as a map, to compare with [`form`].
fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The fixture's endpoints with the token endpoint answering `token` and the user call
/// answering `user`.
fn answering(token: &str, user: &str) -> Fixture {
    Fixture::new(social_tiktok::NAME)
        .endpoint("api_url", "")
        .token("POST", "/v2/oauth/token/", token)
        .api("GET", "/v2/user/info/", user)
}

/// One login over `fixture`'s answers.
async fn login(fixture: &Fixture) -> (Harness, social_core::Result<Outcome>) {
    let h = Harness::new(Arc::new(social_tiktok::backend()), fixture).await;
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    let outcome = h.login().await;
    (h, outcome)
}

/// A logged-in account over the fixtures, the server reset afterwards.
async fn account(h: &Harness) -> SocialAccount {
    let fixture = fixture();
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    let account = logged_in(h.login().await).account.expect("an account");
    h.server.reset().await;
    account
}

/// The requests the fake TikTok received at `path`.
async fn sent_to(h: &Harness, path: &str) -> Vec<Request> {
    let requests = h.server.received_requests().await.unwrap_or_default();
    requests
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

/// The error of `outcome`, as text.
fn details<T>(outcome: &social_core::Result<T>) -> String {
    outcome
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[tokio::test]
async fn the_authorize_url_names_the_client_key_and_joins_scopes_with_commas() {
    let settings = settings_from(
        "",
        &[
            ("SOCIAL_AUTH_TIKTOK_KEY", "awq8xz1ytk3v5b7n"),
            ("SOCIAL_AUTH_TIKTOK_SECRET", "s"),
            ("SOCIAL_AUTH_TIKTOK_EXTRA_SCOPE", "user.info.profile"),
        ],
    );
    let (auth, _) = social_testkit::social_auth(social_tiktok::backend(), settings, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let flow = auth
        .begin(
            &MemoryStrategy::new("http://testserver"),
            social_tiktok::NAME,
        )
        .await
        .unwrap_or_else(|e| panic!("begin failed: {e}"));
    let url = flow.redirect_url().unwrap_or_default().to_owned();
    assert!(
        url.starts_with("https://www.tiktok.com/v2/auth/authorize/?client_key=awq8xz1ytk3v5b7n&"),
        "{url}"
    );
    assert_eq!(
        query_param(&url, "scope").as_deref(),
        Some("user.info.basic,user.info.profile")
    );
    assert_eq!(query_param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(query_param(&url, "client_id"), None);
    assert_eq!(
        query_param(&url, "code_challenge"),
        None,
        "Login Kit for the web takes no PKCE"
    );
}

#[tokio::test]
async fn the_code_is_exchanged_with_the_client_key_and_secret_in_the_form() {
    let (h, outcome) = login(&fixture()).await;
    logged_in(outcome);
    let sent = sent_to(&h, "/v2/oauth/token/").await;
    let [request] = sent.as_slice() else {
        panic!("one token request, got {}", sent.len())
    };
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(
        form(request),
        fields(&[
            ("client_key", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", "test-code"),
            ("grant_type", "authorization_code"),
            ("redirect_uri", "http://testserver/complete/tiktok/"),
        ])
    );
}

#[tokio::test]
async fn an_oauth_error_from_the_token_endpoint_refuses_the_login_even_with_status_200() {
    let error = r#"{"error":"invalid_grant","error_description":"Authorization code is expired.","log_id":"202603140815230A1B2C3D4E5F6A7B8C9D"}"#;
    for status in [200, 400] {
        let fixture = fixture();
        let h = Harness::new(Arc::new(social_tiktok::backend()), &fixture).await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/v2/oauth/token/"))
            .respond_with(ResponseTemplate::new(status).set_body_raw(error, "application/json"))
            .mount(&h.server)
            .await;
        h.mount_apis(&fixture).await;
        let outcome = h.login().await;
        let text = details(&outcome);
        assert!(text.contains("invalid_grant"), "{status}: {text}");
        expect_kind("token error", outcome, ErrorKind::TokenError);
        h.assert_nothing_written("token error");
        assert!(sent_to(&h, "/v2/user/info/").await.is_empty());
    }
}

#[tokio::test]
async fn the_user_call_asks_for_the_fields_with_a_bearer_token_and_open_id_is_the_uid() {
    let (h, outcome) = login(&fixture()).await;
    let done = logged_in(outcome);
    let sent = sent_to(&h, "/v2/user/info/").await;
    let [request] = sent.as_slice() else {
        panic!("one user call, got {}", sent.len())
    };
    assert_eq!(
        request.url.query(),
        Some("fields=open_id,union_id,avatar_url,display_name")
    );
    assert_eq!(
        request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {ACCESS}").as_str())
    );
    let account = done.account.expect("an account");
    assert_eq!(account.uid, OPEN_ID);
    assert_eq!(done.user.email, None, "TikTok gives no e-mail address");
    assert_eq!(
        account.extra_data.get("refresh_expires_in"),
        Some(&json!(31_536_000))
    );
}

#[tokio::test]
async fn an_error_code_other_than_ok_in_the_user_answer_refuses_the_login() {
    // Both with status 200: the error object decides.
    for body in [
        r#"{"data":{},"error":{"code":"scope_not_authorized","message":"The user did not authorize the scope required for completing this request.","log_id":"20260314A"}}"#,
        r#"{"data":{"user":{"open_id":"723f24d7-e717-40f8-a2b6-cb8464cd23b4"}},"error":{"code":"internal_error","message":"Something went wrong.","log_id":"20260314B"}}"#,
    ] {
        let fixture = answering(TOKEN, body);
        let (h, outcome) = login(&fixture).await;
        let text = details(&outcome);
        assert!(text.contains("TikTok refused"), "{text}");
        expect_kind(body, outcome, ErrorKind::ProviderRejected);
        h.assert_nothing_written(body);
    }
    // No error object at all is not the documented answer.
    let fixture = answering(
        TOKEN,
        &json!({"data": {"user": {"open_id": OPEN_ID}}}).to_string(),
    );
    let (h, outcome) = login(&fixture).await;
    expect_kind("no error object", outcome, ErrorKind::InvalidResponse);
    h.assert_nothing_written("no error object");
}

#[tokio::test]
async fn a_user_whose_open_id_is_not_the_token_answers_is_refused() {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    user["data"]["user"]["open_id"] = json!("0b6c4f63-2d1e-4a7b-9f08-a1c2e3d4f5a6");
    let (h, outcome) = login(&answering(TOKEN, &user.to_string())).await;
    let text = details(&outcome);
    assert!(text.contains("open_id"), "{text}");
    expect_kind("another open_id", outcome, ErrorKind::InvalidResponse);
    h.assert_nothing_written("another open_id");

    let mut token: Value = serde_json::from_str(TOKEN).unwrap_or_default();
    if let Some(token) = token.as_object_mut() {
        token.remove("open_id");
    }
    let (h, outcome) = login(&answering(&token.to_string(), USER)).await;
    expect_kind("token without open_id", outcome, ErrorKind::InvalidResponse);
    h.assert_nothing_written("token without open_id");
}

#[tokio::test]
async fn revocation_posts_the_client_key_secret_and_token_and_fails_on_an_oauth_error() {
    let fixture = fixture();
    let h = Harness::new(Arc::new(social_tiktok::backend()), &fixture).await;
    let account = account(&h).await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/v2/oauth/revoke/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/json"))
        .expect(1)
        .mount(&h.server)
        .await;
    h.auth
        .revoke_token(&account)
        .await
        .unwrap_or_else(|e| panic!("revoke failed: {e}"));
    let sent = sent_to(&h, "/v2/oauth/revoke/").await;
    let [request] = sent.as_slice() else {
        panic!("one revocation, got {}", sent.len())
    };
    assert_eq!(
        form(request),
        fields(&[
            ("client_key", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("token", ACCESS),
        ])
    );

    h.server.reset().await;
    let refused = r#"{"error":"invalid_request","error_description":"The token is invalid.","log_id":"20260314C"}"#;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/v2/oauth/revoke/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(refused, "application/json"))
        .mount(&h.server)
        .await;
    let outcome = h.auth.revoke_token(&account).await;
    let text = details(&outcome);
    assert!(text.contains("invalid_request"), "{text}");
    expect_kind("revocation refused", outcome, ErrorKind::TokenError);
}

#[tokio::test]
async fn refresh_sends_the_client_key_and_keeps_the_rotated_refresh_token() {
    let fixture = fixture();
    let h = Harness::new(Arc::new(social_tiktok::backend()), &fixture).await;
    let account = account(&h).await;
    let refreshed = r#"{"access_token":"act.tiktok-access-refreshed-77e1","expires_in":86400,"open_id":"723f24d7-e717-40f8-a2b6-cb8464cd23b4","refresh_expires_in":31535000,"refresh_token":"rft.tiktok-refresh-rotated-31c5","scope":"user.info.basic","token_type":"Bearer"}"#;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/v2/oauth/token/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(refreshed, "application/json"))
        .expect(1)
        .mount(&h.server)
        .await;
    let account = h
        .auth
        .refresh_token(&account)
        .await
        .unwrap_or_else(|e| panic!("refresh failed: {e}"));
    let sent = sent_to(&h, "/v2/oauth/token/").await;
    let [request] = sent.as_slice() else {
        panic!("one refresh, got {}", sent.len())
    };
    assert_eq!(
        form(request),
        fields(&[
            ("client_key", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("grant_type", "refresh_token"),
            ("refresh_token", REFRESH),
        ])
    );
    let stored = h
        .storage
        .social_account_by_id(account.id)
        .await
        .ok()
        .flatten()
        .and_then(|a| a.tokens())
        .expect("tokens stored");
    assert_eq!(
        stored.access_token.secret(),
        "act.tiktok-access-refreshed-77e1"
    );
    assert_eq!(
        stored.refresh_token.as_ref().map(Secret::secret),
        Some("rft.tiktok-refresh-rotated-31c5"),
        "TikTok rotates refresh tokens"
    );
}
