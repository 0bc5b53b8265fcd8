#![doc = include_str!("../README.md")]

mod pages;

use std::{fmt, net::TcpListener, sync::Arc};

use actix_web::{App, HttpServer, cookie::Key, dev::Server, web};
use social_actix::actix_session::storage::CookieSessionStore;
use social_core::{AuthError, Registry, Settings, SocialAuth};
use social_mock::{MockProvider, RunningMock};
use social_sqlx::SqliteStorage;

/// The database used when `DATABASE_URL` is not set: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://social-demo-actix.sqlite?mode=rwc";

/// The dev provider's backends and how pages name them: `dev2` is a second client of the
/// same provider, so that a user can connect a second account and disconnect one.
pub const DEV_BACKENDS: [(&str, &str); 2] = [
    ("dev", "Dev provider"),
    ("dev2", "Dev provider (second client)"),
];

/// How the demo runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Where browsers reach the demo, without a trailing slash: `http://127.0.0.1:8000`.
    pub public_url: String,
    /// An sqlx SQLite URL: `sqlite://file.sqlite?mode=rwc` or `sqlite::memory:`.
    pub database_url: String,
    /// Social login settings, before the demo's own pages are set in them.
    pub settings: Settings,
}

impl Config {
    /// The defaults for a demo at `public_url`: [`DEFAULT_DATABASE_URL`], default settings.
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            settings: Settings::default(),
        }
    }

    /// Reads `DATABASE_URL` and the `SOCIAL_AUTH_*` settings from the environment.
    ///
    /// # Errors
    ///
    /// A [`StartError`] naming the setting that cannot be read.
    pub fn from_env(public_url: &str) -> Result<Self, StartError> {
        let mut config = Self::new(public_url);
        if let Some(url) = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            config.database_url = url;
        }
        config.settings = Settings::default()
            .with_env()
            .map_err(StartError::Settings)?;
        Ok(config)
    }

    /// Uses the database at `url`.
    #[must_use]
    pub fn database_url(mut self, url: &str) -> Self {
        self.database_url = url.to_owned();
        self
    }
}

/// Why the demo could not start; the message says what to change.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The social login settings are wrong.
    Settings(AuthError),
    /// The database could not be opened.
    Database(String),
    /// The dev provider could not start.
    DevProvider(social_mock::StartError),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Settings(error) => write!(f, "social login settings: {error}"),
            Self::Database(error) => {
                write!(
                    f,
                    "DATABASE_URL: {error} (a SQLite URL such as `{DEFAULT_DATABASE_URL}`)"
                )
            }
            Self::DevProvider(error) => write!(f, "dev provider: {error}"),
        }
    }
}

impl std::error::Error for StartError {}

/// The demo, started: its social login, the dev provider it talks to, and the key of its
/// session cookies.
pub struct Demo {
    auth: SocialAuth,
    key: Key,
    dev_provider: RunningMock,
}

impl fmt::Debug for Demo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The cookie key stays out of logs.
        f.debug_struct("Demo")
            .field("auth", &self.auth)
            .field("dev_provider", &self.dev_provider)
            .finish_non_exhaustive()
    }
}

impl Demo {
    /// Opens the database, starts the dev provider on a loopback port of its own and
    /// registers the demo's `dev` clients with it.
    ///
    /// # Errors
    ///
    /// A [`StartError`] when the database, the dev provider or the settings fail.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let Config {
            public_url,
            database_url,
            mut settings,
        } = config;
        let storage = SqliteStorage::connect(&database_url)
            .await
            .map_err(|e| StartError::Database(e.to_string()))?;
        // Loopback only: whoever reaches it logs in as anyone.
        let dev_provider = MockProvider::start()
            .await
            .map_err(StartError::DevProvider)?;
        tracing::info!(issuer = dev_provider.url(), "dev provider started");
        let mut registry = Registry::new();
        for (name, shown) in DEV_BACKENDS {
            dev_provider
                .register_backend(name, &public_url)
                .apply_to(&mut settings);
            registry = registry.with(dev_provider.backend(name).with_display_name(shown));
        }
        settings.login_url = "/".into();
        settings.login_error_url = "/".into();
        settings.login_redirect_url = pages::PROFILE_PATH.into();
        settings.disconnect_redirect_url = Some(pages::PROFILE_PATH.into());
        // The dev provider knows the callbacks under this URL only, whatever Host says.
        settings.public_url.get_or_insert(public_url);
        let auth = SocialAuth::builder(registry)
            .settings(settings)
            .storage(Arc::new(storage))
            .build()
            .map_err(StartError::Settings)?;
        Ok(Self {
            auth,
            // Sessions end when the demo stops: the key is made anew at every start.
            key: Key::generate(),
            dev_provider,
        })
    }

    /// The social login the demo serves.
    pub fn auth(&self) -> &SocialAuth {
        &self.auth
    }

    /// Where the dev provider listens: `http://127.0.0.1:PORT`.
    pub fn dev_provider_url(&self) -> &str {
        self.dev_provider.url()
    }

    /// The demo's HTTP server on `listener`, with `workers` threads; run it by awaiting it.
    ///
    /// # Errors
    ///
    /// When the listener cannot be used.
    pub fn server(&self, listener: TcpListener, workers: usize) -> std::io::Result<Server> {
        let auth = self.auth.clone();
        let key = self.key.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(auth.clone()))
                .configure(pages::configure)
                .configure(social_actix::routes(auth.clone()))
                // The whole session in the encrypted cookie: nothing to run beside the demo.
                .wrap(social_actix::session_middleware(
                    CookieSessionStore::default(),
                    key.clone(),
                ))
        })
        .workers(workers)
        .listen(listener)?
        .run();
        Ok(server)
    }
}
