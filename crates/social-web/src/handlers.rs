//! The login, callback and disconnect routes, whatever the framework.

use http::{Method, StatusCode};
use social_core::{AuthError, ErrorKind, Outcome, SocialAuth, Stage, UserId};

use crate::{
    Response, WebRequest, WebSession,
    csrf::{self, CSRF_FIELD, csrf_token},
    pages::{self, Pages},
    redirect,
    session::{SessionError, log_in},
    strategy::WebStrategy,
    templates::TemplateError,
    user::{UserError, current_user},
};

/// The social login routes, with configurable paths and pages: what every integration
/// serves, answered here once. An integration reads the request into a [`WebRequest`], gives
/// its session as a [`WebSession`], and writes the [`Response`] back.
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
/// re-submit page) are minijinja templates: [`SocialWeb::template`] replaces any of them.
#[derive(Debug, Clone)]
pub struct SocialWeb {
    auth: SocialAuth,
    login_path: String,
    complete_path: String,
    disconnect_path: String,
    pages: Pages,
}

/// The route patterns of a [`SocialWeb`], checked, in the `{name}` syntax that axum and
/// actix-web share.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RoutePaths {
    /// `GET`, `POST`: starts a login.
    pub login: String,
    /// `GET`, `POST`: the provider's callback.
    pub complete: String,
    /// `POST`: disconnects every account of a backend.
    pub disconnect: String,
    /// `POST`: disconnects one account; adds `{association_id}`.
    pub disconnect_one: String,
}

impl SocialWeb {
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
    /// [`SocialWeb::templates`].
    ///
    /// ```
    /// # fn routes(auth: social_core::SocialAuth) -> Result<(), social_web::TemplateError> {
    /// let routes = social_web::SocialWeb::new(auth).template(
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

    /// The [`SocialAuth`] these routes serve.
    pub fn auth(&self) -> &SocialAuth {
        &self.auth
    }

    /// The route patterns, to register with the framework's router.
    ///
    /// # Panics
    ///
    /// When a path does not start with `/` or does not hold `{backend}` exactly once (a
    /// mistake in the application's code, found when the router is built).
    pub fn paths(&self) -> RoutePaths {
        check_path("login_path", &self.login_path);
        check_path("complete_path", &self.complete_path);
        check_path("disconnect_path", &self.disconnect_path);
        let disconnect_one = if self.disconnect_path.ends_with('/') {
            format!("{}{{association_id}}/", self.disconnect_path)
        } else {
            format!("{}/{{association_id}}", self.disconnect_path)
        };
        RoutePaths {
            login: self.login_path.clone(),
            complete: self.complete_path.clone(),
            disconnect: self.disconnect_path.clone(),
            disconnect_one,
        }
    }

    /// Logs once, when the integration builds its router, that failed logins show the
    /// detailed error page (`RAISE_EXCEPTIONS`), and how to turn it off.
    pub fn log_start(&self) {
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
    }
}

fn check_path(setting: &str, path: &str) {
    let ok = path.starts_with('/')
        && path.matches("{backend}").count() == 1
        && path.matches('{').count() == 1
        && path.matches('}').count() == 1;
    assert!(
        ok,
        "social login routes, {setting}: `{path}` must start with `/` and hold `{{backend}}` exactly once"
    );
}

/// What the 404 page says of a backend compiled in but not configured: that much to anyone,
/// and which setting it lacks only where errors are shown in detail (`RAISE_EXCEPTIONS`).
fn not_configured_hint(routes: &SocialWeb, backend: &str) -> Option<String> {
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
#[expect(
    clippy::result_large_err,
    reason = "the error is the answer, built once per refused request"
)]
fn prepare<'r>(
    routes: &SocialWeb,
    backend: &str,
    request: &'r WebRequest,
) -> Result<&'r str, Response> {
    if routes.auth.registry().get(backend).is_none() {
        return Err(routes
            .pages
            .unknown_backend(backend, not_configured_hint(routes, backend).as_deref()));
    }
    if request.too_large {
        return Err(routes
            .pages
            .status_page(StatusCode::PAYLOAD_TOO_LARGE, "The form sent is too large."));
    }
    request.host.as_deref().ok_or_else(|| {
        routes.pages.status_page(
            StatusCode::BAD_REQUEST,
            "The request has no valid Host header.",
        )
    })
}

