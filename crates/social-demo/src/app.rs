//! Start-up: settings with the demo's defaults, the registry, storage, sessions and routes.

use std::{sync::Arc, time::Instant};

use axum::{
    Router,
    extract::{FromRef, Request},
    middleware::{self, Next},
    response::Response,
    routing::{get, post},
};
use social_axum::CookieSessionLayer;
use social_core::{
    Backend, Configure, Registry, Secret, Settings, SocialAuth, Storage,
    pipeline::{Pipeline, RequireEmail},
    settings::{TomlValue, env_name},
};
use social_oauth2::oidc::OidcBackend;
use social_sqlx::{PostgresStorage, SqliteStorage};
use tower_sessions::{
    Expiry, SessionManagerLayer, SessionStore,
    cookie::{SameSite, time::Duration},
    session_store::ExpiredDeletion,
};
use tower_sessions_redis_store::{
    RedisStore,
    fred::prelude::{
        Builder, ClientLike as _, Config as RedisConfig, Error as RedisError, Pool, ReconnectPolicy,
    },
};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use social_mock::{Mock, MockClient, MockKey, MockProvider};

use crate::{
    around_social_routes,
    config::{Config, DevProviderMode, SessionBackend, SessionKey, StartError, redacted},
    html,
    pages::{self, PROFILE_PATH},
};

/// Where the built-in dev provider (social-mock's [`MockProvider`]) is mounted; its issuer is
/// the demo's public URL followed by this.
pub const DEV_PROVIDER_PATH: &str = "/dev-provider";

/// The backends served by the dev provider: `dev` (OAuth 2.0), `dev2` (a second client of the
/// same provider, to associate a second dev account) and `dev-oidc` (social-core's generic
/// OpenID Connect backend, configured by the issuer URL alone).
pub const DEV_BACKENDS: &[&str] = &["dev", "dev2", DEV_OIDC];

/// The generic OpenID Connect backend pointed at the dev provider.
const DEV_OIDC: &str = "dev-oidc";

/// How pages and buttons name the dev provider's backends.
pub(crate) const DEV_DISPLAY_NAMES: &[(&str, &str)] = &[
    ("dev", "Dev provider"),
    ("dev2", "Dev provider (second client)"),
    (DEV_OIDC, "Dev provider (OpenID Connect)"),
];

/// Where the partial pipeline asks for a missing e-mail address.
pub const EMAIL_FORM_PATH: &str = "/email/";

/// The session cookie's name.
const SESSION_COOKIE: &str = "social_demo_session";
/// The session cookie's name on an https site: the `__Host-` prefix makes browsers refuse it
/// unless it is `Secure`, for the whole site and set by this very host (no `Domain`), so a
/// sibling subdomain cannot plant or overwrite it.
const SECURE_SESSION_COOKIE: &str = "__Host-social_demo_session";
/// How long an idle session lives.
const SESSION_IDLE_HOURS: i64 = 2;

/// Connections to Redis: few, since each one pipelines many requests.
const REDIS_CONNECTIONS: usize = 2;

/// The router state.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) auth: SocialAuth,
    pub(crate) startup: Arc<Startup>,
}

impl FromRef<AppState> for SocialAuth {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

/// What start-up found: the backends offered, and why the others are not.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Startup {
    /// Backends offered, dev ones first.
    pub enabled: Vec<String>,
    /// Backends with some configuration that is wrong, and what is wrong (naming the setting).
    pub skipped: Vec<(String, String)>,
    /// Compiled-in providers with no configuration at all, and what each needs.
    pub unconfigured: Vec<(String, String)>,
}

impl Startup {
    /// One line per fact, for the console.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!("enabled: {}", self.enabled.join(", "))];
        for (name, why) in &self.skipped {
            lines.push(format!("skipped {name}: {why}"));
        }
        if !self.unconfigured.is_empty() {
            let names: Vec<&str> = self.unconfigured.iter().map(|(n, _)| n.as_str()).collect();
            lines.push(format!(
                "not configured: {} (the home page says what each needs)",
                names.join(", ")
            ));
        }
        lines
    }
}

