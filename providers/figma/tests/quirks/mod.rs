//! Figma's own quirks: client credentials only as HTTP Basic, comma-separated scopes, an
//! e-mail address it does not vouch for.

use std::sync::Arc;

use social_core::{MemoryStorage, MemoryStrategy, Outcome, Registry, Settings, SocialAuth};
use social_testkit::provider::{CLIENT_ID, CLIENT_SECRET, Fixture, Harness};

use super::fixture;

#[tokio::test]
async fn the_token_request_carries_the_credentials_as_basic_and_nowhere_else() {
    let fixture: Fixture = fixture();
    let h = Harness::new(Arc::new(social_figma::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    let outcome = h.login().await;
    assert!(matches!(outcome, Ok(Outcome::LoggedIn(_))), "{outcome:?}");

    let requests = h.server.received_requests().await.unwrap_or_default();
    let token = requests
        .iter()
        .find(|r| r.url.path() == "/v1/oauth/token")
        .expect("a token request");
    let authorization = token
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    use base64::Engine as _;
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    assert_eq!(authorization, format!("Basic {expected}"));
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&token.body)
        .into_owned()
        .collect();
    for name in ["client_id", "client_secret"] {
        assert!(
            form.iter().all(|(k, _)| k != name),
            "`{name}` must not be in the body: {form:?}"
        );
    }
}

#[tokio::test]
async fn the_email_is_kept_but_never_marked_verified() {
    let fixture = fixture();
    let h = Harness::new(Arc::new(social_figma::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    let Ok(Outcome::LoggedIn(done)) = h.login().await else {
        panic!("login failed")
    };
    assert_eq!(done.user.email.as_deref(), Some("ada@example.com"));
    assert!(
        !done.user.email_verified,
        "Figma does not say it verified it"
    );
    let account = done.account.expect("an account");
    assert_eq!(account.uid, "1077543620394582016", "the id, not the handle");
}

/// The authorize URL's `scope` for settings from `toml` and then `vars`.
async fn scope(toml: &str, vars: &[(&str, &str)]) -> String {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let settings = Settings::from_toml_str(toml)
        .and_then(|s| s.with_vars(vars))
        .expect("valid settings");
    let auth = SocialAuth::builder(Registry::new().with(social_figma::backend()))
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .build()
        .expect("valid configuration");
    let flow = auth
        .begin(
            &MemoryStrategy::new("http://testserver"),
            social_figma::NAME,
        )
        .await
        .expect("a redirect");
    let url = url::Url::parse(flow.redirect_url().unwrap_or_default()).expect("a URL");
    assert_eq!(url.host_str(), Some("www.figma.com"));
    url.query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn scopes_are_joined_with_commas_from_toml_and_the_environment_alike() {
    assert_eq!(
        scope("[backends.figma]\nkey = \"k\"\nsecret = \"s\"", &[]).await,
        "current_user:read"
    );
    let from_toml = scope(
        "[backends.figma]\nkey = \"k\"\nsecret = \"s\"\nextra_scope = [\"file_content:read\"]",
        &[],
    )
    .await;
    let from_env = scope(
        "",
        &[
            ("SOCIAL_AUTH_FIGMA_KEY", "k"),
            ("SOCIAL_AUTH_FIGMA_SECRET", "s"),
            ("SOCIAL_AUTH_FIGMA_EXTRA_SCOPE", "file_content:read"),
        ],
    )
    .await;
    for scope in [from_toml, from_env] {
        assert_eq!(scope, "current_user:read,file_content:read");
    }
}