fn session_failed(pages: &Pages, error: &SessionError) -> Response {
    tracing::error!(%error, "the session store failed");
    pages.status_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sign-in is unavailable for a moment: sessions cannot be stored. Please try again \
         shortly.",
    )
}

/// The id of the logged-in user, if they still exist and are active: a login by a deleted or
/// deactivated user's session is an anonymous one, not an association.
async fn current_id(
    routes: &SocialWeb,
    session: &dyn WebSession,
) -> Result<Option<UserId>, Response> {
    match current_user(&routes.auth, session).await {
        Ok(user) => Ok(user.map(|u| u.id)),
        Err(UserError::Session(error)) => Err(session_failed(&routes.pages, &error)),
        Err(error) => {
            tracing::error!(%error, "could not load the logged-in user");
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

/// The form a CSRF token guards.
#[derive(Debug, Clone, Copy)]
enum Guarded {
    Login,
    Resume,
    Disconnect,
}

/// Checks the form's CSRF token: `None` when it is this session's, else the answer.
async fn refuse_without_csrf(
    routes: &SocialWeb,
    session: &dyn WebSession,
    request: &WebRequest,
    backend: &str,
    form: Guarded,
) -> Option<Response> {
    match csrf::verify_csrf(session, request.form_csrf()).await {
        Ok(true) => None,
        Ok(false) => {
            tracing::warn!(backend, ?form, "a form without a valid CSRF token");
            Some(routes.pages.forbidden(match form {
                Guarded::Login => {
                    "This login form expired or was not sent from this site. Please try again."
                }
                Guarded::Resume | Guarded::Disconnect => {
                    "This form expired or was not sent from this site. Please try again."
                }
            }))
        }
        Err(e) => Some(session_failed(&routes.pages, &e)),
    }
}

/// An empty `200` with the hardening headers: what HEAD requests get.
fn empty_ok() -> Response {
    pages::harden(Response::new(String::new()))
}

impl SocialWeb {
    /// `GET`/`POST` at the login path: starts a login of `backend`. A cross-site GET gets a
    /// confirmation page, a POST needs the CSRF token, HEAD never starts anything.
    pub async fn begin(
        &self,
        backend: &str,
        request: &WebRequest,
        session: &dyn WebSession,
    ) -> Response {
        let routes = self;
        let host = match prepare(routes, backend, request) {
            Ok(host) => host,
            Err(response) => return response,
        };
        if request.method == Method::HEAD {
            // Link checkers and previews probe with HEAD: never start a login for them.
            return empty_ok();
        }
        if request.method == Method::POST {
            if let Some(refused) =
                refuse_without_csrf(routes, session, request, backend, Guarded::Login).await
            {
                return refused;
            }
        } else if !fetch_allowed(request.fetch_site.as_deref()) {
            let token = match csrf_token(session).await {
                Ok(token) => token,
                Err(e) => return session_failed(&routes.pages, &e),
            };
            let mut fields: Vec<(String, String)> = request
                .query()
                .iter()
                .filter(|(name, _)| name != CSRF_FIELD)
                .cloned()
                .collect();
            fields.push((CSRF_FIELD.to_owned(), token));
            let action = request.route_path(&routes.login_path, backend);
            let shown = display_name(&routes.auth, backend);
            return routes.pages.confirm_login(&action, backend, shown, &fields);
        }
        let auth = &routes.auth;
        if auth.association_only(backend) {
            // Only a logged-in user may connect such an account: do not send anyone else away.
            match current_id(routes, session).await {
                Ok(Some(_)) => {}
                Ok(None) => {
                    let error = AuthError::new(
                        ErrorKind::Forbidden,
                        Stage::Begin,
                        format!("{backend} only connects an account to a logged-in user"),
                    )
                    .with_provider(backend);
                    return routes.pages.login_failed(auth, session, error).await;
                }
                Err(response) => return response,
            }
        }
        let strategy = WebStrategy::new(
            request,
            host,
            auth.settings().redirect_is_https,
            &routes.complete_path,
            session,
            Stage::Begin,
        );
        let response = match auth.begin(&strategy, backend).await {
            Ok(flow) => {
                let shown = display_name(auth, backend);
                routes.pages.flow_response(flow, backend, shown)
            }
            Err(error) => routes.pages.login_failed(auth, session, error).await,
        };
        pages::harden(response)
    }

    /// `GET`/`POST` at the callback path: completes a login of `backend` and logs the user in
    /// (new session id, CSRF token replaced), or resumes a paused one (POST with the CSRF
    /// token only). HEAD never spends a callback.
    pub async fn complete(
        &self,
        backend: &str,
        request: &WebRequest,
        session: &dyn WebSession,
    ) -> Response {
        let routes = self;
        let host = match prepare(routes, backend, request) {
            Ok(host) => host,
            Err(response) => return response,
        };
        if request.method == Method::HEAD {
            // Link checkers and previews probe with HEAD: it must never spend the callback
            // that the browser's real GET will bring.
            return empty_ok();
        }
        if request.param(social_core::PARTIAL_TOKEN_PARAM).is_some() {
            // Resuming a paused login logs someone in: only this site's own form may do it,
            // by POST with the session's CSRF token — never a link.
            if request.method != Method::POST {
                return routes.pages.status_page(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "A paused sign-in is resumed with the form it showed, not with a link.",
                );
            }
            if let Some(refused) =
                refuse_without_csrf(routes, session, request, backend, Guarded::Resume).await
            {
                return refused;
            }
        }
        match resubmit_cross_site_post(routes, backend, request, session).await {
            Ok(Some(response)) => return response,
            Ok(None) => {}
            Err(e) => return session_failed(&routes.pages, &e),
        }
        let auth = &routes.auth;
        let current = match current_id(routes, session).await {
            Ok(current) => current,
            Err(response) => return response,
        };
        let strategy = WebStrategy::new(
            request,
            host,
            auth.settings().redirect_is_https,
            &routes.complete_path,
            session,
            Stage::Callback,
        );
        let outcome = auth.complete(&strategy, backend, current.as_ref()).await;
        let response = match outcome {
            Ok(Outcome::LoggedIn(login)) => {
                let now = auth.clock().now();
                let last_login_key = &auth.settings().last_login_session_key;
                let (user, backend, ends) =
                    (&login.user.id, &login.backend, login.session_expires_at);
                match log_in(session, last_login_key, user, backend, ends, now).await {
                    Ok(()) => redirect(&login.redirect_url),
                    Err(e) => session_failed(&routes.pages, &e),
                }
            }
            Ok(Outcome::Inactive { user, redirect_url }) => {
                tracing::info!(user = %user.id, backend, "inactive user was not logged in");
                redirect(&redirect_url)
            }
            // Core binds the token to this session: only this browser can resume.
            Ok(Outcome::Paused { url, .. }) => redirect(&url),
            Ok(Outcome::Respond(flow)) => {
                let shown = display_name(auth, backend);
                routes.pages.flow_response(flow, backend, shown)
            }
            Ok(other) => {
                tracing::error!(outcome = ?other, "social-web does not know this login outcome");
                routes.pages.status_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Please try again later.",
                )
            }
            Err(error) => routes.pages.login_failed(auth, session, error).await,
        };
        // The callback's URL holds a code and a state: nothing it answers may be cached, and
        // where it sends the browser must not learn that URL through `Referer`.
        pages::harden(response)
    }

    /// `POST` at the disconnect path: removes the logged-in user's accounts of `backend`, or
    /// the one `association` (the path's `{association_id}`) names. Needs a user and the CSRF
    /// token; then redirects to `next` (sanitized), `DISCONNECT_REDIRECT_URL` or
    /// `LOGIN_REDIRECT_URL`.
    pub async fn disconnect(
        &self,
        backend: &str,
        association: Option<&str>,
        request: &WebRequest,
        session: &dyn WebSession,
    ) -> Response {
        let routes = self;
        let association = match association.map(str::parse::<i64>) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                return routes
                    .pages
                    .status_page(StatusCode::NOT_FOUND, "There is no such association.");
            }
        };
        let host = match prepare(routes, backend, request) {
            Ok(host) => host,
            Err(response) => return response,
        };
        let auth = &routes.auth;
        let user = match current_id(routes, session).await {
            Ok(Some(user)) => user,
            Ok(None) => return routes.pages.forbidden("Log in to disconnect an account."),
            Err(response) => return response,
        };
        if let Some(refused) =
            refuse_without_csrf(routes, session, request, backend, Guarded::Disconnect).await
        {
            return refused;
        }
        if let Err(error) = auth.disconnect(&user, backend, association).await {
            return routes.pages.login_failed(auth, session, error).await;
        }
        let settings = auth.settings();
        let strategy = WebStrategy::new(
            request,
            host,
            settings.redirect_is_https,
            &routes.complete_path,
            session,
            Stage::Disconnect,
        );
        let target = request
            .param("next")
            .and_then(|next| auth.safe_redirect(&strategy, next))
            .or_else(|| settings.disconnect_redirect_url.clone())
            .unwrap_or_else(|| settings.login_redirect_url.clone());
        redirect(&target)
    }

    /// The `413` page integrations answer when a body is over
    /// [`MAX_FORM_BYTES`](crate::MAX_FORM_BYTES) before a [`WebRequest`] can be made.
    pub fn too_large(&self) -> Response {
        self.pages
            .status_page(StatusCode::PAYLOAD_TOO_LARGE, "The form sent is too large.")
    }

    /// A plain error page with `status` and `message`, in the routes' look: for integrations'
    /// own refusals (a missing session layer, say).
    pub fn status_page(&self, status: StatusCode, message: &str) -> Response {
        self.pages.status_page(status, message)
    }
}

