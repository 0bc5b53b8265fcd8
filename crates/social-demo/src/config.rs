//! How the demo is configured: [`Config`], read from the environment by [`Config::from_env`].

use std::{fmt, path::Path};

use social_core::{AuthError, Settings};

/// The file read for social login settings when `SOCIAL_AUTH_CONFIG` is not set.
pub const DEFAULT_SETTINGS_FILE: &str = "social-demo.toml";
/// The database used when `DATABASE_URL` is not set: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://social-demo.sqlite?mode=rwc";

/// Where sessions are kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SessionBackend {
    /// In the session's cookie, encrypted with a key made at start-up: nothing kept on the
    /// server; lost at restart, not opened by other instances.
    #[default]
    Cookie,
    /// In this process's memory: lost at restart, invisible to other instances.
    Memory,
    /// In the application database (tower-sessions-sqlx-store), shared by every instance
    /// on it.
    Database,
    /// In Redis (tower-sessions-redis-store), shared by every instance using the same server
    /// and database number; Redis expires them.
    Redis {
        /// `redis://[[user]:password@]host[:port][/db]`; TLS, cluster and sentinel URLs are
        /// not supported.
        url: String,
    },
}

/// The key that seals sessions kept in their cookie ([`SessionBackend::Cookie`]): 64 secret
/// bytes, the same on every instance that must open the others' sessions.
#[derive(Clone)]
pub struct SessionKey(social_axum::Key);

impl SessionKey {
    /// The key encoded in `text`: 64 bytes in base64, standard or URL-safe, padded or not, such
    /// as `openssl rand -base64 64` prints.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        use base64::Engine as _;
        let text: String = text.split_whitespace().collect();
        let trimmed = text.trim_end_matches('=');
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(trimmed)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
            .map_err(|_| "is not base64; make a key with `openssl rand -base64 64`".to_owned())?;
        social_axum::Key::try_from(bytes.as_slice())
            .map(Self)
            .map_err(|_| {
                format!(
                    "holds {} bytes, and a key is 64; make one with `openssl rand -base64 64`",
                    bytes.len()
                )
            })
    }

    /// A new random key: sessions sealed with it end when the process does.
    pub fn generate() -> Self {
        Self(social_axum::Key::generate())
    }

    pub(crate) fn key(&self) -> social_axum::Key {
        self.0.clone()
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

/// Which dev provider the `dev` backends use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DevProviderMode {
    /// Mount the built-in one at `/dev-provider/` and register its clients automatically.
    #[default]
    BuiltIn,
    /// Use one running elsewhere (another instance, a test's), whose issuer is given; the
    /// backends' `KEY` and `SECRET` must be set to clients it knows.
    External {
        /// The issuer, such as `http://127.0.0.1:9000/dev-provider`.
        issuer: String,
    },
    /// No dev provider and no `dev` backends.
    Off,
}

/// How long a request waits for the Redis session store by default.
pub const DEFAULT_STORE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// How one demo instance runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Where browsers reach the app, without a trailing slash: `http://127.0.0.1:8000`.
    pub public_url: String,
    /// `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// Where sessions are kept.
    pub sessions: SessionBackend,
    /// The key of sessions kept in their cookie (`SESSION_KEY`); without one a key is made at
    /// start-up, so that sessions end at restart and other instances cannot open them. Start-up
    /// refuses a key with any other [`SessionBackend`].
    pub session_key: Option<SessionKey>,
    /// Social login settings as loaded, before the demo's own defaults are applied.
    pub settings: Settings,
    /// Which dev provider the `dev` backends use.
    pub dev_provider: DevProviderMode,
    /// How long a request waits for the Redis session store before its page says the store
    /// is unavailable (`STORE_TIMEOUT`, seconds; default 3, as the database pool's wait).
    pub store_timeout: std::time::Duration,
}

