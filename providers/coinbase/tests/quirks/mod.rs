//! Coinbase's own quirks: the `CB-VERSION` header on the user call, the user wrapped in
//! `data`, scopes joined with commas, refresh tokens that rotate (single use), and a
//! revocation that carries the client credentials and the token as a bearer.

use std::sync::Arc;

use social_core::{ErrorKind, MemoryStrategy, Secret, Storage};
use social_testkit::{
    logged_in,
    provider::{CLIENT_ID, CLIENT_SECRET, Fixture, Harness, expect_kind},
    query_param, settings_from,
    wiremock::{Mock, Request, ResponseTemplate, matchers},
};

use super::fixture;

/// The access token of `token.json`.
const ACCESS: &str = "cb-access-6f2d9a41e8b3c7051d4e";

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The form fields of a request body.
fn form(request: &Request) -> Vec<(String, String)> {
    social_testkit::url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

/// Logs in over `fixture` with the harness `h`.
async fn login(h: &Harness, fixture: &Fixture) -> social_core::Login {
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    logged_in(h.login().await)
}

/// The suite's fixture with other token and user answers.
fn fixture_with(token: &str, user: &str) -> Fixture {
    Fixture::new(social_coinbase::NAME)
        .endpoint("authorization_url", "/oauth2/auth")
        .token("POST", "/oauth2/token", token)
        .endpoint("api_url", "")
        .api("GET", "/v2/user", user)
        .revoke("POST", "/oauth2/revoke", 200)
}

#[test]
fn the_user_call_asks_for_the_pinned_api_version_and_reads_the_user_in_data() {
    social_testkit::run(async {
        let fixture = fixture();
        let h = Harness::new(Arc::new(social_coinbase::backend()), &fixture).await;
        let done = login(&h, &fixture).await;
        let requests = h.server.received_requests().await.unwrap_or_default();
        let user = requests
            .iter()
            .find(|r| r.url.path() == "/v2/user")
            .expect("a user call");
        assert_eq!(header(user, "cb-version"), Some("2022-01-06"));
        assert_eq!(
            header(user, "cb-version"),
            Some(social_coinbase::API_VERSION)
        );
        assert_eq!(
            header(user, "authorization"),
            Some(format!("Bearer {ACCESS}").as_str())
        );
        assert_eq!(
            done.account.map(|a| a.uid).as_deref(),
            Some("3c9e1f7a-52b8-5d04-a6e3-8f1b2c7d9e40"),
            "the id inside `data`"
        );
        assert_eq!(done.user.email.as_deref(), Some("ada@example.com"));
        assert!(
            !done.user.email_verified,
            "Coinbase does not say it verified the address"
        );
        assert_eq!(done.user.fullname.as_deref(), Some("Ada Lovelace"));
    });
}

#[test]
fn a_user_answer_without_data_logs_nobody_in() {
    social_testkit::run(async {
        let errors =
            r#"{"errors":[{"id":"internal_server_error","message":"An error has occurred"}]}"#;
        let fixture = fixture_with(social_testkit::fixture!("token.json"), errors);
        let h = Harness::new(Arc::new(social_coinbase::backend()), &fixture).await;
        h.mount_token(&fixture, 1).await;
        h.mount_apis(&fixture).await;
        expect_kind("no data", h.login().await, ErrorKind::InvalidResponse);
        h.assert_nothing_written("no data");
    });
}

/// The `scope` argument of the authorize URL under settings from `toml` and then `vars`.
fn sent_scope(toml: &str, vars: &[(&str, &str)]) -> Option<String> {
    let settings = settings_from(toml, vars);
    let (auth, _) = social_testkit::social_auth(social_coinbase::backend(), settings, None)
        .unwrap_or_else(|e| panic!("valid settings: {e}"));
    let strategy = MemoryStrategy::new("http://testserver");
    let flow = social_testkit::run(auth.begin(&strategy, social_coinbase::NAME)).expect("begins");
    let url = flow.redirect_url().expect("a redirect");
    assert!(
        url.starts_with("https://login.coinbase.com/oauth2/auth?"),
        "{url}"
    );
    query_param(url, "scope")
}

#[test]
fn scopes_are_joined_with_commas_from_toml_and_the_environment_alike() {
    let keys = "[backends.coinbase]\nkey = \"k\"\nsecret = \"s\"\n";
    assert_eq!(sent_scope(keys, &[]).as_deref(), Some("wallet:user:email"));
    let from_toml = sent_scope(&format!("{keys}extra_scope = [\"offline_access\"]"), &[]);
    let from_env = sent_scope(
        "",
        &[
            ("SOCIAL_AUTH_COINBASE_KEY", "k"),
            ("SOCIAL_AUTH_COINBASE_SECRET", "s"),
            ("SOCIAL_AUTH_COINBASE_EXTRA_SCOPE", "offline_access"),
        ],
    );
    assert_eq!(
        from_toml.as_deref(),
        Some("wallet:user:email,offline_access")
    );
    assert_eq!(from_env, from_toml);
}

#[test]
fn refresh_sends_the_client_in_the_body_and_keeps_the_rotated_refresh_token() {
    social_testkit::run(async {
        let token = r#"{"access_token":"cb-access-6f2d9a41e8b3c7051d4e","token_type":"bearer","expires_in":3600,"refresh_token":"cb-refresh-1a7c0e93","scope":"wallet:user:email offline_access"}"#;
        let fixture = fixture_with(token, social_testkit::fixture!("user.json"));
        let h = Harness::new(Arc::new(social_coinbase::backend()), &fixture).await;
        let account = login(&h, &fixture).await.account.expect("an account");
        h.server.reset().await;
        let refreshed = r#"{"access_token":"cb-access-90b4","token_type":"bearer","expires_in":3600,"refresh_token":"cb-refresh-5d28f6b1","scope":"wallet:user:email offline_access"}"#;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth2/token"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(refreshed, "application/json"))
            .expect(1)
            .mount(&h.server)
            .await;
        let account = h.auth.refresh_token(&account).await.expect("refreshed");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let [refresh] = requests.as_slice() else {
            panic!("one refresh request, got {}", requests.len())
        };
        let mut sent = form(refresh);
        sent.sort();
        assert_eq!(
            sent,
            vec![
                ("client_id".to_owned(), CLIENT_ID.to_owned()),
                ("client_secret".to_owned(), CLIENT_SECRET.to_owned()),
                ("grant_type".to_owned(), "refresh_token".to_owned()),
                ("refresh_token".to_owned(), "cb-refresh-1a7c0e93".to_owned()),
            ],
            "the documented refresh request, without code or redirect_uri"
        );
        let stored = h
            .storage
            .social_account_by_id(account.id)
            .await
            .expect("storage answers")
            .and_then(|a| a.tokens())
            .expect("tokens stored");
        assert_eq!(stored.access_token.secret(), "cb-access-90b4");
        assert_eq!(
            stored.refresh_token.as_ref().map(Secret::secret),
            Some("cb-refresh-5d28f6b1"),
            "a refresh token is single use: the new one replaces it"
        );
    });
}

#[test]
fn revocation_sends_the_token_and_the_client_and_authenticates_with_the_token() {
    social_testkit::run(async {
        let fixture = fixture();
        let h = Harness::new(Arc::new(social_coinbase::backend()), &fixture).await;
        let account = login(&h, &fixture).await.account.expect("an account");
        h.server.reset().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth2/revoke"))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&h.server)
            .await;
        h.auth.revoke_token(&account).await.expect("revoked");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let [revoke] = requests.as_slice() else {
            panic!("one revocation request, got {}", requests.len())
        };
        assert_eq!(
            header(revoke, "authorization"),
            Some(format!("Bearer {ACCESS}").as_str())
        );
        let mut sent = form(revoke);
        sent.sort();
        assert_eq!(
            sent,
            vec![
                ("client_id".to_owned(), CLIENT_ID.to_owned()),
                ("client_secret".to_owned(), CLIENT_SECRET.to_owned()),
                ("token".to_owned(), ACCESS.to_owned()),
            ]
        );
    });
}
