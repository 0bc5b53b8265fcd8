//! The provider conformance suite.
//!
//! A provider crate declares its recorded fixtures once in a [`Fixture`] and runs every check
//! with [`conformance!`](crate::conformance). Each check builds a fresh `wiremock` server that
//! plays the provider, points every endpoint of the backend at it, and drives a real login
//! through [`SocialAuth`] on [`MemoryStorage`]:
//!
//! - the authorize URL (snapshot; `state` bound to the session, PKCE S256 when declared),
//! - the token request (method, body, client authentication, PKCE verifier matching the
//!   challenge),
//! - the user mapping (snapshot of uid, details and extra data) and the stored account,
//! - failure paths — user denied, state missing, wrong and replayed, token endpoint
//!   4xx/5xx/malformed JSON/time-out, user API 401 — each giving the right [`ErrorKind`] with
//!   no user or account written,
//! - refresh and revoke when the backend declares them.

use std::{sync::Arc, time::Duration};

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use social_core::{
    Backend, BackendSettings, ErrorKind, MemoryStorage, MemoryStrategy, Outcome, Secret, Settings,
    SocialAuth, Storage, Strategy, TokenIn, http::ReqwestClient, settings::UsernameSettings,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

/// The client id the suite configures.
pub const CLIENT_ID: &str = "test-client-id";
/// The client secret the suite configures.
pub const CLIENT_SECRET: &str = "test-client-secret";
const ORIGIN: &str = "http://testserver";
/// The HTTP timeout of the suite's client; the time-out check delays answers past it.
const TIMEOUT: Duration = Duration::from_millis(1500);

/// One recorded HTTP answer of the provider.
#[derive(Debug, Clone)]
pub struct Recorded {
    method: &'static str,
    path: &'static str,
    status: u16,
    body: String,
    content_type: &'static str,
}

/// A provider's recorded fixtures and where its endpoints live on the fake server.
///
/// Fixture bodies live by convention in the crate's `tests/fixtures/` and are read with
/// [`fixture!`](crate::fixture); snapshots go to the crate's `tests/snapshots/` (or a folder
/// named after the suite's module there), set by the suite's macro.
#[derive(Debug, Clone)]
pub struct Fixture {
    name: String,
    pub(crate) snapshot_dir: String,
    endpoints: Vec<(String, String)>,
    token: Option<Recorded>,
    apis: Vec<Recorded>,
    revoke: Option<Recorded>,
    options: Vec<(String, String)>,
    base: Option<(String, String)>,
    refresh_path: Option<&'static str>,
}

/// Endpoints a provider with a base URL derives from it.
const DERIVED: &[&str] = &[
    "authorization_url",
    "access_token_url",
    "refresh_token_url",
    "revoke_token_url",
    "api_url",
];

impl Fixture {
    /// Fixtures of backend `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            snapshot_dir: String::new(),
            endpoints: vec![("authorization_url".into(), "/authorize".into())],
            token: None,
            apis: Vec::new(),
            revoke: None,
            options: Vec::new(),
            base: None,
            refresh_path: None,
        }
    }

    /// Points the base-URL setting `setting` (`base_url`, GitHub's `enterprise_url`) at
    /// `path` on the fake server and sets no other endpoint the base moves (authorization,
    /// token, revocation, API): the fixture's paths of those are then where the provider must
    /// find them by itself, as a self-hosted install would.
    #[must_use]
    pub fn base(mut self, setting: &str, path: &str) -> Self {
        self.base = Some((setting.to_owned(), path.to_owned()));
        self
    }

    /// Points the endpoint setting `name` (such as `api_url`) at `path` on the fake server.
    #[must_use]
    pub fn endpoint(mut self, name: &str, path: &str) -> Self {
        self.endpoints.retain(|(n, _)| n != name);
        self.endpoints.push((name.to_owned(), path.to_owned()));
        self
    }

    /// The token endpoint: `method` and `path` on the fake server, and its recorded JSON.
    #[must_use]
    pub fn token(mut self, method: &'static str, path: &'static str, body: &str) -> Self {
        self.token = Some(Recorded::json(method, path, body));
        self.endpoint("access_token_url", path)
    }

    /// A user API answer the backend fetches after the token exchange.
    #[must_use]
    pub fn api(mut self, method: &'static str, path: &'static str, body: &str) -> Self {
        self.apis.push(Recorded::json(method, path, body));
        self
    }

    /// The refresh endpoint, for a provider that does not refresh at its token endpoint
    /// ([`OAuth2Spec::refresh_url`](social_oauth2::OAuth2Spec::refresh_url)).
    #[must_use]
    pub fn refresh(mut self, path: &'static str) -> Self {
        self.refresh_path = Some(path);
        self.endpoint("refresh_token_url", path)
    }

    /// The revocation endpoint and its answer status.
    #[must_use]
    pub fn revoke(mut self, method: &'static str, path: &'static str, status: u16) -> Self {
        self.revoke = Some(Recorded {
            status,
            ..Recorded::json(method, path, "")
        });
        self.endpoint("revoke_token_url", path)
    }

    /// A provider-specific setting for the backend.
    #[must_use]
    pub fn option(mut self, name: &str, value: &str) -> Self {
        self.options.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Snapshots go to `dir` (the suite's macro sets the crate's `tests/snapshots` folder).
    #[must_use]
    pub fn snapshots(mut self, dir: &str) -> Self {
        self.snapshot_dir = dir.to_owned();
        self
    }

    /// Sets the snapshot folder of the crate at `manifest_dir`, for the suite module `module`
    /// (`None`: the folder itself), unless one was set. Used by the suites' macros.
    #[doc(hidden)]
    #[must_use]
    pub fn in_crate(self, manifest_dir: &str, module: Option<&str>) -> Self {
        if !self.snapshot_dir.is_empty() {
            return self;
        }
        let dir = crate::snapshot_dir(manifest_dir, module);
        self.snapshots(&dir)
    }

    /// The access token the recorded token answer issues.
    pub fn access_token(&self) -> Option<String> {
        let token = self.token.as_ref()?;
        let parsed: Value = serde_json::from_str(&token.body).ok()?;
        parsed["access_token"].as_str().map(str::to_owned)
    }

    fn token_fixture(&self) -> &Recorded {
        #[allow(clippy::expect_used)] // a fixture without token endpoint is a bug in the test
        self.token
            .as_ref()
            .expect("Fixture::token must be set for an OAuth2 provider")
    }
}

