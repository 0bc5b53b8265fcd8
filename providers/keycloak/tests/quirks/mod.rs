//! Keycloak's own behaviour beyond the conformance checks: the issuer built from `BASE_URL` and
//! `REALM` (from TOML and from the environment, end to end, with and without the legacy `/auth`
//! path), both required, and `OIDC_ENDPOINT` in their place.
//!
//! A local server plays Keycloak at its loopback address, which the OpenID Connect base
//! accepts over plain http.

use std::sync::Arc;

use social_core::{
    MemoryStorage, MemoryStrategy, Outcome, Settings, SocialAuth,
    clock::{Clock, SystemClock},
    serde_json::{self, Value, json},
};
use social_oauth2::oidc::Algorithm;
use social_testkit::{
    logged_in,
    oidc::{TestKey, claims, jwks},
    provider::{CLIENT_ID, CLIENT_SECRET},
    query_param as param, settings_from,
    wiremock::{Mock, MockServer, ResponseTemplate, matchers},
};

/// Settings from TOML text.
fn from_toml_text(toml: &str) -> Settings {
    settings_from(toml, &[])
}

/// Settings from `SOCIAL_AUTH_*` variables.
fn from_env(vars: &[(&str, &str)]) -> Settings {
    settings_from("", vars)
}

const DISCOVERY: &str = social_testkit::fixture!("openid-configuration.json");
const TOKEN: &str = social_testkit::fixture!("token.json");
const USERINFO: &str = social_testkit::fixture!("userinfo.json");

const SUB: &str = "4f6e2a1c-9b7d-4e3f-8a25-c61d0b9e7f42";

/// `SOCIAL_AUTH_KEYCLOAK_*` variables: the client's, and `more`.
fn env(more: &[(&str, &str)]) -> Settings {
    let mut vars = vec![
        ("SOCIAL_AUTH_KEYCLOAK_KEY", CLIENT_ID),
        ("SOCIAL_AUTH_KEYCLOAK_SECRET", CLIENT_SECRET),
    ];
    vars.extend_from_slice(more);
    from_env(&vars)
}

/// Social login with the Keycloak backend alone.
fn build(settings: Settings) -> social_core::Result<(SocialAuth, Arc<MemoryStorage>)> {
    social_testkit::social_auth(social_keycloak::backend(), settings, None)
}

fn json_answer(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

/// A Keycloak server with realm `corp`, served under `path` (`""`, or `/auth` for the legacy
/// layout) of a local server.
struct FakeKeycloak {
    server: MockServer,
    key: TestKey,
    /// The realm's path on the server: `<path>/realms/corp`.
    realm: String,
}

impl FakeKeycloak {
    async fn start(path: &str) -> Self {
        let server = MockServer::start().await;
        let base = format!("{}{path}", server.uri());
        let realm = format!("{path}/realms/corp");
        let discovery = DISCOVERY
            .replace("{server}", &base)
            .replace("{issuer}", &format!("{base}/realms/corp"));
        let key = TestKey::rsa(0, Algorithm::RS256);
        Mock::given(matchers::method("GET"))
            .and(matchers::path(format!(
                "{realm}/.well-known/openid-configuration"
            )))
            .respond_with(json_answer(discovery))
            .mount(&server)
            .await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path(format!(
                "{realm}/protocol/openid-connect/certs"
            )))
            .respond_with(json_answer(jwks(&[&key]).to_string()))
            .mount(&server)
            .await;
        Self { server, key, realm }
    }

    /// The issuer of the realm.
    fn issuer(&self) -> String {
        format!("{}{}", self.server.uri(), self.realm)
    }

    /// A whole login with an ID token of the realm: the authorize URL and the outcome.
    async fn login(&self, auth: &SocialAuth) -> (String, social_core::Result<Outcome>) {
        let session = MemoryStrategy::new("http://testserver");
        let flow = auth.begin(&session, social_keycloak::NAME).await;
        let flow = flow.unwrap_or_else(|e| panic!("begin failed: {e}"));
        let url = flow
            .redirect_url()
            .unwrap_or_else(|| panic!("not a redirect: {flow:?}"))
            .to_owned();
        let nonce = param(&url, "nonce");
        let mut id_token = claims(&self.issuer(), SUB, nonce.as_deref(), SystemClock.now());
        id_token["typ"] = json!("ID");
        id_token["azp"] = json!(CLIENT_ID);
        id_token["preferred_username"] = json!("ada");
        id_token["email"] = json!("ada.lovelace@example.com");
        id_token["email_verified"] = json!(true);
        let mut token: Value = serde_json::from_str(TOKEN).unwrap_or_default();
        token["id_token"] = json!(self.key.sign(&id_token));
        Mock::given(matchers::method("POST"))
            .and(matchers::path(format!(
                "{}/protocol/openid-connect/token",
                self.realm
            )))
            .respond_with(json_answer(token.to_string()))
            .up_to_n_times(1)
            .mount(&self.server)
            .await;
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap_or("-"));
        Mock::given(matchers::method("GET"))
            .and(matchers::path(format!(
                "{}/protocol/openid-connect/userinfo",
                self.realm
            )))
            .and(matchers::header("authorization", bearer.as_str()))
            .respond_with(json_answer(USERINFO.to_owned()))
            .mount(&self.server)
            .await;
        let state = param(&url, "state").unwrap_or_default();
        // Keycloak names itself in its answers (RFC 9207, advertised in its discovery).
        let callback = session
            .next_request()
            .with_param("code", "test-code")
            .with_param("state", &state)
            .with_param("iss", &self.issuer());
        let outcome = auth.complete(&callback, social_keycloak::NAME, None).await;
        (url, outcome)
    }
}

