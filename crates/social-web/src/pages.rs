//! The responses the routes write themselves: HTML pages from templates, redirects and
//! errors.

use std::{fmt, sync::Arc};

use http::{HeaderValue, StatusCode, header};
use minijinja::{Environment, Value, context};
use social_core::{AuthError, ErrorKind, Flow, SocialAuth, backend::html_escape};

use crate::{
    Response, WebSession, redirect,
    templates::{self, TemplateError},
};

/// Whether errors show the detailed page rather than a flash and a redirect.
pub(crate) fn raise_exceptions(auth: &SocialAuth) -> bool {
    auth.settings()
        .raise_exceptions
        .unwrap_or(cfg!(debug_assertions))
}

/// The HTTP status that best describes an error of `kind`.
pub(crate) fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Failed
        | ErrorKind::Canceled
        | ErrorKind::TokenError
        | ErrorKind::MissingParameter
        | ErrorKind::StateMissing
        | ErrorKind::StateMismatch
        | ErrorKind::StateExpired
        | ErrorKind::StateReplayed
        | ErrorKind::PartialInvalid => StatusCode::BAD_REQUEST,
        ErrorKind::Forbidden
        | ErrorKind::NotAllowedToDisconnect
        | ErrorKind::InactiveUser
        | ErrorKind::NotRegistered => StatusCode::FORBIDDEN,
        ErrorKind::AlreadyAssociated => StatusCode::CONFLICT,
        ErrorKind::UnknownBackend => StatusCode::NOT_FOUND,
        ErrorKind::ProviderUnavailable
        | ErrorKind::InvalidResponse
        | ErrorKind::ProviderRejected => StatusCode::BAD_GATEWAY,
        ErrorKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
        // The database is down or overloaded: a retry later may work.
        ErrorKind::Storage => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// Logs an error with everything an operator needs; core keeps secrets out of `details`.
/// Our own faults (storage, configuration, the unexpected) are errors; what users, attackers
/// and providers cause (refused or forged callbacks, provider outages) is a warning, so that a
/// flood of forged callbacks does not flood the error log.
pub(crate) fn log_error(error: &AuthError) {
    let (code, stage, provider, details) = (
        error.code(),
        error.stage().to_string(),
        error.provider().unwrap_or("-"),
        error.details(),
    );
    if our_fault(error.kind()) {
        tracing::error!(code, stage, provider, details, "social login failed");
        return;
    }
    // A flood of forged callbacks must not flood the log: one line per error code a second,
    // saying how many like it were left out since.
    let now = std::time::Instant::now();
    let Some(suppressed) = WARNINGS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .admit(code, now)
    else {
        return;
    };
    tracing::warn!(
        code,
        stage,
        provider,
        details,
        suppressed,
        "social login failed"
    );
}

/// Warnings logged lately, by error code.
static WARNINGS: std::sync::Mutex<Throttle> = std::sync::Mutex::new(Throttle::new());

/// At most one line per key a second; what is held back is counted for the next line.
#[derive(Debug)]
struct Throttle {
    // A handful of error codes: a list beats a map.
    seen: Vec<(&'static str, std::time::Instant, u64)>,
}

impl Throttle {
    const fn new() -> Self {
        Self { seen: Vec::new() }
    }

    /// `Some(held back since the last line)` when a line for `key` may be written at `now`.
    fn admit(&mut self, key: &'static str, now: std::time::Instant) -> Option<u64> {
        const GAP: std::time::Duration = std::time::Duration::from_secs(1);
        match self.seen.iter_mut().find(|(k, _, _)| *k == key) {
            None => {
                self.seen.push((key, now, 0));
                Some(0)
            }
            Some((_, last, held)) if now.duration_since(*last) >= GAP => {
                let suppressed = *held;
                *last = now;
                *held = 0;
                Some(suppressed)
            }
            Some((_, _, held)) => {
                *held += 1;
                None
            }
        }
    }
}

/// Whether an error of `kind` is a fault of this application (logged as an error) rather
/// than something a user, an attacker or a provider caused (a warning).
fn our_fault(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::Storage | ErrorKind::Config | ErrorKind::Unknown
    )
}

/// The pages the routes write, rendered from the built-in templates or the application's.
#[derive(Clone)]
pub(crate) struct Pages {
    env: Arc<Environment<'static>>,
}

impl fmt::Debug for Pages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

impl Default for Pages {
    fn default() -> Self {
        Self {
            env: Arc::new(templates::builtin()),
        }
    }
}

