//! Sessions kept in the browser: the session's data, encrypted and authenticated, is the cookie.

use std::{
    borrow::Cow,
    collections::HashMap,
    fmt,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex, PoisonError},
    task::{Context, Poll},
};

use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};
use cookie::{Cookie, CookieJar, Key, SameSite};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use social_core::async_trait;
use tower::{Layer, Service};
use tower_sessions::{
    Expiry, Session, SessionStore,
    cookie::time::{Duration, OffsetDateTime},
    session::{Id, Record},
    session_store,
};

/// The most a browser keeps of one cookie, its name and value together (RFC 6265 §6.1).
const MAX_COOKIE: usize = 4096;

/// A tower layer that keeps each session in its cookie, encrypted and authenticated with
/// AES-256-GCM (the cookie's name is bound to it), and gives handlers the same
/// [`tower_sessions::Session`] a [`SessionManagerLayer`](tower_sessions::SessionManagerLayer)
/// does: the routes, extractors and helpers of this crate work unchanged.
///
/// The server holds nothing, so sessions cost no memory or store round trip, survive nothing
/// but the key, and are shared by every instance given the same key. What it gives up: a
/// session cannot be ended from the server. Logout and a login's id cycling replace the
/// browser's cookie, but a copy taken before still opens the session until it expires; set an
/// expiry ([`with_expiry`](Self::with_expiry); without one a session's data is refused two
/// weeks after it was last written) and use a server-side store where sessions must be
/// revocable. A login's `state` stays single use either way: the storage claims it. A session
/// is at most 4 KiB once encrypted; a response whose session would be larger is answered with
/// a 500 that says so.
///
/// The cookie is `SameSite=Lax` (the provider's redirect back must carry it), `HttpOnly`,
/// `Secure` (browsers accept it on `http://localhost` too), on path `/`, named `session`, and
/// lives as long as the browser session, as [`session_layer`](crate::session_layer)'s.
///
/// ```
/// # use axum::Router;
/// use social_axum::{CookieSessionLayer, Key};
///
/// // In production, the same 64 secret bytes on every instance: `Key::try_from(&bytes[..])`.
/// let app: Router = Router::new().layer(CookieSessionLayer::new(Key::generate()));
/// ```
#[derive(Clone)]
pub struct CookieSessionLayer {
    config: Arc<Config>,
}

struct Config {
    key: Key,
    name: Cow<'static, str>,
    path: Cow<'static, str>,
    domain: Option<Cow<'static, str>>,
    same_site: SameSite,
    secure: bool,
    http_only: bool,
    expiry: Option<Expiry>,
    always_save: bool,
}

impl fmt::Debug for CookieSessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.config;
        f.debug_struct("CookieSessionLayer")
            .field("name", &config.name)
            .field("path", &config.path)
            .field("domain", &config.domain)
            .field("same_site", &config.same_site)
            .field("secure", &config.secure)
            .field("http_only", &config.http_only)
            .field("expiry", &config.expiry)
            .field("always_save", &config.always_save)
            .finish_non_exhaustive()
    }
}

impl CookieSessionLayer {
    /// Sessions encrypted with `key`. Every instance of an application needs the same key;
    /// [`Key::generate`] makes a new one (its sessions end when the process does).
    pub fn new(key: Key) -> Self {
        Self {
            config: Arc::new(Config {
                key,
                name: Cow::Borrowed("session"),
                path: Cow::Borrowed("/"),
                domain: None,
                same_site: SameSite::Lax,
                secure: true,
                http_only: true,
                expiry: None,
                always_save: false,
            }),
        }
    }

    fn config(&mut self) -> &mut Config {
        Arc::get_mut(&mut self.config).unwrap_or_else(|| {
            unreachable!("a layer is only shared once it is built into a service")
        })
    }

