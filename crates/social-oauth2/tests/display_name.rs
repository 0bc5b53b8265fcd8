//! The name people read: the backend name unless the spec or the application gives another.

use std::sync::Arc;

use social_core::{Backend, Registry};
use social_oauth2::{
    OAuth2Backend, OAuth2Spec,
    oidc::{OidcBackend, OidcSpec},
};

const PLAIN: OAuth2Spec = OAuth2Spec {
    name: "forge",
    authorization_url: "https://forge.example/authorize",
    token_url: "https://forge.example/token",
    ..OAuth2Spec::DEFAULT
};

const BRANDED: OAuth2Spec = OAuth2Spec {
    name: "forge",
    display_name: "Forge Hub",
    ..PLAIN
};

#[test]
fn a_spec_without_a_display_name_shows_the_backend_name() {
    assert_eq!(OAuth2Spec::DEFAULT.display_name, "");
    assert_eq!(OAuth2Backend::new(PLAIN).display_name(), "forge");
    assert_eq!(
        OAuth2Backend::named("forge-eu", PLAIN).display_name(),
        "forge-eu",
        "a renamed backend shows its own name"
    );
    assert_eq!(OidcBackend::generic("corp-sso").display_name(), "corp-sso");
}

#[test]
fn the_spec_display_name_wins_over_the_name_and_the_application_over_both() {
    assert_eq!(OAuth2Backend::new(BRANDED).display_name(), "Forge Hub");
    assert_eq!(
        OAuth2Backend::named("forge-eu", BRANDED).display_name(),
        "Forge Hub",
        "another configuration of the same provider keeps its brand"
    );
    let custom = OAuth2Backend::new(BRANDED).with_display_name("Forge (Europe)");
    assert_eq!(custom.display_name(), "Forge (Europe)");
    assert_eq!(
        custom.name(),
        "forge",
        "the name in URLs and settings is unchanged"
    );

    let oidc = OidcSpec {
        name: "corp",
        display_name: "Corp Login",
        ..OidcSpec::DEFAULT
    };
    assert_eq!(OidcBackend::new(oidc.clone()).display_name(), "Corp Login");
    assert_eq!(
        OidcBackend::generic("corp-sso")
            .with_display_name("Acme SSO")
            .display_name(),
        "Acme SSO"
    );
}

#[test]
fn the_display_name_survives_the_registry() {
    let registry = Registry::new()
        .with(OAuth2Backend::new(BRANDED))
        .with_arc(Arc::new(OidcBackend::generic("corp-sso")));
    let shown: Vec<(&str, &str)> = registry
        .iter()
        .map(|b| (b.name(), b.display_name()))
        .collect();
    assert_eq!(shown, [("corp-sso", "corp-sso"), ("forge", "Forge Hub")]);
}
