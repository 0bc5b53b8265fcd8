//! Classic VK OAuth 2.0 (`vk-oauth2`): the API version on every call, `users.get` fields and
//! the token in the query, the e-mail address from the token response, and the errors VK
//! answers with HTTP 200.

use std::{sync::Arc, time::Duration};

use social_core::{ErrorKind, Outcome, serde_json::json};
use social_testkit::provider::{Fixture, Harness, expect_kind};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use super::{ORIGIN, engine, query};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const ACCESS_TOKEN: &str = "vk1.a.fake-access-token-9Qm2Lx7Rt4Wz";

/// The conformance fixture with other token and `users.get` answers.
fn answers(token: &str, users: &str) -> Fixture {
    Fixture::new(social_vk::NAME)
        .endpoint("authorization_url", "/authorize")
        .token("GET", "/access_token", token)
        .endpoint("api_url", "/method")
        .api("GET", "/method/users.get", users)
}

async fn harness(fixture: &Fixture) -> Harness {
    let h = Harness::new(Arc::new(social_vk::backend()), fixture).await;
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    h
}

/// The `users.get` request the fake VK received.
async fn users_get(h: &Harness) -> wiremock::Request {
    h.server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|r| r.url.path() == "/method/users.get")
        .expect("a users.get call")
}

#[tokio::test]
async fn users_get_carries_the_version_the_fields_and_the_token_in_its_query() {
    let h = harness(&answers(TOKEN, USER)).await;
    let (session, url) = h.begin().await;
    assert_eq!(
        social_testkit::query_param(url.as_str(), "v").as_deref(),
        Some(social_vk::DEFAULT_API_VERSION),
        "the authorization dialog takes the API version too"
    );
    assert_eq!(
        social_testkit::query_param(url.as_str(), "scope").as_deref(),
        Some("email")
    );
    assert!(social_testkit::query_param(url.as_str(), "code_challenge").is_none());
    let state = social_testkit::query_param(url.as_str(), "state").unwrap_or_default();
    let done = social_testkit::logged_in(
        h.callback(&session, &[("code", "c"), ("state", &state)])
            .await,
    );
    assert_eq!(done.account.map(|a| a.uid).as_deref(), Some("210700286"));
    let call = users_get(&h).await;
    assert_eq!(call.method.as_str(), "GET");
    assert_eq!(query(&call, "v").as_deref(), Some("5.199"));
    assert_eq!(
        query(&call, "fields").as_deref(),
        Some("screen_name,nickname,photo_100")
    );
    assert_eq!(query(&call, "access_token").as_deref(), Some(ACCESS_TOKEN));
    assert!(
        call.headers.get("authorization").is_none(),
        "the token travels in the query only"
    );
    // The code exchange is a GET with the client credentials in its query, as VK documents.
    let requests = h.server.received_requests().await.unwrap_or_default();
    let exchange = requests
        .iter()
        .find(|r| r.url.path() == "/access_token")
        .expect("a code exchange");
    assert_eq!(exchange.method.as_str(), "GET");
    assert_eq!(
        query(exchange, "client_secret").as_deref(),
        Some(social_testkit::provider::CLIENT_SECRET)
    );
    assert!(query(exchange, "code_verifier").is_none(), "no PKCE");
}

#[tokio::test]
async fn the_api_version_setting_reaches_the_dialog_and_every_call() {
    let fixture = answers(TOKEN, USER).option("api_version", "5.131");
    let h = harness(&fixture).await;
    let (_, url) = h.begin().await;
    assert_eq!(
        social_testkit::query_param(url.as_str(), "v").as_deref(),
        Some("5.131")
    );
    social_testkit::logged_in(h.login().await);
    assert_eq!(query(&users_get(&h).await, "v").as_deref(), Some("5.131"));

    for bad in ["latest", "5", "5.x", "v5.199"] {
        let settings = social_testkit::settings_from(
            "",
            &[
                ("SOCIAL_AUTH_VK_OAUTH2_KEY", "51234"),
                ("SOCIAL_AUTH_VK_OAUTH2_SECRET", "s"),
                ("SOCIAL_AUTH_VK_OAUTH2_API_VERSION", bad),
            ],
        );
        match social_testkit::social_auth(social_vk::backend(), settings, None) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config, "{bad}: {e}");
                assert!(
                    e.details().contains("SOCIAL_AUTH_VK_OAUTH2_API_VERSION"),
                    "{bad}: the variable is named: {e}"
                );
            }
            Ok(_) => panic!("API_VERSION={bad:?} was accepted"),
        }
    }
}

