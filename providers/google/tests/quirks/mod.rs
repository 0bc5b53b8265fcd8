//! Google's own behaviour beyond the conformance checks: the hosted-domain restriction on the
//! ID token's `hd`, the legacy issuer spelling, offline access, `email_verified` spellings,
//! settings validation and which token revoke sends.
//!
//! These run the backend on its built-in defaults — issuer `https://accounts.google.com` and
//! the endpoints of Google's recorded discovery document — with an HTTP client that hands each
//! `https://<host>/<path>` request to a local server as `/<host>/<path>`.

use std::sync::Arc;

use social_core::{
    Backend, BackendSettings, Configure, ErrorKind, MemoryStorage, MemoryStrategy, Outcome,
    Protocol, Registry, Secret, Settings, SocialAuth, Tokens, UserDetails, Value,
    clock::{Clock, FixedClock, SystemClock},
    http::HttpClient,
    serde_json::{self, json},
    settings::TomlValue,
};
use social_google::{Google, ISSUER, LEGACY_ISSUER};
use social_oauth2::ClientAuth;
use social_oauth2::oidc::OidcProvider;
use social_testkit::{
    oidc::{OidcFixture, TestKey, jwks},
    provider::{CLIENT_ID, CLIENT_SECRET, expect_kind},
};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

const DISCOVERY: &str = social_testkit::fixture!("openid-configuration.json");
const TOKEN: &str = social_testkit::fixture!("token.json");
const USERINFO: &str = social_testkit::fixture!("userinfo.json");
const CONSUMER: &str = social_testkit::fixture!("userinfo_consumer.json");
const REVOKE_INVALID: &str = social_testkit::fixture!("revoke_invalid_token.json");

/// Where the requests for Google's hosts land on the local server.
const WELL_KNOWN: &str = "/accounts.google.com/.well-known/openid-configuration";
const JWKS: &str = "/www.googleapis.com/oauth2/v3/certs";
const TOKEN_PATH: &str = "/oauth2.googleapis.com/token";
const USERINFO_PATH: &str = "/openidconnect.googleapis.com/v1/userinfo";
const REVOKE_PATH: &str = "/oauth2.googleapis.com/revoke";

use social_testkit::forward_https_to as forward_to;

fn answer(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json")
}

/// The client id and secret, and `configure`'s changes.
fn backend_settings(configure: impl FnOnce(&mut BackendSettings)) -> BackendSettings {
    let mut backend = BackendSettings::default();
    backend.key = Some(CLIENT_ID.into());
    backend.secret = Some(Secret::new(CLIENT_SECRET));
    configure(&mut backend);
    backend
}

fn text(value: &str) -> TomlValue {
    TomlValue::String(value.into())
}

