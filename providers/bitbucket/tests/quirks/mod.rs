//! Bitbucket's own quirks: HTTP Basic client authentication (refresh too), the e-mail address
//! from a second call (primary and confirmed first, pages followed on Bitbucket's origin
//! only), a failing second call failing the login, `VERIFIED_EMAILS_ONLY`.

use std::sync::Arc;

use social_core::{ErrorKind, Outcome, Value, serde_json};
use social_testkit::{
    provider::{Fixture, Harness, expect_kind},
    wiremock::{Mock, Request, ResponseTemplate, matchers},
};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const EMAILS: &str = social_testkit::fixture!("emails.json");
/// The access token of `token.json`.
const ACCESS: &str = "fake-bitbucket-access-6f0e2d9c41b7a853";
const REFRESH: &str = "fake-bitbucket-refresh-2b9d1c7e";
/// The suite's client (`test-client-id:test-client-secret`) as HTTP Basic credentials.
const BASIC: &str = "Basic dGVzdC1jbGllbnQtaWQ6dGVzdC1jbGllbnQtc2VjcmV0";

fn edited(text: &str, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut value: Value = serde_json::from_str(text).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        change(object);
    }
    value.to_string()
}

/// An address list of one page holding `addresses`.
fn page(addresses: Value) -> String {
    serde_json::json!({"pagelen": 10, "values": addresses, "page": 1, "size": 1}).to_string()
}

fn fixture_with(user: &str, emails: &str) -> Fixture {
    Fixture::new(social_bitbucket::NAME)
        .token("POST", "/site/oauth2/access_token", TOKEN)
        .endpoint("api_url", "/2.0")
        .api("GET", "/2.0/user", user)
        .api("GET", "/2.0/user/emails", emails)
}

async fn harness(fixture: &Fixture) -> Harness {
    let h = Harness::new(Arc::new(social_bitbucket::backend()), fixture).await;
    h.mount_token(fixture, 1).await;
    h
}

/// A login over `user` and `emails`.
async fn log_in(fixture: &Fixture) -> (Harness, social_core::Login) {
    let h = harness(fixture).await;
    h.mount_apis(fixture).await;
    let login = social_testkit::logged_in(h.login().await);
    (h, login)
}

