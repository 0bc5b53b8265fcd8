//! Auth0's own behaviour beyond the conformance checks: the `https://<domain>/` issuer built
//! from `DOMAIN` (from TOML and from the environment, end to end, trailing slash included),
//! `DOMAIN` required, and revocation of the refresh token.
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

const SUB: &str = "auth0|6650f3c2a9e4b17d08c5e231";
const DOMAIN: &str = "dev-k3x8q2.us.auth0.com";
/// The tenant's issuer, as Auth0 spells it.
const ISSUER: &str = "https://dev-k3x8q2.us.auth0.com/";
/// The tenant's endpoints, under its domain.
const ORIGIN: &str = "https://dev-k3x8q2.us.auth0.com";

use social_testkit::{forward_https_to as forward_to, local_path as local};

fn tenant() -> Settings {
    from_env(&[
        ("SOCIAL_AUTH_AUTH0_KEY", CLIENT_ID),
        ("SOCIAL_AUTH_AUTH0_SECRET", CLIENT_SECRET),
        ("SOCIAL_AUTH_AUTH0_DOMAIN", DOMAIN),
    ])
}

/// Social login with the backend alone, over `http` when given.
fn build(
    settings: Settings,
    http: Option<Arc<dyn HttpClient>>,
) -> social_core::Result<(SocialAuth, Arc<MemoryStorage>)> {
    social_testkit::social_auth(social_auth0::backend(), settings, http)
}

fn json_answer(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

/// An Auth0 tenant played by a local server: its discovery document and keys.
struct FakeAuth0 {
    server: MockServer,
    key: TestKey,
}

impl FakeAuth0 {
    async fn start() -> Self {
        let server = MockServer::start().await;
        let discovery = DISCOVERY
            .replace("{server}", ORIGIN)
            .replace("{issuer}", ISSUER);
        let key = TestKey::rsa(0, Algorithm::RS256);
        Mock::given(matchers::method("GET"))
            .and(matchers::path(local(&format!(
                "{ORIGIN}/.well-known/openid-configuration"
            ))))
            .respond_with(json_answer(discovery))
            .mount(&server)
            .await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path(local(&format!(
                "{ORIGIN}/.well-known/jwks.json"
            ))))
            .respond_with(json_answer(jwks(&[&key]).to_string()))
            .mount(&server)
            .await;
        Self { server, key }
    }

    fn auth(&self, settings: Settings) -> (SocialAuth, Arc<MemoryStorage>) {
        build(settings, Some(forward_to(&self.server))).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A whole login: the token endpoint answers `token` with an ID token issued as `iss`.
    /// Gives the authorize URL and the outcome.
    async fn login(
        &self,
        auth: &SocialAuth,
        iss: &str,
        mut token: Value,
    ) -> (String, social_core::Result<Outcome>) {
        let session = MemoryStrategy::new("http://testserver");
        let flow = auth.begin(&session, social_auth0::NAME).await;
        let flow = flow.unwrap_or_else(|e| panic!("begin failed: {e}"));
        let url = flow
            .redirect_url()
            .unwrap_or_else(|| panic!("not a redirect: {flow:?}"))
            .to_owned();
        let nonce = param(&url, "nonce");
        let mut id_token = claims(iss, SUB, nonce.as_deref(), SystemClock.now());
        id_token["nickname"] = json!("ada.lovelace");
        id_token["name"] = json!("Ada Lovelace");
        id_token["email"] = json!("ada.lovelace@example.com");
        id_token["email_verified"] = json!(true);
        token["id_token"] = json!(self.key.sign(&id_token));
        Mock::given(matchers::method("POST"))
            .and(matchers::path(local(&format!("{ORIGIN}/oauth/token"))))
            .respond_with(json_answer(token.to_string()))
            .up_to_n_times(1)
            .mount(&self.server)
            .await;
        let bearer = format!("Bearer {}", token["access_token"].as_str().unwrap_or("-"));
        Mock::given(matchers::method("GET"))
            .and(matchers::path(local(&format!("{ORIGIN}/userinfo"))))
            .and(matchers::header("authorization", bearer.as_str()))
            .respond_with(json_answer(USERINFO.to_owned()))
            .mount(&self.server)
            .await;
        let state = param(&url, "state").unwrap_or_default();
        let callback = session
            .next_request()
            .with_param("code", "test-code")
            .with_param("state", &state);
        (
            url,
            auth.complete(&callback, social_auth0::NAME, None).await,
        )
    }

    /// The bodies posted to `url`, as text.
    async fn posted(&self, url: &str) -> Vec<String> {
        let path = local(url);
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests
            .iter()
            .filter(|r| r.method.as_str() == "POST" && r.url.path() == path)
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect()
    }
}

fn token() -> Value {
    serde_json::from_str(TOKEN).unwrap_or_default()
}

#[test]
fn the_domain_is_required_and_its_error_names_the_variable() {
    let key_and_secret = [
        ("SOCIAL_AUTH_AUTH0_KEY", CLIENT_ID),
        ("SOCIAL_AUTH_AUTH0_SECRET", CLIENT_SECRET),
    ];
    for settings in [
        from_toml_text("[backends.auth0]\nkey = \"k\"\nsecret = \"s\""),
        from_env(&key_and_secret),
        from_env(&[
            key_and_secret[0],
            key_and_secret[1],
            ("SOCIAL_AUTH_AUTH0_DOMAIN", ""),
        ]),
    ] {
        let err = build(settings, None).expect_err("no domain, no start-up");
        assert!(
            err.details().starts_with("SOCIAL_AUTH_AUTH0_DOMAIN"),
            "{err}"
        );
    }
}

#[test]
fn the_issuer_is_built_from_the_domain_in_toml_and_in_the_environment() {
    social_testkit::run(async {
        let toml = format!(
            "[backends.auth0]\nkey = \"{CLIENT_ID}\"\nsecret = \"{CLIENT_SECRET}\"\ndomain = \"{DOMAIN}\""
        );
        for settings in [from_toml_text(&toml), tenant()] {
            let auth0 = FakeAuth0::start().await;
            let (auth, _) = auth0.auth(settings);
            // Auth0's `iss` ends in a slash, as its discovery document's issuer does.
            let (url, outcome) = auth0.login(&auth, ISSUER, token()).await;
            assert!(
                url.starts_with("https://dev-k3x8q2.us.auth0.com/authorize?"),
                "{url}"
            );
            let login = logged_in(outcome);
            assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(SUB));
            assert_eq!(login.user.username, "ada.lovelace", "the nickname");
            let requests = auth0.server.received_requests().await.unwrap_or_default();
            assert_eq!(
                requests.first().map(|r| r.url.path()),
                Some("/dev-k3x8q2.us.auth0.com/.well-known/openid-configuration"),
                "discovery starts at https://<domain>/, without a doubled slash"
            );
        }
    });
}

