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
use social_web::{BodyTooLarge, MAX_FORM_BYTES, SocialWeb, TemplateError, WebRequest};
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
    /// The routes of `auth` at the default paths.
    pub fn new(auth: SocialAuth) -> Self {
        Self {
            web: SocialWeb::new(auth),
        }
    }

    /// Where logins start; default `/login/{backend}/`.
    #[must_use]
    pub fn login_path(mut self, path: impl Into<String>) -> Self {
        self.web = self.web.login_path(path);
        self
    }

    /// The provider callback; default `/complete/{backend}/`. Register the resulting URL with
    /// each provider.
    #[must_use]
    pub fn complete_path(mut self, path: impl Into<String>) -> Self {
        self.web = self.web.complete_path(path);
        self
    }

    /// Where accounts are disconnected; default `/disconnect/{backend}/`. The route for one
    /// association adds `{association_id}/` to it.
    #[must_use]
    pub fn disconnect_path(mut self, path: impl Into<String>) -> Self {
        self.web = self.web.disconnect_path(path);
        self
    }

    /// Replaces the page template `name` with the minijinja `source`; see
    /// [`SocialRoutes::templates`].
    ///
    /// ```
    /// # fn routes(auth: social_core::SocialAuth) -> Result<(), social_axum::TemplateError> {
    /// let routes = social_axum::SocialRoutes::new(auth).template(
    ///     "confirm.html",
    ///     r#"{% extends "base.html" %}
    /// {% block title %}Sign in with {{ display_name }}{% endblock %}
    /// {% block content %}
    /// <h1>Sign in to Acme with {{ display_name }}?</h1>
    /// <form method="post" action="{{ action }}">
    /// {% for field in fields %}<input type="hidden" name="{{ field.name }}" value="{{ field.value }}">{% endfor %}
    /// <button>Continue</button>
    /// </form>
    /// {% endblock %}"#,
    /// )?;
    /// # let _ = routes; Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// A [`TemplateError`] naming the template when `name` is not a page template, when
    /// `source` does not compile, or when a page fails to render with it.
    pub fn template(self, name: &str, source: impl Into<String>) -> Result<Self, TemplateError> {
        self.templates([(name, source)])
    }

    /// Replaces page templates, given as (name, minijinja source) pairs: the application's
    /// look without copying code. Templates whose name ends in `.html` escape every value.
    ///
    /// | Template | Page | Variables |
    /// |---|---|---|
    /// | `base.html` | the layout the others extend: blocks `title`, `head`, `layout` (the class of `<main>`), `content`, `scripts` | those of the page being shown |
    /// | `confirm.html` | 200: confirm a login another site started; its form must post `fields` to `action` | `backend`, `display_name`, `action`, `fields` (each `name`, `value`) |
    /// | `resubmit.html` | 200: re-submits a provider's cross-site callback POST from this site | `backend`, `display_name`, `action`, `fields` |
    /// | `auto_post.html` | 200: a login that goes on with a POST (OpenID 2.0) | `backend`, `display_name`, `action`, `fields` |
    /// | `error.html` | the detailed error page of `RAISE_EXCEPTIONS` | `message`, `code`, `stage`, `backend` and `display_name` (none when unknown), `details` |
    /// | `not_found.html` | 404: unknown backend | `backend` (the name asked for), `hint` (none, or what to do) |
    /// | `forbidden.html` | 403: no user or no valid CSRF token | `message` |
    /// | `status.html` | other statuses (400, 405, 413, 500, 503) | `reason` (`Payload Too Large`), `message` |
    ///
    /// Every page also gets `status`, the HTTP status code. Each template is checked when
    /// set: compiled, then every page rendered once with sample values. Printing a variable
    /// the page does not give is an error; `{% if name %}` tests for one. Should a page still
    /// fail to render at request time, a plain built-in page is shown and an error logged.
    /// The pages keep their headers whatever the template: `no-store`, `no-referrer`,
    /// `nosniff` and no framing (`frame-ancestors 'none'`, which allows inline `<style>`).
    ///
    /// # Errors
    ///
    /// A [`TemplateError`] naming the template when a name is not a page template, when a
    /// source does not compile, or when a page fails to render with the new templates.
    pub fn templates<N, S>(
        mut self,
        templates: impl IntoIterator<Item = (N, S)>,
    ) -> Result<Self, TemplateError>
    where
        N: Into<String>,
        S: Into<String>,
    {
        self.web = self.web.templates(templates)?;
        Ok(self)
    }

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