#[tokio::test]
async fn extra_data_names_are_asked_for_as_fields_and_kept() {
    let server = MockServer::start().await;
    let mut user: social_core::Value = social_core::serde_json::from_str(USER).expect("json");
    user["response"][0]["bdate"] = json!("1.1.1990");
    Mock::given(matchers::path("/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN, "application/json"))
        .mount(&server)
        .await;
    Mock::given(matchers::path("/method/users.get"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&user))
        .mount(&server)
        .await;
    let uri = server.uri();
    let settings = format!(
        "[backends.vk-oauth2]\nkey = \"51234\"\nsecret = \"s\"\nextra_data = [\"bdate\", \"screen_name\"]\n\
         extra_scope = [\"friends\"]\n\
         authorization_url = \"{uri}/authorize\"\naccess_token_url = \"{uri}/access_token\"\n\
         api_url = \"{uri}/method\"\n"
    );
    let (auth, _) = engine(social_vk::backend(), &settings, Duration::from_secs(5));
    let browser = social_core::MemoryStrategy::new(ORIGIN);
    let flow = auth.begin(&browser, social_vk::NAME).await.expect("begin");
    let url = flow.redirect_url().unwrap_or_default().to_owned();
    assert_eq!(
        social_testkit::query_param(&url, "scope").as_deref(),
        Some("email,friends"),
        "scopes are joined with commas"
    );
    let state = social_testkit::query_param(&url, "state").unwrap_or_default();
    let done = social_testkit::logged_in(
        auth.complete(
            &browser
                .next_request()
                .with_param("code", "c")
                .with_param("state", &state),
            social_vk::NAME,
            None,
        )
        .await,
    );
    let requests = server.received_requests().await.unwrap_or_default();
    let call = requests
        .iter()
        .find(|r| r.url.path() == "/method/users.get")
        .expect("a users.get call");
    assert_eq!(
        query(call, "fields").as_deref(),
        Some("screen_name,nickname,photo_100,bdate"),
        "EXTRA_DATA names are added once"
    );
    let extra = done.account.expect("an account").extra_data;
    assert_eq!(extra.get("bdate"), Some(&json!("1.1.1990")));
}

#[tokio::test]
async fn the_email_address_comes_from_the_token_response_only() {
    let h = harness(&answers(TOKEN, USER)).await;
    let done = social_testkit::logged_in(h.login().await);
    assert_eq!(done.user.email.as_deref(), Some("ivan.petrov@example.com"));
    assert!(!done.user.email_verified, "VK does not say it verified it");

    let no_email = json!({"access_token": ACCESS_TOKEN, "expires_in": 86400, "user_id": 210700286});
    let mut user: social_core::Value = social_core::serde_json::from_str(USER).expect("json");
    user["response"][0]["email"] = json!("not-from-the-token@example.com");
    let h = harness(&answers(&no_email.to_string(), &user.to_string())).await;
    let done = social_testkit::logged_in(h.login().await);
    assert_eq!(
        done.user.email, None,
        "an address outside the token response is ignored"
    );
}

#[tokio::test]
async fn vk_api_errors_in_http_200_map_to_their_kinds_and_write_nothing() {
    for (code, kind) in [
        (5, ErrorKind::TokenError),
        (6, ErrorKind::ProviderUnavailable),
        (9, ErrorKind::ProviderUnavailable),
        (29, ErrorKind::ProviderUnavailable),
        (10, ErrorKind::ProviderUnavailable),
        (43, ErrorKind::ProviderUnavailable),
        (36, ErrorKind::Timeout),
        (18, ErrorKind::Forbidden),
        (37, ErrorKind::Forbidden),
        (15, ErrorKind::ProviderRejected),
        (100, ErrorKind::ProviderRejected),
    ] {
        let error = json!({"error": {
            "error_code": code,
            "error_msg": format!("error number {code}"),
            "request_params": [{"key": "v", "value": "5.199"}],
        }});
        let h = harness(&answers(TOKEN, &error.to_string())).await;
        let result = h.login().await;
        let case = format!("VK API error {code}");
        expect_kind(&case, result, kind);
        h.assert_nothing_written(&case);
    }
    let h = harness(&answers(TOKEN, r#"{"error": {"error_msg": "no code"}}"#)).await;
    expect_kind(
        "error without code",
        h.login().await,
        ErrorKind::ProviderRejected,
    );
    h.assert_nothing_written("error without code");
}

#[tokio::test]
async fn a_users_get_answer_without_a_proper_user_writes_nothing() {
    for (case, body) in [
        ("no user", r#"{"response": []}"#),
        ("response not a list", r#"{"response": {"id": 210700286}}"#),
        ("no response", r#"{"result": [{"id": 210700286}]}"#),
        ("missing id", r#"{"response": [{"first_name": "Ivan"}]}"#),
        ("id not a number", r#"{"response": [{"id": "ivan"}]}"#),
        ("id a boolean", r#"{"response": [{"id": true}]}"#),
        ("id zero", r#"{"response": [{"id": 0}]}"#),
        ("id negative", r#"{"response": [{"id": -210700286}]}"#),
        ("user not an object", r#"{"response": [210700286]}"#),
        ("not JSON", "<html>busy</html>"),
    ] {
        let token = json!({"access_token": ACCESS_TOKEN, "expires_in": 86400});
        let h = harness(&answers(&token.to_string(), body)).await;
        expect_kind(case, h.login().await, ErrorKind::InvalidResponse);
        h.assert_nothing_written(case);
    }
}

#[tokio::test]
async fn the_token_responses_user_id_must_be_the_profiles() {
    for (case, owner) in [("another user", json!(999)), ("not an id", json!("ivan"))] {
        let token = json!({"access_token": ACCESS_TOKEN, "expires_in": 86400, "user_id": owner});
        let h = harness(&answers(&token.to_string(), USER)).await;
        expect_kind(case, h.login().await, ErrorKind::InvalidResponse);
        h.assert_nothing_written(case);
    }
    // Given as text, the same id is the same user.
    let token = json!({"access_token": ACCESS_TOKEN, "user_id": "210700286"});
    let h = harness(&answers(&token.to_string(), USER)).await;
    assert!(matches!(h.login().await, Ok(Outcome::LoggedIn(_))));
}

#[tokio::test]
async fn vk_token_errors_are_token_errors() {
    let refused = r#"{"error":"invalid_grant","error_description":"Code is invalid or expired."}"#;
    let fixture = answers(TOKEN, USER);
    let h = Harness::new(Arc::new(social_vk::backend()), &fixture).await;
    Mock::given(matchers::path("/access_token"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(refused, "application/json"))
        .mount(&h.server)
        .await;
    h.mount_apis(&fixture).await;
    expect_kind("code refused", h.login().await, ErrorKind::TokenError);
    h.assert_nothing_written("code refused");
}

/// `expires_in: 0` is VK's "never expires" (`offline` scope), not "expired already".
#[tokio::test]
async fn a_token_with_expires_in_zero_never_expires() {
    let token = json!({"access_token": ACCESS_TOKEN, "expires_in": 0, "user_id": 210700286});
    let h = harness(&answers(&token.to_string(), USER)).await;
    let done = social_testkit::logged_in(h.login().await);
    let tokens = done.account.and_then(|a| a.tokens()).expect("tokens");
    assert_eq!(tokens.expires_at, None);
}