impl Pages {
    /// These pages with `overrides` (name, source) in place of the templates of the same
    /// names, once every page renders with them: an unknown name, a syntax error or a page
    /// that fails to render with sample values is an error naming the template.
    pub(crate) fn with_overrides(
        &self,
        overrides: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, TemplateError> {
        let mut env = (*self.env).clone();
        for (name, source) in overrides {
            if !templates::is_page_template(&name) {
                return Err(TemplateError::new(
                    &name,
                    format!(
                        "is not a page template of social-auth; they are {}",
                        templates::names()
                    ),
                ));
            }
            env.add_template_owned(name.clone(), source)
                .map_err(|e| TemplateError::new(&name, e.to_string()))?;
        }
        let pages = Self { env: Arc::new(env) };
        for (page, context) in samples() {
            pages.render(page, context).map_err(|e| {
                TemplateError::new(
                    e.name().unwrap_or(page),
                    format!("{e}, rendering `{page}` with sample values"),
                )
            })?;
        }
        Ok(pages)
    }

    fn render(&self, page: &str, context: Value) -> Result<String, minijinja::Error> {
        self.env.get_template(page)?.render(context)
    }

    /// The page `template` with `context`, answered with `status`; should it fail to render,
    /// the plain page `fallback` writes, and an error in the log.
    fn page(
        &self,
        status: StatusCode,
        template: &'static str,
        context: Value,
        fallback: impl FnOnce() -> String,
    ) -> Response {
        let html = self.render(template, context).unwrap_or_else(|error| {
            tracing::error!(
                template,
                error = %error,
                "a page template failed to render; the plain built-in page is shown instead"
            );
            fallback()
        });
        let mut response = Response::new(html);
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        secure(response)
    }

    /// Answers a failed login: the detailed page when raising, else a flash and a redirect to
    /// `LOGIN_ERROR_URL`.
    pub(crate) async fn login_failed(
        &self,
        auth: &SocialAuth,
        session: &dyn WebSession,
        error: AuthError,
    ) -> Response {
        log_error(&error);
        if raise_exceptions(auth) {
            return self.error_page(auth, &error);
        }
        if let Err(e) = crate::session::store_error(session, &error).await {
            // The redirect still happens; the error page just has nothing to show.
            tracing::error!(error = %e, "could not store the login error in the session");
        }
        redirect(&auth.settings().login_error_url)
    }

    /// The detailed error page of `RAISE_EXCEPTIONS`: for developers, never for production.
    fn error_page(&self, auth: &SocialAuth, error: &AuthError) -> Response {
        let status = status_of(error.kind());
        let backend = error.provider();
        let display_name = backend
            .and_then(|name| auth.registry().get(name))
            .map(|b| b.display_name());
        let stage = error.stage().to_string();
        let context = error_context(
            status,
            error.user_message(),
            error.code(),
            &stage,
            backend,
            display_name,
            error.details(),
        );
        self.page(status, "error.html", context, || {
            let row = |name: &str, value: &str| {
                format!(
                    "<tr><th>{}</th><td><code>{}</code></td></tr>",
                    html_escape(name),
                    html_escape(value)
                )
            };
            plain_page(
                "Login failed",
                &format!(
                    "<h1>Login failed</h1><p>{}</p><table>{}{}{}{}</table>\
                     <p><small>Shown because RAISE_EXCEPTIONS is on (the default in debug \
                     builds). Turn it off in production.</small></p>",
                    html_escape(error.user_message()),
                    row("code", error.code()),
                    row("stage", &stage),
                    row("provider", backend.unwrap_or("-")),
                    row("details", error.details()),
                ),
            )
        })
    }

    /// 404 for a backend that is not registered, with an optional `hint` on what to do.
    pub(crate) fn unknown_backend(&self, name: &str, hint: Option<&str>) -> Response {
        let status = StatusCode::NOT_FOUND;
        self.page(
            status,
            "not_found.html",
            not_found_context(name, hint),
            || {
                let hint = hint.map_or_else(String::new, |h| format!("<p>{}</p>", html_escape(h)));
                plain_page(
                    "Login method not found",
                    &format!(
                        "<h1>Login method not found</h1><p>There is no login method named \
                     <code>{}</code>.</p>{hint}",
                        html_escape(name)
                    ),
                )
            },
        )
    }

    /// 403 for a request that lacks a logged-in user or a valid CSRF token.
    pub(crate) fn forbidden(&self, reason: &str) -> Response {
        let status = StatusCode::FORBIDDEN;
        self.page(status, "forbidden.html", forbidden_context(reason), || {
            plain_page(
                "Forbidden",
                &format!("<h1>Forbidden</h1><p>{}</p>", html_escape(reason)),
            )
        })
    }

    /// A bare status page for requests that could not be read or served.
    pub(crate) fn status_page(&self, status: StatusCode, message: &str) -> Response {
        self.page(
            status,
            "status.html",
            status_context(status, message),
            || {
                let reason = reason(status);
                plain_page(
                    reason,
                    &format!(
                        "<h1>{}</h1><p>{}</p>",
                        html_escape(reason),
                        html_escape(message)
                    ),
                )
            },
        )
    }

    /// The page a cross-site GET of a login URL gets: one button that POSTs the same login,
    /// with the session's CSRF token, so that only the user's own click starts it.
    pub(crate) fn confirm_login(
        &self,
        action: &str,
        backend: &str,
        display_name: &str,
        fields: &[(String, String)],
    ) -> Response {
        let context = form_context(action, backend, display_name, fields);
        self.page(StatusCode::OK, "confirm.html", context, || {
            let inputs: String = fields
                .iter()
                .map(|(name, value)| {
                    format!(
                        r#"<input type="hidden" name="{}" value="{}">"#,
                        html_escape(name),
                        html_escape(value)
                    )
                })
                .collect();
            plain_page(
                "Confirm login",
                &format!(
                    r#"<h1>Log in with {name}?</h1><p>Another site sent you here. Continue only if you meant to log in.</p><form method="post" action="{action}">{inputs}<button type="submit">Continue with {name}</button></form>"#,
                    name = html_escape(display_name),
                    action = html_escape(action),
                ),
            )
        })
    }

    /// The page that re-submits a cross-site callback POST from this site: it submits at
    /// once (a button when scripts are off), is never cached, and sends no `Referer`
    /// onwards, since its fields hold an authorization code.
    pub(crate) fn resubmit(
        &self,
        action: &str,
        backend: &str,
        display_name: &str,
        fields: &[(String, String)],
    ) -> Response {
        let context = form_context(action, backend, display_name, fields);
        self.page(StatusCode::OK, "resubmit.html", context, || {
            Flow::auto_post_html(action, fields)
        })
    }

    /// Sends the browser on as `flow` says; `backend` and `display_name` name the login it
    /// belongs to.
    pub(crate) fn flow_response(&self, flow: Flow, backend: &str, display_name: &str) -> Response {
        match flow {
            Flow::Redirect(url) => redirect(&url),
            Flow::AutoPost { action, fields } => {
                let context = form_context(&action, backend, display_name, &fields);
                self.page(StatusCode::OK, "auto_post.html", context, || {
                    Flow::auto_post_html(&action, &fields)
                })
            }
            other => {
                tracing::error!(flow = ?other, "social-web does not know this kind of flow");
                self.status_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "This login method cannot be used here.",
                )
            }
        }
    }
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

// The variables of each page, as the crate's README documents them. Every page has `status`.

fn error_context(
    status: StatusCode,
    message: &str,
    code: &str,
    stage: &str,
    backend: Option<&str>,
    display_name: Option<&str>,
    details: &str,
) -> Value {
    context! {
        status => status.as_u16(),
        message,
        code,
        stage,
        backend,
        display_name,
        details,
    }
}

fn not_found_context(backend: &str, hint: Option<&str>) -> Value {
    context! { status => StatusCode::NOT_FOUND.as_u16(), backend, hint }
}

fn forbidden_context(message: &str) -> Value {
    context! { status => StatusCode::FORBIDDEN.as_u16(), message }
}

fn status_context(status: StatusCode, message: &str) -> Value {
    context! { status => status.as_u16(), reason => reason(status), message }
}

fn form_context(
    action: &str,
    backend: &str,
    display_name: &str,
    fields: &[(String, String)],
) -> Value {
    let fields: Value = fields
        .iter()
        .map(|(name, value)| context! { name, value })
        .collect();
    context! { status => StatusCode::OK.as_u16(), action, backend, display_name, fields }
}

/// Every page with values of every kind it may get, optional ones given: what a template
/// must render to be accepted.
fn samples() -> Vec<(&'static str, Value)> {
    let fields = [
        ("next".to_owned(), "/after?a=1&b=2".to_owned()),
        ("csrf_token".to_owned(), "sample-token".to_owned()),
    ];
    let form = || form_context("/login/github/", "github", "GitHub", &fields);
    vec![
        ("confirm.html", form()),
        ("resubmit.html", form()),
        ("auto_post.html", form()),
        (
            "error.html",
            error_context(
                StatusCode::BAD_REQUEST,
                "This login session expired or was not started here. Please start again.",
                "state_mismatch",
                "callback",
                Some("github"),
                Some("GitHub"),
                "the state does not match",
            ),
        ),
        (
            "not_found.html",
            not_found_context("nope", Some("Set SOCIAL_AUTH_NOPE_KEY.")),
        ),
        ("forbidden.html", forbidden_context("Log in first.")),
        (
            "status.html",
            status_context(StatusCode::PAYLOAD_TOO_LARGE, "The form sent is too large."),
        ),
    ]
}

/// The plain page shown when a template fails: built with `format!`, every value escaped by
/// the caller into `body`.
fn plain_page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{}</title></head><body>{body}</body></html>"#,
        html_escape(title)
    )
}

