//! The legacy connect platform (`mailru-oauth2`): `users.getInfo` signed with the app secret,
//! a list for an answer, errors as an `error` object in a 200, URL-encoded fields.

use std::sync::Arc;

use md5::{Digest, Md5};
use social_core::serde_json::{self, Value, json};
use social_core::{ErrorKind, Outcome};
use social_testkit::provider::{CLIENT_ID, CLIENT_SECRET, Fixture, Harness, expect_kind};
use social_testkit::wiremock::{Mock, ResponseTemplate, matchers};

const TOKEN: &str = social_testkit::fixture!("legacy_token.json");
const USERS: &str = social_testkit::fixture!("legacy_user.json");
const SESSION: &str = "mailru-legacy-session-7f3a9c21";

/// The signature of the fixture's call, worked out by hand from the documented rule:
/// `md5("app_id=test-client-id" + "method=users.getInfo" + "secure=1"
///      + "session_key=mailru-legacy-session-7f3a9c21" + "test-client-secret")`,
/// pairs in alphabetical order of their names; `md5sum` of that text gives this value.
const EXPECTED_SIG: &str = "e261b925ea1bf289f2e74ab12eefb32d";

/// A fake platform answering `body` (status `status`) to `users.getInfo`, but only when the
/// call carries the signature `sig`; anything else gets its wrong-signature error.
async fn platform(status: u16, body: &str, sig: &str) -> Harness {
    let fixture = Fixture::new(social_mailru::LEGACY_NAME)
        .endpoint("api_url", "")
        .token("POST", "/oauth/token", TOKEN);
    let h = Harness::new(Arc::new(social_mailru::legacy()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/platform/api"))
        .and(matchers::query_param("sig", sig))
        .respond_with(
            ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json"),
        )
        .with_priority(1)
        .mount(&h.server)
        .await;
    Mock::given(matchers::path("/platform/api"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"error":{"error_code":104,"error_msg":"Invalid signature"}}"#,
            "application/json",
        ))
        .with_priority(2)
        .mount(&h.server)
        .await;
    h
}

/// The first (only) user of the fixture with `change` applied, as the platform's list.
fn users_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut users: Value = serde_json::from_str(USERS).unwrap_or_default();
    if let Some(user) = users.get_mut(0).and_then(Value::as_object_mut) {
        change(user);
    }
    users.to_string()
}

