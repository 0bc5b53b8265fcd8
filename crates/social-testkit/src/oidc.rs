//! OpenID Connect conformance checks, and signing keys for tests.
//!
//! An OpenID Connect token response carries an ID token signed by the provider and bound to the
//! login's `nonce`, so it cannot be a recorded fixture: the checks here play the provider with
//! a key generated at run time, publish it in a JWKS, and mint each ID token with the nonce the
//! backend put in the authorize URL. A provider crate declares an [`OidcFixture`] and runs
//! every check with [`oidc_conformance!`](crate::oidc_conformance):
//!
//! - the authorize URL (snapshot; discovered endpoint, `state`, a fresh `nonce` per login kept
//!   with the pending login, PKCE when declared),
//! - the token request (client authentication, PKCE verifier),
//! - a full login (snapshot of uid, details and extra data; discovery and keys fetched once),
//! - ID tokens that must fail at the callback (nonce, issuer, audience, expiry, signature,
//!   `alg: none`, missing), and the other failure paths, each with nothing written,
//! - replay, key rotation (one JWKS refetch), refresh with a fresh ID token.

use std::sync::{Arc, OnceLock};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::{elliptic_curve::sec1::ToEncodedPoint as _, pkcs8::EncodePrivateKey as _};
use rsa::{pkcs1::EncodeRsaPrivateKey as _, traits::PublicKeyParts as _};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use social_core::{
    Backend, ErrorKind, MemoryStrategy, Outcome, Strategy, clock::Clock, clock::SystemClock,
};
use wiremock::{Mock, ResponseTemplate, matchers};

use super::provider::{CLIENT_ID, Fixture, Harness, expect_kind, param};

/// A signing key of the fake provider.
#[derive(Clone)]
pub struct TestKey {
    pem: String,
    kid: String,
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
    public: Vec<u8>,
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

fn rsa_key(index: usize) -> &'static rsa::RsaPrivateKey {
    // RSA generation is slow in debug builds: three keys per test process, made on first use.
    static KEYS: [OnceLock<rsa::RsaPrivateKey>; 3] =
        [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    KEYS[index % KEYS.len()].get_or_init(|| {
        rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
            .unwrap_or_else(|e| panic!("RSA key generation: {e}"))
    })
}

/// `der` as a PEM block labelled `label`.
fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

fn random_kid(prefix: &str) -> String {
    let bytes: [u8; 9] = std::array::from_fn(|_| rand_byte());
    format!("{prefix}-{}", URL_SAFE_NO_PAD.encode(bytes))
}

fn rand_byte() -> u8 {
    use rsa::rand_core::RngCore as _;
    let mut b = [0u8; 1];
    rsa::rand_core::OsRng.fill_bytes(&mut b);
    b[0]
}

impl TestKey {
    /// RSA key number `index` (0 to 2) of this process, signing with `alg` (RS256, PS256, ...)
    /// under a fresh random `kid`.
    pub fn rsa(index: usize, alg: Algorithm) -> Self {
        let key = rsa_key(index);
        let der = key
            .to_pkcs1_der()
            .unwrap_or_else(|e| panic!("RSA key encoding: {e}"));
        let public = key.to_public_key();
        let kid = random_kid("rsa");
        let jwk = json!({
            "kty": "RSA",
            "use": "sig",
            "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        });
        Self {
            pem: pem("RSA PRIVATE KEY", der.as_bytes()),
            kid,
            alg,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            public: public.n().to_bytes_be(),
            jwk,
        }
    }

    /// A fresh P-256 key signing with ES256.
    pub fn ec() -> Self {
        let secret = p256::SecretKey::random(&mut rsa::rand_core::OsRng);
        let der = secret
            .to_pkcs8_der()
            .unwrap_or_else(|e| panic!("EC key encoding: {e}"));
        let point = secret.public_key().to_encoded_point(false);
        let (x, y) = (
            point.x().map(|x| x.to_vec()).unwrap_or_default(),
            point.y().map(|y| y.to_vec()).unwrap_or_default(),
        );
        let kid = random_kid("ec");
        let jwk = json!({
            "kty": "EC", "use": "sig", "crv": "P-256", "kid": kid,
            "x": URL_SAFE_NO_PAD.encode(&x), "y": URL_SAFE_NO_PAD.encode(&y),
        });
        Self {
            pem: pem("PRIVATE KEY", der.as_bytes()),
            kid,
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            public: point.as_bytes().to_vec(),
            jwk,
        }
    }

    /// The private key in PEM, as a client's `PRIVATE_KEY` setting holds it.
    pub fn private_pem(&self) -> &str {
        &self.pem
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> Value {
        self.jwk.clone()
    }

    /// The raw public key bytes, as an attacker would feed them to HMAC.
    pub fn public_bytes(&self) -> &[u8] {
        &self.public
    }

    /// Signs `claims` with this key, its algorithm and its `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        self.sign_with(header, claims)
    }

    /// Signs `claims` with this key under `header`.
    pub fn sign_with(&self, header: Header, claims: &Value) -> String {
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .unwrap_or_else(|e| panic!("signing: {e}"))
    }
}

/// A JWKS holding `keys`.
pub fn jwks(keys: &[&TestKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() })
}

/// A token signed with HMAC-SHA256 under `secret` (for algorithm-confusion checks).
pub fn hs256(secret: &[u8], kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret))
        .unwrap_or_else(|e| panic!("signing: {e}"))
}

