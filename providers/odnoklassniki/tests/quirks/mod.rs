//! OK's own behaviour. `odnoklassniki-oauth2`: the user call signed with
//! `md5(access_token + secret)`, the application key it needs, OK's errors in a 200 answer,
//! `;`-joined scopes, URL-encoded names. `odnoklassniki-app` (in `app`): the iframe login.

mod app;

use std::sync::Arc;

use md5::{Digest, Md5};
use social_core::serde_json::{self, Value, json};
use social_core::{ErrorKind, Outcome};
use social_testkit::provider::{CLIENT_SECRET, Fixture, Harness, expect_kind};
use social_testkit::wiremock::{Mock, ResponseTemplate, matchers};

use super::APPLICATION_KEY;

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const ACCESS: &str = "ok-access-9f8e7d6c5b4a3210";

/// The session secret key of the fixture's token, worked out by hand:
/// `md5("ok-access-9f8e7d6c5b4a3210" + "test-client-secret")` (`md5sum` of that text).
const SECRET_KEY: &str = "5d26bac916482537efdcba6adbe8b7e2";

/// The signature of the fixture's `users.getCurrentUser` call, worked out by hand:
/// `md5("application_key=CBAFEDCBA1234567" + "format=json" + "method=users.getCurrentUser"
///      + SECRET_KEY)` — the access token itself is left out (`md5sum` of that text).
const EXPECTED_SIG: &str = "93ff0c762b1265002ad74a51d7b7e379";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fake OK answering `body` (status `status`, extra `headers`) to `fb.do`, but only when
/// the call carries the signature `sig`; anything else gets OK's wrong-signature error.
async fn ok_api(status: u16, body: &str, headers: &[(&str, &str)], sig: &str) -> Harness {
    let fixture = Fixture::new(social_odnoklassniki::NAME)
        .endpoint("api_url", "")
        .option("application_key", APPLICATION_KEY)
        .token("POST", "/oauth/token.do", TOKEN);
    let h = Harness::new(Arc::new(social_odnoklassniki::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    let mut answer =
        ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json");
    for (name, value) in headers {
        answer = answer.insert_header(*name, *value);
    }
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/fb.do"))
        .and(matchers::query_param("sig", sig))
        .respond_with(answer)
        .with_priority(1)
        .mount(&h.server)
        .await;
    Mock::given(matchers::path("/fb.do"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"error_code":104,"error_msg":"PARAM_SIGNATURE : Invalid signature","error_data":null}"#,
            "application/json",
        ))
        .with_priority(2)
        .mount(&h.server)
        .await;
    h
}

/// The fixture user with `change` applied to its JSON.
fn user_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(object) = user.as_object_mut() {
        change(object);
    }
    user.to_string()
}

