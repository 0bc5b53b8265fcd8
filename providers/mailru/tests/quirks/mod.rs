//! Mail.ru's own behaviour. `mailru`: the token in the `access_token` query parameter, errors
//! in a 200 answer, the nickname as username, e-mails never verified. `mailru-oauth2` (in
//! `legacy`): the signed `users.getInfo` call, its list answer and its URL-encoded fields.

mod legacy;

use std::sync::Arc;

use social_core::serde_json::{self, Value, json};
use social_core::{ErrorKind, Outcome};
use social_testkit::provider::{Fixture, Harness, expect_kind};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const ACCESS: &str = "mailru-access-3c8e1f0b5a7d4e29";

/// The fixture user with `change` applied to its JSON.
fn user_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(object) = user.as_object_mut() {
        change(object);
    }
    user.to_string()
}

/// A fake Mail.ru answering `user` (status `status`) for `/userinfo`.
async fn harness(status: u16, user: &str) -> Harness {
    let fixture = Fixture::new(social_mailru::NAME)
        .endpoint("api_url", "")
        .token("POST", "/token", TOKEN);
    let h = Harness::new(Arc::new(social_mailru::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    social_testkit::wiremock::Mock::given(social_testkit::wiremock::matchers::path("/userinfo"))
        .respond_with(
            social_testkit::wiremock::ResponseTemplate::new(status)
                .set_body_raw(user.to_owned(), "application/json"),
        )
        .mount(&h.server)
        .await;
    h
}

async fn login_as(user: &str) -> social_core::Login {
    let h = harness(200, user).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

#[test]
fn the_token_goes_in_the_access_token_query_parameter_of_a_get() {
    social_testkit::run(async {
        let h = harness(200, USER).await;
        let outcome = h.login().await;
        assert!(matches!(outcome, Ok(Outcome::LoggedIn(_))), "{outcome:?}");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let info = requests
            .iter()
            .find(|r| r.url.path() == "/userinfo")
            .expect("a user call");
        assert_eq!(info.method.as_str(), "GET");
        assert_eq!(
            info.url.query(),
            Some(format!("access_token={ACCESS}").as_str())
        );
        assert!(info.headers.get("authorization").is_none(), "no header");
    });
}

#[test]
fn errors_in_a_200_answer_are_refusals_and_log_nobody_in() {
    social_testkit::run(async {
        for (case, status, body, kind) in [
            (
                "invalid token",
                200,
                json!({"error": "invalid_token", "error_description": "token not found"}),
                ErrorKind::TokenError,
            ),
            (
                "insufficient scope",
                200,
                json!({"error": "insufficient_scope", "error_description": "userinfo"}),
                ErrorKind::Forbidden,
            ),
            (
                "other error",
                200,
                json!({"error": "invalid_request", "error_code": 2}),
                ErrorKind::ProviderRejected,
            ),
            (
                "error with a 400",
                400,
                json!({"error": "invalid_token"}),
                ErrorKind::TokenError,
            ),
            (
                "403 without error",
                403,
                json!({"message": "forbidden"}),
                ErrorKind::ProviderRejected,
            ),
            (
                "503",
                503,
                json!({"error": "unavailable"}),
                ErrorKind::ProviderUnavailable,
            ),
        ] {
            let h = harness(status, &body.to_string()).await;
            expect_kind(case, h.login().await, kind);
            h.assert_nothing_written(case);
        }
        let h = harness(200, "<html>maintenance</html>").await;
        expect_kind("not JSON", h.login().await, ErrorKind::InvalidResponse);
        h.assert_nothing_written("not JSON");
    });
}

#[test]
fn the_uid_is_the_id_and_an_answer_without_one_is_refused() {
    social_testkit::run(async {
        let login = login_as(USER).await;
        assert_eq!(
            login.account.map(|a| a.uid).as_deref(),
            Some("1234567890123456789")
        );
        for (case, user) in [
            (
                "no id",
                user_with(|u| {
                    u.remove("id");
                }),
            ),
            (
                "id of the wrong type",
                user_with(|u| {
                    u.insert("id".into(), json!(["1234567890123456789"]));
                }),
            ),
            (
                "empty id",
                user_with(|u| {
                    u.insert("id".into(), json!(""));
                }),
            ),
        ] {
            let h = harness(200, &user).await;
            expect_kind(case, h.login().await, ErrorKind::InvalidResponse);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn the_username_is_the_nickname_else_the_name_and_the_email_is_unverified() {
    social_testkit::run(async {
        let login = login_as(USER).await;
        assert_eq!(login.user.username, "ivanpetrov");
        assert_eq!(login.user.fullname.as_deref(), Some("Ivan Petrov"));
        assert_eq!(login.user.email.as_deref(), Some("ivan.petrov@example.com"));
        assert!(!login.user.email_verified, "Mail.ru says nothing of it");

        let no_nick = login_as(&user_with(|u| {
            u.remove("nickname");
        }))
        .await;
        // The display name, made a valid username by the pipeline.
        assert_eq!(no_nick.user.username, "IvanPetrov");
    });
}

#[test]
fn the_authorize_url_asks_for_userinfo_with_pkce() {
    social_testkit::run(async {
        let settings = social_testkit::settings_from(
            "",
            &[
                ("SOCIAL_AUTH_MAILRU_KEY", "k"),
                ("SOCIAL_AUTH_MAILRU_SECRET", "s"),
            ],
        );
        let (auth, _) =
            social_testkit::social_auth(social_mailru::backend(), settings, None).expect("builds");
        let flow = auth
            .begin(
                &social_core::MemoryStrategy::new("https://site.example"),
                social_mailru::NAME,
            )
            .await
            .expect("a redirect");
        let url = flow.redirect_url().unwrap_or_default().to_owned();
        assert!(url.starts_with("https://oauth.mail.ru/login?"), "{url}");
        assert_eq!(
            social_testkit::query_param(&url, "scope").as_deref(),
            Some("userinfo")
        );
        assert_eq!(
            social_testkit::query_param(&url, "code_challenge_method").as_deref(),
            Some("S256")
        );
    });
}

#[test]
fn a_user_info_that_does_not_answer_in_time_is_a_time_out() {
    social_testkit::run(async {
        let fixture = Fixture::new(social_mailru::NAME)
            .endpoint("api_url", "")
            .token("POST", "/token", TOKEN);
        let h = Harness::new(Arc::new(social_mailru::backend()), &fixture).await;
        h.mount_token(&fixture, 1).await;
        social_testkit::wiremock::Mock::given(social_testkit::wiremock::matchers::path(
            "/userinfo",
        ))
        .respond_with(
            social_testkit::wiremock::ResponseTemplate::new(200)
                .set_body_raw(USER, "application/json")
                .set_delay(std::time::Duration::from_secs(4)),
        )
        .mount(&h.server)
        .await;
        expect_kind("time-out", h.login().await, ErrorKind::Timeout);
        h.assert_nothing_written("time-out");
    });
}
