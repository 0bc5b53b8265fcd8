//! What social login needs from a web framework: request parameters, the session, URLs.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use serde_json::Value;

use crate::error::{AuthError, Result, Stage};

/// The request and session of one login step, as a web integration sees them.
///
/// social-axum implements it; [`MemoryStrategy`] is the in-memory one for tests.
#[async_trait]
pub trait Strategy: Send + Sync {
    /// A request parameter from the query string or the form body (form wins).
    fn param(&self, name: &str) -> Option<String>;
    /// Whether the request is a POST (its parameters may be in a form body). `false` by
    /// default.
    fn is_post(&self) -> bool {
        false
    }
    /// The names of the request parameters given more than once (query and form body
    /// together), for refusing polluted callbacks; none by default.
    fn repeated_params(&self) -> Vec<String> {
        Vec::new()
    }
    /// Every request parameter in the order given, the query string's first, then the form
    /// body's; a name given twice appears twice. Empty by default.
    fn params(&self) -> Vec<(String, String)> {
        Vec::new()
    }
    /// The URL the request reached, path and query as the browser sent them (before a router
    /// stripped a mount prefix): `http://127.0.0.1:8000/complete/steam/?state=..`. `None` by
    /// default, when the integration does not know it.
    fn request_url(&self) -> Option<String> {
        None
    }
    /// The scheme and host the request reached, such as `http://127.0.0.1:8000`.
    fn origin(&self) -> String;
    /// The host (with port, when not the default) the request reached, for redirect checks.
    fn host(&self) -> Option<String>;
    /// The path of the callback of `backend`; the default is `/complete/{backend}/`.
    fn callback_path(&self, backend: &str) -> String {
        format!("/complete/{backend}/")
    }
    /// A session value.
    async fn session_get(&self, key: &str) -> Result<Option<Value>>;
    /// Stores a session value.
    async fn session_set(&self, key: &str, value: Value) -> Result<()>;
    /// Removes a session value and returns it.
    async fn session_remove(&self, key: &str) -> Result<Option<Value>>;
}

/// An in-memory [`Strategy`] for tests: parameters are set by hand, the session is a map that
/// can be shared between strategies to stand for one browser.
#[derive(Debug, Clone)]
pub struct MemoryStrategy {
    origin: String,
    params: HashMap<String, String>,
    all: Vec<(String, String)>,
    url: Option<String>,
    repeated: Vec<String>,
    post: bool,
    session: Arc<Mutex<HashMap<String, Value>>>,
}

impl MemoryStrategy {
    /// A strategy for requests reaching `origin` (`http://testserver`), with a fresh session.
    pub fn new(origin: &str) -> Self {
        Self {
            origin: origin.trim_end_matches('/').to_owned(),
            params: HashMap::new(),
            all: Vec::new(),
            url: None,
            repeated: Vec::new(),
            post: false,
            session: Arc::default(),
        }
    }

    /// The same session with new request parameters: the next request of the same browser.
    #[must_use]
    pub fn next_request(&self) -> Self {
        Self {
            params: HashMap::new(),
            all: Vec::new(),
            url: None,
            repeated: Vec::new(),
            post: false,
            ..self.clone()
        }
    }

    /// Makes this request a POST (a form body).
    #[must_use]
    pub fn post(mut self) -> Self {
        self.post = true;
        self
    }

    /// Sets a request parameter; setting one twice makes it a repeated parameter (the last
    /// value wins, as in a real request).
    #[must_use]
    pub fn with_param(mut self, name: &str, value: &str) -> Self {
        self.all.push((name.to_owned(), value.to_owned()));
        if self
            .params
            .insert(name.to_owned(), value.to_owned())
            .is_some()
            && !self.repeated.iter().any(|r| r == name)
        {
            self.repeated.push(name.to_owned());
        }
        self
    }

    /// Makes `url` the URL the request reached and sets its query string's parameters.
    #[must_use]
    pub fn with_query_of(mut self, url: &str) -> Self {
        if let Ok(parsed) = url::Url::parse(url) {
            self.url = Some(url.to_owned());
            for (name, value) in parsed.query_pairs() {
                self = self.with_param(&name, &value);
            }
        }
        self
    }

    /// A copy of the session's keys; for tests.
    pub fn session_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.lock().keys().cloned().collect();
        keys.sort();
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Value>> {
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl Strategy for MemoryStrategy {
    fn param(&self, name: &str) -> Option<String> {
        self.params.get(name).cloned()
    }

    fn repeated_params(&self) -> Vec<String> {
        self.repeated.clone()
    }

    fn params(&self) -> Vec<(String, String)> {
        self.all.clone()
    }

    fn request_url(&self) -> Option<String> {
        self.url.clone()
    }

    fn is_post(&self) -> bool {
        self.post
    }

    fn origin(&self) -> String {
        self.origin.clone()
    }

    fn host(&self) -> Option<String> {
        self.origin
            .split_once("://")
            .map(|(_, host)| host.to_owned())
    }

    async fn session_get(&self, key: &str) -> Result<Option<Value>> {
        Ok(self.lock().get(key).cloned())
    }

    async fn session_set(&self, key: &str, value: Value) -> Result<()> {
        self.lock().insert(key.to_owned(), value);
        Ok(())
    }

    async fn session_remove(&self, key: &str) -> Result<Option<Value>> {
        Ok(self.lock().remove(key))
    }
}

/// This site's origin: `PUBLIC_URL` when set, else the scheme and host the request reached
/// (`https` whatever the request says with `REDIRECT_IS_HTTPS`).
pub fn site_origin(strategy: &dyn Strategy, settings: &crate::Settings) -> String {
    if let Some(public) = &settings.public_url {
        return public.trim_end_matches('/').to_owned();
    }
    let origin = strategy.origin();
    match origin.strip_prefix("http://") {
        Some(rest) if settings.redirect_is_https => format!("https://{rest}"),
        _ => origin,
    }
}

/// A required request parameter, or [`crate::ErrorKind::MissingParameter`] naming it.
pub fn required_param(strategy: &dyn Strategy, name: &str, stage: Stage) -> Result<String> {
    strategy
        .param(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AuthError::missing_parameter(stage, name))
}