impl Config {
    /// The defaults: SQLite in the working directory, sessions in their cookie, the built-in dev
    /// provider, default settings.
    pub fn new(public_url: &str) -> Self {
        Self {
            public_url: public_url.trim_end_matches('/').to_owned(),
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            sessions: SessionBackend::Cookie,
            session_key: None,
            settings: Settings::default(),
            dev_provider: DevProviderMode::BuiltIn,
            store_timeout: DEFAULT_STORE_TIMEOUT,
        }
    }

    /// Uses the database at `url`.
    #[must_use]
    pub fn database_url(mut self, url: &str) -> Self {
        self.database_url = url.to_owned();
        self
    }

    /// Keeps sessions in `backend`.
    #[must_use]
    pub fn sessions(mut self, backend: SessionBackend) -> Self {
        self.sessions = backend;
        self
    }

    /// Seals cookie sessions with `key`.
    #[must_use]
    pub fn session_key(mut self, key: SessionKey) -> Self {
        self.session_key = Some(key);
        self
    }

    /// Uses these social login settings.
    #[must_use]
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Uses this dev provider.
    #[must_use]
    pub fn dev_provider(mut self, mode: DevProviderMode) -> Self {
        self.dev_provider = mode;
        self
    }

    /// Reads the configuration from the environment:
    ///
    /// | Variable | Meaning | Default |
    /// |---|---|---|
    /// | `DATABASE_URL` | `sqlite://...` or `postgres://...` | [`DEFAULT_DATABASE_URL`] |
    /// | `SESSION_STORE` | `cookie`, `memory`, `db` or `redis` | `cookie` |
    /// | `SESSION_KEY` | 64 bytes in base64 that seal `cookie` sessions | made at start-up |
    /// | `REDIS_URL` | the Redis server, for `SESSION_STORE=redis` | |
    /// | `STORE_TIMEOUT` | seconds a request waits for the Redis session store | 3 |
    /// | `DEV_PROVIDER` | `on`, `off`, or the issuer URL of one running elsewhere | `on` |
    /// | `SOCIAL_AUTH_CONFIG` | a TOML settings file | [`DEFAULT_SETTINGS_FILE`] if present |
    /// | `SOCIAL_AUTH_*` | social login settings, over the file's | |
    pub fn from_env(public_url: &str) -> Result<Self, StartError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let usable = url::Url::parse(public_url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !usable {
            return Err(StartError::config(
                "PUBLIC_URL",
                format!("`{public_url}` is not an http(s) URL such as `http://127.0.0.1:8000`"),
            ));
        }
        let mut config = Self::new(public_url);
        if let Some(url) = var("DATABASE_URL") {
            config.database_url = url;
        }
        config.sessions = match var("SESSION_STORE").as_deref().map(str::to_ascii_lowercase) {
            None => SessionBackend::Cookie,
            Some(v) if v == "cookie" => SessionBackend::Cookie,
            Some(v) if v == "memory" => SessionBackend::Memory,
            Some(v) if v == "db" || v == "database" => SessionBackend::Database,
            Some(v) if v == "redis" => SessionBackend::Redis {
                url: var("REDIS_URL").ok_or_else(|| {
                    StartError::config(
                        "REDIS_URL",
                        "is not set; SESSION_STORE=redis needs it, such as `redis://127.0.0.1:6379`",
                    )
                })?,
            },
            Some(v) => {
                return Err(StartError::config(
                    "SESSION_STORE",
                    format!("`{v}` is not `cookie`, `memory`, `db` or `redis`"),
                ));
            }
        };
        if let Some(key) = var("SESSION_KEY") {
            config.session_key = Some(
                SessionKey::from_base64(&key).map_err(|e| StartError::config("SESSION_KEY", e))?,
            );
        }
        if let Some(seconds) = var("STORE_TIMEOUT") {
            config.store_timeout = match seconds.trim().parse::<u64>() {
                Ok(seconds @ 1..=60) => std::time::Duration::from_secs(seconds),
                _ => {
                    return Err(StartError::config(
                        "STORE_TIMEOUT",
                        format!("`{seconds}` is not a number of seconds from 1 to 60"),
                    ));
                }
            };
        }
        config.dev_provider = match var("DEV_PROVIDER") {
            None => DevProviderMode::BuiltIn,
            Some(v) if matches!(v.to_ascii_lowercase().as_str(), "on" | "1" | "true" | "yes") => {
                DevProviderMode::BuiltIn
            }
            Some(v)
                if matches!(
                    v.to_ascii_lowercase().as_str(),
                    "off" | "0" | "false" | "no"
                ) =>
            {
                DevProviderMode::Off
            }
            Some(v) if v.starts_with("http://") || v.starts_with("https://") => {
                DevProviderMode::External {
                    issuer: v.trim_end_matches('/').to_owned(),
                }
            }
            Some(v) => {
                return Err(StartError::config(
                    "DEV_PROVIDER",
                    format!("`{v}` is not `on`, `off` or an issuer URL"),
                ));
            }
        };
        config.settings = load_settings(var("SOCIAL_AUTH_CONFIG").as_deref())?;
        Ok(config)
    }
}

