//! What only the axum integration has: its layering and its route builder.

use axum::{Router, http::StatusCode, routing::get};
use social_axum::AuthUser;
use social_web_suite::App;
use tower::ServiceExt as _;

use crate::{AxumFrontend, InStore};

#[tokio::test]
async fn without_the_session_layer_the_extractor_says_so() {
    let app = App::<AxumFrontend<InStore>>::new().await;
    let router: Router = Router::new()
        .route(
            "/",
            get(|AuthUser(user): AuthUser| async move { user.username }),
        )
        .with_state(app.auth.clone());
    let response = router
        .oneshot(
            axum::http::Request::get("/")
                .body(axum::body::Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await
        .unwrap_or_else(|e| match e {});
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&body).contains("SessionManagerLayer"),
        "the message names the missing layer"
    );
}

#[tokio::test]
async fn an_invalid_template_is_refused_when_the_routes_are_built() {
    let app = App::<AxumFrontend<InStore>>::new().await;
    let routes = || social_axum::SocialRoutes::new(app.auth.clone());
    let error = routes()
        .template("forbidden.html", "<h1>{{ message }</h1>")
        .err()
        .unwrap_or_else(|| panic!("a syntax error is refused"));
    assert_eq!(error.template(), "forbidden.html");
    assert!(error.to_string().contains("forbidden.html"), "{error}");

    let error = routes()
        .templates([
            ("status.html", "{{ reason }}: {{ message }}"),
            (
                "base.html",
                "{% block content %}{% endblock %}{{ display_nam }}",
            ),
        ])
        .err()
        .unwrap_or_else(|| panic!("a misspelt variable is refused"));
    assert_eq!(error.template(), "base.html", "{error}");

    let error = routes()
        .template("login.html", "{{ display_name }}")
        .err()
        .unwrap_or_else(|| panic!("an unknown template is refused"));
    assert_eq!(error.template(), "login.html");
}

/// tower-sessions can end the session cookie itself: with `session_expiration`, it expires
/// with the token.
#[tokio::test]
async fn the_session_cookie_expires_with_the_token() {
    let app = App::<AxumFrontend<InStore>>::with(social_web_suite::Config {
        tweak: |s| s.session_expiration = true,
        ..social_web_suite::Config::default()
    })
    .await;
    app.mount_github_token(r#"{"access_token":"gho_x","token_type":"bearer","expires_in":3600}"#)
        .await;
    app.mount_github(social_web_suite::USER_JSON, social_web_suite::EMAILS_JSON)
        .await;
    let mut browser = app.browser();
    let response = social_web_suite::login(&mut browser, "/login/github/").await;
    response.assert_redirect("/home");
    let cookie = response.header("set-cookie");
    assert!(
        cookie.contains("Expires=") || cookie.contains("Max-Age="),
        "the session cookie expires with the token: {cookie}"
    );
}
