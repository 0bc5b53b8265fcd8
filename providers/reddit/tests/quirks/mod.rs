//! Reddit's own behaviour: a permanent grant (for a refresh token) unless the application asks
//! otherwise, the user API on its own host, and no e-mail address at all.

use std::sync::Arc;

use social_core::serde_json::{self, Value};
use social_core::{
    BackendSettings, Configure, Endpoint, MemoryStorage, MemoryStrategy, Registry, Settings,
    SocialAuth,
};
use social_oauth2::OAuth2Provider;
use social_reddit::SPEC;

/// `toml` and then `vars`, read as an application reads them at start-up.
fn settings(toml: &str, vars: &[(&str, &str)]) -> Settings {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let mut settings = Settings::from_toml_str(toml)
        .and_then(|s| s.with_vars(vars))
        .unwrap_or_else(|e| panic!("settings: {e}"));
    settings
        .resolve_env(&[social_reddit::NAME])
        .unwrap_or_else(|e| panic!("variables: {e}"));
    settings
}

fn configured(toml: &str, vars: &[(&str, &str)]) -> BackendSettings {
    let settings = settings(toml, vars);
    Configure::run(
        &social_reddit::backend(),
        settings.backend(social_reddit::NAME),
    )
    .unwrap_or_else(|e| panic!("configure: {e}"))
}

/// The `duration` arguments of the authorization redirect the engine makes with `settings`.
fn durations(settings: Settings) -> Vec<String> {
    social_testkit::run(async {
        let auth = SocialAuth::builder(Registry::new().with(social_reddit::backend()))
            .settings(settings)
            .storage(Arc::new(MemoryStorage::new()))
            .build()
            .unwrap_or_else(|e| panic!("build: {e}"));
        let flow = auth
            .begin(
                &MemoryStrategy::new("http://testserver"),
                social_reddit::NAME,
            )
            .await
            .unwrap_or_else(|e| panic!("begin: {e}"));
        let url = flow
            .redirect_url()
            .unwrap_or_else(|| panic!("no redirect: {flow:?}"));
        let (endpoint, query) = url.split_once('?').unwrap_or((url, ""));
        assert_eq!(endpoint, "https://www.reddit.com/api/v1/authorize");
        query
            .split('&')
            .filter_map(|pair| pair.strip_prefix("duration="))
            .map(str::to_owned)
            .collect()
    })
}

const KEYS: [(&str, &str); 2] = [
    ("SOCIAL_AUTH_REDDIT_KEY", "k"),
    ("SOCIAL_AUTH_REDDIT_SECRET", "s"),
];

#[test]
fn a_permanent_grant_is_asked_for_unless_the_application_says_otherwise() {
    assert_eq!(durations(settings("", &KEYS)), ["permanent"]);

    let mut temporary = KEYS.to_vec();
    temporary.push((
        "SOCIAL_AUTH_REDDIT_AUTH_EXTRA_ARGUMENTS",
        "duration=temporary",
    ));
    assert_eq!(
        durations(settings("", &temporary)),
        ["temporary"],
        "one duration, the configured one"
    );
    let from_toml = settings(
        "[backends.reddit]\nkey = \"k\"\nsecret = \"s\"\nauth_extra_arguments = { duration = \"temporary\" }",
        &[],
    );
    assert_eq!(durations(from_toml), ["temporary"]);
}

#[test]
fn the_user_api_lives_on_its_own_host() {
    let default = configured("", &KEYS);
    let endpoint = |settings: &BackendSettings, e, template| SPEC.endpoint(settings, e, template);
    assert_eq!(
        endpoint(&default, Endpoint::ACCESS_TOKEN, SPEC.token_url),
        "https://www.reddit.com/api/v1/access_token"
    );
    assert_eq!(
        SPEC.expand(&default, "{api_url}/api/v1/me"),
        "https://oauth.reddit.com/api/v1/me"
    );

    // `API_URL` moves the user API only; tokens stay where Reddit issues them.
    let mut moved = KEYS.to_vec();
    moved.push((
        "SOCIAL_AUTH_REDDIT_API_URL",
        "https://reddit-proxy.example.com",
    ));
    let moved = configured("", &moved);
    assert_eq!(
        SPEC.expand(&moved, "{api_url}/api/v1/me"),
        "https://reddit-proxy.example.com/api/v1/me"
    );
    assert_eq!(
        endpoint(&moved, Endpoint::ACCESS_TOKEN, SPEC.token_url),
        "https://www.reddit.com/api/v1/access_token"
    );
    assert_eq!(
        endpoint(
            &moved,
            Endpoint::REVOKE_TOKEN,
            SPEC.revoke_url.unwrap_or_default()
        ),
        "https://www.reddit.com/api/v1/revoke_token"
    );
}

#[test]
fn reddit_gives_no_email_whatever_its_flags_say() {
    let user: Value =
        serde_json::from_str(social_testkit::fixture!("user.json")).unwrap_or_default();
    assert_eq!(user["has_verified_email"], Value::Bool(true));
    let details = SPEC.user_details(&user);
    assert_eq!(details.email, None);
    assert!(!details.email_verified);
    assert_eq!(details.username.as_deref(), Some("quiet_heron_42"));
    assert_eq!(SPEC.user_id(&user).ok().as_deref(), Some("8f3k2q1"));
}
