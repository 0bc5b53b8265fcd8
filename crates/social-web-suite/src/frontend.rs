//! What an integration provides to run the suite: its app, built for one [`Setup`].

use std::collections::HashMap;

use serde_json::Value;
use social_core::SocialAuth;

/// What the suite decides about the app a [`Frontend`] builds.
///
/// `#[non_exhaustive]` so that the suite can grow a setting without breaking a frontend: a
/// frontend reads the fields, it never builds a `Setup`.
#[derive(Debug)]
#[non_exhaustive]
pub struct Setup {
    /// The social login to serve, built by the suite (settings, registry, storage, pipeline,
    /// clock): the frontend hands it to its routes, extractors and middleware as it is.
    pub auth: SocialAuth,
    /// Page templates set on the routes, `(name, source)`, replacing the built-in ones.
    pub templates: Vec<(&'static str, &'static str)>,
    /// Where the routes of [`Setup::auth`] are mounted: `None` for their default paths
    /// (`/login/{backend}/`, ...), `Some("/auth")` for the same paths under `/auth`
    /// (`/auth/login/{backend}/`, ...). The contract routes stay at the root either way.
    pub mount_at: Option<&'static str>,
}

/// One web integration under test: builds its app for a [`Setup`] and drives it in-process.
///
/// The app a frontend builds serves:
///
/// - the routes of the integration for `setup.auth` (login, complete, disconnect) at their
///   default paths, or nested under `setup.mount_at`, with the page templates of
///   `setup.templates`;
/// - a session layer over an in-memory store that [`Frontend::session_data`] reads back, or
///   one that keeps the session in its cookie ([`Frontend::sessions_in_cookie`]), its cookie
///   `SameSite=Lax`, not `Secure`, named [`Frontend::cookie_name`];
/// - the contract routes, at the root:
///
/// | Route | Method | Answers |
/// | --- | --- | --- |
/// | `/home` | GET | the user as the integration's optional-user extractor sees it: the username, or `anonymous` |
/// | `/private` | GET | `private page of {username}` behind the integration's required-user extractor (which sends anonymous users to the login URL) |
/// | `/protected` | GET | `protected page` behind the integration's login-required middleware |
/// | `/context` | GET | the integration's template context (`SocialContext`) as JSON |
/// | `/csrf` | GET | the session's CSRF token as plain text (500 if the session fails) |
/// | `/login-error` | GET | the flashed login error, taken from the session, as JSON (`null` if none) |
/// | `/logout` | POST | logs out; 204 No Content |
///
/// Futures need not be `Send`: actix-web's test services are `!Send`, and the suite runs each
/// scenario on one thread.
#[allow(
    async_fn_in_trait,
    reason = "the futures are awaited on one thread only; no Send bound is wanted"
)]
pub trait Frontend: Sized {
    /// Builds the app for `setup`.
    async fn start(setup: Setup) -> Self;

    /// Sends one request to the app in-process and returns the whole response.
    async fn send(&self, request: http::Request<String>) -> http::Response<String>;

    /// The data the session store holds for session id `id` (the session cookie's value),
    /// `None` if the store does not hold it (never created, deleted, or cycled away).
    async fn session_data(&self, id: &str) -> Option<HashMap<String, Value>>;

    /// The session cookie's name.
    fn cookie_name(&self) -> &str;

    /// Whether the session is kept in its cookie (the server holds none), so that
    /// [`Frontend::session_data`] opens the cookie rather than looks the id up in a store. A
    /// replaced or ended session then leaves the browser's cookie jar rather than a store, and
    /// the scenarios check that instead.
    fn sessions_in_cookie(&self) -> bool {
        false
    }
}
