//! The application under test: a [`Frontend`]'s app over social-core's `MemoryStorage` and
//! social-github talking to a wiremock GitHub.

use std::{collections::HashMap, fmt, sync::Arc};

use serde_json::Value;
use social_core::{
    BackendSettings, MemoryStorage, Registry, Secret, Settings, SocialAuth, clock::FixedClock,
    pipeline::Pipeline,
};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::{Browser, Frontend, Setup};

/// The host every request names: callback URLs are built from it.
pub const HOST: &str = "testserver";
/// GitHub's profile of octocat, as recorded.
pub const USER_JSON: &str = include_str!("../../../providers/github/tests/fixtures/user.json");
/// GitHub's address list of octocat, as recorded.
pub const EMAILS_JSON: &str = include_str!("../../../providers/github/tests/fixtures/emails.json");
/// GitHub's token answer, as recorded.
pub const TOKEN_JSON: &str = include_str!("../../../providers/github/tests/fixtures/token.json");
/// The access token of `token.json`: it must never reach a page.
pub const ACCESS_TOKEN: &str = "gho_16C7e42F292c6912E7710c838347Ae178B4a";
/// The client secret of the GitHub backend: it must never reach a page.
pub const CLIENT_SECRET: &str = "test-client-secret";

/// How a test app is set up.
#[derive(Debug)]
pub struct Config {
    /// `raise_exceptions`: errors become detailed pages instead of a flash and a redirect.
    pub raise: bool,
    /// A pipeline in place of the default one.
    pub pipeline: Option<Pipeline>,
    /// A clock in place of the system's.
    pub clock: Option<Arc<FixedClock>>,
    /// A last change to the settings.
    pub tweak: fn(&mut Settings),
    /// Page templates set on the routes.
    pub templates: Vec<(&'static str, &'static str)>,
    /// GitHub's display name in place of its own.
    pub display_name: Option<&'static str>,
    /// Where the routes are mounted; see [`Setup::mount_at`].
    pub mount_at: Option<&'static str>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            raise: false,
            pipeline: None,
            clock: None,
            tweak: |_| {},
            templates: Vec::new(),
            display_name: None,
            mount_at: None,
        }
    }
}

/// The application under test and what sits behind it.
pub struct App<F> {
    /// The integration's app.
    pub frontend: F,
    /// The social login it serves.
    pub auth: SocialAuth,
    /// Its users and social accounts.
    pub storage: Arc<MemoryStorage>,
    /// The fake GitHub.
    pub github: MockServer,
}

impl<F> fmt::Debug for App<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("auth", &self.auth)
            .field("storage", &self.storage.counts())
            .field("github", &self.github.uri())
            .finish_non_exhaustive()
    }
}

impl<F: Frontend> App<F> {
    /// The app with the default [`Config`].
    pub async fn new() -> Self {
        Self::with(Config::default()).await
    }

    /// The app with `raise_exceptions` on.
    pub async fn raising() -> Self {
        Self::with(Config {
            raise: true,
            ..Config::default()
        })
        .await
    }

    /// The app set up as `config` says.
    pub async fn with(config: Config) -> Self {
        let github = MockServer::start().await;
        let mut settings = Settings::default();
        settings.login_redirect_url = "/home".into();
        settings.login_error_url = "/login-error".into();
        settings.login_url = "/login".into();
        settings.raise_exceptions = Some(config.raise);
        let mut backend = BackendSettings::default();
        backend.key = Some("test-client-id".into());
        backend.secret = Some(Secret::new(CLIENT_SECRET));
        for (name, path) in [
            ("authorization_url", "/login/oauth/authorize"),
            ("access_token_url", "/login/oauth/access_token"),
            ("api_url", "/api"),
        ] {
            backend
                .endpoints
                .insert(name.into(), format!("{}{path}", github.uri()));
        }
        settings.backends.insert("github".into(), backend);
        (config.tweak)(&mut settings);
        let storage = Arc::new(MemoryStorage::new());
        let github_backend = match config.display_name {
            Some(shown) => social_github::backend().with_display_name(shown),
            None => social_github::backend(),
        };
        // A second GitHub client compiled in without settings: set aside, as
        // `social_auth::registry_for` does for providers whose settings are missing.
        let mut registry =
            Registry::new()
                .with(github_backend)
                .with(social_oauth2::OAuth2Backend::named(
                    "github-enterprise",
                    social_github::GitHub,
                ));
        registry.keep_configured(|name| name == "github");
        let mut builder = SocialAuth::builder(registry)
            .settings(settings)
            .storage(storage.clone());
        if let Some(pipeline) = config.pipeline {
            builder = builder.pipeline(pipeline);
        }
        if let Some(clock) = config.clock {
            builder = builder.clock(clock);
        }
        let auth = builder
            .build()
            .unwrap_or_else(|e| panic!("auth builds: {e}"));
        let frontend = F::start(Setup {
            auth: auth.clone(),
            templates: config.templates,
            mount_at: config.mount_at,
        })
        .await;
        Self {
            frontend,
            auth,
            storage,
            github,
        }
    }

    /// A new browser, without cookies.
    pub fn browser(&self) -> Browser<'_, F> {
        Browser::new(&self.frontend)
    }

    /// Mounts GitHub's token endpoint and user API answering with `user` and `emails`.
    pub async fn mount_github(&self, user: &str, emails: &str) {
        self.mount_github_token(TOKEN_JSON).await;
        for (path, body) in [("/api/user", user), ("/api/user/emails", emails)] {
            Mock::given(matchers::method("GET"))
                .and(matchers::path(path))
                .respond_with(
                    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"),
                )
                .mount(&self.github)
                .await;
        }
    }

    /// Mounts GitHub's token endpoint answering with `body`.
    pub async fn mount_github_token(&self, body: &str) {
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/login/oauth/access_token"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"),
            )
            .mount(&self.github)
            .await;
    }

    /// The octocat fixtures as recorded.
    pub async fn mount_octocat(&self) {
        self.mount_github(USER_JSON, EMAILS_JSON).await;
    }

    /// The session data the store holds for `browser`'s cookie.
    pub async fn session_of(&self, browser: &Browser<'_, F>) -> HashMap<String, Value> {
        let Some(id) = browser.session_id() else {
            return HashMap::new();
        };
        self.session_data(&id).await.unwrap_or_default()
    }

    /// The data of session `id`, or `None` when the store does not hold it.
    pub async fn session_data(&self, id: &str) -> Option<HashMap<String, Value>> {
        self.frontend.session_data(id).await
    }

    /// Whether the frontend keeps sessions in their cookie ([`Frontend::sessions_in_cookie`]).
    pub fn sessions_in_cookie(&self) -> bool {
        self.frontend.sessions_in_cookie()
    }

    /// How many requests the fake GitHub received.
    pub async fn github_hits(&self) -> usize {
        self.github
            .received_requests()
            .await
            .map_or(0, |requests| requests.len())
    }
}