/// What every page carries besides [`harden`]: framing them would let another site trick a
/// click on their buttons.
fn secure(response: Response) -> Response {
    let mut response = harden(response);
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    response
}

/// Adds what every answer of the login routes carries: never cached, no `Referer` onwards
/// (the callback's URL holds a code), no content sniffing.
pub(crate) fn harden(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_one_line_per_code_a_second_with_a_count_of_the_rest() {
        let mut throttle = Throttle::new();
        let t0 = std::time::Instant::now();
        let at = |ms| t0 + std::time::Duration::from_millis(ms);
        assert_eq!(throttle.admit("state_mismatch", at(0)), Some(0));
        for ms in 1..=500 {
            assert_eq!(throttle.admit("state_mismatch", at(ms)), None, "{ms}");
        }
        assert_eq!(
            throttle.admit("auth_canceled", at(10)),
            Some(0),
            "codes are apart"
        );
        assert_eq!(throttle.admit("state_mismatch", at(1_000)), Some(500));
        assert_eq!(throttle.admit("state_mismatch", at(2_500)), Some(0));
    }

    #[test]
    fn only_our_own_faults_are_logged_as_errors() {
        for kind in [ErrorKind::Storage, ErrorKind::Config, ErrorKind::Unknown] {
            assert!(our_fault(kind), "{kind:?}");
        }
        for kind in [
            ErrorKind::StateMismatch,
            ErrorKind::StateMissing,
            ErrorKind::Canceled,
            ErrorKind::TokenError,
            ErrorKind::ProviderUnavailable,
            ErrorKind::InvalidResponse,
            ErrorKind::ProviderRejected,
            ErrorKind::Timeout,
            ErrorKind::Forbidden,
        ] {
            assert!(!our_fault(kind), "{kind:?} is not ours: a warning");
        }
    }
}