/// An unsigned token (`alg: none`).
pub fn unsigned(kid: Option<&str>, claims: &Value) -> String {
    let header = match kid {
        Some(kid) => json!({"alg": "none", "typ": "JWT", "kid": kid}),
        None => json!({"alg": "none", "typ": "JWT"}),
    };
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// Standard ID-token claims for `issuer`, our client, `sub`, issued `now`, valid ten minutes.
pub fn claims(issuer: &str, sub: &str, nonce: Option<&str>, now: i64) -> Value {
    let mut claims = json!({
        "iss": issuer, "sub": sub, "aud": CLIENT_ID, "iat": now, "exp": now + 600,
    });
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    claims
}

/// What the fake provider serves: discovery, keys, token and userinfo answers.
///
/// Bodies may use `{server}` for the fake server's URL and `{issuer}` for the issuer.
#[derive(Debug, Clone)]
pub struct OidcFixture {
    fixture: Fixture,
    name: String,
    issuer_path: String,
    discovery: String,
    token: String,
    token_path: String,
    userinfo: Option<(String, String)>,
    jwks_path: String,
    claims: Value,
    sub: String,
    echoes_nonce: bool,
    ec: bool,
}

impl OidcFixture {
    /// Fixtures of backend `name` whose issuer is `{server}{issuer_path}`, with a discovery
    /// document (`discovery`), a token answer without `id_token` (`token`), the ID token's
    /// subject and its other claims.
    pub fn new(
        name: &str,
        issuer_path: &str,
        discovery: &str,
        token: &str,
        sub: &str,
        claims: Value,
    ) -> Self {
        let doc: Value = serde_json::from_str(discovery)
            .unwrap_or_else(|e| panic!("discovery fixture is not JSON: {e}"));
        let path = |field: &str| {
            let url = doc[field].as_str().unwrap_or_default();
            url.strip_prefix("{server}").unwrap_or(url).to_owned()
        };
        let fixture = Fixture::new(name)
            .endpoint("oidc_endpoint", issuer_path)
            .endpoint("authorization_url", &path("authorization_endpoint"));
        Self {
            fixture,
            name: name.to_owned(),
            issuer_path: issuer_path.to_owned(),
            discovery: discovery.to_owned(),
            token: token.to_owned(),
            token_path: path("token_endpoint"),
            userinfo: doc["userinfo_endpoint"]
                .as_str()
                .map(|_| (path("userinfo_endpoint"), String::new())),
            jwks_path: path("jwks_uri"),
            claims,
            sub: sub.to_owned(),
            echoes_nonce: true,
            ec: false,
        }
    }

    /// Snapshots go to `dir` (the suite's macro sets the crate's `tests/snapshots` folder).
    #[must_use]
    pub fn snapshots(mut self, dir: &str) -> Self {
        self.fixture = self.fixture.snapshots(dir);
        self
    }

    /// Sets the snapshot folder of the crate at `manifest_dir` for the suite module `module`,
    /// unless one was set. Used by the suite's macro.
    #[doc(hidden)]
    #[must_use]
    pub fn in_crate(mut self, manifest_dir: &str, module: Option<&str>) -> Self {
        self.fixture = self.fixture.in_crate(manifest_dir, module);
        self
    }

    /// The userinfo answer (its path comes from the discovery document).
    #[must_use]
    pub fn userinfo(mut self, body: &str) -> Self {
        if let Some((_, b)) = &mut self.userinfo {
            *b = body.to_owned();
        }
        self
    }

    /// The provider does not echo the nonce in its ID tokens.
    #[must_use]
    pub fn without_nonce_echo(mut self) -> Self {
        self.echoes_nonce = false;
        self
    }

    /// The provider signs with ES256 instead of RS256.
    #[must_use]
    pub fn es256(mut self) -> Self {
        self.ec = true;
        self
    }

    /// A provider-specific setting for the backend.
    #[must_use]
    pub fn option(mut self, name: &str, value: &str) -> Self {
        self.fixture = self.fixture.option(name, value);
        self
    }

    /// A fake provider with this fixture's key; discovery and keys are mounted.
    pub async fn start(&self, backend: Arc<dyn Backend>) -> Provider {
        let harness = Harness::new(backend, &self.fixture).await;
        let server = harness.server.uri();
        let key = if self.ec {
            TestKey::ec()
        } else {
            TestKey::rsa(0, Algorithm::RS256)
        };
        let provider = Provider {
            issuer: format!("{server}{}", self.issuer_path),
            harness,
            key,
            fixture: self.clone(),
        };
        provider.mount_metadata().await;
        provider
    }

    fn fill(&self, text: &str, server: &str) -> String {
        text.replace("{issuer}", &format!("{server}{}", self.issuer_path))
            .replace("{server}", server)
    }
}

/// A running fake provider.
#[derive(Debug)]
pub struct Provider {
    /// The harness: server, [`social_core::SocialAuth`], storage.
    pub harness: Harness,
    /// The issuer URL.
    pub issuer: String,
    /// The key the provider signs with.
    pub key: TestKey,
    fixture: OidcFixture,
}

impl Provider {
    async fn mount_metadata(&self) {
        let f = &self.fixture;
        let server = self.harness.server.uri();
        let well_known = format!("{}/.well-known/openid-configuration", f.issuer_path);
        json_mock("GET", &well_known, f.fill(&f.discovery, &server))
            .mount(&self.harness.server)
            .await;
        json_mock("GET", &f.jwks_path, jwks(&[&self.key]).to_string())
            .mount(&self.harness.server)
            .await;
    }

    /// Clears every mock and mounts discovery and keys again.
    pub async fn reset(&self) {
        self.harness.server.reset().await;
        self.mount_metadata().await;
    }

    /// The fixture's ID-token claims with `nonce`, issued now.
    pub fn claims(&self, nonce: Option<&str>) -> Value {
        let mut claims = claims(&self.issuer, &self.fixture.sub, nonce, SystemClock.now());
        if let (Some(all), Some(extra)) = (claims.as_object_mut(), self.fixture.claims.as_object())
        {
            for (k, v) in extra {
                all.insert(k.clone(), v.clone());
            }
        }
        claims
    }

    /// The nonce the backend should expect, as the provider echoes it.
    fn echoed(&self, nonce: &str) -> Option<String> {
        self.fixture.echoes_nonce.then(|| nonce.to_owned())
    }

    /// Mounts the token answer carrying `id_token`, expected `times` times.
    pub async fn mount_token(&self, id_token: Option<&str>, times: u64) {
        let server = self.harness.server.uri();
        let mut body: Value =
            serde_json::from_str(&self.fixture.fill(&self.fixture.token, &server))
                .unwrap_or_else(|e| panic!("token fixture is not JSON: {e}"));
        if let Some(id_token) = id_token {
            body["id_token"] = json!(id_token);
        }
        // Spent answers step aside, so that the next login gets its own ID token.
        json_mock("POST", &self.fixture.token_path, body.to_string())
            .up_to_n_times(times)
            .expect(times)
            .mount(&self.harness.server)
            .await;
    }

    /// The access token of the token fixture.
    fn access_token(&self) -> String {
        let body: Value = serde_json::from_str(&self.fixture.token).unwrap_or_default();
        body["access_token"].as_str().unwrap_or_default().to_owned()
    }

    /// Mounts the userinfo answer, if the provider has one: answered only to a request that
    /// carries the access token as a bearer token.
    pub async fn mount_userinfo(&self) {
        if let Some((path, body)) = &self.fixture.userinfo {
            let body = self.fixture.fill(body, &self.harness.server.uri());
            Mock::given(matchers::method("GET"))
                .and(matchers::path(path.clone()))
                .and(crate::TokenMatcher::new(
                    social_core::TokenIn::Bearer,
                    &self.access_token(),
                ))
                .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
                .mount(&self.harness.server)
                .await;
        }
    }

    /// Begins a login: the session, the authorize URL and the nonce it carries.
    pub async fn begin(&self) -> (MemoryStrategy, url::Url, String) {
        let (session, url) = self.harness.begin().await;
        let nonce = param(&url, "nonce").unwrap_or_default();
        (session, url, nonce)
    }

    /// Completes a login begun with `begin`, the token endpoint answering `id_token`.
    pub async fn callback(
        &self,
        session: &MemoryStrategy,
        url: &url::Url,
    ) -> social_core::Result<Outcome> {
        let state = param(url, "state").unwrap_or_default();
        let mut fields = vec![("code", "test-code"), ("state", state.as_str())];
        // A provider that advertises RFC 9207 names itself in its answers.
        let discovery: Value = serde_json::from_str(&self.fixture.discovery).unwrap_or_default();
        if discovery["authorization_response_iss_parameter_supported"] == Value::Bool(true) {
            fields.push(("iss", self.issuer.as_str()));
        }
        self.harness.callback(session, &fields).await
    }

    /// A whole login whose ID token is `mint(claims with the echoed nonce)`.
    pub async fn login_with(
        &self,
        mint: impl FnOnce(&Self, Value) -> Option<String>,
    ) -> social_core::Result<Outcome> {
        let (session, url, nonce) = self.begin().await;
        let claims = self.claims(self.echoed(&nonce).as_deref());
        let id_token = mint(self, claims);
        self.mount_token(id_token.as_deref(), 1).await;
        self.mount_userinfo().await;
        self.callback(&session, &url).await
    }

    /// A whole, valid login.
    pub async fn login(&self) -> social_core::Login {
        match self.login_with(|p, c| Some(p.key.sign(&c))).await {
            Ok(Outcome::LoggedIn(login)) => login,
            other => panic!("login failed: {other:?}"),
        }
    }
}

fn json_mock(method: &str, path: &str, body: String) -> Mock {
    Mock::given(matchers::method(method))
        .and(matchers::path(path.to_owned()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
}

fn snapshot(fixture: &OidcFixture, name: &str, value: &Value) {
    crate::snapshot_in(&fixture.fixture.snapshot_dir, name, value);
}

/// The authorize URL: discovered endpoint, client id, callback, `openid` scope, `state` and a
/// fresh `nonce` kept with the pending login, PKCE when declared; a snapshot of the rest.
pub async fn authorize_url(backend: Arc<dyn Backend>, fixture: OidcFixture) {
    let pkce = backend.capabilities().pkce;
    let p = fixture.start(backend).await;
    let (session, url, nonce) = p.begin().await;
    let discovered: Value =
        serde_json::from_str(&fixture.fill(&fixture.discovery, &p.harness.server.uri()))
            .unwrap_or_default();
    assert_eq!(
        url[..url::Position::AfterPath],
        discovered["authorization_endpoint"]
            .as_str()
            .unwrap_or_default()[..],
        "the discovered authorization endpoint"
    );
    assert_eq!(param(&url, "client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(param(&url, "response_type").as_deref(), Some("code"));
    let scope = param(&url, "scope").unwrap_or_default();
    assert!(
        scope.split(' ').any(|s| s == "openid"),
        "scope has openid: {scope}"
    );
    assert!(nonce.len() >= 22, "nonce is long and random: {nonce:?}");
    let pending = session
        .session_get(&social_oauth2::pending_key(&fixture.name))
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(
        pending["sent"],
        json!([["nonce", nonce]]),
        "the nonce is kept with the pending login"
    );
    assert_eq!(pending["state"], json!(param(&url, "state")));
    let (_, url2, nonce2) = p.begin().await;
    assert_ne!(nonce, nonce2, "nonce is fresh per login");
    if pkce {
        assert_eq!(
            param(&url, "code_challenge_method").as_deref(),
            Some("S256")
        );
        assert_ne!(
            param(&url, "code_challenge"),
            param(&url2, "code_challenge"),
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
    for random in ["state", "nonce", "code_challenge"] {
        if params.contains_key(random) {
            params.insert(random.into(), json!("[random]"));
        }
    }
    params.insert("redirect_uri".into(), json!(param(&url, "redirect_uri")));
    snapshot(&fixture, "authorize_url", &Value::Object(params));
}

/// The token request: grant, code, callback, client authentication, PKCE verifier.
pub async fn token_request(backend: Arc<dyn Backend>, fixture: OidcFixture) {
    let pkce = backend.capabilities().pkce;
    let p = fixture.start(backend).await;
    let (session, url, nonce) = p.begin().await;
    let claims = p.claims(p.echoed(&nonce).as_deref());
    p.mount_token(Some(&p.key.sign(&claims)), 1).await;
    p.mount_userinfo().await;
    let outcome = p.callback(&session, &url).await;
    assert!(
        matches!(outcome, Ok(Outcome::LoggedIn(_))),
        "login: {outcome:?}"
    );
    let requests = p
        .harness
        .server
        .received_requests()
        .await
        .unwrap_or_default();
    let sent: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == fixture.token_path)
        .collect();
    assert_eq!(sent.len(), 1, "exactly one token request");
    let mut form: serde_json::Map<String, Value> = url::form_urlencoded::parse(&sent[0].body)
        .map(|(k, v)| (k.into_owned(), json!(v)))
        .collect();
    assert_eq!(form.get("grant_type"), Some(&json!("authorization_code")));
    assert_eq!(form.get("code"), Some(&json!("test-code")));
    if pkce {
        let verifier = form
            .get("code_verifier")
            .and_then(Value::as_str)
            .unwrap_or_default();
        assert_eq!(
            Some(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))),
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
    if form.contains_key("client_secret") {
        form.insert("client_secret".into(), json!("[secret]"));
    }
    let basic = sent[0]
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Basic "));
    snapshot(
        &fixture,
        "token_request",
        &json!({"client_auth": if basic { "basic" } else { "body" }, "form": form}),
    );
}

/// A full login: the mapping snapshot, the stored account with its ID token, and a returning
/// user; discovery and keys are fetched once for both logins.
pub async fn login(backend: Arc<dyn Backend>, fixture: OidcFixture) {
    let p = fixture.start(backend).await;
    let login = p.login().await;
    assert!(
        login.is_new && login.new_association,
        "first login creates user and account"
    );
    let account = login
        .account
        .clone()
        .unwrap_or_else(|| panic!("no account"));
    assert_eq!(account.uid, fixture.sub, "the uid is the ID token's `sub`");
    let tokens = account
        .tokens()
        .unwrap_or_else(|| panic!("no tokens stored"));
    assert!(
        tokens.id_token.is_some(),
        "the ID token is stored for logout"
    );
    let mut extra = account.extra_data.clone();
    for (key, value) in extra.iter_mut() {
        if ["access_token", "refresh_token", "id_token"].contains(&key.as_str()) {
            *value = json!("[token]");
        } else if ["auth_time", "expires_at"].contains(&key.as_str()) {
            *value = json!("[time]");
        }
    }
    let user = &login.user;
    snapshot(
        &fixture,
        "user_mapping",
        &json!({
            "uid": account.uid,
            "user": {"username": user.username, "email": user.email,
                     "email_verified": user.email_verified, "fullname": user.fullname,
                     "first_name": user.first_name, "last_name": user.last_name},
            "extra_data": extra,
        }),
    );
    let again = p.login().await;
    assert!(
        !again.is_new && !again.new_association,
        "second login finds the user"
    );
    assert_eq!(again.user.id, login.user.id);
    let requests = p
        .harness
        .server
        .received_requests()
        .await
        .unwrap_or_default();
    for (what, path) in [
        (
            "discovery",
            format!("{}/.well-known/openid-configuration", fixture.issuer_path),
        ),
        ("JWKS", fixture.jwks_path.clone()),
    ] {
        let n = requests.iter().filter(|r| r.url.path() == path).count();
        assert_eq!(n, 1, "{what} fetched once for two logins");
    }
}

/// ID tokens that must not log anyone in, each refused at the callback with nothing written.
pub async fn id_token_failures(backend: Arc<dyn Backend>, fixture: OidcFixture) {
    let p = fixture.start(backend).await;
    type Mint = fn(&Provider, Value) -> Option<String>;
    let cases: [(&str, Mint); 9] = [
        ("no id_token", |_, _| None),
        ("wrong nonce", |p, mut c| {
            c["nonce"] = json!("not-the-nonce-of-this-login");
            Some(p.key.sign(&c))
        }),
        ("wrong issuer", |p, mut c| {
            c["iss"] = json!("https://evil.example.com");
            Some(p.key.sign(&c))
        }),
        ("another audience", |p, mut c| {
            c["aud"] = json!(["someone-else"]);
            Some(p.key.sign(&c))
        }),
        ("expired", |p, mut c| {
            let now = SystemClock.now();
            c["iat"] = json!(now - 400);
            c["exp"] = json!(now - 300);
            Some(p.key.sign(&c))
        }),
        ("foreign key", |p, c| {
            let mut header = jsonwebtoken::Header::new(p.key.alg);
            header.kid = Some(p.key.kid().to_owned());
            let other = if p.key.alg == Algorithm::ES256 {
                TestKey::ec()
            } else {
                TestKey::rsa(1, p.key.alg)
            };
            Some(other.sign_with(header, &c))
        }),
        ("alg none", |p, c| Some(unsigned(Some(p.key.kid()), &c))),
        ("HS256 with the public key", |p, c| {
            Some(hs256(p.key.public_bytes(), Some(p.key.kid()), &c))
        }),
        ("garbage", |_, _| Some("not.a.jwt".to_owned())),
    ];
    for (case, mint) in cases {
        p.reset().await;
        let result = p.login_with(mint).await;
        expect_kind(case, result, ErrorKind::Failed);
        p.harness.assert_nothing_written(case);
    }
}

/// The other failure paths: user denied, state, token endpoint, discovery, keys, userinfo.
pub async fn failures(backend: Arc<dyn Backend>, fixture: OidcFixture) {
    let p = fixture.start(backend.clone()).await;
    let (session, url, _) = p.begin().await;
    let state = param(&url, "state").unwrap_or_default();
    let denied = p
        .harness
        .callback(&session, &[("error", "access_denied"), ("state", &state)])
        .await;
    expect_kind("user denied", denied, ErrorKind::Canceled);
    let fresh = MemoryStrategy::new("http://testserver");
    let missing = p
        .harness
        .callback(&fresh, &[("code", "c"), ("state", "x")])
        .await;
    expect_kind("state missing", missing, ErrorKind::StateMissing);
    let (session, _, _) = p.begin().await;
    let wrong = p
        .harness
        .callback(
            &session,
            &[("code", "c"), ("state", "forged-state-value-0000")],
        )
        .await;
    expect_kind("wrong state", wrong, ErrorKind::StateMismatch);

    p.reset().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(fixture.token_path.clone()))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_raw(r#"{"error":"invalid_grant"}"#, "application/json"),
        )
        .mount(&p.harness.server)
        .await;
    let (session, url, _) = p.begin().await;
    expect_kind(
        "token endpoint 400",
        p.callback(&session, &url).await,
        ErrorKind::TokenError,
    );

    if fixture.userinfo.is_some() {
        p.reset().await;
        let (session, url, nonce) = p.begin().await;
        let claims = p.claims(p.echoed(&nonce).as_deref());
        p.mount_token(Some(&p.key.sign(&claims)), 1).await;
        let (path, body) = fixture.userinfo.clone().unwrap_or_default();
        let mut info: Value = serde_json::from_str(&body).unwrap_or_else(|_| json!({}));
        info["sub"] = json!("somebody-else");
        json_mock("GET", &path, info.to_string())
            .mount(&p.harness.server)
            .await;
        expect_kind(
            "userinfo about another sub",
            p.callback(&session, &url).await,
            ErrorKind::Failed,
        );
        p.reset().await;
        let (session, url, nonce) = p.begin().await;
        let claims = p.claims(p.echoed(&nonce).as_deref());
        p.mount_token(Some(&p.key.sign(&claims)), 1).await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path(path))
            .respond_with(ResponseTemplate::new(401))
            .mount(&p.harness.server)
            .await;
        expect_kind(
            "userinfo 401",
            p.callback(&session, &url).await,
            ErrorKind::ProviderRejected,
        );
    }
    p.harness.assert_nothing_written("failures");

    // A provider whose discovery is down: nothing can start.
    let down = Harness::new(backend, &fixture.fixture).await;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&down.server)
        .await;
    let strategy = MemoryStrategy::new("http://testserver");
    expect_kind(
        "discovery 503",
        down.auth.begin(&strategy, &fixture.name).await,
        ErrorKind::ProviderUnavailable,
    );
}

/// A replayed callback fails, and writes nothing more.
pub async fn replay(backend: Arc<dyn Backend>, fixture: OidcFixture) {
    let p = fixture.start(backend).await;
    let (session, url, nonce) = p.begin().await;
    let claims = p.claims(p.echoed(&nonce).as_deref());
    p.mount_token(Some(&p.key.sign(&claims)), 1).await;
    p.mount_userinfo().await;
    let first = p.callback(&session, &url).await;
    assert!(
        matches!(first, Ok(Outcome::LoggedIn(_))),
        "first callback: {first:?}"
    );
    let again = p.callback(&session, &url).await;
    expect_kind("replay in the same session", again, ErrorKind::StateMissing);
    assert_eq!(p.harness.storage.counts(), (1, 1));
}

/// The provider rotates its key: the next login refetches the JWKS once and succeeds.
pub async fn key_rotation(backend: Arc<dyn Backend>, fixture: OidcFixture) {
    let p = fixture.start(backend).await;
    p.login().await;
    let rotated = if fixture.ec {
        TestKey::ec()
    } else {
        TestKey::rsa(2, Algorithm::RS256)
    };
    p.harness.server.reset().await;
    let well_known = format!("{}/.well-known/openid-configuration", fixture.issuer_path);
    let server = p.harness.server.uri();
    json_mock(
        "GET",
        &well_known,
        fixture.fill(&fixture.discovery, &server),
    )
    .expect(0)
    .mount(&p.harness.server)
    .await;
    json_mock("GET", &fixture.jwks_path, jwks(&[&rotated]).to_string())
        .expect(1)
        .mount(&p.harness.server)
        .await;
    let outcome = p.login_with(|_, c| Some(rotated.sign(&c))).await;
    assert!(
        matches!(outcome, Ok(Outcome::LoggedIn(_))),
        "login with the rotated key: {outcome:?}"
    );
    p.harness.server.verify().await;
}

/// Refresh: a new access token and ID token; an ID token about another user is refused.
pub async fn refresh(backend: Arc<dyn Backend>, fixture: OidcFixture) {
    let declared = backend.capabilities().refresh;
    let p = fixture.start(backend).await;
    let login = p.login().await;
    let mut account = login.account.unwrap_or_else(|| panic!("no account"));
    if !declared {
        // Not declared: refused as unsupported, without a request.
        p.reset().await;
        let result = p.harness.auth.refresh_token(&account).await;
        expect_kind("undeclared refresh", result, ErrorKind::Unsupported);
        let sent = p
            .harness
            .server
            .received_requests()
            .await
            .unwrap_or_default();
        assert!(
            sent.is_empty(),
            "an undeclared refresh sent {} requests",
            sent.len()
        );
        return;
    }
    if account.tokens().and_then(|t| t.refresh_token).is_none() {
        account
            .extra_data
            .insert("refresh_token".into(), json!("stored-refresh-token"));
    }
    for (sub, ok) in [
        (fixture.sub.clone(), true),
        ("somebody-else".to_owned(), false),
    ] {
        p.reset().await;
        let mut claims = p.claims(None);
        claims["sub"] = json!(sub);
        let body = json!({
            "access_token": "refreshed-access-token", "token_type": "Bearer",
            "expires_in": 3600, "id_token": p.key.sign(&claims),
        });
        json_mock("POST", &fixture.token_path, body.to_string())
            .expect(1)
            .mount(&p.harness.server)
            .await;
        let result = p.harness.auth.refresh_token(&account).await;
        if ok {
            let refreshed = result.unwrap_or_else(|e| panic!("refresh failed: {e}"));
            let tokens = refreshed.tokens().unwrap_or_else(|| panic!("no tokens"));
            assert_eq!(tokens.access_token.secret(), "refreshed-access-token");
        } else {
            expect_kind(
                "refreshed ID token about another sub",
                result,
                ErrorKind::Failed,
            );
        }
    }
}

/// Revocation: a backend that declares it posts the token to the discovered
/// `revocation_endpoint` and reports the provider's 5xx; one that does not refuses as
/// unsupported without a request.
pub async fn revoke(backend: Arc<dyn Backend>, fixture: OidcFixture) {
    let declared = backend.capabilities().revoke;
    let p = fixture.start(backend).await;
    let login = p.login().await;
    let account = login.account.unwrap_or_else(|| panic!("no account"));
    let doc: Value = serde_json::from_str(&fixture.discovery).unwrap_or_default();
    let endpoint = doc["revocation_endpoint"]
        .as_str()
        .map(|url| url.strip_prefix("{server}").unwrap_or(url).to_owned());
    p.reset().await;
    let Some(path) = endpoint.filter(|_| declared) else {
        let result = p.harness.auth.revoke_token(&account).await;
        expect_kind("revoke without endpoint", result, ErrorKind::Unsupported);
        let sent = p
            .harness
            .server
            .received_requests()
            .await
            .unwrap_or_default();
        assert!(
            sent.iter().all(|r| r.method.as_str() == "GET"),
            "an unsupported revoke posted to the provider"
        );
        return;
    };
    Mock::given(matchers::method("POST"))
        .and(matchers::path(path.clone()))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&p.harness.server)
        .await;
    p.harness
        .auth
        .revoke_token(&account)
        .await
        .unwrap_or_else(|e| panic!("revoke failed: {e}"));
    let tokens = account.tokens().unwrap_or_else(|| panic!("no tokens"));
    let stored: Vec<String> = [Some(&tokens.access_token), tokens.refresh_token.as_ref()]
        .into_iter()
        .flatten()
        .map(|t| t.secret().to_owned())
        .collect();
    let requests = p
        .harness
        .server
        .received_requests()
        .await
        .unwrap_or_default();
    let posted = requests
        .iter()
        .find(|r| r.url.path() == path)
        .unwrap_or_else(|| panic!("no revocation request"));
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&posted.body)
        .into_owned()
        .collect();
    assert!(
        form.iter().any(|(k, v)| k == "token" && stored.contains(v)),
        "the revocation request posts a stored token as `token`: {form:?}"
    );
    p.reset().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(path))
        .respond_with(ResponseTemplate::new(503))
        .mount(&p.harness.server)
        .await;
    expect_kind(
        "revoke 503",
        p.harness.auth.revoke_token(&account).await,
        ErrorKind::ProviderUnavailable,
    );
}

