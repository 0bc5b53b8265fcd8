//! Dropbox's own quirks: the user call is a POST without a body, refresh tokens come only with
//! `token_access_type=offline` (asked for by default), the e-mail is verified as the account
//! says, revocation is a call made with the token itself, rate limits are not refusals.

use std::sync::Arc;

use social_core::{ErrorKind, Outcome, Value, serde_json};
use social_testkit::{
    provider::{Fixture, Harness, expect_kind},
    wiremock::{Mock, Request, ResponseTemplate, matchers},
};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
/// The access token of `token.json`.
const ACCESS: &str = "sl.u.fake-dropbox-access-7d1c5e0b9a";
const ACCOUNT: &str = "dbid:AAFakeAccount0123456789abcdefghijklm";
const USER_PATH: &str = "/2/users/get_current_account";
const REVOKE_PATH: &str = "/2/auth/token/revoke";

fn edited(text: &str, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut value: Value = serde_json::from_str(text).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        change(object);
    }
    value.to_string()
}

fn fixture_with(user: &str) -> Fixture {
    Fixture::new(social_dropbox::NAME)
        .endpoint("api_url", "")
        .token("POST", "/oauth2/token", TOKEN)
        .api("POST", USER_PATH, user)
        .revoke("POST", REVOKE_PATH, 200)
}

