//! GitHub's own quirks: e-mail verification through /user/emails, Enterprise URLs,
//! organization and team restrictions.

use std::sync::Arc;

use serde_json::json;
use social_core::{
    BackendSettings, Configure, Endpoint, ErrorKind, MemoryStorage, Outcome, Registry, Settings,
    SocialAuth,
};
use social_github::{GitHub, SPEC};
use social_oauth2::OAuth2Provider;
use social_testkit::provider::{Fixture, Harness, expect_kind};
use wiremock::{Mock, ResponseTemplate, matchers};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const EMAILS: &str = social_testkit::fixture!("emails.json");

fn github(user: &str, emails: &str) -> Fixture {
    Fixture::new("github")
        .endpoint("api_url", "/api")
        .token("POST", "/login/oauth/access_token", TOKEN)
        .api("GET", "/api/user", user)
        .api("GET", "/api/user/emails", emails)
}

async fn login(h: &Harness, fixture: &Fixture) -> social_core::Result<Outcome> {
    h.mount_apis(fixture).await;
    h.mount_token(fixture, 1).await;
    h.login().await
}

fn user_with_email(email: &str) -> String {
    let mut user: serde_json::Value = serde_json::from_str(USER).unwrap_or_default();
    user["email"] = json!(email);
    user.to_string()
}

#[tokio::test]
async fn public_email_counts_as_verified_only_when_listed_verified() {
    let fixture = github(&user_with_email("old-address@example.com"), EMAILS);
    let h = Harness::new(Arc::new(social_github::backend()), &fixture).await;
    let Ok(Outcome::LoggedIn(done)) = login(&h, &fixture).await else {
        panic!("login failed")
    };
    // The public address is unverified: the primary verified one is used instead.
    assert_eq!(done.user.email.as_deref(), Some("octocat@github.com"));
    assert!(done.user.email_verified);

    let fixture = github(&user_with_email("octocat@users.noreply.github.com"), EMAILS);
    let h = Harness::new(Arc::new(social_github::backend()), &fixture).await;
    let Ok(Outcome::LoggedIn(done)) = login(&h, &fixture).await else {
        panic!("login failed")
    };
    assert_eq!(
        done.user.email.as_deref(),
        Some("octocat@users.noreply.github.com")
    );
    assert!(done.user.email_verified, "listed as verified");
}

