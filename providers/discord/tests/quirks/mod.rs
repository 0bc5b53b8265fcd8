//! Discord's own behaviour: the `verified` flag decides whether the e-mail is trusted, the
//! e-mail is absent without the `email` scope, and the uid is the snowflake as text.

use std::sync::Arc;

use social_core::Outcome;
use social_core::serde_json::{self, Value, json};
use social_oauth2::OAuth2Provider;
use social_testkit::provider::{Fixture, Harness};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");

/// The fixture user with `change` applied to its JSON.
fn user_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(object) = user.as_object_mut() {
        change(object);
    }
    user.to_string()
}

/// Logs in once against a fake Discord answering `user` for `/users/@me`.
async fn login_as(user: &str) -> social_core::Login {
    let fixture = Fixture::new(social_discord::NAME)
        .endpoint("api_url", "/api/v10")
        .token("POST", "/api/oauth2/token", TOKEN)
        .api("GET", "/api/v10/users/@me", user);
    let h = Harness::new(Arc::new(social_discord::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

#[test]
fn the_email_is_verified_only_when_discord_says_so() {
    social_testkit::run(async {
        let verified = login_as(USER).await;
        assert_eq!(verified.user.email.as_deref(), Some("marisol@example.org"));
        assert!(verified.user.email_verified);

        let unverified = login_as(&user_with(|u| {
            u.insert("verified".into(), json!(false));
        }))
        .await;
        assert_eq!(
            unverified.user.email.as_deref(),
            Some("marisol@example.org")
        );
        assert!(!unverified.user.email_verified, "`verified: false`");

        let silent = login_as(&user_with(|u| {
            u.remove("verified");
        }))
        .await;
        assert!(!silent.user.email_verified, "no `verified` flag");
    });
}

#[test]
fn without_the_email_scope_there_is_no_email_and_nothing_verified() {
    social_testkit::run(async {
        // With `identify` alone Discord leaves out `email` and `verified`.
        let login = login_as(&user_with(|u| {
            u.remove("email");
            u.remove("verified");
        }))
        .await;
        assert_eq!(login.user.email, None);
        assert!(!login.user.email_verified);
        assert_eq!(login.user.username, "marisol.ortega");
    });
}

#[test]
fn the_snowflake_is_kept_as_text_and_the_avatar_hash_is_no_picture() {
    let user: Value = serde_json::from_str(USER).unwrap_or_default();
    let backend = social_discord::SPEC;
    // Snowflakes exceed what a JSON double holds exactly: the uid is Discord's text as is.
    assert_eq!(
        backend.user_id(&user).ok().as_deref(),
        Some("1187345260913475621")
    );
    let details = backend.user_details(&user);
    assert_eq!(details.fullname.as_deref(), Some("Marisol Ortega"));
    assert_eq!(details.locale.as_deref(), Some("es-ES"));
    // `avatar` is a hash for Discord's CDN, not a URL: no picture rather than a broken one.
    assert_eq!(details.picture, None);

    // No display name set: no full name, the username stays.
    let unnamed = user_with(|u| {
        u.insert("global_name".into(), Value::Null);
    });
    let unnamed: Value = serde_json::from_str(&unnamed).unwrap_or_default();
    let details = backend.user_details(&unnamed);
    assert_eq!(details.fullname, None);
    assert_eq!(details.username.as_deref(), Some("marisol.ortega"));
}