/// `base` with `changes` merged in (`null` removes a field).
fn merged(base: &str, changes: Value) -> Value {
    let mut value: Value = serde_json::from_str(base).unwrap_or_default();
    if let (Some(all), Some(changes)) = (value.as_object_mut(), changes.as_object()) {
        for (key, change) in changes {
            if change.is_null() {
                all.remove(key);
            } else {
                all.insert(key.clone(), change.clone());
            }
        }
    }
    value
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn logged_in(outcome: social_core::Result<Outcome>) -> social_core::Login {
    match outcome {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

/// Google played by a local server, and social login with only the Google backend.
struct FakeGoogle {
    server: MockServer,
    auth: SocialAuth,
    storage: Arc<MemoryStorage>,
    key: TestKey,
}

impl FakeGoogle {
    async fn start(configure: impl FnOnce(&mut BackendSettings)) -> Self {
        let server = MockServer::start().await;
        let mut settings = Settings::default();
        settings
            .backends
            .insert("google".into(), backend_settings(configure));
        let storage = Arc::new(MemoryStorage::new());
        let backend = social_google::backend().with_cache(Arc::default());
        let auth = SocialAuth::builder(Registry::new().with(backend))
            .settings(settings)
            .storage(storage.clone())
            .http_client(forward_to(&server))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            server,
            auth,
            storage,
            key: TestKey::rsa(0, social_oauth2::oidc::Algorithm::RS256),
        }
    }

    /// Clears the server and mounts discovery and keys.
    async fn reset(&self) {
        self.server.reset().await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path(WELL_KNOWN))
            .respond_with(answer(200, DISCOVERY))
            .mount(&self.server)
            .await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path(JWKS))
            .respond_with(answer(200, &jwks(&[&self.key]).to_string()))
            .mount(&self.server)
            .await;
    }

    /// Begins a login: the session, the authorize URL and its nonce.
    async fn begin(&self) -> (MemoryStrategy, url::Url, String) {
        self.reset().await;
        let session = MemoryStrategy::new("http://testserver");
        let flow = self.auth.begin(&session, "google").await;
        let flow = flow.unwrap_or_else(|e| panic!("begin failed: {e}"));
        let url = flow
            .redirect_url()
            .and_then(|u| url::Url::parse(u).ok())
            .unwrap_or_else(|| panic!("not a redirect: {flow:?}"));
        let nonce = param(&url, "nonce").unwrap_or_default();
        (session, url, nonce)
    }

    /// A Google ID token for this login's `nonce`, with `changes` to Google's usual claims.
    fn id_token(&self, nonce: &str, changes: Value) -> String {
        let now = SystemClock.now();
        let usual = json!({
            "iss": ISSUER, "azp": CLIENT_ID, "aud": CLIENT_ID, "sub": "110169484474386276334",
            "hd": "example.com", "email": "ada.lovelace@example.com", "email_verified": true,
            "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace",
            "iat": now, "exp": now + 3600, "nonce": nonce,
        });
        self.key.sign(&merged(&usual.to_string(), changes))
    }

    /// A whole login: Google's ID token with `changes`, and `userinfo` (sent only to the
    /// access token of the token answer).
    async fn login(&self, changes: Value, userinfo: &Value) -> social_core::Result<Outcome> {
        let (session, url, nonce) = self.begin().await;
        let mut token: Value = serde_json::from_str(TOKEN).unwrap_or_default();
        token["id_token"] = json!(self.id_token(&nonce, changes));
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap_or("-"));
        Mock::given(matchers::method("POST"))
            .and(matchers::path(TOKEN_PATH))
            .respond_with(answer(200, &token.to_string()))
            .mount(&self.server)
            .await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path(USERINFO_PATH))
            .and(matchers::header("authorization", bearer.as_str()))
            .respond_with(answer(200, &userinfo.to_string()))
            .mount(&self.server)
            .await;
        let state = param(&url, "state").unwrap_or_default();
        let callback = session
            .next_request()
            .with_param("code", "test-code")
            .with_param("state", &state);
        self.auth.complete(&callback, "google", None).await
    }

    /// The paths the server was asked for, in order.
    async fn paths(&self) -> Vec<String> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests.iter().map(|r| r.url.path().to_owned()).collect()
    }
}

fn userinfo() -> Value {
    merged(USERINFO, json!({}))
}

/// A consumer account: no `hd` in the ID token or in userinfo.
fn consumer() -> (Value, Value) {
    let info = merged(CONSUMER, json!({}));
    let changes = json!({
        "sub": info["sub"], "email": info["email"], "hd": null,
        "name": info["name"], "given_name": info["given_name"], "family_name": info["family_name"],
    });
    (changes, info)
}