    /// The cookie's name.
    pub fn with_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.config().name = name.into();
        self
    }

    /// The cookie's path.
    pub fn with_path(mut self, path: impl Into<Cow<'static, str>>) -> Self {
        self.config().path = path.into();
        self
    }

    /// The cookie's domain; by default the host that set it.
    pub fn with_domain(mut self, domain: impl Into<Cow<'static, str>>) -> Self {
        self.config().domain = Some(domain.into());
        self
    }

    /// The cookie's `SameSite`. `Strict` breaks logins: the browser leaves the cookie off the
    /// provider's redirect back.
    pub fn with_same_site(mut self, same_site: SameSite) -> Self {
        self.config().same_site = same_site;
        self
    }

    /// Whether the cookie is `Secure`.
    pub fn with_secure(mut self, secure: bool) -> Self {
        self.config().secure = secure;
        self
    }

    /// Whether the cookie is `HttpOnly`.
    pub fn with_http_only(mut self, http_only: bool) -> Self {
        self.config().http_only = http_only;
        self
    }

    /// When sessions expire: the cookie's lifetime, and when its data is refused.
    pub fn with_expiry(mut self, expiry: Expiry) -> Self {
        self.config().expiry = Some(expiry);
        self
    }

    /// Whether every response re-seals a session that has data, changed or not, so that an
    /// [`Expiry::OnInactivity`] counts from the last request rather than from the last change
    /// (as `SessionManagerLayer::with_always_save`). Off by default: an unchanged session's
    /// cookie is left as it is, which saves encrypting it and a `Set-Cookie` per response.
    pub fn with_always_save(mut self, always_save: bool) -> Self {
        self.config().always_save = always_save;
        self
    }
}

impl<S> Layer<S> for CookieSessionLayer {
    type Service = CookieSessions<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CookieSessions {
            inner,
            config: Arc::clone(&self.config),
        }
    }
}

/// The service [`CookieSessionLayer`] wraps around an application.
#[derive(Clone)]
pub struct CookieSessions<S> {
    inner: S,
    config: Arc<Config>,
}

impl<S> fmt::Debug for CookieSessions<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieSessions").finish_non_exhaustive()
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CookieSessions<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The service that was polled ready answers this request; its clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let sent = sent_cookies(request.headers(), &config.name);
            let had_cookie = !sent.is_empty();
            let envelope = Arc::new(Envelope {
                config: Arc::clone(&config),
                sent,
                written: Mutex::new(None),
            });
            let session = Session::new(
                had_cookie.then_some(ENVELOPE_ID),
                Arc::clone(&envelope),
                config.expiry,
            );
            request.extensions_mut().insert(session.clone());
            let mut response = inner.call(request).await?;

            let modified = session.is_modified();
            let empty = session.is_empty().await;
            if had_cookie && empty {
                append_cookie(&mut response, removal(&config));
            } else if (modified || config.always_save)
                && !empty
                && !response.status().is_server_error()
            {
                match written_cookie(&session, &envelope).await {
                    Ok(cookie) => append_cookie(&mut response, cookie),
                    Err(problem) => {
                        tracing::error!(%problem, "the session cannot be kept in its cookie");
                        let mut failed = Response::new(ResBody::from(format!(
                            "The session cannot be kept in its cookie: {problem}."
                        )));
                        *failed.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                        return Ok(failed);
                    }
                }
            }
            Ok(response)
        })
    }
}

/// The id every cookie session goes by: the store behind it holds one session.
const ENVELOPE_ID: Id = Id(1);

/// What the cookie holds, before encryption.
#[derive(Serialize, Deserialize)]
struct Sealed {
    /// When the session expires, in Unix seconds.
    #[serde(rename = "e")]
    expires: i64,
    #[serde(rename = "d")]
    data: HashMap<String, Value>,
}

/// The store of one request's session: the cookies the browser sent, decrypted when the
/// session is first read, and the record the session saved, sealed into the response.
struct Envelope {
    config: Arc<Config>,
    /// The values of the cookies named like the session's, as sent.
    sent: Vec<String>,
    written: Mutex<Option<Record>>,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope").finish_non_exhaustive()
    }
}

impl Envelope {
    /// The session of the first sent cookie that decrypts and has not expired.
    fn open(&self) -> Option<Record> {
        let config = &self.config;
        let now = OffsetDateTime::now_utc();
        let mut jar = CookieJar::new();
        let private = jar.private_mut(&config.key);
        self.sent.iter().find_map(|value| {
            let cookie = Cookie::new(config.name.to_string(), value.clone());
            let Some(opened) = private.decrypt(cookie) else {
                tracing::warn!("a session cookie that does not decrypt with the key was ignored");
                return None;
            };
            let sealed: Sealed = serde_json::from_str(opened.value()).ok()?;
            let expiry_date = OffsetDateTime::from_unix_timestamp(sealed.expires).ok()?;
            (expiry_date > now).then_some(Record {
                id: ENVELOPE_ID,
                data: sealed.data,
                expiry_date,
            })
        })
    }

    fn write(&self, record: &Record) {
        *self.written.lock().unwrap_or_else(PoisonError::into_inner) = Some(record.clone());
    }
}