#[test]
fn the_call_is_signed_as_documented_and_carries_the_token_as_session_key() {
    // The same value again, built another way: the pairs written out in order.
    let mut text = String::new();
    for pair in [
        format!("app_id={CLIENT_ID}"),
        "method=users.getInfo".to_owned(),
        "secure=1".to_owned(),
        format!("session_key={SESSION}"),
    ] {
        text += &pair;
    }
    text += CLIENT_SECRET;
    let computed: String = Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(computed, EXPECTED_SIG);

    social_testkit::run(async {
        let h = platform(200, USERS, EXPECTED_SIG).await;
        let outcome = h.login().await;
        let login = match outcome {
            Ok(Outcome::LoggedIn(login)) => login,
            other => panic!("login failed: {other:?}"),
        };
        assert_eq!(
            login.account.map(|a| a.uid).as_deref(),
            Some("15410773191172635989")
        );
        let requests = h.server.received_requests().await.unwrap_or_default();
        let call = requests
            .iter()
            .find(|r| r.url.path() == "/platform/api")
            .expect("a users.getInfo call");
        let mut sent: Vec<(String, String)> = call.url.query_pairs().into_owned().collect();
        sent.sort();
        assert_eq!(
            sent,
            [
                ("app_id", CLIENT_ID),
                ("method", "users.getInfo"),
                ("secure", "1"),
                ("session_key", SESSION),
                ("sig", EXPECTED_SIG),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        assert!(
            call.headers.get("authorization").is_none(),
            "no token elsewhere"
        );
    });
}

#[test]
fn a_signature_one_byte_off_is_refused_by_the_platform_and_nothing_is_written() {
    social_testkit::run(async {
        // The fake expects a signature differing in its last character: the backend's own,
        // correct one gets the platform's error object in a 200.
        let off = format!("{}e", &EXPECTED_SIG[..EXPECTED_SIG.len() - 1]);
        assert_ne!(off, EXPECTED_SIG);
        let h = platform(200, USERS, &off).await;
        expect_kind(
            "wrong signature",
            h.login().await,
            ErrorKind::ProviderRejected,
        );
        h.assert_nothing_written("wrong signature");
    });
}

#[test]
fn errors_and_bad_answers_are_refused_and_nothing_is_written() {
    social_testkit::run(async {
        for (case, status, body, kind) in [
            (
                "error object in a 200",
                200,
                json!({"error": {"error_code": 102, "error_msg": "Invalid session key"}})
                    .to_string(),
                ErrorKind::ProviderRejected,
            ),
            (
                "error object in a 400",
                400,
                json!({"error": {"error_code": 100, "error_msg": "Wrong parameters"}}).to_string(),
                ErrorKind::ProviderRejected,
            ),
            (
                "empty list",
                200,
                "[]".to_owned(),
                ErrorKind::InvalidResponse,
            ),
            (
                "a user instead of a list",
                200,
                json!({"uid": "15410773191172635989"}).to_string(),
                ErrorKind::InvalidResponse,
            ),
            (
                "no uid",
                200,
                users_with(|u| {
                    u.remove("uid");
                }),
                ErrorKind::InvalidResponse,
            ),
            (
                "uid of the wrong type",
                200,
                users_with(|u| {
                    u.insert("uid".into(), json!(true));
                }),
                ErrorKind::InvalidResponse,
            ),
            (
                "malformed JSON",
                200,
                "[{".to_owned(),
                ErrorKind::InvalidResponse,
            ),
            ("502", 502, String::new(), ErrorKind::ProviderUnavailable),
        ] {
            let h = platform(status, &body, EXPECTED_SIG).await;
            expect_kind(case, h.login().await, kind);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn url_encoded_fields_are_decoded_in_the_details() {
    social_testkit::run(async {
        let users = users_with(|u| {
            u.insert("nick".into(), json!("%D0%96%D0%B5%D0%BD%D1%8F"));
            u.insert(
                "first_name".into(),
                json!("%D0%95%D0%B2%D0%B3%D0%B5%D0%BD%D0%B8%D0%B9"),
            );
            u.insert("last_name".into(), json!("Maslov%20Jr"));
            u.insert("email".into(), json!("evgeny%2Btest@example.com"));
        });
        let h = platform(200, &users, EXPECTED_SIG).await;
        let login = match h.login().await {
            Ok(Outcome::LoggedIn(login)) => login,
            other => panic!("login failed: {other:?}"),
        };
        assert_eq!(login.user.username, "Женя");
        assert_eq!(login.user.first_name.as_deref(), Some("Евгений"));
        assert_eq!(login.user.last_name.as_deref(), Some("Maslov Jr"));
        assert_eq!(login.user.fullname.as_deref(), Some("Евгений Maslov Jr"));
        assert_eq!(login.user.email.as_deref(), Some("evgeny+test@example.com"));
        assert!(
            !login.user.email_verified,
            "the platform does not verify e-mails"
        );
    });
}

#[test]
fn the_authorize_url_is_connect_mail_ru_without_pkce() {
    social_testkit::run(async {
        let settings = social_testkit::settings_from(
            "",
            &[
                ("SOCIAL_AUTH_MAILRU_OAUTH2_KEY", "k"),
                ("SOCIAL_AUTH_MAILRU_OAUTH2_SECRET", "s"),
            ],
        );
        let (auth, _) =
            social_testkit::social_auth(social_mailru::legacy(), settings, None).expect("builds");
        let flow = auth
            .begin(
                &social_core::MemoryStrategy::new("https://site.example"),
                social_mailru::LEGACY_NAME,
            )
            .await
            .expect("a redirect");
        let url = flow.redirect_url().unwrap_or_default().to_owned();
        assert!(
            url.starts_with("https://connect.mail.ru/oauth/authorize?"),
            "{url}"
        );
        assert_eq!(
            social_testkit::query_param(&url, "redirect_uri").as_deref(),
            Some("https://site.example/complete/mailru-oauth2/")
        );
        assert_eq!(social_testkit::query_param(&url, "code_challenge"), None);
    });
}

#[test]
fn a_platform_that_does_not_answer_in_time_is_a_time_out() {
    social_testkit::run(async {
        let fixture = Fixture::new(social_mailru::LEGACY_NAME)
            .endpoint("api_url", "")
            .token("POST", "/oauth/token", TOKEN);
        let h = Harness::new(Arc::new(social_mailru::legacy()), &fixture).await;
        h.mount_token(&fixture, 1).await;
        Mock::given(matchers::path("/platform/api"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(USERS, "application/json")
                    .set_delay(std::time::Duration::from_secs(4)),
            )
            .mount(&h.server)
            .await;
        expect_kind("time-out", h.login().await, ErrorKind::Timeout);
        h.assert_nothing_written("time-out");
    });
}
