//! Facebook's own behaviour beyond the conformance suite: `appsecret_proof`, the `fields` query,
//! the versioned endpoints, start-up checks of its settings, e-mail trust, token expiry, Graph
//! API errors and `signed_request` through the public API.

use std::sync::Arc;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use social_core::{
    Backend, BackendSettings, ErrorKind, Login, MemoryStorage, MemoryStrategy, Outcome, Registry,
    Secret, Settings, SocialAuth, settings::TomlValue,
};
use social_facebook::{DEFAULT_API_VERSION, Facebook, NAME, SIGNED_REQUEST_MAX_AGE};
use social_oauth2::OAuth2Backend;
use social_oauth2::OAuth2Provider;
use social_testkit::provider::{CLIENT_ID, CLIENT_SECRET, Fixture, Harness, expect_kind};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

const TOKEN: &str = social_testkit::fixture!("token.json");
const ME: &str = social_testkit::fixture!("me.json");
const ACCESS_TOKEN: &str = "EAAJx7ZB2ZCvHIBO1kZAyQm8ZBXqZCzZCVzYkR0hZAtB5ZCfFbG8ZD";
const EXPIRES_IN: i64 = 5_183_944;

fn fixture() -> Fixture {
    Fixture::new("facebook")
        .endpoint("authorization_url", "/dialog/oauth")
        .endpoint("api_url", "/graph")
        .token("GET", "/graph/oauth/access_token", TOKEN)
}

async fn mount(server: &MockServer, path: &str, status: u16, body: &str) {
    Mock::given(matchers::method("GET"))
        .and(matchers::path(path))
        .respond_with(
            ResponseTemplate::new(status).set_body_raw(body.to_owned(), "application/json"),
        )
        .mount(server)
        .await;
}

/// Runs one login through `h` with `me` as the profile answer.
async fn log_in(h: &Harness, me: &str) -> social_core::Result<Outcome> {
    mount(&h.server, "/graph/oauth/access_token", 200, TOKEN).await;
    mount(&h.server, "/graph/me", 200, me).await;
    let (session, url) = h.begin().await;
    let state = query(url.as_str(), "state").unwrap_or_default();
    h.callback(&session, &[("code", "test-code"), ("state", &state)])
        .await
}

