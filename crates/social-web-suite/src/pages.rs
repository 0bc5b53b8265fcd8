//! The pages the routes show: the built-in templates speak the backend's display name, an
//! application's templates replace them, and every page keeps its escaping and headers.

use http::StatusCode;

use crate::{App, Config, Frontend, Resp, begin, hidden};

const CROSS_SITE: &[(&str, &str)] = &[("sec-fetch-site", "cross-site")];

#[track_caller]
fn assert_page_headers(page: &Resp) {
    for (name, value) in [
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("content-security-policy", "frame-ancestors 'none'"),
    ] {
        assert_eq!(page.header(name), value, "{name}: {page:?}");
    }
}

/// The built-in pages name the provider as it spells itself, styled and with their headers.
pub async fn the_built_in_pages_name_the_provider_as_it_spells_itself<F: Frontend>() {
    let app = App::<F>::new().await;
    let mut browser = app.browser();
    let page = browser.get_with("/login/github/", CROSS_SITE).await;
    assert_eq!(page.status, StatusCode::OK);
    for shown in ["Log in with GitHub?", "Continue with GitHub"] {
        assert!(page.body.contains(shown), "{shown}: {}", page.body);
    }
    assert!(!page.body.contains("with github"), "{}", page.body);
    assert!(page.body.contains("<style>"), "the default look is styled");
    assert_page_headers(&page);

    let raising = App::<F>::raising().await;
    let mut browser = raising.browser();
    begin(&mut browser, "/login/github/").await;
    let error = browser
        .get("/complete/github/?code=test-code&state=forged")
        .await;
    assert_eq!(error.status, StatusCode::BAD_REQUEST);
    assert!(
        error.body.contains("Login failed with GitHub"),
        "{}",
        error.body
    );
    assert!(error.body.contains("<code>github</code>"), "{}", error.body);
    assert_page_headers(&error);
}

/// An application's template replaces the built-in one, and its form still logs in.
pub async fn an_application_template_replaces_the_built_in_one<F: Frontend>() {
    let app = App::<F>::with(Config {
        templates: vec![(
            "confirm.html",
            r#"{% extends "base.html" %}{% block title %}Acme{% endblock %}{% block content %}<h1>Sign in to Acme with {{ display_name }} ({{ backend }})?</h1><form method="post" action="{{ action }}">{% for field in fields %}<input type="hidden" name="{{ field.name }}" value="{{ field.value }}">{% endfor %}<button>Go</button></form>{% endblock %}"#,
        )],
        ..Config::default()
    })
    .await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let page = browser
        .get_with("/login/github/?next=/after", CROSS_SITE)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("<h1>Sign in to Acme with GitHub (github)?</h1>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<title>Acme</title>"), "{}", page.body);
    assert_page_headers(&page);

    // The application's form still logs in, with the token the page was given.
    let csrf = hidden(&page.body, "csrf_token").unwrap_or_default();
    assert_eq!(hidden(&page.body, "next").as_deref(), Some("/after"));
    let started = browser
        .post_form(
            "/login/github/",
            &[("csrf_token", &csrf), ("next", "/after")],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{started:?}");

    // The other pages keep the built-in look.
    let unknown = browser.get("/login/nope/").await;
    assert!(
        unknown.body.contains("Login method not found"),
        "{}",
        unknown.body
    );
}

/// Hostile values are escaped on every page.
pub async fn hostile_values_are_escaped_on_every_page<F: Frontend>() {
    const HOSTILE: &str = r#"<script>alert("x")</script>'"#;
    let app = App::<F>::with(Config {
        raise: true,
        display_name: Some(HOSTILE),
        ..Config::default()
    })
    .await;
    let escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;";
    let mut browser = app.browser();

    let confirm = browser
        .get_with(
            "/login/github/?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
            CROSS_SITE,
        )
        .await;
    let state = begin(&mut browser, "/login/github/").await;
    let error = browser
        .get(&format!(
            "/complete/github/?code=test-code&state={state}%3Cscript%3Ealert(%22x%22)%3C/script%3E"
        ))
        .await;
    let unknown = browser
        .get("/login/%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E'/")
        .await;
    let forbidden = browser.post_form("/login/github/", &[]).await;
    for (what, page, status) in [
        ("confirm", &confirm, StatusCode::OK),
        ("error", &error, StatusCode::BAD_REQUEST),
        ("unknown backend", &unknown, StatusCode::NOT_FOUND),
        ("forbidden", &forbidden, StatusCode::FORBIDDEN),
    ] {
        assert_eq!(page.status, status, "{what}: {page:?}");
        assert!(
            !page.body.contains("<script>alert"),
            "{what}: {}",
            page.body
        );
        assert_page_headers(page);
    }
    for (what, page) in [
        ("confirm", &confirm),
        ("error", &error),
        ("unknown", &unknown),
    ] {
        assert!(page.body.contains(escaped), "{what}: {}", page.body);
    }
    assert!(
        confirm
            .body
            .contains(r#"value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;""#),
        "{}",
        confirm.body
    );
}
