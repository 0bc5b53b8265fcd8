//! Google's own behaviour beyond the conformance suite: hosted-domain restriction, offline
//! access, `email_verified` spellings, settings validation and which token revoke sends.

use std::sync::Arc;

use social_core::{
    Backend, BackendSettings, ErrorKind, MemoryStorage, MemoryStrategy, Outcome, Registry, Secret,
    Settings, SocialAuth, Tokens, UserDetails, Value,
    clock::FixedClock,
    http::ReqwestClient,
    oauth2::OAuth2Provider,
    serde_json::{self, json},
    settings::TomlValue,
};
use social_google::Google;
use social_testkit::provider::{CLIENT_ID, CLIENT_SECRET, Fixture, Harness, expect_kind};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

const TOKEN: &str = include_str!("fixtures/token.json");
const USERINFO: &str = include_str!("fixtures/userinfo.json");
const CONSUMER: &str = include_str!("fixtures/userinfo_consumer.json");
const REVOKE_INVALID: &str = include_str!("fixtures/revoke_invalid_token.json");

fn fixture() -> Fixture {
    Fixture::new(
        "google",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"),
    )
    .endpoint("authorization_url", "/o/oauth2/v2/auth")
    .endpoint("api_url", "/v1/userinfo")
    .token("POST", "/token", TOKEN)
}

async fn harness(fixture: Fixture) -> Harness {
    Harness::new(Arc::new(social_google::backend()), &fixture).await
}

fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The userinfo fixture with `changes` merged in (`null` removes a field).
fn userinfo_with(changes: Value) -> String {
    let mut user: Value = serde_json::from_str(USERINFO).unwrap_or_default();
    if let (Some(user), Some(changes)) = (user.as_object_mut(), changes.as_object()) {
        for (key, value) in changes {
            if value.is_null() {
                user.remove(key);
            } else {
                user.insert(key.clone(), value.clone());
            }
        }
    }
    user.to_string()
}

