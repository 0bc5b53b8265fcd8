//! OpenID Connect: one test per ID-token rule, the shared key cache (single-flight refetch on
//! an unknown `kid`), the generic backend end to end, and the OIDC conformance checks.

#![cfg(feature = "oidc")]
#![allow(clippy::unwrap_used)]

use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};
use social_core::{
    Backend, BackendSettings, ErrorKind, MemoryStorage, MemoryStrategy, Outcome, ProviderCx,
    Registry, Secret, Settings, SocialAuth,
    clock::{Clock, FixedClock, SystemClock},
    http::ReqwestClient,
    settings::TomlValue,
};
use social_oauth2::oidc::{
    Algorithm, IdTokenRules, KeySet, LogoutRequest, NonceCheck, OidcBackend, OidcCache,
    end_session_url,
};
use social_testkit::{
    oidc::{self, TestKey, hs256, jwks, unsigned},
    provider::CLIENT_ID,
};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

const ISSUER: &str = "https://id.example.com";
const NOW: i64 = 1_700_000_000;
const NONCE: &str = "n-0S6_WzA2Mj";

fn claims() -> Value {
    oidc::claims(ISSUER, "user-1", Some(NONCE), NOW)
}

fn rules() -> IdTokenRules {
    IdTokenRules::new(ISSUER, CLIENT_ID)
}

fn keys(keys: &[&TestKey]) -> KeySet {
    KeySet::from_jwks(&jwks(keys)).unwrap()
}

#[track_caller]
fn refused(result: social_core::Result<social_oauth2::oidc::IdToken>, why: &str) {
    match result {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Failed, "{e}");
            assert!(e.details().contains(why), "expected `{why}` in: {e}");
        }
        Ok(t) => panic!("accepted, expected `{why}`: {t:?}"),
    }
}

fn check(token: &str, set: &KeySet) -> social_core::Result<social_oauth2::oidc::IdToken> {
    rules().check(token, set, NOW, NonceCheck::Required(NONCE))
}

// --- ID-token rules (OpenID Connect Core 1.0 section 3.1.3.7) -------------------------------

#[test]
fn valid_rs256_token_passes() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    let token = check(&key.sign(&claims()), &keys(&[&key])).unwrap();
    assert_eq!(token.sub(), "user-1");
    assert_eq!(token.alg, Algorithm::RS256);
}

#[test]
fn valid_es256_and_ps256_tokens_pass_when_allowed() {
    let ec = TestKey::ec();
    let ps = TestKey::rsa(1, Algorithm::PS256);
    let set = keys(&[&ec, &ps]);
    let mut rules = rules();
    rules.algorithms = vec![Algorithm::ES256, Algorithm::PS256];
    for key in [&ec, &ps] {
        let token = rules.check(&key.sign(&claims()), &set, NOW, NonceCheck::Required(NONCE));
        assert!(token.is_ok(), "{key:?}: {token:?}");
    }
}

#[test]
fn bad_signature_is_refused() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    let token = key.sign(&claims());
    // Same header and signature, other claims.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = oidc::unsigned(None, &json!({"sub": "admin"}));
    let forged_payload = forged.split('.').nth(1).unwrap().to_owned();
    parts[1] = &forged_payload;
    refused(check(&parts.join("."), &keys(&[&key])), "signature");
    // A token signed by another key under our key's kid.
    let other = TestKey::rsa(1, Algorithm::RS256);
    let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
    header.kid = Some(key.kid().to_owned());
    refused(
        check(&other.sign_with(header, &claims()), &keys(&[&key])),
        "signature",
    );
}

#[test]
fn alg_none_is_refused() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    refused(
        check(&unsigned(Some(key.kid()), &claims()), &keys(&[&key])),
        "alg: none",
    );
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    let token = hs256(key.public_bytes(), Some(key.kid()), &claims());
    refused(check(&token, &keys(&[&key])), "public keys");
    // Even with HS256 in the rules (settings refuse it; the check refuses it again).
    let mut rules = rules();
    rules.algorithms.push(Algorithm::HS256);
    refused(
        rules.check(&token, &keys(&[&key]), NOW, NonceCheck::Required(NONCE)),
        "public keys",
    );
    // A symmetric key slipped into the JWKS is never used.
    let set = KeySet::from_jwks(&json!({"keys": [
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"}, key.jwk()
    ]}))
    .unwrap();
    assert_eq!(set.len(), 1, "oct keys are dropped");
}

#[test]
fn alg_outside_the_allow_list_is_refused() {
    let ec = TestKey::ec();
    refused(check(&ec.sign(&claims()), &keys(&[&ec])), "not allowed");
}

#[test]
fn wrong_issuer_is_refused() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    let mut c = claims();
    c["iss"] = json!("https://id.example.com/");
    refused(check(&key.sign(&c), &keys(&[&key])), "`iss`");
}

#[test]
fn audience_without_our_client_id_is_refused() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    let mut c = claims();
    c["aud"] = json!(["other-client", "third"]);
    c["azp"] = json!("other-client");
    refused(check(&key.sign(&c), &keys(&[&key])), "`aud`");
}

#[test]
fn several_audiences_need_azp() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    let set = keys(&[&key]);
    let mut c = claims();
    c["aud"] = json!([CLIENT_ID, "other-client"]);
    refused(check(&key.sign(&c), &set), "`azp`");
    c["azp"] = json!(CLIENT_ID);
    refused(check(&key.sign(&c), &set), "not trusted");
    let mut trusting = rules();
    trusting.trusted_audiences = vec!["other-client".into()];
    assert!(
        trusting
            .check(&key.sign(&c), &set, NOW, NonceCheck::Required(NONCE))
            .is_ok()
    );
}

#[test]
fn azp_of_another_client_is_refused() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    let mut c = claims();
    c["azp"] = json!("other-client");
    refused(check(&key.sign(&c), &keys(&[&key])), "`azp`");
}

#[test]
fn expired_token_is_refused() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    let set = keys(&[&key]);
    let mut c = claims();
    c["iat"] = json!(NOW - 120);
    c["exp"] = json!(NOW - 31);
    refused(check(&key.sign(&c), &set), "expired");
    c["exp"] = json!(NOW - 29);
    assert!(check(&key.sign(&c), &set).is_ok(), "within the leeway");
}

