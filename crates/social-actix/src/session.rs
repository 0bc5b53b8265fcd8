//! actix-session as the login rules see a session, and the helpers an application calls with
//! its `Session`.

use std::{
    collections::HashMap,
    sync::{Mutex, MutexGuard, PoisonError},
};

use actix_session::{Session, SessionMiddleware, SessionStatus, storage::SessionStore};
use actix_web::cookie::{Key, SameSite};
use social_core::{Value, async_trait, serde_json};
use social_web::{LoginError, SessionError, SessionResult, WebSession};

/// The session middleware social login needs, over any actix-session `store`, its cookies
/// signed and encrypted with `key`: the cookie is `SameSite=Lax` (with `Strict`, browsers do
/// not send it on the provider's redirect back, and every login fails with `state_missing`),
/// `HttpOnly` and `Secure` (browsers accept `Secure` cookies on `http://localhost` and
/// `http://127.0.0.1` too), and lives as long as the browser session.
///
/// `key` must be the same across restarts and instances, or every session ends with them:
/// [`Key::generate`] is for tests and development only. For other settings (cookie name,
/// a persistent cookie, ...), build the middleware with [`SessionMiddleware::builder`] and
/// keep `SameSite=Lax`.
///
/// ```
/// use actix_web::{App, cookie::Key};
/// use social_actix::actix_session::storage::CookieSessionStore;
///
/// let store = CookieSessionStore::default();
/// let app = App::new().wrap(social_actix::session_middleware(store, Key::generate()));
/// # drop(app);
/// ```
pub fn session_middleware<S: SessionStore>(store: S, key: Key) -> SessionMiddleware<S> {
    SessionMiddleware::builder(store, key)
        .cookie_same_site(SameSite::Lax)
        .cookie_http_only(true)
        .cookie_secure(true)
        .build()
}

/// [`session_middleware`] over actix-session's `CookieSessionStore`: the whole session in the
/// cookie, signed and encrypted with `key`, nothing kept on the server. The common case in one
/// call: `App::new().wrap(cookie_sessions(key.clone()))`.
#[cfg(feature = "cookie-session")]
pub fn cookie_sessions(key: Key) -> SessionMiddleware<actix_session::storage::CookieSessionStore> {
    session_middleware(actix_session::storage::CookieSessionStore::default(), key)
}

/// An actix-session [`Session`] as a [`WebSession`].
///
/// actix-session's `Session` lives on one thread (`Rc`), while the login rules ask for a
/// `Send + Sync` session: this copy of the session's entries takes the rules' reads and
/// writes, and [`ActixSession::apply`] hands what changed back to the `Session` afterwards.
/// The `Session` itself only changes in memory until the middleware saves it after the
/// handler, so the request sees the same thing either way.
#[derive(Debug)]
pub(crate) struct ActixSession(Mutex<Local>);

#[derive(Debug, Default)]
struct Local {
    /// The entries as JSON text, as actix-session keeps them.
    entries: HashMap<String, String>,
    /// What was written since the copy was made: `Some` inserted, `None` removed.
    written: HashMap<String, Option<Value>>,
    cleared: bool,
    renewed: bool,
    purged: bool,
}

impl ActixSession {
    /// A copy of `session`'s entries.
    pub(crate) fn new(session: &Session) -> Self {
        Self(Mutex::new(Local {
            entries: session.entries().clone(),
            // actix-session ignores every change after a purge: so does the copy.
            purged: session.status() == SessionStatus::Purged,
            ..Local::default()
        }))
    }

    fn copy(&self) -> MutexGuard<'_, Local> {
        // Nothing panics while holding the lock; a poisoned one still holds whole data.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `session` what the login rules made of its copy: purged, or cleared, renewed and
    /// written key by key.
    pub(crate) fn apply(self, session: &Session) -> SessionResult<()> {
        let copy = self.0.into_inner().unwrap_or_else(PoisonError::into_inner);
        if copy.purged {
            session.purge();
            return Ok(());
        }
        if copy.cleared {
            session.clear();
        }
        if copy.renewed {
            session.renew();
        }
        for (key, value) in copy.written {
            match value {
                Some(value) => session.insert(key, value).map_err(SessionError::new)?,
                None => drop(session.remove(&key)),
            }
        }
        Ok(())
    }
}

fn parse(key: &str, text: &str) -> SessionResult<Value> {
    serde_json::from_str(text).map_err(|error| {
        SessionError::new(format!(
            "the session value under `{key}` is not JSON ({error}); clear the session"
        ))
    })
}

#[async_trait]
impl WebSession for ActixSession {
    async fn get(&self, key: &str) -> SessionResult<Option<Value>> {
        let copy = self.copy();
        copy.entries
            .get(key)
            .map(|text| parse(key, text))
            .transpose()
    }

    async fn insert(&self, key: &str, value: Value) -> SessionResult<()> {
        let text = serde_json::to_string(&value).map_err(SessionError::new)?;
        let mut copy = self.copy();
        // Writing what is already there would only make the middleware save the session.
        if copy.purged || copy.entries.get(key) == Some(&text) {
            return Ok(());
        }
        copy.entries.insert(key.to_owned(), text);
        copy.written.insert(key.to_owned(), Some(value));
        Ok(())
    }

    async fn remove(&self, key: &str) -> SessionResult<Option<Value>> {
        let mut copy = self.copy();
        let Some(text) = copy.entries.remove(key) else {
            return Ok(None);
        };
        copy.written.insert(key.to_owned(), None);
        parse(key, &text).map(Some)
    }

    async fn clear(&self) -> SessionResult<()> {
        let mut copy = self.copy();
        if !copy.purged {
            copy.entries.clear();
            copy.written.clear();
            copy.cleared = true;
        }
        Ok(())
    }

