//! The session as the login rules see it, whatever the framework keeps it in, and what social
//! login keeps there.

use std::{error::Error as StdError, fmt};

use serde::{Deserialize, Serialize};
use social_core::{AuthError, UserId, Value, async_trait};

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

/// Logs `user` in with `backend`: the session is cleared when it holds another user (logged
/// in, or whose login has ended), gets a new id, the CSRF token and any error are dropped, the
/// user id and backend (under `last_login_key`) stored, and the end the provider gave the login
/// (`expires_at`) kept when it is after `now`.
pub(crate) async fn log_in(
    session: &dyn WebSession,
    last_login_key: &str,
    user: &UserId,
    backend: &str,
    expires_at: Option<i64>,
    now: i64,
) -> SessionResult<()> {
    // Another user's data must not leak into this login, nor that of a user whose login has
    // ended (the session still holds their id, though `user_id` no longer gives it).
    if matches!(session.get(USER_ID_KEY).await?, Some(Value::String(id)) if id != user.0) {
        session.clear().await?;
    }
    // A fixated session id, or a CSRF token read before login, is useless after this.
    session.cycle_id().await?;
    session.remove(CSRF_KEY).await?;
    session.remove(ERROR_KEY).await?;
    session.remove(EXPIRES_AT_KEY).await?;
    session
        .insert(USER_ID_KEY, Value::String(user.0.clone()))
        .await?;
    session
        .insert(last_login_key, Value::String(backend.to_owned()))
        .await?;
    match expires_at {
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

#[cfg(test)]
mod tests {
    use std::{collections::HashMap, sync::Mutex};

    use serde_json::json;

    use super::*;

    /// A session in a map, counting id cycles.
    #[derive(Default)]
    struct Map(Mutex<(HashMap<String, Value>, usize)>);

    #[async_trait]
    impl WebSession for Map {
        async fn get(&self, key: &str) -> SessionResult<Option<Value>> {
            Ok(self
                .0
                .lock()
                .map_err(|e| SessionError::new(e.to_string()))?
                .0
                .get(key)
                .cloned())
        }
        async fn insert(&self, key: &str, value: Value) -> SessionResult<()> {
            let mut map = self
                .0
                .lock()
                .map_err(|e| SessionError::new(e.to_string()))?;
            map.0.insert(key.to_owned(), value);
            Ok(())
        }
        async fn remove(&self, key: &str) -> SessionResult<Option<Value>> {
            Ok(self
                .0
                .lock()
                .map_err(|e| SessionError::new(e.to_string()))?
                .0
                .remove(key))
        }
        async fn clear(&self) -> SessionResult<()> {
            self.0
                .lock()
                .map_err(|e| SessionError::new(e.to_string()))?
                .0
                .clear();
            Ok(())
        }
        async fn cycle_id(&self) -> SessionResult<()> {
            self.0
                .lock()
                .map_err(|e| SessionError::new(e.to_string()))?
                .1 += 1;
            Ok(())
        }
        async fn flush(&self) -> SessionResult<()> {
            self.clear().await
        }
        async fn is_new(&self) -> SessionResult<bool> {
            Ok(false)
        }
    }

    async fn keys(session: &Map) -> Vec<String> {
        let mut keys: Vec<String> = session
            .0
            .lock()
            .map(|m| m.0.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    #[tokio::test]
    async fn a_login_clears_what_another_user_left_even_after_their_login_ended() {
        let session = Map::default();
        let (alice, bob) = (UserId("1".into()), UserId("2".into()));
        log_in(&session, "last", &alice, "github", Some(1_100), 1_000)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        session
            .insert("app.cart", json!(["book"]))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            user_id(&session, 1_099).await.ok().flatten(),
            Some(alice.clone())
        );
        assert_eq!(
            user_id(&session, 1_100).await.ok().flatten(),
            None,
            "the login ended"
        );

        // The same user again keeps the session's data.
        log_in(&session, "last", &alice, "github", None, 1_200)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(keys(&session).await.contains(&"app.cart".to_owned()));
        assert_eq!(user_id(&session, 5_000).await.ok().flatten(), Some(alice));

        // Another user, though the first one's login has ended: nothing of it is kept.
        log_in(&session, "last", &bob, "gitlab", None, 1_300)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(keys(&session).await, ["last", USER_ID_KEY]);
        assert_eq!(
            session.get("last").await.ok().flatten(),
            Some(json!("gitlab"))
        );
        assert_eq!(
            session.0.lock().map(|m| m.1).unwrap_or(0),
            3,
            "the id cycles at every login"
        );
    }
}
