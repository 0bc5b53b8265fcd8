//! PayPal's own quirks: the `SANDBOX` switch (login page and API calls on the sandbox hosts,
//! from TOML and from the environment alike), client credentials as HTTP Basic only (token
//! and refresh), PayPal's `flowEntry` argument and OpenID scopes without PKCE, the
//! `user_id` URL as uid, and the e-mail address of the older `emails` shape.

use std::sync::Arc;

use social_core::{ErrorKind, MemoryStrategy, Secret, Settings, Storage, Value, serde_json};
use social_paypal::{LIVE_API_URL, LIVE_BASE_URL, NAME, SANDBOX_API_URL, SANDBOX_BASE_URL};
use social_testkit::{
    forward_https_to, local_path, logged_in,
    provider::{Fixture, Harness, expect_kind},
    query_param, settings_from,
    wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers},
};

use super::fixture;

const TOKEN: &str = social_testkit::fixture!("token.json");
const USERINFO: &str = social_testkit::fixture!("userinfo.json");
/// The access and refresh tokens of `token.json`.
const ACCESS: &str = "A21AAK-paypal-access-7d1c5e0b9a4f2e83";
const REFRESH: &str = "R23AAH-paypal-refresh-3b8e6f1d0c2a9475";
/// The `user_id` of `userinfo.json`.
const USER_ID: &str =
    "https://www.paypal.com/webapps/auth/identity/user/Qm3xT8vL2kPzR7wNcY4hJ6dF0sA9bE1uG5iO8tV3nXq";
/// The suite's client (`test-client-id:test-client-secret`) as HTTP Basic credentials.
const SUITE_BASIC: &str = "Basic dGVzdC1jbGllbnQtaWQ6dGVzdC1jbGllbnQtc2VjcmV0";
/// The client `k:s` of the settings below as HTTP Basic credentials.
const BASIC: &str = "Basic azpz";
const TOKEN_PATH: &str = "/v1/oauth2/token";
const USERINFO_PATH: &str = "/v1/identity/openidconnect/userinfo";

fn json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json")
}

/// The form fields of a request body.
fn form(request: &Request) -> Vec<(String, String)> {
    social_testkit::url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A whole login under `settings` against PayPal's real URLs, played by a local server that
/// answers only on the API host `api`: the authorize URL and the requests the server got.
async fn login_on(settings: Settings, api: &str) -> (String, Vec<Request>) {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(local_path(&format!("{api}{TOKEN_PATH}"))))
        .respond_with(json(TOKEN))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(local_path(&format!("{api}{USERINFO_PATH}"))))
        .and(matchers::query_param("schema", "openid"))
        .and(matchers::header(
            "authorization",
            format!("Bearer {ACCESS}").as_str(),
        ))
        .respond_with(json(USERINFO))
        .expect(1)
        .mount(&server)
        .await;
    let (auth, _) = social_testkit::social_auth(
        social_paypal::backend(),
        settings,
        Some(forward_https_to(&server)),
    )
    .unwrap_or_else(|e| panic!("the settings are valid: {e}"));
    let session = MemoryStrategy::new("http://testserver");
    let flow = auth.begin(&session, NAME).await.expect("a redirect");
    let url = flow.redirect_url().expect("a URL").to_owned();
    let state = query_param(&url, "state").unwrap_or_default();
    let callback = session
        .next_request()
        .with_param("code", "test-code")
        .with_param("state", &state);
    let done = logged_in(auth.complete(&callback, NAME, None).await);
    assert_eq!(done.account.map(|a| a.uid).as_deref(), Some(USER_ID));
    let requests = server.received_requests().await.unwrap_or_default();
    (url, requests)
}

const KEYS_TOML: &str = "[backends.paypal]\nkey = \"k\"\nsecret = \"s\"\n";
const KEYS_ENV: [(&str, &str); 2] = [
    ("SOCIAL_AUTH_PAYPAL_KEY", "k"),
    ("SOCIAL_AUTH_PAYPAL_SECRET", "s"),
];