#[cfg(test)]
mod status_tests {
    use super::*;

    #[test]
    fn a_storage_outage_is_a_503_and_providers_answer_as_gateways() {
        assert_eq!(
            status_of(ErrorKind::Storage),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            status_of(ErrorKind::ProviderUnavailable),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(status_of(ErrorKind::Timeout), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(
            status_of(ErrorKind::Config),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert!(
            ErrorKind::ProviderUnavailable
                .user_message()
                .contains("answered with an error"),
            "a provider's 500 is not called unreachable"
        );
    }
}

#[cfg(test)]
mod page_tests {
    use super::*;

    const HOSTILE: &str = r#"<script>alert("x")</script>'"#;

    fn hostile_fields() -> Vec<(String, String)> {
        vec![
            (HOSTILE.to_owned(), HOSTILE.to_owned()),
            ("next".to_owned(), "/after?a=1&b=2".to_owned()),
        ]
    }

    fn body(response: Response) -> (StatusCode, http::HeaderMap, String) {
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, body)
    }

    /// Every page the routes can show, with hostile text in every value it echoes.
    fn every_page(pages: &Pages) -> Vec<(&'static str, Response)> {
        let fields = hostile_fields();
        vec![
            (
                "confirm",
                pages.confirm_login(HOSTILE, HOSTILE, HOSTILE, &fields),
            ),
            (
                "resubmit",
                pages.resubmit(HOSTILE, HOSTILE, HOSTILE, &fields),
            ),
            (
                "auto_post",
                pages.flow_response(
                    Flow::AutoPost {
                        action: HOSTILE.to_owned(),
                        fields: fields.clone(),
                    },
                    HOSTILE,
                    HOSTILE,
                ),
            ),
            ("not_found", pages.unknown_backend(HOSTILE, Some(HOSTILE))),
            ("forbidden", pages.forbidden(HOSTILE)),
            (
                "status",
                pages.status_page(StatusCode::BAD_REQUEST, HOSTILE),
            ),
        ]
    }

    #[test]
    fn every_built_in_template_compiles() {
        let env = templates::builtin();
        let compiled: Vec<&str> = env.templates().map(|(name, _)| name).collect();
        for (name, _) in templates::BUILTIN {
            assert!(compiled.contains(&name), "{name} compiles");
        }
        assert!(Pages::default().with_overrides([]).is_ok());
    }

    #[test]
    fn every_page_escapes_what_it_echoes_and_refuses_framing_and_caching() {
        for (page, response) in every_page(&Pages::default()) {
            let (_, headers, html) = body(response);
            assert!(!html.contains("<script>alert"), "{page}: {html}");
            assert!(
                html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;"),
                "{page}: {html}"
            );
            assert!(html.contains("/after?a=1&amp;b=2") || !html.contains("after"));
            for (name, value) in [
                ("cache-control", "no-store"),
                ("referrer-policy", "no-referrer"),
                ("x-content-type-options", "nosniff"),
                ("x-frame-options", "DENY"),
                ("content-security-policy", "frame-ancestors 'none'"),
                ("content-type", "text/html; charset=utf-8"),
            ] {
                assert_eq!(
                    headers.get(name).and_then(|v| v.to_str().ok()),
                    Some(value),
                    "{page}: {name}"
                );
            }
        }
    }

    #[test]
    fn the_hint_of_the_unknown_backend_page_is_shown_only_when_given() {
        let pages = Pages::default();
        let (status, _, with) = body(pages.unknown_backend("github", Some("Set KEY.")));
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(with.contains("<p>Set KEY.</p>"), "{with}");
        let (_, _, without) = body(pages.unknown_backend("github", None));
        assert!(!without.contains("Set KEY."), "{without}");
        assert!(without.contains("<code>github</code>"), "{without}");
    }

    #[test]
    fn a_page_that_fails_at_request_time_falls_back_to_the_plain_page() {
        // Sample values give a hint, so the broken branch passes the check at build.
        let pages = Pages::default()
            .with_overrides([(
                "not_found.html".to_owned(),
                "{% if hint %}{{ hint }}{% else %}{{ no_such_variable }}{% endif %}".to_owned(),
            )])
            .unwrap_or_else(|e| panic!("accepted: {e}"));
        let (status, headers, html) = body(pages.unknown_backend("<b>nope</b>", None));
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(html.contains("Login method not found"), "{html}");
        assert!(
            html.contains("<code>&lt;b&gt;nope&lt;/b&gt;</code>"),
            "{html}"
        );
        assert_eq!(
            headers.get("x-frame-options").and_then(|v| v.to_str().ok()),
            Some("DENY")
        );
    }

    #[test]
    fn templates_are_checked_when_set_and_errors_name_the_template() {
        let pages = Pages::default();
        let refused = |name: &str, source: &str| {
            pages
                .with_overrides([(name.to_owned(), source.to_owned())])
                .err()
                .unwrap_or_else(|| panic!("{name} is refused: {source}"))
        };
        let syntax = refused("confirm.html", "{% if %}");
        assert_eq!(syntax.template(), "confirm.html");
        assert!(syntax.message().contains("syntax error"), "{syntax}");
        assert!(syntax.to_string().starts_with("template `confirm.html`: "));

        let layout = refused("base.html", "<title>{% block title %}</title>");
        assert_eq!(layout.template(), "base.html", "{layout}");

        let unknown = refused("confrim.html", "{{ display_name }}");
        assert_eq!(unknown.template(), "confrim.html");
        assert!(unknown.message().contains("confirm.html"), "{unknown}");

        let undefined = refused("forbidden.html", "{{ reason }}");
        assert_eq!(undefined.template(), "forbidden.html");
        assert!(undefined.message().contains("undefined"), "{undefined}");

        let missing = refused("status.html", r#"{% extends "layout.html" %}"#);
        assert_eq!(missing.template(), "status.html", "{missing}");
        assert!(missing.message().contains("layout.html"), "{missing}");
    }
}
