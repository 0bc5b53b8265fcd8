//! Cross-site POST callbacks (`response_mode=form_post`, Apple): the provider's POST arrives
//! without the `SameSite=Lax` session cookie, is re-submitted once from this site with the
//! same fields, and then meets the same state checks as any callback.

use http::StatusCode;

use social_core::Settings;

use crate::{App, Config, Frontend, Resp, begin, hidden};

/// GitHub's backend asking for `response_mode=form_post`, as Apple's does.
pub fn form_post_mode(settings: &mut Settings) {
    if let Some(github) = settings.backends.get_mut("github") {
        github
            .auth_extra_arguments
            .insert("response_mode".into(), "form_post".into());
    }
}

async fn form_post_app<F: Frontend>() -> App<F> {
    App::<F>::with(Config {
        tweak: form_post_mode,
        ..Config::default()
    })
    .await
}

/// The action and fields of the re-submit page.
fn resubmit_form(page: &Resp) -> (String, Vec<(String, String)>) {
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert_eq!(page.header("cache-control"), "no-store");
    assert_eq!(page.header("referrer-policy"), "no-referrer");
    assert_eq!(page.header("x-frame-options"), "DENY");
    let action = page
        .body
        .split(r#"action=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .replace("&amp;", "&");
    let fields = ["code", "state", "social_auth_resubmitted"]
        .into_iter()
        .filter_map(|name| Some((name.to_owned(), hidden(&page.body, name)?)))
        .collect();
    (action, fields)
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// A cross-site callback POST is re-submitted from this site, with its fields, and logs in.
pub async fn a_cross_site_callback_post_is_resubmitted_from_this_site_and_logs_in<F: Frontend>() {
    let app = form_post_app::<F>().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let state = begin(&mut browser, "/login/github/?next=/after").await;

    // The provider's page posts the callback; SameSite=Lax keeps the cookie off it.
    let mut cookieless = app.browser();
    let page = cookieless
        .post_form(
            "/complete/github/?via=form",
            &[("code", "test-code"), ("state", &state)],
        )
        .await;
    let (action, fields) = resubmit_form(&page);
    assert_eq!(action, "/complete/github/?via=form", "the same URL");
    assert_eq!(
        fields,
        vec![
            ("code".to_owned(), "test-code".to_owned()),
            ("state".to_owned(), state.clone()),
            ("social_auth_resubmitted".to_owned(), "1".to_owned()),
        ]
    );
    assert_eq!(cookieless.session_id(), None, "no session was made for it");
    assert_eq!(app.github_hits().await, 0, "no code was exchanged yet");
    assert_eq!(app.storage.counts(), (0, 0));

    // The page submits itself from this site: the browser's cookie comes along.
    let done = browser.post_form(&action, &pairs(&fields)).await;
    done.assert_redirect("/after");
    assert_eq!(browser.get("/home").await.body, "octocat");
    assert_eq!(app.storage.counts(), (1, 1));
}

/// The re-submitted callback meets the same state checks, and is re-submitted once only.
pub async fn the_resubmitted_callback_meets_the_same_state_checks<F: Frontend>() {
    let app = form_post_app::<F>().await;
    app.mount_octocat().await;

    // Another state than this browser's: refused, nothing written.
    let mut browser = app.browser();
    begin(&mut browser, "/login/github/").await;
    let page = app
        .browser()
        .post_form(
            "/complete/github/",
            &[("code", "test-code"), ("state", "forged")],
        )
        .await;
    let (action, fields) = resubmit_form(&page);
    browser
        .post_form(&action, &pairs(&fields))
        .await
        .assert_redirect("/login-error");

    // Re-submitted once only: without a cookie the second time, core refuses it.
    let mut cookieless = app.browser();
    cookieless
        .post_form(
            "/complete/github/",
            &[
                ("code", "test-code"),
                ("state", "anything"),
                ("social_auth_resubmitted", "1"),
            ],
        )
        .await
        .assert_redirect("/login-error");
    assert_eq!(app.github_hits().await, 0, "no code was exchanged");
    assert_eq!(app.storage.counts(), (0, 0), "nothing was written");
}

/// A callback POST that brings the session cookie goes straight through.
pub async fn a_callback_post_that_brings_the_session_goes_straight_through<F: Frontend>() {
    let app = form_post_app::<F>().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let state = begin(&mut browser, "/login/github/?next=/after").await;
    browser
        .post_form(
            "/complete/github/",
            &[("code", "test-code"), ("state", &state)],
        )
        .await
        .assert_redirect("/after");
}

/// The re-submit page escapes the fields it echoes.
pub async fn the_page_escapes_what_it_echoes<F: Frontend>() {
    let app = form_post_app::<F>().await;
    let page = app
        .browser()
        .post_form(
            "/complete/github/",
            &[("code", r#""><script>alert(1)</script>"#), ("state", "s")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;"), "{}", page.body);
}