impl Recorded {
    fn json(method: &'static str, path: &'static str, body: &str) -> Self {
        Self {
            method,
            path,
            status: 200,
            body: body.to_owned(),
            content_type: "application/json",
        }
    }

    fn mock(&self) -> Mock {
        self.mock_with(
            ResponseTemplate::new(self.status).set_body_raw(self.body.clone(), self.content_type),
        )
    }

    fn mock_with(&self, response: ResponseTemplate) -> Mock {
        Mock::given(matchers::method(self.method))
            .and(matchers::path(self.path))
            .respond_with(response)
    }

    fn mock_with_matcher(&self, matcher: impl wiremock::Match + 'static) -> Mock {
        Mock::given(matchers::method(self.method))
            .and(matchers::path(self.path))
            .and(matcher)
            .respond_with(
                ResponseTemplate::new(self.status)
                    .set_body_raw(self.body.clone(), self.content_type),
            )
    }
}

/// A fake provider, a [`SocialAuth`] pointed at it, and its storage.
#[derive(Debug)]
pub struct Harness {
    /// The fake provider.
    pub server: MockServer,
    /// Social login with only the backend under test.
    pub auth: SocialAuth,
    /// The storage behind `auth`.
    pub storage: Arc<MemoryStorage>,
    /// The backend name.
    pub name: String,
    /// Where the backend's API calls carry the access token, as it declares.
    pub token_in: Option<TokenIn>,
}

impl Harness {
    /// Starts a fake provider and builds [`SocialAuth`] for `backend` with `fixture`'s
    /// endpoints; nothing is mounted yet.
    pub async fn new(backend: Arc<dyn Backend>, fixture: &Fixture) -> Self {
        let server = MockServer::start().await;
        let mut settings = Settings::default();
        settings.username = UsernameSettings::default();
        let mut backend_settings = BackendSettings::default();
        backend_settings.key = Some(CLIENT_ID.into());
        backend_settings.secret = Some(Secret::new(CLIENT_SECRET));
        for (name, path) in &fixture.endpoints {
            if fixture.base.is_some() && DERIVED.contains(&name.as_str()) {
                continue;
            }
            backend_settings
                .endpoints
                .insert(name.clone(), format!("{}{path}", server.uri()));
        }
        if let Some((setting, path)) = &fixture.base {
            backend_settings
                .endpoints
                .insert(setting.clone(), format!("{}{path}", server.uri()));
        }
        for (name, value) in &fixture.options {
            backend_settings.options.insert(
                name.clone(),
                social_core::settings::TomlValue::String(value.clone()),
            );
        }
        settings
            .backends
            .insert(fixture.name.clone(), backend_settings);
        #[allow(clippy::expect_used)] // the suite's own configuration must build
        let http = ReqwestClient::new(TIMEOUT, "social-testkit").expect("client builds");
        let token_in = backend.capabilities().token_in;
        let (auth, storage) = crate::engine(backend, settings, Arc::new(http));
        Self {
            server,
            auth,
            storage,
            name: fixture.name.clone(),
            token_in,
        }
    }

