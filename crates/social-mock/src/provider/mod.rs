//! The authorization server: a small OAuth 2.0 and OpenID Connect provider with made-up users.
//!
//! It is a real authorization server, strict where a real one is (so that clients tested
//! against it work against real ones), and lax only about who the user is: the login form
//! lets anyone be anyone, and a script ([`Answer`]) can skip the form altogether.
//!
//! | Method | Path (under the issuer) | What |
//! |---|---|---|
//! | `GET` | `/authorize` | validates the request (client, exact `redirect_uri`, `response_type=code`, PKCE `S256`), then answers as scripted: the login form by default |
//! | `POST` | `/authorize` | the form: issues a code (single use, 60 s) or, on Deny, `error=access_denied` |
//! | `POST` | `/token` | `authorization_code` (client auth, PKCE verifier) and `refresh_token` grants; an ID token when `openid` was asked |
//! | `GET`, `POST` | `/userinfo` | the user's claims for a bearer access token, by scope |
//! | `GET` | `/jwks` | the RS256 public key |
//! | `GET` | `/.well-known/openid-configuration` | discovery |
//! | `GET` | `/style.css` | the stylesheet of the form |

mod key;
mod login;
mod script;

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    fmt,
    sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use social_core::{
    Secret,
    clock::{Clock, SystemClock},
};
use subtle::ConstantTimeEq;

pub use key::{KeyError, MockKey};
pub use login::presets;
pub use script::{Answer, Authorization};

use script::Script;

/// Seconds an authorization code stays usable.
pub const CODE_TTL: i64 = 60;
/// Seconds an access token stays usable.
pub const ACCESS_TOKEN_TTL: i64 = 3_600;
/// Seconds an ID token stays valid.
const ID_TOKEN_TTL: i64 = 600;
/// Seconds a refresh token stays usable.
const REFRESH_TOKEN_TTL: i64 = 30 * 86_400;
/// Live grants of each kind at most: a long-running dev server must not grow without bound.
const MAX_GRANTS: usize = 200_000;

/// A client (relying party) registered with the mock provider.
#[derive(Clone)]
pub struct MockClient {
    id: String,
    secret: Secret,
    redirect_uris: Vec<String>,
}

impl fmt::Debug for MockClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockClient")
            .field("id", &self.id)
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

impl MockClient {
    /// A client with its secret and the exact redirect URIs it may use.
    pub fn new(id: &str, secret: &str, redirect_uris: impl IntoIterator<Item = String>) -> Self {
        Self {
            id: id.to_owned(),
            secret: Secret::new(secret),
            redirect_uris: redirect_uris.into_iter().collect(),
        }
    }

    /// The client id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The redirect URIs it may use, compared exactly.
    pub fn redirect_uris(&self) -> &[String] {
        &self.redirect_uris
    }
}

/// A made-up user: typed into the login form, picked from the [`presets`], or scripted.
///
/// ```
/// use social_mock::MockUser;
///
/// let alice = MockUser::new("alice").email("alice@example.com").name("Alice Liddell");
/// assert_eq!(alice.sub(), "alice");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MockUser {
    /// The login name (`preferred_username`); the user's `sub` is its lower-cased form.
    pub username: String,
    /// The e-mail address, unless withheld: without one, no `email` claim is given.
    pub email: Option<String>,
    /// Whether the provider vouches for the e-mail address (`email_verified`).
    pub email_verified: bool,
    /// The full name (`name`).
    pub name: Option<String>,
}

impl MockUser {
    /// A user with a username only: no e-mail address, no name.
    pub fn new(username: &str) -> Self {
        Self {
            username: username.to_owned(),
            email: None,
            email_verified: false,
            name: None,
        }
    }

    /// The preset user `username` of the login form (`alice`, `bob`), if there is one.
    pub fn preset(username: &str) -> Option<Self> {
        presets().into_iter().find(|p| p.username == username)
    }

    /// With this e-mail address, not verified.
    #[must_use]
    pub fn email(mut self, email: &str) -> Self {
        self.email = Some(email.to_owned());
        self.email_verified = false;
        self
    }