/// A built demo: its router, and the parts tests and benchmarks look at.
#[derive(Debug)]
#[non_exhaustive]
pub struct Demo {
    /// Serve this.
    pub router: Router,
    /// The social login engine (its storage holds users and accounts).
    pub auth: SocialAuth,
    /// What start-up enabled and skipped.
    pub startup: Startup,
}

/// The demo's router for `config`: see [`build`].
pub async fn app(config: Config) -> Result<Router, StartError> {
    build(config).await.map(|demo| demo.router)
}

/// Builds the demo: opens (and migrates) the database, picks the backends, mounts the pages,
/// the social routes and, unless configured otherwise, the dev provider.
pub async fn build(config: Config) -> Result<Demo, StartError> {
    let Config {
        public_url,
        database_url,
        sessions,
        session_key,
        settings,
        dev_provider,
        store_timeout,
    } = config;
    // A key other stores would never read is a mistake to point out, not to ignore.
    if session_key.is_some() && sessions != SessionBackend::Cookie {
        return Err(StartError::config(
            "SESSION_KEY",
            "is only used with SESSION_STORE=cookie; unset one of them",
        ));
    }
    let mut settings = with_demo_defaults(settings);
    // Callback URLs come from the request's Host: accept only the demo's own names for it
    // (`127.0.0.1` and `localhost` alike), unless the settings say otherwise.
    if settings.public_url.is_none() && settings.allowed_hosts.is_empty() {
        settings.allowed_hosts = loopback_aliases(&public_url)
            .iter()
            .filter_map(|origin| origin.split_once("://").map(|(_, host)| host.to_owned()))
            .collect();
    }
    let issuer = match &dev_provider {
        DevProviderMode::BuiltIn => Some(format!("{public_url}{DEV_PROVIDER_PATH}")),
        DevProviderMode::External { issuer } => Some(issuer.clone()),
        DevProviderMode::Off => None,
    };
    if dev_provider == DevProviderMode::BuiltIn {
        give_dev_backends_clients(&mut settings);
    }
    if let Some(issuer) = &issuer {
        point_oidc_at(&mut settings, issuer);
    }
    let (registry, startup) = pick_backends(&settings, issuer.as_deref());
    // A backend left out keeps no settings: the engine refuses settings nobody reads.
    for (name, _) in &startup.skipped {
        settings.backends.remove(name);
    }
    for line in startup.lines() {
        tracing::info!("{line}");
    }
    let database = Database::open(&database_url).await?;
    let pipeline = Pipeline::default()
        .insert_before("get_username", RequireEmail::new(EMAIL_FORM_PATH))
        .ok_or_else(|| {
            StartError::config("pipeline", "the default pipeline has no `get_username`")
        })?;
    let auth = SocialAuth::builder(registry)
        .settings(settings)
        .storage(database.storage())
        .pipeline(pipeline)
        .build()
        .map_err(StartError::Settings)?;
    let state = AppState {
        auth: auth.clone(),
        startup: Arc::new(startup.clone()),
    };
    let mut router = Router::new()
        .route("/", get(pages::home))
        .route(PROFILE_PATH, get(pages::profile))
        .route("/error/", get(pages::error))
        .route(EMAIL_FORM_PATH, get(pages::email_form))
        .route("/logout/", post(pages::logout))
        .route("/refresh/{association_id}/", post(pages::refresh))
        .route(html::CSS_PATH, get(|| async { html::css() }))
        .merge(
            social_axum::routes(auth.clone())
                .layer(middleware::from_fn(
                    around_social_routes::confirm_disconnect,
                ))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    around_social_routes::check_typed_email,
                )),
        )
        .fallback(pages::not_found);
    if let (DevProviderMode::BuiltIn, Some(issuer)) = (&dev_provider, &issuer) {
        let key = dev_provider_key().await?;
        let clients = dev_clients(&auth, &public_url);
        tracing::info!(issuer, "dev provider mounted");
        router = router.nest(
            DEV_PROVIDER_PATH,
            MockProvider::new(issuer, key, clients).router(),
        );
    }
    let router = router
        .with_state(state)
        .layer(middleware::from_fn(log_request));
    let secure = public_url.starts_with("https://");
    let session_store_failed = |source| StartError::Database {
        url: redacted(&database_url),
        source,
    };
    let router = match (sessions, &database) {
        (SessionBackend::Cookie, _) => {
            let key = match session_key {
                Some(key) => {
                    tracing::info!("sessions: in their cookie, sealed with SESSION_KEY");
                    key
                }
                None => {
                    tracing::info!(
                        "sessions: in their cookie (key made at start-up, lost at restart; \
                         set SESSION_KEY to keep them)"
                    );
                    SessionKey::generate()
                }
            };
            with_cookie_sessions(router, &key, secure)
        }
        (SessionBackend::Memory, _) => {
            tracing::info!("sessions: in memory (this instance only, lost at restart)");
            with_sessions(router, social_axum::MemorySessionStore::new(), secure)
        }
        (SessionBackend::Database, Database::Sqlite(storage)) => {
            let store = SqliteStore::new(storage.pool().clone());
            store.migrate().await.map_err(session_store_failed)?;
            delete_expired_sessions(store.clone());
            tracing::info!("sessions: in the database {}", redacted(&database_url));
            with_sessions(router, store, secure)
        }
        (SessionBackend::Database, Database::Postgres(storage)) => {
            let store = PostgresStore::new(storage.pool().clone());
            store.migrate().await.map_err(session_store_failed)?;
            delete_expired_sessions(store.clone());
            tracing::info!("sessions: in the database {}", redacted(&database_url));
            with_sessions(router, store, secure)
        }
        (SessionBackend::Redis { url }, _) => {
            let pool = connect_redis(&url, store_timeout).await?;
            tracing::info!("sessions: in Redis {}", redacted(&url));
            with_sessions(router, RedisStore::new(pool), secure)
        }
    };
    Ok(Demo {
        router,
        auth,
        startup,
    })
}