    /// Begins a login in a fresh session: the session and the authorize URL.
    pub async fn begin(&self) -> (MemoryStrategy, url::Url) {
        let strategy = MemoryStrategy::new(ORIGIN).with_param("next", "/after-login");
        let flow = self.auth.begin(&strategy, &self.name).await;
        let flow = flow.unwrap_or_else(|e| panic!("begin failed: {e}"));
        let url = flow
            .redirect_url()
            .and_then(|u| url::Url::parse(u).ok())
            .unwrap_or_else(|| panic!("begin did not redirect to a URL: {flow:?}"));
        (strategy, url)
    }

    /// The callback request of the same session with `params`.
    pub async fn callback(
        &self,
        session: &MemoryStrategy,
        params: &[(&str, &str)],
    ) -> social_core::Result<Outcome> {
        let mut strategy = session.next_request();
        // As a browser does: a login that asked for `response_mode=form_post` is answered
        // with a form POST, any other in the query of a GET.
        let pending = session
            .session_get(&social_oauth2::pending_key(&self.name))
            .await
            .ok()
            .flatten();
        if pending.is_some_and(|p| p["form_post"] == Value::Bool(true)) {
            strategy = strategy.post();
        }
        for (k, v) in params {
            strategy = strategy.with_param(k, v);
        }
        self.auth.complete(&strategy, &self.name, None).await
    }

    /// Asserts that no user and no account were written.
    pub fn assert_nothing_written(&self, what: &str) {
        assert_eq!(
            self.storage.counts(),
            (0, 0),
            "{what}: users or accounts were written"
        );
    }

    /// Mounts the recorded user API answers. Where the backend declares where its API calls
    /// carry the access token ([`Capabilities::token_in`](social_core::Capabilities::token_in)), an answer is given only to a
    /// request that carries the fixture's token there.
    pub async fn mount_apis(&self, fixture: &Fixture) {
        let token = self.token_in.zip(fixture.access_token());
        for api in &fixture.apis {
            let mock = match &token {
                Some((place, token)) => {
                    api.mock_with_matcher(crate::TokenMatcher::new(*place, token))
                }
                None => api.mock(),
            };
            mock.mount(&self.server).await;
        }
    }

    /// Mounts the recorded token answer, expected `times` times.
    pub async fn mount_token(&self, fixture: &Fixture, times: u64) {
        fixture
            .token_fixture()
            .mock()
            .expect(times)
            .mount(&self.server)
            .await;
    }

    /// Runs one whole login over the mounted answers: begin, then the callback with a code
    /// and the session's `state`.
    pub async fn login(&self) -> social_core::Result<Outcome> {
        let (session, url) = self.begin().await;
        let state = param(&url, "state").unwrap_or_default();
        self.callback(&session, &[("code", "test-code"), ("state", &state)])
            .await
    }
}

/// The first value of query parameter `name` in `url`.
pub fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn snapshot(fixture: &Fixture, name: &str, value: &Value) {
    crate::snapshot_in(&fixture.snapshot_dir, name, value);
}

/// Expects `result` to be an error of `kind`, naming the case on failure.
#[track_caller]
pub fn expect_kind<T: std::fmt::Debug>(
    case: &str,
    result: social_core::Result<T>,
    kind: ErrorKind,
) {
    match result {
        Err(e) => assert_eq!(e.kind(), kind, "{case}: wrong error: {e}"),
        Ok(v) => panic!("{case}: expected {kind}, got success {v:?}"),
    }
}

