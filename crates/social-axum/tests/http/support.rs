//! A test application (social-axum routes + MemoryStore sessions + MemoryStorage + GitHub on
//! wiremock) and a cookie-carrying client that drives it with `oneshot`.

use std::{collections::HashMap, str::FromStr, sync::Arc};

use axum::{
    Json, Router,
    body::Body,
    http::{Request, StatusCode, header},
    middleware,
    response::IntoResponse,
    routing::{get, post},
};
use serde_json::{Value, json};
use social_axum::{AuthUser, MaybeUser, SocialContext};
use social_core::{
    BackendSettings, MemoryStorage, Registry, Secret, Settings, SocialAuth, clock::FixedClock,
    pipeline::Pipeline,
};
use tower::ServiceExt as _;
use tower_sessions::{
    MemoryStore, Session, SessionManagerLayer, SessionStore, cookie::SameSite, session::Id,
};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

pub(crate) const HOST: &str = "testserver";
pub(crate) const USER_JSON: &str =
    include_str!("../../../../providers/github/tests/fixtures/user.json");
pub(crate) const EMAILS_JSON: &str =
    include_str!("../../../../providers/github/tests/fixtures/emails.json");
pub(crate) const TOKEN_JSON: &str =
    include_str!("../../../../providers/github/tests/fixtures/token.json");
/// The access token of `token.json`: it must never reach a page.
pub(crate) const ACCESS_TOKEN: &str = "gho_16C7e42F292c6912E7710c838347Ae178B4a";
pub(crate) const CLIENT_SECRET: &str = "test-client-secret";

/// How a test app is set up.
pub(crate) struct Config {
    pub(crate) raise: bool,
    pub(crate) pipeline: Option<Pipeline>,
    pub(crate) clock: Option<Arc<FixedClock>>,
    pub(crate) tweak: fn(&mut Settings),
    /// Page templates set on the routes.
    pub(crate) templates: Vec<(&'static str, &'static str)>,
    /// GitHub's display name in place of its own.
    pub(crate) display_name: Option<&'static str>,
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
        }
    }
}

/// The application under test and what sits behind it.
pub(crate) struct App {
    pub(crate) router: Router,
    pub(crate) auth: SocialAuth,
    pub(crate) storage: Arc<MemoryStorage>,
    pub(crate) sessions: MemoryStore,
    pub(crate) github: MockServer,
}

impl App {
    pub(crate) async fn new() -> Self {
        Self::with(Config::default()).await
    }

    pub(crate) async fn raising() -> Self {
        Self::with(Config {
            raise: true,
            ..Config::default()
        })
        .await
    }

    pub(crate) async fn with(config: Config) -> Self {
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
        let sessions = MemoryStore::default();
        let router = Router::new()
            .route("/home", get(home))
            .route("/private", get(private))
            .route(
                "/protected",
                get(|| async { "protected page" }).route_layer(middleware::from_fn_with_state(
                    auth.clone(),
                    social_axum::login_required,
                )),
            )
            .route("/context", get(context))
            .route("/csrf", get(csrf))
            .route("/login-error", get(login_error))
            .route("/logout", post(logout))
            .merge(
                social_axum::SocialRoutes::new(auth.clone())
                    .templates(config.templates)
                    .unwrap_or_else(|e| panic!("templates are valid: {e}"))
                    .into_router(),
            )
            .layer(
                SessionManagerLayer::new(sessions.clone())
                    .with_same_site(SameSite::Lax)
                    .with_secure(false),
            )
            .with_state(auth.clone());
        Self {
            router,
            auth,
            storage,
            sessions,
            github,
        }
    }

    pub(crate) fn browser(&self) -> Browser {
        Browser {
            app: self.router.clone(),
            cookie: None,
        }
    }

