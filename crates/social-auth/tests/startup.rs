//! What the library says at start-up about providers compiled in but not configured.

use std::sync::Arc;

use social_auth::{ErrorKind, MemoryStorage, Settings, SocialAuth, Stage};

fn google_only(extra_toml: &str) -> Settings {
    Settings::from_toml_str(&format!(
        "{extra_toml}\n[backends.google]\nkey = \"made-up-id\"\nsecret = \"made-up-secret\"\n"
    ))
    .expect("valid settings")
}

fn build(settings: Settings) -> social_auth::Result<SocialAuth> {
    SocialAuth::builder(social_auth::registry_for(&settings))
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .build()
}

#[test]
fn a_compiled_in_provider_without_settings_is_set_aside_and_named() {
    let settings = google_only("");
    let registry = social_auth::registry_for(&settings);
    assert!(registry.get("google").is_some());
    assert!(registry.get("github").is_none());
    assert!(
        registry.unconfigured().any(|b| b.name() == "github"),
        "github is compiled in (feature) and not configured"
    );
    assert!(registry.unconfigured().all(|b| b.name() != "google"));

    let auth = build(settings).expect("starts: not configured is not an error by default");
    let Err(error) = auth.backend("github", Stage::Begin) else {
        panic!("github is not enabled");
    };
    assert_eq!(error.kind(), ErrorKind::UnknownBackend);
    assert_eq!(error.provider(), Some("github"));
    assert!(
        error
            .details()
            .contains("`github` is compiled in but not configured"),
        "{error}"
    );
    assert!(
        error.details().contains("SOCIAL_AUTH_GITHUB_KEY"),
        "names the missing setting: {error}"
    );
    let Err(unknown) = auth.backend("no-such-provider", Stage::Begin) else {
        panic!("unknown");
    };
    assert_eq!(unknown.kind(), ErrorKind::UnknownBackend);
    assert!(
        unknown
            .details()
            .contains("no backend named `no-such-provider`")
    );
}

#[test]
fn strict_backends_refuses_to_start_from_toml_and_environment_alike() {
    let from_toml = google_only("strict_backends = true");
    let from_env = google_only("")
        .with_vars([("SOCIAL_AUTH_STRICT_BACKENDS".into(), "true".into())])
        .expect("valid variable");
    for settings in [from_toml, from_env] {
        assert!(settings.strict_backends);
        let error = build(settings).expect_err("refused");
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.details().starts_with("STRICT_BACKENDS: "), "{error}");
        assert!(error.details().contains("SOCIAL_AUTH_"), "{error}");
        assert!(error.provider().is_some(), "{error}");
    }
    // Off, the same settings start.
    assert!(build(google_only("strict_backends = false")).is_ok());
}

#[test]
fn a_provider_setting_error_names_the_provider() {
    let settings = Settings::from_toml_str("[backends.github]\nkey = \"made-up-id\"\n")
        .expect("valid settings");
    let error = build(settings).expect_err("no secret");
    assert_eq!(error.kind(), ErrorKind::Config);
    assert_eq!(error.provider(), Some("github"));
    assert_eq!(
        error.details(),
        "SOCIAL_AUTH_GITHUB_SECRET: is not set (the variable, or `secret` in [backends.github] \
         of a settings file)"
    );
    // What `fn main() -> Result<..>` prints reads as a sentence, not a struct dump.
    let printed = format!("{error:?}");
    assert!(
        printed.starts_with("configuration during setup with github: "),
        "{printed}"
    );
}

/// With every provider compiled in and none configured, each one is reported with a variable
/// to set: the report is useful for every backend, not only those that need a key.
#[cfg(feature = "full")]
#[test]
fn every_backend_not_configured_is_reported_with_a_variable_to_set() {
    let settings = Settings::default();
    let registry = social_auth::registry_for(&settings);
    let names: Vec<String> = registry
        .unconfigured()
        .map(|b| b.name().to_owned())
        .collect();
    assert!(names.len() >= 50, "{names:?}");
    let auth = build(settings).expect("starts with nothing configured");
    for name in &names {
        let missing = auth.not_configured(name).expect("reported");
        assert!(missing.contains("SOCIAL_AUTH_"), "{name}: {missing}");
    }
    assert_eq!(auth.not_configured("no-such-provider"), None);
}