/// The authorize URL: endpoint, client id, callback, scope, `state` bound to the session,
/// PKCE S256 when the backend declares it; a snapshot of the rest.
pub async fn authorize_url(backend: Arc<dyn Backend>, fixture: Fixture) {
    let pkce = backend.capabilities().pkce;
    let h = Harness::new(backend, &fixture).await;
    let (session, url) = h.begin().await;
    let expected = format!("{}/authorize", h.server.uri());
    let authorize_path = fixture
        .endpoints
        .iter()
        .find(|(n, _)| n == "authorization_url")
        .map_or(expected, |(_, p)| format!("{}{p}", h.server.uri()));
    assert_eq!(
        url[..url::Position::AfterPath],
        authorize_path,
        "authorize endpoint"
    );
    // `client_id`, or the name the provider gives it (`appid`, `client_key`).
    let ids: Vec<String> = url
        .query_pairs()
        .filter(|(_, v)| v == CLIENT_ID)
        .map(|(k, _)| k.into_owned())
        .collect();
    assert_eq!(ids.len(), 1, "the client id is sent once: {url}");
    assert_eq!(
        param(&url, "redirect_uri"),
        Some(format!("{ORIGIN}/complete/{}/", h.name)),
        "redirect_uri"
    );
    let state = param(&url, "state").unwrap_or_default();
    assert!(state.len() >= 16, "state is long and random: {state:?}");
    let pending = session
        .session_get(&social_oauth2::pending_key(&h.name))
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(
        pending["state"],
        json!(state),
        "state is bound to the session"
    );
    let (_, url2) = h.begin().await;
    assert_ne!(
        param(&url2, "state").as_deref(),
        Some(state.as_str()),
        "state is fresh per login"
    );
    if pkce {
        assert_eq!(
            param(&url, "code_challenge_method").as_deref(),
            Some("S256")
        );
        let challenge = param(&url, "code_challenge").unwrap_or_default();
        assert_eq!(challenge.len(), 43, "S256 challenge is 32 bytes base64url");
        assert_ne!(
            param(&url2, "code_challenge"),
            Some(challenge),
            "PKCE is fresh per login"
        );
    } else {
        assert!(
            param(&url, "code_challenge").is_none(),
            "no PKCE declared, none sent"
        );
    }
    let mut params: serde_json::Map<String, Value> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    for secret in ["state", "code_challenge"] {
        if params.contains_key(secret) {
            params.insert(secret.into(), json!("[random]"));
        }
    }
    snapshot(&fixture, "authorize_url", &Value::Object(params));
}

async fn successful_login(h: &Harness, fixture: &Fixture) -> (url::Url, social_core::Login) {
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    let (session, url) = h.begin().await;
    let state = param(&url, "state").unwrap_or_default();
    let outcome = h
        .callback(&session, &[("code", "test-code"), ("state", &state)])
        .await;
    match outcome {
        Ok(Outcome::LoggedIn(login)) => (url, login),
        other => panic!("login failed: {other:?}"),
    }
}

/// The token request: method, grant, code, callback, client authentication, and a PKCE
/// verifier that hashes to the challenge of the authorize URL.
pub async fn token_request(backend: Arc<dyn Backend>, fixture: Fixture) {
    let pkce = backend.capabilities().pkce;
    let h = Harness::new(backend, &fixture).await;
    let (url, _) = successful_login(&h, &fixture).await;
    let token = fixture.token_fixture();
    let requests = h.server.received_requests().await.unwrap_or_default();
    let sent: Vec<&Request> = requests
        .iter()
        .filter(|r| r.url.path() == token.path)
        .collect();
    assert_eq!(sent.len(), 1, "exactly one token request");
    let request = sent[0];
    assert_eq!(
        request.method.as_str(),
        token.method,
        "token request method"
    );
    let mut form = request_fields(request);
    assert_eq!(form.get("grant_type"), Some(&json!("authorization_code")));
    assert_eq!(form.get("code"), Some(&json!("test-code")));
    assert_eq!(
        form.get("redirect_uri"),
        Some(&json!(format!("{ORIGIN}/complete/{}/", h.name))),
        "redirect_uri matches the authorize request"
    );
    let basic = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok());
    match basic {
        Some(credentials) => {
            assert_eq!(
                credentials,
                format!("{CLIENT_ID}:{CLIENT_SECRET}").into_bytes(),
                "Basic credentials"
            );
            assert!(!form.contains_key("client_secret"), "secret not sent twice");
        }
        None => {
            let id = field_holding(&form, CLIENT_ID);
            assert!(id.is_some(), "the client id is sent: {form:?}");
            let secret = field_holding(&form, CLIENT_SECRET);
            assert!(secret.is_some(), "the client secret is sent: {form:?}");
        }
    }
    if pkce {
        let verifier = form
            .get("code_verifier")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let hashed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        assert_eq!(
            Some(hashed),
            param(&url, "code_challenge"),
            "S256(code_verifier) == code_challenge"
        );
        form.insert("code_verifier".into(), json!("[random]"));
    } else {
        assert!(
            !form.contains_key("code_verifier"),
            "no PKCE declared, no verifier sent"
        );
    }
    if let Some(name) = field_holding(&form, CLIENT_SECRET).map(str::to_owned) {
        form.insert(name, json!("[secret]"));
    }
    let auth = if basic_present(request) {
        "basic"
    } else {
        "body"
    };
    snapshot(
        &fixture,
        "token_request",
        &json!({"method": request.method.as_str(), "client_auth": auth, "form": form}),
    );
}

