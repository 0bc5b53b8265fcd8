//! Partial pipelines: pausing for an e-mail address and resuming at the callback.

use std::sync::Arc;

use http::StatusCode;
use serde_json::json;
use social_core::{
    UserId, UserStore as _,
    clock::{Clock as _, FixedClock, SystemClock},
    pipeline::{Pipeline, RequireEmail},
};

use crate::{App, Browser, Config, Frontend, Resp, USER_JSON, login, query_param};

fn require_email() -> Pipeline {
    Pipeline::default()
        .insert_before("get_username", RequireEmail::new("/email/"))
        .unwrap_or_else(|| panic!("the default pipeline has get_username"))
}

async fn app<F: Frontend>(clock: Option<Arc<FixedClock>>) -> App<F> {
    let app = App::<F>::with(Config {
        pipeline: Some(require_email()),
        clock,
        ..Config::default()
    })
    .await;
    // No e-mail anywhere: the profile's is null and the address list is empty.
    app.mount_github(USER_JSON, "[]").await;
    app
}

/// Logs in until the pipeline pauses; the partial token it was sent away with.
async fn paused<F: Frontend>(app: &App<F>, browser: &mut Browser<'_, F>) -> String {
    let response = login(browser, "/login/github/?next=/after").await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert!(
        response.location().starts_with("/email/?partial_token="),
        "{response:?}"
    );
    assert_eq!(
        query_param(response.location(), "backend").as_deref(),
        Some("github")
    );
    assert_eq!(app.storage.counts(), (0, 0), "no user before the e-mail");
    assert!(
        !app.session_of(browser)
            .await
            .contains_key("social_auth.user_id")
    );
    query_param(response.location(), "partial_token").unwrap_or_default()
}

async fn resume<F: Frontend>(browser: &mut Browser<'_, F>, token: &str) -> Resp {
    let csrf = browser.csrf().await;
    browser
        .post_form(
            "/complete/github/",
            &[
                ("partial_token", token),
                ("email", "octo@example.com"),
                ("csrf_token", &csrf),
            ],
        )
        .await
}

async fn flashed_code<F: Frontend>(browser: &mut Browser<'_, F>) -> serde_json::Value {
    browser.get("/login-error").await.json()["code"].clone()
}

/// A paused login resumes with the e-mail, once.
pub async fn a_paused_login_resumes_with_the_email<F: Frontend>() {
    let app = app::<F>(None).await;
    let mut browser = app.browser();
    let token = paused(&app, &mut browser).await;
    resume(&mut browser, &token).await.assert_redirect("/after");
    assert_eq!(app.storage.counts(), (1, 1));
    let user = app
        .storage
        .user(&UserId("1".into()))
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the user was created"));
    assert_eq!(user.email.as_deref(), Some("octo@example.com"));
    assert!(!user.email_verified, "a typed e-mail is not verified");
    assert_eq!(
        app.session_of(&browser).await.get("social_auth.user_id"),
        Some(&json!("1"))
    );

    // Single use.
    resume(&mut browser, &token)
        .await
        .assert_redirect("/login-error");
    assert_eq!(flashed_code(&mut browser).await, "partial_invalid");
}

/// A wrong partial token is refused, and the right one still works.
pub async fn a_wrong_token_is_refused_and_the_right_one_still_works<F: Frontend>() {
    let app = app::<F>(None).await;
    let mut browser = app.browser();
    let token = paused(&app, &mut browser).await;
    resume(&mut browser, "not-the-token")
        .await
        .assert_redirect("/login-error");
    assert_eq!(flashed_code(&mut browser).await, "partial_invalid");
    assert_eq!(app.storage.counts(), (0, 0));
    resume(&mut browser, &token).await.assert_redirect("/after");
}

/// A partial token works only in the browser it was issued to.
pub async fn a_token_works_only_in_the_browser_it_was_issued_to<F: Frontend>() {
    // An attacker pausing their own login must not be able to finish it in a victim's
    // browser (which would log the victim into the attacker's account).
    let app = app::<F>(None).await;
    let mut attacker = app.browser();
    let token = paused(&app, &mut attacker).await;
    let mut victim = app.browser();
    resume(&mut victim, &token)
        .await
        .assert_redirect("/login-error");
    assert_eq!(flashed_code(&mut victim).await, "partial_invalid");
    assert_eq!(victim.get("/home").await.body, "anonymous");
    assert_eq!(app.storage.counts(), (0, 0));
}

/// An expired partial token is refused.
pub async fn an_expired_token_is_refused<F: Frontend>() {
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let app = app::<F>(Some(clock.clone())).await;
    let mut browser = app.browser();
    let token = paused(&app, &mut browser).await;
    clock.advance(3601);
    resume(&mut browser, &token)
        .await
        .assert_redirect("/login-error");
    assert_eq!(flashed_code(&mut browser).await, "partial_invalid");
    assert_eq!(app.storage.counts(), (0, 0));
}

/// Resuming takes a POST with this session's CSRF token.
pub async fn resuming_takes_a_post_with_this_sessions_csrf_token<F: Frontend>() {
    let app = app::<F>(None).await;
    let mut browser = app.browser();
    let token = paused(&app, &mut browser).await;
    // A link (GET) never resumes.
    let link = browser
        .get(&format!(
            "/complete/github/?partial_token={token}&email=octo@example.com"
        ))
        .await;
    assert_eq!(link.status, StatusCode::METHOD_NOT_ALLOWED);
    // A POST without the CSRF token, or with another session's, is refused.
    let no_csrf = browser
        .post_form(
            "/complete/github/",
            &[("partial_token", &token), ("email", "octo@example.com")],
        )
        .await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let other = app.browser().csrf().await;
    let wrong = browser
        .post_form(
            "/complete/github/",
            &[
                ("partial_token", &token),
                ("email", "octo@example.com"),
                ("csrf_token", &other),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(app.storage.counts(), (0, 0), "nothing was written");
    // The site's own form still resumes.
    resume(&mut browser, &token).await.assert_redirect("/after");
}
