//! VK ID (`vk-id`): PKCE S256, the callback's `device_id` sent at the code exchange and at
//! refresh, a `state` the token endpoint must echo, no client secret, the user info `POST`.

use std::sync::Arc;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest as _, Sha256};
use social_core::{
    ErrorKind, MemoryStrategy, Outcome, Strategy as _, Value,
    serde_json::{self, json},
};
use social_testkit::provider::{CLIENT_ID, CLIENT_SECRET, Fixture, Harness, expect_kind};
use social_vk::VkIdRefresh;
use wiremock::{Mock, Request, Respond, ResponseTemplate, matchers};

use super::{field, form};

const TOKEN: &str = social_testkit::fixture!("id_token.json");
const USER_INFO: &str = social_testkit::fixture!("id_user_info.json");
const DEVICE: &str = "device-7f3c2a9e-example";
const ACCESS_TOKEN: &str = "vk2.a.fake-id-access-token-Hq3Nc8Vb1Kd5";
const REFRESH_TOKEN: &str = "vk2.a.fake-id-refresh-token-Ls6Tg0Pw2Ya9";
const CALLBACK: &str = "http://testserver/complete/vk-id/";

fn fixture() -> Fixture {
    Fixture::new(social_vk::VK_ID_NAME)
        .endpoint("authorization_url", "/authorize")
        .endpoint("access_token_url", "/oauth2/auth")
        .endpoint("userinfo_url", "/oauth2/user_info")
}

/// Any answer of the fake provider.
struct Boxed(Box<dyn Respond>);

impl Respond for Boxed {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request)
    }
}

/// What the fake token endpoint does with the `state` it is sent.
#[derive(Clone, Copy)]
enum Echo {
    Sent,
    Omitted,
    Other,
}

/// The fake token endpoint: `body` with the request's state echoed as `echo` says.
struct TokenAnswer {
    body: Value,
    echo: Echo,
}

impl Respond for TokenAnswer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let fields = form(request);
        let mut body = self.body.clone();
        if let Some(body) = body.as_object_mut() {
            match self.echo {
                Echo::Sent => {
                    let state = field(&fields, "state").unwrap_or_default();
                    body.insert("state".into(), json!(state));
                }
                Echo::Omitted => {
                    body.remove("state");
                }
                Echo::Other => {
                    body.insert("state".into(), json!("a-state-of-another-request-000"));
                }
            }
        }
        ResponseTemplate::new(200).set_body_json(body)
    }
}

fn token_body() -> Value {
    serde_json::from_str(TOKEN).expect("json")
}

async fn mount_token(h: &Harness, path: &str, body: Value, echo: Echo) {
    Mock::given(matchers::method("POST"))
        .and(matchers::path(path))
        .respond_with(TokenAnswer { body, echo })
        .mount(&h.server)
        .await;
}

async fn mount_user_info(h: &Harness, path: &str, response: ResponseTemplate) {
    Mock::given(matchers::method("POST"))
        .and(matchers::path(path))
        .respond_with(response)
        .mount(&h.server)
        .await;
}

/// A harness whose fake VK ID answers with the fixtures.
async fn harness() -> Harness {
    let h = Harness::new(Arc::new(social_vk::vk_id()), &fixture()).await;
    mount_token(&h, "/oauth2/auth", token_body(), Echo::Sent).await;
    mount_user_info(
        &h,
        "/oauth2/user_info",
        ResponseTemplate::new(200).set_body_raw(USER_INFO, "application/json"),
    )
    .await;
    h
}

/// Begins a login and calls back with a code, the state and the device id, `params` added
/// or replacing them; the authorize URL, the session and the outcome.
async fn login(
    h: &Harness,
    params: &[(&str, &str)],
) -> (url::Url, MemoryStrategy, social_core::Result<Outcome>) {
    let (session, url) = h.begin().await;
    let state = social_testkit::query_param(url.as_str(), "state").unwrap_or_default();
    let mut all: Vec<(&str, &str)> = vec![
        ("code", "vk-code-example"),
        ("state", &state),
        ("device_id", DEVICE),
    ];
    for (k, v) in params {
        all.retain(|(name, _)| name != k);
        if !v.is_empty() {
            all.push((k, v));
        }
    }
    let outcome = h.callback(&session, &all).await;
    (url, session, outcome)
}