/// The field a re-submitted callback carries, so that it is re-submitted once at most.
pub(crate) const RESUBMITTED_FIELD: &str = "social_auth_resubmitted";

/// A provider's cross-site POST to the callback (`response_mode=form_post`: Apple, Microsoft
/// on request) arrives without the session cookie, which `SameSite=Lax` keeps off cross-site
/// POSTs. Such a POST is answered with a page that submits the same fields to the same URL
/// from this site, so that the cookie comes along; the callback then runs with every check it
/// always has. The cookie is not weakened: a POST that brings the session, or was already
/// re-submitted once, goes straight through.
async fn resubmit_cross_site_post(
    routes: &SocialWeb,
    backend: &str,
    request: &WebRequest,
    session: &dyn WebSession,
) -> Result<Option<Response>, SessionError> {
    // A paused login's resume is this site's own form, which brings the session or never will.
    let ours = request
        .form()
        .iter()
        .any(|(name, _)| name == RESUBMITTED_FIELD || name == "partial_token");
    if request.method != Method::POST || ours || !session.is_new().await? {
        return Ok(None);
    }
    let mut action = request.route_path(&routes.complete_path, backend);
    if !request.query().is_empty() {
        action.push('?');
        action.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(request.query())
                .finish(),
        );
    }
    let mut fields = request.form().to_vec();
    fields.push((RESUBMITTED_FIELD.to_owned(), "1".to_owned()));
    tracing::debug!(
        backend,
        "re-submitting a cross-site callback POST from this site"
    );
    let shown = display_name(&routes.auth, backend);
    Ok(Some(
        routes.pages.resubmit(&action, backend, shown, &fields),
    ))
}
