//! Twitch's own behaviour beyond the conformance checks: the `claims` parameter without which
//! the e-mail and login name stay out of the ID token, no PKCE and the secret in the token
//! form, revocation at Twitch's documented URL (or `REVOKE_TOKEN_URL`) with the client id and
//! the token, and the
//! `Client-Id` header Helix calls need besides the bearer token.

use std::sync::Arc;

use social_core::{
    ErrorKind, SocialAccount, Value,
    serde_json::{self, json},
};
use social_oauth2::Method;
use social_testkit::{
    forward_https_to, local_path, logged_in,
    oidc::Provider,
    provider::{CLIENT_ID, CLIENT_SECRET, expect_kind, param},
    settings_from,
    wiremock::{Mock, MockServer, ResponseTemplate, matchers},
};

use super::fixture;

const TOKEN: &str = social_testkit::fixture!("token.json");
const DISCOVERY: &str = social_testkit::fixture!("openid-configuration.json");
const HELIX_USERS: &str = social_testkit::fixture!("helix_users.json");

async fn start() -> Provider {
    fixture().start(Arc::new(social_twitch::backend())).await
}

/// Social login with the Twitch backend alone under `SOCIAL_AUTH_TWITCH_*` variables `vars`
/// (besides the key and secret).
fn engine(vars: &[(&str, &str)]) -> social_core::SocialAuth {
    let mut all = vec![
        ("SOCIAL_AUTH_TWITCH_KEY", CLIENT_ID),
        ("SOCIAL_AUTH_TWITCH_SECRET", CLIENT_SECRET),
    ];
    all.extend_from_slice(vars);
    let settings = settings_from("", &all);
    social_testkit::social_auth(social_twitch::backend(), settings, None)
        .map(|(auth, _)| auth)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_claims_parameter_asks_for_email_and_login_name() {
    social_testkit::run(async {
        let p = start().await;
        let (_, url, _) = p.begin().await;
        let claims = param(&url, "claims").unwrap_or_else(|| panic!("no claims: {url}"));
        let claims: Value = serde_json::from_str(&claims).unwrap_or_default();
        for wanted in ["email", "email_verified", "preferred_username"] {
            assert_eq!(
                claims["id_token"].get(wanted),
                Some(&Value::Null),
                "{claims}"
            );
            assert_eq!(
                claims["userinfo"].get(wanted),
                Some(&Value::Null),
                "{claims}"
            );
        }
        assert_eq!(
            param(&url, "scope").as_deref(),
            Some("openid user:read:email")
        );
        // What the ID token then carries becomes the user.
        let login = p.login().await;
        assert_eq!(login.user.username, "adalovelace");
        assert_eq!(
            login.user.email.as_deref(),
            Some("ada.lovelace@example.com")
        );
        assert!(login.user.email_verified);
    });
}

#[test]
fn no_pkce_and_the_client_secret_in_the_token_form() {
    social_testkit::run(async {
        let p = start().await;
        let (session, url, nonce) = p.begin().await;
        assert_eq!(param(&url, "code_challenge"), None, "Twitch takes no PKCE");
        p.mount_token(Some(&p.key.sign(&p.claims(Some(&nonce)))), 1)
            .await;
        p.mount_userinfo().await;
        logged_in(p.callback(&session, &url).await);
        let requests = p
            .harness
            .server
            .received_requests()
            .await
            .unwrap_or_default();
        let sent = requests
            .iter()
            .find(|r| r.url.path() == "/oauth2/token")
            .unwrap_or_else(|| panic!("no token request"));
        assert!(sent.headers.get("authorization").is_none(), "no HTTP Basic");
        let form: Vec<(String, String)> = social_testkit::url::form_urlencoded::parse(&sent.body)
            .into_owned()
            .collect();
        for (name, value) in [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)] {
            assert!(
                form.iter().any(|(k, v)| k == name && v == value),
                "{name} in the form: {form:?}"
            );
        }
    });
}

/// A Twitch played by `server` on its real https URLs ([`forward_https_to`]): its discovery
/// document is served at `https://id.twitch.tv/oauth2/.well-known/openid-configuration`.
async fn mount_discovery(server: &MockServer) {
    let discovery = DISCOVERY
        .replace("{issuer}", social_twitch::ISSUER)
        .replace("{server}", "https://id.twitch.tv");
    let well_known = format!("{}/.well-known/openid-configuration", social_twitch::ISSUER);
    Mock::given(matchers::method("GET"))
        .and(matchers::path(local_path(&well_known)))
        .respond_with(ResponseTemplate::new(200).set_body_raw(discovery, "application/json"))
        .mount(server)
        .await;
}

/// Social login with the Twitch backend on its real URLs, all served by `server`, under
/// `SOCIAL_AUTH_TWITCH_*` variables `vars` (besides the key and secret).
fn forwarded(server: &MockServer, vars: &[(&str, &str)]) -> social_core::SocialAuth {
    let mut all = vec![
        ("SOCIAL_AUTH_TWITCH_KEY", CLIENT_ID),
        ("SOCIAL_AUTH_TWITCH_SECRET", CLIENT_SECRET),
    ];
    all.extend_from_slice(vars);
    let settings = settings_from("", &all);
    let http = forward_https_to(server);
    social_testkit::social_auth(social_twitch::backend(), settings, Some(http))
        .map(|(auth, _)| auth)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An account with the fixture's tokens, from a login at the fake provider.
async fn account() -> SocialAccount {
    start()
        .await
        .login()
        .await
        .account
        .unwrap_or_else(|| panic!("no account"))
}

/// Answers revocations at the https URL `url` with `response`.
async fn mount_revoke(server: &MockServer, url: &str, response: ResponseTemplate) {
    Mock::given(matchers::method("POST"))
        .and(matchers::path(local_path(url)))
        .respond_with(response)
        .mount(server)
        .await;
}

/// The form bodies of the requests `server` received at the https URL `url`.
async fn posted_to(server: &MockServer, url: &str) -> Vec<Vec<(String, String)>> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.url.path() == local_path(url))
        .map(|r| {
            assert!(r.headers.get("authorization").is_none(), "no HTTP Basic");
            let mut form: Vec<(String, String)> =
                social_testkit::url::form_urlencoded::parse(&r.body)
                    .into_owned()
                    .collect();
            form.sort();
            form
        })
        .collect()
}