    /// Mounts GitHub's token endpoint and user API answering with `user` and `emails`.
    pub(crate) async fn mount_github(&self, user: &str, emails: &str) {
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

    pub(crate) async fn mount_github_token(&self, body: &str) {
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/login/oauth/access_token"))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"),
            )
            .mount(&self.github)
            .await;
    }

    /// The octocat fixtures as recorded.
    pub(crate) async fn mount_octocat(&self) {
        self.mount_github(USER_JSON, EMAILS_JSON).await;
    }

    /// The session data the store holds for `browser`'s cookie.
    pub(crate) async fn session_of(&self, browser: &Browser) -> HashMap<String, Value> {
        let Some(id) = browser.session_id() else {
            return HashMap::new();
        };
        self.session_data(&id).await.unwrap_or_default()
    }

    /// The data of session `id`, or `None` when the store does not hold it.
    pub(crate) async fn session_data(&self, id: &str) -> Option<HashMap<String, Value>> {
        let id = Id::from_str(id).ok()?;
        self.sessions
            .load(&id)
            .await
            .ok()
            .flatten()
            .map(|record| record.data)
    }

    /// How many requests the fake GitHub received.
    pub(crate) async fn github_hits(&self) -> usize {
        self.github
            .received_requests()
            .await
            .map_or(0, |requests| requests.len())
    }
}

async fn home(MaybeUser(user): MaybeUser) -> String {
    user.map_or_else(|| "anonymous".to_owned(), |u| u.username)
}

async fn private(AuthUser(user): AuthUser) -> String {
    format!("private page of {}", user.username)
}

async fn context(context: SocialContext) -> Json<SocialContext> {
    Json(context)
}

async fn csrf(session: Session) -> impl IntoResponse {
    match social_axum::csrf_token(&session).await {
        Ok(token) => token.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn login_error(session: Session) -> impl IntoResponse {
    match social_axum::take_error(&session).await {
        Ok(error) => Json(json!(error)).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn logout(session: Session) -> impl IntoResponse {
    match social_axum::logout(&session).await {
        Ok(()) => StatusCode::NO_CONTENT,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// One browser: keeps the session cookie between requests.
pub(crate) struct Browser {
    app: Router,
    cookie: Option<String>,
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: axum::http::HeaderMap,
    pub(crate) body: String,
}

impl Resp {
    pub(crate) fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[track_caller]
    pub(crate) fn assert_redirect(&self, to: &str) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{self:?}");
        assert_eq!(self.location(), to, "{self:?}");
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

impl Browser {
    pub(crate) fn session_id(&self) -> Option<String> {
        self.cookie.clone()
    }

    pub(crate) async fn get(&mut self, uri: &str) -> Resp {
        self.get_with(uri, &[]).await
    }

    pub(crate) async fn get_with(&mut self, uri: &str, headers: &[(&str, &str)]) -> Resp {
        let mut request = Request::get(uri).header(header::HOST, HOST);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty())).await
    }

    pub(crate) async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Resp {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::post(uri)
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body));
        self.send(request).await
    }

    /// This session's CSRF token, as a template would render it.
    pub(crate) async fn csrf(&mut self) -> String {
        let response = self.get("/csrf").await;
        assert_eq!(response.status, StatusCode::OK);
        response.body
    }

    pub(crate) async fn send(&mut self, request: axum::http::Result<Request<Body>>) -> Resp {
        let mut request = request.unwrap_or_else(|e| panic!("bad test request: {e}"));
        if let Some(id) = &self.cookie {
            let value = format!("id={id}")
                .parse()
                .unwrap_or_else(|e| panic!("cookie header: {e}"));
            request.headers_mut().insert(header::COOKIE, value);
        }
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap_or_default();
            let Some(value) = set
                .split(';')
                .next()
                .and_then(|pair| pair.strip_prefix("id="))
            else {
                continue;
            };
            self.cookie = if value.is_empty() || set.contains("Max-Age=0") {
                None
            } else {
                Some(value.to_owned())
            };
        }
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap_or_default();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// The value of the hidden input `name` in `html`.
pub(crate) fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&amp;", "&"))
}

/// A query parameter of an absolute or relative URL.
pub(crate) fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url)
        .or_else(|_| url::Url::parse(&format!("http://{HOST}{url}")))
        .ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Starts a login with a plain GET (no `Sec-Fetch-Site`): the `state` GitHub is sent.
pub(crate) async fn begin(browser: &mut Browser, uri: &str) -> String {
    let response = browser.get(uri).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{response:?}");
    query_param(response.location(), "state")
        .unwrap_or_else(|| panic!("no state in {}", response.location()))
}

/// A whole login: begin at `uri`, then GitHub's callback; the callback's response.
pub(crate) async fn login(browser: &mut Browser, uri: &str) -> Resp {
    let state = begin(browser, uri).await;
    browser
        .get(&format!("/complete/github/?code=test-code&state={state}"))
        .await
}