fn logged_in(outcome: social_core::Result<Outcome>) -> Login {
    match outcome {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

fn query(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The one request the backend sent to the profile endpoint.
async fn profile_request(server: &MockServer) -> Request {
    let requests = server.received_requests().await.unwrap_or_default();
    let mut me: Vec<Request> = requests
        .into_iter()
        .filter(|r| r.url.path() == "/graph/me")
        .collect();
    assert_eq!(me.len(), 1, "exactly one profile request");
    me.remove(0)
}

/// HMAC-SHA256 in lower-case hex, computed here rather than with the crate's helper.
fn hmac_hex(key: &str, message: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(message.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn appsecret_proof_and_fields_go_with_the_profile_call() {
    let h = Harness::new(Arc::new(social_facebook::backend()), &fixture()).await;
    logged_in(log_in(&h, ME).await);
    let request = profile_request(&h.server).await;
    let url = request.url.as_str();
    assert_eq!(
        query(url, "appsecret_proof"),
        Some(hmac_hex(CLIENT_SECRET, ACCESS_TOKEN)),
        "appsecret_proof is HMAC-SHA256(app secret, access token) in hex"
    );
    assert_eq!(
        query(url, "fields").as_deref(),
        Some("id,name,email,first_name,last_name,picture")
    );
    assert_eq!(
        request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str()),
        "the token travels in the header"
    );
    assert!(
        !url.contains(ACCESS_TOKEN),
        "the token stays out of the URL: {url}"
    );
    assert_eq!(
        social_facebook::appsecret_proof(CLIENT_SECRET, ACCESS_TOKEN),
        hmac_hex(CLIENT_SECRET, ACCESS_TOKEN),
        "the public helper agrees"
    );
}

#[tokio::test]
async fn appsecret_proof_can_be_turned_off() {
    let fixture = fixture().option("appsecret_proof", "false");
    let h = Harness::new(Arc::new(social_facebook::backend()), &fixture).await;
    logged_in(log_in(&h, ME).await);
    let request = profile_request(&h.server).await;
    assert_eq!(query(request.url.as_str(), "appsecret_proof"), None);
}

#[tokio::test]
async fn profile_extra_params_extend_the_fields() {
    let fixture = fixture().option("profile_extra_params", "locale, link,picture.type(large)");
    let h = Harness::new(Arc::new(social_facebook::backend()), &fixture).await;
    let mut me: serde_json::Value = serde_json::from_str(ME).expect("fixture is JSON");
    me["locale"] = json!("en_GB");
    me["link"] = json!("https://www.facebook.com/app_scoped_user_id/10158422951234567/");
    let login = logged_in(log_in(&h, &me.to_string()).await);
    let request = profile_request(&h.server).await;
    assert_eq!(
        query(request.url.as_str(), "fields").as_deref(),
        Some("id,name,email,first_name,last_name,picture.type(large),locale,link"),
        "extras are added; one naming a default field replaces it"
    );
    assert_eq!(login.user.fullname.as_deref(), Some("Jordan Example"));
}

#[tokio::test]
async fn api_version_moves_the_default_endpoints() {
    let server = MockServer::start().await;
    let mut backend = BackendSettings::default();
    backend.key = Some(CLIENT_ID.into());
    backend.secret = Some(Secret::new(CLIENT_SECRET));
    backend
        .options
        .insert("api_version".into(), TomlValue::String("v19.0".into()));
    // Only the token endpoint and the Graph API point at the fake server; the authorize URL is
    // a redirect the browser would follow, so it keeps Facebook's host and the version.
    backend.endpoints.insert(
        "access_token_url".into(),
        format!("{}/v19.0/oauth/access_token", server.uri()),
    );
    backend
        .endpoints
        .insert("api_url".into(), format!("{}/v19.0", server.uri()));

    assert_eq!(
        Facebook.endpoint(&backend, social_core::Endpoint::AUTHORIZATION, ""),
        "https://www.facebook.com/v19.0/dialog/oauth"
    );
    let mut plain = BackendSettings::default();
    plain
        .options
        .insert("api_version".into(), TomlValue::String("v19.0".into()));
    assert_eq!(
        Facebook.endpoint(&plain, social_core::Endpoint::ACCESS_TOKEN, ""),
        "https://graph.facebook.com/v19.0/oauth/access_token"
    );
    assert_eq!(
        Facebook.endpoint(&plain, social_core::Endpoint::API, ""),
        "https://graph.facebook.com/v19.0"
    );
    assert!(
        Facebook
            .endpoint(
                &BackendSettings::default(),
                social_core::Endpoint::AUTHORIZATION,
                ""
            )
            .contains(&format!("/{DEFAULT_API_VERSION}/")),
        "unset, the default version is used"
    );

    let mut settings = Settings::default();
    settings.backends.insert(NAME.into(), backend);
    let storage = Arc::new(MemoryStorage::new());
    let auth = SocialAuth::builder(Registry::new().with(social_facebook::backend()))
        .settings(settings)
        .storage(storage.clone())
        .build()
        .expect("valid settings");
    let session = MemoryStrategy::new("http://testserver");
    let flow = auth.begin(&session, NAME).await.expect("begin");
    let authorize = url::Url::parse(flow.redirect_url().expect("a redirect")).expect("a URL");
    assert_eq!(authorize.host_str(), Some("www.facebook.com"));
    assert_eq!(authorize.path(), "/v19.0/dialog/oauth");

    Mock::given(matchers::method("GET"))
        .and(matchers::path("/v19.0/oauth/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/v19.0/me"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ME, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let state = query(authorize.as_str(), "state").unwrap_or_default();
    let callback = session
        .next_request()
        .with_param("code", "test-code")
        .with_param("state", &state);
    let outcome = auth.complete(&callback, NAME, None).await;
    assert_eq!(
        logged_in(outcome).account.map(|a| a.uid).as_deref(),
        Some("10158422951234567")
    );
}

/// Builds social login with `backend` from environment variables, key and secret included.
fn build(
    vars: &[(&str, &str)],
    backend: OAuth2Backend<Facebook>,
) -> social_core::Result<SocialAuth> {
    // Only the registered backend's: a variable of another backend stops start-up.
    let prefix = backend.name().to_ascii_uppercase().replace('-', "_");
    let mut all: Vec<(String, String)> = vec![
        (format!("SOCIAL_AUTH_{prefix}_KEY"), CLIENT_ID.to_owned()),
        (
            format!("SOCIAL_AUTH_{prefix}_SECRET"),
            CLIENT_SECRET.to_owned(),
        ),
    ];
    all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let settings = Settings::default().with_vars(all)?;
    SocialAuth::builder(Registry::new().with(backend))
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .build()
}

#[track_caller]
fn expect_config(case: &str, result: social_core::Result<SocialAuth>, setting: &str) {
    match result {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Config, "{case}: {e}");
            assert!(
                e.details().contains(setting),
                "{case}: {e} does not name {setting}"
            );
        }
        Ok(_) => panic!("{case}: built"),
    }
}

#[test]
fn invalid_api_version_is_refused_at_build() {
    for bad in ["21.0", "v21", "latest", "v21.0/", "v21.0.1", "v21.0 ", ""] {
        expect_config(
            bad,
            build(
                &[("SOCIAL_AUTH_FACEBOOK_API_VERSION", bad)],
                social_facebook::backend(),
            ),
            "SOCIAL_AUTH_FACEBOOK_API_VERSION",
        );
    }
    expect_config(
        "renamed backend",
        build(
            &[("SOCIAL_AUTH_FACEBOOK_PAGES_API_VERSION", "latest")],
            OAuth2Backend::named("facebook-pages", Facebook),
        ),
        "SOCIAL_AUTH_FACEBOOK_PAGES_API_VERSION",
    );
    for good in ["v19.0", "v25.0", DEFAULT_API_VERSION] {
        assert!(
            build(
                &[("SOCIAL_AUTH_FACEBOOK_API_VERSION", good)],
                social_facebook::backend()
            )
            .is_ok(),
            "{good} is a version"
        );
    }
}

#[test]
fn other_settings_are_checked_at_build() {
    for (setting, bad) in [
        (
            "SOCIAL_AUTH_FACEBOOK_PROFILE_EXTRA_PARAMS",
            "fields=id,name,locale",
        ),
        ("SOCIAL_AUTH_FACEBOOK_PROFILE_EXTRA_PARAMS", "birthday{"),
        ("SOCIAL_AUTH_FACEBOOK_APPSECRET_PROOF", "maybe"),
        ("SOCIAL_AUTH_FACEBOOK_TRUST_EMAIL", "sure"),
    ] {
        expect_config(
            bad,
            build(&[(setting, bad)], social_facebook::backend()),
            setting,
        );
    }
    let ok = build(
        &[
            ("SOCIAL_AUTH_FACEBOOK_PROFILE_EXTRA_PARAMS", "locale,link"),
            ("SOCIAL_AUTH_FACEBOOK_APPSECRET_PROOF", "off"),
            ("SOCIAL_AUTH_FACEBOOK_TRUST_EMAIL", "true"),
        ],
        social_facebook::backend(),
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[tokio::test]
async fn trusted_email_is_verified_and_a_missing_one_is_not() {
    let fixture = fixture().option("trust_email", "true");
    let h = Harness::new(Arc::new(social_facebook::backend()), &fixture).await;
    let login = logged_in(log_in(&h, ME).await);
    assert_eq!(
        login.user.email.as_deref(),
        Some("jordan.example@example.com")
    );
    assert!(login.user.email_verified, "trusted on request");

    let h = Harness::new(Arc::new(social_facebook::backend()), &fixture).await;
    let mut me: serde_json::Value = serde_json::from_str(ME).expect("fixture is JSON");
    if let Some(object) = me.as_object_mut() {
        object.remove("email");
    }
    let login = logged_in(log_in(&h, &me.to_string()).await);
    assert_eq!(login.user.email, None, "e-mail declined or absent");
    assert!(!login.user.email_verified);
    assert!(
        !login.user.username.is_empty(),
        "a username is still derived"
    );
}

#[tokio::test]
async fn token_expiry_comes_from_expires_in() {
    let h = Harness::new(Arc::new(social_facebook::backend()), &fixture()).await;
    let before = h.auth.clock().now();
    let login = logged_in(log_in(&h, ME).await);
    let after = h.auth.clock().now();
    let expires_at = login
        .account
        .and_then(|a| a.access_token_expires_at())
        .expect("expiry stored");
    assert!(
        (before + EXPIRES_IN..=after + EXPIRES_IN).contains(&expires_at),
        "{expires_at} is now + expires_in"
    );
}

#[tokio::test]
async fn graph_api_errors_map_to_error_kinds() {
    let h = Harness::new(Arc::new(social_facebook::backend()), &fixture()).await;
    // Facebook nests its error object under `error`, with a 400.
    mount(
        &h.server,
        "/graph/oauth/access_token",
        400,
        r#"{"error":{"message":"This authorization code has been used.","type":"OAuthException","code":100,"error_subcode":36009,"fbtrace_id":"AbCdEf"}}"#,
    )
    .await;
    let (session, url) = h.begin().await;
    let state = query(url.as_str(), "state").unwrap_or_default();
    let used_code = h
        .callback(&session, &[("code", "used"), ("state", &state)])
        .await;
    expect_kind("code already used", used_code, ErrorKind::TokenError);

    h.server.reset().await;
    mount(&h.server, "/graph/oauth/access_token", 200, TOKEN).await;
    mount(
        &h.server,
        "/graph/me",
        400,
        r#"{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"fbtrace_id":"AbCdEf"}}"#,
    )
    .await;
    let (session, url) = h.begin().await;
    let state = query(url.as_str(), "state").unwrap_or_default();
    let bad_token = h
        .callback(&session, &[("code", "c"), ("state", &state)])
        .await;
    expect_kind(
        "invalid token at /me",
        bad_token,
        ErrorKind::ProviderRejected,
    );
    h.assert_nothing_written("Graph API errors");
}

/// A `signed_request` as Facebook builds it: base64url HMAC of the base64url payload.
fn sign(payload: &serde_json::Value, secret: &str) -> String {
    let encoded = URL_SAFE_NO_PAD.encode(payload.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(encoded.as_bytes());
    format!(
        "{}.{encoded}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[test]
fn signed_request_is_verified_with_the_backend_settings() {
    let auth = build(&[], social_facebook::backend()).expect("valid settings");
    let settings = auth.settings().backend(NAME);
    let now = auth.clock().now();
    let payload = json!({
        "algorithm": "HMAC-SHA256",
        "issued_at": now - 5,
        "user_id": "10158422951234567",
        "user": {"country": "gb", "locale": "en_GB"},
    });
    let request =
        social_facebook::verify_signed_request(settings, &sign(&payload, CLIENT_SECRET), now)
            .expect("a good signed_request");
    assert_eq!(request.user_id.as_deref(), Some("10158422951234567"));
    assert_eq!(request.extra["user"]["locale"], "en_GB");

    let forged = sign(&payload, "not-the-app-secret");
    let err =
        social_facebook::verify_signed_request(settings, &forged, now).expect_err("another secret");
    assert_eq!(err.kind(), ErrorKind::Failed);
    assert!(err.details().contains("signature"), "{err}");
    assert_eq!(err.provider(), Some(NAME));

    let (signature, _) = sign(&payload, CLIENT_SECRET)
        .split_once('.')
        .map(|(s, p)| (s.to_owned(), p.to_owned()))
        .expect("two parts");
    let tampered = format!(
        "{signature}.{}",
        URL_SAFE_NO_PAD.encode(
            json!({"algorithm": "HMAC-SHA256", "issued_at": now, "user_id": "4"}).to_string()
        )
    );
    expect_kind(
        "tampered payload",
        social_facebook::verify_signed_request(settings, &tampered, now),
        ErrorKind::Failed,
    );

    let stale = json!({"algorithm": "HMAC-SHA256", "issued_at": now - SIGNED_REQUEST_MAX_AGE - 1});
    let err = social_facebook::verify_signed_request(settings, &sign(&stale, CLIENT_SECRET), now)
        .expect_err("too old");
    assert_eq!(err.kind(), ErrorKind::Failed);
    assert!(err.details().contains("expired"), "{err}");

    expect_kind(
        "empty value",
        social_facebook::verify_signed_request(settings, "", now),
        ErrorKind::MissingParameter,
    );
    let err = social_facebook::verify_signed_request(&BackendSettings::default(), &forged, now)
        .expect_err("no secret");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.details().contains("SOCIAL_AUTH_FACEBOOK_SECRET"),
        "{err}"
    );
}