async fn sent_to(h: &Harness, path: &str) -> Vec<Request> {
    let requests = h.server.received_requests().await.unwrap_or_default();
    requests
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

#[test]
fn both_calls_carry_the_token_and_the_confirmed_primary_address_wins() {
    social_testkit::run(async {
        let (h, login) = log_in(&fixture_with(USER, EMAILS)).await;
        assert_eq!(login.user.email.as_deref(), Some("ada@example.com"));
        assert!(login.user.email_verified);
        assert_eq!(login.user.username, "ada-example");
        assert_eq!(
            login.account.map(|a| a.uid).as_deref(),
            Some("{0f6b1d3e-9a5c-4e27-8b41-3c2d5e7f9a10}")
        );
        for path in ["/2.0/user", "/2.0/user/emails"] {
            let calls = sent_to(&h, path).await;
            assert_eq!(calls.len(), 1, "{path}: one call");
            assert_eq!(
                header(&calls[0], "authorization"),
                Some(format!("Bearer {ACCESS}").as_str()),
                "{path}: bearer token"
            );
            assert_eq!(calls[0].url.query(), None, "{path}: no token in the URL");
        }
        let token = sent_to(&h, "/site/oauth2/access_token").await;
        assert_eq!(
            token.first().and_then(|r| header(r, "authorization")),
            Some(BASIC)
        );
    });
}

#[test]
fn without_a_confirmed_address_the_primary_one_is_kept_unverified() {
    social_testkit::run(async {
        let unconfirmed = page(serde_json::json!([
            {"is_primary": false, "is_confirmed": false, "type": "email", "email": "ada@work.example.com"},
            {"is_primary": true, "is_confirmed": false, "type": "email", "email": "ada@example.com"}
        ]));
        let (_, login) = log_in(&fixture_with(USER, &unconfirmed)).await;
        assert_eq!(login.user.email.as_deref(), Some("ada@example.com"));
        assert!(!login.user.email_verified, "not confirmed, not verified");

        // A confirmed address beats an unconfirmed primary one.
        let mixed = page(serde_json::json!([
            {"is_primary": true, "is_confirmed": false, "type": "email", "email": "ada@new.example.com"},
            {"is_primary": false, "is_confirmed": true, "type": "email", "email": "ada@example.com"}
        ]));
        let (_, login) = log_in(&fixture_with(USER, &mixed)).await;
        assert_eq!(login.user.email.as_deref(), Some("ada@example.com"));
        assert!(login.user.email_verified);

        // No address at all.
        let (_, login) = log_in(&fixture_with(USER, &page(serde_json::json!([])))).await;
        assert_eq!(login.user.email, None);
        assert!(!login.user.email_verified);
    });
}

#[test]
fn verified_emails_only_refuses_an_account_without_a_confirmed_address() {
    social_testkit::run(async {
        let unconfirmed = page(serde_json::json!([
            {"is_primary": true, "is_confirmed": false, "type": "email", "email": "ada@example.com"}
        ]));
        let fixture = fixture_with(USER, &unconfirmed).option("verified_emails_only", "true");
        let h = harness(&fixture).await;
        h.mount_apis(&fixture).await;
        expect_kind(
            "no confirmed address",
            h.login().await,
            ErrorKind::Forbidden,
        );
        h.assert_nothing_written("no confirmed address");

        let fixture = fixture_with(USER, EMAILS).option("verified_emails_only", "true");
        let (_, login) = log_in(&fixture).await;
        assert!(login.user.email_verified, "a confirmed address passes");
    });
}

#[test]
fn a_failing_address_call_fails_the_login_and_writes_nothing() {
    social_testkit::run(async {
        for (case, response, kind, said) in [
            (
                "no Email permission (403)",
                ResponseTemplate::new(403).set_body_raw(
                    r#"{"type":"error","error":{"message":"Your credentials lack one or more required privilege scopes.","detail":{"granted":["account"],"required":["email"]}}}"#,
                    "application/json",
                ),
                ErrorKind::ProviderRejected,
                "Email permission",
            ),
            (
                "rate limited (429)",
                ResponseTemplate::new(429).set_body_raw("Rate limit for this resource has been exceeded", "text/plain"),
                ErrorKind::ProviderUnavailable,
                "429",
            ),
            (
                "server error (500)",
                ResponseTemplate::new(500),
                ErrorKind::ProviderUnavailable,
                "500",
            ),
            (
                "no `values`",
                ResponseTemplate::new(200).set_body_raw(r#"{"pagelen":10,"page":1}"#, "application/json"),
                ErrorKind::InvalidResponse,
                "values",
            ),
            (
                "not JSON",
                ResponseTemplate::new(200).set_body_raw("<html>", "text/html"),
                ErrorKind::InvalidResponse,
                "JSON",
            ),
        ] {
            let fixture = fixture_with(USER, EMAILS);
            let h = harness(&fixture).await;
            Mock::given(matchers::path("/2.0/user"))
                .respond_with(ResponseTemplate::new(200).set_body_raw(USER, "application/json"))
                .mount(&h.server)
                .await;
            Mock::given(matchers::path("/2.0/user/emails"))
                .respond_with(response)
                .mount(&h.server)
                .await;
            match h.login().await {
                Err(e) => {
                    assert_eq!(e.kind(), kind, "{case}: {e}");
                    assert!(e.to_string().contains(said), "{case}: {e}");
                }
                other => panic!("{case}: expected {kind}, got {other:?}"),
            }
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn address_pages_are_followed_on_bitbucket_only() {
    social_testkit::run(async {
        let fixture = fixture_with(USER, EMAILS);
        let h = harness(&fixture).await;
        Mock::given(matchers::path("/2.0/user"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(USER, "application/json"))
            .mount(&h.server)
            .await;
        let first = serde_json::json!({
            "pagelen": 1,
            "values": [{"is_primary": false, "is_confirmed": false, "type": "email", "email": "ada@old.example.com"}],
            "page": 1,
            "size": 2,
            "next": format!("{}/2.0/user/emails?page=2", h.server.uri()),
        });
        let second = serde_json::json!({
            "pagelen": 1,
            "values": [{"is_primary": true, "is_confirmed": true, "type": "email", "email": "ada@example.com"}],
            "page": 2,
            "size": 2,
            // Elsewhere: never followed.
            "next": "https://collector.example/2.0/user/emails?page=3",
        });
        Mock::given(matchers::path("/2.0/user/emails"))
            .and(matchers::query_param_is_missing("page"))
            .respond_with(ResponseTemplate::new(200).set_body_json(first))
            .expect(1)
            .mount(&h.server)
            .await;
        Mock::given(matchers::path("/2.0/user/emails"))
            .and(matchers::query_param("page", "2"))
            .and(matchers::header(
                "authorization",
                format!("Bearer {ACCESS}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(second))
            .expect(1)
            .mount(&h.server)
            .await;
        match h.login().await {
            Ok(Outcome::LoggedIn(login)) => {
                assert_eq!(login.user.email.as_deref(), Some("ada@example.com"));
                assert!(login.user.email_verified);
            }
            other => panic!("login failed: {other:?}"),
        }
        assert_eq!(sent_to(&h, "/2.0/user/emails").await.len(), 2);
    });
}

#[test]
fn the_nickname_serves_when_bitbucket_gives_no_username() {
    social_testkit::run(async {
        let user = edited(USER, |u| {
            u.remove("username");
            u.insert("nickname".into(), "ada_e".into());
        });
        let (_, login) = log_in(&fixture_with(&user, EMAILS)).await;
        assert_eq!(login.user.username, "ada_e");
    });
}

#[test]
fn a_user_without_uuid_is_refused() {
    social_testkit::run(async {
        for (case, user) in [
            (
                "no uuid",
                edited(USER, |u| {
                    u.remove("uuid");
                }),
            ),
            (
                "uuid of the wrong type",
                edited(USER, |u| {
                    u.insert("uuid".into(), serde_json::json!(["{0f6b1d3e}"]));
                }),
            ),
        ] {
            let fixture = fixture_with(&user, EMAILS);
            let h = harness(&fixture).await;
            h.mount_apis(&fixture).await;
            expect_kind(case, h.login().await, ErrorKind::InvalidResponse);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn refresh_authenticates_the_client_with_http_basic() {
    social_testkit::run(async {
        let (h, login) = log_in(&fixture_with(USER, EMAILS)).await;
        let account = login.account.expect("an account");
        h.server.reset().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/site/oauth2/access_token"))
            .and(matchers::header("authorization", BASIC))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                r#"{"access_token":"fake-bitbucket-access-2","scopes":"account email","expires_in":7200,"refresh_token":"fake-bitbucket-refresh-3","token_type":"bearer"}"#,
                "application/json",
            ))
            .expect(1)
            .mount(&h.server)
            .await;
        let refreshed = h.auth.refresh_token(&account).await.expect("refreshed");
        let tokens = refreshed.tokens().expect("tokens");
        assert_eq!(tokens.access_token.secret(), "fake-bitbucket-access-2");
        assert_eq!(
            tokens.refresh_token.as_ref().map(|t| t.secret()),
            Some("fake-bitbucket-refresh-3")
        );
        let calls = sent_to(&h, "/site/oauth2/access_token").await;
        let body = calls
            .first()
            .map(|c| String::from_utf8_lossy(&c.body).into_owned())
            .unwrap_or_default();
        assert_eq!(
            body,
            format!("grant_type=refresh_token&refresh_token={REFRESH}"),
            "no client secret in the body"
        );
    });
}

#[test]
fn no_pkce_and_no_scope_argument() {
    social_testkit::run(async {
        let fixture = fixture_with(USER, EMAILS);
        let h = Harness::new(Arc::new(social_bitbucket::backend()), &fixture).await;
        let (_, url) = h.begin().await;
        let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        assert_eq!(
            names,
            ["client_id", "redirect_uri", "response_type", "state"],
            "the consumer's permissions apply: {url}"
        );
    });
}

#[test]
fn the_address_call_timing_out_is_a_time_out() {
    social_testkit::run(async {
        let fixture = fixture_with(USER, EMAILS);
        let h = harness(&fixture).await;
        Mock::given(matchers::path("/2.0/user"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(USER, "application/json"))
            .mount(&h.server)
            .await;
        Mock::given(matchers::path("/2.0/user/emails"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(EMAILS, "application/json")
                    .set_delay(std::time::Duration::from_secs(4)),
            )
            .mount(&h.server)
            .await;
        expect_kind("address call time-out", h.login().await, ErrorKind::Timeout);
        h.assert_nothing_written("address call time-out");
    });
}