async fn login_as(user: &str) -> social_core::Login {
    let h = ok_api(200, user, &[], EXPECTED_SIG).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

#[test]
fn the_user_call_is_signed_with_the_session_secret_key_as_documented() {
    // The same values again, built another way than the backend builds them.
    let secret_key = hex(&Md5::digest(format!("{ACCESS}{CLIENT_SECRET}").as_bytes()));
    assert_eq!(secret_key, SECRET_KEY);
    let mut text = String::new();
    text.push_str("application_key=");
    text.push_str(APPLICATION_KEY);
    text.push_str("format=json");
    text.push_str("method=users.getCurrentUser");
    text.push_str(&secret_key);
    assert_eq!(hex(&Md5::digest(text.as_bytes())), EXPECTED_SIG);

    social_testkit::run(async {
        let h = ok_api(200, USER, &[], EXPECTED_SIG).await;
        let outcome = h.login().await;
        assert!(matches!(outcome, Ok(Outcome::LoggedIn(_))), "{outcome:?}");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let call = requests
            .iter()
            .find(|r| r.url.path() == "/fb.do")
            .expect("a fb.do call");
        assert_eq!(call.method.as_str(), "GET");
        let mut sent: Vec<(String, String)> = call.url.query_pairs().into_owned().collect();
        sent.sort();
        assert_eq!(
            sent,
            [
                ("access_token", ACCESS),
                ("application_key", APPLICATION_KEY),
                ("format", "json"),
                ("method", "users.getCurrentUser"),
                ("sig", EXPECTED_SIG),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert!(call.headers.get("authorization").is_none());
    });
}

#[test]
fn a_signature_one_byte_off_is_refused_by_ok_and_nothing_is_written() {
    social_testkit::run(async {
        let off = format!("{}8", &EXPECTED_SIG[..EXPECTED_SIG.len() - 1]);
        assert_ne!(off, EXPECTED_SIG);
        let h = ok_api(200, USER, &[], &off).await;
        expect_kind(
            "wrong signature",
            h.login().await,
            ErrorKind::ProviderRejected,
        );
        h.assert_nothing_written("wrong signature");
    });
}

#[test]
fn ok_errors_in_a_200_answer_get_the_kind_their_code_says() {
    social_testkit::run(async {
        let error = |code: i64, msg: &str| {
            json!({"error_code": code, "error_msg": msg, "error_data": null}).to_string()
        };
        for (case, status, body, headers, kind) in [
            (
                "session expired",
                200,
                error(102, "PARAM_SESSION_EXPIRED : Session expired"),
                vec![],
                ErrorKind::TokenError,
            ),
            (
                "invalid session key",
                200,
                error(103, "PARAM_SESSION_KEY : Invalid session key"),
                vec![],
                ErrorKind::TokenError,
            ),
            (
                "permission denied",
                200,
                error(10, "PERMISSION_DENIED : User must grant VALUABLE_ACCESS"),
                vec![],
                ErrorKind::Forbidden,
            ),
            (
                "service unavailable",
                200,
                error(2, "SERVICE : Service temporarily unavailable"),
                vec![],
                ErrorKind::ProviderUnavailable,
            ),
            (
                "flood",
                200,
                error(8, "FLOOD_BLOCKED : Flood"),
                vec![],
                ErrorKind::ProviderUnavailable,
            ),
            (
                "limit reached",
                200,
                error(11, "LIMIT_REACHED : Limit reached"),
                vec![],
                ErrorKind::ProviderUnavailable,
            ),
            (
                "bad application key",
                200,
                error(101, "PARAM_API_KEY : Application key is invalid"),
                vec![],
                ErrorKind::ProviderRejected,
            ),
            (
                "code as text",
                200,
                json!({"error_code": "102", "error_msg": "expired"}).to_string(),
                vec![],
                ErrorKind::TokenError,
            ),
            (
                "code in the invocation-error header only",
                200,
                "<error/>".to_owned(),
                vec![("invocation-error", "102")],
                ErrorKind::TokenError,
            ),
            (
                "error with a 400",
                400,
                error(100, "PARAM : Missing required parameter"),
                vec![],
                ErrorKind::ProviderRejected,
            ),
            (
                "500",
                500,
                String::new(),
                vec![],
                ErrorKind::ProviderUnavailable,
            ),
            (
                "not JSON",
                200,
                "<html/>".to_owned(),
                vec![],
                ErrorKind::InvalidResponse,
            ),
            (
                "a list",
                200,
                "[]".to_owned(),
                vec![],
                ErrorKind::InvalidResponse,
            ),
        ] {
            let h = ok_api(status, &body, &headers, EXPECTED_SIG).await;
            expect_kind(case, h.login().await, kind);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn the_uid_is_uid_and_stands_for_the_username_and_names_are_decoded() {
    social_testkit::run(async {
        let login = login_as(USER).await;
        assert_eq!(
            login.account.as_ref().map(|a| a.uid.as_str()),
            Some("571234567890")
        );
        assert_eq!(login.user.username, "571234567890");
        assert_eq!(login.user.fullname.as_deref(), Some("Ольга Иванова"));
        assert_eq!(
            login.user.email.as_deref(),
            Some("olga.ivanova@example.com")
        );
        assert!(!login.user.email_verified, "OK does not vouch for it");

        let encoded = login_as(&user_with(|u| {
            u.insert("name".into(), json!("%D0%9E%D0%BB%D1%8C%D0%B3%D0%B0%20I."));
            u.insert("first_name".into(), json!("%D0%9E%D0%BB%D1%8C%D0%B3%D0%B0"));
            u.insert("last_name".into(), json!("I."));
        }))
        .await;
        assert_eq!(encoded.user.fullname.as_deref(), Some("Ольга I."));
        assert_eq!(encoded.user.first_name.as_deref(), Some("Ольга"));

        for (case, user) in [
            (
                "no uid",
                user_with(|u| {
                    u.remove("uid");
                }),
            ),
            (
                "uid of the wrong type",
                user_with(|u| {
                    u.insert("uid".into(), json!(null));
                }),
            ),
        ] {
            let h = ok_api(200, &user, &[], EXPECTED_SIG).await;
            expect_kind(case, h.login().await, ErrorKind::InvalidResponse);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn the_application_key_is_required_at_start_up() {
    let settings = social_testkit::settings_from(
        "",
        &[
            ("SOCIAL_AUTH_ODNOKLASSNIKI_OAUTH2_KEY", "k"),
            ("SOCIAL_AUTH_ODNOKLASSNIKI_OAUTH2_SECRET", "s"),
        ],
    );
    let error = social_testkit::social_auth(social_odnoklassniki::backend(), settings, None)
        .expect_err("refused");
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(
        error
            .details()
            .contains("SOCIAL_AUTH_ODNOKLASSNIKI_OAUTH2_APPLICATION_KEY"),
        "{error}"
    );
}

#[test]
fn scopes_are_joined_with_semicolons_and_no_pkce_is_sent() {
    social_testkit::run(async {
        let settings = social_testkit::settings_from(
            "",
            &[
                ("SOCIAL_AUTH_ODNOKLASSNIKI_OAUTH2_KEY", "k"),
                ("SOCIAL_AUTH_ODNOKLASSNIKI_OAUTH2_SECRET", "s"),
                (
                    "SOCIAL_AUTH_ODNOKLASSNIKI_OAUTH2_APPLICATION_KEY",
                    APPLICATION_KEY,
                ),
                ("SOCIAL_AUTH_ODNOKLASSNIKI_OAUTH2_EXTRA_SCOPE", "GET_EMAIL"),
            ],
        );
        let (auth, _) =
            social_testkit::social_auth(social_odnoklassniki::backend(), settings, None)
                .expect("builds");
        let flow = auth
            .begin(
                &social_core::MemoryStrategy::new("https://site.example"),
                social_odnoklassniki::NAME,
            )
            .await
            .expect("a redirect");
        let url = flow.redirect_url().unwrap_or_default().to_owned();
        assert!(
            url.starts_with("https://connect.ok.ru/oauth/authorize?"),
            "{url}"
        );
        assert_eq!(
            social_testkit::query_param(&url, "scope").as_deref(),
            Some("VALUABLE_ACCESS;GET_EMAIL")
        );
        assert_eq!(social_testkit::query_param(&url, "code_challenge"), None);
    });
}

#[test]
fn an_api_that_does_not_answer_in_time_is_a_time_out() {
    social_testkit::run(async {
        let fixture = Fixture::new(social_odnoklassniki::NAME)
            .endpoint("api_url", "")
            .option("application_key", APPLICATION_KEY)
            .token("POST", "/oauth/token.do", TOKEN);
        let h = Harness::new(Arc::new(social_odnoklassniki::backend()), &fixture).await;
        h.mount_token(&fixture, 1).await;
        Mock::given(matchers::path("/fb.do"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(USER, "application/json")
                    .set_delay(std::time::Duration::from_secs(4)),
            )
            .mount(&h.server)
            .await;
        expect_kind("time-out", h.login().await, ErrorKind::Timeout);
        h.assert_nothing_written("time-out");
    });
}