/// What Twitch documents for `POST /oauth2/revoke`: the client id and the access token.
fn revocation_form() -> Vec<(String, String)> {
    let token: Value = serde_json::from_str(TOKEN).unwrap_or_default();
    let access = token["access_token"].as_str().unwrap_or_default();
    vec![
        ("client_id".to_owned(), CLIENT_ID.to_owned()),
        ("token".to_owned(), access.to_owned()),
    ]
}

#[test]
fn revoke_posts_the_client_id_and_the_access_token_to_twitchs_documented_url() {
    social_testkit::run(async {
        let account = account().await;
        let twitch = MockServer::start().await;
        mount_discovery(&twitch).await;
        // No setting: the discovery document lists no revocation endpoint, the spec's serves.
        let auth = forwarded(&twitch, &[]);
        mount_revoke(
            &twitch,
            social_twitch::REVOKE_URL,
            ResponseTemplate::new(200),
        )
        .await;
        auth.revoke_token(&account)
            .await
            .unwrap_or_else(|e| panic!("revoke failed: {e}"));
        assert_eq!(
            posted_to(&twitch, social_twitch::REVOKE_URL).await,
            [revocation_form()],
            "one revocation, without the secret"
        );

        // Twitch's answer to a token it does not know, then an outage.
        for (status, body, kind) in [
            (
                400,
                r#"{"status":400,"message":"Invalid token"}"#,
                ErrorKind::TokenError,
            ),
            (503, "", ErrorKind::ProviderUnavailable),
        ] {
            twitch.reset().await;
            mount_discovery(&twitch).await;
            let answer = ResponseTemplate::new(status).set_body_raw(body, "application/json");
            mount_revoke(&twitch, social_twitch::REVOKE_URL, answer).await;
            expect_kind(
                &format!("revoke {status}"),
                auth.revoke_token(&account).await,
                kind,
            );
        }
    });
}

#[test]
fn revoke_token_url_replaces_the_documented_url() {
    social_testkit::run(async {
        let account = account().await;
        let twitch = MockServer::start().await;
        mount_discovery(&twitch).await;
        let moved = "https://revoke.example.com/oauth2/revoke";
        let auth = forwarded(&twitch, &[("SOCIAL_AUTH_TWITCH_REVOKE_TOKEN_URL", moved)]);
        mount_revoke(&twitch, moved, ResponseTemplate::new(200)).await;
        mount_revoke(
            &twitch,
            social_twitch::REVOKE_URL,
            ResponseTemplate::new(200),
        )
        .await;
        auth.revoke_token(&account)
            .await
            .unwrap_or_else(|e| panic!("revoke failed: {e}"));
        assert_eq!(posted_to(&twitch, moved).await, [revocation_form()]);
        assert!(
            posted_to(&twitch, social_twitch::REVOKE_URL)
                .await
                .is_empty(),
            "the setting wins over the documented URL"
        );
    });
}

#[test]
fn helix_requests_carry_the_bearer_token_and_the_client_id() {
    social_testkit::run(async {
        let server = MockServer::start().await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path("/helix/users"))
            .and(matchers::query_param("id", "713936733"))
            .and(matchers::header(
                "authorization",
                "Bearer user-access-token",
            ))
            .and(matchers::header("client-id", CLIENT_ID))
            .respond_with(ResponseTemplate::new(200).set_body_raw(HELIX_USERS, "application/json"))
            .expect(1)
            .mount(&server)
            .await;
        let helix = format!("{}/helix", server.uri());
        let auth = engine(&[("SOCIAL_AUTH_TWITCH_API_URL", &helix)]);
        let cx = auth.provider_cx(social_twitch::NAME);
        let users =
            social_twitch::helix_json(&cx, Method::GET, "users?id=713936733", "user-access-token")
                .await
                .unwrap_or_else(|e| panic!("Helix call failed: {e}"));
        assert_eq!(users["data"][0]["login"], json!("adalovelace"));
        server.verify().await;
    });
}

#[test]
fn helix_requests_go_to_api_twitch_tv_unless_api_url_moves_them() {
    let auth = engine(&[]);
    let cx = auth.provider_cx(social_twitch::NAME);
    for (path, url) in [
        ("users", "https://api.twitch.tv/helix/users"),
        (
            "/channels/followed?user_id=713936733",
            "https://api.twitch.tv/helix/channels/followed?user_id=713936733",
        ),
        (
            "https://api.twitch.tv/helix/streams?first=5",
            "https://api.twitch.tv/helix/streams?first=5",
        ),
    ] {
        let request = social_twitch::helix_request(&cx, Method::GET, path, "t0ken")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(request.uri().to_string(), url);
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        assert_eq!(header("authorization").as_deref(), Some("Bearer t0ken"));
        assert_eq!(header("client-id").as_deref(), Some(CLIENT_ID));
    }
}
