//! What social login keeps in the tower-sessions session, and the helpers around it.

use serde::{Deserialize, Serialize};
use social_core::{AuthError, Login, Settings, UserId};
use tower_sessions::{
    Expiry, Session, SessionManagerLayer, SessionStore,
    cookie::{SameSite, time::OffsetDateTime},
    session::Error as SessionError,
};

use crate::csrf::CSRF_KEY;

pub(crate) type SessionResult<T> = Result<T, SessionError>;

/// The session layer social login needs, over any tower-sessions `store`: the cookie is
/// `SameSite=Lax` (tower-sessions defaults to `Strict`, with which browsers do not send the
/// cookie on the provider's redirect back, and every login fails with `state_missing`),
/// `HttpOnly` and `Secure` (browsers accept `Secure` cookies on `http://localhost` and
/// `http://127.0.0.1` too), and lives as long as the browser session. Adjust it with the
/// layer's own methods (`with_name`, `with_expiry`, ...).
pub fn session_layer<S: SessionStore + Clone>(store: S) -> SessionManagerLayer<S> {
    SessionManagerLayer::new(store).with_same_site(SameSite::Lax)
}

/// The session key holding the id of the logged-in user.
pub const USER_ID_KEY: &str = "social_auth.user_id";
/// The session key holding the last login error until [`take_error`] reads it.
pub const ERROR_KEY: &str = "social_auth.error";

/// A failed login, kept in the session for the error page to show once.
///
/// `message` is safe to show to the user: it never holds provider data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LoginError {
    /// The stable error code, such as `state_mismatch` (see `social_core::ErrorKind::code`).
    pub code: String,
    /// A message for the user.
    pub message: String,
    /// The backend of the login, when known.
    pub backend: Option<String>,
}

impl LoginError {
    pub(crate) fn from_auth(error: &AuthError) -> Self {
        Self {
            code: error.code().to_owned(),
            message: error.user_message().to_owned(),
            backend: error.provider().map(str::to_owned),
        }
    }
}

/// Removes and returns the last login error of this session, if any.
///
/// Call it from the page at `LOGIN_ERROR_URL` to show what went wrong, once.
pub async fn take_error(session: &Session) -> Result<Option<LoginError>, SessionError> {
    // An unreadable value (an older shape, say) is dropped: it could only be shown wrongly.
    Ok(session
        .remove_value(ERROR_KEY)
        .await?
        .and_then(|value| serde_json::from_value(value).ok()))
}

/// Logs the user out: deletes the session from the store and forgets its data.
///
/// The browser gets a fresh session (and cookie) on its next write.
pub async fn logout(session: &Session) -> Result<(), SessionError> {
    session.flush().await
}

pub(crate) async fn store_error(session: &Session, error: &AuthError) -> SessionResult<()> {
    session
        .insert(ERROR_KEY, LoginError::from_auth(error))
        .await
}

/// The id of the logged-in user, as the session holds it.
pub(crate) async fn user_id(session: &Session) -> SessionResult<Option<UserId>> {
    match session.get_value(USER_ID_KEY).await? {
        Some(serde_json::Value::String(id)) => Ok(Some(UserId(id))),
        _ => Ok(None),
    }
}

/// Logs `login.user` in: a new session id, the user id and backend stored, the CSRF token
/// dropped, and the session expiry taken from the provider when core asks for it.
pub(crate) async fn log_in(
    session: &Session,
    settings: &Settings,
    login: &Login,
    previous: Option<&UserId>,
    now: i64,
) -> SessionResult<()> {
    if previous.is_some_and(|user| *user != login.user.id) {
        // Another user's data must not leak into this login.
        session.clear().await;
    }
    // A fixated session id, or a CSRF token read before login, is useless after this.
    session.cycle_id().await?;
    session.remove_value(CSRF_KEY).await?;
    session.remove_value(ERROR_KEY).await?;
    session.insert(USER_ID_KEY, &login.user.id).await?;
    session
        .insert(&settings.last_login_session_key, &login.backend)
        .await?;
    match login.session_expires_at {
        Some(at) if at > now => {
            if let Ok(at) = OffsetDateTime::from_unix_timestamp(at) {
                session.set_expiry(Some(Expiry::AtDateTime(at)));
            }
        }
        // A token that has already expired would end the session at once: keep the default.
        Some(at) => tracing::debug!(at, "ignoring a session expiry in the past"),
        None => {}
    }
    Ok(())
}

/// A session failure as core sees it.
pub(crate) fn auth_error(stage: social_core::Stage, error: SessionError) -> AuthError {
    AuthError::new(
        social_core::ErrorKind::Storage,
        stage,
        format!("session store: {error}"),
    )
    .with_source(error)
}
