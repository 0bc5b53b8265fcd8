//! The OAuth 1.0a flow against an in-process fake provider: session bookkeeping, settings,
//! expiry and the token round trip. The shared conformance suite in social-testkit covers
//! the attacks against real HTTP.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use super::*;
use social_core::Configure;
use social_core::{
    MemoryStorage, MemoryStrategy, Outcome, Registry, Settings, SocialAuth, Strategy,
    clock::FixedClock,
    http::{HttpError, HttpResponse},
};

const NOW: i64 = 1_700_000_000;

struct Fake;

#[async_trait]
impl OAuth1Provider for Fake {
    fn spec(&self) -> OAuth1Spec {
        OAuth1Spec {
            name: "fake",
            request_token_url: "https://provider.test/request_token",
            authorization_url: "https://provider.test/authorize",
            access_token_url: "https://provider.test/access_token",
            ..OAuth1Spec::DEFAULT
        }
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &AccessToken) -> Result<Value> {
        get_json(cx, "https://provider.test/me?fields=all", token).await
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        UserDetails::new().username(user["name"].as_str())
    }

    fn expires_at(&self, token: &AccessToken) -> Option<i64> {
        token.field("expires_at").and_then(|s| s.parse().ok())
    }
}

#[derive(Default)]
struct Provider {
    requests: Mutex<Vec<HttpRequest>>,
    issued: AtomicUsize,
    unconfirmed: AtomicBool,
}

impl Provider {
    fn requests(&self, path: &str) -> Vec<HttpRequest> {
        self.requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .filter(|r| r.uri().path() == path)
            .cloned()
            .collect()
    }

    fn answer(&self, request: HttpRequest) -> HttpResponse {
        let path = request.uri().path().to_owned();
        self.requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(request);
        let body = match path.as_str() {
            "/request_token" => {
                let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
                let confirmed = if self.unconfirmed.load(Ordering::SeqCst) {
                    ""
                } else {
                    "&oauth_callback_confirmed=true"
                };
                format!("oauth_token=rt-{n}&oauth_token_secret=rs-{n}{confirmed}")
            }
            "/access_token" => {
                format!(
                    "oauth_token=at&oauth_token_secret=as&expires_at={}",
                    NOW + 60
                )
            }
            _ => r#"{"id": 7, "name": "ada"}"#.to_owned(),
        };
        http::Response::new(body.into_bytes())
    }
}

struct Setup {
    auth: SocialAuth,
    provider: Arc<Provider>,
    clock: Arc<FixedClock>,
    storage: Arc<MemoryStorage>,
}

fn setup(tweak: impl FnOnce(&mut BackendSettings)) -> Setup {
    let provider = Arc::new(Provider::default());
    let clock = Arc::new(FixedClock::new(NOW));
    let storage = Arc::new(MemoryStorage::new());
    let mut backend = BackendSettings::default();
    backend.key = Some("ck".into());
    backend.secret = Some(Secret::new("cs"));
    tweak(&mut backend);
    let mut settings = Settings::default();
    settings.backends.insert("fake".into(), backend);
    let fake = provider.clone();
    let client = move |request: HttpRequest| {
        let fake = fake.clone();
        async move { Ok::<_, HttpError>(fake.answer(request)) }
    };
    let auth = SocialAuth::builder(Registry::new().with(OAuth1Backend::new(Fake)))
        .settings(settings)
        .storage(storage.clone())
        .http_client(Arc::new(client))
        .clock(clock.clone())
        .build()
        .expect("valid settings");
    Setup {
        auth,
        provider,
        clock,
        storage,
    }
}