/// The demo's defaults where the settings have the library's: a profile page after login,
/// an error page, and that page rather than the developer one even in debug builds.
fn with_demo_defaults(mut settings: Settings) -> Settings {
    if settings.login_redirect_url == "/" {
        settings.login_redirect_url = PROFILE_PATH.into();
    }
    if settings.login_error_url == "/" {
        settings.login_error_url = "/error/".into();
    }
    if settings.raise_exceptions.is_none() {
        settings.raise_exceptions = Some(false);
    }
    settings
}

/// The dev provider's RS256 key, which takes seconds to make in a debug build (the RSA code
/// is not optimised there): said before and after, so that start-up is not silent, and made
/// off the async workers.
async fn dev_provider_key() -> Result<MockKey, StartError> {
    let failed = |e: &dyn std::fmt::Display| StartError::config("dev provider", e.to_string());
    tracing::info!("making the dev provider's signing key (takes a few seconds in debug builds)");
    let started = Instant::now();
    let key = tokio::task::spawn_blocking(MockKey::shared)
        .await
        .map_err(|e| failed(&e))?
        .map_err(|e| failed(&e))?;
    tracing::info!(
        "made the dev provider's signing key in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(key)
}

/// Gives each dev backend a client id and a fresh secret unless configured.
fn give_dev_backends_clients(settings: &mut Settings) {
    for name in DEV_BACKENDS {
        let backend = settings.backends.entry((*name).to_owned()).or_default();
        if backend.key.is_none() {
            backend.key = Some(format!("social-demo-{name}"));
        }
        if backend.secret.is_none() {
            let bytes: [u8; 24] = rand::random();
            backend.secret = Some(Secret::new(hex(&bytes)));
        }
    }
}

/// Gives `dev-oidc` the dev provider's issuer unless configured: discovery does the rest.
fn point_oidc_at(settings: &mut Settings, issuer: &str) {
    let backend = settings.backends.entry(DEV_OIDC.to_owned()).or_default();
    let configured = backend.option("oidc_endpoint").is_some()
        || backend.endpoints.contains_key("oidc_endpoint");
    if !configured {
        backend
            .options
            .insert("oidc_endpoint".into(), TomlValue::String(issuer.to_owned()));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The built-in provider's clients: one per registered dev backend, its callback reachable
/// both as `127.0.0.1` and as `localhost`.
fn dev_clients(auth: &SocialAuth, public_url: &str) -> Vec<MockClient> {
    let origins = loopback_aliases(public_url);
    DEV_BACKENDS
        .iter()
        .filter(|name| auth.registry().get(name).is_some())
        .filter_map(|name| {
            let settings = auth.settings().backend(name);
            let key = settings.key.as_deref()?;
            let secret = settings.secret.as_ref()?;
            let uris = origins.iter().map(|o| format!("{o}/complete/{name}/"));
            Some(MockClient::new(key, secret.secret(), uris))
        })
        .collect()
}

/// `public_url`, plus the same with `localhost` for `127.0.0.1` or the other way round.
fn loopback_aliases(public_url: &str) -> Vec<String> {
    let mut origins = vec![public_url.to_owned()];
    for (from, to) in [
        ("//127.0.0.1:", "//localhost:"),
        ("//localhost:", "//127.0.0.1:"),
    ] {
        if public_url.contains(from) {
            origins.push(public_url.replacen(from, to, 1));
        }
    }
    origins
}

/// The registry: the dev backends, and what the facade offers for these settings (compiled-in
/// providers with settings, generic OpenID Connect / OpenID backends named by settings), each
/// kept only when its settings validate.
fn pick_backends(settings: &Settings, dev_issuer: Option<&str>) -> (Registry, Startup) {
    let mut startup = Startup::default();
    let mut registry = Registry::new();
    let mut offer = |backend: Arc<dyn Backend>, startup: &mut Startup| {
        let name = backend.name().to_owned();
        match Configure::run(backend.as_ref(), settings.backend(&name)) {
            Ok(_) => {
                registry.insert(backend);
                startup.enabled.push(name);
            }
            Err(error) => startup.skipped.push((name, error.details().to_owned())),
        }
    };
    if let Some(issuer) = dev_issuer {
        for name in DEV_BACKENDS {
            // The library's pages name it too ("Continue with Dev provider").
            let shown = crate::pages::label(name);
            let backend: Arc<dyn Backend> = if *name == DEV_OIDC {
                Arc::new(OidcBackend::generic(name).with_display_name(shown))
            } else {
                Arc::new(Mock::backend(name, issuer).with_display_name(shown))
            };
            offer(backend, &mut startup);
        }
    }
    let configured = social_auth::registry_for(settings);
    for backend in configured.iter() {
        // `dev-oidc` has an issuer in the settings, so the facade offers it too.
        if dev_issuer.is_none() || !DEV_BACKENDS.contains(&backend.name()) {
            offer(backend.clone(), &mut startup);
        }
    }
    for backend in social_auth::registry().iter() {
        if configured.get(backend.name()).is_none() {
            startup
                .unconfigured
                .push((backend.name().to_owned(), what_it_needs(backend.as_ref())));
        }
    }
    (registry, startup)
}

/// What an unconfigured provider needs, in words, found by asking its own checks: each
/// refusal names one missing setting, which gets a stand-in value before asking again.
fn what_it_needs(backend: &dyn Backend) -> String {
    let name = backend.name();
    let prefix = env_name(Some(name), "");
    let mut settings = social_core::BackendSettings::default();
    let mut needed: Vec<String> = Vec::new();
    let list = |needed: &[String]| match needed {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    // A provider needs a handful of settings at most; the bound only stops a loop.
    for _ in 0..8 {
        let error = match Configure::run(backend, &settings) {
            Ok(_) => break,
            Err(error) => error,
        };
        let details = error.details();
        let var = details.split(':').next().unwrap_or_default();
        if !var.starts_with(&prefix) || needed.iter().any(|n| n == var) {
            // Not a missing setting, or one whose stand-in was refused: say what was said.
            return if needed.is_empty() {
                details.to_owned()
            } else {
                format!("set {} ({details})", list(&needed))
            };
        }
        needed.push(var.to_owned());
        let setting = var[prefix.len()..].to_ascii_lowercase();
        match setting.as_str() {
            "key" => settings.key = Some("x".into()),
            "secret" => settings.secret = Some(social_core::Secret::new("x")),
            url if url.ends_with("_url") => {
                settings
                    .endpoints
                    .insert(url.to_owned(), "https://example.invalid".into());
            }
            other => {
                settings
                    .options
                    .insert(other.to_owned(), TomlValue::String("x".into()));
            }
        }
    }
    if needed.is_empty() {
        format!(
            "needs no keys; give it any setting (an empty [backends.{name}] table will do) to offer it"
        )
    } else {
        format!("set {}", list(&needed))
    }
}

/// The application database.
enum Database {
    Sqlite(SqliteStorage),
    Postgres(PostgresStorage),
}

impl Database {
    async fn open(url: &str) -> Result<Self, StartError> {
        let failed = |source| StartError::Database {
            url: redacted(url),
            source,
        };
        if url.starts_with("sqlite:") {
            SqliteStorage::connect(url)
                .await
                .map(Self::Sqlite)
                .map_err(failed)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            PostgresStorage::connect(url)
                .await
                .map(Self::Postgres)
                .map_err(failed)
        } else {
            Err(StartError::config(
                "DATABASE_URL",
                format!(
                    "`{}` is neither a sqlite: nor a postgres:// URL",
                    redacted(url)
                ),
            ))
        }
    }

    fn storage(&self) -> Arc<dyn Storage> {
        match self {
            Self::Sqlite(s) => Arc::new(s.clone()),
            Self::Postgres(s) => Arc::new(s.clone()),
        }
    }
}

/// The session layer answers a store failure (Redis or the database down) with an empty
/// 500; a person gets a page saying what happened, as a 503, instead.
async fn sessions_unavailable(response: Response) -> Response {
    use axum::body::HttpBody as _;
    let empty = response.body().size_hint().exact() == Some(0);
    if response.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR || !empty {
        return response;
    }
    tracing::error!("the session store failed");
    html::respond(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Try again \
         shortly</title></head><body><h1>Try again shortly</h1><p>Sign-in is unavailable for \
         a moment: the session store cannot be reached. Nothing was lost; please try again in \
         a minute.</p></body></html>"
            .to_owned(),
    )
}

/// The session cookie's name: with the `__Host-` prefix over HTTPS, which binds it to this
/// host and path `/`.
fn session_cookie(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

fn with_cookie_sessions(router: Router, key: &SessionKey, secure: bool) -> Router {
    router.layer(
        CookieSessionLayer::new(key.key())
            .with_name(session_cookie(secure))
            .with_path("/")
            .with_secure(secure)
            .with_expiry(Expiry::OnInactivity(Duration::hours(SESSION_IDLE_HOURS))),
    )
}

fn with_sessions<S>(router: Router, store: S, secure: bool) -> Router
where
    S: SessionStore + Clone,
{
    router
        .layer(
            SessionManagerLayer::new(store)
                .with_name(session_cookie(secure))
                .with_path("/")
                .with_secure(secure)
                // Lax, not Strict: the provider's redirect back is a cross-site navigation that
                // must carry the session holding the login's state.
                .with_same_site(SameSite::Lax)
                .with_http_only(true)
                .with_expiry(Expiry::OnInactivity(Duration::hours(SESSION_IDLE_HOURS))),
        )
        // Outside the session layer, to see what it answers.
        .layer(middleware::map_response(sessions_unavailable))
}

/// A pool connected to the Redis server at `url`, or why not. Connecting at start-up makes a
/// wrong `REDIS_URL` (host, password, database number) stop the demo at once; later the
/// connections come back by themselves when Redis restarts, and a request waits for Redis at
/// most a few seconds.
async fn connect_redis(url: &str, timeout: std::time::Duration) -> Result<Pool, StartError> {
    let shown = redacted(url);
    let invalid = |problem: &str| StartError::config("REDIS_URL", format!("`{shown}` {problem}"));
    // The store is built without TLS: a `rediss://` URL would silently go out in clear text.
    let usable = url::Url::parse(url).is_ok_and(|u| u.scheme() == "redis" && u.has_host());
    if !usable {
        return Err(invalid(
            "is not a redis:// URL such as `redis://127.0.0.1:6379/0` \
             (TLS, cluster and sentinel URLs are not supported)",
        ));
    }
    let unusable = |e: RedisError| invalid(&format!("cannot be used: {}", e.details()));
    let config = RedisConfig::from_url(url).map_err(unusable)?;
    let pool = Builder::from_config(config)
        .with_connection_config(|c| c.connection_timeout = timeout)
        .with_performance_config(|p| p.default_command_timeout = timeout)
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
        .build_pool(REDIS_CONNECTIONS)
        .map_err(unusable)?;
    // The handle drives the connections; dropping it leaves them running.
    let _connections = pool.init().await.map_err(|source| StartError::Redis {
        url: shown.clone(),
        source,
    })?;
    Ok(pool)
}

/// Sweeps expired sessions out of a database store every hour.
fn delete_expired_sessions<S>(store: S)
where
    S: ExpiredDeletion + Clone + 'static,
{
    tokio::spawn(async move {
        if let Err(error) = store
            .continuously_delete_expired(tokio::time::Duration::from_secs(3_600))
            .await
        {
            tracing::warn!(%error, "expired sessions are no longer deleted");
        }
    });
}

/// One line per request, without the query string (it carries codes and tokens).
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::debug!(
        %method,
        path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::Request, routing::get};
    use tower::ServiceExt as _;
    use tower_sessions::{MemoryStore, Session};

    use super::*;

    /// The `Set-Cookie` of a request that stores something in the session.
    async fn session_cookie(secure: bool) -> String {
        let router = Router::new().route(
            "/",
            get(|session: Session| async move {
                let _ = session.insert("x", 1).await;
            }),
        );
        let app = with_sessions(router, MemoryStore::default(), secure);
        let response = app
            .oneshot(Request::get("/").body(Body::empty()).expect("request"))
            .await
            .expect("answered");
        response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    /// A session store whose backend is down.
    #[derive(Debug, Clone)]
    struct DownStore;

    #[social_core::async_trait]
    impl SessionStore for DownStore {
        async fn save(
            &self,
            _: &tower_sessions::session::Record,
        ) -> tower_sessions::session_store::Result<()> {
            Err(tower_sessions::session_store::Error::Backend(
                "connection refused".into(),
            ))
        }
        async fn load(
            &self,
            _: &tower_sessions::session::Id,
        ) -> tower_sessions::session_store::Result<Option<tower_sessions::session::Record>>
        {
            // Reads find nothing; the write at the end of the request fails.
            Ok(None)
        }
        async fn delete(
            &self,
            _: &tower_sessions::session::Id,
        ) -> tower_sessions::session_store::Result<()> {
            Err(tower_sessions::session_store::Error::Backend(
                "connection refused".into(),
            ))
        }
    }

    #[tokio::test]
    async fn a_session_store_that_is_down_gets_a_page_not_an_empty_500() {
        let router = Router::new().route(
            "/",
            get(|session: Session| async move {
                match session.insert("x", 1).await {
                    Ok(()) => "ok",
                    // What social-axum's handlers do when the store fails while they run.
                    Err(_) => "store failed",
                }
            }),
        );
        let app = with_sessions(router, DownStore, false);
        // A new or a returning browser: its session cannot be saved.
        for cookie in [Some("social_demo_session=AAAAAAAAAAAAAAAAAAAAAA"), None] {
            let mut request = Request::get("/");
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            let response = app
                .clone()
                .oneshot(request.body(Body::empty()).expect("request"))
                .await
                .expect("answered");
            assert_eq!(
                response.status(),
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "{cookie:?}"
            );
            let body = axum::body::to_bytes(response.into_body(), 1 << 16)
                .await
                .unwrap_or_default();
            assert!(
                String::from_utf8_lossy(&body).contains("session store"),
                "a page that says what happened"
            );
        }
    }

    #[tokio::test]
    async fn on_https_the_session_cookie_is_a_host_cookie() {
        let cookie = session_cookie(true).await;
        assert!(
            cookie.starts_with("__Host-social_demo_session="),
            "{cookie}"
        );
        for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(part), "{part}: {cookie}");
        }
        assert!(!cookie.contains("Domain"), "{cookie}");
        assert!(cookie.contains("Max-Age=7200"), "two idle hours: {cookie}");
        let cookie = session_cookie(false).await;
        assert!(cookie.starts_with("social_demo_session="), "{cookie}");
        assert!(!cookie.contains("Secure"), "{cookie}");
    }
}
