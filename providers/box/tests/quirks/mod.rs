//! Box's own quirks: no scope asked for by default (the application's configured scopes
//! apply), refresh tokens that rotate (single use), a revocation with exactly the documented
//! fields, and the login that is both username and e-mail address.

use std::sync::Arc;

use social_core::{MemoryStrategy, Secret, Storage};
use social_testkit::{
    logged_in,
    provider::{CLIENT_ID, CLIENT_SECRET, Fixture, Harness},
    query_param, settings_from,
    wiremock::{Mock, Request, ResponseTemplate, matchers},
};

use super::fixture;

/// The access and refresh tokens of `token.json`.
const ACCESS: &str = "box-access-T9kq2VbX4mRz7LpW1nYc";
const REFRESH: &str = "box-refresh-H3sD8fJ0gK6aQ5eU2wIo";

/// The form fields of a request body, sorted.
fn form(request: &Request) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> =
        social_testkit::url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
    fields.sort();
    fields
}

fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_owned(), value.to_owned())
}

/// Logs in over `fixture` with the harness `h`.
async fn login(h: &Harness, fixture: &Fixture) -> social_core::Login {
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    logged_in(h.login().await)
}

/// The `scope` argument of the authorize URL under settings from `toml` and then `vars`.
fn sent_scope(toml: &str, vars: &[(&str, &str)]) -> Option<String> {
    let settings = settings_from(toml, vars);
    let (auth, _) = social_testkit::social_auth(social_box::backend(), settings, None)
        .unwrap_or_else(|e| panic!("valid settings: {e}"));
    let strategy = MemoryStrategy::new("http://testserver");
    let flow = social_testkit::run(auth.begin(&strategy, social_box::NAME)).expect("begins");
    let url = flow.redirect_url().expect("a redirect");
    assert!(
        url.starts_with("https://account.box.com/api/oauth2/authorize?"),
        "{url}"
    );
    assert_eq!(
        query_param(url, "code_challenge"),
        None,
        "Box documents no PKCE"
    );
    query_param(url, "scope")
}

#[test]
fn no_scope_by_default_and_scopes_joined_with_spaces_from_toml_and_the_environment_alike() {
    let keys = "[backends.box]\nkey = \"k\"\nsecret = \"s\"\n";
    assert_eq!(
        sent_scope(keys, &[]),
        None,
        "the application's scopes apply"
    );
    let from_toml = sent_scope(
        &format!("{keys}scope = [\"root_readonly\", \"manage_webhook\"]"),
        &[],
    );
    let from_env = sent_scope(
        "",
        &[
            ("SOCIAL_AUTH_BOX_KEY", "k"),
            ("SOCIAL_AUTH_BOX_SECRET", "s"),
            ("SOCIAL_AUTH_BOX_SCOPE", "root_readonly,manage_webhook"),
        ],
    );
    assert_eq!(from_toml.as_deref(), Some("root_readonly manage_webhook"));
    assert_eq!(from_env, from_toml);
}

#[test]
fn the_uid_is_the_id_and_the_login_is_username_and_unverified_email() {
    social_testkit::run(async {
        let fixture = fixture();
        let h = Harness::new(Arc::new(social_box::backend()), &fixture).await;
        let done = login(&h, &fixture).await;
        assert_eq!(
            done.account.map(|a| a.uid).as_deref(),
            Some("20481579"),
            "the id, not the login the user can change"
        );
        assert_eq!(done.user.email.as_deref(), Some("ada@example.com"));
        assert!(
            !done.user.email_verified,
            "Box does not say it verified the login"
        );
        assert_eq!(done.user.fullname.as_deref(), Some("Ada Lovelace"));
    });
}

#[test]
fn refresh_sends_the_client_in_the_body_and_keeps_the_new_refresh_token() {
    social_testkit::run(async {
        let fixture = fixture();
        let h = Harness::new(Arc::new(social_box::backend()), &fixture).await;
        let account = login(&h, &fixture).await.account.expect("an account");
        h.server.reset().await;
        let refreshed = r#"{"access_token":"box-access-Q1w2","expires_in":3600,"restricted_to":[],"refresh_token":"box-refresh-Z9x8","token_type":"bearer"}"#;
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
        assert_eq!(
            form(refresh),
            vec![
                pair("client_id", CLIENT_ID),
                pair("client_secret", CLIENT_SECRET),
                pair("grant_type", "refresh_token"),
                pair("refresh_token", REFRESH),
            ]
        );
        let stored = h
            .storage
            .social_account_by_id(account.id)
            .await
            .expect("storage answers")
            .and_then(|a| a.tokens())
            .expect("tokens stored");
        assert_eq!(stored.access_token.secret(), "box-access-Q1w2");
        assert_eq!(
            stored.refresh_token.as_ref().map(Secret::secret),
            Some("box-refresh-Z9x8"),
            "a Box refresh token works once: the new one replaces it"
        );
    });
}

#[test]
fn revocation_posts_the_client_and_the_token_and_nothing_else() {
    social_testkit::run(async {
        let fixture = fixture();
        let h = Harness::new(Arc::new(social_box::backend()), &fixture).await;
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
            form(revoke),
            vec![
                pair("client_id", CLIENT_ID),
                pair("client_secret", CLIENT_SECRET),
                pair("token", ACCESS),
            ]
        );
        assert!(
            revoke.headers.get("authorization").is_none(),
            "the client authenticates in the body"
        );
    });
}
