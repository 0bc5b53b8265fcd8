//! Evernote passes the OAuth 1.0a conformance suite from recorded fixtures, plus its sandbox
//! switch and expiry.

use std::sync::Arc;

use social_core::{BackendSettings, Configure, Endpoint, ErrorKind, settings::TomlValue};
use social_evernote::Evernote;
use social_oauth1::OAuth1Provider;
use social_testkit::oauth1::Fixture;

fn fixture() -> Fixture {
    Fixture::new("evernote")
        .request_token(
            "GET",
            "/oauth",
            social_testkit::fixture!("request_token.txt"),
        )
        .authorize("/OAuth.action")
        .access_token(
            "GET",
            "/oauth",
            social_testkit::fixture!("access_token.txt"),
        )
}

social_testkit::oauth1_conformance!(
    backend = Arc::new(social_evernote::backend()),
    fixture = fixture()
);

fn settings(sandbox: Option<&str>) -> BackendSettings {
    let mut settings = BackendSettings::default();
    settings.key = Some("key".into());
    settings.secret = Some(social_core::Secret::new("secret"));
    if let Some(value) = sandbox {
        settings
            .options
            .insert("sandbox".into(), TomlValue::String(value.into()));
    }
    settings
}

#[test]
fn sandbox_switches_every_host() {
    let spec = Evernote.spec();
    let endpoints = [
        (Endpoint::REQUEST_TOKEN, spec.request_token_url),
        (Endpoint::AUTHORIZATION, spec.authorization_url),
        (Endpoint::ACCESS_TOKEN, spec.access_token_url),
    ];
    let urls = |s: &BackendSettings| -> Vec<String> {
        let s = Configure::run(&social_evernote::backend(), s).expect("valid settings");
        endpoints
            .iter()
            .map(|(endpoint, default)| Evernote.endpoint(&s, *endpoint, default))
            .collect()
    };
    assert_eq!(
        urls(&settings(None)),
        [
            "https://www.evernote.com/oauth",
            "https://www.evernote.com/OAuth.action",
            "https://www.evernote.com/oauth",
        ]
    );
    assert_eq!(
        urls(&settings(Some("true"))),
        [
            "https://sandbox.evernote.com/oauth",
            "https://sandbox.evernote.com/OAuth.action",
            "https://sandbox.evernote.com/oauth",
        ]
    );
    // An explicit endpoint wins over the switch.
    let mut overridden = settings(Some("true"));
    overridden.endpoints.insert(
        "access_token_url".into(),
        "https://proxy.example/oauth".into(),
    );
    assert_eq!(urls(&overridden)[2], "https://proxy.example/oauth");
}

#[test]
fn a_malformed_sandbox_flag_is_refused_at_start_up() {
    let backend = social_evernote::backend();
    assert!(Configure::run(&backend, &settings(Some("false"))).is_ok());
    let err = Configure::run(&backend, &settings(Some("sometimes"))).expect_err("not a boolean");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.details().contains("SOCIAL_AUTH_EVERNOTE_SANDBOX"),
        "{err}"
    );
}

#[test]
fn expiry_comes_from_edam_expires_in_milliseconds() {
    let mut token = social_oauth1::AccessToken::new("t", "");
    assert_eq!(Evernote.expires_at(&token), None);
    token
        .raw
        .insert("edam_expires".into(), "1461107889411".into());
    assert_eq!(Evernote.expires_at(&token), Some(1_461_107_889));
}
