//! What the demo adds around social-axum's routes (mounted at their default paths): a typed
//! e-mail address checked before the paused login resumes, and a disconnect's outcome told on
//! the page the user lands on.

use axum::{
    body::{Body, to_bytes},
    extract::{FromRequestParts as _, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use social_axum::{ERROR_KEY, MaybeUser, take_error, verify_csrf};
use social_core::{ErrorKind, PARTIAL_TOKEN_PARAM, pipeline::normalize_email};
use tower_sessions::Session;

use crate::{
    app::AppState,
    flash::Flash,
    html,
    pages::{self, PROFILE_PATH, label, session_failed},
};

/// social-axum's default callback path, before `{backend}/`.
const COMPLETE_PREFIX: &str = "/complete/";
/// social-axum's default disconnect path, before `{backend}/` or `{backend}/{id}/`.
const DISCONNECT_PREFIX: &str = "/disconnect/";
/// The largest form read here: social-axum's own limit for the forms it reads.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// The backend named in `path` after `prefix`.
fn backend_in<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    path.strip_prefix(prefix)?
        .split('/')
        .next()
        .filter(|b| !b.is_empty())
}

/// The one value of `name` in `form`; none when it is missing or repeated (the library
/// refuses repeated parameters itself).
fn single<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut values = form.iter().filter(|(n, _)| n == name);
    match (values.next(), values.next()) {
        (Some((_, value)), None) => Some(value),
        _ => None,
    }
}

/// The e-mail form posts to the callback, where the pipeline's `require_email` step pauses
/// again, silently, on an address it cannot use. Such an address is caught here first, with
/// the same check, and the form comes back (422) with the address as typed and what is
/// wrong with it. Anything else goes on to the library untouched.
pub(crate) async fn check_typed_email(
    State(state): State<AppState>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let backend = backend_in(request.uri().path(), COMPLETE_PREFIX).map(str::to_owned);
    let Some(backend) = backend.filter(|_| request.method() == Method::POST && is_form) else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return html::respond(
            StatusCode::PAYLOAD_TOO_LARGE,
            html::page(
                None,
                "Too large",
                r#"<div class="card"><h1>The form sent is too large</h1><p><a href="/">Home</a></p></div>"#,
            ),
        );
    };
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&bytes).into_owned().collect();
    let token = single(&form, PARTIAL_TOKEN_PARAM);
    let typed = single(&form, "email");
    if let (Some(token), Some(typed)) = (token, typed)
        && normalize_email(typed).is_none()
    {
        // Only this site's own form gets it back; the library refuses the others.
        match verify_csrf(&session, single(&form, social_axum::CSRF_FIELD)).await {
            Ok(true) => {
                let MaybeUser(user) = MaybeUser::from_request_parts(&mut parts, &state)
                    .await
                    .unwrap_or(MaybeUser(None));
                return pages::email_page(
                    &state,
                    &session,
                    user.as_ref(),
                    &backend,
                    token,
                    Some(typed),
                )
                .await;
            }
            Ok(false) => {}
            Err(e) => return session_failed(&e),
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// After the library's disconnect route: "Disconnected GitHub." on the page it sends the
/// user to; or, when it refused (the last way to log in, or any other reason), the reason on
/// the profile, where the user was acting, instead of the login error page.
pub(crate) async fn confirm_disconnect(session: Session, request: Request, next: Next) -> Response {
    let backend = backend_in(request.uri().path(), DISCONNECT_PREFIX).map(str::to_owned);
    let Some(backend) = backend.filter(|_| request.method() == Method::POST) else {
        return next.run(request).await;
    };
    // A login error not yet shown is set aside, so that an error found afterwards is this
    // disconnect's; it is put back for the error page.
    let unshown = match take_error(&session).await {
        Ok(unshown) => unshown,
        Err(e) => return session_failed(&e),
    };
    let response = next.run(request).await;
    let refused = match take_error(&session).await {
        Ok(refused) => refused,
        Err(e) => return session_failed(&e),
    };
    if let Some(unshown) = unshown
        && let Err(e) = session.insert(ERROR_KEY, unshown).await
    {
        return session_failed(&e);
    }
    let name = label(&backend);
    let (flash, response) = match refused {
        Some(error) if error.code == ErrorKind::NotAllowedToDisconnect.code() => (
            Flash::Refused(format!(
                "You cannot disconnect {name}: it is your only way to log in. Connect another \
                 account first."
            )),
            Redirect::to(PROFILE_PATH).into_response(),
        ),
        // The library's answer when the account is gone already (from another tab, say).
        Some(error) if error.code == ErrorKind::Failed.code() => (
            Flash::Refused(format!(
                "Could not disconnect {name}: it is not connected to your account (any more)."
            )),
            Redirect::to(PROFILE_PATH).into_response(),
        ),
        Some(error) => (
            Flash::Refused(format!("Could not disconnect {name}: {}", error.message)),
            Redirect::to(PROFILE_PATH).into_response(),
        ),
        None if response.status().is_redirection() => {
            (Flash::Done(format!("Disconnected {name}.")), response)
        }
        // Refused before anything was done (no login, a forged form): the library's page.
        None => return response,
    };
    match flash.keep(&session).await {
        Ok(()) => response,
        Err(e) => session_failed(&e),
    }
}
