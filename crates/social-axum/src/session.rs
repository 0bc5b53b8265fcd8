//! tower-sessions as the login rules see a session, and the helpers an application calls with
//! its `Session`.

use social_core::{Value, async_trait};
use social_web::{LoginError, SessionError, SessionResult, WebSession};
use tower_sessions::{
    Expiry, Session, SessionManagerLayer, SessionStore,
    cookie::{SameSite, time::OffsetDateTime},
};

/// The session layer social login needs, over any tower-sessions `store`: the cookie is
/// `SameSite=Lax` (tower-sessions defaults to `Strict`, with which browsers do not send the
/// cookie on the provider's redirect back, and every login fails with `state_missing`),
/// `HttpOnly` and `Secure` (browsers accept `Secure` cookies on `http://localhost` and
/// `http://127.0.0.1` too), and lives as long as the browser session. Adjust it with the
/// layer's own methods (`with_name`, `with_expiry`, ...).
pub fn session_layer<S: SessionStore + Clone>(store: S) -> SessionManagerLayer<S> {
    SessionManagerLayer::new(store).with_same_site(SameSite::Lax)
}

/// A tower-sessions [`Session`] as a [`WebSession`].
#[derive(Debug)]
pub(crate) struct TowerSession<'a>(pub(crate) &'a Session);

#[async_trait]
impl WebSession for TowerSession<'_> {
    async fn get(&self, key: &str) -> SessionResult<Option<Value>> {
        self.0.get_value(key).await.map_err(SessionError::new)
    }

    async fn insert(&self, key: &str, value: Value) -> SessionResult<()> {
        self.0
            .insert_value(key, value)
            .await
            .map(drop)
            .map_err(SessionError::new)
    }

    async fn remove(&self, key: &str) -> SessionResult<Option<Value>> {
        self.0.remove_value(key).await.map_err(SessionError::new)
    }

    async fn clear(&self) -> SessionResult<()> {
        self.0.clear().await;
        Ok(())
    }

    async fn cycle_id(&self) -> SessionResult<()> {
        self.0.cycle_id().await.map_err(SessionError::new)
    }

    async fn flush(&self) -> SessionResult<()> {
        self.0.flush().await.map_err(SessionError::new)
    }

    async fn is_new(&self) -> SessionResult<bool> {
        Ok(self.0.id().is_none())
    }

    fn set_expiry(&self, at: i64) {
        if let Ok(at) = OffsetDateTime::from_unix_timestamp(at) {
            self.0.set_expiry(Some(Expiry::AtDateTime(at)));
        }
    }
}

/// Removes and returns the last login error of this session, if any.
///
/// Call it from the page at `LOGIN_ERROR_URL` to show what went wrong, once.
pub async fn take_error(session: &Session) -> SessionResult<Option<LoginError>> {
    social_web::take_error(&TowerSession(session)).await
}

/// Logs the user out: deletes the session from the store and forgets its data.
///
/// The browser gets a fresh session (and cookie) on its next write.
pub async fn logout(session: &Session) -> SessionResult<()> {
    social_web::logout(&TowerSession(session)).await
}

/// The CSRF token of this session, created on first use.
///
/// Put it in every form that posts to the login or disconnect routes, as the hidden field
/// [`CSRF_FIELD`](crate::CSRF_FIELD) (`csrf_token`). The token is replaced at each login, so
/// render it from the current session rather than caching it.
pub async fn csrf_token(session: &Session) -> SessionResult<String> {
    social_web::csrf_token(&TowerSession(session)).await
}

/// Whether `sent` is this session's CSRF token (compared in constant time); a session
/// without a token accepts nothing. For an application's own state-changing forms.
pub async fn verify_csrf(session: &Session, sent: Option<&str>) -> SessionResult<bool> {
    social_web::verify_csrf(&TowerSession(session), sent).await
}