#[test]
fn iat_beyond_the_skew_is_refused() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    let set = keys(&[&key]);
    let mut c = claims();
    c["iat"] = json!(NOW + 31);
    c["exp"] = json!(NOW + 600);
    refused(check(&key.sign(&c), &set), "future");
    c["iat"] = json!(NOW + 29);
    assert!(check(&key.sign(&c), &set).is_ok(), "within the skew");
    c["iat"] = json!(NOW - 631);
    refused(check(&key.sign(&c), &set), "seconds ago");
}

#[test]
fn nonce_must_match() {
    let key = TestKey::rsa(0, Algorithm::RS256);
    let set = keys(&[&key]);
    let mut c = claims();
    c["nonce"] = json!("another-login");
    refused(check(&key.sign(&c), &set), "`nonce`");
    c.as_object_mut().unwrap().remove("nonce");
    refused(check(&key.sign(&c), &set), "no `nonce`");
    // Providers that do not echo it: absent passes, wrong still fails.
    let lenient = |c: &Value| rules().check(&key.sign(c), &set, NOW, NonceCheck::IfPresent(NONCE));
    assert!(lenient(&c).is_ok());
    c["nonce"] = json!("another-login");
    refused(lenient(&c), "`nonce`");
}

#[test]
fn multi_tenant_issuer_needs_the_setting_and_the_right_tid() {
    const TEMPLATE: &str = "https://login.example.com/{tenantid}/v2.0";
    const TENANT: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
    let key = TestKey::rsa(0, Algorithm::RS256);
    let set = keys(&[&key]);
    let mut c = claims();
    c["iss"] = json!(format!("https://login.example.com/{TENANT}/v2.0"));
    c["tid"] = json!(TENANT);
    let mut rules = IdTokenRules::new(TEMPLATE, CLIENT_ID);
    let run = |rules: &IdTokenRules, c: &Value| {
        rules.check(&key.sign(c), &set, NOW, NonceCheck::Required(NONCE))
    };
    refused(run(&rules, &c), "`iss`");
    rules.multi_tenant = true;
    assert!(run(&rules, &c).is_ok(), "tenant issuer filled from tid");
    c["tid"] = json!("00000000-0000-0000-0000-000000000000");
    refused(run(&rules, &c), "`iss`");
    c["tid"] = json!("x/../evil");
    refused(run(&rules, &c), "tenant id");
    c.as_object_mut().unwrap().remove("tid");
    refused(run(&rules, &c), "`tid`");
}

#[test]
fn kid_selection() {
    let a = TestKey::rsa(0, Algorithm::RS256);
    let b = TestKey::rsa(1, Algorithm::RS256);
    let token = b.sign(&claims());
    refused(check(&token, &keys(&[&a])), "no key");
    assert!(check(&token, &keys(&[&a, &b])).is_ok());
    let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
    header.kid = None;
    let anonymous = b.sign_with(header, &claims());
    assert!(
        check(&anonymous, &keys(&[&b])).is_ok(),
        "one key: no kid needed"
    );
    refused(check(&anonymous, &keys(&[&a, &b])), "several keys");
}

// --- The shared cache ---------------------------------------------------------------------

struct Env {
    settings: Settings,
    http: ReqwestClient,
    clock: Arc<FixedClock>,
}

impl Env {
    fn new() -> Self {
        let mut settings = Settings::default();
        let mut backend = BackendSettings::default();
        backend.key = Some(CLIENT_ID.into());
        settings.backends.insert("corp".into(), backend);
        Self {
            settings,
            http: ReqwestClient::new(Duration::from_secs(5), "test").unwrap(),
            clock: Arc::new(FixedClock::new(SystemClock.now())),
        }
    }

    fn cx(&self) -> ProviderCx<'_> {
        ProviderCx::new("corp", &self.settings, &self.http, &*self.clock)
    }

    fn claims(&self, issuer: &str) -> Value {
        oidc::claims(issuer, "user-1", None, self.clock.now())
    }
}