#[test]
fn sandbox_moves_the_login_page_and_every_call_from_toml_and_the_environment_alike() {
    social_testkit::run(async {
        let mut env = KEYS_ENV.to_vec();
        env.push(("SOCIAL_AUTH_PAYPAL_SANDBOX", "true"));
        for settings in [
            settings_from(&format!("{KEYS_TOML}sandbox = true\n"), &[]),
            settings_from("", &env),
        ] {
            let (url, requests) = login_on(settings, SANDBOX_API_URL).await;
            assert!(
                url.starts_with(&format!("{SANDBOX_BASE_URL}/signin/authorize?")),
                "the browser goes to the sandbox: {url}"
            );
            let token = requests
                .iter()
                .find(|r| r.method.as_str() == "POST")
                .expect("a token request");
            assert_eq!(
                token.url.path(),
                "/api-m.sandbox.paypal.com/v1/oauth2/token"
            );
            assert_eq!(header(token, "authorization"), Some(BASIC));
            assert!(
                requests
                    .iter()
                    .all(|r| r.url.path().starts_with("/api-m.sandbox.paypal.com/")),
                "every call goes to the sandbox API"
            );
        }
    });
}

#[test]
fn without_sandbox_everything_goes_to_the_live_service() {
    social_testkit::run(async {
        let mut env = KEYS_ENV.to_vec();
        env.push(("SOCIAL_AUTH_PAYPAL_SANDBOX", "false"));
        for settings in [settings_from(KEYS_TOML, &[]), settings_from("", &env)] {
            let (url, requests) = login_on(settings, LIVE_API_URL).await;
            assert!(
                url.starts_with(&format!("{LIVE_BASE_URL}/signin/authorize?")),
                "{url}"
            );
            assert_eq!(requests.len(), 2, "token and user info");
            assert!(
                requests
                    .iter()
                    .all(|r| r.url.path().starts_with("/api-m.paypal.com/")),
                "every call goes to the live API"
            );
        }
    });
}

#[test]
fn a_sandbox_setting_that_is_not_a_boolean_stops_start_up_naming_it() {
    let mut env = KEYS_ENV.to_vec();
    env.push(("SOCIAL_AUTH_PAYPAL_SANDBOX", "sometimes"));
    let result =
        social_testkit::social_auth(social_paypal::backend(), settings_from("", &env), None);
    let Err(error) = result else {
        panic!("start-up accepted SANDBOX=sometimes")
    };
    assert_eq!(error.kind(), ErrorKind::Config);
    assert!(
        error.to_string().contains("SOCIAL_AUTH_PAYPAL_SANDBOX"),
        "{error}"
    );
}

#[test]
fn the_login_link_asks_for_openid_scopes_with_paypals_flow_entry_and_no_pkce() {
    social_testkit::run(async {
        let h = Harness::new(Arc::new(social_paypal::backend()), &fixture()).await;
        let (_, url) = h.begin().await;
        let param = |name| social_testkit::provider::param(&url, name);
        assert_eq!(param("scope").as_deref(), Some("openid profile email"));
        assert_eq!(param("flowEntry").as_deref(), Some("static"));
        assert_eq!(param("code_challenge"), None, "PayPal documents no PKCE");
    });
}

/// Logs in over `fixture` with the harness `h`.
async fn login(h: &Harness, fixture: &Fixture) -> social_core::Login {
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    logged_in(h.login().await)
}

