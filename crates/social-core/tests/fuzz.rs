//! Bounded fuzzing of social-core's parsers of attacker-controlled text: redirect targets,
//! typed e-mail addresses and settings files (see `social_testkit::fuzz`).

use social_core::{Settings, pipeline::normalize_email, redirect::sanitize_redirect};
use social_testkit::fuzz;

const REDIRECT_PIECES: &[&str] = &[
    "/",
    "//",
    "\\",
    "%",
    "%2F",
    "%5C",
    "%2e",
    "%25",
    "@",
    ":",
    ".",
    "..",
    "?",
    "#",
    "a",
    "é",
    "\u{FF0F}",
    "\u{2215}",
    "\t",
    "\n",
    " ",
    "http://",
    "https://",
    "HTTPS://",
    "javascript:",
    "example.com",
    "evil.com",
    "trusted.example.org",
    ":443",
    ":8443",
    "[::1]",
    "xn--",
];

#[test]
fn redirect_targets_never_leave_the_allowed_origins() {
    let allowed = ["trusted.example.org".to_owned()];
    fuzz::run("sanitize_redirect", |rng| {
        let target = rng.text(REDIRECT_PIECES, 8);
        let Some(out) = sanitize_redirect(&target, Some("https://example.com"), &allowed) else {
            return;
        };
        if out.starts_with('/') {
            assert!(
                !out.starts_with("//") && !out.starts_with("/\\"),
                "{target:?} -> {out:?}"
            );
            assert!(!out.contains(char::is_control), "{target:?} -> {out:?}");
            return;
        }
        let url = url::Url::parse(&out).unwrap_or_else(|e| panic!("{target:?} -> {out:?}: {e}"));
        let origin = (url.scheme(), url.host_str(), url.port_or_known_default());
        assert!(
            origin == ("https", Some("example.com"), Some(443))
                || origin == ("https", Some("trusted.example.org"), Some(443)),
            "{target:?} -> {out:?} leaves the allowed origins"
        );
    });
}

const EMAIL_PIECES: &[&str] = &[
    "a", "Z", ".", "@", "\u{FF20}", "\u{FE6B}", "\u{200B}", "-", "+", "é", "xn--", "example",
    "com", " ", "\"", "<", ">", "[", "]", "1", "\u{3002}",
];

#[test]
fn typed_addresses_come_out_with_one_ascii_at_or_not_at_all() {
    fuzz::run("normalize_email", |rng| {
        let typed = rng.text(EMAIL_PIECES, 12);
        if let Some(email) = normalize_email(&typed) {
            assert_eq!(email.matches('@').count(), 1, "{typed:?} -> {email:?}");
            assert!(
                !email.contains(['\u{FF20}', '\u{FE6B}', '\u{200B}', ' ']),
                "{typed:?} -> {email:?}"
            );
            let domain = email.rsplit('@').next().unwrap_or_default();
            assert!(
                domain.is_ascii() && domain.contains('.'),
                "{typed:?} -> {email:?}"
            );
            assert_eq!(
                normalize_email(&email).as_deref(),
                Some(email.as_str()),
                "idempotent"
            );
        }
    });
}

#[test]
fn settings_files_parse_or_fail_cleanly() {
    const TOML: &str = "[backends.github]\nkey = \"k\"\nsecret = \"s\"\nscope = [\"a\"]\n\
                        login_redirect_url = \"/x\"\n[backends.corp]\noidc_endpoint = \"https://id\"\n";
    fuzz::run("Settings::from_toml_str", |rng| {
        let text = rng.mutate(
            TOML,
            &["[", "]", "=", "\"", "\n", "backends.", "{", "}", "1e9"],
        );
        let _ = Settings::from_toml_str(&text).and_then(|s| s.validate());
    });
}
