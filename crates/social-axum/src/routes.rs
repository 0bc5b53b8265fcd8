//! The login, callback and disconnect routes.

use std::sync::Arc;

use axum::{
    Router,
    extract::{Path, Request, State},
    http::{Method, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use social_core::{AuthError, ErrorKind, Outcome, SocialAuth, Stage, UserId};
use tower_sessions::Session;

use crate::{
    csrf::{self, CSRF_FIELD, csrf_token},
    pages::{self, Pages},
    session::{self as sess, log_in},
    strategy::{AxumStrategy, ReadError, RequestData, backend_path},
    templates::TemplateError,
};

/// Mounts the social login routes with the default paths; see [`SocialRoutes`].
///
/// Merge the result into the application's router (`Router::merge`, not `nest`: the callback
/// URL sent to providers is built from the configured paths as they are).
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
#[derive(Debug, Clone)]
pub struct SocialRoutes {
    auth: SocialAuth,
    login_path: String,
    complete_path: String,
    disconnect_path: String,
    pages: Pages,
}

impl SocialRoutes {
    /// The routes of `auth` at the default paths.
    pub fn new(auth: SocialAuth) -> Self {
        Self {
            auth,
            login_path: "/login/{backend}/".into(),
            complete_path: "/complete/{backend}/".into(),
            disconnect_path: "/disconnect/{backend}/".into(),
            pages: Pages::default(),
        }
    }

    /// Where logins start; default `/login/{backend}/`.
    #[must_use]
    pub fn login_path(mut self, path: impl Into<String>) -> Self {
        self.login_path = path.into();
        self
    }

    /// The provider callback; default `/complete/{backend}/`. Register the resulting URL with
    /// each provider.
    #[must_use]
    pub fn complete_path(mut self, path: impl Into<String>) -> Self {
        self.complete_path = path.into();
        self
    }

    /// Where accounts are disconnected; default `/disconnect/{backend}/`. The route for one
    /// association adds `{association_id}/` to it.
    #[must_use]
    pub fn disconnect_path(mut self, path: impl Into<String>) -> Self {
        self.disconnect_path = path.into();
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
        self.pages = self.pages.with_overrides(
            templates
                .into_iter()
                .map(|(name, source)| (name.into(), source.into())),
        )?;
        Ok(self)
    }

    /// The router, to merge into the application's.
    ///
    /// # Panics
    ///
    /// When a path does not start with `/` or does not hold `{backend}` exactly once, or when
    /// two paths are the same (as [`Router::route`] does for overlapping routes).
    pub fn into_router<S>(self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        if pages::raise_exceptions(&self.auth) {
            tracing::info!(
                login_error_url = %self.auth.settings().login_error_url,
                "RAISE_EXCEPTIONS is on{}: failed logins show a detailed error page instead of \
                 redirecting to LOGIN_ERROR_URL; set SOCIAL_AUTH_RAISE_EXCEPTIONS=false to \
                 redirect",
                if self.auth.settings().raise_exceptions.is_none() {
                    " (the default of debug builds)"
                } else {
                    ""
                }
            );
        }
        check_path("login_path", &self.login_path);
        check_path("complete_path", &self.complete_path);
        check_path("disconnect_path", &self.disconnect_path);
        let disconnect_one = if self.disconnect_path.ends_with('/') {
            format!("{}{{association_id}}/", self.disconnect_path)
        } else {
            format!("{}/{{association_id}}", self.disconnect_path)
        };
        let (login, complete, disconnect) = (
            self.login_path.clone(),
            self.complete_path.clone(),
            self.disconnect_path.clone(),
        );
        Router::new()
            .route(&login, get(begin).post(begin))
            .route(&complete, get(complete_login).post(complete_login))
            .route(&disconnect, post(disconnect_all))
            .route(&disconnect_one, post(disconnect_one_handler))
            .with_state(Arc::new(self))
    }
}

fn check_path(setting: &str, path: &str) {
    let ok = path.starts_with('/')
        && path.matches("{backend}").count() == 1
        && path.matches('{').count() == 1
        && path.matches('}').count() == 1;
    assert!(
        ok,
        "SocialRoutes::{setting}: `{path}` must start with `/` and hold `{{backend}}` exactly once"
    );
}

type Shared = State<Arc<SocialRoutes>>;

/// What the 404 page says of a backend compiled in but not configured: that much to anyone,
/// and which setting it lacks only where errors are shown in detail (`RAISE_EXCEPTIONS`).
fn not_configured_hint(routes: &SocialRoutes, backend: &str) -> Option<String> {
    let missing = routes.auth.not_configured(backend)?;
    let title = routes
        .auth
        .registry()
        .unconfigured()
        .find(|b| b.name() == backend)
        .map_or(backend, |b| b.display_name());
    Some(if pages::raise_exceptions(&routes.auth) {
        format!("{title} is compiled in but not configured: {missing}.")
    } else {
        format!("{title} is not configured on this site.")
    })
}

/// What every route does first: a known backend and a readable request with a valid host.
async fn prepare(
    routes: &SocialRoutes,
    backend: &str,
    request: Request,
) -> Result<(RequestData, String), Response> {
    if routes.auth.registry().get(backend).is_none() {
        return Err(routes
            .pages
            .unknown_backend(backend, not_configured_hint(routes, backend).as_deref()));
    }
    let data = RequestData::read(request).await.map_err(|e| match e {
        ReadError::BodyTooLarge => routes
            .pages
            .status_page(StatusCode::PAYLOAD_TOO_LARGE, "The form sent is too large."),
    })?;
    let host = data.host.clone().ok_or_else(|| {
        routes.pages.status_page(
            StatusCode::BAD_REQUEST,
            "The request has no valid Host header.",
        )
    })?;
    Ok((data, host))
}

fn session_failed(pages: &Pages, error: tower_sessions::session::Error) -> Response {
    tracing::error!(%error, "the session store failed");
    pages.status_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in is unavailable for a moment: sessions cannot be stored. Please try again \
         shortly.",
    )
}

/// The id of the logged-in user, if they still exist and are active: a login by a deleted or
/// deactivated user's session is an anonymous one, not an association.
async fn current_user(
    routes: &SocialRoutes,
    session: &Session,
) -> Result<Option<UserId>, Response> {
    let Some(id) = sess::user_id(session)
        .await
        .map_err(|e| session_failed(&routes.pages, e))?
    else {
        return Ok(None);
    };
    match routes.auth.storage().user(&id).await {
        Ok(user) => Ok(user.filter(|u| u.is_active).map(|u| u.id)),
        Err(error) => {
            tracing::error!(%error, user = %id, "could not load the logged-in user");
            Err(routes.pages.status_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again later.",
            ))
        }
    }
}

