//! The application offers built-in and third-party providers alike from TOML and the
//! environment, and refuses what no backend reads.

use social_auth::{Endpoint, ErrorKind, Settings};

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn environment_variables_reach_built_in_and_third_party_backends() {
    let settings = Settings::default()
        .with_vars(vars(&[
            ("SOCIAL_AUTH_GITHUB_KEY", "gh-id"),
            ("SOCIAL_AUTH_GITHUB_SECRET", "gh-secret"),
            ("SOCIAL_AUTH_GITEA_KEY", "gt-id"),
            ("SOCIAL_AUTH_GITEA_SECRET", "gt-secret"),
            ("SOCIAL_AUTH_GITEA_BASE_URL", "https://git.example.com"),
        ]))
        .expect("valid variables");
    let auth = forge_app::social_auth(settings).expect("builds");
    let names: Vec<&str> = auth.registry().names().collect();
    assert_eq!(names, ["gitea", "github"], "disqus is not configured");
    let gitea = auth.settings().backend("gitea");
    assert_eq!(gitea.key.as_deref(), Some("gt-id"));
    assert_eq!(
        gitea.endpoint_override(Endpoint::BASE),
        Some("https://git.example.com")
    );
}

#[test]
fn toml_configures_the_same_way() {
    let settings = Settings::from_toml_str(
        r#"
        [backends.disqus]
        key = "dq-id"
        secret = "dq-secret"
        [backends.gitea]
        key = "gt-id"
        secret = "gt-secret"
        base_url = "https://git.example.com"
        "#,
    )
    .expect("valid TOML");
    let auth = forge_app::social_auth(settings).expect("builds");
    let names: Vec<&str> = auth.registry().names().collect();
    assert_eq!(names, ["disqus", "gitea"]);
}

#[test]
fn a_setting_nobody_reads_stops_start_up_with_its_name() {
    for (pairs, named) in [
        (
            vec![
                ("SOCIAL_AUTH_GITEA_KEY", "id"),
                ("SOCIAL_AUTH_GITEA_SECRET", "s"),
                ("SOCIAL_AUTH_GITEA_BASEURL", "https://git.example.com"),
            ],
            "SOCIAL_AUTH_GITEA_BASEURL",
        ),
        (
            vec![
                ("SOCIAL_AUTH_GITEA_KEY", "id"),
                ("SOCIAL_AUTH_GITEA_SECRET", "s"),
                ("SOCIAL_AUTH_GITTEA_KEY", "id"),
            ],
            "SOCIAL_AUTH_GITTEA_KEY",
        ),
        (
            vec![("SOCIAL_AUTH_DISQUS_KEY", "id")],
            "SOCIAL_AUTH_DISQUS_SECRET",
        ),
    ] {
        let err = Settings::default()
            .with_vars(vars(&pairs))
            .and_then(forge_app::social_auth)
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.details().starts_with(named), "{named}: {err}");
    }
}