async fn jwks_mock(server: &MockServer, set: Value, times: u64, first_only: bool) {
    let mut mock = Mock::given(matchers::method("GET"))
        .and(matchers::path("/jwks"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(set)
                .set_delay(Duration::from_millis(150)),
        );
    if first_only {
        mock = mock.up_to_n_times(1);
    }
    mock.expect(times).mount(server).await;
}

#[tokio::test]
async fn a_key_the_refetched_set_no_longer_lists_is_no_longer_trusted() {
    let server = MockServer::start().await;
    let (retired, current) = (
        TestKey::rsa(0, Algorithm::RS256),
        TestKey::rsa(1, Algorithm::RS256),
    );
    // The provider rotates: the second answer lists the new key only.
    jwks_mock(&server, jwks(&[&retired]), 1, true).await;
    jwks_mock(&server, jwks(&[&current]), 1, false).await;
    let env = Env::new();
    let cache = OidcCache::new();
    let uri = format!("{}/jwks", server.uri());
    let rules = IdTokenRules::new(server.uri(), CLIENT_ID);
    let claims = env.claims(&server.uri());
    let check = |key: &TestKey| {
        let token = key.sign(&claims);
        let cache = &cache;
        let (uri, rules, cx) = (&uri, &rules, env.cx());
        async move {
            cache
                .validate_id_token(&cx, uri, rules, &token, NonceCheck::Skip)
                .await
        }
    };
    assert!(check(&retired).await.is_ok(), "trusted before the rotation");
    assert!(
        check(&current).await.is_ok(),
        "the new key triggers one refetch"
    );
    let err = check(&retired)
        .await
        .expect_err("the retired key went with the old set");
    assert!(err.details().contains("no key"), "{err}");
}

#[tokio::test]
async fn unknown_kid_refetches_once_and_accepts_the_rotated_key() {
    let server = MockServer::start().await;
    let (old, new) = (
        TestKey::rsa(0, Algorithm::RS256),
        TestKey::rsa(1, Algorithm::RS256),
    );
    jwks_mock(&server, jwks(&[&old]), 1, true).await;
    jwks_mock(&server, jwks(&[&old, &new]), 1, false).await;
    let env = Env::new();
    let cache = OidcCache::new();
    let uri = format!("{}/jwks", server.uri());
    let rules = IdTokenRules::new(server.uri(), CLIENT_ID);
    let claims = env.claims(&server.uri());
    let first = cache
        .validate_id_token(
            &env.cx(),
            &uri,
            &rules,
            &old.sign(&claims),
            NonceCheck::Skip,
        )
        .await;
    assert!(first.is_ok(), "{first:?}");
    let rotated = cache
        .validate_id_token(
            &env.cx(),
            &uri,
            &rules,
            &new.sign(&claims),
            NonceCheck::Skip,
        )
        .await;
    assert!(rotated.is_ok(), "{rotated:?}");
    // Both keys are now cached: no more requests.
    for key in [&old, &new] {
        let again = cache
            .validate_id_token(
                &env.cx(),
                &uri,
                &rules,
                &key.sign(&claims),
                NonceCheck::Skip,
            )
            .await;
        assert!(again.is_ok());
    }
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_logins_with_an_unknown_kid_cause_one_refetch() {
    let server = MockServer::start().await;
    let (old, new) = (
        TestKey::rsa(0, Algorithm::RS256),
        TestKey::rsa(1, Algorithm::RS256),
    );
    jwks_mock(&server, jwks(&[&old]), 1, true).await;
    jwks_mock(&server, jwks(&[&old, &new]), 1, false).await;
    let env = Arc::new(Env::new());
    // No cool-down: only single-flight may keep the waiting logins from refetching.
    let cache = Arc::new(OidcCache::new().with_refetch_cooldown(Duration::ZERO));
    let uri = format!("{}/jwks", server.uri());
    let rules = Arc::new(IdTokenRules::new(server.uri(), CLIENT_ID));
    let claims = env.claims(&server.uri());
    cache
        .validate_id_token(
            &env.cx(),
            &uri,
            &rules,
            &old.sign(&claims),
            NonceCheck::Skip,
        )
        .await
        .unwrap();
    let token = Arc::new(new.sign(&claims));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (env, cache, rules, token, uri) = (
            env.clone(),
            cache.clone(),
            rules.clone(),
            token.clone(),
            uri.clone(),
        );
        tasks.spawn(async move {
            cache
                .validate_id_token(&env.cx(), &uri, &rules, &token, NonceCheck::Skip)
                .await
                .map(|t| t.sub().to_owned())
        });
    }
    let results = tasks.join_all().await;
    assert_eq!(results.len(), 16);
    assert!(
        results.iter().all(|r| r.as_deref().ok() == Some("user-1")),
        "{results:?}"
    );
    server.verify().await;
}

#[tokio::test]
async fn kid_unknown_after_the_refetch_is_refused_without_more_requests() {
    let server = MockServer::start().await;
    let (known, stranger) = (
        TestKey::rsa(0, Algorithm::RS256),
        TestKey::rsa(1, Algorithm::RS256),
    );
    // The initial fetch and exactly one refetch.
    jwks_mock(&server, jwks(&[&known]), 2, false).await;
    let env = Env::new();
    let cache = OidcCache::new();
    let uri = format!("{}/jwks", server.uri());
    let rules = IdTokenRules::new(server.uri(), CLIENT_ID);
    let claims = env.claims(&server.uri());
    let token = stranger.sign(&claims);
    for attempt in 0..3 {
        let result = cache
            .validate_id_token(&env.cx(), &uri, &rules, &token, NonceCheck::Skip)
            .await;
        refused(result, "no key");
        let _ = attempt;
    }
    server.verify().await;
    // After the cool-down, an unknown kid may refetch again.
    server.reset().await;
    jwks_mock(&server, jwks(&[&known, &stranger]), 1, false).await;
    env.clock.advance(11);
    let claims = env.claims(&server.uri());
    let result = cache
        .validate_id_token(
            &env.cx(),
            &uri,
            &rules,
            &stranger.sign(&claims),
            NonceCheck::Skip,
        )
        .await;
    assert!(result.is_ok(), "{result:?}");
    server.verify().await;
}

#[tokio::test]
async fn keys_expire_after_the_ttl_and_survive_a_failed_refresh() {
    let server = MockServer::start().await;
    let key = TestKey::rsa(0, Algorithm::RS256);
    jwks_mock(&server, jwks(&[&key]), 1, true).await;
    let env = Env::new();
    let cache = OidcCache::new().with_ttl(Duration::from_secs(60));
    let uri = format!("{}/jwks", server.uri());
    assert_eq!(cache.keys(&env.cx(), &uri).await.unwrap().len(), 1);
    assert_eq!(cache.keys(&env.cx(), &uri).await.unwrap().len(), 1);
    server.verify().await;
    server.reset().await;
    Mock::given(matchers::any())
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    env.clock.advance(61);
    let stale = cache.keys(&env.cx(), &uri).await;
    assert!(
        stale.is_ok_and(|k| k.contains(key.kid())),
        "stale keys keep serving"
    );
    server.verify().await;
}

// --- The generic backend ------------------------------------------------------------------

const DISCOVERY: &str = r#"{
  "issuer": "{issuer}",
  "authorization_endpoint": "{server}/protocol/openid-connect/auth",
  "token_endpoint": "{server}/protocol/openid-connect/token",
  "userinfo_endpoint": "{server}/protocol/openid-connect/userinfo",
  "jwks_uri": "{server}/protocol/openid-connect/certs",
  "end_session_endpoint": "{server}/protocol/openid-connect/logout",
  "response_types_supported": ["code"],
  "subject_types_supported": ["public"],
  "id_token_signing_alg_values_supported": ["RS256", "ES256"],
  "code_challenge_methods_supported": ["S256"]
}"#;

const TOKEN: &str = r#"{
  "access_token": "eyJhbGciOiJSUzI1NiJ9.access.sig",
  "token_type": "Bearer",
  "expires_in": 300,
  "refresh_token": "eyJhbGciOiJIUzI1NiJ9.refresh.sig",
  "scope": "openid profile email"
}"#;

const USERINFO: &str = r#"{
  "sub": "f1d2c3b4-0000-4000-8000-000000000001",
  "preferred_username": "jdoe",
  "name": "Jane Doe",
  "given_name": "Jane",
  "family_name": "Doe",
  "email": "jane.doe@example.com",
  "email_verified": true
}"#;

fn generic_fixture() -> oidc::OidcFixture {
    oidc::OidcFixture::new(
        "corp",
        "/realms/corp",
        DISCOVERY,
        TOKEN,
        "f1d2c3b4-0000-4000-8000-000000000001",
        json!({"email": "jane.doe@example.com", "email_verified": true}),
    )
    .userinfo(USERINFO)
}

fn generic() -> Arc<dyn Backend> {
    Arc::new(OidcBackend::generic("corp").with_cache(Arc::default()))
}

social_testkit::oidc_conformance!(oidc_generic: backend = generic(), fixture = generic_fixture());

mod es256 {
    use super::*;