/// Runs one login against Google answering `userinfo`, checking the bearer token it is sent.
async fn log_in(h: &Harness, userinfo: &str) -> social_core::Result<Outcome> {
    h.server.reset().await;
    let access: Value = serde_json::from_str(TOKEN).unwrap_or_default();
    let access = access["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN, "application/json"))
        .expect(1)
        .mount(&h.server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/v1/userinfo"))
        .and(matchers::header(
            "authorization",
            format!("Bearer {access}"),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(userinfo, "application/json"))
        .expect(1)
        .mount(&h.server)
        .await;
    let (session, url) = h.begin().await;
    let state = param(&url, "state").unwrap_or_default();
    h.callback(&session, &[("code", "test-code"), ("state", &state)])
        .await
}

fn logged_in(outcome: social_core::Result<Outcome>) -> social_core::Login {
    match outcome {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

#[tokio::test]
async fn hosted_domain_is_hinted_and_its_accounts_log_in() {
    let h = harness(fixture().option("hosted_domain", " Example.COM ")).await;
    let (_, url) = h.begin().await;
    assert_eq!(param(&url, "hd").as_deref(), Some("example.com"));

    let login = logged_in(log_in(&h, USERINFO).await);
    let account = login.account.unwrap_or_else(|| panic!("no account"));
    assert_eq!(account.uid, "110169484474386276334");
    assert_eq!(account.extra_data.get("hd"), Some(&json!("example.com")));
    assert_eq!(h.storage.counts(), (1, 1));

    // Google spells `hd` in lower case, but a differently cased claim is the same domain.
    let h = harness(fixture().option("hosted_domain", "example.com")).await;
    logged_in(log_in(&h, &userinfo_with(json!({"hd": "EXAMPLE.com"}))).await);
}

#[tokio::test]
async fn hosted_domain_refuses_consumer_and_other_domain_accounts() {
    let h = harness(fixture().option("hosted_domain", "example.com")).await;
    expect_kind(
        "consumer account (no hd)",
        log_in(&h, CONSUMER).await,
        ErrorKind::Forbidden,
    );
    h.assert_nothing_written("consumer account");

    // The user edited `hd` on the authorize URL and signed in with another organization.
    expect_kind(
        "another Workspace domain",
        log_in(&h, &userinfo_with(json!({"hd": "evil.example"}))).await,
        ErrorKind::Forbidden,
    );
    h.assert_nothing_written("another Workspace domain");

    // A look-alike e-mail is not enough: only the `hd` claim counts.
    expect_kind(
        "e-mail of the domain, no hd",
        log_in(&h, &userinfo_with(json!({"hd": null}))).await,
        ErrorKind::Forbidden,
    );
    expect_kind(
        "sub-domain",
        log_in(&h, &userinfo_with(json!({"hd": "mail.example.com"}))).await,
        ErrorKind::Forbidden,
    );
    h.assert_nothing_written("refused accounts");
}

#[tokio::test]
async fn several_hosted_domains_hint_any_workspace_account() {
    let h = harness(fixture().option("hosted_domain", "example.org, example.com")).await;
    let (_, url) = h.begin().await;
    assert_eq!(param(&url, "hd").as_deref(), Some("*"));
    logged_in(log_in(&h, USERINFO).await);
    expect_kind(
        "domain outside the list",
        log_in(&h, &userinfo_with(json!({"hd": "example.net", "sub": "2"}))).await,
        ErrorKind::Forbidden,
    );
    assert_eq!(
        h.storage.counts(),
        (1, 1),
        "only the allowed account stored"
    );
}

#[tokio::test]
async fn unrestricted_logins_send_no_google_extras() {
    let h = harness(fixture()).await;
    let (_, url) = h.begin().await;
    for name in ["hd", "access_type", "prompt", "include_granted_scopes"] {
        assert_eq!(param(&url, name), None, "{name} is not sent by default");
    }
    assert_eq!(
        param(&url, "scope").as_deref(),
        Some("openid email profile")
    );
    let login = logged_in(log_in(&h, CONSUMER).await);
    let account = login.account.unwrap_or_else(|| panic!("no account"));
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
async fn offline_access_asks_for_consent_and_granted_scopes() {
    let h = harness(
        fixture()
            .option("access_type", "Offline")
            .option("include_granted_scopes", "true"),
    )
    .await;
    let (_, url) = h.begin().await;
    assert_eq!(param(&url, "access_type").as_deref(), Some("offline"));
    assert_eq!(param(&url, "prompt").as_deref(), Some("consent"));
    assert_eq!(
        param(&url, "include_granted_scopes").as_deref(),
        Some("true")
    );

    let h = harness(
        fixture()
            .option("access_type", "online")
            .option("include_granted_scopes", "false"),
    )
    .await;
    let (_, url) = h.begin().await;
    assert_eq!(param(&url, "access_type").as_deref(), Some("online"));
    assert_eq!(param(&url, "prompt"), None, "no forced consent online");
    assert_eq!(param(&url, "include_granted_scopes"), None);
}

#[tokio::test]
async fn auth_extra_arguments_replace_the_consent_prompt() {
    let mut backend = BackendSettings::default();
    backend.key = Some(CLIENT_ID.into());
    backend.secret = Some(Secret::new(CLIENT_SECRET));
    backend
        .options
        .insert("access_type".into(), TomlValue::String("offline".into()));
    backend
        .auth_extra_arguments
        .insert("prompt".into(), "select_account".into());
    let mut settings = Settings::default();
    settings.backends.insert("google".into(), backend);
    let auth = SocialAuth::builder(Registry::new().with(social_google::backend()))
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let flow = auth
        .begin(&MemoryStrategy::new("http://testserver"), "google")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let url = flow
        .redirect_url()
        .and_then(|u| url::Url::parse(u).ok())
        .unwrap_or_else(|| panic!("not a redirect: {flow:?}"));
    assert_eq!(
        url.host_str(),
        Some("accounts.google.com"),
        "default endpoint"
    );
    assert_eq!(url.path(), "/o/oauth2/v2/auth");
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
}

#[tokio::test]
async fn email_verified_may_come_as_text() {
    let h = harness(fixture()).await;
    let login = logged_in(log_in(&h, &userinfo_with(json!({"email_verified": "true"}))).await);
    assert!(login.user.email_verified, "\"true\" is verified");
    assert_eq!(
        login.user.email.as_deref(),
        Some("ada.lovelace@example.com")
    );

    let details = |changes: Value| -> UserDetails {
        let user: Value = serde_json::from_str(&userinfo_with(changes)).unwrap_or_default();
        Google.user_details(&user)
    };
    assert!(details(json!({"email_verified": true})).email_verified);
    assert!(details(json!({"email_verified": "TRUE"})).email_verified);
    assert!(!details(json!({"email_verified": "false"})).email_verified);
    assert!(!details(json!({"email_verified": false})).email_verified);
    assert!(!details(json!({"email_verified": null})).email_verified);
    assert!(!details(json!({"email_verified": 1})).email_verified);
}

#[test]
fn names_come_from_the_parts_or_the_whole() {
    let map = |user: Value| Google.user_details(&user);
    let full = map(serde_json::from_str(USERINFO).unwrap_or_default());
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
    let settings = |name: &str, value: TomlValue| {
        let mut s = BackendSettings::default();
        s.key = Some(CLIENT_ID.into());
        s.secret = Some(Secret::new(CLIENT_SECRET));
        s.options.insert(name.into(), value);
        s
    };
    let text = |v: &str| TomlValue::String(v.into());
    let backend = social_google::backend();
    for (name, value, env) in [
        (
            "access_type",
            text("sometimes"),
            "SOCIAL_AUTH_GOOGLE_ACCESS_TYPE",
        ),
        (
            "hosted_domain",
            text("*"),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            "hosted_domain",
            text(""),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            "hosted_domain",
            text(" , "),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            "hosted_domain",
            text("admin@example.com"),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            "hosted_domain",
            text("https://example.com"),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            "hosted_domain",
            TomlValue::Integer(1),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            "hosted_domain",
            TomlValue::Array(vec![text("example.com"), TomlValue::Boolean(true)]),
            "SOCIAL_AUTH_GOOGLE_HOSTED_DOMAIN",
        ),
        (
            "include_granted_scopes",
            text("perhaps"),
            "SOCIAL_AUTH_GOOGLE_INCLUDE_GRANTED_SCOPES",
        ),
    ] {
        match backend.validate(&settings(name, value.clone())) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config, "{name}={value}: {e}");
                assert!(e.details().contains(env), "{name}={value}: {e}");
            }
            Ok(()) => panic!("{name}={value} was accepted"),
        }
    }
    for (name, value) in [
        ("hosted_domain", text("example.com,example.org")),
        (
            "hosted_domain",
            TomlValue::Array(vec![text("example.com"), text("xn--bcher-kva.example")]),
        ),
        ("access_type", text("offline")),
        ("include_granted_scopes", TomlValue::Boolean(true)),
    ] {
        if let Err(e) = backend.validate(&settings(name, value.clone())) {
            panic!("{name}={value} was refused: {e}");
        }
    }
}

/// A provider context for calling the backend directly, its endpoints on `server`.
struct Direct {
    settings: Settings,
    http: ReqwestClient,
    clock: FixedClock,
}

impl Direct {
    fn new(server: &MockServer, now: i64) -> Self {
        let mut backend = BackendSettings::default();
        backend.key = Some(CLIENT_ID.into());
        backend.secret = Some(Secret::new(CLIENT_SECRET));
        backend.endpoints.insert(
            "revoke_token_url".into(),
            format!("{}/revoke", server.uri()),
        );
        let mut settings = Settings::default();
        settings.backends.insert("google".into(), backend);
        let http = ReqwestClient::new(std::time::Duration::from_secs(5), "social-google-tests")
            .unwrap_or_else(|e| panic!("{e}"));
        Self {
            settings,
            http,
            clock: FixedClock::new(now),
        }
    }

    fn cx(&self) -> social_core::ProviderCx<'_> {
        social_core::ProviderCx {
            name: "google",
            settings: &self.settings,
            backend: self.settings.backend("google"),
            http: &self.http,
            clock: &self.clock,
        }
    }
}

async fn revoked_token(server: &MockServer) -> String {
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "one revocation request");
    let request = &requests[0];
    assert_eq!(
        request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-www-form-urlencoded")
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
    let backend = social_google::backend();

    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/revoke"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/json"))
        .mount(&server)
        .await;
    let direct = Direct::new(&server, now);
    backend
        .revoke_token(&direct.cx(), &tokens)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(revoked_token(&server).await, "ya29.live-access-token");

    server.reset().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/revoke"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/json"))
        .mount(&server)
        .await;
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
    server.reset().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/revoke"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(REVOKE_INVALID, "application/json"))
        .mount(&server)
        .await;
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
