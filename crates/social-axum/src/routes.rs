//! The login, callback and disconnect routes on an axum router.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    extract::{OriginalUri, Path, Request, State},
    response::Response,
    routing::{get, post},
};
use social_core::SocialAuth;
use social_web::{BodyTooLarge, MAX_FORM_BYTES, SocialWeb, WebRequest};
use tower_sessions::Session;

use crate::session::TowerSession;

/// Mounts the social login routes with the default paths; see [`SocialRoutes`].
///
/// Merge the result into the application's router, or nest it under a prefix.
pub fn routes<S>(auth: SocialAuth) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    SocialRoutes::new(auth).into_router()
}

/// The social login routes, with configurable paths.
///
/// | Method | Default path | What it does |
/// |---|---|---|
/// | `GET`, `POST` | `/login/{backend}/` | starts a login (POST needs the CSRF token) |
/// | `GET`, `POST` | `/complete/{backend}/` | the provider's callback; resumes a paused pipeline given `partial_token` (POST with the CSRF token only) |
/// | `POST` | `/disconnect/{backend}/` | removes the user's accounts of `backend` (CSRF token required) |
/// | `POST` | `/disconnect/{backend}/{association_id}/` | removes one account (CSRF token required) |
///
/// Every path must start with `/` and hold `{backend}` once.
///
/// The pages the routes show themselves (the cross-site login confirmation, error pages, the
/// re-submit page) are minijinja templates: [`SocialRoutes::template`] replaces any of them.
///
/// The rules behind the routes (sessions, CSRF, cross-site checks, pages) are
/// [`social_web::SocialWeb`]'s, shared with the other integrations.
#[derive(Debug, Clone)]
pub struct SocialRoutes {
    web: SocialWeb,
}

impl SocialRoutes {
    social_web::routes_builder!();

    /// The router, to merge into the application's, or to nest under a prefix
    /// (`Router::nest("/auth", ...)`: the URLs built for browsers and providers keep it).
    ///
    /// # Panics
    ///
    /// When a path does not start with `/` or does not hold `{backend}` exactly once, or when
    /// two paths are the same (as [`Router::route`] does for overlapping routes).
    pub fn into_router<S>(self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        self.web.log_start();
        let paths = self.web.paths();
        Router::new()
            .route(&paths.login, get(begin).post(begin))
            .route(&paths.complete, get(complete).post(complete))
            .route(&paths.disconnect, post(disconnect_all))
            .route(&paths.disconnect_one, post(disconnect_one))
            .with_state(Arc::new(self.web))
    }
}

type Shared = State<Arc<SocialWeb>>;

/// Reads an axum request for the routes: its head with the URI the browser sent (before a
/// `nest` stripped its prefix), the prefix, and at most `MAX_FORM_BYTES` of body.
async fn read(request: Request) -> WebRequest {
    let (mut parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_FORM_BYTES).await;
    let mut prefix = String::new();
    if let Some(OriginalUri(original)) = parts.extensions.get::<OriginalUri>().cloned() {
        if let Some(stripped) = original.path().strip_suffix(parts.uri.path()) {
            prefix = stripped.to_owned();
        }
        parts.uri = original;
    }
    WebRequest::from_parts(&parts, body.as_deref().map_err(|_| BodyTooLarge)).mounted_at(&prefix)
}

fn answer(response: social_web::Response) -> Response {
    response.map(Body::from)
}

async fn begin(
    State(web): Shared,
    Path(backend): Path<String>,
    session: Session,
    request: Request,
) -> Response {
    let request = read(request).await;
    answer(web.begin(&backend, &request, &TowerSession(&session)).await)
}

async fn complete(
    State(web): Shared,
    Path(backend): Path<String>,
    session: Session,
    request: Request,
) -> Response {
    let request = read(request).await;
    answer(
        web.complete(&backend, &request, &TowerSession(&session))
            .await,
    )
}

async fn disconnect_all(
    State(web): Shared,
    Path(backend): Path<String>,
    session: Session,
    request: Request,
) -> Response {
    let request = read(request).await;
    answer(
        web.disconnect(&backend, None, &request, &TowerSession(&session))
            .await,
    )
}

async fn disconnect_one(
    State(web): Shared,
    Path((backend, association)): Path<(String, String)>,
    session: Session,
    request: Request,
) -> Response {
    let request = read(request).await;
    answer(
        web.disconnect(
            &backend,
            Some(&association),
            &request,
            &TowerSession(&session),
        )
        .await,
    )
}