/// The parameters of a request to the provider: its query for a GET, else its form or JSON
/// body, by content type.
fn request_fields(request: &Request) -> serde_json::Map<String, Value> {
    if request.method.as_str() == "GET" {
        return request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), json!(v)))
            .collect();
    }
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next());
    match content_type {
        Some("application/x-www-form-urlencoded") => url::form_urlencoded::parse(&request.body)
            .map(|(k, v)| (k.into_owned(), json!(v)))
            .collect(),
        Some("application/json") => match serde_json::from_slice(&request.body) {
            Ok(Value::Object(object)) => object,
            other => panic!("the JSON request body is not an object: {other:?}"),
        },
        _ => serde_json::Map::new(),
    }
}

/// The name of the field whose value is `value` (the client id or secret, whatever the
/// provider calls it: `client_id`, `appid`, `client_key`).
fn field_holding<'a>(fields: &'a serde_json::Map<String, Value>, value: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(_, v)| v.as_str() == Some(value))
        .map(|(k, _)| k.as_str())
}

fn basic_present(request: &Request) -> bool {
    request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic "))
}

/// The user mapping (snapshot of uid, details, extra data) and what the login stored: one
/// new user, one account with the tokens; a second login finds the same user.
pub async fn user_mapping(backend: Arc<dyn Backend>, fixture: Fixture) {
    let h = Harness::new(backend, &fixture).await;
    let (_, login) = successful_login(&h, &fixture).await;
    assert!(
        login.is_new && login.new_association,
        "first login creates user and account"
    );
    assert_eq!(login.redirect_url, "/after-login", "next is honoured");
    let account = login
        .account
        .clone()
        .unwrap_or_else(|| panic!("no account in {login:?}"));
    assert_eq!(h.storage.counts(), (1, 1));
    let stored = h
        .storage
        .social_account(&h.name, &account.uid)
        .await
        .ok()
        .flatten();
    assert_eq!(
        stored.as_ref().map(|a| &a.user_id),
        Some(&login.user.id),
        "account stored"
    );
    let tokens = account
        .tokens()
        .unwrap_or_else(|| panic!("tokens not stored: {account:?}"));
    assert!(
        !tokens.access_token.secret().is_empty(),
        "access token stored"
    );
    let mut extra = account.extra_data.clone();
    for (key, value) in extra.iter_mut() {
        if ["access_token", "refresh_token", "id_token"].contains(&key.as_str()) {
            *value = json!("[token]");
        } else if ["auth_time", "expires_at"].contains(&key.as_str()) {
            *value = json!("[time]");
        }
    }
    snapshot(
        &fixture,
        "user_mapping",
        &json!({
            "uid": account.uid,
            "user": {"username": login.user.username, "email": login.user.email,
                     "email_verified": login.user.email_verified, "fullname": login.user.fullname,
                     "first_name": login.user.first_name, "last_name": login.user.last_name},
            "extra_data": extra,
        }),
    );
    // A returning user: same user, no new rows.
    h.server.reset().await;
    let (_, again) = successful_login(&h, &fixture).await;
    assert!(
        !again.is_new && !again.new_association,
        "second login finds the user"
    );
    assert_eq!(again.user.id, login.user.id);
    assert_eq!(h.storage.counts(), (1, 1));
}