#[async_trait]
impl SessionStore for Envelope {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        record.id = ENVELOPE_ID;
        self.write(record);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(record);
        Ok(())
    }

    async fn load(&self, _id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self.open())
    }

    async fn delete(&self, _id: &Id) -> session_store::Result<()> {
        // Nothing is kept here: the response replaces or removes the browser's cookie.
        Ok(())
    }
}

/// The values of the cookies named `name` in the request's `Cookie` headers.
fn sent_cookies(headers: &HeaderMap, name: &str) -> Vec<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
        .collect()
}

/// The session saved and sealed into its cookie, or why it cannot be.
async fn written_cookie(session: &Session, envelope: &Envelope) -> Result<Cookie<'static>, String> {
    session.save().await.map_err(|e| e.to_string())?;
    let record = envelope
        .written
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
        .ok_or("the session was not saved")?;
    let config = &envelope.config;
    let sealed = Sealed {
        expires: record.expiry_date.unix_timestamp(),
        data: record.data,
    };
    let plain = serde_json::to_string(&sealed).map_err(|e| e.to_string())?;
    let mut jar = CookieJar::new();
    jar.private_mut(&config.key)
        .add(Cookie::new(config.name.clone(), plain));
    let value = jar
        .get(&config.name)
        .map(|c| c.value().to_owned())
        .ok_or("the encrypted cookie is missing")?;
    let size = config.name.len() + 1 + value.len();
    if size > MAX_COOKIE {
        return Err(format!(
            "it is {size} bytes encrypted, and browsers keep at most {MAX_COOKIE}; keep less \
             in the session, or use a server-side store (`social_axum::session_layer`)"
        ));
    }
    let mut cookie = attributes(config, Cookie::new(config.name.clone(), value));
    match session.expiry() {
        Some(Expiry::OnInactivity(lasts)) => cookie.set_max_age(lasts),
        Some(Expiry::AtDateTime(at)) => cookie.set_max_age(at - OffsetDateTime::now_utc()),
        Some(Expiry::OnSessionEnd) | None => {}
    }
    Ok(cookie)
}

/// The cookie that removes the browser's session cookie.
fn removal(config: &Config) -> Cookie<'static> {
    let mut cookie = attributes(config, Cookie::new(config.name.clone(), ""));
    cookie.set_max_age(Duration::ZERO);
    cookie.set_expires(OffsetDateTime::UNIX_EPOCH);
    cookie
}

