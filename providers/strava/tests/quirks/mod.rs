//! Strava's own quirks: scopes joined with commas, revocation with HTTP Basic credentials
//! (the token endpoint takes them in the body), refresh tokens that rotate.

use std::sync::Arc;

use social_core::{
    MemoryStorage, MemoryStrategy, Outcome, Registry, Secret, Settings, SocialAccount, SocialAuth,
    Storage,
};
use social_testkit::{
    provider::{Fixture, Harness},
    wiremock::{Mock, ResponseTemplate, matchers},
};

/// The suite's client (`test-client-id:test-client-secret`) as HTTP Basic credentials.
const BASIC: &str = "Basic dGVzdC1jbGllbnQtaWQ6dGVzdC1jbGllbnQtc2VjcmV0";
/// The access and refresh tokens of `token.json`.
const ACCESS: &str = "strava-access-8d2e61b7f09a3c";
const REFRESH: &str = "strava-refresh-0c7f3a9e5b21d4";

/// The `scope` argument, as sent, of the authorize URL of an application configured by
/// `toml` and then `vars`.
fn sent_scope(toml: &str, vars: &[(&str, &str)]) -> String {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let settings = Settings::from_toml_str(toml)
        .and_then(|s| s.with_vars(vars))
        .expect("valid settings");
    let auth = SocialAuth::builder(Registry::new().with(social_strava::backend()))
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .build()
        .expect("the engine builds");
    let strategy = MemoryStrategy::new("http://testserver");
    let flow = social_testkit::run(auth.begin(&strategy, social_strava::NAME)).expect("begins");
    let url = flow.redirect_url().expect("a redirect").to_owned();
    let query = url.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("scope="))
        .expect("a scope argument")
        .to_owned()
}

#[test]
fn scopes_are_joined_with_commas_from_toml_and_the_environment_alike() {
    let keys = "[backends.strava]\nkey = \"k\"\nsecret = \"s\"\n";
    assert_eq!(sent_scope(keys, &[]), "read", "the default scope");
    let from_toml = sent_scope(&format!("{keys}extra_scope = [\"activity:read_all\"]"), &[]);
    let from_env = sent_scope(
        "",
        &[
            ("SOCIAL_AUTH_STRAVA_KEY", "k"),
            ("SOCIAL_AUTH_STRAVA_SECRET", "s"),
            ("SOCIAL_AUTH_STRAVA_EXTRA_SCOPE", "activity:read_all"),
        ],
    );
    // `read,activity:read_all`, form-encoded.
    assert_eq!(from_toml, "read%2Cactivity%3Aread_all");
    assert_eq!(from_env, from_toml);
    let replaced = sent_scope(
        "",
        &[
            ("SOCIAL_AUTH_STRAVA_KEY", "k"),
            ("SOCIAL_AUTH_STRAVA_SECRET", "s"),
            ("SOCIAL_AUTH_STRAVA_SCOPE", "read,profile:read_all"),
        ],
    );
    assert_eq!(replaced, "read%2Cprofile%3Aread_all");
}

/// Logs in over the fixtures and returns the stored account.
async fn logged_in(h: &Harness, fixture: &Fixture) -> SocialAccount {
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(login)) => login.account.expect("an account"),
        other => panic!("login failed: {other:?}"),
    }
}

#[test]
fn revocation_sends_the_client_credentials_as_http_basic() {
    social_testkit::run(async {
        let fixture = super::fixture();
        let h = Harness::new(Arc::new(social_strava::backend()), &fixture).await;
        let account = logged_in(&h, &fixture).await;
        h.server.reset().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth/revoke"))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&h.server)
            .await;
        h.auth.revoke_token(&account).await.expect("revoked");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let [request] = requests.as_slice() else {
            panic!("one revocation request, got {}", requests.len())
        };
        let authorization = request.headers.get("authorization");
        assert_eq!(
            authorization.and_then(|v| v.to_str().ok()),
            Some(BASIC),
            "client credentials as HTTP Basic"
        );
        assert_eq!(
            String::from_utf8_lossy(&request.body),
            format!("token={ACCESS}&token_type_hint=access_token"),
            "the token and nothing secret in the body"
        );
    });
}

#[test]
fn refresh_keeps_the_rotated_refresh_token() {
    social_testkit::run(async {
        let fixture = super::fixture();
        let h = Harness::new(Arc::new(social_strava::backend()), &fixture).await;
        let account = logged_in(&h, &fixture).await;
        h.server.reset().await;
        let refreshed = r#"{"token_type":"Bearer","access_token":"strava-access-5e0b","expires_at":1796321600,"expires_in":21600,"refresh_token":"strava-refresh-9a41"}"#;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth/token"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(refreshed, "application/json"))
            .expect(1)
            .mount(&h.server)
            .await;
        let account = h.auth.refresh_token(&account).await.expect("refreshed");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let body = requests
            .first()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .unwrap_or_default();
        assert!(
            body.contains("grant_type=refresh_token")
                && body.contains(&format!("refresh_token={REFRESH}"))
                && body.contains("client_secret=test-client-secret"),
            "the refresh grant with the old refresh token, credentials in the body: {body}"
        );
        let stored = h
            .storage
            .social_account_by_id(account.id)
            .await
            .expect("storage answers")
            .and_then(|a| a.tokens())
            .expect("tokens stored");
        assert_eq!(stored.access_token.secret(), "strava-access-5e0b");
        assert_eq!(
            stored.refresh_token.as_ref().map(Secret::secret),
            Some("strava-refresh-9a41"),
            "the old refresh token is dead once a new one is issued"
        );
    });
}
