//! Test mode: the mock provider served on a loopback port of its own, with helpers that point
//! an application's backends at it.

use std::{fmt, net::SocketAddr, ops::Deref, sync::Arc, time::Duration};

use social_core::{BackendSettings, Secret, Settings, clock::Clock, settings::TomlValue};
use social_oauth2::{
    OAuth2Backend,
    oidc::{OidcBackend, OidcSpec},
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{Answer, KeyError, Mock, MockClient, MockKey, MockProvider, MockUser};

/// How long [`RunningMock::shutdown`] waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl MockProvider {
    /// Serves a provider on `127.0.0.1` on a free port, answering with the login form until
    /// scripted: `MockProvider::builder().start()`.
    pub async fn start() -> Result<RunningMock, StartError> {
        Self::builder().start().await
    }

    /// A provider to configure, then [`start`](MockBuilder::start).
    pub fn builder() -> MockBuilder {
        MockBuilder::default()
    }

    /// Registers a client for backend `name` of the application at `app_url`
    /// (`http://127.0.0.1:PORT`), whose callback is social-axum's default
    /// `{app_url}/complete/{name}/`; the returned settings point the [`Mock`] backend at this
    /// provider ([`Self::backend`]).
    pub fn register_backend(&self, name: &str, app_url: &str) -> Registration {
        self.registration(name, app_url, Flavor::OAuth2)
    }

    /// Registers a client for backend `name` of the application at `app_url`, as
    /// [`Self::register_backend`] does; the returned settings point social-oauth2's generic
    /// OpenID Connect backend at this provider's issuer ([`Self::oidc_backend`]).
    pub fn register_oidc_backend(&self, name: &str, app_url: &str) -> Registration {
        self.registration(name, app_url, Flavor::Oidc)
    }

    /// The [`Mock`] OAuth 2.0 backend named `name`, its endpoints under this issuer.
    pub fn backend(&self, name: &str) -> OAuth2Backend<Mock> {
        Mock::backend(name, self.issuer())
    }

    /// social-oauth2's generic OpenID Connect backend named `name`: it finds this provider
    /// through the `OIDC_ENDPOINT` setting that [`Self::register_oidc_backend`] gives it.
    pub fn oidc_backend(&self, name: &str) -> OidcBackend<OidcSpec> {
        OidcBackend::generic(name)
    }

    fn registration(&self, name: &str, app_url: &str, flavor: Flavor) -> Registration {
        let suffix: [u8; 4] = rand::random();
        let secret: [u8; 24] = rand::random();
        let registration = Registration {
            backend: name.to_owned(),
            client_id: format!("{name}-{}", hex(&suffix)),
            secret: Secret::new(hex(&secret)),
            redirect_uri: format!("{}/complete/{name}/", app_url.trim_end_matches('/')),
            issuer: self.issuer().to_owned(),
            flavor,
        };
        self.register(MockClient::new(
            &registration.client_id,
            registration.secret.secret(),
            [registration.redirect_uri.clone()],
        ));
        registration
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Which backend a [`Registration`]'s settings are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// The [`Mock`] OAuth 2.0 backend: endpoints.
    OAuth2,
    /// The generic OpenID Connect backend: the issuer, discovery does the rest.
    Oidc,
}

/// A client registered with the mock provider for one backend of one application, and the
/// settings that backend needs: as [`BackendSettings`], `SOCIAL_AUTH_*` variables or TOML.
#[derive(Clone)]
pub struct Registration {
    backend: String,
    client_id: String,
    secret: Secret,
    redirect_uri: String,
    issuer: String,
    flavor: Flavor,
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("backend", &self.backend)
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("issuer", &self.issuer)
            .field("flavor", &self.flavor)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// The backend name.
    pub fn backend(&self) -> &str {
        &self.backend
    }

    /// The client id (`KEY`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret (`SECRET`).
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The only redirect URI the provider accepts for this client.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The settings, as `(name, value)` pairs in the backend's own spelling: `key`, `secret`,
    /// then the endpoints (`authorization_url`, `access_token_url`, `userinfo_url`) or the
    /// issuer (`oidc_endpoint`).
    fn entries(&self) -> Vec<(&'static str, String)> {
        let mut entries = vec![
            ("key", self.client_id.clone()),
            ("secret", self.secret.secret().to_owned()),
        ];
        match self.flavor {
            Flavor::OAuth2 => entries.extend([
                ("authorization_url", format!("{}/authorize", self.issuer)),
                ("access_token_url", format!("{}/token", self.issuer)),
                ("userinfo_url", format!("{}/userinfo", self.issuer)),
            ]),
            Flavor::Oidc => entries.push(("oidc_endpoint", self.issuer.clone())),
        }
        entries
    }

    /// The backend's settings: client id, secret, and the endpoints (OAuth 2.0) or the
    /// issuer (OpenID Connect).
    pub fn backend_settings(&self) -> BackendSettings {
        let mut settings = BackendSettings::default();
        self.fill(&mut settings);
        settings
    }

    /// Sets this backend's client id, secret and endpoints or issuer in `settings`, keeping
    /// its other settings (scope, ...).
    pub fn apply_to(&self, settings: &mut Settings) {
        let backend = settings.backends.entry(self.backend.clone()).or_default();
        self.fill(backend);
    }

    fn fill(&self, settings: &mut BackendSettings) {
        for (name, value) in self.entries() {
            match name {
                "key" => settings.key = Some(value),
                "secret" => settings.secret = Some(Secret::new(value)),
                "oidc_endpoint" => {
                    settings
                        .options
                        .insert(name.into(), TomlValue::String(value));
                }
                _ => {
                    settings.endpoints.insert(name.into(), value);
                }
            }
        }
    }

    /// The same settings as environment variables: `SOCIAL_AUTH_<BACKEND>_KEY`, `_SECRET`,
    /// and `_AUTHORIZATION_URL`, `_ACCESS_TOKEN_URL`, `_USERINFO_URL` or `_OIDC_ENDPOINT`.
    /// Give them to [`Settings::with_vars`] (or to a child process).
    pub fn env(&self) -> Vec<(String, String)> {
        self.entries()
            .into_iter()
            .map(|(name, value)| {
                (
                    social_core::settings::env_name(Some(&self.backend), name),
                    value,
                )
            })
            .collect()
    }

    /// The same settings as a TOML document with one `[backends.<name>]` table, for
    /// [`Settings::from_toml_str`] or a settings file.
    pub fn toml(&self) -> String {
        let backend: toml::Table = self
            .entries()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), TomlValue::String(value)))
            .collect();
        let mut backends = toml::Table::new();
        backends.insert(self.backend.clone(), TomlValue::Table(backend));
        let mut root = toml::Table::new();
        root.insert("backends".into(), TomlValue::Table(backends));
        root.to_string()
    }
}