#[tokio::test]
async fn defaults_are_googles_discovered_endpoints() {
    let g = FakeGoogle::start(|_| {}).await;
    let (_, url, nonce) = g.begin().await;
    assert_eq!(
        &url[..url::Position::AfterPath],
        "https://accounts.google.com/o/oauth2/v2/auth"
    );
    assert_eq!(
        param(&url, "scope").as_deref(),
        Some("openid email profile")
    );
    assert_eq!(
        param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(nonce.len() >= 22, "a fresh nonce: {nonce:?}");
    for name in ["hd", "access_type", "prompt", "include_granted_scopes"] {
        assert_eq!(param(&url, name), None, "{name} is not sent by default");
    }

    let (changes, info) = consumer();
    let login = logged_in(g.login(changes, &info).await);
    assert_eq!(
        g.paths().await,
        [TOKEN_PATH, JWKS, USERINFO_PATH],
        "discovery kept from the first begin; token, keys to check the ID token, userinfo"
    );
    let account = login.account.unwrap_or_else(|| panic!("no account"));
    assert_eq!(account.uid, "104812739146027839051");
    assert!(
        !account.extra_data.contains_key("hd"),
        "no hd kept for consumer accounts: {:?}",
        account.extra_data
    );
    assert_eq!(
        login.user.username, "grace.hopper.demo",
        "username from the e-mail's local part"
    );
}

#[tokio::test]
async fn the_legacy_issuer_spelling_is_accepted_and_no_other() {
    let g = FakeGoogle::start(|_| {}).await;
    logged_in(g.login(json!({"iss": LEGACY_ISSUER}), &userinfo()).await);
    logged_in(g.login(json!({"iss": ISSUER}), &userinfo()).await);
    for iss in [
        "https://accounts.google.com/",
        "http://accounts.google.com",
        "accounts.google.com/",
        "ACCOUNTS.GOOGLE.COM",
        "https://accounts.google.com.evil.example",
        "accounts.google.com.evil.example",
        "https://evil.example.com",
        "",
    ] {
        let refused = g.login(json!({"iss": iss}), &userinfo()).await;
        expect_kind(iss, refused, ErrorKind::Failed);
    }
    assert_eq!(
        g.storage.counts(),
        (1, 1),
        "only the accepted logins stored"
    );

    // The second spelling belongs to Google's own issuer only.
    assert_eq!(Google.issuer_aliases(ISSUER), [LEGACY_ISSUER]);
    assert!(Google.issuer_aliases("https://id.example.com").is_empty());
    let elsewhere = OidcFixture::new(
        social_google::NAME,
        "/accounts.google.com",
        &DISCOVERY.replace("https://", "{server}/"),
        TOKEN,
        "110169484474386276334",
        json!({}),
    )
    .userinfo(USERINFO);
    let p = elsewhere
        .start(Arc::new(
            social_google::backend().with_cache(Arc::default()),
        ))
        .await;
    let refused = p
        .login_with(|p, mut claims| {
            claims["iss"] = json!(LEGACY_ISSUER);
            Some(p.key.sign(&claims))
        })
        .await;
    expect_kind(
        "legacy spelling with another OIDC_ENDPOINT",
        refused,
        ErrorKind::Failed,
    );
    p.harness.assert_nothing_written("another issuer");
}

#[tokio::test]
async fn hosted_domain_is_hinted_and_checked_on_the_id_token() {
    let g = FakeGoogle::start(|b| {
        b.options
            .insert("hosted_domain".into(), text(" Example.COM "));
    })
    .await;
    let (_, url, _) = g.begin().await;
    assert_eq!(param(&url, "hd").as_deref(), Some("example.com"));

    let login = logged_in(g.login(json!({}), &userinfo()).await);
    let account = login.account.unwrap_or_else(|| panic!("no account"));
    assert_eq!(account.uid, "110169484474386276334");
    assert_eq!(account.extra_data.get("hd"), Some(&json!("example.com")));

    // The signed claim is enough when userinfo leaves `hd` out.
    let without_hd = merged(USERINFO, json!({"hd": null}));
    logged_in(g.login(json!({}), &without_hd).await);
    // Google spells `hd` in lower case, but a differently cased claim is the same domain.
    logged_in(g.login(json!({"hd": "EXAMPLE.com"}), &without_hd).await);
    assert_eq!(g.storage.counts(), (1, 1));
}

#[tokio::test]
async fn hosted_domain_refuses_consumer_and_other_domain_accounts() {
    let g = FakeGoogle::start(|b| {
        b.options
            .insert("hosted_domain".into(), text("example.com"));
    })
    .await;
    let (changes, info) = consumer();
    expect_kind(
        "consumer account (no hd)",
        g.login(changes, &info).await,
        ErrorKind::Forbidden,
    );

    // The user edited `hd` on the authorize URL and signed in with another organization:
    // the ID token says so, whether or not userinfo repeats it.
    let evil = json!({"hd": "evil.example"});
    for (case, info) in [
        ("another domain", merged(USERINFO, evil.clone())),
        (
            "another domain, userinfo without hd",
            merged(USERINFO, json!({"hd": null})),
        ),
    ] {
        expect_kind(
            case,
            g.login(evil.clone(), &info).await,
            ErrorKind::Forbidden,
        );
    }

    // A look-alike e-mail is not enough: only the `hd` claim counts.
    let no_hd = merged(USERINFO, json!({"hd": null}));
    expect_kind(
        "e-mail of the domain, no hd",
        g.login(json!({"hd": null}), &no_hd).await,
        ErrorKind::Forbidden,
    );
    let sub_domain = json!({"hd": "mail.example.com"});
    expect_kind(
        "sub-domain",
        g.login(sub_domain.clone(), &merged(USERINFO, sub_domain))
            .await,
        ErrorKind::Forbidden,
    );
    assert_eq!(
        g.storage.counts(),
        (0, 0),
        "refused accounts are not stored"
    );
}

#[tokio::test]
async fn several_hosted_domains_hint_any_workspace_account() {
    let g = FakeGoogle::start(|b| {
        b.options
            .insert("hosted_domain".into(), text("example.org, example.com"));
    })
    .await;
    let (_, url, _) = g.begin().await;
    assert_eq!(param(&url, "hd").as_deref(), Some("*"));
    logged_in(g.login(json!({}), &userinfo()).await);
    let outside = json!({"hd": "example.net", "sub": "2"});
    expect_kind(
        "domain outside the list",
        g.login(outside.clone(), &merged(USERINFO, outside)).await,
        ErrorKind::Forbidden,
    );
    assert_eq!(
        g.storage.counts(),
        (1, 1),
        "only the allowed account stored"
    );
}

#[tokio::test]
async fn offline_access_asks_for_consent_and_granted_scopes() {
    let g = FakeGoogle::start(|b| {
        b.options.insert("access_type".into(), text("Offline"));
        b.options
            .insert("include_granted_scopes".into(), text("true"));
    })
    .await;
    let (_, url, _) = g.begin().await;
    assert_eq!(param(&url, "access_type").as_deref(), Some("offline"));
    assert_eq!(param(&url, "prompt").as_deref(), Some("consent"));
    assert_eq!(
        param(&url, "include_granted_scopes").as_deref(),
        Some("true")
    );

    let g = FakeGoogle::start(|b| {
        b.options.insert("access_type".into(), text("online"));
        b.options
            .insert("include_granted_scopes".into(), TomlValue::Boolean(false));
    })
    .await;
    let (_, url, _) = g.begin().await;
    assert_eq!(param(&url, "access_type").as_deref(), Some("online"));
    assert_eq!(param(&url, "prompt"), None, "no forced consent online");
    assert_eq!(param(&url, "include_granted_scopes"), None);
}

#[tokio::test]
async fn auth_extra_arguments_replace_the_consent_prompt() {
    let g = FakeGoogle::start(|b| {
        b.options.insert("access_type".into(), text("offline"));
        b.auth_extra_arguments
            .insert("prompt".into(), "select_account".into());
    })
    .await;
    let (_, url, nonce) = g.begin().await;
    let prompts: Vec<String> = url
        .query_pairs()
        .filter(|(k, _)| k == "prompt")
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(
        prompts,
        ["select_account"],
        "one prompt, the configured one"
    );
    assert_eq!(param(&url, "access_type").as_deref(), Some("offline"));
    assert!(!nonce.is_empty(), "the nonce is still sent");
}

#[tokio::test]
async fn userinfo_and_client_authentication_can_be_configured() {
    let g = FakeGoogle::start(|b| {
        b.endpoints.insert(
            "userinfo_url".into(),
            "https://userinfo.example.test/v1/me".into(),
        );
        b.options.insert(
            "token_endpoint_auth_method".into(),
            text("client_secret_basic"),
        );
    })
    .await;
    let (session, url, nonce) = g.begin().await;
    let mut token: Value = serde_json::from_str(TOKEN).unwrap_or_default();
    token["id_token"] = json!(g.id_token(&nonce, json!({})));
    Mock::given(matchers::method("POST"))
        .and(matchers::path(TOKEN_PATH))
        .and(matchers::header_exists("authorization"))
        .respond_with(answer(200, &token.to_string()))
        .mount(&g.server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/userinfo.example.test/v1/me"))
        .respond_with(answer(200, USERINFO))
        .expect(1)
        .mount(&g.server)
        .await;
    let state = param(&url, "state").unwrap_or_default();
    let callback = session
        .next_request()
        .with_param("code", "test-code")
        .with_param("state", &state);
    logged_in(g.auth.complete(&callback, "google", None).await);
    let requests = g.server.received_requests().await.unwrap_or_default();
    let token_request = requests
        .iter()
        .find(|r| r.url.path() == TOKEN_PATH)
        .unwrap_or_else(|| panic!("no token request"));
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&token_request.body)
        .into_owned()
        .collect();
    assert!(
        !form.iter().any(|(k, _)| k == "client_secret"),
        "the secret travels in the Basic header only: {form:?}"
    );
    assert!(!g.paths().await.iter().any(|p| p == USERINFO_PATH));
}

#[tokio::test]
async fn email_verified_may_come_as_text() {
    let g = FakeGoogle::start(|_| {}).await;
    let info = merged(USERINFO, json!({"email_verified": null}));
    let login = logged_in(g.login(json!({"email_verified": "true"}), &info).await);
    assert!(login.user.email_verified, "\"true\" is verified");
    assert_eq!(
        login.user.email.as_deref(),
        Some("ada.lovelace@example.com")
    );

    let details =
        |changes: Value| -> UserDetails { Google.user_details(&merged(USERINFO, changes)) };
    assert!(details(json!({"email_verified": true})).email_verified);
    assert!(details(json!({"email_verified": "TRUE"})).email_verified);
    assert!(details(json!({"email_verified": " true "})).email_verified);
    assert!(!details(json!({"email_verified": "false"})).email_verified);
    assert!(!details(json!({"email_verified": false})).email_verified);
    assert!(!details(json!({"email_verified": null})).email_verified);
    assert!(!details(json!({"email_verified": 1})).email_verified);
}

#[test]
fn names_come_from_the_parts_or_the_whole() {
    let map = |claims: Value| Google.user_details(&claims);
    let full = map(userinfo());
    assert_eq!(full.username, None, "Google has no user name");
    assert_eq!(full.fullname.as_deref(), Some("Ada Lovelace"));
    assert_eq!(full.first_name.as_deref(), Some("Ada"));
    assert_eq!(full.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(full.locale.as_deref(), Some("en-GB"));
    assert!(full.picture.is_some_and(|p| p.starts_with("https://lh3.")));

    let parts = map(json!({"sub": "1", "given_name": "Ada", "family_name": "King"}));
    assert_eq!(parts.fullname.as_deref(), Some("Ada King"));

    // Given and family names win over splitting the display name.
    let given = map(json!({"sub": "1", "name": "Gabriel García Márquez",
                          "given_name": "Gabriel", "family_name": "García Márquez"}));
    assert_eq!(given.first_name.as_deref(), Some("Gabriel"));
    assert_eq!(given.last_name.as_deref(), Some("García Márquez"));
    assert_eq!(given.fullname.as_deref(), Some("Gabriel García Márquez"));

    let whole = map(json!({"sub": "1", "name": "Cher"}));
    assert_eq!(whole.fullname.as_deref(), Some("Cher"));
    assert_eq!(whole.first_name.as_deref(), Some("Cher"));
    assert_eq!(whole.last_name, None);

    assert_eq!(
        Google
            .user_id(&json!({"sub": "110169484474386276334", "id": "other"}))
            .ok()
            .as_deref(),
        Some("110169484474386276334"),
        "the uid is sub"
    );
    assert!(Google.user_id(&json!({"email": "a@example.com"})).is_err());
}

#[test]
fn invalid_settings_name_the_setting() {
    let option = |name: &str, value: TomlValue| {
        backend_settings(|b| {
            b.options.insert(name.into(), value);
        })
    };
    let backend = social_google::backend();
    let api_url = || {
        backend_settings(|b| {
            b.endpoints
                .insert("api_url".into(), "https://corp.example/userinfo".into());
        })
    };
    let invalid = [
        (
            option("access_type", text("sometimes")),
            "SOCIAL_AUTH_GOOGLE_ACCESS_TYPE",
        ),
        (
            option("hosted_domain", text("*")),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            option("hosted_domain", text("")),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            option("hosted_domain", text(" , ")),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            option("hosted_domain", text("admin@example.com")),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            option("hosted_domain", text("https://example.com")),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            option("hosted_domain", TomlValue::Integer(1)),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            option(
                "hosted_domain",
                TomlValue::Array(vec![text("example.com"), TomlValue::Boolean(true)]),
            ),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            option("include_granted_scopes", text("perhaps")),
            "SOCIAL_AUTH_GOOGLE_INCLUDE_GRANTED_SCOPES",
        ),
        (
            option("token_endpoint_auth_method", text("tls_client_auth")),
            "SOCIAL_AUTH_GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD",
        ),
        (
            option("oidc_endpoint", text("http://accounts.google.com")),
            "SOCIAL_AUTH_GOOGLE_OIDC_ENDPOINT",
        ),
        (api_url(), "SOCIAL_AUTH_GOOGLE_API_URL"),
    ];
    for (settings, env) in invalid {
        match Configure::run(&backend, &settings) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config, "{env}: {e}");
                assert!(e.details().starts_with(env), "{env}: {e}");
            }
            Ok(_) => panic!("{env}: {settings:?} was accepted"),
        }
    }
    let moved = Configure::run(&backend, &api_url())
        .err()
        .map(|e| e.details().to_owned());
    assert!(
        moved.is_some_and(|d| d.contains("SOCIAL_AUTH_GOOGLE_USERINFO_URL")),
        "the error points to the setting that replaced API_URL"
    );

    let valid = [
        option("hosted_domain", text("example.com,example.org")),
        option(
            "hosted_domain",
            TomlValue::Array(vec![text("example.com"), text("xn--bcher-kva.example")]),
        ),
        option("access_type", text("offline")),
        option("include_granted_scopes", TomlValue::Boolean(true)),
        option("token_endpoint_auth_method", text("client_secret_basic")),
        backend_settings(|b| {
            b.endpoints.insert(
                "userinfo_url".into(),
                "https://corp.example/userinfo".into(),
            );
        }),
    ];
    for settings in valid {
        if let Err(e) = Configure::run(&backend, &settings) {
            panic!("{settings:?} was refused: {e}");
        }
    }
}