    /// With this e-mail address, vouched for by the provider (`email_verified: true`).
    #[must_use]
    pub fn verified_email(mut self, email: &str) -> Self {
        self.email = Some(email.to_owned());
        self.email_verified = true;
        self
    }

    /// Without an e-mail address: the provider withholds it, as a user may refuse to share it.
    #[must_use]
    pub fn without_email(mut self) -> Self {
        self.email = None;
        self.email_verified = false;
        self
    }

    /// With this full name.
    #[must_use]
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// The stable subject identifier.
    pub fn sub(&self) -> String {
        self.username.to_lowercase()
    }
}

/// The mock provider: issuer, signing key, clock, registered clients and the script of its
/// answers. Serve it with [`Self::router`] nested at the issuer's path, or on its own port
/// with [`Self::start`].
///
/// Clones share clients, script and grants: they are one provider.
#[derive(Clone)]
pub struct MockProvider {
    issuer: String,
    key: MockKey,
    clock: Arc<dyn Clock>,
    live: Arc<Live>,
}

impl fmt::Debug for MockProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clients: Vec<String> = read(&self.live.clients).keys().cloned().collect();
        f.debug_struct("MockProvider")
            .field("issuer", &self.issuer)
            .field("clients", &clients)
            .finish_non_exhaustive()
    }
}

/// What changes while the provider runs, shared by every clone and router of it.
#[derive(Default)]
struct Live {
    clients: RwLock<BTreeMap<String, MockClient>>,
    script: Mutex<Script>,
    grants: Mutex<Grants>,
    seen: Mutex<VecDeque<Authorization>>,
}

/// Authorization requests remembered for [`MockProvider::authorizations`], the latest ones.
const MAX_SEEN: usize = 1_000;

// A panic while holding one of these locks leaves plain maps behind: still consistent enough.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

impl MockProvider {
    /// A provider whose issuer is `issuer` (`http://127.0.0.1:8000/dev-provider`), signing
    /// with `key`, knowing `clients`.
    pub fn new(issuer: &str, key: MockKey, clients: impl IntoIterator<Item = MockClient>) -> Self {
        let provider = Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            key,
            clock: Arc::new(SystemClock),
            live: Arc::default(),
        };
        for client in clients {
            provider.register(client);
        }
        provider
    }

    /// Uses `clock` instead of the system clock (tests of expiry).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Registers `client`, replacing one with the same id.
    pub fn register(&self, client: MockClient) {
        write(&self.live.clients).insert(client.id.clone(), client);
    }

    /// Answers every authorization request from now on with `answer` (after those queued by
    /// [`Self::answer_next`]). [`Answer::Form`], the login form, is the default.
    pub fn answer_all(&self, answer: Answer) {
        lock(&self.live.script).standing = answer;
    }

    /// Answers the next authorization request with `answer`, once; several calls queue up.
    pub fn answer_next(&self, answer: Answer) {
        lock(&self.live.script).next.push_back(answer);
    }

    /// Logs `user` in at every authorization request from now on, without the form:
    /// `answer_all(Answer::LoginAs(user))`.
    pub fn login_as(&self, user: MockUser) {
        self.answer_all(Answer::LoginAs(user));
    }

    /// The authorization requests that passed validation, oldest first (the latest thousand),
    /// each with the answer it got: what the clients asked for. A login through the form
    /// shows twice: the form, then the person's choice.
    pub fn authorizations(&self) -> Vec<Authorization> {
        lock(&self.live.seen).iter().cloned().collect()
    }

    /// The routes, relative to the issuer's path: nest them there (or serve them at the root
    /// when the issuer has no path).
    pub fn router<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let state = Arc::new(Shared {
            provider: self.clone(),
        });
        Router::new()
            .route(
                "/authorize",
                get(login::authorize_page).post(login::authorize_submit),
            )
            .route("/token", axum::routing::post(token))
            .route("/userinfo", get(userinfo).post(userinfo))
            .route("/jwks", get(jwks))
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/style.css", get(|| async { crate::page::css() }))
            .with_state(state)
    }
}

/// What the handlers share.
struct Shared {
    provider: MockProvider,
}

type St = State<Arc<Shared>>;