#[test]
fn an_iss_without_the_trailing_slash_is_refused() {
    social_testkit::run(async {
        let auth0 = FakeAuth0::start().await;
        let (auth, storage) = auth0.auth(tenant());
        let (_, outcome) = auth0.login(&auth, ORIGIN, token()).await;
        match outcome {
            Err(e) => assert_eq!(e.kind(), ErrorKind::Failed, "{e}"),
            Ok(other) => panic!("`{ORIGIN}` accepted for `{ISSUER}`: {other:?}"),
        }
        assert_eq!(storage.counts(), (0, 0), "nothing written");
    });
}

#[test]
fn revoking_posts_the_refresh_token_and_needs_one() {
    social_testkit::run(async {
        let revoke = format!("{ORIGIN}/oauth/revoke");
        let auth0 = FakeAuth0::start().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path(local(&revoke)))
            .respond_with(ResponseTemplate::new(200))
            .mount(&auth0.server)
            .await;
        let (auth, _) = auth0.auth(tenant());
        let login = logged_in(auth0.login(&auth, ISSUER, token()).await.1);
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        auth.revoke_token(&account)
            .await
            .unwrap_or_else(|e| panic!("revoke failed: {e}"));
        let posted = auth0.posted(&revoke).await;
        let mut form: Vec<&str> = posted.first().map_or(vec![], |b| b.split('&').collect());
        form.sort_unstable();
        assert_eq!(
            form,
            [
                "client_id=test-client-id",
                "client_secret=test-client-secret",
                "token=v1.MpX7c2Rk9fQ4wT8zL1nB6dYhG3sV5jE0aUoKiN-made-up",
            ],
            "the refresh token, with the client's credentials in the body"
        );

        // Without `offline_access` there is no refresh token: nothing Auth0 could revoke.
        let mut without = token();
        without.as_object_mut().map(|t| t.remove("refresh_token"));
        let auth0 = FakeAuth0::start().await;
        let (auth, _) = auth0.auth(tenant());
        let login = logged_in(auth0.login(&auth, ISSUER, without).await.1);
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        match auth.revoke_token(&account).await {
            Err(e) => assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}"),
            Ok(()) => panic!("an access token alone was \"revoked\""),
        }
        assert!(auth0.posted(&revoke).await.is_empty(), "no request sent");
    });
}
