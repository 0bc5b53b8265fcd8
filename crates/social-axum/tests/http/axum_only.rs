//! What only the axum integration has: its layering and its route builder.

use axum::{Router, http::StatusCode, routing::get};
use social_axum::AuthUser;
use social_web_suite::App;
use tower::ServiceExt as _;

use crate::AxumFrontend;

#[tokio::test]
async fn without_the_session_layer_the_extractor_says_so() {
    let app = App::<AxumFrontend>::new().await;
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
    let app = App::<AxumFrontend>::new().await;
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