fn attributes(config: &Config, mut cookie: Cookie<'static>) -> Cookie<'static> {
    cookie.set_path(config.path.clone());
    if let Some(domain) = &config.domain {
        cookie.set_domain(domain.clone());
    }
    cookie.set_same_site(config.same_site);
    cookie.set_secure(config.secure);
    cookie.set_http_only(config.http_only);
    cookie
}

fn append_cookie<B>(response: &mut Response<B>, cookie: Cookie<'_>) {
    match HeaderValue::try_from(cookie.to_string()) {
        Ok(value) => {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        Err(_) => tracing::error!("a session cookie is not a valid header value"),
    }
}

#[cfg(test)]
mod tests {
    use axum::{Router, body::Body, routing::get};
    use tower::ServiceExt as _;

    use super::*;

    /// An app whose `/write/{n}` puts `n` bytes in the session and whose `/read` shows them.
    fn app(layer: CookieSessionLayer) -> Router {
        Router::new()
            .route(
                "/write/{n}",
                get(
                    |session: Session, axum::extract::Path(n): axum::extract::Path<usize>| async move {
                        session
                            .insert("v", "x".repeat(n))
                            .await
                            .unwrap_or_else(|e| panic!("{e}"));
                    },
                ),
            )
            .route(
                "/read",
                get(|session: Session| async move {
                    session
                        .get::<String>("v")
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or_default()
                }),
            )
            .layer(layer)
    }

    /// Sends `uri` with `cookie`; the status, the `Set-Cookie` values and the body.
    async fn send(
        app: &Router,
        uri: &str,
        cookie: Option<&str>,
    ) -> (StatusCode, Vec<String>, String) {
        let mut request = Request::get(uri);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let request = request
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"));
        let response = app
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let set = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_owned())
            .collect();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        (status, set, String::from_utf8_lossy(&body).into_owned())
    }

    /// The `name=value` part of a `Set-Cookie`.
    fn pair(set: &str) -> &str {
        set.split(';').next().unwrap_or_default()
    }

    #[tokio::test]
    async fn the_session_travels_in_its_cookie_and_only_with_the_key() {
        let key = Key::generate();
        let app = app(CookieSessionLayer::new(key.clone()));
        let (status, set, _) = send(&app, "/write/3", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(set.len(), 1, "{set:?}");
        for attribute in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(set[0].contains(attribute), "{attribute} in {set:?}");
        }
        let cookie = pair(&set[0]);
        assert!(cookie.starts_with("session="), "{cookie}");
        assert!(!cookie.contains("xxx"), "the data is encrypted: {cookie}");

        let (_, set_again, body) = send(&app, "/read", Some(cookie)).await;
        assert_eq!(body, "xxx");
        assert!(
            set_again.is_empty(),
            "an unchanged session is not rewritten"
        );

        // Another instance with the same key opens it; one with another key does not, and
        // removes the cookie it cannot use.
        let twin = self::app(CookieSessionLayer::new(key));
        assert_eq!(send(&twin, "/read", Some(cookie)).await.2, "xxx");
        let stranger = self::app(CookieSessionLayer::new(Key::generate()));
        let (_, removed, body) = send(&stranger, "/read", Some(cookie)).await;
        assert_eq!(body, "");
        assert_eq!(removed.len(), 1, "{removed:?}");
        assert!(removed[0].starts_with("session=;"), "{removed:?}");
        assert!(removed[0].contains("Max-Age=0"), "{removed:?}");
    }

    #[tokio::test]
    async fn a_tampered_or_renamed_cookie_opens_nothing() {
        let key = Key::generate();
        let app = app(CookieSessionLayer::new(key.clone()));
        let (_, set, _) = send(&app, "/write/3", None).await;
        let value = pair(&set[0]).trim_start_matches("session=").to_owned();
        let mut tampered = value.clone().into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap_or_default();
        assert_eq!(
            send(&app, "/read", Some(&format!("session={tampered}")))
                .await
                .2,
            ""
        );
        // The name is bound to the value: the same value under another cookie name is refused.
        let renamed = self::app(CookieSessionLayer::new(key).with_name("other"));
        assert_eq!(
            send(&renamed, "/read", Some(&format!("other={value}")))
                .await
                .2,
            ""
        );
        // Of two cookies of that name, the one that opens is used.
        let both = format!("session=garbage; session={value}");
        assert_eq!(send(&app, "/read", Some(&both)).await.2, "xxx");
    }

    #[tokio::test]
    async fn always_save_reseals_an_unchanged_session_with_a_later_expiry() {
        let layer = CookieSessionLayer::new(Key::generate())
            .with_expiry(Expiry::OnInactivity(Duration::hours(1)))
            .with_always_save(true);
        let app = app(layer);
        let (_, set, _) = send(&app, "/write/3", None).await;
        let first = pair(&set[0]).to_owned();
        let (_, again, body) = send(&app, "/read", Some(&first)).await;
        assert_eq!(body, "xxx");
        assert_eq!(
            again.len(),
            1,
            "an unchanged session is re-sealed: {again:?}"
        );
        assert!(again[0].contains("Max-Age=3600"), "{again:?}");
        let second = pair(&again[0]);
        assert_ne!(second, first, "sealed anew");
        assert_eq!(send(&app, "/read", Some(second)).await.2, "xxx");
        // A request without a session still gets no cookie.
        assert!(send(&app, "/read", None).await.1.is_empty());
    }

    #[tokio::test]
    async fn an_expired_session_is_refused() {
        let layer = CookieSessionLayer::new(Key::generate())
            .with_expiry(Expiry::OnInactivity(Duration::seconds(-5)));
        let app = app(layer);
        let (_, set, _) = send(&app, "/write/3", None).await;
        assert_eq!(send(&app, "/read", Some(pair(&set[0]))).await.2, "");
    }

    #[tokio::test]
    async fn a_session_too_large_for_a_cookie_is_a_500_that_says_so() {
        let app = app(CookieSessionLayer::new(Key::generate()));
        let (status, set, _) = send(&app, "/write/2900", None).await;
        assert_eq!(status, StatusCode::OK, "2,900 bytes fit");
        assert!(set[0].len() <= MAX_COOKIE + 100, "{}", set[0].len());
        let (status, set, body) = send(&app, "/write/3100", None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(set.is_empty(), "{set:?}");
        assert!(body.contains("browsers keep at most 4096"), "{body}");
        assert!(body.contains("server-side store"), "{body}");
    }
}
