//! Kakao's own quirks: an e-mail address counts as verified only while Kakao also calls it
//! valid, images asked for over HTTPS, revocation through the logout call, comma-separated
//! consent items.

use std::sync::Arc;

use social_core::{
    MemoryStorage, MemoryStrategy, Outcome, Registry, Settings, SocialAuth, Value, serde_json,
};
use social_testkit::provider::{Fixture, Harness};

use super::fixture;

const USER: &str = social_testkit::fixture!("user.json");

/// The fixture with `kakao_account` changed by `change`.
fn with_account(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Fixture {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(account) = user["kakao_account"].as_object_mut() {
        change(account);
    }
    Fixture::new(social_kakao::NAME)
        .endpoint("api_url", "")
        .token(
            "POST",
            "/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .api("GET", "/v2/user/me", &user.to_string())
}

async fn login(fixture: &Fixture) -> (Harness, social_core::Login) {
    let h = Harness::new(Arc::new(social_kakao::backend()), fixture).await;
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(done)) => (h, done),
        other => panic!("login failed: {other:?}"),
    }
}

#[tokio::test]
async fn the_email_is_verified_only_while_kakao_calls_it_valid_and_verified() {
    let (_, done) = login(&fixture()).await;
    assert_eq!(done.user.email.as_deref(), Some("gildong@example.com"));
    assert!(done.user.email_verified, "valid and verified");

    // Kakao flags an address invalid once another Kakao account has taken it over.
    let (_, done) = login(&with_account(|a| {
        a.insert("is_email_valid".into(), Value::Bool(false));
    }))
    .await;
    assert_eq!(done.user.email.as_deref(), Some("gildong@example.com"));
    assert!(!done.user.email_verified, "verified but no longer valid");

    let (_, done) = login(&with_account(|a| {
        a.insert("is_email_verified".into(), Value::Bool(false));
    }))
    .await;
    assert!(!done.user.email_verified, "valid but never verified");

    let (_, done) = login(&with_account(|a| {
        a.remove("is_email_valid");
    }))
    .await;
    assert!(!done.user.email_verified, "validity not stated");
}

#[tokio::test]
async fn the_uid_is_the_member_number_and_images_are_asked_for_over_https() {
    let (h, done) = login(&fixture()).await;
    assert_eq!(done.account.map(|a| a.uid).as_deref(), Some("3141592653"));
    let requests = h.server.received_requests().await.unwrap_or_default();
    let me = requests
        .iter()
        .find(|r| r.url.path() == "/v2/user/me")
        .expect("a user call");
    assert_eq!(me.url.query(), Some("secure_resource=true"));
}

#[tokio::test]
async fn revocation_logs_out_with_the_access_token_as_bearer() {
    let fixture = fixture();
    let (h, done) = login(&fixture).await;
    let account = done.account.expect("an account");
    h.server.reset().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/v1/user/logout"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer kakao-access-4QmZr8xT2vLp6sNw0yJc3bHd7fKg1aUe",
        ))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_raw(r#"{"id":3141592653}"#, "application/json"),
        )
        .expect(1)
        .mount(&h.server)
        .await;
    h.auth
        .revoke_token(&account)
        .await
        .unwrap_or_else(|e| panic!("logout failed: {e}"));
    let requests = h.server.received_requests().await.unwrap_or_default();
    assert!(
        requests.iter().all(|r| r.body.is_empty()),
        "no client secret, no token in a body"
    );
}

/// The authorize URL Kakao's backend redirects to under the variables `vars`.
async fn authorize_url(vars: &[(&str, &str)]) -> String {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let settings = Settings::default()
        .with_vars(vars)
        .expect("valid variables");
    let auth = SocialAuth::builder(Registry::new().with(social_kakao::backend()))
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .build()
        .expect("valid configuration");
    let flow = auth
        .begin(
            &MemoryStrategy::new("http://testserver"),
            social_kakao::NAME,
        )
        .await
        .expect("a redirect");
    flow.redirect_url().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn no_scope_by_default_and_consent_items_joined_with_commas() {
    let keys = [
        ("SOCIAL_AUTH_KAKAO_KEY", "k"),
        ("SOCIAL_AUTH_KAKAO_SECRET", "s"),
    ];
    let plain = authorize_url(&keys).await;
    assert!(
        plain.starts_with("https://kauth.kakao.com/oauth/authorize?"),
        "{plain}"
    );
    assert!(
        !plain.contains("scope="),
        "the app's consent items apply: {plain}"
    );
    let mut vars = keys.to_vec();
    vars.push((
        "SOCIAL_AUTH_KAKAO_EXTRA_SCOPE",
        "account_email,profile_image",
    ));
    let extra = authorize_url(&vars).await;
    assert!(
        extra.contains("scope=account_email%2Cprofile_image"),
        "{extra}"
    );
}