#[test]
fn declares_googles_protocol_facts() {
    let backend = social_google::backend();
    assert_eq!(backend.name(), "google");
    assert_eq!(backend.protocol(), Protocol::OPENID_CONNECT);
    let caps = backend.capabilities();
    assert!(caps.pkce && caps.refresh && caps.revoke, "{caps:?}");
    let spec = Google.spec();
    assert_eq!(spec.issuer, Some("https://accounts.google.com"));
    assert!(spec.echoes_nonce);
    assert_eq!(spec.client_auth, ClientAuth::Body);
}

/// A provider context for calling the backend directly, through the forwarding client.
struct Direct {
    settings: Settings,
    http: Arc<dyn HttpClient>,
    clock: FixedClock,
}

impl Direct {
    fn new(server: &MockServer, now: i64) -> Self {
        let mut settings = Settings::default();
        settings
            .backends
            .insert("google".into(), backend_settings(|_| {}));
        Self {
            settings,
            http: forward_to(server),
            clock: FixedClock::new(now),
        }
    }

    fn cx(&self) -> social_core::ProviderCx<'_> {
        social_core::ProviderCx::new("google", &self.settings, &*self.http, &self.clock)
    }
}

/// Mounts discovery and a revocation endpoint answering `status` with `body`.
async fn mount_revoke(server: &MockServer, status: u16, body: &str) {
    server.reset().await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(WELL_KNOWN))
        .respond_with(answer(200, DISCOVERY))
        .mount(server)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(REVOKE_PATH))
        .respond_with(answer(status, body))
        .mount(server)
        .await;
}

