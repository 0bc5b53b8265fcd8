//! The session as the login rules see it, whatever the framework keeps it in, and what social
//! login keeps there.

use std::{error::Error as StdError, fmt};

use serde::{Deserialize, Serialize};
use social_core::{AuthError, Login, Settings, UserId, Value, async_trait};

use crate::csrf::CSRF_KEY;

/// A failure of the session store, as an integration reports it.
#[derive(Debug)]
pub struct SessionError(Box<dyn StdError + Send + Sync>);

impl SessionError {
    /// Wraps the store's own error.
    pub fn new(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self(error.into())
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl StdError for SessionError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.0)
    }
}

/// What a session operation returns.
pub type SessionResult<T> = Result<T, SessionError>;

/// The session of one request, as a web integration exposes it: JSON values by key, plus the
/// few whole-session operations a login needs. social-axum implements it over tower-sessions,
/// social-actix over actix-session.
#[async_trait]
pub trait WebSession: Send + Sync {
    /// The value under `key`.
    async fn get(&self, key: &str) -> SessionResult<Option<Value>>;
    /// Stores `value` under `key`.
    async fn insert(&self, key: &str, value: Value) -> SessionResult<()>;
    /// Removes the value under `key` and returns it.
    async fn remove(&self, key: &str) -> SessionResult<Option<Value>>;
    /// Removes every value, keeping the session.
    async fn clear(&self) -> SessionResult<()>;
    /// Gives the session a new id, keeping its values, so that an id known before login is
    /// worthless after it.
    async fn cycle_id(&self) -> SessionResult<()>;
    /// Deletes the session from the store; the browser gets a new one on its next write.
    async fn flush(&self) -> SessionResult<()>;
    /// Whether the request brought no session (no cookie, or one the store no longer holds).
    async fn is_new(&self) -> SessionResult<bool>;
    /// Makes the session end at `at` (Unix seconds) where the store can; the login rules also
    /// keep the time in the session and check it, so doing nothing here is correct.
    fn set_expiry(&self, at: i64) {
        let _ = at;
    }
}

/// The session key holding the id of the logged-in user.
pub const USER_ID_KEY: &str = "social_auth.user_id";
/// The session key holding the last login error until [`take_error`] reads it.
pub const ERROR_KEY: &str = "social_auth.error";
/// The session key holding when the login ends (Unix seconds), when the provider said so.
pub const EXPIRES_AT_KEY: &str = "social_auth.expires_at";

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
pub async fn take_error(session: &dyn WebSession) -> SessionResult<Option<LoginError>> {
    // An unreadable value (an older shape, say) is dropped: it could only be shown wrongly.
    Ok(session
        .remove(ERROR_KEY)
        .await?
        .and_then(|value| serde_json::from_value(value).ok()))
}

/// Logs the user out: deletes the session from the store and forgets its data.
pub async fn logout(session: &dyn WebSession) -> SessionResult<()> {
    session.flush().await
}

pub(crate) async fn store_error(session: &dyn WebSession, error: &AuthError) -> SessionResult<()> {
    let value = serde_json::to_value(LoginError::from_auth(error)).map_err(SessionError::new)?;
    session.insert(ERROR_KEY, value).await
}

/// The id of the user this session logged in at `now` (Unix seconds): none when nobody is, or
/// when the login's time, as the provider set it, is over.
pub async fn user_id(session: &dyn WebSession, now: i64) -> SessionResult<Option<UserId>> {
    let Some(Value::String(id)) = session.get(USER_ID_KEY).await? else {
        return Ok(None);
    };
    if let Some(ends) = session.get(EXPIRES_AT_KEY).await?.and_then(|v| v.as_i64())
        && ends <= now
    {
        return Ok(None);
    }
    Ok(Some(UserId(id)))
}

/// Logs `login.user` in: the session is cleared when another user was logged in, gets a new
/// id, the CSRF token and any error are dropped, the user id and backend stored, and the end
/// the provider gave the login kept.
pub(crate) async fn log_in(
    session: &dyn WebSession,
    settings: &Settings,
    login: &Login,
    previous: Option<&UserId>,
    now: i64,
) -> SessionResult<()> {
    if previous.is_some_and(|user| *user != login.user.id) {
        // Another user's data must not leak into this login.
        session.clear().await?;
    }
    // A fixated session id, or a CSRF token read before login, is useless after this.
    session.cycle_id().await?;
    session.remove(CSRF_KEY).await?;
    session.remove(ERROR_KEY).await?;
    session.remove(EXPIRES_AT_KEY).await?;
    session
        .insert(USER_ID_KEY, Value::String(login.user.id.0.clone()))
        .await?;
    session
        .insert(
            &settings.last_login_session_key,
            Value::String(login.backend.clone()),
        )
        .await?;
    match login.session_expires_at {
        Some(at) if at > now => {
            session.insert(EXPIRES_AT_KEY, Value::from(at)).await?;
            session.set_expiry(at);
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
