//! An application's own login tests, written the way an application author would: a small
//! axum app with social-axum and in-memory storage, the mock provider on its own port, and a
//! cookie-keeping HTTP client that follows every redirect by hand, checking each hop.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

use axum::{Json, Router, http::StatusCode as AppStatus, response::IntoResponse, routing::get};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};
use social_axum::MaybeUser;
use social_core::{MemoryStorage, Registry, Settings, SocialAuth, Storage as _, UserStore as _};
use social_mock::{Answer, MockProvider, MockUser, Registration, RunningMock};
use tokio::net::TcpListener;
use tower_sessions::{MemoryStore, Session, SessionManagerLayer, cookie::SameSite};

// ---- The application under test ----------------------------------------------------------

/// The app: who is logged in at `/me`, the last login error at `/error`, social-axum's routes.
struct App {
    url: String,
    storage: Arc<MemoryStorage>,
    /// The clients the mock registered for its backends `mock` (OAuth 2.0) and `corp`
    /// (OpenID Connect).
    oauth2: Registration,
    oidc: Registration,
}

/// `/me`: the logged-in user as JSON, or 401.
async fn me(MaybeUser(user): MaybeUser) -> impl IntoResponse {
    match user {
        Some(user) => (
            AppStatus::OK,
            Json(json!({"username": user.username, "email": user.email})),
        ),
        None => (
            AppStatus::UNAUTHORIZED,
            Json(json!({"error": "not logged in"})),
        ),
    }
}

/// `/error` (LOGIN_ERROR_URL): the last login error, once.
async fn error(session: Session) -> Json<Value> {
    let error = social_axum::take_error(&session).await.ok().flatten();
    Json(json!({
        "code": error.as_ref().map(|e| e.code.clone()),
        "backend": error.and_then(|e| e.backend),
    }))
}

/// How the app gets its settings for the mock's two registrations.
#[derive(Debug, Clone, Copy)]
enum Config {
    /// `Registration::apply_to` on `Settings`.
    Settings,
    /// `SOCIAL_AUTH_*` variables, as a deployment would set them.
    Env,
    /// A TOML settings file.
    Toml,
}

/// Serves the app on 127.0.0.1, its backends pointed at `mock`.
async fn start_app(mock: &RunningMock, config: Config) -> App {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free loopback port");
    let url = format!("http://{}", listener.local_addr().expect("bound address"));
    let oauth2 = mock.register_backend("mock", &url);
    let oidc = mock.register_oidc_backend("corp", &url);
    let mut settings = match config {
        Config::Settings => {
            let mut settings = Settings::default();
            oauth2.apply_to(&mut settings);
            oidc.apply_to(&mut settings);
            settings
        }
        Config::Env => Settings::default()
            .with_vars(oauth2.env().into_iter().chain(oidc.env()))
            .expect("the variables parse"),
        Config::Toml => {
            let text = format!("{}\n{}", oauth2.toml(), oidc.toml());
            Settings::from_toml_str(&text).expect("the TOML parses")
        }
    };
    settings.login_redirect_url = "/me".into();
    settings.login_error_url = "/error".into();
    settings.raise_exceptions = Some(false);
    let registry = Registry::new()
        .with(mock.backend("mock"))
        .with(mock.oidc_backend("corp"));
    let storage = Arc::new(MemoryStorage::new());
    let auth = SocialAuth::builder(registry)
        .settings(settings)
        .storage(storage.clone())
        .build()
        .expect("the settings suit the backends");
    let app = Router::new()
        .route("/me", get(me))
        .route("/error", get(error))
        .merge(social_axum::routes(auth.clone()))
        .layer(
            SessionManagerLayer::new(MemoryStore::default())
                .with_secure(false)
                .with_same_site(SameSite::Lax),
        )
        .with_state(auth);
    tokio::spawn(async move { axum::serve(listener, app).await });
    App {
        url,
        storage,
        oauth2,
        oidc,
    }
}

// ---- A browser without a browser --------------------------------------------------------