/// Reads `file` (or [`DEFAULT_SETTINGS_FILE`] when it exists), then the `SOCIAL_AUTH_*`
/// environment variables over it.
fn load_settings(file: Option<&str>) -> Result<Settings, StartError> {
    let settings = match file {
        Some(path) => Settings::from_toml_file(path)
            .map_err(|e| StartError::config(&format!("SOCIAL_AUTH_CONFIG={path}"), e.details()))?,
        None if Path::new(DEFAULT_SETTINGS_FILE).exists() => {
            Settings::from_toml_file(DEFAULT_SETTINGS_FILE)
                .map_err(|e| StartError::config(DEFAULT_SETTINGS_FILE, e.details()))?
        }
        None => Settings::default(),
    };
    let mut names = social_auth::provider_names();
    names.extend(crate::DEV_BACKENDS.iter().map(|n| (*n).to_owned()));
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    // SOCIAL_AUTH_CONFIG names the file, not a setting: keep it out of the settings.
    let vars = std::env::vars().filter(|(name, _)| name != "SOCIAL_AUTH_CONFIG");
    let mut settings = settings.with_vars(vars).map_err(StartError::Settings)?;
    settings.resolve_env(&names).map_err(StartError::Settings)?;
    Ok(settings)
}

/// Why the demo could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// A setting has a value the demo cannot use.
    Config {
        /// The setting at fault (an environment variable or a file).
        setting: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Social login refused its settings; the message names the setting.
    Settings(AuthError),
    /// The database or the session store in it could not be opened or migrated.
    Database {
        /// The database URL, without its password.
        url: String,
        /// The driver's error.
        source: social_sqlx::sqlx::Error,
    },
    /// The Redis session store could not be reached.
    Redis {
        /// `REDIS_URL`, without its password.
        url: String,
        /// The client's error.
        source: tower_sessions_redis_store::fred::error::Error,
    },
}

impl StartError {
    pub(crate) fn config(setting: &str, problem: impl Into<String>) -> Self {
        Self::Config {
            setting: setting.to_owned(),
            problem: problem.into(),
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config { setting, problem } => write!(f, "{setting}: {problem}"),
            Self::Settings(e) => write!(f, "settings: {}", e.details()),
            Self::Database { url, source } => write!(f, "database {url}: {source}"),
            Self::Redis { url, source } => write!(f, "REDIS_URL {url}: {source}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Database { source, .. } => Some(source),
            Self::Redis { source, .. } => Some(source),
            Self::Settings(e) => Some(e),
            Self::Config { .. } => None,
        }
    }
}

/// `url` with its password replaced, for messages and logs.
pub(crate) fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only fails for URLs that cannot have a password, which this one has.
            let _ = parsed.set_password(Some("***"));
            parsed.into()
        }
        _ => url.to_owned(),
    }
}
