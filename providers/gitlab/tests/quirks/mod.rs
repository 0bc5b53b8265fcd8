//! GitLab's own behaviour: one `BASE_URL` moves every endpoint to a self-managed instance
//! (from TOML and from the environment alike), and the e-mail is never taken as verified.

use social_core::serde_json::{self, Value};
use social_core::{BackendSettings, Configure, Endpoint, Settings};
use social_gitlab::SPEC;
use social_oauth2::OAuth2Provider;

/// The GitLab settings an application gets from `toml` and then `vars`, as its engine reads
/// them at start-up.
fn configured(toml: &str, vars: &[(&str, &str)]) -> BackendSettings {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let mut settings = Settings::from_toml_str(toml)
        .and_then(|s| s.with_vars(vars))
        .unwrap_or_else(|e| panic!("settings: {e}"));
    settings
        .resolve_env(&[social_gitlab::NAME])
        .unwrap_or_else(|e| panic!("variables: {e}"));
    Configure::run(
        &social_gitlab::backend(),
        settings.backend(social_gitlab::NAME),
    )
    .unwrap_or_else(|e| panic!("configure: {e}"))
}

/// Every URL the backend calls, as `settings` make them.
fn urls(settings: &BackendSettings) -> [String; 4] {
    [
        SPEC.endpoint(settings, Endpoint::AUTHORIZATION, SPEC.authorization_url),
        SPEC.endpoint(settings, Endpoint::ACCESS_TOKEN, SPEC.token_url),
        SPEC.endpoint(
            settings,
            Endpoint::REVOKE_TOKEN,
            SPEC.revoke_url.unwrap_or_default(),
        ),
        SPEC.expand(settings, "{api_url}/user"),
    ]
}

#[test]
fn gitlab_com_is_the_default() {
    let settings = configured("[backends.gitlab]\nkey = \"k\"\nsecret = \"s\"", &[]);
    assert_eq!(
        urls(&settings),
        [
            "https://gitlab.com/oauth/authorize",
            "https://gitlab.com/oauth/token",
            "https://gitlab.com/oauth/revoke",
            "https://gitlab.com/api/v4/user",
        ]
    );
}

#[test]
fn base_url_moves_every_endpoint_from_toml_and_the_environment_alike() {
    let from_toml = configured(
        "[backends.gitlab]\nkey = \"k\"\nsecret = \"s\"\nbase_url = \"https://git.example.org/gitlab/\"",
        &[],
    );
    let from_env = configured(
        "",
        &[
            ("SOCIAL_AUTH_GITLAB_KEY", "k"),
            ("SOCIAL_AUTH_GITLAB_SECRET", "s"),
            (
                "SOCIAL_AUTH_GITLAB_BASE_URL",
                "https://git.example.org/gitlab",
            ),
        ],
    );
    for settings in [&from_toml, &from_env] {
        assert_eq!(
            urls(settings),
            [
                "https://git.example.org/gitlab/oauth/authorize",
                "https://git.example.org/gitlab/oauth/token",
                "https://git.example.org/gitlab/oauth/revoke",
                "https://git.example.org/gitlab/api/v4/user",
            ]
        );
    }
}

#[test]
fn an_explicit_endpoint_wins_over_the_base_url() {
    let settings = configured(
        "",
        &[
            ("SOCIAL_AUTH_GITLAB_KEY", "k"),
            ("SOCIAL_AUTH_GITLAB_SECRET", "s"),
            ("SOCIAL_AUTH_GITLAB_BASE_URL", "https://git.example.org"),
            (
                "SOCIAL_AUTH_GITLAB_ACCESS_TOKEN_URL",
                "https://internal.example.org/oauth/token",
            ),
            ("SOCIAL_AUTH_GITLAB_API_URL", "https://api.example.org/v4"),
        ],
    );
    assert_eq!(
        urls(&settings),
        [
            "https://git.example.org/oauth/authorize",
            "https://internal.example.org/oauth/token",
            "https://git.example.org/oauth/revoke",
            "https://api.example.org/v4/user",
        ]
    );
}

#[test]
fn the_email_is_never_taken_as_verified() {
    // `/user` gives the primary address and `confirmed_at`, which a self-managed instance sets
    // without any confirmation when it has confirmation turned off: no verified e-mail here.
    let user: Value =
        serde_json::from_str(social_testkit::fixture!("user.json")).unwrap_or_default();
    assert!(user["confirmed_at"].is_string(), "the fixture is confirmed");
    let details = SPEC.user_details(&user);
    assert_eq!(details.email.as_deref(), Some("tomas.varga@example.com"));
    assert!(!details.email_verified);
    assert_eq!(SPEC.user_id(&user).ok().as_deref(), Some("3141592"));
    assert_eq!(
        details.profile_url.as_deref(),
        Some("https://gitlab.example.com/tomas.varga")
    );
}