    fn fixture() -> oidc::OidcFixture {
        generic_fixture()
            .es256()
            .option("jwt_algorithms", "ES256")
            .snapshots(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/snapshots/oidc_generic"
            ))
    }

    #[tokio::test]
    async fn login_with_es256() {
        oidc::login(generic(), fixture()).await;
    }

    #[tokio::test]
    async fn id_token_failures_with_es256() {
        oidc::id_token_failures(generic(), fixture()).await;
    }
}

#[test]
fn generic_backend_requires_the_endpoint_setting() {
    let storage = Arc::new(MemoryStorage::new());
    let settings = Settings::default()
        .with_vars(
            [
                ("SOCIAL_AUTH_CORP_KEY", "id"),
                ("SOCIAL_AUTH_CORP_SECRET", "s3cret"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
        .unwrap();
    let build = |settings: Settings| {
        SocialAuth::builder(Registry::new().with(OidcBackend::generic("corp")))
            .settings(settings)
            .storage(storage.clone())
            .build()
    };
    let err = build(settings.clone()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.details().contains("SOCIAL_AUTH_CORP_OIDC_ENDPOINT"),
        "{err}"
    );
    let settings = settings
        .with_vars(
            [
                (
                    "SOCIAL_AUTH_CORP_OIDC_ENDPOINT",
                    "https://id.example.com/realms/corp",
                ),
                ("SOCIAL_AUTH_CORP_SCOPE", "profile,email"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
        .unwrap();
    let err = build(settings.clone()).unwrap_err();
    assert!(err.details().contains("SOCIAL_AUTH_CORP_SCOPE"), "{err}");
    let mut ok = settings;
    ok.backends.get_mut("corp").unwrap().scope = None;
    let auth = build(ok).unwrap();
    let backend = auth.backend("corp", social_core::Stage::Begin).unwrap();
    assert_eq!(backend.protocol(), social_core::Protocol::OPENID_CONNECT);
}

/// Two generic backends, each under its own name and issuer, driven without the test harness
/// so that every endpoint comes from discovery.
#[tokio::test]
async fn several_generic_backends_use_their_own_discovery() {
    let servers = [MockServer::start().await, MockServer::start().await];
    let keys = [TestKey::rsa(0, Algorithm::RS256), TestKey::ec()];
    let mut settings = Settings::default();
    for ((name, server), key) in ["corp", "partner"].iter().zip(&servers).zip(&keys) {
        let issuer = format!("{}/realms/{name}", server.uri());
        let doc = DISCOVERY
            .replace("{issuer}", &issuer)
            .replace("{server}", &server.uri());
        Mock::given(matchers::path(format!(
            "/realms/{name}/.well-known/openid-configuration"
        )))
        .respond_with(ResponseTemplate::new(200).set_body_raw(doc, "application/json"))
        .expect(1)
        .mount(server)
        .await;
        Mock::given(matchers::path("/protocol/openid-connect/certs"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[key])))
            .mount(server)
            .await;
        let mut backend = BackendSettings::default();
        backend.key = Some(CLIENT_ID.into());
        backend.secret = Some(Secret::new("s3cret"));
        backend
            .options
            .insert("oidc_endpoint".into(), TomlValue::String(issuer));
        backend.options.insert(
            "jwt_algorithms".into(),
            TomlValue::String("RS256,ES256".into()),
        );
        settings.backends.insert((*name).to_owned(), backend);
    }
    let cache = Arc::new(OidcCache::new());
    let auth = SocialAuth::builder(
        Registry::new()
            .with(OidcBackend::generic("corp").with_cache(cache.clone()))
            .with(OidcBackend::generic("partner").with_cache(cache.clone())),
    )
    .settings(settings)
    .storage(Arc::new(MemoryStorage::new()))
    .build()
    .unwrap();
    for ((name, server), key) in ["corp", "partner"].iter().zip(&servers).zip(&keys) {
        let session = MemoryStrategy::new("http://testserver");
        let flow = auth.begin(&session, name).await.unwrap();
        let url = url::Url::parse(flow.redirect_url().unwrap()).unwrap();
        assert_eq!(
            &url[..url::Position::AfterPath],
            format!("{}/protocol/openid-connect/auth", server.uri())
        );
        let q = |n: &str| {
            url.query_pairs()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.into_owned())
        };
        let mut c = oidc::claims(
            &format!("{}/realms/{name}", server.uri()),
            &format!("{name}-user"),
            q("nonce").as_deref(),
            SystemClock.now(),
        );
        c["name"] = json!("Pat Doe");
        let body = json!({"access_token": "at", "token_type": "Bearer", "id_token": key.sign(&c)});
        Mock::given(matchers::path("/protocol/openid-connect/token"))
            .and(matchers::header_exists("authorization"))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .expect(1)
            .mount(server)
            .await;
        Mock::given(matchers::path("/protocol/openid-connect/userinfo"))
            .and(matchers::header("authorization", "Bearer at"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"sub": format!("{name}-user"), "email": format!("pat@{name}.example")}),
            ))
            .expect(1)
            .mount(server)
            .await;
        let callback = session
            .next_request()
            .with_param("code", "c")
            .with_param("state", &q("state").unwrap());
        match auth.complete(&callback, name, None).await {
            Ok(Outcome::LoggedIn(login)) => {
                assert_eq!(login.account.unwrap().uid, format!("{name}-user"));
                assert_eq!(login.user.email, Some(format!("pat@{name}.example")));
                assert_eq!(login.user.fullname.as_deref(), Some("Pat Doe"));
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    for server in &servers {
        server.verify().await;
    }
}

#[tokio::test]
async fn multi_tenant_discovery_needs_the_setting() {
    let server = MockServer::start().await;
    let doc = DISCOVERY
        .replace("{issuer}", &format!("{}/{{tenantid}}/v2.0", server.uri()))
        .replace("{server}", &server.uri());
    Mock::given(matchers::path(
        "/common/v2.0/.well-known/openid-configuration",
    ))
    .respond_with(ResponseTemplate::new(200).set_body_raw(doc, "application/json"))
    .mount(&server)
    .await;
    let mut env = Env::new();
    let cache = OidcCache::new();
    let issuer = format!("{}/common/v2.0", server.uri());
    let err = cache
        .metadata(&env.cx(), &issuer, false, social_core::Stage::Begin)
        .await
        .unwrap_err();
    assert!(err.details().contains("MULTI_TENANT"), "{err}");
    let doc = cache
        .metadata(&env.cx(), &issuer, true, social_core::Stage::Begin)
        .await
        .unwrap();
    assert!(doc.issuer.ends_with("/{tenantid}/v2.0"));
    // A template of another origin is refused even with the setting.
    let doc = DISCOVERY
        .replace("{issuer}", "https://elsewhere.example.com/{tenantid}/v2.0")
        .replace("{server}", &server.uri());
    Mock::given(matchers::path(
        "/other/v2.0/.well-known/openid-configuration",
    ))
    .respond_with(ResponseTemplate::new(200).set_body_raw(doc, "application/json"))
    .mount(&server)
    .await;
    let other = format!("{}/other/v2.0", server.uri());
    let err = cache
        .metadata(&env.cx(), &other, true, social_core::Stage::Begin)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    // The backend hands out the provider's logout URL.
    let backend = OidcBackend::generic("corp").with_cache(Arc::new(cache));
    let corp = env.settings.backends.get_mut("corp").unwrap();
    corp.options
        .insert("oidc_endpoint".into(), TomlValue::String(issuer));
    corp.options
        .insert("multi_tenant".into(), TomlValue::Boolean(true));
    let url = backend
        .logout_url(&env.cx(), &LogoutRequest::new(Some("h")).state("s"))
        .await
        .unwrap();
    assert_eq!(
        url,
        Some(format!(
            "{}/protocol/openid-connect/logout?id_token_hint=h&client_id={CLIENT_ID}&state=s",
            server.uri()
        ))
    );
}

/// A provider that declares revocation, as Google would.
struct Revocable;

impl social_oauth2::oidc::OidcProvider for Revocable {
    fn spec(&self) -> social_oauth2::oidc::OidcSpec {
        social_oauth2::oidc::OidcSpec {
            name: "revocable",
            revoke: true,
            ..social_oauth2::oidc::OidcSpec::DEFAULT
        }
    }
}

#[tokio::test]
async fn revocation_uses_the_discovered_endpoint() {
    let server = MockServer::start().await;
    let issuer = format!("{}/realms/corp", server.uri());
    let with_revocation = DISCOVERY
        .replace("{issuer}", &issuer)
        .replace("{server}", &server.uri())
        .replace(
            r#""end_session_endpoint""#,
            &format!(
                r#""revocation_endpoint": "{}/revoke", "end_session_endpoint""#,
                server.uri()
            ),
        );
    Mock::given(matchers::path(
        "/realms/corp/.well-known/openid-configuration",
    ))
    .respond_with(ResponseTemplate::new(200).set_body_raw(with_revocation, "application/json"))
    .mount(&server)
    .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/revoke"))
        .and(matchers::body_string_contains("token=at-1"))
        .and(matchers::header_exists("authorization"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut env = Env::new();
    let corp = env.settings.backends.get_mut("corp").unwrap();
    corp.secret = Some(Secret::new("s3cret"));
    corp.options
        .insert("oidc_endpoint".into(), TomlValue::String(issuer));
    let tokens = social_core::Tokens::new("at-1");
    let revocable = OidcBackend::named("corp", Revocable).with_cache(Arc::default());
    revocable.revoke_token(&env.cx(), &tokens).await.unwrap();
    let generic = OidcBackend::generic("corp").with_cache(Arc::default());
    let err = generic.revoke_token(&env.cx(), &tokens).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    server.verify().await;
}

/// A provider whose discovery document leaves its revocation endpoint out (Twitch).
struct DocumentedRevocation(&'static str);

impl social_oauth2::oidc::OidcProvider for DocumentedRevocation {
    fn spec(&self) -> social_oauth2::oidc::OidcSpec {
        social_oauth2::oidc::OidcSpec {
            name: "documented",
            revoke: true,
            revoke_url: Some(self.0),
            ..social_oauth2::oidc::OidcSpec::DEFAULT
        }
    }
}

#[tokio::test]
async fn the_specs_revocation_endpoint_serves_when_discovery_names_none() {
    let server = MockServer::start().await;
    let issuer = format!("{}/realms/corp", server.uri());
    let discovery = DISCOVERY
        .replace("{issuer}", &issuer)
        .replace("{server}", &server.uri());
    assert!(!discovery.contains("revocation_endpoint"));
    Mock::given(matchers::path(
        "/realms/corp/.well-known/openid-configuration",
    ))
    .respond_with(ResponseTemplate::new(200).set_body_raw(discovery, "application/json"))
    .mount(&server)
    .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/documented/revoke"))
        .and(matchers::body_string_contains("token=at-1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let mut env = Env::new();
    let corp = env.settings.backends.get_mut("corp").unwrap();
    corp.secret = Some(Secret::new("s3cret"));
    corp.options
        .insert("oidc_endpoint".into(), TomlValue::String(issuer));
    let url: &'static str =
        Box::leak(format!("{}/documented/revoke", server.uri()).into_boxed_str());
    let backend = OidcBackend::named("corp", DocumentedRevocation(url)).with_cache(Arc::default());
    backend
        .revoke_token(&env.cx(), &social_core::Tokens::new("at-1"))
        .await
        .unwrap();
    server.verify().await;
}

#[test]
fn standard_claims_map_to_details() {
    let details = social_oauth2::oidc::standard_details(&json!({
        "sub": "1", "given_name": "Ada", "family_name": "Lovelace", "email": "ada@example.com",
        "email_verified": "true", "preferred_username": "ada", "locale": "en-GB",
    }));
    assert_eq!(
        details.fullname.as_deref(),
        Some("Ada Lovelace"),
        "no `name`: joined"
    );
    assert_eq!(details.username.as_deref(), Some("ada"));
    assert!(details.email_verified, "\"true\" as text counts");
    let details = social_oauth2::oidc::standard_details(&json!({
        "sub": "1", "name": "Countess Lovelace", "given_name": "Ada", "email_verified": false,
    }));
    assert_eq!(details.fullname.as_deref(), Some("Countess Lovelace"));
    assert_eq!(details.first_name.as_deref(), Some("Ada"));
    assert!(!details.email_verified);
}

#[test]
fn logout_url_carries_hint_redirect_and_state() {
    let url = end_session_url(
        "https://id.example.com/logout?ui=1",
        CLIENT_ID,
        &LogoutRequest::new(Some("eyJ.hint.sig"))
            .post_logout_redirect_uri("https://app.example.com/bye")
            .state("xyz"),
    )
    .unwrap();
    assert_eq!(
        url,
        "https://id.example.com/logout?ui=1&id_token_hint=eyJ.hint.sig&client_id=test-client-id\
         &post_logout_redirect_uri=https%3A%2F%2Fapp.example.com%2Fbye&state=xyz"
    );
}

/// Userinfo fills in what the ID token leaves out, but never overrides what it vouches for.
#[tokio::test]
async fn userinfo_never_overrides_the_id_token() {
    let fixture = oidc::OidcFixture::new(
        "corp",
        "/realms/corp",
        DISCOVERY,
        TOKEN,
        "f1d2c3b4-0000-4000-8000-000000000001",
        json!({"email": "jane.doe@example.com", "email_verified": false}),
    )
    .userinfo(USERINFO);
    let provider = fixture.start(generic()).await;
    let login = provider.login().await;
    assert!(
        !login.user.email_verified,
        "the ID token's email_verified=false stands"
    );
    assert_eq!(
        login.user.first_name.as_deref(),
        Some("Jane"),
        "filled from userinfo"
    );
}

/// An application keeps an `Arc` of its OIDC backend and asks it for the logout URL with the
/// context `SocialAuth` hands out.
#[tokio::test]
async fn applications_reach_the_logout_url_through_social_auth() {
    let server = MockServer::start().await;
    let issuer = format!("{}/realms/corp", server.uri());
    let doc = DISCOVERY
        .replace("{issuer}", &issuer)
        .replace("{server}", &server.uri());
    Mock::given(matchers::path(
        "/realms/corp/.well-known/openid-configuration",
    ))
    .respond_with(ResponseTemplate::new(200).set_body_raw(doc, "application/json"))
    .mount(&server)
    .await;
    let backend = Arc::new(OidcBackend::generic("corp").with_cache(Arc::default()));
    let settings = Settings::default()
        .with_vars(
            [
                ("SOCIAL_AUTH_CORP_KEY", CLIENT_ID),
                ("SOCIAL_AUTH_CORP_SECRET", "s3cret"),
                ("SOCIAL_AUTH_CORP_OIDC_ENDPOINT", issuer.as_str()),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
        .unwrap();
    let auth = SocialAuth::builder(Registry::new().with_arc(backend.clone()))
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .build()
        .unwrap();
    let url = backend
        .logout_url(&auth.provider_cx("corp"), &LogoutRequest::new(Some("hint")))
        .await
        .unwrap()
        .unwrap();
    assert!(url.contains("id_token_hint=hint"), "{url}");
}

/// A provider whose issuer is a template of its settings, as a Keycloak realm's is.
const REALM: social_oauth2::oidc::OidcSpec = social_oauth2::oidc::OidcSpec {
    name: "realm",
    issuer: Some("{base_url}/realms/{realm}"),
    ..social_oauth2::oidc::OidcSpec::DEFAULT
};

#[tokio::test]
async fn an_issuer_template_fills_from_settings_and_its_options_are_required() {
    let server = MockServer::start().await;
    let issuer = format!("{}/realms/corp", server.uri());
    Mock::given(matchers::path(
        "/realms/corp/.well-known/openid-configuration",
    ))
    .respond_with(
        ResponseTemplate::new(200).set_body_raw(
            DISCOVERY
                .replace("{issuer}", &issuer)
                .replace("{server}", &issuer),
            "application/json",
        ),
    )
    .expect(1)
    .mount(&server)
    .await;
    let build = |vars: Vec<(String, String)>| {
        Settings::default().with_vars(vars).and_then(|settings| {
            SocialAuth::builder(Registry::new().with(OidcBackend::new(REALM)))
                .settings(settings)
                .storage(Arc::new(MemoryStorage::new()))
                .service(Arc::new(OidcCache::new()))
                .build()
        })
    };
    let mut vars = vec![
        ("SOCIAL_AUTH_REALM_KEY".to_owned(), CLIENT_ID.to_owned()),
        ("SOCIAL_AUTH_REALM_SECRET".to_owned(), "s3cret".to_owned()),
        ("SOCIAL_AUTH_REALM_BASE_URL".to_owned(), server.uri()),
    ];
    let err = build(vars.clone()).expect_err("no realm");
    assert!(
        err.details().starts_with("SOCIAL_AUTH_REALM_REALM"),
        "{err}"
    );
    vars.push(("SOCIAL_AUTH_REALM_REALM".to_owned(), "corp".to_owned()));
    // With the issuer given whole, the template's settings would be read nowhere.
    let mut whole = vars.clone();
    whole.push(("SOCIAL_AUTH_REALM_OIDC_ENDPOINT".to_owned(), issuer.clone()));
    let err = build(whole).expect_err("both given");
    assert!(
        err.details()
            .contains("is not used when SOCIAL_AUTH_REALM_OIDC_ENDPOINT"),
        "{err}"
    );
    let auth = build(vars).expect("valid settings");
    let flow = auth
        .begin(&MemoryStrategy::new("http://testserver"), "realm")
        .await
        .expect("begins");
    let url = flow.redirect_url().unwrap_or_default();
    assert!(
        url.starts_with(&format!("{issuer}/protocol/openid-connect/auth?")),
        "{url}"
    );
}

/// `private_key_jwt` and `client_secret_jwt` (OpenID Connect Core 1.0 section 9, RFC 7523).
mod client_assertions {
    use super::*;

    use jsonwebtoken::{DecodingKey, Validation, jwk::Jwk};
    use social_testkit::provider::CLIENT_SECRET;

    /// The form and the `Authorization` header of the token request `p` received.
    async fn token_request(p: &oidc::Provider) -> (Vec<(String, String)>, Option<String>) {
        let requests = p
            .harness
            .server
            .received_requests()
            .await
            .unwrap_or_default();
        let token = requests
            .iter()
            .find(|r| r.url.path() == "/protocol/openid-connect/token")
            .expect("a token request");
        let form = url::form_urlencoded::parse(&token.body)
            .into_owned()
            .collect();
        let auth = token
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        (form, auth)
    }

    fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Checks the assertion's type and claims with `key`, returning its header.
    fn check_assertion(
        form: &[(String, String)],
        key: &DecodingKey,
        alg: Algorithm,
        audience: &str,
    ) -> jsonwebtoken::Header {
        assert_eq!(field(form, "client_id"), Some(CLIENT_ID));
        assert_eq!(
            field(form, "client_assertion_type"),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        assert_eq!(field(form, "client_secret"), None, "no secret is sent");
        let assertion = field(form, "client_assertion").expect("an assertion");
        let mut validation = Validation::new(alg);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[CLIENT_ID]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Value>(assertion, key, &validation)
            .unwrap_or_else(|e| panic!("the assertion verifies: {e}"));
        assert_eq!(data.claims["sub"], CLIENT_ID);
        assert!(data.claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
        let lifetime = data.claims["exp"].as_i64().unwrap_or_default()
            - data.claims["iat"].as_i64().unwrap_or_default();
        assert!((1..=300).contains(&lifetime), "short-lived: {lifetime}");
        data.header
    }

    #[tokio::test]
    async fn private_key_jwt_signs_with_the_clients_key_and_sends_no_secret() {
        for client_key in [TestKey::ec(), TestKey::rsa(1, Algorithm::RS256)] {
            let fixture = generic_fixture()
                .option("token_endpoint_auth_method", "private_key_jwt")
                .option("private_key", client_key.private_pem())
                .option("private_key_id", "client-key-1");
            let p = fixture.start(generic()).await;
            p.login().await;
            let (form, auth) = token_request(&p).await;
            assert_eq!(auth, None, "no HTTP Basic beside the assertion");
            let jwk: Jwk = serde_json::from_value(client_key.jwk()).unwrap();
            let key = DecodingKey::from_jwk(&jwk).unwrap();
            let audience = format!("{}/protocol/openid-connect/token", p.harness.server.uri());
            let alg = if client_key.kid().starts_with("ec") {
                Algorithm::ES256
            } else {
                Algorithm::RS256
            };
            let header = check_assertion(&form, &key, alg, &audience);
            assert_eq!(header.kid.as_deref(), Some("client-key-1"));
        }
    }

    #[tokio::test]
    async fn client_secret_jwt_signs_with_the_secret() {
        let fixture = generic_fixture().option("token_endpoint_auth_method", "client_secret_jwt");
        let p = fixture.start(generic()).await;
        p.login().await;
        let (form, auth) = token_request(&p).await;
        assert_eq!(auth, None);
        let audience = format!("{}/protocol/openid-connect/token", p.harness.server.uri());
        let key = DecodingKey::from_secret(CLIENT_SECRET.as_bytes());
        check_assertion(&form, &key, Algorithm::HS256, &audience);
    }

    #[test]
    fn private_key_jwt_needs_a_key_but_no_secret() {
        let key = TestKey::ec();
        let build = |pairs: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| (format!("SOCIAL_AUTH_CORP_{k}"), (*v).to_owned()))
                .collect();
            let settings = Settings::default().with_vars(vars).expect("variables");
            SocialAuth::builder(Registry::new().with(OidcBackend::generic("corp")))
                .settings(settings)
                .storage(Arc::new(MemoryStorage::new()))
                .build()
        };
        let base = [
            ("KEY", "client"),
            ("OIDC_ENDPOINT", "https://id.example.com"),
            ("TOKEN_ENDPOINT_AUTH_METHOD", "private_key_jwt"),
        ];
        let err = build(&base).expect_err("no key");
        assert!(
            err.to_string().contains("SOCIAL_AUTH_CORP_PRIVATE_KEY"),
            "{err}"
        );
        let mut with_key = base.to_vec();
        with_key.push(("PRIVATE_KEY", key.private_pem()));
        build(&with_key).expect("a key and no secret is enough");
        let err = build(&base[..2]).expect_err("the default method needs the secret");
        assert!(err.to_string().contains("SOCIAL_AUTH_CORP_SECRET"), "{err}");
    }
}

/// OpenID Connect Core 1.0 section 3.1.3.7 step 3 and 3.1.3.8; RFC 9068's `at+jwt`.
mod audiences_and_token_binding {
    use super::*;

    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    use sha2::Digest as _;

    #[test]
    fn an_extra_audience_is_refused_unless_trusted() {
        let key = TestKey::rsa(0, Algorithm::RS256);
        let set = keys(&[&key]);
        let mut c = claims();
        c["aud"] = json!([CLIENT_ID, "https://api.other.example"]);
        c["azp"] = json!(CLIENT_ID);
        refused(check(&key.sign(&c), &set), "not trusted");
        let mut trusting = rules();
        trusting.trusted_audiences = vec!["https://api.other.example".into()];
        trusting
            .check(&key.sign(&c), &set, NOW, NonceCheck::Required(NONCE))
            .expect("a trusted extra audience");
        // Our client id alone, in a list of one, is fine.
        c["aud"] = json!([CLIENT_ID]);
        check(&key.sign(&c), &set).expect("one audience");
    }

    #[test]
    fn an_access_token_jwt_is_not_an_id_token() {
        let key = TestKey::rsa(0, Algorithm::RS256);
        let set = keys(&[&key]);
        for typ in ["at+jwt", "application/at+JWT"] {
            let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
            header.kid = Some(key.kid().to_owned());
            header.typ = Some(typ.to_owned());
            refused(check(&key.sign_with(header, &claims()), &set), "at+jwt");
        }
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some(key.kid().to_owned());
        header.typ = Some("JWT".to_owned());
        check(&key.sign_with(header, &claims()), &set).expect("typ JWT");
    }

    fn at_hash(access_token: &str) -> String {
        let digest = sha2::Sha256::digest(access_token.as_bytes());
        URL_SAFE_NO_PAD.encode(&digest[..16])
    }

    #[test]
    fn at_hash_binds_the_id_token_to_its_access_token() {
        let key = TestKey::rsa(0, Algorithm::RS256);
        let set = keys(&[&key]);
        let mut c = claims();
        c["at_hash"] = json!(at_hash("the-access-token"));
        let token = check(&key.sign(&c), &set).expect("valid");
        token.check_at_hash("the-access-token").expect("matches");
        let err = token.check_at_hash("another-token").expect_err("mismatch");
        assert!(err.details().contains("at_hash"), "{err}");
        let plain = check(&key.sign(&claims()), &set).expect("valid");
        plain
            .check_at_hash("anything")
            .expect("no at_hash, nothing to check");
    }

    #[tokio::test]
    async fn a_login_whose_at_hash_does_not_match_is_refused() {
        let p = generic_fixture().start(generic()).await;
        let outcome = p
            .login_with(|p, mut c| {
                c["at_hash"] = json!(at_hash("not-the-issued-access-token"));
                Some(p.key.sign(&c))
            })
            .await;
        let err = outcome.expect_err("refused");
        assert!(err.details().contains("at_hash"), "{err}");
        p.harness.assert_nothing_written("at_hash mismatch");
    }
}

/// RFC 9207: the authorization response's `iss` names the provider that issued the code.
mod mix_up {
    use super::*;

    async fn callback_with(p: &oidc::Provider, iss: Option<&str>) -> social_core::Result<Outcome> {
        let (session, url, nonce) = p.begin().await;
        let id_token = p.key.sign(&p.claims(Some(&nonce)));
        p.mount_token(Some(&id_token), 1).await;
        p.mount_userinfo().await;
        let state = social_testkit::provider::param(&url, "state").unwrap_or_default();
        let mut fields = vec![("code", "test-code"), ("state", state.as_str())];
        if let Some(iss) = iss {
            fields.push(("iss", iss));
        }
        p.harness.callback(&session, &fields).await
    }

    #[tokio::test]
    async fn a_response_naming_another_issuer_is_refused_before_the_code_is_sent() {
        let p = generic_fixture().start(generic()).await;
        let err = callback_with(&p, Some("https://attacker.example"))
            .await
            .expect_err("mix-up");
        assert_eq!(err.kind(), ErrorKind::Failed, "{err}");
        assert!(err.details().contains("mix-up"), "{err}");
        let requests = p
            .harness
            .server
            .received_requests()
            .await
            .unwrap_or_default();
        assert!(
            !requests.iter().any(|r| r.url.path().ends_with("/token")),
            "the code went nowhere"
        );
        p.harness.assert_nothing_written("mix-up");
        p.reset().await;
        // The right issuer, or none from a provider that does not send it, passes.
        let issuer = p.issuer.clone();
        let ok = callback_with(&p, Some(&issuer)).await;
        assert!(matches!(ok, Ok(Outcome::LoggedIn(_))), "{ok:?}");
        let ok = callback_with(&p, None).await;
        assert!(matches!(ok, Ok(Outcome::LoggedIn(_))), "{ok:?}");
    }

    #[tokio::test]
    async fn a_provider_that_advertises_iss_must_send_it() {
        let discovery = DISCOVERY.replace(
            r#""issuer": "{issuer}","#,
            r#""issuer": "{issuer}", "authorization_response_iss_parameter_supported": true,"#,
        );
        let fixture = oidc::OidcFixture::new(
            "corp",
            "/realms/corp",
            Box::leak(discovery.into_boxed_str()),
            TOKEN,
            "f1d2c3b4-0000-4000-8000-000000000001",
            json!({"email": "jane.doe@example.com", "email_verified": true}),
        )
        .userinfo(USERINFO);
        let p = fixture.start(generic()).await;
        let err = callback_with(&p, None).await.expect_err("iss is missing");
        assert_eq!(err.kind(), ErrorKind::MissingParameter, "{err}");
        p.reset().await;
        let issuer = p.issuer.clone();
        let ok = callback_with(&p, Some(&issuer)).await;
        assert!(matches!(ok, Ok(Outcome::LoggedIn(_))), "{ok:?}");
    }
}

/// Bounded fuzzing of what a provider (or an attacker in its place) sends: ID tokens, key
/// sets and discovery documents (see `social_testkit::fuzz`).
mod fuzzing {
    use super::*;

    use social_oauth2::oidc::ProviderMetadata;
    use social_testkit::fuzz;

    const JWT_PIECES: &[&str] = &[
        "eyJ",
        "hbGciOiJSUzI1NiJ9",
        ".",
        "..",
        "=",
        "-",
        "_",
        "A",
        "0",
        "+",
        "/",
        "eyJhbGciOiJub25lIn0",
        "eyJhbGciOiJIUzI1NiJ9",
        "e30",
        "bnVsbA",
    ];

    #[test]
    fn arbitrary_and_mutated_id_tokens_are_refused_without_panicking() {
        let key = TestKey::rsa(0, Algorithm::RS256);
        let set = keys(&[&key]);
        let valid = key.sign(&claims());
        fuzz::run("IdTokenRules::check", |rng| {
            let token = if rng.below(2) == 0 {
                rng.text(JWT_PIECES, 12)
            } else {
                rng.mutate(&valid, JWT_PIECES)
            };
            if let Ok(accepted) = check(&token, &set) {
                // A change that decodes to the same signed bytes (base64 padding bits) is the
                // same token; anything else must not verify.
                assert_eq!(accepted.sub(), "user-1", "{token}");
                assert_eq!(accepted.claims, check(&valid, &set).expect("valid").claims);
            }
        });
    }

    #[test]
    fn arbitrary_key_sets_and_discovery_documents_parse_or_fail_cleanly() {
        let jwks = jwks(&[&TestKey::rsa(0, Algorithm::RS256), &TestKey::ec()]).to_string();
        let pieces = &[
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"kty\"",
            "\"RSA\"",
            "\"EC\"",
            "\"n\"",
            "\"e\"",
            "\"AQAB\"",
            "\"crv\"",
            "\"P-256\"",
            "null",
            "1e999",
            "\"keys\"",
            "\"use\"",
            "\"enc\"",
        ];
        fuzz::run("KeySet::from_jwks", |rng| {
            let text = rng.mutate(&jwks, pieces);
            if let Ok(value) = serde_json::from_str::<Value>(&text) {
                let _ = KeySet::from_jwks(&value);
            }
        });
        let discovery = DISCOVERY
            .replace("{issuer}", "https://id.example.com")
            .replace("{server}", "https://id.example.com");
        fuzz::run("ProviderMetadata", |rng| {
            let text = rng.mutate(&discovery, pieces);
            let _ = serde_json::from_str::<ProviderMetadata>(&text);
        });
    }
}

/// The checklist items the attack run found without a test.
mod checklist {
    use super::*;

    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    use rsa::traits::PublicKeyParts as _;

    #[test]
    fn rsa_keys_shorter_than_2048_bits_are_never_trusted() {
        let short = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).expect("a key");
        let public = short.to_public_key();
        let jwk = json!({"keys": [{
            "kty": "RSA", "use": "sig", "kid": "short",
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        }]});
        let set = KeySet::from_jwks(&jwk).expect("a JWKS");
        assert!(set.is_empty(), "a 1024-bit key is dropped");
        let full = keys(&[&TestKey::rsa(0, Algorithm::RS256)]);
        assert_eq!(full.len(), 1, "2048 bits pass");
    }

    #[test]
    fn a_very_long_sub_is_carried_whole() {
        let key = TestKey::rsa(0, Algorithm::RS256);
        let mut c = claims();
        let long = "s".repeat(300);
        c["sub"] = json!(long);
        let token = check(&key.sign(&c), &keys(&[&key])).expect("valid");
        assert_eq!(
            token.sub(),
            long,
            "never truncated: a cut sub could name another user"
        );
    }
}