/// One response: status, absolute redirect target, body.
#[derive(Debug)]
struct Hop {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Hop {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// The query parameters of `url`.
fn query(url: &str) -> BTreeMap<String, String> {
    url::Url::parse(url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// A cookie jar per origin over a client that never follows redirects by itself.
struct Browser {
    client: reqwest::Client,
    jars: HashMap<String, BTreeMap<String, String>>,
}

impl Browser {
    fn new() -> Self {
        // reqwest is built without a crypto provider of its own; plain http needs none, but
        // the builder wants one installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        Self {
            client,
            jars: HashMap::new(),
        }
    }

    async fn get(&mut self, target: &str) -> Hop {
        let url = url::Url::parse(target).expect("an absolute URL");
        let origin = url.origin().ascii_serialization();
        let jar = self.jars.entry(origin).or_default();
        let mut request = self.client.get(url.clone());
        if !jar.is_empty() {
            let cookies: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header(header::COOKIE, cookies.join("; "));
        }
        let response = request.send().await.expect("an answer");
        for set in response.headers().get_all(header::SET_COOKIE) {
            let Some((name, value)) = set
                .to_str()
                .ok()
                .and_then(|s| s.split(';').next())
                .and_then(|pair| pair.trim().split_once('='))
            else {
                continue;
            };
            let removed = set
                .to_str()
                .is_ok_and(|s| s.to_ascii_lowercase().contains("max-age=0"));
            if removed || value.is_empty() {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| url.join(l).ok())
            .map(String::from);
        let body = response.text().await.unwrap_or_default();
        Hop {
            status,
            location,
            body,
        }
    }

    /// `GET /login/<backend>/` → the mock's `/authorize` → the app's callback, checking each
    /// hop; returns the authorization request the app sent and the callback's answer.
    async fn login(
        &mut self,
        app: &App,
        mock: &RunningMock,
        registration: &Registration,
    ) -> (BTreeMap<String, String>, Hop) {
        let backend = registration.backend();
        let start = self.get(&format!("{}/login/{backend}/", app.url)).await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
        let authorize = start
            .location
            .expect("the app sends the browser to the mock");
        assert!(
            authorize.starts_with(&format!("{}/authorize?", mock.issuer())),
            "{authorize}"
        );
        let sent = query(&authorize);
        assert_eq!(sent["client_id"], registration.client_id());
        assert_eq!(sent["redirect_uri"], registration.redirect_uri());
        assert_eq!(
            registration.redirect_uri(),
            format!("{}/complete/{backend}/", app.url)
        );
        assert_eq!(sent["response_type"], "code");
        assert_eq!(sent["code_challenge_method"], "S256");
        assert!(!sent["state"].is_empty());

        let back = self.get(&authorize).await;
        assert_eq!(
            back.status,
            StatusCode::SEE_OTHER,
            "a scripted answer, not the form: {}",
            back.body
        );
        let callback = back.location.expect("the mock sends the browser back");
        assert!(
            callback.starts_with(registration.redirect_uri()),
            "{callback}"
        );
        let answer = query(&callback);
        assert_eq!(answer["state"], sent["state"], "the state comes back");
        assert_eq!(answer["iss"], mock.issuer());
        (sent, self.get(&callback).await)
    }
}

/// The claims of a JWT, unverified (the app verified it already).
fn claims(jwt: &str) -> Value {
    jwt.split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

async fn start_mock(user: MockUser) -> RunningMock {
    MockProvider::builder()
        .login_as(user)
        .start()
        .await
        .expect("the mock starts")
}

fn alice() -> MockUser {
    MockUser::new("alice")
        .email("alice@example.com")
        .name("Alice Liddell")
}

// ---- The tests ---------------------------------------------------------------------------

#[tokio::test]
async fn a_login_through_the_mock_logs_the_scripted_user_in() {
    let mock = start_mock(alice()).await;
    assert!(mock.addr().ip().is_loopback());
    let app = start_app(&mock, Config::Settings).await;
    let mut browser = Browser::new();
    let me = format!("{}/me", app.url);
    assert_eq!(browser.get(&me).await.status, StatusCode::UNAUTHORIZED);

    let (sent, done) = browser.login(&app, &mock, &app.oauth2).await;
    assert_eq!(sent["scope"], "profile email");
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(me.as_str()),
        "LOGIN_REDIRECT_URL"
    );

    let who = browser.get(&me).await;
    assert_eq!(who.status, StatusCode::OK);
    assert_eq!(
        who.json(),
        json!({"username": "alice", "email": "alice@example.com"})
    );

    assert_eq!(app.storage.counts(), (1, 1), "one user, one account");
    let account = app
        .storage
        .social_account("mock", "alice")
        .await
        .expect("storage")
        .expect("alice's account");
    let user = app
        .storage
        .user(&account.user_id)
        .await
        .expect("storage")
        .expect("alice");
    assert_eq!(user.email.as_deref(), Some("alice@example.com"));
    assert!(!user.email_verified, "the script did not vouch for it");
    assert_eq!(user.fullname.as_deref(), Some("Alice Liddell"));
    let tokens = account.tokens().expect("tokens are stored");
    assert!(tokens.refresh_token.is_some());
    assert!(tokens.id_token.is_none(), "plain OAuth 2.0: no ID token");

    let asked = mock.authorizations();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].client_id, app.oauth2.client_id());
    assert_eq!(asked[0].scope, ["profile", "email"]);
    assert_eq!(asked[0].answer, Answer::LoginAs(alice()));
}

#[tokio::test]
async fn a_denied_login_reaches_the_error_page_and_stores_nothing() {
    let mock = start_mock(alice()).await;
    mock.answer_next(Answer::Deny);
    let app = start_app(&mock, Config::Settings).await;
    let mut browser = Browser::new();

    let (_, done) = browser.login(&app, &mock, &app.oauth2).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location,
        Some(format!("{}/error", app.url)),
        "LOGIN_ERROR_URL"
    );
    let shown = browser.get(&format!("{}/error", app.url)).await;
    assert_eq!(
        shown.json(),
        json!({"code": "auth_canceled", "backend": "mock"})
    );
    assert_eq!(
        browser.get(&format!("{}/me", app.url)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.storage.counts(), (0, 0), "no user, no account");

    // The denial was for one login: the next one goes through.
    let (_, done) = browser.login(&app, &mock, &app.oauth2).await;
    assert_eq!(done.location, Some(format!("{}/me", app.url)));
    assert_eq!(app.storage.counts(), (1, 1));
}

#[tokio::test]
async fn a_withheld_email_logs_in_without_one() {
    let mock = start_mock(MockUser::new("zed").name("Zed Zero")).await;
    let app = start_app(&mock, Config::Settings).await;
    let mut browser = Browser::new();

    let (_, done) = browser.login(&app, &mock, &app.oauth2).await;
    assert_eq!(
        done.location,
        Some(format!("{}/me", app.url)),
        "{}",
        done.body
    );
    let who = browser.get(&format!("{}/me", app.url)).await.json();
    assert_eq!(who, json!({"username": "zed", "email": null}));
    let account = app
        .storage
        .social_account("mock", "zed")
        .await
        .expect("storage")
        .expect("zed's account");
    let user = app
        .storage
        .user(&account.user_id)
        .await
        .expect("storage")
        .expect("zed");
    assert_eq!(user.email, None);
    assert_eq!(user.fullname.as_deref(), Some("Zed Zero"));
}

#[tokio::test]
async fn the_generic_openid_connect_backend_logs_in_through_discovery() {
    let bob = MockUser::preset("bob").expect("a preset");
    let mock = start_mock(bob).await;
    let app = start_app(&mock, Config::Settings).await;
    let mut browser = Browser::new();

    let (sent, done) = browser.login(&app, &mock, &app.oidc).await;
    assert_eq!(sent["scope"], "openid profile email");
    let nonce = sent.get("nonce").expect("a nonce is sent");
    assert_eq!(
        done.location,
        Some(format!("{}/me", app.url)),
        "{}",
        done.body
    );
    let who = browser.get(&format!("{}/me", app.url)).await.json();
    assert_eq!(who, json!({"username": "bob", "email": "bob@example.org"}));

    let account = app
        .storage
        .social_account("corp", "bob")
        .await
        .expect("storage")
        .expect("bob's account");
    let user = app
        .storage
        .user(&account.user_id)
        .await
        .expect("storage")
        .expect("bob");
    assert!(user.email_verified, "presets' addresses are verified");
    let id_token = account
        .tokens()
        .and_then(|t| t.id_token)
        .expect("the validated ID token is kept");
    let claims = claims(id_token.secret());
    assert_eq!(claims["iss"], mock.issuer());
    assert_eq!(claims["aud"], app.oidc.client_id());
    assert_eq!(claims["sub"], "bob");
    assert_eq!(&claims["nonce"], nonce.as_str());
    assert_eq!(mock.authorizations()[0].nonce.as_ref(), Some(nonce));
}

#[tokio::test]
async fn settings_from_variables_or_toml_point_the_backends_at_the_mock() {
    let mock = start_mock(alice()).await;
    for config in [Config::Env, Config::Toml] {
        let app = start_app(&mock, config).await;
        for registration in [&app.oauth2, &app.oidc] {
            let mut browser = Browser::new();
            let (_, done) = browser.login(&app, &mock, registration).await;
            assert_eq!(
                done.location,
                Some(format!("{}/me", app.url)),
                "{config:?} {}: {}",
                registration.backend(),
                done.body
            );
            let account = app
                .storage
                .social_account(registration.backend(), "alice")
                .await
                .expect("storage");
            assert!(account.is_some(), "{config:?} {}", registration.backend());
        }
    }
}

#[tokio::test]
async fn a_registration_reads_the_same_as_settings_variables_and_toml() {
    let mock = MockProvider::start().await.expect("the mock starts");
    let oauth2 = mock.register_backend("mock-sso", "http://127.0.0.1:9/");
    assert_eq!(
        oauth2.redirect_uri(),
        "http://127.0.0.1:9/complete/mock-sso/"
    );
    let env: BTreeMap<String, String> = oauth2.env().into_iter().collect();
    assert_eq!(
        env.keys().collect::<Vec<_>>(),
        [
            "SOCIAL_AUTH_MOCK_SSO_ACCESS_TOKEN_URL",
            "SOCIAL_AUTH_MOCK_SSO_AUTHORIZATION_URL",
            "SOCIAL_AUTH_MOCK_SSO_KEY",
            "SOCIAL_AUTH_MOCK_SSO_SECRET",
            "SOCIAL_AUTH_MOCK_SSO_USERINFO_URL",
        ]
    );
    assert_eq!(
        env["SOCIAL_AUTH_MOCK_SSO_ACCESS_TOKEN_URL"],
        format!("{}/token", mock.issuer())
    );
    let oidc = mock.register_oidc_backend("corp", "http://127.0.0.1:9");
    let env: BTreeMap<String, String> = oidc.env().into_iter().collect();
    assert_eq!(
        env.keys().collect::<Vec<_>>(),
        [
            "SOCIAL_AUTH_CORP_KEY",
            "SOCIAL_AUTH_CORP_OIDC_ENDPOINT",
            "SOCIAL_AUTH_CORP_SECRET"
        ]
    );
    assert_eq!(env["SOCIAL_AUTH_CORP_OIDC_ENDPOINT"], mock.issuer());

    for registration in [&oauth2, &oidc] {
        let name = registration.backend();
        let expected = registration.backend_settings();
        let mut from_env = Settings::default()
            .with_vars(registration.env())
            .expect("the variables parse");
        from_env
            .resolve_env(&[name])
            .expect("they are this backend's");
        let from_toml = Settings::from_toml_str(&registration.toml()).expect("the TOML parses");
        let mut applied = Settings::default();
        registration.apply_to(&mut applied);
        for settings in [&from_env, &from_toml, &applied] {
            let got = settings.backend(name);
            assert_eq!(got.key.as_deref(), Some(registration.client_id()), "{name}");
            assert_eq!(got.secret.as_ref(), Some(registration.secret()), "{name}");
            assert_eq!(got.endpoints, expected.endpoints, "{name}");
            assert_eq!(
                got.option("oidc_endpoint"),
                expected.option("oidc_endpoint"),
                "{name}"
            );
        }
    }
    assert_eq!(oauth2.backend_settings().endpoints.len(), 3);
    assert_eq!(
        oidc.backend_settings().option("oidc_endpoint").as_deref(),
        Some(mock.issuer())
    );
}

#[tokio::test]
async fn a_mock_that_is_shut_down_answers_no_more() {
    let mock = start_mock(alice()).await;
    let discovery = format!("{}/.well-known/openid-configuration", mock.url());
    let mut browser = Browser::new();
    let found = browser.get(&discovery).await.json();
    assert_eq!(found["issuer"], mock.issuer());
    assert_eq!(found["jwks_uri"], format!("{}/jwks", mock.url()));
    mock.shutdown().await;
    let client = reqwest::Client::new();
    assert!(
        client.get(&discovery).send().await.is_err(),
        "the port is closed"
    );
}
