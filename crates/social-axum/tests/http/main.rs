//! HTTP-level tests of social-axum over a real app: social-web-suite's scenarios against the
//! axum frontend below (the routes, sessions in a `MemoryStore` or in their cookie, and the
//! contract routes, driven with `oneshot`), and the tests of what only axum has.

mod axum_only;

use std::{collections::HashMap, marker::PhantomData, str::FromStr as _};

use axum::{
    Json, Router,
    body::Body,
    http::{Request, Response, StatusCode},
    middleware,
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::{Value, json};
use social_axum::{AuthUser, CookieSessionLayer, Key, MaybeUser, SocialContext};
use social_web_suite::{Frontend, Setup};
use tower::ServiceExt as _;
use tower_sessions::{
    MemoryStore, Session, SessionManagerLayer, SessionStore as _,
    cookie::{Cookie, CookieJar, SameSite},
    session::Id,
};

/// social-axum's routes and extractors in an axum app, with the suite's contract routes, its
/// sessions kept as `K` says.
#[derive(Debug)]
struct AxumFrontend<K> {
    router: Router,
    sessions: Sessions,
    kind: PhantomData<K>,
}

/// Where an [`AxumFrontend`] keeps its sessions.
trait Kind {
    /// Whether in their cookie ([`CookieSessionLayer`]) rather than in a `MemoryStore`.
    const IN_COOKIE: bool;
}

/// Sessions in tower-sessions' `MemoryStore`, behind its `SessionManagerLayer`.
#[derive(Debug)]
struct InStore;

impl Kind for InStore {
    const IN_COOKIE: bool = false;
}

/// Sessions in their cookie, behind [`CookieSessionLayer`].
#[derive(Debug)]
struct InCookie;

impl Kind for InCookie {
    const IN_COOKIE: bool = true;
}

/// What opens a session back.
#[derive(Debug)]
enum Sessions {
    Store(MemoryStore),
    Cookie(Key),
}

/// The session cookie's name: tower-sessions' default, given to the cookie layer too.
const COOKIE: &str = "id";

impl<K: Kind> Frontend for AxumFrontend<K> {
    async fn start(setup: Setup) -> Self {
        let auth = setup.auth;
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
        let router = router.with_state(auth);
        let (router, sessions) = if K::IN_COOKIE {
            let key = Key::generate();
            let layer = CookieSessionLayer::new(key.clone())
                .with_name(COOKIE)
                .with_secure(false);
            (router.layer(layer), Sessions::Cookie(key))
        } else {
            let store = MemoryStore::default();
            let layer = SessionManagerLayer::new(store.clone())
                .with_same_site(SameSite::Lax)
                .with_secure(false);
            (router.layer(layer), Sessions::Store(store))
        };
        Self {
            router,
            sessions,
            kind: PhantomData,
        }
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
        match &self.sessions {
            Sessions::Store(store) => store
                .load(&Id::from_str(id).ok()?)
                .await
                .ok()
                .flatten()
                .map(|record| record.data),
            Sessions::Cookie(key) => {
                // The cookie is `{"e": expires, "d": data}`, encrypted with the app's key.
                let mut jar = CookieJar::new();
                let opened = jar
                    .private_mut(key)
                    .decrypt(Cookie::new(COOKIE, id.to_owned()))?;
                let mut sealed: Value = serde_json::from_str(opened.value()).ok()?;
                serde_json::from_value(sealed.get_mut("d")?.take()).ok()
            }
        }
    }

    fn cookie_name(&self) -> &str {
        COOKIE
    }

    fn sessions_in_cookie(&self) -> bool {
        K::IN_COOKIE
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

/// The suite over sessions in a store.
mod in_store {
    use super::*;

    social_web_suite::suite!(AxumFrontend<InStore>, |fut| runtime().block_on(fut));
}

/// The suite over sessions in their cookie.
mod in_cookie {
    use super::*;

    social_web_suite::suite!(AxumFrontend<InCookie>, |fut| runtime().block_on(fut));
}
