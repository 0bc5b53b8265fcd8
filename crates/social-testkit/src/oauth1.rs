//! The OAuth 1.0a conformance suite.
//!
//! A provider crate declares its recorded answers once in a [`Fixture`] and runs every check
//! with [`oauth1_conformance!`](crate::oauth1_conformance). Each check starts a `wiremock`
//! server that plays the provider the way a provider does: it verifies the signature of every
//! request with its own base-string and HMAC-SHA1 code (at the end of this file, sharing
//! nothing with the client) and the right secrets, and answers 401 when it does not verify.
//!
//! - [`request_token`]: the request-token call (consumer secret, `oauth_callback`, fresh nonce
//!   and timestamp) and the authorize redirect (snapshot `authorize_url`);
//! - [`access_token`]: the access-token call (request token and its secret, `oauth_verifier`)
//!   and the API calls (access token and its secret) (snapshot `access_token_call`);
//! - [`user_mapping`]: uid, details and extra data (snapshot `user_mapping`), the token
//!   credentials stored with the account;
//! - [`attacks`]: a bad signature, a forged, missing or spent `oauth_token`, a missing
//!   verifier, a denial — each refused with the right [`ErrorKind`] and nothing written;
//! - [`replay`]: a spent token in the same session and in a copied session;
//! - [`provider_errors`]: 4xx, 5xx, malformed answers and time-outs of every endpoint.

use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;
use serde_json::{Map, Value, json};
use social_core::{Backend, ErrorKind, MemoryStrategy, Outcome, Strategy};
use wiremock::{Match, Mock, Request, ResponseTemplate, matchers};

use crate::provider::{self, CLIENT_ID, CLIENT_SECRET, Harness, expect_kind, param};

/// The origin of the harness's requests (see [`Harness::begin`]).
const ORIGIN: &str = "http://testserver";
/// The verifier the fake provider hands back on the callback.
pub const VERIFIER: &str = "test-verifier";
/// Well past the harness client's time-out (1.5 s): answers this slow time out.
const SLOW: Duration = Duration::from_secs(4);
/// How far a timestamp may be from the fake provider's clock.
const CLOCK_SKEW: u64 = 300;

/// Which call of the protocol a request is, told by its protocol parameters: providers such
/// as Evernote serve both token calls at one URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Carries `oauth_callback`.
    RequestToken,
    /// Carries `oauth_verifier`.
    AccessToken,
    /// Anything else: an API call.
    Api,
}

impl Role {
    fn of(request: &Request) -> Self {
        let names: Vec<String> = protocol_params(request)
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        if names.iter().any(|n| n == "oauth_callback") {
            Self::RequestToken
        } else if names.iter().any(|n| n == "oauth_verifier") {
            Self::AccessToken
        } else {
            Self::Api
        }
    }
}

impl Match for Role {
    fn matches(&self, request: &Request) -> bool {
        Self::of(request) == *self
    }
}

/// One recorded answer of the provider.
#[derive(Debug, Clone)]
struct Recorded {
    role: Role,
    method: &'static str,
    path: &'static str,
    body: String,
    content_type: &'static str,
}

impl Recorded {
    fn new(
        role: Role,
        method: &'static str,
        path: &'static str,
        body: &str,
        content_type: &'static str,
    ) -> Self {
        Self {
            role,
            method,
            path,
            body: body.to_owned(),
            content_type,
        }
    }

    fn given(&self) -> wiremock::MockBuilder {
        Mock::given(matchers::method(self.method))
            .and(matchers::path(self.path))
            .and(self.role)
    }

    fn is(&self, request: &Request) -> bool {
        request.method.as_str() == self.method
            && request.url.path() == self.path
            && Role::of(request) == self.role
    }

    fn ok(&self) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_raw(self.body.clone(), self.content_type)
    }

    /// `name` of a form-encoded body.
    fn field(&self, name: &str) -> String {
        url::form_urlencoded::parse(self.body.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    }
}

/// A provider's recorded answers and where its endpoints live on the fake server.
#[derive(Debug, Clone)]
pub struct Fixture {
    name: String,
    snapshot_dir: String,
    request_token: Recorded,
    authorize_path: String,
    access_token: Recorded,
    apis: Vec<Recorded>,
    endpoints: Vec<(String, String)>,
    options: Vec<(String, String)>,
}

const FORM: &str = "application/x-www-form-urlencoded";