#[test]
fn base_url_and_realm_are_required_and_their_errors_name_the_variables() {
    let toml = |more: &str| {
        from_toml_text(&format!(
            "[backends.keycloak]\nkey = \"k\"\nsecret = \"s\"\n{more}"
        ))
    };
    for (settings, missing) in [
        (env(&[]), "SOCIAL_AUTH_KEYCLOAK_BASE_URL"),
        (
            env(&[("SOCIAL_AUTH_KEYCLOAK_REALM", "corp")]),
            "SOCIAL_AUTH_KEYCLOAK_BASE_URL",
        ),
        (
            env(&[("SOCIAL_AUTH_KEYCLOAK_BASE_URL", "https://sso.example.com")]),
            "SOCIAL_AUTH_KEYCLOAK_REALM",
        ),
        (
            toml("base_url = \"https://sso.example.com\""),
            "SOCIAL_AUTH_KEYCLOAK_REALM",
        ),
        (toml("realm = \"corp\""), "SOCIAL_AUTH_KEYCLOAK_BASE_URL"),
    ] {
        let err = build(settings).expect_err("incomplete settings");
        assert!(err.details().starts_with(missing), "{missing}: {err}");
    }
}

#[test]
fn the_issuer_is_built_from_base_url_and_realm_in_toml_and_in_the_environment() {
    social_testkit::run(async {
        for (layout, toml) in [("", true), ("", false), ("/auth", true), ("/auth", false)] {
            let keycloak = FakeKeycloak::start(layout).await;
            // A trailing slash on the base URL is no part of the issuer.
            let base = format!("{}{layout}/", keycloak.server.uri());
            let settings = if toml {
                from_toml_text(&format!(
                    "[backends.keycloak]\nkey = \"{CLIENT_ID}\"\nsecret = \"{CLIENT_SECRET}\"\n\
                     base_url = \"{base}\"\nrealm = \"corp\""
                ))
            } else {
                env(&[
                    ("SOCIAL_AUTH_KEYCLOAK_BASE_URL", &base),
                    ("SOCIAL_AUTH_KEYCLOAK_REALM", "corp"),
                ])
            };
            let (auth, _) = build(settings).unwrap_or_else(|e| panic!("{e}"));
            let (url, outcome) = keycloak.login(&auth).await;
            let expected = format!("{}/protocol/openid-connect/auth?", keycloak.issuer());
            assert!(url.starts_with(&expected), "{layout:?}, toml {toml}: {url}");
            let login = logged_in(outcome);
            assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(SUB));
            assert_eq!(login.user.username, "ada", "preferred_username");
            let requests = keycloak.server.received_requests().await;
            let first = requests
                .unwrap_or_default()
                .first()
                .map(|r| r.url.path().to_owned());
            assert_eq!(
                first,
                Some(format!(
                    "{layout}/realms/corp/.well-known/openid-configuration"
                )),
                "discovery starts at the realm"
            );
        }
    });
}

#[test]
fn oidc_endpoint_takes_the_place_of_base_url_and_realm() {
    social_testkit::run(async {
        let keycloak = FakeKeycloak::start("").await;
        let issuer = keycloak.issuer();
        // With the whole issuer given, the template's settings are read by nobody.
        let base = keycloak.server.uri();
        for (unread, value) in [
            ("SOCIAL_AUTH_KEYCLOAK_REALM", "corp"),
            ("SOCIAL_AUTH_KEYCLOAK_BASE_URL", base.as_str()),
        ] {
            let both = env(&[
                ("SOCIAL_AUTH_KEYCLOAK_OIDC_ENDPOINT", &issuer),
                (unread, value),
            ]);
            let err = build(both).expect_err("a setting nobody reads");
            assert!(err.details().starts_with(unread), "{err}");
        }
        let settings = env(&[("SOCIAL_AUTH_KEYCLOAK_OIDC_ENDPOINT", &issuer)]);
        let (auth, _) = build(settings).unwrap_or_else(|e| panic!("{e}"));
        let login = logged_in(keycloak.login(&auth).await.1);
        assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(SUB));
    });
}
