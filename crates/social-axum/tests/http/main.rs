//! HTTP-level tests of social-axum over a real app: social-web-suite's scenarios against the
//! axum frontend below (the routes, MemoryStore sessions and the contract routes, driven with
//! `oneshot`), and the tests of what only axum has.

mod axum_only;

use std::{collections::HashMap, str::FromStr as _};

use axum::{
    Json, Router,
    body::Body,
    http::{Request, Response, StatusCode},
    middleware,
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::{Value, json};
use social_axum::{AuthUser, MaybeUser, SocialContext};
use social_web_suite::{Frontend, Setup};
use tower::ServiceExt as _;
use tower_sessions::{
    MemoryStore, Session, SessionManagerLayer, SessionStore as _, cookie::SameSite, session::Id,
};

/// social-axum's routes and extractors in an axum app, with the suite's contract routes.
#[derive(Debug)]
struct AxumFrontend {
    router: Router,
    sessions: MemoryStore,
}

impl Frontend for AxumFrontend {
    async fn start(setup: Setup) -> Self {
        let auth = setup.auth;
        let sessions = MemoryStore::default();
        let routes = social_axum::SocialRoutes::new(auth.clone())
            .templates(setup.templates)
            .unwrap_or_else(|e| panic!("templates are valid: {e}"))
            .into_router();
        let router = Router::new()
            .route("/home", get(home))
            .route("/private", get(private))
            .route(
                "/protected",
                get(|| async { "protected page" }).route_layer(middleware::from_fn_with_state(
                    auth.clone(),
                    social_axum::login_required,
                )),
            )
            .route("/context", get(context))
            .route("/csrf", get(csrf))
            .route("/login-error", get(login_error))
            .route("/logout", post(logout));
        let router = match setup.mount_at {
            Some(prefix) => router.nest(prefix, routes),
            None => router.merge(routes),
        };
        let router = router
            .layer(
                SessionManagerLayer::new(sessions.clone())
                    .with_same_site(SameSite::Lax)
                    .with_secure(false),
            )
            .with_state(auth);
        Self { router, sessions }
    }

    async fn send(&self, request: Request<String>) -> Response<String> {
        let response = self
            .router
            .clone()
            .oneshot(request.map(Body::from))
            .await
            .unwrap_or_else(|e| match e {});
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .unwrap_or_default();
        Response::from_parts(parts, String::from_utf8_lossy(&body).into_owned())
    }

    async fn session_data(&self, id: &str) -> Option<HashMap<String, Value>> {
        let id = Id::from_str(id).ok()?;
        self.sessions
            .load(&id)
            .await
            .ok()
            .flatten()
            .map(|record| record.data)
    }

    fn cookie_name(&self) -> &str {
        // tower-sessions' default name.
        "id"
    }
}

async fn home(MaybeUser(user): MaybeUser) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |u| u.username)
}

async fn private(AuthUser(user): AuthUser) -> String {
    format!("private page of {}", user.username)
}

async fn context(context: SocialContext) -> Json<SocialContext> {
    Json(context)
}

async fn csrf(session: Session) -> impl IntoResponse {
    match social_axum::csrf_token(&session).await {
        Ok(token) => token.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn login_error(session: Session) -> impl IntoResponse {
    match social_axum::take_error(&session).await {
        Ok(error) => Json(json!(error)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn logout(session: Session) -> impl IntoResponse {
    match social_axum::logout(&session).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A current-thread runtime per test, as `#[tokio::test]` gives.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("tokio runtime: {e}"))
}

social_web_suite::suite!(AxumFrontend, |fut| runtime().block_on(fut));