impl Fixture {
    /// Fixtures of backend `name`. Until set, the endpoints are `POST /oauth/request_token`,
    /// `/oauth/authorize` and `POST /oauth/access_token` with made-up tokens.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            snapshot_dir: String::new(),
            request_token: Recorded::new(
                Role::RequestToken,
                "POST",
                "/oauth/request_token",
                "oauth_token=test-request-token&oauth_token_secret=test-request-secret\
                 &oauth_callback_confirmed=true",
                FORM,
            ),
            authorize_path: "/oauth/authorize".into(),
            access_token: Recorded::new(
                Role::AccessToken,
                "POST",
                "/oauth/access_token",
                "oauth_token=test-access-token&oauth_token_secret=test-access-secret",
                FORM,
            ),
            apis: Vec::new(),
            endpoints: Vec::new(),
            options: Vec::new(),
        }
    }

    /// Snapshots go to `dir` (the suite's macro sets the crate's `tests/snapshots` folder).
    #[must_use]
    pub fn snapshots(mut self, dir: &str) -> Self {
        self.snapshot_dir = dir.to_owned();
        self
    }

    /// Sets the snapshot folder of the crate at `manifest_dir` for the suite module `module`,
    /// unless one was set. Used by the suite's macro.
    #[doc(hidden)]
    #[must_use]
    pub fn in_crate(self, manifest_dir: &str, module: Option<&str>) -> Self {
        if self.snapshot_dir.is_empty() {
            let dir = crate::snapshot_dir(manifest_dir, module);
            self.snapshots(&dir)
        } else {
            self
        }
    }

    /// The request-token endpoint: `method`, `path` and its recorded form-encoded answer.
    #[must_use]
    pub fn request_token(mut self, method: &'static str, path: &'static str, body: &str) -> Self {
        self.request_token = Recorded::new(Role::RequestToken, method, path, body, FORM);
        self
    }

    /// The path of the authorization page.
    #[must_use]
    pub fn authorize(mut self, path: &str) -> Self {
        path.clone_into(&mut self.authorize_path);
        self
    }

    /// The access-token endpoint: `method`, `path` and its recorded form-encoded answer.
    #[must_use]
    pub fn access_token(mut self, method: &'static str, path: &'static str, body: &str) -> Self {
        self.access_token = Recorded::new(Role::AccessToken, method, path, body, FORM);
        self
    }

    /// A signed user API call the backend makes after the exchange, and its JSON answer.
    #[must_use]
    pub fn api(mut self, method: &'static str, path: &'static str, body: &str) -> Self {
        self.apis.push(Recorded::new(
            Role::Api,
            method,
            path,
            body,
            "application/json",
        ));
        self
    }

    /// Points the endpoint setting `name` (such as `api_url`) at `path` on the fake server.
    #[must_use]
    pub fn endpoint(mut self, name: &str, path: &str) -> Self {
        self.endpoints.retain(|(n, _)| n != name);
        self.endpoints.push((name.to_owned(), path.to_owned()));
        self
    }

    /// A provider-specific setting for the backend.
    #[must_use]
    pub fn option(mut self, name: &str, value: &str) -> Self {
        self.options.push((name.to_owned(), value.to_owned()));
        self
    }

    fn settings(&self) -> provider::Fixture {
        let mut fixture = provider::Fixture::new(&self.name)
            .snapshots(&self.snapshot_dir)
            .endpoint("request_token_url", self.request_token.path)
            .endpoint("authorization_url", &self.authorize_path)
            .endpoint("access_token_url", self.access_token.path);
        for (name, path) in &self.endpoints {
            fixture = fixture.endpoint(name, path);
        }
        for (name, value) in &self.options {
            fixture = fixture.option(name, value);
        }
        fixture
    }

    fn request_credentials(&self) -> (String, String) {
        (
            self.request_token.field("oauth_token"),
            self.request_token.field("oauth_token_secret"),
        )
    }

    fn access_credentials(&self) -> (String, String) {
        (
            self.access_token.field("oauth_token"),
            self.access_token.field("oauth_token_secret"),
        )
    }

    fn callback_url(&self) -> String {
        format!("{ORIGIN}/complete/{}/", self.name)
    }
}

/// What the fake provider requires of a request's protocol parameters and signature.
#[derive(Debug, Clone)]
struct Signed {
    consumer_secret: String,
    token: Option<(String, String)>,
    callback: Option<String>,
    verifier: Option<String>,
}