/// Failure paths of the callback and of the provider, each with the right error and nothing
/// written.
pub async fn failures(backend: Arc<dyn Backend>, fixture: Fixture) {
    let token = fixture.token_fixture().clone();
    let h = Harness::new(backend.clone(), &fixture).await;

    let (session, url) = h.begin().await;
    let state = param(&url, "state").unwrap_or_default();
    let denied = h
        .callback(
            &session,
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied"),
                ("state", &state),
            ],
        )
        .await;
    expect_kind("user denied", denied, ErrorKind::Canceled);
    h.assert_nothing_written("user denied");

    let (session, _) = h.begin().await;
    let other = h
        .callback(&session, &[("error", "server_error"), ("state", "x")])
        .await;
    expect_kind("provider error", other, ErrorKind::Failed);

    let fresh = MemoryStrategy::new(ORIGIN);
    let missing = h
        .callback(&fresh, &[("code", "c"), ("state", "whatever")])
        .await;
    expect_kind(
        "state missing from session",
        missing,
        ErrorKind::StateMissing,
    );

    let (session, _) = h.begin().await;
    let no_param = h.callback(&session, &[("code", "c")]).await;
    expect_kind(
        "state parameter missing",
        no_param,
        ErrorKind::MissingParameter,
    );

    let (session, _) = h.begin().await;
    let wrong = h
        .callback(
            &session,
            &[("code", "c"), ("state", "forged-state-value-0000")],
        )
        .await;
    expect_kind("wrong state", wrong, ErrorKind::StateMismatch);

    let (session, url) = h.begin().await;
    let state = param(&url, "state").unwrap_or_default();
    let no_code = h.callback(&session, &[("state", &state)]).await;
    expect_kind("code missing", no_code, ErrorKind::MissingParameter);
    h.assert_nothing_written("callback errors");

    for (case, response, kind) in [
        (
            "token endpoint 400",
            ResponseTemplate::new(400).set_body_raw(
                r#"{"error":"invalid_grant","error_description":"bad code"}"#,
                "application/json",
            ),
            ErrorKind::TokenError,
        ),
        (
            "token endpoint 401",
            ResponseTemplate::new(401)
                .set_body_raw(r#"{"error":"invalid_client"}"#, "application/json"),
            ErrorKind::TokenError,
        ),
        (
            "token endpoint 500",
            ResponseTemplate::new(500).set_body_string("oops"),
            ErrorKind::ProviderUnavailable,
        ),
        (
            "token endpoint 503",
            ResponseTemplate::new(503),
            ErrorKind::ProviderUnavailable,
        ),
        (
            "token endpoint malformed JSON",
            ResponseTemplate::new(200).set_body_raw(r#"{"access_token": "#, "application/json"),
            ErrorKind::InvalidResponse,
        ),
        (
            "token endpoint error in 200",
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"error":"bad_verification_code"}"#, "application/json"),
            ErrorKind::TokenError,
        ),
        (
            "token endpoint without token",
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"token_type":"bearer"}"#, "application/json"),
            ErrorKind::TokenError,
        ),
        (
            "token endpoint time-out",
            ResponseTemplate::new(200)
                .set_body_raw(token.body.clone(), "application/json")
                .set_delay(TIMEOUT * 2),
            ErrorKind::Timeout,
        ),
    ] {
        h.server.reset().await;
        token.mock_with(response).mount(&h.server).await;
        h.mount_apis(&fixture).await;
        let (session, url) = h.begin().await;
        let state = param(&url, "state").unwrap_or_default();
        let result = h
            .callback(&session, &[("code", "c"), ("state", &state)])
            .await;
        expect_kind(case, result, kind);
        h.assert_nothing_written(case);
    }

    h.server.reset().await;
    token.mock().mount(&h.server).await;
    for api in &fixture.apis {
        api.mock_with(
            ResponseTemplate::new(401)
                .set_body_raw(r#"{"message":"Bad credentials"}"#, "application/json"),
        )
        .mount(&h.server)
        .await;
    }
    let (session, url) = h.begin().await;
    let state = param(&url, "state").unwrap_or_default();
    let result = h
        .callback(&session, &[("code", "c"), ("state", &state)])
        .await;
    expect_kind("user API 401", result, ErrorKind::ProviderRejected);
    h.assert_nothing_written("user API 401");

    h.server.reset().await;
    for api in &fixture.apis {
        api.mock_with(ResponseTemplate::new(502))
            .mount(&h.server)
            .await;
    }
    token.mock().mount(&h.server).await;
    let (session, url) = h.begin().await;
    let state = param(&url, "state").unwrap_or_default();
    let result = h
        .callback(&session, &[("code", "c"), ("state", &state)])
        .await;
    expect_kind("user API 502", result, ErrorKind::ProviderUnavailable);
    h.assert_nothing_written("user API 502");
}