#[tokio::test]
async fn without_the_email_scope_the_profile_is_kept_unverified() {
    // /user/emails answers 404 when the token lacks `user:email`.
    let fixture = Fixture::new("github")
        .endpoint("api_url", "/api")
        .token("POST", "/login/oauth/access_token", TOKEN)
        .api("GET", "/api/user", &user_with_email("public@example.com"));
    let h = Harness::new(Arc::new(social_github::backend()), &fixture).await;
    Mock::given(matchers::path("/api/user/emails"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_raw(r#"{"message":"Not Found"}"#, "application/json"),
        )
        .mount(&h.server)
        .await;
    let Ok(Outcome::LoggedIn(done)) = login(&h, &fixture).await else {
        panic!("login failed")
    };
    assert_eq!(done.user.email.as_deref(), Some("public@example.com"));
    assert!(!done.user.email_verified);
}

/// The GitHub settings an application gets from `toml` and then `vars`, as its engine
/// reads them at start-up.
fn configured(toml: &str, vars: &[(&str, &str)]) -> BackendSettings {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let mut settings = Settings::from_toml_str(toml)
        .and_then(|s| s.with_vars(vars))
        .expect("valid settings");
    settings.resolve_env(&["github"]).expect("valid variables");
    Configure::run(&social_github::backend(), settings.backend("github")).expect("valid")
}

#[test]
fn enterprise_url_moves_every_endpoint_from_toml_and_the_environment_alike() {
    let from_toml = configured(
        "[backends.github]\nkey = \"k\"\nsecret = \"s\"\nenterprise_url = \"https://ghe.example.com/\"",
        &[],
    );
    let from_env = configured(
        "",
        &[
            ("SOCIAL_AUTH_GITHUB_KEY", "k"),
            ("SOCIAL_AUTH_GITHUB_SECRET", "s"),
            (
                "SOCIAL_AUTH_GITHUB_ENTERPRISE_URL",
                "https://ghe.example.com/",
            ),
        ],
    );
    for settings in [&from_toml, &from_env] {
        let endpoint = |e, default| GitHub.endpoint(settings, e, default);
        assert_eq!(
            endpoint(Endpoint::AUTHORIZATION, SPEC.authorization_url),
            "https://ghe.example.com/login/oauth/authorize"
        );
        assert_eq!(
            endpoint(Endpoint::ACCESS_TOKEN, SPEC.token_url),
            "https://ghe.example.com/login/oauth/access_token"
        );
        assert_eq!(
            SPEC.expand(settings, "{api_url}/user"),
            "https://ghe.example.com/api/v3/user"
        );
        assert_eq!(
            endpoint(Endpoint::REVOKE_TOKEN, SPEC.revoke_url.unwrap_or_default()),
            "https://ghe.example.com/api/v3/applications/k/token"
        );
    }
    let github_com = configured("[backends.github]\nkey = \"k\"\nsecret = \"s\"", &[]);
    assert_eq!(
        SPEC.expand(&github_com, "{api_url}/user"),
        "https://api.github.com/user"
    );
    let pinned = configured(
        "[backends.github]\nkey = \"k\"\nsecret = \"s\"\nenterprise_url = \"https://ghe.example.com\"\naccess_token_url = \"https://proxy.example.com/token\"",
        &[],
    );
    assert_eq!(
        GitHub.endpoint(&pinned, Endpoint::ACCESS_TOKEN, SPEC.token_url),
        "https://proxy.example.com/token",
        "an explicit endpoint setting wins"
    );
}

#[test]
fn unknown_or_mistyped_settings_stop_start_up_naming_the_variable_or_key() {
    let build = |toml: &str, vars: &[(&str, &str)]| {
        let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
        let settings = Settings::from_toml_str(toml)
            .and_then(|s| s.with_vars(vars))
            .expect("valid settings");
        SocialAuth::builder(Registry::new().with(social_github::backend()))
            .settings(settings)
            .storage(Arc::new(MemoryStorage::new()))
            .build()
    };
    let keys = [
        ("SOCIAL_AUTH_GITHUB_KEY", "k"),
        ("SOCIAL_AUTH_GITHUB_SECRET", "s"),
    ];
    let mut typo = keys.to_vec();
    typo.push(("SOCIAL_AUTH_GITHUB_ORGANISATION", "acme"));
    let err = build("", &typo).expect_err("a typo");
    assert!(
        err.details().starts_with("SOCIAL_AUTH_GITHUB_ORGANISATION")
            && err.details().contains("ORGANIZATION"),
        "{err}"
    );
    let err = build(
        "[backends.github]\nkey = \"k\"\nsecret = \"s\"\nteam_id = \"core\"",
        &[],
    )
    .expect_err("not a number");
    assert!(
        err.details().starts_with("backends.github.team_id") && err.details().contains("core"),
        "{err}"
    );
    let mut team = keys.to_vec();
    team.push(("SOCIAL_AUTH_GITHUB_TEAM_ID", "core"));
    let err = build("", &team).expect_err("not a number");
    assert!(
        err.details().starts_with("SOCIAL_AUTH_GITHUB_TEAM_ID"),
        "{err}"
    );
    let mut other = keys.to_vec();
    other.push(("SOCIAL_AUTH_GTIHUB_KEY", "k"));
    let err = build("", &other).expect_err("no such backend");
    assert!(err.details().starts_with("SOCIAL_AUTH_GTIHUB_KEY"), "{err}");
    let err = build("[backends.gitlab]\nkey = \"k\"", &keys).expect_err("not registered");
    assert!(err.details().starts_with("backends.gitlab"), "{err}");
    team.pop();
    team.push(("SOCIAL_AUTH_GITHUB_TEAM_ID", "42"));
    assert!(build("", &team).is_ok(), "a numeric team id");
}

async fn membership(
    option: (&str, &str),
    path: &str,
    response: ResponseTemplate,
) -> social_core::Result<Outcome> {
    let fixture = github(USER, EMAILS).option(option.0, option.1);
    let h = Harness::new(Arc::new(social_github::backend()), &fixture).await;
    Mock::given(matchers::path(path))
        .respond_with(response)
        .expect(1)
        .mount(&h.server)
        .await;
    let result = login(&h, &fixture).await;
    if result.is_err() {
        h.assert_nothing_written("refused membership");
    }
    result
}

#[tokio::test]
async fn organization_members_only() {
    let ok = membership(
        ("organization", "acme"),
        "/api/orgs/acme/members/octocat",
        ResponseTemplate::new(204),
    )
    .await;
    assert!(matches!(ok, Ok(Outcome::LoggedIn(_))), "{ok:?}");
    let refused = membership(
        ("organization", "acme"),
        "/api/orgs/acme/members/octocat",
        ResponseTemplate::new(404),
    )
    .await;
    expect_kind("not a member", refused, ErrorKind::Forbidden);
    let refused = membership(
        ("organization", "acme"),
        "/api/orgs/acme/members/octocat",
        ResponseTemplate::new(302),
    )
    .await;
    expect_kind("requester not a member", refused, ErrorKind::Forbidden);
}

#[tokio::test]
async fn team_members_only_when_active() {
    let active = ResponseTemplate::new(200)
        .set_body_raw(r#"{"role":"member","state":"active"}"#, "application/json");
    let ok = membership(
        ("team_id", "42"),
        "/api/teams/42/memberships/octocat",
        active,
    )
    .await;
    assert!(matches!(ok, Ok(Outcome::LoggedIn(_))), "{ok:?}");
    let pending = ResponseTemplate::new(200)
        .set_body_raw(r#"{"role":"member","state":"pending"}"#, "application/json");
    let refused = membership(
        ("team_id", "42"),
        "/api/teams/42/memberships/octocat",
        pending,
    )
    .await;
    expect_kind("pending member", refused, ErrorKind::Forbidden);
    let refused = membership(
        ("team_id", "42"),
        "/api/teams/42/memberships/octocat",
        ResponseTemplate::new(404),
    )
    .await;
    expect_kind("not in team", refused, ErrorKind::Forbidden);
}

#[test]
fn team_id_must_be_numeric() {
    let mut settings = Settings::default();
    let mut github = BackendSettings::default();
    github.key = Some("k".into());
    github.secret = Some(social_core::Secret::new("s"));
    github.options.insert(
        "team_id".into(),
        social_core::settings::TomlValue::String("core-team".into()),
    );
    settings.backends.insert("github".into(), github);
    let err = SocialAuth::builder(Registry::new().with(social_github::backend()))
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .build()
        .expect_err("a team slug is not an id");
    assert!(
        err.details().contains("SOCIAL_AUTH_GITHUB_TEAM_ID"),
        "{err}"
    );
}
