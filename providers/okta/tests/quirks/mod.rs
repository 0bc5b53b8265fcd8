//! Okta's own behaviour beyond the conformance checks: the issuer built from `DOMAIN` (from
//! TOML and from the environment, end to end), `DOMAIN` required, a custom authorization server
//! chosen with `OIDC_ENDPOINT`, and the thin ID tokens userinfo completes.
//!
//! These run the backend on its issuer template with an HTTP client that hands each
//! `https://<host>/<path>` request to a local server as `/<host>/<path>`.

use std::sync::Arc;

use social_core::{
    ErrorKind, MemoryStorage, MemoryStrategy, Outcome, Settings, SocialAuth,
    clock::{Clock, SystemClock},
    http::HttpClient,
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

const SUB: &str = "00u8f2kq3xVbR7mT95d7";
const DOMAIN: &str = "dev-4821937.okta.com";
/// The org authorization server of `DOMAIN`.
const ORG_ISSUER: &str = "https://dev-4821937.okta.com";
/// The custom authorization server `default` of `DOMAIN`.
const CUSTOM_ISSUER: &str = "https://dev-4821937.okta.com/oauth2/default";

use social_testkit::{forward_https_to as forward_to, local_path as local};

/// Social login with the backend alone, over `http` when given.
fn build(
    settings: Settings,
    http: Option<Arc<dyn HttpClient>>,
) -> social_core::Result<(SocialAuth, Arc<MemoryStorage>)> {
    social_testkit::social_auth(social_okta::backend(), settings, http)
}

async fn mount(server: &MockServer, method: &str, url: &str, body: String, times: Option<u64>) {
    let mut mock = Mock::given(matchers::method(method))
        .and(matchers::path(local(url)))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"));
    if let Some(times) = times {
        mock = mock.up_to_n_times(times);
    }
    mock.mount(server).await;
}

/// One Okta authorization server played by a local server: its discovery document and keys.
struct FakeOkta {
    server: MockServer,
    key: TestKey,
    /// Where the server's endpoints live: `<issuer>/oauth2/v1` for the org server,
    /// `<issuer>/v1` for a custom one.
    endpoints: String,
}

impl FakeOkta {
    async fn start(issuer: &str) -> Self {
        let server = MockServer::start().await;
        let endpoints = if issuer == ORG_ISSUER {
            format!("{issuer}/oauth2/v1")
        } else {
            format!("{issuer}/v1")
        };
        let discovery = DISCOVERY
            .replace("{server}/oauth2/v1", &endpoints)
            .replace("{issuer}", issuer);
        let key = TestKey::rsa(0, Algorithm::RS256);
        let well_known = format!("{issuer}/.well-known/openid-configuration");
        mount(&server, "GET", &well_known, discovery, None).await;
        let keys = jwks(&[&key]).to_string();
        mount(&server, "GET", &format!("{endpoints}/keys"), keys, None).await;
        Self {
            server,
            key,
            endpoints,
        }
    }

    fn auth(&self, settings: Settings) -> (SocialAuth, Arc<MemoryStorage>) {
        build(settings, Some(forward_to(&self.server))).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A whole login whose ID token Okta issues as `iss`: the authorize URL and the outcome.
    async fn login(&self, auth: &SocialAuth, iss: &str) -> (String, social_core::Result<Outcome>) {
        let session = MemoryStrategy::new("http://testserver");
        let flow = auth.begin(&session, social_okta::NAME).await;
        let flow = flow.unwrap_or_else(|e| panic!("begin failed: {e}"));
        let url = flow
            .redirect_url()
            .unwrap_or_else(|| panic!("not a redirect: {flow:?}"))
            .to_owned();
        // Okta's ID token next to an access token: the base claims only.
        let nonce = param(&url, "nonce");
        let mut id_token = claims(iss, SUB, nonce.as_deref(), SystemClock.now());
        id_token["ver"] = json!(1);
        id_token["name"] = json!("Ada Lovelace");
        id_token["email"] = json!("ada.lovelace@example.com");
        id_token["preferred_username"] = json!("ada.lovelace@example.com");
        let mut token: Value = serde_json::from_str(TOKEN).unwrap_or_default();
        token["id_token"] = json!(self.key.sign(&id_token));
        let token_url = format!("{}/token", self.endpoints);
        mount(&self.server, "POST", &token_url, token.to_string(), Some(1)).await;
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap_or("-"));
        Mock::given(matchers::method("GET"))
            .and(matchers::path(local(&format!(
                "{}/userinfo",
                self.endpoints
            ))))
            .and(matchers::header("authorization", bearer.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_raw(USERINFO, "application/json"))
            .mount(&self.server)
            .await;
        let state = param(&url, "state").unwrap_or_default();
        let callback = session
            .next_request()
            .with_param("code", "test-code")
            .with_param("state", &state);
        (url, auth.complete(&callback, social_okta::NAME, None).await)
    }

    /// The paths the local server was asked for.
    async fn paths(&self) -> Vec<String> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests.iter().map(|r| r.url.path().to_owned()).collect()
    }
}

#[test]
fn the_domain_is_required_and_its_error_names_the_variable() {
    for settings in [
        from_toml_text("[backends.okta]\nkey = \"k\"\nsecret = \"s\""),
        from_env(&[
            ("SOCIAL_AUTH_OKTA_KEY", CLIENT_ID),
            ("SOCIAL_AUTH_OKTA_SECRET", CLIENT_SECRET),
        ]),
        from_env(&[
            ("SOCIAL_AUTH_OKTA_KEY", CLIENT_ID),
            ("SOCIAL_AUTH_OKTA_SECRET", CLIENT_SECRET),
            ("SOCIAL_AUTH_OKTA_DOMAIN", " "),
        ]),
    ] {
        let err = build(settings, None).expect_err("no domain, no start-up");
        assert!(
            err.details().starts_with("SOCIAL_AUTH_OKTA_DOMAIN"),
            "{err}"
        );
    }
}

#[test]
fn the_org_issuer_is_built_from_the_domain_in_toml_and_in_the_environment() {
    social_testkit::run(async {
        let toml = format!(
            "[backends.okta]\nkey = \"{CLIENT_ID}\"\nsecret = \"{CLIENT_SECRET}\"\ndomain = \"{DOMAIN}\""
        );
        for settings in [
            from_toml_text(&toml),
            from_env(&[
                ("SOCIAL_AUTH_OKTA_KEY", CLIENT_ID),
                ("SOCIAL_AUTH_OKTA_SECRET", CLIENT_SECRET),
                ("SOCIAL_AUTH_OKTA_DOMAIN", DOMAIN),
            ]),
        ] {
            let okta = FakeOkta::start(ORG_ISSUER).await;
            let (auth, _) = okta.auth(settings);
            let (url, outcome) = okta.login(&auth, ORG_ISSUER).await;
            assert!(
                url.starts_with("https://dev-4821937.okta.com/oauth2/v1/authorize?"),
                "{url}"
            );
            let login = logged_in(outcome);
            assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(SUB));
            assert_eq!(
                okta.paths().await.first().map(String::as_str),
                Some("/dev-4821937.okta.com/.well-known/openid-configuration"),
                "discovery starts at https://<domain>"
            );
        }
    });
}