impl Shared {
    fn grants(&self) -> MutexGuard<'_, Grants> {
        lock(&self.provider.live.grants)
    }

    fn now(&self) -> i64 {
        self.provider.clock.now()
    }

    fn client(&self, id: &str) -> Option<MockClient> {
        read(&self.provider.live.clients).get(id).cloned()
    }

    /// The scripted answer to the request being handled: the next queued one, else the
    /// standing one.
    fn take_answer(&self) -> Answer {
        let mut script = lock(&self.provider.live.script);
        match script.next.pop_front() {
            Some(answer) => answer,
            None => script.standing.clone(),
        }
    }

    /// Remembers that `request` was answered with `answer`.
    fn record(&self, request: &AuthRequest, answer: &Answer) {
        let mut seen = lock(&self.provider.live.seen);
        if seen.len() >= MAX_SEEN {
            seen.pop_front();
        }
        seen.push_back(Authorization {
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            state: request.state.clone(),
            nonce: request.nonce.clone(),
            form_post: request.form_post,
            answer: answer.clone(),
        });
    }

    /// The issuer's path, under which the provider's own links live.
    fn path(&self) -> String {
        url::Url::parse(&self.provider.issuer)
            .map(|u| u.path().trim_end_matches('/').to_owned())
            .unwrap_or_default()
    }

    /// Stylesheet of the provider's pages, beside them under the issuer path.
    fn css_href(&self) -> String {
        format!("{}/style.css", self.path())
    }
}

/// A validated authorization request: what a code is bound to.
#[derive(Debug, Clone)]
struct AuthRequest {
    client_id: String,
    redirect_uri: String,
    scope: Vec<String>,
    state: Option<String>,
    nonce: Option<String>,
    challenge: String,
    /// `response_mode=form_post`: the answer is POSTed to the redirect URI by the browser.
    form_post: bool,
}

impl AuthRequest {
    fn has_scope(&self, scope: &str) -> bool {
        self.scope.iter().any(|s| s == scope)
    }

    /// Sends the browser to `location` (the redirect URI with the answer in its query) the
    /// way the client asked: a redirect, or a page that POSTs the answer there from this
    /// site (`form_post`, as Apple answers).
    fn deliver(&self, location: &str) -> Response {
        if !self.form_post {
            return Redirect::to(location).into_response();
        }
        let (action, fields) = match url::Url::parse(location) {
            Ok(mut url) => {
                let fields: Vec<(String, String)> = url.query_pairs().into_owned().collect();
                url.set_query(None);
                (String::from(url), fields)
            }
            Err(_) => (location.to_owned(), Vec::new()),
        };
        let mut response =
            Html(social_core::Flow::auto_post_html(&action, &fields)).into_response();
        no_store(response.headers_mut());
        response
    }
}

#[derive(Debug, Clone)]
struct CodeGrant {
    request: AuthRequest,
    user: MockUser,
    auth_time: i64,
    expires_at: i64,
}

#[derive(Debug, Clone)]
struct TokenGrant {
    client_id: String,
    user: MockUser,
    scope: Vec<String>,
    expires_at: i64,
}

/// The tokens a code bought, revoked if the code is presented again (RFC 6749 4.1.2).
#[derive(Debug, Clone)]
struct SpentCode {
    access_token: String,
    refresh_token: String,
    forget_at: i64,
}

#[derive(Debug, Default)]
struct Grants {
    codes: HashMap<String, CodeGrant>,
    spent: HashMap<String, SpentCode>,
    access: HashMap<String, TokenGrant>,
    refresh: HashMap<String, TokenGrant>,
    /// Codes issued since expired grants were last swept out.
    since_sweep: usize,
}

impl Grants {
    /// Drops everything expired every 1024 codes (or when full), and says whether there is
    /// room left.
    fn make_room(&mut self, now: i64) -> bool {
        let full = |g: &Self| {
            [
                g.codes.len(),
                g.spent.len(),
                g.access.len(),
                g.refresh.len(),
            ]
            .into_iter()
            .any(|n| n >= MAX_GRANTS)
        };
        // Sweeping at every code would rescan every live grant at every login.
        self.since_sweep += 1;
        if self.since_sweep >= 1_024 || full(self) {
            self.since_sweep = 0;
            self.codes.retain(|_, g| g.expires_at > now);
            self.spent.retain(|_, s| s.forget_at > now);
            self.access.retain(|_, g| g.expires_at > now);
            self.refresh.retain(|_, g| g.expires_at > now);
        }
        !full(self)
    }
}

fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Request parameters in order, with repeated names detected (RFC 6749 3.1: each at most once).
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(encoded: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(encoded).into_owned().collect())
    }

    /// The value of `name`; `Err` when it is repeated. Empty values count as absent.
    fn get(&self, name: &str) -> Result<Option<&str>, String> {
        let mut values = self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v);
        let first = values.next();
        if values.next().is_some() {
            return Err(format!("`{name}` is repeated"));
        }
        Ok(first.map(String::as_str).filter(|v| !v.is_empty()))
    }
}

/// Why an authorization request was refused.
#[derive(Debug)]
enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: tell the user, send nothing anywhere.
    Page(String),
    /// Tell the client, at its (verified) redirect URI.
    Redirect(String),
}

/// Appends `params` to `base`'s query.
fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(base) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.into()
        }
        // Only registered redirect URIs get here, and those parse; keep it total anyway.
        Err(_) => base.to_owned(),
    }
}

impl Shared {
    /// Validates an authorization request the way RFC 6749 4.1.2.1 orders it: client and
    /// redirect URI first (never redirect to an unverified URI), then the rest.
    fn validate(&self, params: &Params) -> Result<AuthRequest, AuthorizeError> {
        let page = |e: String| AuthorizeError::Page(e);
        let client_id = params
            .get("client_id")
            .map_err(page)?
            .ok_or_else(|| page("The request has no client_id.".into()))?;
        let client = self
            .client(client_id)
            .ok_or_else(|| page(format!("No client is registered as `{client_id}`.")))?;
        let redirect_uri = params
            .get("redirect_uri")
            .map_err(page)?
            .ok_or_else(|| page("The request has no redirect_uri.".into()))?;
        if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
            return Err(page(format!(
                "`{redirect_uri}` is not a redirect URI of client `{client_id}`; it has: {}.",
                client.redirect_uris.join(", ")
            )));
        }
        let state = params.get("state").ok().flatten().map(str::to_owned);
        let refuse = |error: &str, description: &str| {
            let mut pairs = vec![
                ("error", error),
                ("error_description", description),
                ("iss", self.provider.issuer.as_str()),
            ];
            if let Some(state) = &state {
                pairs.push(("state", state));
            }
            AuthorizeError::Redirect(with_query(redirect_uri, &pairs))
        };
        let one = |name: &str| params.get(name).map_err(|e| refuse("invalid_request", &e));
        // Check every parameter for repetition before using any of them.
        for name in ["state", "scope", "nonce", "response_mode", "prompt"] {
            one(name)?;
        }
        match one("response_type")? {
            Some("code") => {}
            Some(_) => {
                return Err(refuse(
                    "unsupported_response_type",
                    "only response_type=code is supported",
                ));
            }
            None => return Err(refuse("invalid_request", "response_type is missing")),
        }
        let challenge = one("code_challenge")?.ok_or_else(|| {
            refuse(
                "invalid_request",
                "PKCE is required: send code_challenge (S256)",
            )
        })?;
        if one("code_challenge_method")? != Some("S256") {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        // S256 challenges are 32 bytes in unpadded base64url: 43 characters.
        if challenge.len() != 43
            || !challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(refuse(
                "invalid_request",
                "code_challenge is not an S256 challenge",
            ));
        }
        let scope = one("scope")?
            .map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let nonce = one("nonce")?.map(str::to_owned);
        let form_post = match one("response_mode")? {
            None | Some("query") => false,
            Some("form_post") => true,
            Some(_) => {
                return Err(refuse(
                    "invalid_request",
                    "response_mode must be query or form_post",
                ));
            }
        };
        Ok(AuthRequest {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scope,
            state,
            nonce,
            challenge: challenge.to_owned(),
            form_post,
        })
    }

    /// Issues a code for `user` and returns the redirect carrying it.
    fn issue_code(&self, request: AuthRequest, user: MockUser) -> Result<String, AuthorizeError> {
        let now = self.now();
        let code = random_token();
        let mut pairs = vec![
            ("code", code.as_str()),
            ("iss", self.provider.issuer.as_str()),
        ];
        if let Some(state) = &request.state {
            pairs.push(("state", state));
        }
        let location = with_query(&request.redirect_uri, &pairs);
        let mut grants = self.grants();
        if !grants.make_room(now) {
            let mut pairs = vec![
                ("error", "temporarily_unavailable"),
                ("error_description", "too many live grants"),
            ];
            if let Some(state) = &request.state {
                pairs.push(("state", state));
            }
            return Err(AuthorizeError::Redirect(with_query(
                &request.redirect_uri,
                &pairs,
            )));
        }
        grants.codes.insert(
            code,
            CodeGrant {
                request,
                user,
                auth_time: now,
                expires_at: now + CODE_TTL,
            },
        );
        Ok(location)
    }

    /// Sends the user back to the client with `error=access_denied`.
    fn deny(request: &AuthRequest, issuer: &str) -> String {
        let mut pairs = vec![
            ("error", "access_denied"),
            ("error_description", "the user denied the request"),
            ("iss", issuer),
        ];
        if let Some(state) = &request.state {
            pairs.push(("state", state));
        }
        with_query(&request.redirect_uri, &pairs)
    }
}