    async fn cycle_id(&self) -> SessionResult<()> {
        let mut copy = self.copy();
        if !copy.purged {
            copy.renewed = true;
        }
        Ok(())
    }

    async fn flush(&self) -> SessionResult<()> {
        let mut copy = self.copy();
        copy.entries.clear();
        copy.written.clear();
        copy.purged = true;
        Ok(())
    }

    async fn is_new(&self) -> SessionResult<bool> {
        // actix-session keeps no empty session: a session without entries is one the request
        // did not bring (no cookie, or one the store no longer holds).
        Ok(self.copy().entries.is_empty())
    }

    // `set_expiry` keeps its default: actix-session sets one lifetime for every session
    // cookie. The login's end is kept in the session and checked at every request all the
    // same.
}

/// Runs `op` on a copy of `session`, then hands the changes back, whatever `op` returned.
async fn with<T>(
    session: &Session,
    op: impl AsyncFnOnce(&ActixSession) -> SessionResult<T>,
) -> SessionResult<T> {
    let copy = ActixSession::new(session);
    let result = op(&copy).await;
    copy.apply(session)?;
    result
}

/// Removes and returns the last login error of this session, if any.
///
/// Call it from the page at `LOGIN_ERROR_URL` to show what went wrong, once.
pub async fn take_error(session: &Session) -> SessionResult<Option<LoginError>> {
    with(session, async |s| social_web::take_error(s).await).await
}

/// Logs the user out: deletes the session from the store and removes its cookie.
///
/// With actix-session, nothing written to the session later in the same request is kept.
pub async fn logout(session: &Session) -> SessionResult<()> {
    with(session, async |s| social_web::logout(s).await).await
}

/// The CSRF token of this session, created on first use.
///
/// Put it in every form that posts to the login or disconnect routes, as the hidden field
/// [`CSRF_FIELD`](crate::CSRF_FIELD) (`csrf_token`). The token is replaced at each login, so
/// render it from the current session rather than caching it.
pub async fn csrf_token(session: &Session) -> SessionResult<String> {
    with(session, async |s| social_web::csrf_token(s).await).await
}

/// Whether `sent` is this session's CSRF token (compared in constant time); a session
/// without a token accepts nothing. For an application's own state-changing forms.
pub async fn verify_csrf(session: &Session, sent: Option<&str>) -> SessionResult<bool> {
    with(session, async |s| social_web::verify_csrf(s, sent).await).await
}

#[cfg(test)]
mod tests {
    use actix_web::{FromRequest as _, test::TestRequest};
    use serde_json::json;

    use super::*;

    fn session() -> Session {
        let request = TestRequest::default().to_http_request();
        Session::extract(&request)
            .into_inner()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn run<T>(fut: impl Future<Output = T>) -> T {
        actix_web::rt::System::new().block_on(fut)
    }

    #[test]
    fn changes_reach_the_session_and_unchanged_sessions_stay_unchanged() {
        run(async {
            let session = session();
            session
                .insert("kept", "a")
                .unwrap_or_else(|e| panic!("{e}"));
            session.insert("gone", 1).unwrap_or_else(|e| panic!("{e}"));
            // A session only read, or written with what it holds, is not saved again.
            let copy = ActixSession::new(&session);
            let fresh_status = session.status();
            assert_eq!(copy.get("kept").await.ok().flatten(), Some(json!("a")));
            copy.insert("kept", json!("a"))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(copy.remove("absent").await.ok().flatten(), None);
            copy.apply(&session).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(session.status(), fresh_status);

            let copy = ActixSession::new(&session);
            copy.insert("new", json!({"x": [1]}))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(copy.remove("gone").await.ok().flatten(), Some(json!(1)));
            copy.cycle_id().await.unwrap_or_else(|e| panic!("{e}"));
            assert!(!copy.is_new().await.unwrap_or(true));
            copy.apply(&session).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(session.status(), SessionStatus::Renewed);
            assert_eq!(
                session.get::<Value>("new").ok().flatten(),
                Some(json!({"x": [1]}))
            );
            assert!(!session.contains_key("gone"));
            assert!(session.contains_key("kept"));
        });
    }

    #[test]
    fn clear_then_write_keeps_only_the_new_entries() {
        run(async {
            let session = session();
            session.insert("old", 1).unwrap_or_else(|e| panic!("{e}"));
            let copy = ActixSession::new(&session);
            copy.clear().await.unwrap_or_else(|e| panic!("{e}"));
            assert!(copy.is_new().await.unwrap_or(false));
            copy.insert("new", json!(2))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            copy.apply(&session).unwrap_or_else(|e| panic!("{e}"));
            let entries = session.entries().clone();
            assert_eq!(entries.len(), 1, "{entries:?}");
            assert_eq!(entries.get("new").map(String::as_str), Some("2"));
        });
    }

    #[test]
    fn a_flushed_session_is_purged_and_takes_no_more_writes() {
        run(async {
            let session = session();
            session.insert("user", 1).unwrap_or_else(|e| panic!("{e}"));
            let copy = ActixSession::new(&session);
            copy.flush().await.unwrap_or_else(|e| panic!("{e}"));
            copy.insert("late", json!(1))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(copy.get("user").await.ok().flatten(), None);
            copy.apply(&session).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(session.status(), SessionStatus::Purged);
            assert!(session.entries().is_empty());
        });
    }

    #[test]
    fn a_value_that_is_not_json_is_an_error_that_names_its_key() {
        run(async {
            let session = session();
            let copy = ActixSession::new(&session);
            copy.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entries
                .insert("bad".into(), "{".into());
            let error = copy
                .get("bad")
                .await
                .err()
                .unwrap_or_else(|| panic!("not JSON"));
            assert!(error.to_string().contains("`bad`"), "{error}");
        });
    }
}