#[test]
fn userinfo_completes_the_thin_id_token() {
    social_testkit::run(async {
        let okta = FakeOkta::start(ORG_ISSUER).await;
        let (auth, _) = okta.auth(from_env(&[
            ("SOCIAL_AUTH_OKTA_KEY", CLIENT_ID),
            ("SOCIAL_AUTH_OKTA_SECRET", CLIENT_SECRET),
            ("SOCIAL_AUTH_OKTA_DOMAIN", DOMAIN),
        ]));
        let login = logged_in(okta.login(&auth, ORG_ISSUER).await.1);
        // Only userinfo carries these: the ID token has `name`, `email` and
        // `preferred_username`.
        assert!(login.user.email_verified, "email_verified from userinfo");
        assert_eq!(login.user.first_name.as_deref(), Some("Ada"));
        assert_eq!(login.user.last_name.as_deref(), Some("Lovelace"));
        assert_eq!(
            login.user.email.as_deref(),
            Some("ada.lovelace@example.com")
        );
    });
}

#[test]
fn oidc_endpoint_chooses_a_custom_authorization_server_and_keeps_its_tokens_apart() {
    social_testkit::run(async {
        let vars = [
            ("SOCIAL_AUTH_OKTA_KEY", CLIENT_ID),
            ("SOCIAL_AUTH_OKTA_SECRET", CLIENT_SECRET),
            ("SOCIAL_AUTH_OKTA_OIDC_ENDPOINT", CUSTOM_ISSUER),
            ("SOCIAL_AUTH_OKTA_DOMAIN", DOMAIN),
        ];
        // The issuer takes the place of `DOMAIN`, which is then no setting at all.
        let err = build(from_env(&vars), None).expect_err("DOMAIN is unused");
        assert!(
            err.details().starts_with("SOCIAL_AUTH_OKTA_DOMAIN"),
            "{err}"
        );

        let okta = FakeOkta::start(CUSTOM_ISSUER).await;
        let (auth, storage) = okta.auth(from_env(&vars[..3]));
        let (url, outcome) = okta.login(&auth, CUSTOM_ISSUER).await;
        assert!(
            url.starts_with("https://dev-4821937.okta.com/oauth2/default/v1/authorize?"),
            "{url}"
        );
        logged_in(outcome);
        assert_eq!(storage.counts(), (1, 1));
        // An ID token of the org authorization server is no token of this one.
        let (_, outcome) = okta.login(&auth, ORG_ISSUER).await;
        match outcome {
            Err(e) => assert_eq!(e.kind(), ErrorKind::Failed, "{e}"),
            Ok(other) => panic!("a token of another issuer was accepted: {other:?}"),
        }
        assert_eq!(storage.counts(), (1, 1), "nothing more written");
    });
}