#[test]
fn token_and_refresh_requests_carry_the_client_as_basic_and_nowhere_else() {
    social_testkit::run(async {
        let fixture = fixture();
        let h = Harness::new(Arc::new(social_paypal::backend()), &fixture).await;
        let account = login(&h, &fixture).await.account.expect("an account");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let token = requests
            .iter()
            .find(|r| r.url.path() == TOKEN_PATH)
            .expect("a token request");
        assert_eq!(header(token, "authorization"), Some(SUITE_BASIC));
        let sent = form(token);
        assert!(
            sent.iter()
                .all(|(k, _)| k != "client_id" && k != "client_secret"),
            "no client credentials in the body: {sent:?}"
        );

        h.server.reset().await;
        // PayPal's refresh tokens are long-lived: the answer carries a new access token only.
        let refreshed = r#"{"scope":"openid profile email","access_token":"A21AAK-paypal-access-2f9e","token_type":"Bearer","expires_in":28800,"nonce":"2026-03-14T17:26:53Zpaypal-nonce-91ad"}"#;
        Mock::given(matchers::method("POST"))
            .and(matchers::path(TOKEN_PATH))
            .respond_with(json(refreshed))
            .expect(1)
            .mount(&h.server)
            .await;
        let account = h.auth.refresh_token(&account).await.expect("refreshed");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let [refresh] = requests.as_slice() else {
            panic!("one refresh request, got {}", requests.len())
        };
        assert_eq!(header(refresh, "authorization"), Some(SUITE_BASIC));
        assert_eq!(
            form(refresh),
            vec![
                ("grant_type".to_owned(), "refresh_token".to_owned()),
                ("refresh_token".to_owned(), REFRESH.to_owned()),
            ],
            "the refresh grant and nothing secret in the body"
        );
        let stored = h
            .storage
            .social_account_by_id(account.id)
            .await
            .expect("storage answers")
            .and_then(|a| a.tokens())
            .expect("tokens stored");
        assert_eq!(stored.access_token.secret(), "A21AAK-paypal-access-2f9e");
        assert_eq!(
            stored.refresh_token.as_ref().map(Secret::secret),
            Some(REFRESH),
            "the refresh token is kept"
        );
    });
}

/// The suite's fixture with the user info `userinfo` instead.
fn with_userinfo(userinfo: &Value) -> Fixture {
    Fixture::new(NAME)
        .endpoint("authorization_url", "/signin/authorize")
        .token("POST", TOKEN_PATH, TOKEN)
        .endpoint("api_url", "")
        .api("GET", USERINFO_PATH, &userinfo.to_string())
}

fn userinfo() -> Value {
    serde_json::from_str(USERINFO).expect("the fixture is JSON")
}

#[test]
fn the_uid_is_the_user_id_url_and_the_email_is_verified_as_paypal_says() {
    social_testkit::run(async {
        let fixture = fixture();
        let h = Harness::new(Arc::new(social_paypal::backend()), &fixture).await;
        let done = login(&h, &fixture).await;
        assert_eq!(done.account.map(|a| a.uid).as_deref(), Some(USER_ID));
        assert_eq!(done.user.email.as_deref(), Some("ada@example.com"));
        assert!(done.user.email_verified, "email_verified is true");

        let mut unverified = userinfo();
        unverified["email_verified"] = Value::Bool(false);
        let fixture = with_userinfo(&unverified);
        let h = Harness::new(Arc::new(social_paypal::backend()), &fixture).await;
        let done = login(&h, &fixture).await;
        assert_eq!(done.user.email.as_deref(), Some("ada@example.com"));
        assert!(!done.user.email_verified, "email_verified is false");
    });
}

#[test]
fn an_answer_in_the_older_emails_shape_gives_the_primary_address_unverified() {
    social_testkit::run(async {
        let older = serde_json::json!({
            "user_id": USER_ID,
            "name": "Ada Lovelace",
            "emails": [
                {"value": "ada.old@example.com", "primary": false, "confirmed": true},
                {"value": "ada@example.com", "primary": true, "confirmed": true}
            ]
        });
        let fixture = with_userinfo(&older);
        let h = Harness::new(Arc::new(social_paypal::backend()), &fixture).await;
        let done = login(&h, &fixture).await;
        assert_eq!(done.user.email.as_deref(), Some("ada@example.com"));
        assert!(!done.user.email_verified);
        assert_eq!(done.user.fullname.as_deref(), Some("Ada Lovelace"));
    });
}

#[test]
fn user_info_without_a_user_id_logs_nobody_in() {
    social_testkit::run(async {
        let mut anonymous = userinfo();
        if let Some(fields) = anonymous.as_object_mut() {
            fields.remove("user_id");
        }
        let fixture = with_userinfo(&anonymous);
        let h = Harness::new(Arc::new(social_paypal::backend()), &fixture).await;
        h.mount_token(&fixture, 1).await;
        h.mount_apis(&fixture).await;
        expect_kind("no user_id", h.login().await, ErrorKind::InvalidResponse);
        h.assert_nothing_written("no user_id");
    });
}