/// The requests the fake VK ID received at `path`.
async fn received(h: &Harness, path: &str) -> Vec<Request> {
    h.server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

#[tokio::test]
async fn the_dialog_asks_for_pkce_s256_the_profile_and_the_email_address() {
    let h = harness().await;
    let (_, url) = h.begin().await;
    let param = |name: &str| social_testkit::query_param(url.as_str(), name);
    assert_eq!(url.path(), "/authorize");
    assert_eq!(param("response_type").as_deref(), Some("code"));
    assert_eq!(param("client_id").as_deref(), Some(CLIENT_ID));
    assert_eq!(param("redirect_uri").as_deref(), Some(CALLBACK));
    assert_eq!(param("scope").as_deref(), Some("vkid.personal_info email"));
    assert_eq!(param("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param("code_challenge").map(|c| c.len()), Some(43));
    assert!(param("state").is_some_and(|s| s.len() >= 32));
    assert!(
        !url.as_str().contains(CLIENT_SECRET),
        "no secret in the URL"
    );
}

#[tokio::test]
async fn a_login_sends_the_device_id_the_state_and_the_verifier_and_no_secret() {
    let h = harness().await;
    let (url, _, outcome) = login(&h, &[]).await;
    let done = social_testkit::logged_in(outcome);

    let exchanges = received(&h, "/oauth2/auth").await;
    assert_eq!(exchanges.len(), 1, "one code exchange");
    let exchange = &exchanges[0];
    let sent = form(exchange);
    let challenge = social_testkit::query_param(url.as_str(), "code_challenge");
    let state = social_testkit::query_param(url.as_str(), "state");
    assert_eq!(field(&sent, "grant_type"), Some("authorization_code"));
    assert_eq!(field(&sent, "code"), Some("vk-code-example"));
    assert_eq!(field(&sent, "client_id"), Some(CLIENT_ID));
    assert_eq!(field(&sent, "device_id"), Some(DEVICE));
    assert_eq!(field(&sent, "redirect_uri"), Some(CALLBACK));
    assert_eq!(field(&sent, "state"), state.as_deref());
    let verifier = field(&sent, "code_verifier").unwrap_or_default();
    assert!((43..=128).contains(&verifier.len()), "verifier length");
    assert_eq!(
        Some(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))),
        challenge,
        "S256(code_verifier) == code_challenge"
    );
    assert_eq!(field(&sent, "client_secret"), None, "no client secret");
    assert!(
        sent.iter().all(|(_, v)| v != CLIENT_SECRET)
            && exchange.headers.get("authorization").is_none(),
        "the secret goes nowhere"
    );

    let infos = received(&h, "/oauth2/user_info").await;
    assert_eq!(infos.len(), 1, "one user info call");
    let asked = form(&infos[0]);
    assert_eq!(field(&asked, "access_token"), Some(ACCESS_TOKEN));
    assert_eq!(field(&asked, "client_id"), Some(CLIENT_ID));
    assert!(
        infos[0].url.query().is_none(),
        "the token stays out of the URL"
    );

    let account = done.account.expect("an account");
    assert_eq!(account.uid, "1234567890");
    assert_eq!(
        done.user.email.as_deref(),
        Some("anna.smirnova@example.com")
    );
    assert!(!done.user.email_verified);
    assert_eq!(done.user.first_name.as_deref(), Some("Anna"));
    assert_eq!(done.user.last_name.as_deref(), Some("Smirnova"));
    assert_eq!(account.extra_data.get("device_id"), Some(&json!(DEVICE)));
    assert_eq!(
        account.extra_data.get("user_id"),
        Some(&json!("1234567890"))
    );
    let tokens = account.tokens().expect("tokens stored");
    assert_eq!(tokens.access_token.secret(), ACCESS_TOKEN);
    let stored = tokens.refresh_token.expect("a refresh token");
    let packed = VkIdRefresh::unpack(stored.secret()).expect("packed with its device id");
    assert_eq!(
        packed,
        VkIdRefresh::new(REFRESH_TOKEN, DEVICE, CALLBACK),
        "the refresh token keeps its device id and callback"
    );
    assert!(tokens.expires_at.is_some());
    assert_eq!(h.storage.counts(), (1, 1));
}

#[tokio::test]
async fn the_sdk_payload_callback_is_read_and_conflicting_values_are_refused() {
    let h = harness().await;
    let (session, url) = h.begin().await;
    let state = social_testkit::query_param(url.as_str(), "state").unwrap_or_default();
    let payload = json!({"type": "code_v2", "code": "vk-code-example", "state": state,
                         "device_id": DEVICE, "expires_in": 600});
    let outcome = h
        .callback(
            &session,
            &[("payload", &payload.to_string()), ("state", &state)],
        )
        .await;
    social_testkit::logged_in(outcome);
    let exchanges = received(&h, "/oauth2/auth").await;
    assert_eq!(field(&form(&exchanges[0]), "device_id"), Some(DEVICE));

    let h = harness().await;
    let (session, url) = h.begin().await;
    let state = social_testkit::query_param(url.as_str(), "state").unwrap_or_default();
    let payload = json!({"code": "vk-code-example", "state": state, "device_id": "another"});
    let conflicting = h
        .callback(
            &session,
            &[("payload", &payload.to_string()), ("device_id", DEVICE)],
        )
        .await;
    expect_kind("conflicting device id", conflicting, ErrorKind::Failed);

    let (_, _, malformed) = login(&h, &[("payload", "{not json")]).await;
    expect_kind("malformed payload", malformed, ErrorKind::Failed);
    assert!(received(&h, "/oauth2/auth").await.is_empty(), "no exchange");
    h.assert_nothing_written("bad payloads");
}

#[tokio::test]
async fn a_callback_without_device_id_stops_before_the_exchange() {
    let h = harness().await;
    let (_, _, outcome) = login(&h, &[("device_id", "")]).await;
    expect_kind("no device_id", outcome, ErrorKind::MissingParameter);
    assert!(received(&h, "/oauth2/auth").await.is_empty(), "no exchange");
    h.assert_nothing_written("no device_id");
}

#[tokio::test]
async fn the_token_endpoint_must_echo_the_state_sent() {
    for (case, echo, kind) in [
        (
            "state not echoed",
            Echo::Omitted,
            ErrorKind::InvalidResponse,
        ),
        ("another state", Echo::Other, ErrorKind::StateMismatch),
    ] {
        let h = Harness::new(Arc::new(social_vk::vk_id()), &fixture()).await;
        mount_token(&h, "/oauth2/auth", token_body(), echo).await;
        let (_, _, outcome) = login(&h, &[]).await;
        expect_kind(case, outcome, kind);
        assert!(
            received(&h, "/oauth2/user_info").await.is_empty(),
            "{case}: the token was not used"
        );
        h.assert_nothing_written(case);
    }
}

#[tokio::test]
async fn token_endpoint_failures_give_their_kinds_and_write_nothing() {
    let echoed = |body: Value| TokenAnswer {
        body,
        echo: Echo::Sent,
    };
    let cases: Vec<(&str, Boxed, ErrorKind)> = vec![
        (
            "code refused",
            Boxed(Box::new(ResponseTemplate::new(400).set_body_raw(
                r#"{"error":"invalid_grant","error_description":"code is expired"}"#,
                "application/json",
            ))),
            ErrorKind::TokenError,
        ),
        (
            "error in 200",
            Boxed(Box::new(echoed(json!({"error": "invalid_request",
                                   "error_description": "device_id is invalid"})))),
            ErrorKind::TokenError,
        ),
        (
            "temporarily unavailable",
            Boxed(Box::new(echoed(
                json!({"error": "temporarily_unavailable"}),
            ))),
            ErrorKind::ProviderUnavailable,
        ),
        (
            "500",
            Boxed(Box::new(ResponseTemplate::new(500).set_body_string("oops"))),
            ErrorKind::ProviderUnavailable,
        ),
        (
            "malformed JSON",
            Boxed(Box::new(
                ResponseTemplate::new(200).set_body_raw(r#"{"access_token": "#, "application/json"),
            )),
            ErrorKind::InvalidResponse,
        ),
        (
            "no access token",
            Boxed(Box::new(echoed(
                json!({"token_type": "Bearer", "user_id": 1234567890}),
            ))),
            ErrorKind::TokenError,
        ),
        (
            "access token of the wrong type",
            Boxed(Box::new(echoed(
                json!({"access_token": 42, "user_id": 1234567890}),
            ))),
            ErrorKind::TokenError,
        ),
        (
            "time-out",
            Boxed(Box::new(
                ResponseTemplate::new(200)
                    .set_body_raw(TOKEN, "application/json")
                    .set_delay(std::time::Duration::from_secs(3)),
            )),
            ErrorKind::Timeout,
        ),
    ];
    for (case, answer, kind) in cases {
        let h = Harness::new(Arc::new(social_vk::vk_id()), &fixture()).await;
        Mock::given(matchers::path("/oauth2/auth"))
            .respond_with(answer)
            .mount(&h.server)
            .await;
        mount_user_info(
            &h,
            "/oauth2/user_info",
            ResponseTemplate::new(200).set_body_raw(USER_INFO, "application/json"),
        )
        .await;
        let (_, _, outcome) = login(&h, &[]).await;
        expect_kind(case, outcome, kind);
        h.assert_nothing_written(case);
    }
}

#[tokio::test]
async fn user_info_failures_give_their_kinds_and_write_nothing() {
    let invalid_token =
        r#"{"error":"invalid_token","error_description":"access_token is expired"}"#;
    let user = |user: Value| json!({ "user": user }).to_string();
    for (case, status, body, kind) in [
        (
            "invalid token, 401",
            401,
            invalid_token.to_owned(),
            ErrorKind::TokenError,
        ),
        (
            "invalid token, 200",
            200,
            invalid_token.to_owned(),
            ErrorKind::TokenError,
        ),
        (
            "bad request",
            400,
            r#"{"error":"invalid_request"}"#.to_owned(),
            ErrorKind::ProviderRejected,
        ),
        (
            "403 without body",
            403,
            String::new(),
            ErrorKind::ProviderRejected,
        ),
        ("502", 502, String::new(), ErrorKind::ProviderUnavailable),
        ("no user", 200, "{}".to_owned(), ErrorKind::InvalidResponse),
        (
            "user not an object",
            200,
            r#"{"user": "1234567890"}"#.to_owned(),
            ErrorKind::InvalidResponse,
        ),
        (
            "not JSON",
            200,
            "<html></html>".to_owned(),
            ErrorKind::InvalidResponse,
        ),
        (
            "no user_id",
            200,
            user(json!({"first_name": "Anna"})),
            ErrorKind::InvalidResponse,
        ),
        (
            "user_id a boolean",
            200,
            user(json!({"user_id": true})),
            ErrorKind::InvalidResponse,
        ),
        (
            "user_id not digits",
            200,
            user(json!({"user_id": "12ab"})),
            ErrorKind::InvalidResponse,
        ),
        (
            "user_id empty",
            200,
            user(json!({"user_id": ""})),
            ErrorKind::InvalidResponse,
        ),
        (
            "another user than the token's",
            200,
            user(json!({"user_id": "42"})),
            ErrorKind::InvalidResponse,
        ),
    ] {
        let h = Harness::new(Arc::new(social_vk::vk_id()), &fixture()).await;
        mount_token(&h, "/oauth2/auth", token_body(), Echo::Sent).await;
        mount_user_info(
            &h,
            "/oauth2/user_info",
            ResponseTemplate::new(status).set_body_raw(body, "application/json"),
        )
        .await;
        let (_, _, outcome) = login(&h, &[]).await;
        expect_kind(case, outcome, kind);
        h.assert_nothing_written(case);
    }
}

#[tokio::test]
async fn the_callback_checks_the_state_and_spends_it() {
    let h = harness().await;
    let (_, _, denied) = login(&h, &[("error", "access_denied")]).await;
    expect_kind("denied", denied, ErrorKind::Canceled);
    let (_, _, wrong) = login(&h, &[("state", "forged-state-value-0000")]).await;
    expect_kind("wrong state", wrong, ErrorKind::StateMismatch);
    let (_, _, no_state) = login(&h, &[("state", "")]).await;
    expect_kind("no state", no_state, ErrorKind::MissingParameter);
    let stranger = h
        .callback(
            &MemoryStrategy::new("http://testserver"),
            &[("code", "c"), ("state", "s"), ("device_id", DEVICE)],
        )
        .await;
    expect_kind("no pending login", stranger, ErrorKind::StateMissing);
    h.assert_nothing_written("callback errors");

    let (session, url) = h.begin().await;
    let state = social_testkit::query_param(url.as_str(), "state").unwrap_or_default();
    let key = social_oauth2::pending_key(social_vk::VK_ID_NAME);
    let twin = MemoryStrategy::new("http://testserver");
    twin.session_set(
        &key,
        session
            .session_get(&key)
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
    )
    .await
    .expect("copied");
    let params = [
        ("code", "c"),
        ("state", state.as_str()),
        ("device_id", DEVICE),
    ];
    social_testkit::logged_in(h.callback(&session, &params).await);
    expect_kind(
        "replay in the same session",
        h.callback(&session, &params).await,
        ErrorKind::StateMissing,
    );
    expect_kind(
        "replay from a copied session",
        h.callback(&twin, &params).await,
        ErrorKind::StateReplayed,
    );
    assert_eq!(h.storage.counts(), (1, 1));
}

#[tokio::test]
async fn refresh_sends_the_device_id_and_a_fresh_state_that_must_come_back() {
    let h = harness().await;
    let (_, _, outcome) = login(&h, &[]).await;
    let account = social_testkit::logged_in(outcome)
        .account
        .expect("an account");

    h.server.reset().await;
    let fresh = json!({"access_token": "vk2.a.refreshed-access", "refresh_token": "vk2.a.refreshed-refresh",
                       "token_type": "Bearer", "expires_in": 3600, "user_id": 1234567890});
    mount_token(&h, "/oauth2/auth", fresh.clone(), Echo::Sent).await;
    let refreshed = h.auth.refresh_token(&account).await.expect("refreshed");
    let requests = received(&h, "/oauth2/auth").await;
    assert_eq!(requests.len(), 1);
    let sent = form(&requests[0]);
    assert_eq!(field(&sent, "grant_type"), Some("refresh_token"));
    assert_eq!(
        field(&sent, "refresh_token"),
        Some(REFRESH_TOKEN),
        "VK's own token"
    );
    assert_eq!(field(&sent, "client_id"), Some(CLIENT_ID));
    assert_eq!(field(&sent, "device_id"), Some(DEVICE));
    assert_eq!(field(&sent, "redirect_uri"), Some(CALLBACK));
    assert!(
        field(&sent, "state").is_some_and(|s| s.len() >= 32),
        "a fresh state"
    );
    assert_eq!(field(&sent, "client_secret"), None);
    let tokens = refreshed.tokens().expect("tokens");
    assert_eq!(tokens.access_token.secret(), "vk2.a.refreshed-access");
    let packed = tokens
        .refresh_token
        .and_then(|t| VkIdRefresh::unpack(t.secret()))
        .expect("packed");
    assert_eq!(
        packed,
        VkIdRefresh::new("vk2.a.refreshed-refresh", DEVICE, CALLBACK)
    );

    for (case, echo, kind) in [
        (
            "state not echoed",
            Echo::Omitted,
            ErrorKind::InvalidResponse,
        ),
        ("another state", Echo::Other, ErrorKind::StateMismatch),
    ] {
        h.server.reset().await;
        mount_token(&h, "/oauth2/auth", fresh.clone(), echo).await;
        expect_kind(case, h.auth.refresh_token(&account).await, kind);
    }

    // A refresh token this backend did not store has no device id to go with it.
    h.server.reset().await;
    let mut foreign = account.clone();
    foreign
        .extra_data
        .insert("refresh_token".into(), json!(REFRESH_TOKEN));
    expect_kind(
        "refresh token without device id",
        h.auth.refresh_token(&foreign).await,
        ErrorKind::TokenError,
    );
    assert!(
        received(&h, "/oauth2/auth").await.is_empty(),
        "nothing sent"
    );
}

#[test]
fn stored_refresh_tokens_read_back_and_foreign_ones_do_not() {
    let packed = VkIdRefresh::new("r.e.f.r", "dev.ice", CALLBACK);
    let stored = packed.pack();
    assert!(stored.starts_with("vkid1."), "{stored}");
    assert!(
        stored.ends_with(".r.e.f.r"),
        "the token is kept whole: {stored}"
    );
    assert_eq!(VkIdRefresh::unpack(&stored), Some(packed.clone()));
    assert!(
        !format!("{packed:?}").contains("r.e.f.r"),
        "Debug hides the token"
    );
    for foreign in [
        "",
        "plain-refresh",
        "vkid1.",
        "vkid1.!!!.token",
        "vkid1.e30.token",
    ] {
        assert_eq!(VkIdRefresh::unpack(foreign), None, "{foreign}");
    }
}

#[tokio::test]
async fn only_the_application_id_is_needed() {
    let key_only = social_testkit::settings_from("", &[("SOCIAL_AUTH_VK_ID_KEY", "51234567")]);
    assert!(social_testkit::social_auth(social_vk::vk_id(), key_only, None).is_ok());
    let nothing = social_testkit::settings_from("", &[("SOCIAL_AUTH_VK_ID_SCOPE", "email")]);
    match social_testkit::social_auth(social_vk::vk_id(), nothing, None) {
        Err(e) => assert!(e.details().contains("SOCIAL_AUTH_VK_ID_KEY"), "{e}"),
        Ok(_) => panic!("no KEY was accepted"),
    }
}

#[tokio::test]
async fn the_base_url_moves_every_endpoint_and_extra_arguments_cannot_replace_the_state() {
    let server = wiremock::MockServer::start().await;
    Mock::given(matchers::path("/vk-ru/oauth2/auth"))
        .respond_with(TokenAnswer {
            body: token_body(),
            echo: Echo::Sent,
        })
        .mount(&server)
        .await;
    Mock::given(matchers::path("/vk-ru/oauth2/user_info"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(USER_INFO, "application/json"))
        .mount(&server)
        .await;
    let settings = format!(
        "[backends.vk-id]\nkey = \"51234567\"\nbase_url = \"{}/vk-ru\"\n\
         [backends.vk-id.auth_extra_arguments]\nstate = \"fixed\"\nlang_id = \"3\"\n",
        server.uri()
    );
    let (auth, storage) = super::engine(
        social_vk::vk_id(),
        &settings,
        std::time::Duration::from_secs(5),
    );
    let browser = MemoryStrategy::new("http://testserver");
    let flow = auth
        .begin(&browser, social_vk::VK_ID_NAME)
        .await
        .expect("begin");
    let url = flow.redirect_url().unwrap_or_default().to_owned();
    assert!(
        url.starts_with(&format!("{}/vk-ru/authorize?", server.uri())),
        "{url}"
    );
    assert_eq!(
        social_testkit::query_param(&url, "lang_id").as_deref(),
        Some("3")
    );
    let state = social_testkit::query_param(&url, "state").unwrap_or_default();
    assert_ne!(state, "fixed", "the state stays random");
    let callback = browser
        .next_request()
        .with_param("code", "c")
        .with_param("state", &state)
        .with_param("device_id", DEVICE);
    social_testkit::logged_in(auth.complete(&callback, social_vk::VK_ID_NAME, None).await);
    assert_eq!(storage.counts(), (1, 1));
}
