//! Yahoo's own behaviour: HTTP Basic client authentication and no PKCE, the uid from the
//! userinfo `sub` with the GUID of the token answer kept, the e-mail trusted only when
//! `email_verified` says so, `nickname` when there is no `preferred_username`, and the
//! userinfo endpoint's documented errors (401 `invalid_token`, 429) ending the login with
//! nothing written.

use std::sync::Arc;

use social_core::{
    ErrorKind, Outcome,
    serde_json::{self, Value, json},
};
use social_testkit::{
    provider::{Fixture, Harness, expect_kind},
    wiremock::{Mock, ResponseTemplate, matchers},
};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");

fn fixture(user: &str) -> Fixture {
    Fixture::new(social_yahoo::NAME)
        .endpoint("authorization_url", "/oauth2/request_auth")
        .token("POST", "/oauth2/get_token", TOKEN)
        .endpoint("api_url", "/openid/v1/userinfo")
        .api("GET", "/openid/v1/userinfo", user)
}

/// The fixture user with `change` applied.
fn user_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(object) = user.as_object_mut() {
        change(object);
    }
    user.to_string()
}

async fn harness(user: &str) -> (Harness, Fixture) {
    let fixture = fixture(user);
    let h = Harness::new(Arc::new(social_yahoo::backend()), &fixture).await;
    (h, fixture)
}

/// A whole login against a fake Yahoo answering `user` at userinfo.
async fn login_as(user: &str) -> (Harness, social_core::Login) {
    let (h, fixture) = harness(user).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(login)) => (h, login),
        other => panic!("login failed: {other:?}"),
    }
}

/// `Basic` and the base64 of `test-client-id:test-client-secret`, the suite's credentials
/// (encoded apart from the code under test, with `base64(1)`).
const BASIC: &str = "Basic dGVzdC1jbGllbnQtaWQ6dGVzdC1jbGllbnQtc2VjcmV0";

#[test]
fn the_client_authenticates_with_http_basic_and_sends_no_pkce() {
    social_testkit::run(async {
        let (h, fixture) = harness(USER).await;
        let (_, url) = h.begin().await;
        let param = |name: &str| social_testkit::provider::param(&url, name);
        assert_eq!(param("scope").as_deref(), Some("openid profile email"));
        assert_eq!(param("response_type").as_deref(), Some("code"));
        assert_eq!(param("code_challenge"), None, "Yahoo documents no PKCE");

        h.mount_token(&fixture, 1).await;
        h.mount_apis(&fixture).await;
        let outcome = h.login().await;
        assert!(matches!(outcome, Ok(Outcome::LoggedIn(_))), "{outcome:?}");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let token = requests
            .iter()
            .find(|r| r.url.path() == "/oauth2/get_token")
            .unwrap_or_else(|| panic!("no token request"));
        assert_eq!(
            token
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
            Some(BASIC),
            "client id and secret as HTTP Basic"
        );
        let form: Vec<(String, String)> = social_testkit::url::form_urlencoded::parse(&token.body)
            .into_owned()
            .collect();
        let names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
        assert!(
            !names.contains(&"client_secret") && !names.contains(&"client_id"),
            "no client credentials in the body: {names:?}"
        );
        assert!(
            names.contains(&"redirect_uri") && names.contains(&"code"),
            "{names:?}"
        );
    });
}

#[test]
fn the_uid_is_sub_and_the_guid_of_the_token_answer_is_kept() {
    social_testkit::run(async {
        let (h, login) = login_as(USER).await;
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        assert_eq!(account.uid, "FSVIDUW3D7FSVIDUW3D72F2F");
        assert_eq!(
            account.extra_data.get("xoauth_yahoo_guid"),
            Some(&json!("JT4FACLQZI2OCE"))
        );
        assert_eq!(login.user.username, "j.doe");
        assert_eq!(h.storage.counts(), (1, 1));
    });
}

