//! Patreon's own behaviour: API v2 answers only the fields a request names, so the identity
//! call names them; the answer is a JSON:API document; `is_email_verified` decides whether
//! the e-mail is trusted.

use std::sync::Arc;

use social_core::serde_json::{self, Value, json};
use social_core::{BackendSettings, Configure, Endpoint, ErrorKind, Outcome, Settings};
use social_oauth2::OAuth2Provider;
use social_patreon::SPEC;
use social_testkit::provider::{Fixture, Harness, expect_kind};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const IDENTITY: &str = "/api/oauth2/v2/identity";

fn patreon(user: &str) -> Fixture {
    Fixture::new(social_patreon::NAME)
        .endpoint("api_url", "/api/oauth2/v2")
        .token("POST", "/api/oauth2/token", TOKEN)
        .api("GET", IDENTITY, user)
}

/// The fixture user with `change` applied to its attributes.
fn user_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(attributes) = user
        .pointer_mut("/data/attributes")
        .and_then(Value::as_object_mut)
    {
        change(attributes);
    }
    user.to_string()
}

/// Logs in once against a fake Patreon answering `user` for `/identity`.
async fn login_as(user: &str) -> (Harness, social_core::Result<Outcome>) {
    let fixture = patreon(user);
    let h = Harness::new(Arc::new(social_patreon::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    let outcome = h.login().await;
    (h, outcome)
}

async fn logged_in(user: &str) -> social_core::Login {
    match login_as(user).await {
        (_, Ok(Outcome::LoggedIn(login))) => login,
        (_, other) => panic!("login failed: {other:?}"),
    }
}

#[test]
fn the_identity_call_names_every_user_field_it_maps() {
    social_testkit::run(async {
        let (h, outcome) = login_as(USER).await;
        assert!(matches!(outcome, Ok(Outcome::LoggedIn(_))), "{outcome:?}");
        let requests = h.server.received_requests().await.unwrap_or_default();
        let call = requests
            .iter()
            .find(|r| r.url.path() == IDENTITY)
            .unwrap_or_else(|| panic!("no identity call"));
        let fields: Vec<String> = call
            .url
            .query_pairs()
            .filter(|(k, _)| k == "fields[user]")
            .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .collect();
        for field in [
            "email",
            "first_name",
            "full_name",
            "image_url",
            "is_email_verified",
            "last_name",
            "url",
        ] {
            assert!(
                fields.iter().any(|f| f == field),
                "{field} not asked for: {fields:?}"
            );
        }
    });
}

#[test]
fn the_email_is_verified_only_when_patreon_says_so() {
    social_testkit::run(async {
        let verified = logged_in(USER).await;
        assert_eq!(
            verified.user.email.as_deref(),
            Some("tomas.lindqvist@example.org")
        );
        assert!(verified.user.email_verified);
        assert_eq!(
            verified.account.as_ref().map(|a| a.uid.as_str()),
            Some("73190452")
        );

        let unconfirmed = logged_in(&user_with(|a| {
            a.insert("is_email_verified".into(), json!(false));
        }))
        .await;
        assert_eq!(
            unconfirmed.user.email.as_deref(),
            Some("tomas.lindqvist@example.org")
        );
        assert!(!unconfirmed.user.email_verified);

        // Without `identity[email]` Patreon leaves the address out.
        let no_email = logged_in(&user_with(|a| {
            a.remove("email");
        }))
        .await;
        assert_eq!(no_email.user.email, None);
        assert!(!no_email.user.email_verified);
    });
}

#[test]
fn names_and_picture_come_from_the_attributes() {
    let user: Value = serde_json::from_str(USER).unwrap_or_default();
    let details = SPEC.user_details(&user);
    assert_eq!(details.fullname.as_deref(), Some("Tomas Lindqvist"));
    assert_eq!(details.first_name.as_deref(), Some("Tomas"));
    assert_eq!(details.last_name.as_deref(), Some("Lindqvist"));
    assert_eq!(
        details.picture.as_deref(),
        Some("https://c8.patreon.com/3/200/73190452")
    );
    assert_eq!(
        details.profile_url.as_deref(),
        Some("https://www.patreon.com/user?u=73190452")
    );
    // Patreon has no username (`vanity` is deprecated): the pipeline makes one.
    assert_eq!(details.username, None);
}

#[test]
fn a_document_without_data_id_writes_nothing() {
    social_testkit::run(async {
        // A JSON:API error document, as Patreon sends for a token it does not accept.
        let errors = r#"{"errors": [{"code": 1, "code_name": "Unauthorized", "status": "401", "title": "Unauthorized"}]}"#;
        let (h, outcome) = login_as(errors).await;
        expect_kind("no /data/id", outcome, ErrorKind::InvalidResponse);
        h.assert_nothing_written("no /data/id");
    });
}

/// The Patreon settings an application gets from `toml` and then `vars`, as its engine reads
/// them at start-up.
fn configured(toml: &str, vars: &[(&str, &str)]) -> BackendSettings {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let mut settings = Settings::from_toml_str(toml)
        .and_then(|s| s.with_vars(vars))
        .unwrap_or_else(|e| panic!("invalid settings: {e}"));
    settings
        .resolve_env(&["patreon"])
        .unwrap_or_else(|e| panic!("invalid variables: {e}"));
    Configure::run(&social_patreon::backend(), settings.backend("patreon"))
        .unwrap_or_else(|e| panic!("refused: {e}"))
}

#[test]
fn api_url_moves_the_identity_call_and_keeps_its_fields_from_toml_and_env_alike() {
    let profile = SPEC.profile.map(|p| p.url).unwrap_or_default();
    let default = configured("[backends.patreon]\nkey = \"k\"\nsecret = \"s\"", &[]);
    assert_eq!(
        SPEC.expand(&default, profile),
        "https://www.patreon.com/api/oauth2/v2/identity?fields%5Buser%5D=email,first_name,\
         full_name,image_url,is_email_verified,last_name,url"
    );
    let from_toml = configured(
        "[backends.patreon]\nkey = \"k\"\nsecret = \"s\"\napi_url = \"https://proxy.example/patreon/v2/\"",
        &[],
    );
    let from_env = configured(
        "",
        &[
            ("SOCIAL_AUTH_PATREON_KEY", "k"),
            ("SOCIAL_AUTH_PATREON_SECRET", "s"),
            (
                "SOCIAL_AUTH_PATREON_API_URL",
                "https://proxy.example/patreon/v2/",
            ),
        ],
    );
    for settings in [&from_toml, &from_env] {
        let url = SPEC.expand(settings, profile);
        assert!(
            url.starts_with("https://proxy.example/patreon/v2/identity?fields%5Buser%5D="),
            "{url}"
        );
        // The OAuth endpoints stay where they are.
        assert_eq!(
            SPEC.endpoint(settings, Endpoint::ACCESS_TOKEN, SPEC.token_url),
            "https://www.patreon.com/api/oauth2/token"
        );
    }
}