/// A mock provider to start: key, clients, clock and script.
#[derive(Debug, Default)]
pub struct MockBuilder {
    key: Option<MockKey>,
    clients: Vec<MockClient>,
    clock: Option<Arc<dyn Clock>>,
    next: Vec<Answer>,
    all: Option<Answer>,
}

impl MockBuilder {
    /// Signs ID tokens with `key` rather than with [`MockKey::shared`].
    #[must_use]
    pub fn key(mut self, key: MockKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Registers `client` (more can be added later with [`MockProvider::register`]).
    #[must_use]
    pub fn client(mut self, client: MockClient) -> Self {
        self.clients.push(client);
        self
    }

    /// Uses `clock` instead of the system clock.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Logs `user` in at every authorization request, without the form
    /// ([`MockProvider::login_as`]).
    #[must_use]
    pub fn login_as(self, user: MockUser) -> Self {
        self.answer_all(Answer::LoginAs(user))
    }

    /// Answers every authorization request with `answer` ([`MockProvider::answer_all`]).
    #[must_use]
    pub fn answer_all(mut self, answer: Answer) -> Self {
        self.all = Some(answer);
        self
    }

    /// Answers the next authorization request with `answer`, once
    /// ([`MockProvider::answer_next`]).
    #[must_use]
    pub fn answer_next(mut self, answer: Answer) -> Self {
        self.next.push(answer);
        self
    }

    /// Serves the provider on `127.0.0.1` on a free port, in a task of the current tokio
    /// runtime; its issuer is `http://127.0.0.1:PORT`.
    pub async fn start(self) -> Result<RunningMock, StartError> {
        let key = match self.key {
            Some(key) => key,
            None => MockKey::shared().map_err(StartError::Key)?,
        };
        // Loopback only: whoever reaches the provider can be anyone.
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(StartError::Bind)?;
        let addr = listener.local_addr().map_err(StartError::Bind)?;
        let url = format!("http://{addr}");
        let mut provider = MockProvider::new(&url, key, self.clients);
        if let Some(clock) = self.clock {
            provider = provider.with_clock(clock);
        }
        if let Some(answer) = self.all {
            provider.answer_all(answer);
        }
        for answer in self.next {
            provider.answer_next(answer);
        }
        let router = provider.router::<()>();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async {
                // A dropped sender stops the server as well.
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "the mock provider stopped");
            }
        });
        tracing::debug!(issuer = url, "mock provider started");
        Ok(RunningMock {
            provider,
            addr,
            stop: Some(stop),
            task: Some(task),
        })
    }
}

/// A mock provider served on a loopback port: its issuer is [`Self::url`]. It stops when
/// dropped or [shut down](Self::shutdown).
///
/// It dereferences to its [`MockProvider`]: script it, register clients and build backends
/// through it.
pub struct RunningMock {
    provider: MockProvider,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for RunningMock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningMock")
            .field("provider", &self.provider)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningMock {
    /// Where it listens: `http://127.0.0.1:PORT`, also its issuer.
    pub fn url(&self) -> &str {
        self.provider.issuer()
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The provider it serves.
    pub fn provider(&self) -> &MockProvider {
        &self.provider
    }

    /// Stops accepting connections, lets requests in flight finish (a few seconds at most),
    /// and returns when the server is gone.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Deref for RunningMock {
    type Target = MockProvider;

    fn deref(&self) -> &MockProvider {
        &self.provider
    }
}

impl Drop for RunningMock {
    fn drop(&mut self) {
        // Graceful: idle connections close at once, requests in flight finish.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Why a mock provider could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// The signing key could not be generated.
    Key(KeyError),
    /// No loopback port could be bound.
    Bind(std::io::Error),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(error) => write!(f, "{error}"),
            Self::Bind(error) => write!(f, "mock provider: cannot listen on 127.0.0.1: {error}"),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Key(error) => Some(error),
            Self::Bind(error) => Some(error),
        }
    }
}
