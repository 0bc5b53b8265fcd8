//! The few responses the routes write themselves: small HTML pages, redirects and errors.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use social_core::{AuthError, ErrorKind, Flow, SocialAuth, backend::html_escape};
use tower_sessions::Session;

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

/// Answers a failed login: the detailed page when raising, else a flash and a redirect to
/// `LOGIN_ERROR_URL`.
pub(crate) async fn login_failed(
    auth: &SocialAuth,
    session: &Session,
    error: AuthError,
) -> Response {
    log_error(&error);
    if raise_exceptions(auth) {
        return error_page(&error);
    }
    if let Err(e) = crate::session::store_error(session, &error).await {
        // The redirect still happens; the error page just has nothing to show.
        tracing::error!(error = %e, "could not store the login error in the session");
    }
    Redirect::to(&auth.settings().login_error_url).into_response()
}

/// The detailed error page of `RAISE_EXCEPTIONS`: for developers, never for production.
fn error_page(error: &AuthError) -> Response {
    let row = |name: &str, value: &str| {
        format!(
            "<tr><th>{}</th><td><code>{}</code></td></tr>",
            html_escape(name),
            html_escape(value)
        )
    };
    let body = format!(
        "<h1>Login failed</h1><p>{}</p><table>{}{}{}{}</table>\
         <p><small>Shown because RAISE_EXCEPTIONS is on (the default in debug builds). \
         Turn it off in production.</small></p>",
        html_escape(error.user_message()),
        row("code", error.code()),
        row("stage", &error.stage().to_string()),
        row("provider", error.provider().unwrap_or("-")),
        row("details", error.details()),
    );
    page(status_of(error.kind()), "Login failed", &body)
}

/// 404 for a backend that is not registered.
pub(crate) fn unknown_backend(name: &str) -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Login method not found",
        &format!(
            "<h1>Login method not found</h1><p>There is no login method named <code>{}</code>.</p>",
            html_escape(name)
        ),
    )
}

/// 403 for a request that lacks a logged-in user or a valid CSRF token.
pub(crate) fn forbidden(reason: &str) -> Response {
    page(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &format!("<h1>Forbidden</h1><p>{}</p>", html_escape(reason)),
    )
}

/// A bare status page for requests that could not be read or served.
pub(crate) fn status_page(status: StatusCode, message: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    page(
        status,
        title,
        &format!(
            "<h1>{}</h1><p>{}</p>",
            html_escape(title),
            html_escape(message)
        ),
    )
}

/// The page a cross-site GET of a login URL gets: one button that POSTs the same login,
/// with the session's CSRF token, so that only the user's own click starts it.
pub(crate) fn confirm_login(action: &str, backend: &str, fields: &[(String, String)]) -> Response {
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
    let body = format!(
        r#"<h1>Log in with {backend}?</h1><p>Another site sent you here. Continue only if you meant to log in.</p><form method="post" action="{action}">{inputs}<button type="submit">Continue with {backend}</button></form>"#,
        backend = html_escape(backend),
        action = html_escape(action),
    );
    page(StatusCode::OK, "Confirm login", &body)
}

/// The page that re-submits a cross-site callback POST from this site: it submits at once
/// (a button when scripts are off), is never cached, and sends no `Referer` onwards, since
/// its fields hold an authorization code.
pub(crate) fn resubmit(action: &str, fields: &[(String, String)]) -> Response {
    let mut response = no_store(Html(Flow::auto_post_html(action, fields)).into_response());
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    response
}

/// Sends the browser on as `flow` says.
pub(crate) fn flow_response(flow: Flow) -> Response {
    match flow {
        Flow::Redirect(url) => Redirect::to(&url).into_response(),
        Flow::AutoPost { action, fields } => {
            no_store(Html(Flow::auto_post_html(&action, &fields)).into_response())
        }
        other => {
            tracing::error!(flow = ?other, "social-axum does not know this kind of flow");
            status_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "This login method cannot be used here.",
            )
        }
    }
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{}</title></head><body>{body}</body></html>"#,
        html_escape(title)
    );
    let mut response = harden((status, Html(html)).into_response());
    // Framing these pages would let another site trick a click on their buttons.
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

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