/// A replayed callback fails: in the same session (the state is spent), and from a copy of
/// the session racing the first (the nonce store lets one through).
pub async fn replay(backend: Arc<dyn Backend>, fixture: Fixture) {
    let h = Harness::new(backend, &fixture).await;
    fixture.token_fixture().mock().mount(&h.server).await;
    h.mount_apis(&fixture).await;
    let (session, url) = h.begin().await;
    let state = param(&url, "state").unwrap_or_default();
    let key = social_oauth2::pending_key(&h.name);
    let pending = session
        .session_get(&key)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let twin = MemoryStrategy::new(ORIGIN);
    twin.session_set(&key, pending)
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let params = [("code", "test-code"), ("state", state.as_str())];
    let first = h.callback(&session, &params).await;
    assert!(
        matches!(first, Ok(Outcome::LoggedIn(_))),
        "first callback logs in: {first:?}"
    );
    let again = h.callback(&session, &params).await;
    expect_kind("replay in the same session", again, ErrorKind::StateMissing);
    let raced = h.callback(&twin, &params).await;
    expect_kind(
        "replay from a copied session",
        raced,
        ErrorKind::StateReplayed,
    );
    assert_eq!(h.storage.counts(), (1, 1), "replays wrote nothing more");
}

/// How many requests the fake provider has received.
async fn request_count(h: &Harness) -> usize {
    h.server.received_requests().await.unwrap_or_default().len()
}

/// Refresh: a new access token is fetched with the refresh token and stored.
pub async fn refresh(backend: Arc<dyn Backend>, fixture: Fixture) {
    let declared = backend.capabilities().refresh;
    let h = Harness::new(backend, &fixture).await;
    let (_, login) = successful_login(&h, &fixture).await;
    if !declared {
        // Not declared: refused as unsupported, without a request.
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        let before = request_count(&h).await;
        let result = h.auth.refresh_token(&account).await;
        expect_kind("undeclared refresh", result, ErrorKind::Unsupported);
        assert_eq!(
            request_count(&h).await,
            before,
            "an undeclared refresh sent a request"
        );
        return;
    }
    let account = login.account.unwrap_or_else(|| panic!("no account"));
    let mut account = account;
    if account.tokens().and_then(|t| t.refresh_token).is_none() {
        account
            .extra_data
            .insert("refresh_token".into(), json!("stored-refresh-token"));
    }
    h.server.reset().await;
    let mut token = fixture.token_fixture().clone();
    if let Some(path) = fixture.refresh_path {
        token.path = path;
    }
    token
        .mock_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"access_token":"refreshed-access-token","token_type":"bearer","expires_in":3600}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&h.server)
        .await;
    let refreshed = h
        .auth
        .refresh_token(&account)
        .await
        .unwrap_or_else(|e| panic!("refresh failed: {e}"));
    let tokens = refreshed.tokens().unwrap_or_else(|| panic!("no tokens"));
    assert_eq!(tokens.access_token.secret(), "refreshed-access-token");
    assert!(
        tokens.refresh_token.is_some(),
        "the refresh token is kept when none is returned"
    );
    let requests = h.server.received_requests().await.unwrap_or_default();
    let fields = requests.first().map(request_fields).unwrap_or_default();
    assert_eq!(
        fields.get("grant_type"),
        Some(&json!("refresh_token")),
        "refresh grant sent: {fields:?}"
    );
    let stored = h
        .storage
        .social_account_by_id(account.id)
        .await
        .ok()
        .flatten();
    assert_eq!(
        stored
            .and_then(|a| a.tokens())
            .map(|t| t.access_token.secret().to_owned())
            .as_deref(),
        Some("refreshed-access-token"),
        "refreshed token stored"
    );
}

/// Revoke: the revocation endpoint is called with the access token.
pub async fn revoke(backend: Arc<dyn Backend>, fixture: Fixture) {
    if !backend.capabilities().revoke {
        let h = Harness::new(backend, &fixture).await;
        let (_, login) = successful_login(&h, &fixture).await;
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        let before = request_count(&h).await;
        let result = h.auth.revoke_token(&account).await;
        expect_kind("undeclared revoke", result, ErrorKind::Unsupported);
        assert_eq!(
            request_count(&h).await,
            before,
            "an undeclared revoke sent a request"
        );
        return;
    }
    #[allow(clippy::expect_used)]
    let endpoint = fixture
        .revoke
        .clone()
        .expect("a backend declaring revoke needs Fixture::revoke");
    let h = Harness::new(backend, &fixture).await;
    let (_, login) = successful_login(&h, &fixture).await;
    let account = login.account.unwrap_or_else(|| panic!("no account"));
    h.server.reset().await;
    endpoint.mock().expect(1).mount(&h.server).await;
    h.auth
        .revoke_token(&account)
        .await
        .unwrap_or_else(|e| panic!("revoke failed: {e}"));
    let requests = h.server.received_requests().await.unwrap_or_default();
    let access = account
        .tokens()
        .map(|t| t.access_token.secret().to_owned())
        .unwrap_or_default();
    let carried = requests.iter().any(|r| {
        let in_header = r
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(&access));
        in_header
            || request_fields(r)
                .values()
                .any(|v| v.as_str() == Some(&access))
            || r.url.query_pairs().any(|(_, v)| v == access)
    });
    assert!(carried, "the revocation request carries the access token");
    h.server.reset().await;
    endpoint
        .mock_with(ResponseTemplate::new(500))
        .mount(&h.server)
        .await;
    expect_kind(
        "revoke 500",
        h.auth.revoke_token(&account).await,
        ErrorKind::ProviderUnavailable,
    );
}