impl Signed {
    fn request_token(fixture: &Fixture) -> Self {
        Self {
            consumer_secret: CLIENT_SECRET.into(),
            token: None,
            callback: Some(fixture.callback_url()),
            verifier: None,
        }
    }

    fn access_token(fixture: &Fixture) -> Self {
        Self {
            consumer_secret: CLIENT_SECRET.into(),
            token: Some(fixture.request_credentials()),
            callback: None,
            verifier: Some(VERIFIER.into()),
        }
    }

    fn api(fixture: &Fixture) -> Self {
        Self {
            consumer_secret: CLIENT_SECRET.into(),
            token: Some(fixture.access_credentials()),
            callback: None,
            verifier: None,
        }
    }

    /// Checks `request` as the provider would; `Err` says why it is refused.
    fn check(&self, request: &Request) -> Result<Signature, String> {
        let token_secret = self.token.as_ref().map_or("", |(_, s)| s.as_str());
        let signature = verify(request, &self.consumer_secret, token_secret)?;
        let p = |name: &str| signature.protocol.get(name).and_then(Value::as_str);
        if p("oauth_consumer_key") != Some(CLIENT_ID) {
            return Err(format!(
                "oauth_consumer_key is {:?}",
                p("oauth_consumer_key")
            ));
        }
        if p("oauth_signature_method") != Some("HMAC-SHA1") {
            return Err("oauth_signature_method is not HMAC-SHA1".into());
        }
        if !matches!(p("oauth_version"), None | Some("1.0")) {
            return Err("oauth_version is not 1.0".into());
        }
        if p("oauth_nonce").is_none_or(str::is_empty) {
            return Err("no oauth_nonce".into());
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let timestamp = p("oauth_timestamp").and_then(|t| t.parse::<u64>().ok());
        if timestamp.is_none_or(|t| t.abs_diff(now) > CLOCK_SKEW) {
            return Err(format!("oauth_timestamp {timestamp:?} is not now ({now})"));
        }
        let expected_token = self.token.as_ref().map(|(t, _)| t.as_str());
        if p("oauth_token") != expected_token {
            return Err(format!("oauth_token is {:?}", p("oauth_token")));
        }
        if p("oauth_callback") != self.callback.as_deref() {
            return Err(format!("oauth_callback is {:?}", p("oauth_callback")));
        }
        if p("oauth_verifier") != self.verifier.as_deref() {
            return Err(format!("oauth_verifier is {:?}", p("oauth_verifier")));
        }
        Ok(signature)
    }
}

impl Match for Signed {
    fn matches(&self, request: &Request) -> bool {
        self.check(request).is_ok()
    }
}

/// Mounts `recorded`, answered only when `signed` accepts the request; any other request to
/// the same endpoint gets the 401 providers give to a bad signature.
async fn mount_signed(h: &Harness, recorded: &Recorded, signed: Signed, answer: ResponseTemplate) {
    recorded
        .given()
        .and(signed)
        .respond_with(answer)
        .with_priority(1)
        .mount(&h.server)
        .await;
    recorded
        .given()
        .respond_with(
            ResponseTemplate::new(401).set_body_raw("oauth_problem=signature_invalid", FORM),
        )
        .with_priority(10)
        .mount(&h.server)
        .await;
}

/// Mounts the whole provider, every endpoint checking its signature.
async fn mount(h: &Harness, fixture: &Fixture) {
    let request = &fixture.request_token;
    mount_signed(h, request, Signed::request_token(fixture), request.ok()).await;
    let access = &fixture.access_token;
    mount_signed(h, access, Signed::access_token(fixture), access.ok()).await;
    for api in &fixture.apis {
        mount_signed(h, api, Signed::api(fixture), api.ok()).await;
    }
}

async fn harness(backend: Arc<dyn Backend>, fixture: &Fixture) -> Harness {
    Harness::new(backend, &fixture.settings()).await
}

async fn received(h: &Harness, recorded: &Recorded) -> Vec<Request> {
    h.server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| recorded.is(r))
        .collect()
}

fn snapshot(fixture: &Fixture, name: &str, value: &Value) {
    crate::snapshot_in(&fixture.snapshot_dir, name, value);
}

