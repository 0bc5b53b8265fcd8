//! Routes mounted under a prefix: every URL they make (the callback URL the provider is given,
//! the forms' actions) keeps the prefix.

use http::StatusCode;

use crate::{App, Config, Frontend, hidden, query_param};

/// Routes nested under `/auth` log in there, and send the provider and the forms there.
pub async fn routes_nested_under_a_prefix_keep_it_in_every_url<F: Frontend>() {
    let app = App::<F>::with(Config {
        mount_at: Some("/auth"),
        ..Config::default()
    })
    .await;
    app.mount_octocat().await;

    // A plain GET begins at once, and GitHub is sent back under the prefix.
    let mut browser = app.browser();
    let started = browser.get("/auth/login/github/?next=/after").await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
    assert!(
        started
            .location()
            .starts_with(&format!("{}/login/oauth/authorize?", app.github.uri())),
        "{started:?}"
    );
    assert_eq!(
        query_param(started.location(), "redirect_uri").as_deref(),
        Some("http://testserver/auth/complete/github/"),
        "the callback URL keeps the prefix"
    );
    let state = query_param(started.location(), "state").unwrap_or_default();
    browser
        .get(&format!(
            "/auth/complete/github/?code=test-code&state={state}"
        ))
        .await
        .assert_redirect("/after");
    assert_eq!(browser.get("/home").await.body, "octocat");
    assert_eq!(app.storage.counts(), (1, 1));
    assert_eq!(
        app.browser().get("/login/github/").await.status,
        StatusCode::NOT_FOUND,
        "the routes are served under the prefix only"
    );

    // The cross-site confirmation form posts back under the prefix, and that goes on.
    let mut browser = app.browser();
    let page = browser
        .get_with(
            "/auth/login/github/?next=/after",
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(
        page.body
            .contains(r#"<form method="post" action="/auth/login/github/">"#),
        "{}",
        page.body
    );
    let csrf = hidden(&page.body, "csrf_token").unwrap_or_default();
    let started = browser
        .post_form(
            "/auth/login/github/",
            &[("csrf_token", &csrf), ("next", "/after")],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");
    assert_eq!(
        query_param(started.location(), "redirect_uri").as_deref(),
        Some("http://testserver/auth/complete/github/")
    );
    let state = query_param(started.location(), "state").unwrap_or_default();
    browser
        .get(&format!(
            "/auth/complete/github/?code=test-code&state={state}"
        ))
        .await
        .assert_redirect("/after");

    // A cross-site callback POST is re-submitted to the URL it came to, prefix included.
    let app = App::<F>::with(Config {
        mount_at: Some("/auth"),
        tweak: crate::form_post::form_post_mode,
        ..Config::default()
    })
    .await;
    let page = app
        .browser()
        .post_form(
            "/auth/complete/github/",
            &[("code", "test-code"), ("state", "s")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    assert!(
        page.body.contains(r#"action="/auth/complete/github/""#),
        "{}",
        page.body
    );
}