/// The name people read for `backend`: its display name, or the name itself when no such
/// backend is registered.
fn display_name<'a>(auth: &'a SocialAuth, backend: &'a str) -> &'a str {
    auth.registry()
        .get(backend)
        .map_or(backend, |b| b.display_name())
}

/// Whether a GET may start a login at once: the browser says the user came from this site
/// or typed the URL, or it says nothing (non-browser clients, older browsers).
fn fetch_allowed(fetch_site: Option<&str>) -> bool {
    matches!(fetch_site, None | Some("same-origin" | "none"))
}

async fn begin(
    State(routes): Shared,
    Path(backend): Path<String>,
    session: Session,
    request: Request,
) -> Response {
    let (data, host) = match prepare(&routes, &backend, request).await {
        Ok(prepared) => prepared,
        Err(response) => return response,
    };
    if data.method == Method::HEAD {
        // Link checkers and previews probe with HEAD: never start a login for them.
        return StatusCode::OK.into_response();
    }
    if data.method == Method::POST {
        match csrf::verify_csrf(&session, data.form_csrf.as_deref()).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(backend, "login POST without a valid CSRF token");
                return routes.pages.forbidden(
                    "This login form expired or was not sent from this site. Please try again.",
                );
            }
            Err(e) => return session_failed(&routes.pages, e),
        }
    } else if !fetch_allowed(data.fetch_site.as_deref()) {
        let token = match csrf_token(&session).await {
            Ok(token) => token,
            Err(e) => return session_failed(&routes.pages, e),
        };
        let mut fields: Vec<(String, String)> = data
            .query
            .iter()
            .filter(|(name, _)| name != CSRF_FIELD)
            .cloned()
            .collect();
        fields.push((CSRF_FIELD.to_owned(), token));
        let action = backend_path(&routes.login_path, &backend);
        let shown = display_name(&routes.auth, &backend);
        return routes
            .pages
            .confirm_login(&action, &backend, shown, &fields);
    }
    let auth = &routes.auth;
    if auth.association_only(&backend) {
        // Only a logged-in user may connect such an account: do not send anyone else away.
        match current_user(&routes, &session).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                let error = AuthError::new(
                    ErrorKind::Forbidden,
                    Stage::Begin,
                    format!("{backend} only connects an account to a logged-in user"),
                )
                .with_provider(&backend);
                return routes.pages.login_failed(auth, &session, error).await;
            }
            Err(response) => return response,
        }
    }
    let strategy = AxumStrategy::new(
        &data,
        &host,
        auth.settings().redirect_is_https,
        &routes.complete_path,
        &session,
        Stage::Begin,
    );
    let response = match auth.begin(&strategy, &backend).await {
        Ok(flow) => {
            let shown = display_name(auth, &backend);
            routes.pages.flow_response(flow, &backend, shown)
        }
        Err(error) => routes.pages.login_failed(auth, &session, error).await,
    };
    pages::harden(response)
}