/// An RFC 6749 5.2 error answer of the token endpoint.
fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response();
    no_store(response.headers_mut());
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Basic realm="social-mock""#),
        );
    }
    response
}

fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

fn invalid_request(description: &str) -> Response {
    token_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_grant(description: &str) -> Response {
    token_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// Authenticates the client: HTTP Basic (RFC 6749 2.3.1, form-encoded parts) or
/// `client_id` + `client_secret` in the body, never both.
fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    params: &Params,
) -> Result<MockClient, Box<Response>> {
    let invalid_client =
        |why: &str| Box::new(token_error(StatusCode::UNAUTHORIZED, "invalid_client", why));
    let invalid_request = |why: &str| Box::new(invalid_request(why));
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        });
    let body_id = params.get("client_id").map_err(|e| invalid_request(&e))?;
    let body_secret = params
        .get("client_secret")
        .map_err(|e| invalid_request(&e))?;
    let (id, secret) = match (basic, body_secret) {
        (Some(_), Some(_)) => {
            return Err(invalid_request(
                "use one client authentication method, not two",
            ));
        }
        (Some(encoded), None) => {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| invalid_client("malformed Basic credentials"))?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| invalid_client("malformed Basic credentials"))?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            let id = decode(id);
            if body_id.is_some_and(|b| b != id) {
                return Err(invalid_request(
                    "client_id differs from the Basic credentials",
                ));
            }
            (id, decode(secret))
        }
        (None, Some(secret)) => {
            let id = body_id.ok_or_else(|| invalid_client("client_id is missing"))?;
            (id.to_owned(), secret.to_owned())
        }
        (None, None) => return Err(invalid_client("client authentication is missing")),
    };
    let client = shared
        .client(&id)
        .ok_or_else(|| invalid_client("unknown client"))?;
    if !bool::from(client.secret.secret().as_bytes().ct_eq(secret.as_bytes())) {
        return Err(invalid_client("wrong client secret"));
    }
    Ok(client)
}

async fn token(State(shared): St, headers: HeaderMap, body: Bytes) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return invalid_request("send an application/x-www-form-urlencoded body");
    }
    let params = Params::parse(&body);
    let client = match authenticate(&shared, &headers, &params) {
        Ok(client) => client,
        Err(response) => return *response,
    };
    match params.get("grant_type") {
        Ok(Some("authorization_code")) => code_grant(&shared, &client, &params),
        Ok(Some("refresh_token")) => refresh_grant(&shared, &client, &params),
        Ok(Some(_)) => token_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code and refresh_token are supported",
        ),
        Ok(None) => invalid_request("grant_type is missing"),
        Err(e) => invalid_request(&e),
    }
}