/// The token the one revocation request sent, checking that nothing else was sent.
async fn revoked_token(server: &MockServer) -> String {
    let requests = server.received_requests().await.unwrap_or_default();
    let sent: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == REVOKE_PATH)
        .collect();
    assert_eq!(sent.len(), 1, "one revocation request");
    let request = sent[0];
    assert_eq!(
        request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-www-form-urlencoded")
    );
    assert!(
        request.headers.get("authorization").is_none(),
        "Google's revocation endpoint takes no client authentication"
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    assert_eq!(form.len(), 1, "only `token` is sent: {form:?}");
    form.into_iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v)
        .unwrap_or_default()
}

#[tokio::test]
async fn revoke_sends_the_refresh_token_once_the_access_token_expired() {
    let now = 1_767_225_600;
    let mut tokens = Tokens::new("ya29.live-access-token");
    tokens.refresh_token = Some(Secret::new("1//refresh/token+with=reserved"));
    tokens.expires_at = Some(now + 60);
    let backend = social_google::backend().with_cache(Arc::default());
    let server = MockServer::start().await;
    let direct = Direct::new(&server, now);

    mount_revoke(&server, 200, "{}").await;
    backend
        .revoke_token(&direct.cx(), &tokens)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(revoked_token(&server).await, "ya29.live-access-token");

    mount_revoke(&server, 200, "{}").await;
    direct.clock.advance(61);
    backend
        .revoke_token(&direct.cx(), &tokens)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        revoked_token(&server).await,
        "1//refresh/token+with=reserved",
        "expired access token: the refresh token is revoked, form-encoded intact"
    );

    // Without a refresh token there is nothing better than the access token to send.
    mount_revoke(&server, 400, REVOKE_INVALID).await;
    tokens.refresh_token = None;
    let refused = backend.revoke_token(&direct.cx(), &tokens).await;
    assert_eq!(revoked_token(&server).await, "ya29.live-access-token");
    match refused {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::TokenError, "{e}");
            assert_eq!(e.provider(), Some("google"), "{e}");
            assert!(e.details().contains("invalid_token"), "{e}");
        }
        Ok(()) => panic!("a 400 revocation answer was taken as success"),
    }
}