/// Runs the OpenID Connect conformance checks, one test each. `backend` is
/// evaluated once per check, and each check gets a fresh key cache.
///
/// ```text
/// social_testkit::oidc_conformance!(
///     backend = std::sync::Arc::new(social_linkedin::backend()),
///     fixture = fixture(),
/// );
/// ```
#[macro_export]
macro_rules! oidc_conformance {
    (backend = $backend:expr, fixture = $fixture:expr $(,)?) => {
        $crate::oidc_conformance!(@suite oidc_conformance, None, $backend, $fixture);
    };
    ($module:ident : backend = $backend:expr, fixture = $fixture:expr $(,)?) => {
        $crate::oidc_conformance!(@suite $module, Some(stringify!($module)), $backend, $fixture);
    };
    (@suite $module:ident, $dir:expr, $backend:expr, $fixture:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;

            fn __suite_fixture() -> $crate::oidc::OidcFixture {
                ($fixture).in_crate(env!("CARGO_MANIFEST_DIR"), $dir)
            }

            $crate::checks! {
                authorize_url => $crate::oidc::authorize_url($backend, __suite_fixture()),
                token_request => $crate::oidc::token_request($backend, __suite_fixture()),
                login => $crate::oidc::login($backend, __suite_fixture()),
                id_token_failures => $crate::oidc::id_token_failures($backend, __suite_fixture()),
                failures => $crate::oidc::failures($backend, __suite_fixture()),
                replay => $crate::oidc::replay($backend, __suite_fixture()),
                key_rotation => $crate::oidc::key_rotation($backend, __suite_fixture()),
                refresh => $crate::oidc::refresh($backend, __suite_fixture()),
                revoke => $crate::oidc::revoke($backend, __suite_fixture()),
            }
        }
    };
}