/// The callback of a login started with `session`: the provider's redirect back.
fn approved(fixture: &Fixture) -> [(&'static str, String); 2] {
    [
        ("oauth_token", fixture.request_credentials().0),
        ("oauth_verifier", VERIFIER.to_owned()),
    ]
}

async fn callback(
    h: &Harness,
    session: &MemoryStrategy,
    params: &[(&str, String)],
) -> social_core::Result<Outcome> {
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    h.callback(session, &params).await
}

async fn login(h: &Harness, fixture: &Fixture) -> social_core::Login {
    let (session, _) = h.begin().await;
    match callback(h, &session, &approved(fixture)).await {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

/// The request-token call — signed with the consumer secret and no token, `oauth_callback`
/// the backend's callback URL, nonce and timestamp fresh — and the authorize redirect
/// carrying the request token.
pub async fn request_token(backend: Arc<dyn Backend>, fixture: Fixture) {
    let h = harness(backend, &fixture).await;
    mount(&h, &fixture).await;
    let (_, url) = h.begin().await;
    assert_eq!(
        url[..url::Position::AfterPath],
        format!("{}{}", h.server.uri(), fixture.authorize_path),
        "authorize endpoint"
    );
    assert_eq!(
        param(&url, "oauth_token"),
        Some(fixture.request_credentials().0),
        "the authorize redirect carries the request token"
    );
    let (_, _) = h.begin().await;
    let sent = received(&h, &fixture.request_token).await;
    assert_eq!(sent.len(), 2, "one request-token call per login");
    let signed = Signed::request_token(&fixture);
    let first = signed
        .check(&sent[0])
        .unwrap_or_else(|e| panic!("request-token call refused: {e}"));
    let second = signed
        .check(&sent[1])
        .unwrap_or_else(|e| panic!("request-token call refused: {e}"));
    assert_ne!(
        first.protocol.get("oauth_nonce"),
        second.protocol.get("oauth_nonce"),
        "the nonce is fresh per request"
    );
    let authorize: Map<String, Value> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    snapshot(
        &fixture,
        "authorize_url",
        &json!({"authorize": authorize, "request_token_call": first.redacted(&sent[0])}),
    );
}

/// The access-token call — signed with the request token's secret, carrying the request
/// token and `oauth_verifier` — and the user API calls, signed with the access token's
/// secret.
pub async fn access_token(backend: Arc<dyn Backend>, fixture: Fixture) {
    let h = harness(backend, &fixture).await;
    mount(&h, &fixture).await;
    login(&h, &fixture).await;
    let sent = received(&h, &fixture.access_token).await;
    assert_eq!(sent.len(), 1, "exactly one access-token call");
    let exchange = Signed::access_token(&fixture)
        .check(&sent[0])
        .unwrap_or_else(|e| panic!("access-token call refused: {e}"));
    let mut apis = Vec::new();
    for api in &fixture.apis {
        let calls = received(&h, api).await;
        assert_eq!(calls.len(), 1, "one call to {}", api.path);
        let signature = Signed::api(&fixture)
            .check(&calls[0])
            .unwrap_or_else(|e| panic!("API call {} refused: {e}", api.path));
        apis.push(signature.redacted(&calls[0]));
    }
    snapshot(
        &fixture,
        "access_token_call",
        &json!({"access_token_call": exchange.redacted(&sent[0]), "api_calls": apis}),
    );
}

/// The user mapping (snapshot of uid, details and extra data) and what the login stored:
/// one user, one account holding the access token and its secret; a second login finds the
/// same user.
pub async fn user_mapping(backend: Arc<dyn Backend>, fixture: Fixture) {
    let h = harness(backend, &fixture).await;
    mount(&h, &fixture).await;
    let login = login(&h, &fixture).await;
    assert!(
        login.is_new && login.new_association,
        "first login creates user and account"
    );
    assert_eq!(login.redirect_url, "/after-login", "next is honoured");
    assert_eq!(h.storage.counts(), (1, 1));
    let account = login
        .account
        .clone()
        .unwrap_or_else(|| panic!("no account in {login:?}"));
    let (token, secret) = fixture.access_credentials();
    assert_eq!(
        account.tokens().map(|t| t.access_token.secret().to_owned()),
        Some(token),
        "the access token is stored"
    );
    assert_eq!(
        account.extra_data.get("access_token_secret"),
        Some(&Value::String(secret)),
        "its secret is stored as access_token_secret"
    );
    let mut extra = account.extra_data.clone();
    for (key, value) in &mut extra {
        if ["access_token", "access_token_secret"].contains(&key.as_str()) {
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
    let again = self::login(&h, &fixture).await;
    assert!(
        !again.is_new && !again.new_association,
        "second login finds the user"
    );
    assert_eq!(again.user.id, login.user.id);
    assert_eq!(h.storage.counts(), (1, 1));
}

/// What a login must refuse: signatures made with the wrong secrets, a forged, missing or
/// unknown `oauth_token`, a missing verifier, a denial. Each gives the right error, writes
/// nothing and, where the callback is refused, never reaches the access-token endpoint.
pub async fn attacks(backend: Arc<dyn Backend>, fixture: Fixture) {
    let h = harness(backend, &fixture).await;
    let (request_token, _) = fixture.request_credentials();

    // The suite's own signature check must refuse tampering, or the rest proves nothing.
    mount(&h, &fixture).await;
    login(&h, &fixture).await;
    let sent = received(&h, &fixture.access_token).await;
    let signed = Signed::access_token(&fixture);
    let mut tampered = sent[0].clone();
    tamper(&mut tampered);
    assert!(
        signed.check(&sent[0]).is_ok() && signed.check(&tampered).is_err(),
        "the fake provider tells a good signature from a tampered request"
    );
    let wrong_secret = Signed {
        consumer_secret: "not-the-consumer-secret".into(),
        ..signed
    };
    assert!(wrong_secret.check(&sent[0]).is_err());

    // A provider that knows another consumer secret refuses the request-token call.
    let h = harness_again(h, &fixture).await;
    mount_signed(
        &h,
        &fixture.request_token,
        Signed {
            consumer_secret: "not-the-consumer-secret".into(),
            ..Signed::request_token(&fixture)
        },
        fixture.request_token.ok(),
    )
    .await;
    let session = MemoryStrategy::new(ORIGIN);
    let begun = h.auth.begin(&session, &h.name).await;
    expect_kind(
        "request token signed with a wrong secret",
        begun,
        ErrorKind::TokenError,
    );

    // A provider that issued another request-token secret refuses the exchange.
    let h = harness_again(h, &fixture).await;
    let request = &fixture.request_token;
    mount_signed(&h, request, Signed::request_token(&fixture), request.ok()).await;
    mount_signed(
        &h,
        &fixture.access_token,
        Signed {
            token: Some((request_token.clone(), "another-secret".into())),
            ..Signed::access_token(&fixture)
        },
        fixture.access_token.ok(),
    )
    .await;
    let (session, _) = h.begin().await;
    let result = callback(&h, &session, &approved(&fixture)).await;
    expect_kind(
        "exchange signed with a wrong secret",
        result,
        ErrorKind::TokenError,
    );
    h.assert_nothing_written("bad signature");

    let h = harness_again(h, &fixture).await;
    mount(&h, &fixture).await;
    let cases = [
        (
            "forged oauth_token",
            vec![
                ("oauth_token", format!("{request_token}-forged")),
                ("oauth_verifier", VERIFIER.into()),
            ],
            ErrorKind::StateMismatch,
        ),
        (
            "missing oauth_token",
            vec![("oauth_verifier", VERIFIER.into())],
            ErrorKind::MissingParameter,
        ),
        (
            "missing oauth_verifier",
            vec![("oauth_token", request_token.clone())],
            ErrorKind::MissingParameter,
        ),
    ];
    for (case, params, kind) in cases {
        let (session, _) = h.begin().await;
        expect_kind(case, callback(&h, &session, &params).await, kind);
    }
    let fresh = MemoryStrategy::new(ORIGIN);
    let none = callback(&h, &fresh, &approved(&fixture)).await;
    expect_kind("no request token pending", none, ErrorKind::StateMissing);
    let (session, _) = h.begin().await;
    let denied = callback(&h, &session, &[("denied", request_token.clone())]).await;
    expect_kind("user denied", denied, ErrorKind::Canceled);
    let after = callback(&h, &session, &approved(&fixture)).await;
    expect_kind("callback after a denial", after, ErrorKind::StateMissing);
    assert!(
        received(&h, &fixture.access_token).await.is_empty(),
        "refused callbacks never reach the access-token endpoint"
    );
    h.assert_nothing_written("refused callbacks");
}

/// Breaks a signed request the way a man in the middle would: another verifier.
fn tamper(request: &mut Request) {
    let header = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match header {
        Some(h) => {
            let forged = h.replace(VERIFIER, "forged-verifier");
            if let Ok(value) = forged.parse() {
                request.headers.insert("authorization", value);
            }
        }
        None => {
            let forged = request.url.as_str().replace(VERIFIER, "forged-verifier");
            if let Ok(url) = forged.parse() {
                request.url = url;
            }
        }
    }
}

/// A fresh fake provider and storage for the next part of a check.
async fn harness_again(h: Harness, fixture: &Fixture) -> Harness {
    let backend = h.auth.registry().get(&h.name).cloned();
    drop(h);
    match backend {
        Some(backend) => harness(backend, fixture).await,
        None => panic!("the backend under test is registered"),
    }
}

/// A spent request token fails: replayed in the same session (nothing pending), and from a
/// copy of the session racing the first callback (the nonce store lets one through).
pub async fn replay(backend: Arc<dyn Backend>, fixture: Fixture) {
    let h = harness(backend, &fixture).await;
    mount(&h, &fixture).await;
    let (session, _) = h.begin().await;
    let twin = MemoryStrategy::new(ORIGIN);
    for key in session.session_keys() {
        if let Ok(Some(value)) = session.session_get(&key).await {
            twin.session_set(&key, value)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    let first = callback(&h, &session, &approved(&fixture)).await;
    assert!(
        matches!(first, Ok(Outcome::LoggedIn(_))),
        "first callback logs in: {first:?}"
    );
    let again = callback(&h, &session, &approved(&fixture)).await;
    expect_kind("replay in the same session", again, ErrorKind::StateMissing);
    let raced = callback(&h, &twin, &approved(&fixture)).await;
    expect_kind(
        "replay from a copied session",
        raced,
        ErrorKind::StateReplayed,
    );
    assert_eq!(
        received(&h, &fixture.access_token).await.len(),
        1,
        "replays never reach the access-token endpoint"
    );
    assert_eq!(h.storage.counts(), (1, 1), "replays wrote nothing more");
}

/// Every endpoint's failures: 4xx is [`ErrorKind::TokenError`] on token calls and
/// [`ErrorKind::ProviderRejected`] on API calls, 5xx [`ErrorKind::ProviderUnavailable`],
/// malformed answers [`ErrorKind::InvalidResponse`], slow ones [`ErrorKind::Timeout`];
/// nothing is written.
pub async fn provider_errors(backend: Arc<dyn Backend>, fixture: Fixture) {
    let h = harness(backend, &fixture).await;
    let request = &fixture.request_token;
    let unconfirmed = request.body.replace(
        "oauth_callback_confirmed=true",
        "oauth_callback_confirmed=false",
    );
    for (case, answer, kind) in [
        (
            "request token 401",
            status(401, "oauth_problem=consumer_key_unknown"),
            ErrorKind::TokenError,
        ),
        (
            "request token 500",
            status(500, "oops"),
            ErrorKind::ProviderUnavailable,
        ),
        (
            "request token without token",
            status(200, "<html>maintenance</html>"),
            ErrorKind::InvalidResponse,
        ),
        (
            "request token, callback not confirmed",
            status(200, &unconfirmed),
            ErrorKind::InvalidResponse,
        ),
        (
            "request token time-out",
            request.ok().set_delay(SLOW),
            ErrorKind::Timeout,
        ),
    ] {
        h.server.reset().await;
        request.given().respond_with(answer).mount(&h.server).await;
        let session = MemoryStrategy::new(ORIGIN);
        expect_kind(case, h.auth.begin(&session, &h.name).await, kind);
    }

    let access = &fixture.access_token;
    for (case, answer, kind) in [
        (
            "access token 401",
            status(401, "oauth_problem=token_rejected"),
            ErrorKind::TokenError,
        ),
        (
            "access token 400",
            status(400, "oauth_problem=verifier_invalid"),
            ErrorKind::TokenError,
        ),
        (
            "access token 503",
            status(503, ""),
            ErrorKind::ProviderUnavailable,
        ),
        (
            "access token without token",
            status(200, "oauth_token_secret=x"),
            ErrorKind::InvalidResponse,
        ),
        (
            "access token time-out",
            access.ok().set_delay(SLOW),
            ErrorKind::Timeout,
        ),
    ] {
        h.server.reset().await;
        request
            .given()
            .respond_with(request.ok())
            .mount(&h.server)
            .await;
        access.given().respond_with(answer).mount(&h.server).await;
        for api in &fixture.apis {
            api.given().respond_with(api.ok()).mount(&h.server).await;
        }
        let (session, _) = h.begin().await;
        expect_kind(
            case,
            callback(&h, &session, &approved(&fixture)).await,
            kind,
        );
        h.assert_nothing_written(case);
    }

    if fixture.apis.is_empty() {
        return;
    }
    for (case, answer, kind) in [
        (
            "user API 401",
            ResponseTemplate::new(401).set_body_raw(
                r#"{"errors":[{"code":89,"message":"Invalid or expired token."}]}"#,
                "application/json",
            ),
            ErrorKind::ProviderRejected,
        ),
        (
            "user API 502",
            status(502, ""),
            ErrorKind::ProviderUnavailable,
        ),
        (
            "user API malformed JSON",
            ResponseTemplate::new(200).set_body_raw(r#"{"id": "#, "application/json"),
            ErrorKind::InvalidResponse,
        ),
    ] {
        h.server.reset().await;
        request
            .given()
            .respond_with(request.ok())
            .mount(&h.server)
            .await;
        access
            .given()
            .respond_with(access.ok())
            .mount(&h.server)
            .await;
        for api in &fixture.apis {
            api.given()
                .respond_with(answer.clone())
                .mount(&h.server)
                .await;
        }
        let (session, _) = h.begin().await;
        expect_kind(
            case,
            callback(&h, &session, &approved(&fixture)).await,
            kind,
        );
        h.assert_nothing_written(case);
    }
}

fn status(code: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_raw(body.to_owned(), "text/plain")
}

/// Runs the whole OAuth 1.0a conformance suite as one `#[tokio::test]` per check.
///
/// ```text
/// social_testkit::oauth1_conformance!(
///     backend = std::sync::Arc::new(social_twitter::backend()),
///     fixture = fixture(),
/// );
/// ```
#[macro_export]
macro_rules! oauth1_conformance {
    (backend = $backend:expr, fixture = $fixture:expr $(,)?) => {
        $crate::oauth1_conformance!(@suite oauth1_conformance, None, $backend, $fixture);
    };
    ($module:ident : backend = $backend:expr, fixture = $fixture:expr $(,)?) => {
        $crate::oauth1_conformance!(@suite $module, Some(stringify!($module)), $backend, $fixture);
    };
    (@suite $module:ident, $dir:expr, $backend:expr, $fixture:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            fn __suite_fixture() -> $crate::oauth1::Fixture {
                ($fixture).in_crate(env!("CARGO_MANIFEST_DIR"), $dir)
            }

            $crate::checks! {
                request_token => $crate::oauth1::request_token($backend, __suite_fixture()),
                access_token => $crate::oauth1::access_token($backend, __suite_fixture()),
                user_mapping => $crate::oauth1::user_mapping($backend, __suite_fixture()),
                attacks => $crate::oauth1::attacks($backend, __suite_fixture()),
                replay => $crate::oauth1::replay($backend, __suite_fixture()),
                provider_errors => $crate::oauth1::provider_errors($backend, __suite_fixture()),
            }
        }
    };
}

// The provider's side of RFC 5849, written apart from the client so that a mistake in one
// cannot hide the same mistake in the other.

/// A verified request: its protocol parameters and where they travelled.
#[derive(Debug)]
struct Signature {
    protocol: Map<String, Value>,
    placement: &'static str,
}

impl Signature {
    /// The request for a snapshot: nonce, timestamp and signature replaced.
    fn redacted(&self, request: &Request) -> Value {
        let mut protocol = self.protocol.clone();
        for (name, stand_in) in [
            ("oauth_nonce", "[nonce]"),
            ("oauth_timestamp", "[time]"),
            ("oauth_signature", "[signature]"),
        ] {
            if protocol.contains_key(name) {
                protocol.insert(name.into(), json!(stand_in));
            }
        }
        let params: Map<String, Value> = request_params(request)
            .into_iter()
            .filter(|(k, _)| !k.starts_with("oauth_"))
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        json!({
            "method": request.method.as_str(),
            "path": request.url.path(),
            "placement": self.placement,
            "protocol": protocol,
            "params": params,
        })
    }
}

/// Query and form-body parameters, decoded.
fn request_params(request: &Request) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    let is_form = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(FORM));
    if is_form {
        params.extend(url::form_urlencoded::parse(&request.body).into_owned());
    }
    params
}

/// The fields of an `Authorization: OAuth ...` header, decoded, `realm` left out; `None`
/// without such a header.
fn header_fields(request: &Request) -> Option<Result<Vec<(String, String)>, String>> {
    let header = request.headers.get("authorization")?.to_str().ok()?;
    let fields = header.strip_prefix("OAuth ")?;
    let parse = |field: &str| -> Result<Option<(String, String)>, String> {
        let (name, value) = field
            .trim()
            .split_once('=')
            .ok_or_else(|| format!("malformed Authorization field {field:?}"))?;
        let value = percent_decode(value.trim_matches('"'))?;
        Ok((name != "realm").then(|| (name.to_owned(), value)))
    };
    Some(
        fields
            .split(',')
            .filter_map(|field| parse(field).transpose())
            .collect(),
    )
}

/// The protocol parameters of a request, wherever they travel.
fn protocol_params(request: &Request) -> Vec<(String, String)> {
    let mut params = request_params(request);
    if let Some(Ok(fields)) = header_fields(request) {
        params.extend(fields);
    }
    params.retain(|(name, _)| name.starts_with("oauth_"));
    params
}

/// Verifies the HMAC-SHA1 signature of `request` (RFC 5849 sections 3.4.1 and 3.4.2).
fn verify(
    request: &Request,
    consumer_secret: &str,
    token_secret: &str,
) -> Result<Signature, String> {
    let mut params = request_params(request);
    let placement = match header_fields(request) {
        Some(fields) => {
            params.extend(fields?);
            "header"
        }
        None => "query",
    };
    let signature = params
        .iter()
        .find(|(k, _)| k == "oauth_signature")
        .map(|(_, v)| v.clone())
        .ok_or("no oauth_signature")?;
    params.retain(|(k, _)| k != "oauth_signature");
    let protocol: Map<String, Value> = params
        .iter()
        .filter(|(k, _)| k.starts_with("oauth_"))
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    // The host and port the client addressed, from Host (wiremock's URL says `localhost`).
    let host = request
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Host header")?;
    let base_uri = format!("http://{}{}", host.to_ascii_lowercase(), request.url.path());
    let mut normalized: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    normalized.sort();
    let normalized: Vec<String> = normalized.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let base = format!(
        "{}&{}&{}",
        request.method.as_str(),
        percent_encode(&base_uri),
        percent_encode(&normalized.join("&"))
    );
    let key = format!(
        "{}&{}",
        percent_encode(consumer_secret),
        percent_encode(token_secret)
    );
    let expected = base64::engine::general_purpose::STANDARD
        .encode(hmac_sha1(key.as_bytes(), base.as_bytes()));
    if expected != signature {
        return Err(format!("signature {signature} does not verify over {base}"));
    }
    Ok(Signature {
        protocol,
        placement,
    })
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad escape in {text:?}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|e| e.to_string())
}

/// HMAC-SHA1 (RFC 2104 over FIPS 180), for checking signatures in tests.
///
/// The fake provider shares the SHA-1 primitive with the client but none of its OAuth code:
/// it builds its own base strings and compares its own signatures.
pub(crate) fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_known_answers() {
        // RFC 2202 test cases 2 and 6 (a key longer than a block).
        assert_eq!(
            hex(&hmac_sha1(b"Jefe", b"what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert_eq!(
            hex(&hmac_sha1(
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112"
        );
    }

    #[test]
    fn verifies_the_rfc_resource_request() {
        // RFC 5849 section 1.2: the signed request for Jane's photo.
        let mut request = Request {
            url: "http://localhost/photos?file=vacation.jpg&size=original"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
            method: http::Method::GET,
            headers: http::HeaderMap::new(),
            body: Vec::new(),
        };
        let header = concat!(
            r#"OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", "#,
            r#"oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", "#,
            r#"oauth_timestamp="137131202", oauth_nonce="chapoH", "#,
            r#"oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D""#
        );
        request.headers.insert(
            "authorization",
            header.parse().unwrap_or_else(|e| panic!("{e}")),
        );
        request.headers.insert(
            "host",
            "photos.example.net"
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let verified = verify(&request, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(verified.placement, "header");
        assert!(verify(&request, "kd94hf93k423kf44", "another").is_err());
    }
}