fn code_grant(shared: &Shared, client: &MockClient, params: &Params) -> Response {
    let (code, redirect_uri, verifier) = match (
        params.get("code"),
        params.get("redirect_uri"),
        params.get("code_verifier"),
    ) {
        (Ok(Some(c)), Ok(r), Ok(v)) => (c, r, v),
        (Ok(None), ..) => return invalid_request("code is missing"),
        (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return invalid_request(&e),
    };
    let now = shared.now();
    let mut grants = shared.grants();
    // Single use: the code is gone whatever happens next.
    let Some(grant) = grants.codes.remove(code) else {
        if let Some(spent) = grants.spent.remove(code) {
            // A replayed code means it leaked: whoever holds its tokens loses them.
            grants.access.remove(&spent.access_token);
            grants.refresh.remove(&spent.refresh_token);
            tracing::warn!(
                client = client.id,
                "an authorization code was presented twice; its tokens are revoked"
            );
            return invalid_grant("the code was already used; its tokens are revoked");
        }
        return invalid_grant("unknown code");
    };
    if grant.expires_at <= now {
        return invalid_grant("the code expired");
    }
    if grant.request.client_id != client.id {
        return invalid_grant("the code was issued to another client");
    }
    if redirect_uri != Some(grant.request.redirect_uri.as_str()) {
        return invalid_grant("redirect_uri differs from the authorization request");
    }
    let Some(verifier) = verifier else {
        return invalid_grant("code_verifier is missing");
    };
    // RFC 7636 4.1: 43 to 128 unreserved characters.
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if !well_formed
        || !bool::from(
            computed
                .as_bytes()
                .ct_eq(grant.request.challenge.as_bytes()),
        )
    {
        return invalid_grant("code_verifier does not match the code_challenge");
    }
    let access_token = random_token();
    let refresh_token = random_token();
    let token_grant = TokenGrant {
        client_id: client.id.clone(),
        user: grant.user.clone(),
        scope: grant.request.scope.clone(),
        expires_at: now + ACCESS_TOKEN_TTL,
    };
    grants
        .access
        .insert(access_token.clone(), token_grant.clone());
    grants.refresh.insert(
        refresh_token.clone(),
        TokenGrant {
            expires_at: now + REFRESH_TOKEN_TTL,
            ..token_grant
        },
    );
    grants.spent.insert(
        code.to_owned(),
        SpentCode {
            access_token: access_token.clone(),
            refresh_token: refresh_token.clone(),
            forget_at: now + REFRESH_TOKEN_TTL,
        },
    );
    drop(grants);
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL,
        "refresh_token": refresh_token,
        "scope": grant.request.scope.join(" "),
    });
    if grant.request.has_scope("openid") {
        match id_token(shared, &grant, &access_token, now) {
            Ok(jwt) => body["id_token"] = Value::String(jwt),
            Err(error) => {
                tracing::error!(%error, "could not sign an ID token");
                return token_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "could not sign the ID token",
                );
            }
        }
    }
    token_ok(body)
}

fn token_ok(body: Value) -> Response {
    let mut response = Json(body).into_response();
    no_store(response.headers_mut());
    response
}

#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    sub: String,
    aud: &'a str,
    azp: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    at_hash: String,
    #[serde(flatten)]
    profile: Map,
}

type Map = serde_json::Map<String, Value>;

/// The claims of `user` that `scope` grants: `profile` and `email`.
fn scoped_claims(user: &MockUser, scope: &[String]) -> Map {
    let mut claims = Map::new();
    if scope.iter().any(|s| s == "profile") {
        claims.insert("preferred_username".into(), user.username.clone().into());
        if let Some(name) = &user.name {
            claims.insert("name".into(), name.clone().into());
        }
    }
    if scope.iter().any(|s| s == "email")
        && let Some(email) = &user.email
    {
        claims.insert("email".into(), email.clone().into());
        claims.insert("email_verified".into(), user.email_verified.into());
    }
    claims
}

