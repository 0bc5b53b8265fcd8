//! Flickr passes the OAuth 1.0a conformance suite from recorded fixtures, plus its own
//! settings.

use std::sync::Arc;

use social_core::{BackendSettings, Configure, ErrorKind, settings::TomlValue};
use social_testkit::oauth1::Fixture;

fn fixture() -> Fixture {
    Fixture::new("flickr")
        .request_token(
            "GET",
            "/services/oauth/request_token",
            social_testkit::fixture!("request_token.txt"),
        )
        .authorize("/services/oauth/authorize")
        .access_token(
            "GET",
            "/services/oauth/access_token",
            social_testkit::fixture!("access_token.txt"),
        )
        .option("perms", "write")
}

social_testkit::oauth1_conformance!(
    backend = Arc::new(social_flickr::backend()),
    fixture = fixture()
);

#[test]
fn perms_are_checked_at_start_up() {
    let backend = social_flickr::backend();
    let mut settings = BackendSettings::default();
    settings.key = Some("key".into());
    settings.secret = Some(social_core::Secret::new("secret"));
    assert!(
        Configure::run(&backend, &settings).is_ok(),
        "perms default to read"
    );
    settings
        .options
        .insert("perms".into(), TomlValue::String("admin".into()));
    let err = Configure::run(&backend, &settings).expect_err("not a Flickr permission");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.details().contains("SOCIAL_AUTH_FLICKR_PERMS"), "{err}");
}
