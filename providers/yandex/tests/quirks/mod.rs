//! Yandex's own behaviour: the token travels in an `Authorization: OAuth` header (never in the
//! URL), the e-mail falls back to the first address, names fall back to the display name and
//! login, and the uid is Yandex's id as text.

use std::sync::Arc;

use social_core::serde_json::{self, Value, json};
use social_core::{ErrorKind, Outcome};
use social_testkit::provider::{Fixture, Harness, expect_kind};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const ACCESS: &str = "y0_AgAAAAB7example-yandex-access-4f9c2e";

/// The fixture user with `change` applied to its JSON.
fn user_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(object) = user.as_object_mut() {
        change(object);
    }
    user.to_string()
}

/// A fake Yandex answering `user` for `/info`, whatever the request carries.
async fn harness(user: &str) -> (Harness, Fixture) {
    let fixture = Fixture::new(social_yandex::NAME)
        .endpoint("api_url", "")
        .token("POST", "/token", TOKEN)
        .api("GET", "/info", user);
    let h = Harness::new(Arc::new(social_yandex::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    (h, fixture)
}

async fn login_as(user: &str) -> social_core::Login {
    let (h, _) = harness(user).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

#[test]
fn the_token_goes_in_an_oauth_authorization_header_and_never_in_the_url() {
    social_testkit::run(async {
        let (h, _) = harness(USER).await;
        let outcome = h.login().await;
        assert!(matches!(outcome, Ok(Outcome::LoggedIn(_))), "{outcome:?}");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let info = requests
            .iter()
            .find(|r| r.url.path() == "/info")
            .expect("a user call");
        assert_eq!(info.method.as_str(), "GET");
        assert_eq!(
            info.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
            Some(format!("OAuth {ACCESS}").as_str()),
            "Yandex's own scheme, not Bearer"
        );
        assert_eq!(info.url.query(), Some("format=json"), "no `oauth_token`");
    });
}

#[test]
fn the_email_falls_back_to_the_first_address_and_is_never_verified() {
    social_testkit::run(async {
        let login = login_as(USER).await;
        assert_eq!(login.user.email.as_deref(), Some("ivan.petrov@example.com"));
        assert!(
            !login.user.email_verified,
            "Yandex does not say it verified"
        );

        let first = login_as(&user_with(|u| {
            u.remove("default_email");
        }))
        .await;
        assert_eq!(first.user.email.as_deref(), Some("ivan.petrov@example.com"));

        let blank = login_as(&user_with(|u| {
            u.insert("default_email".into(), json!(""));
            u.insert("emails".into(), json!(["second@example.org"]));
        }))
        .await;
        assert_eq!(blank.user.email.as_deref(), Some("second@example.org"));

        // Without the `login:email` permission Yandex sends neither field.
        let none = login_as(&user_with(|u| {
            u.remove("default_email");
            u.remove("emails");
        }))
        .await;
        assert_eq!(none.user.email, None);
        assert!(!none.user.email_verified);
    });
}

#[test]
fn names_fall_back_to_the_display_name_and_the_login() {
    social_testkit::run(async {
        let login = login_as(USER).await;
        assert_eq!(login.user.username, "ivan.petrov");
        assert_eq!(login.user.fullname.as_deref(), Some("Ivan Petrov"));
        assert_eq!(login.user.first_name.as_deref(), Some("Ivan"));
        assert_eq!(login.user.last_name.as_deref(), Some("Petrov"));

        // Without `login:info` beyond the id: the display name stands for the full name.
        let bare = login_as(&user_with(|u| {
            for field in ["real_name", "first_name", "last_name"] {
                u.remove(field);
            }
            u.insert("display_name".into(), json!("Vanya"));
        }))
        .await;
        assert_eq!(bare.user.username, "Vanya");
        assert_eq!(bare.user.fullname.as_deref(), Some("Vanya"));

        let no_display = login_as(&user_with(|u| {
            u.remove("display_name");
            u.remove("real_name");
        }))
        .await;
        assert_eq!(no_display.user.username, "ivan.petrov", "the login");
        assert_eq!(no_display.user.fullname.as_deref(), Some("Ivan Petrov"));
    });
}

#[test]
fn the_uid_is_the_yandex_id_and_a_user_without_one_is_refused() {
    social_testkit::run(async {
        let login = login_as(USER).await;
        assert_eq!(login.account.map(|a| a.uid).as_deref(), Some("1000034426"));

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
                    u.insert("id".into(), json!({"value": "1000034426"}));
                }),
            ),
            ("not an object", "[]".to_owned()),
        ] {
            let (h, _) = harness(&user).await;
            expect_kind(case, h.login().await, ErrorKind::InvalidResponse);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn the_avatar_is_used_only_when_the_account_has_one() {
    use social_oauth2::OAuth2Provider;
    let user: Value = serde_json::from_str(USER).unwrap_or_default();
    let details = social_yandex::Yandex.user_details(&user);
    assert_eq!(
        details.picture.as_deref(),
        Some("https://avatars.yandex.net/get-yapic/131652443/islands-200")
    );
    let empty: Value = serde_json::from_str(&user_with(|u| {
        u.insert("is_avatar_empty".into(), json!(true));
    }))
    .unwrap_or_default();
    assert_eq!(social_yandex::Yandex.user_details(&empty).picture, None);
}

#[test]
fn the_authorize_url_is_yandex_oauth_without_a_default_scope() {
    social_testkit::run(async {
        let settings = social_testkit::settings_from(
            "",
            &[
                ("SOCIAL_AUTH_YANDEX_OAUTH2_KEY", "k"),
                ("SOCIAL_AUTH_YANDEX_OAUTH2_SECRET", "s"),
            ],
        );
        let (auth, _) =
            social_testkit::social_auth(social_yandex::backend(), settings, None).expect("builds");
        let flow = auth
            .begin(
                &social_core::MemoryStrategy::new("https://site.example"),
                social_yandex::NAME,
            )
            .await
            .expect("a redirect");
        let url = flow.redirect_url().unwrap_or_default().to_owned();
        assert!(
            url.starts_with("https://oauth.yandex.com/authorize?"),
            "{url}"
        );
        assert_eq!(
            social_testkit::query_param(&url, "redirect_uri").as_deref(),
            Some("https://site.example/complete/yandex-oauth2/")
        );
        assert_eq!(social_testkit::query_param(&url, "scope"), None);
        assert_eq!(
            social_testkit::query_param(&url, "code_challenge_method").as_deref(),
            Some("S256")
        );
    });
}
