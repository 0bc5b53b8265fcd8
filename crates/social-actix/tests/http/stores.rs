//! Full logins with actix-session's own stores: the whole session in the cookie, and sessions
//! in Redis.
//!
//! The Redis test needs `TEST_REDIS_URL` (such as `redis://127.0.0.1:6379/0`). Under `CI=true`
//! a missing one is a failure; elsewhere the test says what is missing and passes.

use actix_session::storage::{CookieSessionStore, RedisSessionStore};
use serde_json::json;
use social_actix::USER_ID_KEY;
use social_web_suite::{App, begin, login};

use crate::{ActixFrontend, Store, run};

impl Store for CookieSessionStore {
    async fn open() -> Self {
        Self::default()
    }

    fn handle(&self) -> Self {
        // The store keeps nothing: every handle reads the same cookies.
        Self::default()
    }
}

impl Store for RedisSessionStore {
    async fn open() -> Self {
        let url = redis_url().unwrap_or_else(|| panic!("TEST_REDIS_URL is checked first"));
        RedisSessionStore::builder(url.as_str())
            // Keys of their own, apart from anything else in that Redis database.
            .cache_keygen(|key| format!("social-actix-test:{key}"))
            .build()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to TEST_REDIS_URL `{url}`: {e}"))
    }

    fn handle(&self) -> Self {
        self.clone()
    }
}

/// `TEST_REDIS_URL`, or `None` after saying why the test does not run (a failure under
/// `CI=true`).
fn redis_url() -> Option<String> {
    match std::env::var("TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("TEST_REDIS_URL is not set: Redis is missing, and CI must provide it")
        }
        _ => {
            eprintln!(
                "skipped: Redis is missing; set TEST_REDIS_URL=redis://127.0.0.1:6379/0 to run \
                 this test"
            );
            None
        }
    }
}

#[test]
fn a_full_login_with_the_whole_session_in_the_cookie() {
    run(async {
        let app = App::<ActixFrontend<CookieSessionStore>>::new().await;
        app.mount_octocat().await;
        let mut browser = app.browser();
        login(&mut browser, "/login/github/?next=/private")
            .await
            .assert_redirect("/private");
        assert_eq!(
            browser.get("/private").await.body,
            "private page of octocat"
        );
        let session = app.session_of(&browser).await;
        assert_eq!(session.get(USER_ID_KEY), Some(&json!("1")));
        assert!(
            !session.contains_key("social_auth.github.pending"),
            "{session:?}"
        );

        let out = browser.post_form("/logout", &[]).await;
        assert_eq!(out.status, 204);
        assert_eq!(browser.session_id(), None, "the cookie is removed");
        assert_eq!(browser.get("/home").await.body, "anonymous");
    });
}

#[test]
fn a_full_login_with_sessions_in_redis() {
    if redis_url().is_none() {
        return;
    }
    run(async {
        let app = App::<ActixFrontend<RedisSessionStore>>::new().await;
        app.mount_octocat().await;
        let mut browser = app.browser();
        let state = begin(&mut browser, "/login/github/").await;
        let before = browser.session_id().unwrap_or_default();
        assert!(app.session_data(&before).await.is_some(), "begin saved it");
        let done = browser
            .get(&format!("/complete/github/?code=test-code&state={state}"))
            .await;
        done.assert_redirect("/home");
        let after = browser.session_id().unwrap_or_default();
        assert_ne!(before, after, "a new session key at login");
        assert!(
            app.session_data(&before).await.is_none(),
            "the old key is deleted from Redis"
        );
        assert_eq!(
            app.session_of(&browser).await.get(USER_ID_KEY),
            Some(&json!("1"))
        );
        assert_eq!(browser.get("/home").await.body, "octocat");

        let out = browser.post_form("/logout", &[]).await;
        assert_eq!(out.status, 204);
        assert!(
            app.session_data(&after).await.is_none(),
            "logout deletes the session from Redis"
        );
        assert_eq!(browser.get("/home").await.body, "anonymous");
    });
}