fn header(request: &HttpRequest) -> String {
    request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn begin(s: &Setup, session: &MemoryStrategy) -> Url {
    let flow = s.auth.begin(session, "fake").await.expect("begins");
    Url::parse(flow.redirect_url().expect("a redirect")).expect("a URL")
}

async fn callback(s: &Setup, session: &MemoryStrategy, params: &[(&str, &str)]) -> Result<Outcome> {
    let mut request = session.next_request();
    for (k, v) in params {
        request = request.with_param(k, v);
    }
    s.auth.complete(&request, "fake", None).await
}

fn kind<T: fmt::Debug>(result: Result<T>) -> ErrorKind {
    match result {
        Err(e) => e.kind(),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

#[tokio::test]
async fn start_sends_callback_and_extra_arguments() {
    let s = setup(|b| {
        b.request_token_extra_arguments
            .insert("x_auth_access_type".into(), "read".into());
        b.auth_extra_arguments
            .insert("force_login".into(), "true".into());
    });
    let session = MemoryStrategy::new("http://testserver");
    let url = begin(&s, &session).await;
    assert_eq!(
        url.as_str(),
        "https://provider.test/authorize?oauth_token=rt-1&force_login=true"
    );
    let sent = s.provider.requests("/request_token");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method(), Method::POST);
    assert_eq!(sent[0].body(), b"x_auth_access_type=read");
    let auth = header(&sent[0]);
    assert!(
        auth.contains(r#"oauth_callback="http%3A%2F%2Ftestserver%2Fcomplete%2Ffake%2F""#),
        "{auth}"
    );
    assert!(auth.contains(r#"oauth_consumer_key="ck""#), "{auth}");
    assert!(!auth.contains("oauth_token="), "no token yet: {auth}");
}

#[tokio::test]
async fn keeps_the_last_five_request_tokens() {
    let s = setup(|_| {});
    let session = MemoryStrategy::new("http://testserver");
    for _ in 0..7 {
        begin(&s, &session).await;
    }
    let stored = session
        .session_get(&pending_key("fake"))
        .await
        .expect("session")
        .expect("pending tokens");
    let tokens: Vec<&str> = stored
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|p| p["token"].as_str())
        .collect();
    assert_eq!(tokens, ["rt-3", "rt-4", "rt-5", "rt-6", "rt-7"]);
    let dropped = callback(
        &s,
        &session,
        &[("oauth_token", "rt-2"), ("oauth_verifier", "v")],
    );
    assert_eq!(kind(dropped.await), ErrorKind::StateMismatch);
    // Any pending one completes, the others stay.
    let ok = callback(
        &s,
        &session,
        &[("oauth_token", "rt-4"), ("oauth_verifier", "v")],
    )
    .await;
    assert!(matches!(ok, Ok(Outcome::LoggedIn(_))), "{ok:?}");
    let ok = callback(
        &s,
        &session,
        &[("oauth_token", "rt-6"), ("oauth_verifier", "v")],
    )
    .await;
    assert!(matches!(ok, Ok(Outcome::LoggedIn(_))), "{ok:?}");
    let spent = callback(
        &s,
        &session,
        &[("oauth_token", "rt-4"), ("oauth_verifier", "v")],
    );
    assert_eq!(kind(spent.await), ErrorKind::StateMismatch);
}

#[tokio::test]
async fn malformed_callbacks_change_nothing_and_expired_tokens_fail() {
    let s = setup(|_| {});
    let session = MemoryStrategy::new("http://testserver");
    begin(&s, &session).await;
    let no_verifier = callback(&s, &session, &[("oauth_token", "rt-1")]).await;
    assert_eq!(kind(no_verifier), ErrorKind::MissingParameter);
    let no_token = callback(&s, &session, &[("oauth_verifier", "v")]).await;
    assert_eq!(kind(no_token), ErrorKind::MissingParameter);
    assert!(s.provider.requests("/access_token").is_empty());

    s.clock.advance(601);
    let late = callback(
        &s,
        &session,
        &[("oauth_token", "rt-1"), ("oauth_verifier", "v")],
    );
    assert_eq!(kind(late.await), ErrorKind::StateExpired);
    let again = callback(
        &s,
        &session,
        &[("oauth_token", "rt-1"), ("oauth_verifier", "v")],
    );
    assert_eq!(
        kind(again.await),
        ErrorKind::StateMissing,
        "spent, even when expired"
    );
    // A new login drops expired tokens from the session.
    begin(&s, &session).await;
    s.clock.advance(601);
    begin(&s, &session).await;
    let stored = session
        .session_get(&pending_key("fake"))
        .await
        .expect("session");
    assert_eq!(stored.and_then(|v| v.as_array().map(Vec::len)), Some(1));
    assert_eq!(s.storage.counts(), (0, 0));
}

#[tokio::test]
async fn denied_cancels_and_forgets_the_token() {
    let s = setup(|_| {});
    let session = MemoryStrategy::new("http://testserver");
    begin(&s, &session).await;
    let denied = callback(&s, &session, &[("denied", "rt-1")]).await;
    assert_eq!(kind(denied), ErrorKind::Canceled);
    let later = callback(
        &s,
        &session,
        &[("oauth_token", "rt-1"), ("oauth_verifier", "v")],
    );
    assert_eq!(kind(later.await), ErrorKind::StateMissing);
    // Even in a session that knows no such token, a denial is a cancellation.
    let fresh = MemoryStrategy::new("http://testserver");
    let denied = callback(&s, &fresh, &[("denied", "whatever")]).await;
    assert_eq!(kind(denied), ErrorKind::Canceled);
    assert!(s.provider.requests("/access_token").is_empty());
}

#[tokio::test]
async fn tokens_round_trip_through_the_account() {
    let s = setup(|_| {});
    let session = MemoryStrategy::new("http://testserver");
    begin(&s, &session).await;
    let outcome = callback(
        &s,
        &session,
        &[("oauth_token", "rt-1"), ("oauth_verifier", "ver")],
    );
    let Ok(Outcome::LoggedIn(login)) = outcome.await else {
        panic!("login failed");
    };
    let exchange = s.provider.requests("/access_token");
    let auth = header(&exchange[0]);
    assert!(auth.contains(r#"oauth_token="rt-1""#), "{auth}");
    assert!(auth.contains(r#"oauth_verifier="ver""#), "{auth}");
    let me = s.provider.requests("/me");
    assert_eq!(me[0].uri().query(), Some("fields=all"));
    assert!(header(&me[0]).contains(r#"oauth_token="at""#));

    let account = login.account.expect("an account");
    assert_eq!(account.uid, "7");
    let tokens = account.tokens().expect("tokens");
    assert_eq!(tokens.access_token.secret(), "at");
    assert_eq!(tokens.expires_at, Some(NOW + 60));
    let access = AccessToken::from_extra_data(&account.extra_data).expect("token credentials");
    assert_eq!((access.token(), access.secret()), ("at", "as"));
    assert!(
        !format!("{access:?}").contains("as\""),
        "secrets are redacted"
    );
}

#[tokio::test]
async fn unconfirmed_callback_is_refused() {
    let s = setup(|_| {});
    s.provider.unconfirmed.store(true, Ordering::SeqCst);
    let session = MemoryStrategy::new("http://testserver");
    let result = s.auth.begin(&session, "fake").await;
    assert_eq!(kind(result), ErrorKind::InvalidResponse);
    assert!(session.session_keys().iter().all(|k| !k.contains("oauth1")));
}

#[test]
fn validate_names_the_setting() {
    let backend = OAuth1Backend::new(Fake);
    let mut settings = BackendSettings::default();
    let err = Configure::run(&backend, &settings).expect_err("no key");
    assert!(err.details().contains("SOCIAL_AUTH_FAKE_KEY"), "{err}");
    settings.key = Some("k".into());
    settings.secret = Some(Secret::new("s"));
    settings
        .endpoints
        .insert("request_token_url".into(), "not a url".into());
    let err = Configure::run(&backend, &settings).expect_err("bad URL");
    assert!(
        err.details().contains("SOCIAL_AUTH_FAKE_REQUEST_TOKEN_URL"),
        "{err}"
    );
    assert_eq!(backend.protocol(), Protocol::OAUTH1);
}

/// A whole login's three signed calls, each with its `Authorization` header.
async fn signed_headers(s: &Setup) -> Vec<String> {
    let session = MemoryStrategy::new("http://testserver");
    begin(s, &session).await;
    let outcome = callback(
        s,
        &session,
        &[("oauth_token", "rt-1"), ("oauth_verifier", "ver")],
    )
    .await;
    assert!(matches!(outcome, Ok(Outcome::LoggedIn(_))), "{outcome:?}");
    ["/request_token", "/access_token", "/me"]
        .iter()
        .map(|path| header(&s.provider.requests(path)[0]))
        .collect()
}

fn option(backend: &mut BackendSettings, name: &str, value: &str) {
    backend.options.insert(
        name.into(),
        social_core::settings::TomlValue::String(value.into()),
    );
}

#[tokio::test]
async fn signing_settings_reach_every_signed_call() {
    let s = setup(|b| {
        option(b, "signature_method", "plaintext");
        option(b, "send_oauth_version", "true");
        option(b, "realm", "https://provider.test/");
    });
    for header in signed_headers(&s).await {
        assert!(
            header.starts_with(r#"OAuth realm="https%3A%2F%2Fprovider.test%2F", "#),
            "{header}"
        );
        assert!(
            header.contains(r#"oauth_signature_method="PLAINTEXT""#),
            "{header}"
        );
        assert!(header.contains(r#"oauth_version="1.0""#), "{header}");
    }
}

#[tokio::test]
async fn rsa_sha1_needs_the_key_but_no_secret() {
    use rsa::pkcs8::{EncodePrivateKey as _, LineEnding};
    let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).expect("a key");
    let pem = private
        .to_pkcs8_pem(LineEnding::LF)
        .expect("PEM")
        .to_string();
    let s = setup(move |b| {
        b.secret = None;
        option(b, "signature_method", "RSA-SHA1");
        option(b, "rsa_private_key", &pem);
    });
    for header in signed_headers(&s).await {
        assert!(
            header.contains(r#"oauth_signature_method="RSA-SHA1""#),
            "{header}"
        );
    }
}

#[test]
fn signing_settings_are_checked_at_start_up() {
    let backend = OAuth1Backend::new(Fake);
    let mut settings = BackendSettings::default();
    settings.key = Some("k".into());
    settings.secret = Some(Secret::new("s"));
    for (pairs, setting, why) in [
        (
            vec![("signature_method", "HMAC-SHA256")],
            "SIGNATURE_METHOD",
            "is not",
        ),
        (
            vec![("signature_method", "RSA-SHA1")],
            "RSA_PRIVATE_KEY",
            "is not set",
        ),
        (
            vec![(
                "rsa_private_key",
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
            )],
            "RSA_PRIVATE_KEY",
            "not an RSA private key",
        ),
        (
            vec![("send_oauth_version", "perhaps")],
            "SEND_OAUTH_VERSION",
            "",
        ),
    ] {
        let mut settings = settings.clone();
        for (k, v) in pairs {
            option(&mut settings, k, v);
        }
        let err = Configure::run(&backend, &settings).expect_err("refused");
        assert!(
            err.details()
                .contains(&format!("SOCIAL_AUTH_FAKE_{setting}"))
                && err.details().contains(why),
            "{setting}: {err}"
        );
    }
    // PLAINTEXT only over https.
    let mut plain = settings.clone();
    option(&mut plain, "signature_method", "PLAINTEXT");
    Configure::run(&backend, &plain).expect("https endpoints");
    plain.endpoints.insert(
        "access_token_url".into(),
        "http://provider.test/access_token".into(),
    );
    let err = Configure::run(&backend, &plain).expect_err("http");
    assert!(
        err.details().contains("SOCIAL_AUTH_FAKE_SIGNATURE_METHOD"),
        "{err}"
    );
}

#[tokio::test]
async fn the_generic_backend_takes_everything_from_settings() {
    let provider = Arc::new(Provider::default());
    let fake = provider.clone();
    let client = move |request: HttpRequest| {
        let fake = fake.clone();
        async move { Ok::<_, HttpError>(fake.answer(request)) }
    };
    let toml = r#"
        [backends.partner]
        key = "ck"
        secret = "cs"
        request_token_url = "https://partner.test/request_token"
        authorization_url = "https://partner.test/authorize"
        access_token_url = "https://partner.test/access_token"
        api_url = "https://partner.test/me"
        username_field = "name"
        send_oauth_version = true
    "#;
    let build = |settings: Settings| {
        SocialAuth::builder(Registry::new().with(OAuth1Backend::generic("partner")))
            .settings(settings)
            .storage(Arc::new(MemoryStorage::new()))
            .http_client(Arc::new(client.clone()))
            .clock(Arc::new(FixedClock::new(NOW)))
            .build()
    };
    let auth = build(Settings::from_toml_str(toml).expect("TOML")).expect("configured");
    let session = MemoryStrategy::new("http://testserver");
    let flow = auth.begin(&session, "partner").await.expect("begins");
    assert!(
        flow.redirect_url()
            .is_some_and(|u| u.starts_with("https://partner.test/authorize?oauth_token=rt-1")),
        "{flow:?}"
    );
    let callback = session
        .next_request()
        .with_param("oauth_token", "rt-1")
        .with_param("oauth_verifier", "v");
    let Ok(Outcome::LoggedIn(login)) = auth.complete(&callback, "partner", None).await else {
        panic!("login failed");
    };
    assert_eq!(login.account.map(|a| a.uid).as_deref(), Some("7"));
    assert_eq!(login.user.username, "ada", "USERNAME_FIELD");
    let me = provider.requests("/me");
    assert!(header(&me[0]).contains(r#"oauth_version="1.0""#));

    // Each URL is required, and named when missing.
    for missing in ["request_token_url", "api_url"] {
        let text: String = toml
            .lines()
            .filter(|l| !l.trim_start().starts_with(missing))
            .map(|l| format!("{l}\n"))
            .collect();
        let err = build(Settings::from_toml_str(&text).expect("TOML")).expect_err("refused");
        assert!(
            err.details()
                .contains(&format!("backends.partner.{missing}"))
                || err.details().contains(&format!(
                    "SOCIAL_AUTH_PARTNER_{}",
                    missing.to_ascii_uppercase()
                )),
            "{missing}: {err}"
        );
    }
}