/// A fake Dropbox whose token endpoint answers; the user call is left to the test.
async fn dropbox() -> Harness {
    let fixture = fixture_with(USER);
    let h = Harness::new(Arc::new(social_dropbox::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    h
}

async fn user_answers(h: &Harness, response: ResponseTemplate) {
    Mock::given(matchers::method("POST"))
        .and(matchers::path(USER_PATH))
        .respond_with(response)
        .mount(&h.server)
        .await;
}

fn json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/json")
}

async fn sent_to(h: &Harness, path: &str) -> Vec<Request> {
    let requests = h.server.received_requests().await.unwrap_or_default();
    requests
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

/// Asserts that `request` is a bare RPC call: POST, the bearer token, no body, no type.
fn assert_bare_post(request: &Request, what: &str) {
    assert_eq!(request.method.as_str(), "POST", "{what}: method");
    assert_eq!(
        request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {ACCESS}").as_str()),
        "{what}: the token as bearer"
    );
    assert!(
        request.body.is_empty(),
        "{what}: no body (not `null`, not `{{}}`)"
    );
    assert!(
        request.headers.get("content-type").is_none(),
        "{what}: no Content-Type to contradict the empty body"
    );
    assert_eq!(request.url.query(), None, "{what}: nothing in the URL");
}

#[test]
fn the_user_call_is_a_post_without_a_body() {
    social_testkit::run(async {
        let fixture = fixture_with(USER);
        let h = dropbox().await;
        h.mount_apis(&fixture).await;
        let login = social_testkit::logged_in(h.login().await);
        assert_eq!(
            login.account.as_ref().map(|a| a.uid.as_str()),
            Some(ACCOUNT)
        );
        let calls = sent_to(&h, USER_PATH).await;
        let [call] = calls.as_slice() else {
            panic!("one user call, got {}", calls.len())
        };
        assert_bare_post(call, "get_current_account");
        // No username from Dropbox: the local part of the address serves.
        assert_eq!(login.user.username, "franziska");
        assert_eq!(login.user.first_name.as_deref(), Some("Franziska"));
        assert_eq!(login.user.last_name.as_deref(), Some("Beispiel"));
    });
}

#[test]
fn the_email_is_verified_only_when_dropbox_says_so() {
    social_testkit::run(async {
        let h = dropbox().await;
        user_answers(&h, json(200, USER)).await;
        let login = social_testkit::logged_in(h.login().await);
        assert!(login.user.email_verified);

        let h = dropbox().await;
        let unverified = edited(USER, |u| {
            u.insert("email_verified".into(), Value::Bool(false));
        });
        user_answers(&h, json(200, &unverified)).await;
        let login = social_testkit::logged_in(h.login().await);
        assert_eq!(login.user.email.as_deref(), Some("franziska@example.com"));
        assert!(!login.user.email_verified, "an unverified address");
    });
}

#[test]
fn offline_access_is_asked_for_unless_the_settings_say_otherwise() {
    social_testkit::run(async {
        let begin = |toml: &str| {
            let settings = social_testkit::settings_from(toml, &[]);
            async move {
                let (auth, _) =
                    social_testkit::social_auth(social_dropbox::backend(), settings, None)
                        .expect("builds");
                let strategy = social_core::MemoryStrategy::new("http://testserver");
                let flow = auth
                    .begin(&strategy, social_dropbox::NAME)
                    .await
                    .expect("begins");
                flow.redirect_url().unwrap_or_default().to_owned()
            }
        };
        let keys = "[backends.dropbox-oauth2]\nkey = \"k\"\nsecret = \"s\"\n";
        let url = begin(keys).await;
        assert!(
            url.starts_with("https://www.dropbox.com/oauth2/authorize?"),
            "{url}"
        );
        let param = |url: &str, name| social_testkit::query_param(url, name);
        assert_eq!(param(&url, "token_access_type").as_deref(), Some("offline"));
        assert_eq!(
            param(&url, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert_eq!(param(&url, "scope"), None, "the app's permissions apply");
        let online = begin(&format!(
            "{keys}auth_extra_arguments = {{ token_access_type = \"online\" }}\n"
        ))
        .await;
        let sent: Vec<(String, String)> = social_testkit::url::Url::parse(&online)
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let access: Vec<&str> = sent
            .iter()
            .filter(|(k, _)| k == "token_access_type")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(access, ["online"], "replaced, not repeated: {online}");
    });
}

#[test]
fn the_settings_use_the_backend_name_with_an_underscore() {
    let settings = social_testkit::settings_from(
        "",
        &[
            ("SOCIAL_AUTH_DROPBOX_OAUTH2_KEY", "k"),
            ("SOCIAL_AUTH_DROPBOX_OAUTH2_SECRET", "s"),
            (
                "SOCIAL_AUTH_DROPBOX_OAUTH2_API_URL",
                "https://api.dropboxapi.example",
            ),
        ],
    );
    let (auth, _) =
        social_testkit::social_auth(social_dropbox::backend(), settings, None).expect("builds");
    assert!(auth.registry().get("dropbox-oauth2").is_some());
}

#[test]
fn a_disabled_account_may_not_log_in() {
    social_testkit::run(async {
        let h = dropbox().await;
        let disabled = edited(USER, |u| {
            u.insert("disabled".into(), Value::Bool(true));
        });
        user_answers(&h, json(200, &disabled)).await;
        expect_kind("disabled account", h.login().await, ErrorKind::Forbidden);
        h.assert_nothing_written("disabled account");
    });
}

#[test]
fn bad_user_answers_are_refused_and_nothing_is_written() {
    social_testkit::run(async {
        let another = edited(USER, |u| {
            u.insert("account_id".into(), "dbid:AAAnotherAccount".into());
        });
        let no_id = edited(USER, |u| {
            u.remove("account_id");
        });
        let number_id = edited(USER, |u| {
            u.insert("account_id".into(), serde_json::json!({"id": 7}));
        });
        for (case, response, kind) in [
            (
                "rate limited (429)",
                json(
                    429,
                    r#"{"error_summary":"too_many_requests/..","error":{"reason":{".tag":"too_many_requests"},"retry_after":300}}"#,
                )
                .insert_header("retry-after", "300"),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "expired token (401)",
                json(
                    401,
                    r#"{"error_summary":"expired_access_token/...","error":{".tag":"expired_access_token"}}"#,
                ),
                ErrorKind::ProviderRejected,
            ),
            (
                "bad input (400, text)",
                ResponseTemplate::new(400).set_body_raw(
                    "Error in call to API function \"users/get_current_account\": request body: could not decode input as JSON",
                    "text/plain; charset=utf-8",
                ),
                ErrorKind::ProviderRejected,
            ),
            (
                "server error (503)",
                ResponseTemplate::new(503),
                ErrorKind::ProviderUnavailable,
            ),
            ("not an object", json(200, "[]"), ErrorKind::InvalidResponse),
            ("not JSON", json(200, "<html>"), ErrorKind::InvalidResponse),
            ("another account", json(200, &another), ErrorKind::InvalidResponse),
            ("no account id", json(200, &no_id), ErrorKind::InvalidResponse),
            ("an account id of the wrong type", json(200, &number_id), ErrorKind::InvalidResponse),
        ] {
            let h = dropbox().await;
            user_answers(&h, response).await;
            expect_kind(case, h.login().await, kind);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn revocation_is_a_bare_call_with_the_token_itself() {
    social_testkit::run(async {
        let fixture = fixture_with(USER);
        let h = dropbox().await;
        h.mount_apis(&fixture).await;
        let account = match h.login().await {
            Ok(Outcome::LoggedIn(login)) => login.account.expect("an account"),
            other => panic!("login failed: {other:?}"),
        };
        h.server.reset().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path(REVOKE_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_raw("null", "application/json"))
            .expect(1)
            .mount(&h.server)
            .await;
        h.auth.revoke_token(&account).await.expect("revoked");
        let calls = sent_to(&h, REVOKE_PATH).await;
        let [call] = calls.as_slice() else {
            panic!("one revocation, got {}", calls.len())
        };
        assert_bare_post(call, "token/revoke");

        for (case, response, kind) in [
            (
                "token already invalid",
                json(
                    401,
                    r#"{"error_summary":"invalid_access_token/...","error":{".tag":"invalid_access_token"}}"#,
                ),
                ErrorKind::TokenError,
            ),
            (
                "rate limited",
                json(429, "{}"),
                ErrorKind::ProviderUnavailable,
            ),
        ] {
            h.server.reset().await;
            Mock::given(matchers::path(REVOKE_PATH))
                .respond_with(response)
                .mount(&h.server)
                .await;
            expect_kind(case, h.auth.revoke_token(&account).await, kind);
        }
    });
}

#[test]
fn refresh_sends_the_refresh_token_and_the_client_credentials() {
    social_testkit::run(async {
        let fixture = fixture_with(USER);
        let h = dropbox().await;
        h.mount_apis(&fixture).await;
        let account = match h.login().await {
            Ok(Outcome::LoggedIn(login)) => login.account.expect("an account"),
            other => panic!("login failed: {other:?}"),
        };
        h.server.reset().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth2/token"))
            .respond_with(json(
                200,
                r#"{"access_token":"sl.u.fake-refreshed","token_type":"bearer","expires_in":14400}"#,
            ))
            .expect(1)
            .mount(&h.server)
            .await;
        let refreshed = h.auth.refresh_token(&account).await.expect("refreshed");
        let tokens = refreshed.tokens().expect("tokens");
        assert_eq!(tokens.access_token.secret(), "sl.u.fake-refreshed");
        assert_eq!(
            tokens.refresh_token.as_ref().map(|t| t.secret()),
            Some("fake-dropbox-refresh-0c7f3a9e5b21d4"),
            "Dropbox does not rotate refresh tokens: the old one is kept"
        );
        let calls = sent_to(&h, "/oauth2/token").await;
        let form: Vec<(String, String)> = calls
            .first()
            .map(|c| {
                social_testkit::url::form_urlencoded::parse(&c.body)
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let get = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("grant_type"), Some("refresh_token"));
        assert_eq!(
            get("refresh_token"),
            Some("fake-dropbox-refresh-0c7f3a9e5b21d4")
        );
        assert_eq!(get("client_id"), Some(social_testkit::provider::CLIENT_ID));
        assert!(get("client_secret").is_some());
    });
}

#[test]
fn the_user_call_timing_out_is_a_time_out() {
    social_testkit::run(async {
        let h = dropbox().await;
        user_answers(
            &h,
            json(200, USER).set_delay(std::time::Duration::from_secs(4)),
        )
        .await;
        expect_kind("user call time-out", h.login().await, ErrorKind::Timeout);
        h.assert_nothing_written("user call time-out");
    });
}