#[test]
fn the_email_is_verified_only_when_yahoo_says_so() {
    social_testkit::run(async {
        let (_, verified) = login_as(USER).await;
        assert_eq!(verified.user.email.as_deref(), Some("janedoe@example.com"));
        assert!(verified.user.email_verified);

        let (_, unverified) = login_as(&user_with(|u| {
            u.insert("email_verified".into(), json!(false));
        }))
        .await;
        assert_eq!(
            unverified.user.email.as_deref(),
            Some("janedoe@example.com")
        );
        assert!(!unverified.user.email_verified, "email_verified: false");

        let (_, silent) = login_as(&user_with(|u| {
            u.remove("email_verified");
        }))
        .await;
        assert!(!silent.user.email_verified, "no email_verified claim");
    });
}

#[test]
fn the_nickname_stands_in_for_a_missing_preferred_username() {
    social_testkit::run(async {
        let (_, login) = login_as(&user_with(|u| {
            u.remove("preferred_username");
            u.insert("nickname".into(), json!("janey"));
        }))
        .await;
        assert_eq!(login.user.username, "janey");
    });
}

/// A login whose userinfo call gets `answer`: the error it ends with, nothing written.
async fn refused(case: &str, answer: ResponseTemplate, kind: ErrorKind) {
    let (h, fixture) = harness(USER).await;
    h.mount_token(&fixture, 1).await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/openid/v1/userinfo"))
        .respond_with(answer)
        .mount(&h.server)
        .await;
    expect_kind(case, h.login().await, kind);
    h.assert_nothing_written(case);
}

#[test]
fn userinfo_errors_end_the_login_with_nothing_written() {
    social_testkit::run(async {
        refused(
            "expired access token",
            ResponseTemplate::new(401).insert_header(
                "WWW-Authenticate",
                r#"error="invalid_token", error_description="The Access Token expired""#,
            ),
            ErrorKind::ProviderRejected,
        )
        .await;
        refused(
            "rate limited",
            ResponseTemplate::new(429)
                .insert_header("WWW-Authenticate", r#"error="rate_limit_exceeded""#),
            ErrorKind::ProviderUnavailable,
        )
        .await;
        refused(
            "server error",
            ResponseTemplate::new(503),
            ErrorKind::ProviderUnavailable,
        )
        .await;
    });
}

#[test]
fn bad_userinfo_answers_give_no_user() {
    social_testkit::run(async {
        for (case, body) in [
            ("no sub", user_with(|u| drop(u.remove("sub")))),
            (
                "empty sub",
                user_with(|u| drop(u.insert("sub".into(), json!("")))),
            ),
            (
                "sub of the wrong type",
                user_with(|u| drop(u.insert("sub".into(), json!({"id": 1})))),
            ),
            (
                "an error wrapped in a 200",
                json!({"error": "invalid_token", "error_description": "expired"}).to_string(),
            ),
            (
                "not an object",
                json!(["FSVIDUW3D7FSVIDUW3D72F2F"]).to_string(),
            ),
        ] {
            refused(
                case,
                ResponseTemplate::new(200).set_body_raw(body, "application/json"),
                ErrorKind::InvalidResponse,
            )
            .await;
        }
        refused(
            "malformed JSON",
            ResponseTemplate::new(200).set_body_raw(r#"{"sub": "#, "application/json"),
            ErrorKind::InvalidResponse,
        )
        .await;
    });
}

#[test]
fn refresh_authenticates_with_http_basic_and_keeps_the_refresh_token() {
    social_testkit::run(async {
        let (h, login) = login_as(USER).await;
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        h.server.reset().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth2/get_token"))
            .and(matchers::header("authorization", BASIC))
            .and(matchers::body_string_contains("grant_type=refresh_token"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(
                    json!({"access_token": "yahoo-access-2", "token_type": "bearer",
                       "expires_in": 3600, "xoauth_yahoo_guid": "JT4FACLQZI2OCE"})
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
        let tokens = refreshed.tokens().unwrap_or_else(|| panic!("no tokens"));
        assert_eq!(tokens.access_token.secret(), "yahoo-access-2");
        assert_eq!(
            tokens.refresh_token.as_ref().map(|t| t.secret().to_owned()),
            Some("yahoo-refresh-AOiRUlJn_qOmByVGTmUpwcMKW3XDcipToOoHx2wRoyLg".to_owned()),
            "the refresh token is kept when Yahoo sends none"
        );
    });
}