/// The access token reaches every user-API call in the place the backend declares
/// ([`Capabilities::token_in`]), and nowhere else a proxy would log it: a backend that sends
/// no token, or sends it elsewhere, fails here (and its login fails in every other check).
///
/// [`Capabilities::token_in`]: social_core::Capabilities::token_in
pub async fn token_placement(backend: Arc<dyn Backend>, fixture: Fixture) {
    let Some(place) = backend.capabilities().token_in else {
        panic!(
            "backend `{}` does not declare where its API calls carry the access token \
             (Capabilities::token_in)",
            backend.name()
        );
    };
    let token = fixture
        .access_token()
        .unwrap_or_else(|| panic!("the token fixture issues no `access_token`"));
    let h = Harness::new(backend, &fixture).await;
    h.mount_token(&fixture, 1).await;
    // Answer the API calls whatever they carry, then look at what they carried.
    for api in &fixture.apis {
        api.mock().mount(&h.server).await;
    }
    let outcome = h.login().await;
    let requests = h.server.received_requests().await.unwrap_or_default();
    let calls: Vec<&Request> = requests
        .iter()
        .filter(|r| fixture.apis.iter().any(|a| a.path == r.url.path()))
        .collect();
    assert!(
        !calls.is_empty(),
        "no user-API call was made (login: {outcome:?})"
    );
    for call in calls {
        assert!(
            wiremock::Match::matches(&crate::TokenMatcher::new(place, &token), call),
            "{} {} does not carry the access token as {place:?}",
            call.method,
            call.url.path()
        );
        if !matches!(place, TokenIn::Query(_)) {
            assert!(
                !call.url.query_pairs().any(|(_, v)| v == token.as_str()),
                "{} {} also puts the access token in its URL",
                call.method,
                call.url.path()
            );
        }
    }
    assert!(
        matches!(outcome, Ok(Outcome::LoggedIn(_))),
        "login failed: {outcome:?}"
    );
}

/// Runs the whole provider conformance suite, one test per check.
///
/// ```text
/// social_testkit::conformance!(
///     backend = std::sync::Arc::new(social_github::backend()),
///     fixture = fixture(),
/// );
/// // Several fixtures in one file: name a module for each.
/// social_testkit::conformance!(self_hosted: backend = .., fixture = ..);
/// ```
///
/// Snapshots go to the crate's `tests/snapshots/` (`tests/snapshots/<module>/` for a named
/// module).
#[macro_export]
macro_rules! conformance {
    (backend = $backend:expr, fixture = $fixture:expr $(,)?) => {
        $crate::conformance!(@suite conformance, None, $backend, $fixture);
    };
    ($module:ident : backend = $backend:expr, fixture = $fixture:expr $(,)?) => {
        $crate::conformance!(@suite $module, Some(stringify!($module)), $backend, $fixture);
    };
    (@suite $module:ident, $dir:expr, $backend:expr, $fixture:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            fn __suite_fixture() -> $crate::provider::Fixture {
                ($fixture).in_crate(env!("CARGO_MANIFEST_DIR"), $dir)
            }

            $crate::checks! {
                authorize_url => $crate::provider::authorize_url($backend, __suite_fixture()),
                token_request => $crate::provider::token_request($backend, __suite_fixture()),
                token_placement => $crate::provider::token_placement($backend, __suite_fixture()),
                user_mapping => $crate::provider::user_mapping($backend, __suite_fixture()),
                failures => $crate::provider::failures($backend, __suite_fixture()),
                replay => $crate::provider::replay($backend, __suite_fixture()),
                refresh => $crate::provider::refresh($backend, __suite_fixture()),
                revoke => $crate::provider::revoke($backend, __suite_fixture()),
            }
        }
    };
}