fn id_token(
    shared: &Shared,
    grant: &CodeGrant,
    access_token: &str,
    now: i64,
) -> Result<String, KeyError> {
    let digest = Sha256::digest(access_token.as_bytes());
    let claims = IdClaims {
        iss: &shared.provider.issuer,
        sub: grant.user.sub(),
        aud: &grant.request.client_id,
        azp: &grant.request.client_id,
        exp: now + ID_TOKEN_TTL,
        iat: now,
        auth_time: grant.auth_time,
        nonce: grant.request.nonce.as_deref(),
        // OpenID Connect Core 3.1.3.6: the left half of the access token's SHA-256.
        at_hash: URL_SAFE_NO_PAD.encode(&digest[..16]),
        profile: scoped_claims(&grant.user, &grant.request.scope),
    };
    shared.provider.key.sign(&claims)
}

fn refresh_grant(shared: &Shared, client: &MockClient, params: &Params) -> Response {
    let (refresh, scope) = match (params.get("refresh_token"), params.get("scope")) {
        (Ok(Some(r)), Ok(s)) => (r, s),
        (Ok(None), _) => return invalid_request("refresh_token is missing"),
        (Err(e), _) | (_, Err(e)) => return invalid_request(&e),
    };
    let now = shared.now();
    let mut grants = shared.grants();
    let Some(grant) = grants.refresh.get(refresh).cloned() else {
        return invalid_grant("unknown or revoked refresh token");
    };
    if grant.client_id != client.id {
        return invalid_grant("the refresh token was issued to another client");
    }
    if grant.expires_at <= now {
        grants.refresh.remove(refresh);
        return invalid_grant("the refresh token expired");
    }
    let scope = match scope {
        None => grant.scope.clone(),
        Some(asked) => {
            let asked: Vec<String> = asked
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if asked.iter().any(|s| !grant.scope.contains(s)) {
                return token_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_scope",
                    "a refresh may only narrow the granted scope",
                );
            }
            asked
        }
    };
    // Rotation: the old refresh token is spent, a new one replaces it.
    grants.refresh.remove(refresh);
    let access_token = random_token();
    let new_refresh = random_token();
    grants.access.insert(
        access_token.clone(),
        TokenGrant {
            scope: scope.clone(),
            expires_at: now + ACCESS_TOKEN_TTL,
            ..grant.clone()
        },
    );
    grants.refresh.insert(new_refresh.clone(), grant);
    drop(grants);
    token_ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL,
        "refresh_token": new_refresh,
        "scope": scope.join(" "),
    }))
}

async fn userinfo(State(shared): St, headers: HeaderMap) -> Response {
    let unauthorized = |error: &'static str, description: &str| {
        let challenge = format!(r#"Bearer realm="social-mock", error="{error}""#);
        let mut response = (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": error, "error_description": description})),
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    };
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
    else {
        return unauthorized(
            "invalid_request",
            "send the access token as a Bearer header",
        );
    };
    let now = shared.now();
    let grant = shared.grants().access.get(token).cloned();
    match grant {
        Some(grant) if grant.expires_at > now => {
            let mut claims = scoped_claims(&grant.user, &grant.scope);
            claims.insert("sub".into(), grant.user.sub().into());
            let mut response = Json(Value::Object(claims)).into_response();
            no_store(response.headers_mut());
            response
        }
        Some(_) => unauthorized("invalid_token", "the access token expired"),
        None => unauthorized("invalid_token", "unknown or revoked access token"),
    }
}

async fn jwks(State(shared): St) -> Json<Value> {
    Json(json!({"keys": [shared.provider.key.jwk()]}))
}

async fn discovery(State(shared): St) -> Json<Value> {
    let issuer = &shared.provider.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "at_hash",
            "preferred_username", "name", "email", "email_verified"
        ],
        "authorization_response_iss_parameter_supported": true,
    }))
}

/// Where the form or the checks send the browser: a redirect, or a page explaining why not.
fn authorize_error(shared: &Shared, error: AuthorizeError) -> Response {
    match error {
        AuthorizeError::Redirect(location) => Redirect::to(&location).into_response(),
        AuthorizeError::Page(message) => login::error_page(shared, &message),
    }
}

/// Raw query of a GET, for [`Params`].
fn query_params(RawQuery(query): RawQuery) -> Params {
    Params::parse(query.unwrap_or_default().as_bytes())
}
