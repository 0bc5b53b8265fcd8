//! No login CSRF: other sites cannot start a login in the user's name.

use http::StatusCode;

use crate::{App, Frontend, hidden, query_param};

const PENDING: &str = "social_auth.github.pending";

/// A GET begin from another site shows a confirmation form instead of starting a login; posting it goes on.
pub async fn cross_site_get_begin_asks_for_confirmation<F: Frontend>() {
    for site in ["cross-site", "same-site"] {
        let app = App::<F>::new().await;
        app.mount_octocat().await;
        let mut browser = app.browser();
        let page = browser
            .get_with(
                "/login/github/?next=/after&x=%22%3E%3Cscript%3E",
                &[("sec-fetch-site", site)],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{site}");
        assert_eq!(page.location(), "", "{site}: no redirect to the provider");
        assert!(
            page.body
                .contains(r#"<form method="post" action="/login/github/">"#),
            "{}",
            page.body
        );
        assert!(!page.body.contains("<script>"), "{}", page.body);
        assert_eq!(page.header("x-frame-options"), "DENY");
        assert_eq!(hidden(&page.body, "next").as_deref(), Some("/after"));
        let session = app.session_of(&browser).await;
        assert!(
            !session.contains_key(PENDING),
            "{site}: no login was started"
        );
        assert!(!session.contains_key(social_core::NEXT_KEY));
        assert_eq!(app.github_hits().await, 0);

        // The user's click posts the form, and the login goes on with `next` kept.
        let csrf = hidden(&page.body, "csrf_token").unwrap_or_default();
        let started = browser
            .post_form(
                "/login/github/",
                &[("csrf_token", &csrf), ("next", "/after")],
            )
            .await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
        let state = query_param(started.location(), "state").unwrap_or_default();
        browser
            .get(&format!("/complete/github/?code=test-code&state={state}"))
            .await
            .assert_redirect("/after");
    }
}

/// A GET begin from this site, or with no `Sec-Fetch-Site` at all, starts the login at once.
pub async fn get_begin_from_this_site_or_a_typed_url_starts_at_once<F: Frontend>() {
    let app = App::<F>::new().await;
    for headers in [
        &[("sec-fetch-site", "same-origin")][..],
        &[("sec-fetch-site", "none")][..],
        &[][..],
    ] {
        let mut browser = app.browser();
        let response = browser.get_with("/login/github/", headers).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{headers:?}");
        assert!(
            app.session_of(&browser).await.contains_key(PENDING),
            "{headers:?}"
        );
    }
}

/// A POST begin needs this session's CSRF token, in the form body.
pub async fn post_begin_needs_this_sessions_csrf_token<F: Frontend>() {
    let app = App::<F>::new().await;
    let mut browser = app.browser();
    let token = browser.csrf().await;
    assert!(token.len() >= 32, "{token}");
    assert_eq!(
        browser.csrf().await,
        token,
        "the token is stable in a session"
    );

    let missing = browser.post_form("/login/github/", &[]).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = browser
        .post_form("/login/github/", &[("csrf_token", "not-the-token")])
        .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let mut other = app.browser();
    let others = other.csrf().await;
    let foreign = browser
        .post_form("/login/github/", &[("csrf_token", &others)])
        .await;
    assert_eq!(
        foreign.status,
        StatusCode::FORBIDDEN,
        "another session's token"
    );
    let in_query = browser
        .post_form(&format!("/login/github/?csrf_token={token}"), &[])
        .await;
    assert_eq!(
        in_query.status,
        StatusCode::FORBIDDEN,
        "the token must come in the form body"
    );
    assert!(!app.session_of(&browser).await.contains_key(PENDING));

    let ok = browser
        .post_form("/login/github/", &[("csrf_token", &token)])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert!(
        ok.location()
            .starts_with(&format!("{}/login/oauth/authorize?", app.github.uri()))
    );
    assert!(app.session_of(&browser).await.contains_key(PENDING));
}

/// A POST begin without any session is refused.
pub async fn post_begin_without_any_session_is_refused<F: Frontend>() {
    let app = App::<F>::new().await;
    let mut browser = app.browser();
    let response = browser
        .post_form("/login/github/", &[("csrf_token", "")])
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
}

/// The CSRF token changes when the user logs in.
pub async fn the_csrf_token_changes_at_login<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let before = browser.csrf().await;
    crate::login(&mut browser, "/login/github/")
        .await
        .assert_redirect("/home");
    let after = browser.csrf().await;
    assert_ne!(before, after);
}

/// A HEAD begin never starts a login.
pub async fn head_requests_never_start_a_login<F: Frontend>() {
    let app = App::<F>::new().await;
    let mut browser = app.browser();
    let request = http::Request::head("/login/github/")
        .header("host", crate::HOST)
        .body(String::new());
    let response = browser.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.location(), "");
    assert!(!app.session_of(&browser).await.contains_key(PENDING));
}