async fn complete_login(
    State(routes): Shared,
    Path(backend): Path<String>,
    session: Session,
    request: Request,
) -> Response {
    let (data, host) = match prepare(&routes, &backend, request).await {
        Ok(prepared) => prepared,
        Err(response) => return response,
    };
    if data.method == Method::HEAD {
        // Link checkers and previews probe with HEAD: it must never spend the callback that
        // the browser's real GET will bring.
        return pages::harden(StatusCode::OK.into_response());
    }
    if data.params.contains_key(social_core::PARTIAL_TOKEN_PARAM) {
        // Resuming a paused login logs someone in: only this site's own form may do it, by
        // POST with the session's CSRF token — never a link.
        if data.method != Method::POST {
            return routes.pages.status_page(
                StatusCode::METHOD_NOT_ALLOWED,
                "A paused sign-in is resumed with the form it showed, not with a link.",
            );
        }
        match csrf::verify_csrf(&session, data.form_csrf.as_deref()).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(backend, "resume without a valid CSRF token");
                return routes.pages.forbidden(
                    "This form expired or was not sent from this site. Please try again.",
                );
            }
            Err(e) => return session_failed(&routes.pages, e),
        }
    }
    if let Some(response) = resubmit_cross_site_post(&routes, &backend, &data, &session) {
        return response;
    }
    let auth = &routes.auth;
    let current = match current_user(&routes, &session).await {
        Ok(current) => current,
        Err(response) => return response,
    };
    let strategy = AxumStrategy::new(
        &data,
        &host,
        auth.settings().redirect_is_https,
        &routes.complete_path,
        &session,
        Stage::Callback,
    );
    let outcome = auth.complete(&strategy, &backend, current.as_ref()).await;
    let response = match outcome {
        Ok(Outcome::LoggedIn(login)) => {
            let now = auth.clock().now();
            match log_in(&session, auth.settings(), &login, current.as_ref(), now).await {
                Ok(()) => Redirect::to(&login.redirect_url).into_response(),
                Err(e) => session_failed(&routes.pages, e),
            }
        }
        Ok(Outcome::Inactive { user, redirect_url }) => {
            tracing::info!(user = %user.id, backend, "inactive user was not logged in");
            Redirect::to(&redirect_url).into_response()
        }
        // Core binds the token to this session: only this browser can resume.
        Ok(Outcome::Paused { url, .. }) => Redirect::to(&url).into_response(),
        Ok(Outcome::Respond(flow)) => {
            let shown = display_name(auth, &backend);
            routes.pages.flow_response(flow, &backend, shown)
        }
        Ok(other) => {
            tracing::error!(outcome = ?other, "social-axum does not know this login outcome");
            routes.pages.status_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again later.",
            )
        }
        Err(error) => routes.pages.login_failed(auth, &session, error).await,
    };
    // The callback's URL holds a code and a state: nothing it answers may be cached, and
    // where it sends the browser must not learn that URL through `Referer`.
    pages::harden(response)
}

/// The field a re-submitted callback carries, so that it is re-submitted once at most.
pub(crate) const RESUBMITTED_FIELD: &str = "social_auth_resubmitted";

/// A provider's cross-site POST to the callback (`response_mode=form_post`: Apple, Microsoft
/// on request) arrives without the session cookie, which `SameSite=Lax` keeps off cross-site
/// POSTs. Such a POST is answered with a page that submits the same fields to the same URL
/// from this site, so that the cookie comes along; the callback then runs with every check it
/// always has. The cookie is not weakened: a POST that brings the session, or was already
/// re-submitted once, goes straight through.
fn resubmit_cross_site_post(
    routes: &SocialRoutes,
    backend: &str,
    data: &RequestData,
    session: &Session,
) -> Option<Response> {
    // A paused login's resume is this site's own form, which brings the session or never will.
    let ours = data
        .form
        .iter()
        .any(|(name, _)| name == RESUBMITTED_FIELD || name == "partial_token");
    if data.method != Method::POST || ours || session.id().is_some() {
        return None;
    }
    let mut action = backend_path(&routes.complete_path, backend);
    if !data.query.is_empty() {
        action.push('?');
        action.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&data.query)
                .finish(),
        );
    }
    let mut fields = data.form.clone();
    fields.push((RESUBMITTED_FIELD.to_owned(), "1".to_owned()));
    tracing::debug!(
        backend,
        "re-submitting a cross-site callback POST from this site"
    );
    let shown = display_name(&routes.auth, backend);
    Some(routes.pages.resubmit(&action, backend, shown, &fields))
}

async fn disconnect_all(
    State(routes): Shared,
    Path(backend): Path<String>,
    session: Session,
    request: Request,
) -> Response {
    disconnect(&routes, &backend, None, &session, request).await
}

async fn disconnect_one_handler(
    State(routes): Shared,
    Path((backend, association)): Path<(String, String)>,
    session: Session,
    request: Request,
) -> Response {
    let Ok(association) = association.parse::<i64>() else {
        return routes
            .pages
            .status_page(StatusCode::NOT_FOUND, "There is no such association.");
    };
    disconnect(&routes, &backend, Some(association), &session, request).await
}

async fn disconnect(
    routes: &SocialRoutes,
    backend: &str,
    association: Option<i64>,
    session: &Session,
    request: Request,
) -> Response {
    let (data, host) = match prepare(routes, backend, request).await {
        Ok(prepared) => prepared,
        Err(response) => return response,
    };
    let auth = &routes.auth;
    let user = match current_user(routes, session).await {
        Ok(Some(user)) => user,
        Ok(None) => return routes.pages.forbidden("Log in to disconnect an account."),
        Err(response) => return response,
    };
    match csrf::verify_csrf(session, data.form_csrf.as_deref()).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(backend, "disconnect without a valid CSRF token");
            return routes
                .pages
                .forbidden("This form expired or was not sent from this site. Please try again.");
        }
        Err(e) => return session_failed(&routes.pages, e),
    }
    if let Err(error) = auth.disconnect(&user, backend, association).await {
        return routes.pages.login_failed(auth, session, error).await;
    }
    let settings = auth.settings();
    let strategy = AxumStrategy::new(
        &data,
        &host,
        settings.redirect_is_https,
        &routes.complete_path,
        session,
        Stage::Disconnect,
    );
    let target = data
        .params
        .get("next")
        .and_then(|next| auth.safe_redirect(&strategy, next))
        .or_else(|| settings.disconnect_redirect_url.clone())
        .unwrap_or_else(|| settings.login_redirect_url.clone());
    Redirect::to(&target).into_response()
}
