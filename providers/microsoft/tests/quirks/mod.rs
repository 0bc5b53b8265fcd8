//! Microsoft's own behaviour: the issuer built from `TENANT` and `AUTHORITY_HOST` (from TOML
//! and from the environment), `common` tokens held to the tenant their `tid` names,
//! `organizations` refusing personal accounts, `consumers` as its tenant id, tenants given
//! by id only, and `private_key_jwt` instead of a secret.
//!
//! These run the backend on its real https issuer with an HTTP client that hands each
//! `https://<host>/<path>` request to a local server as `/<host>/<path>`.

use std::sync::Arc;

use social_core::{
    ErrorKind, MemoryStorage, MemoryStrategy, Outcome, Settings, SocialAuth,
    clock::{Clock, SystemClock},
    serde_json::{self, Value, json},
};
use social_oauth2::oidc::Algorithm;
use social_testkit::{
    forward_https_to, local_path, logged_in,
    oidc::{TestKey, claims, jwks},
    provider::{CLIENT_ID, CLIENT_SECRET},
    query_param as param, settings_from,
    wiremock::{Mock, MockServer, ResponseTemplate, matchers},
};

use super::{SUB, TENANT_ID};

const DISCOVERY: &str = social_testkit::fixture!("openid-configuration.json");
const TOKEN: &str = social_testkit::fixture!("token.json");
const USERINFO: &str = social_testkit::fixture!("userinfo.json");

/// Personal accounts' tenant.
const CONSUMERS: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

fn env(extra: &[(&str, &str)]) -> Settings {
    let mut vars = vec![
        ("SOCIAL_AUTH_MICROSOFT_KEY", CLIENT_ID),
        ("SOCIAL_AUTH_MICROSOFT_SECRET", CLIENT_SECRET),
    ];
    vars.extend_from_slice(extra);
    settings_from("", &vars)
}

fn toml(extra: &str) -> Settings {
    settings_from(
        &format!(
            "[backends.microsoft]\nkey = \"{CLIENT_ID}\"\nsecret = \"{CLIENT_SECRET}\"\n{extra}"
        ),
        &[],
    )
}

/// One Microsoft authority played by a local server: `https://<host>/<path>/v2.0`'s discovery
/// document, naming `issuer` (a `{tenantid}` template for `common` and `organizations`).
struct FakeAuthority {
    server: MockServer,
    key: TestKey,
    /// `https://<host>/<tenant>`: where the endpoints live.
    base: String,
}

impl FakeAuthority {
    async fn start(base: &str, issuer: &str) -> Self {
        let server = MockServer::start().await;
        let discovery = DISCOVERY
            .replace("{server}", base)
            .replace("{issuer}", issuer);
        let key = TestKey::rsa(0, Algorithm::RS256);
        let well_known = format!("{base}/v2.0/.well-known/openid-configuration");
        Mock::given(matchers::path(local_path(&well_known)))
            .respond_with(ResponseTemplate::new(200).set_body_raw(discovery, "application/json"))
            .mount(&server)
            .await;
        Mock::given(matchers::path(local_path(&format!(
            "{base}/discovery/v2.0/keys"
        ))))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(jwks(&[&key]).to_string(), "application/json"),
        )
        .mount(&server)
        .await;
        // Microsoft serves userinfo from Graph; here it lives beside the other endpoints.
        Mock::given(matchers::path(local_path(&format!("{base}/oidc/userinfo"))))
            .respond_with(ResponseTemplate::new(200).set_body_raw(USERINFO, "application/json"))
            .mount(&server)
            .await;
        Self {
            server,
            key,
            base: base.to_owned(),
        }
    }

    fn auth(&self, settings: Settings) -> SocialAuth {
        let (auth, _storage): (SocialAuth, Arc<MemoryStorage>) = social_testkit::social_auth(
            social_microsoft::backend(),
            settings,
            Some(forward_https_to(&self.server)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        auth
    }

    /// A login whose ID token says `iss` and `tid`: the authorize URL and the outcome.
    async fn login(
        &self,
        auth: &SocialAuth,
        iss: &str,
        tid: &str,
    ) -> (String, social_core::Result<Outcome>) {
        let session = MemoryStrategy::new("http://testserver");
        let flow = auth.begin(&session, social_microsoft::NAME).await;
        let flow = flow.unwrap_or_else(|e| panic!("begin failed: {e}"));
        let url = flow.redirect_url().unwrap_or_default().to_owned();
        let nonce = param(&url, "nonce");
        let mut id_token = claims(iss, SUB, nonce.as_deref(), SystemClock.now());
        id_token["tid"] = json!(tid);
        id_token["ver"] = json!("2.0");
        id_token["name"] = json!("Megan Bowen");
        id_token["preferred_username"] = json!("megan.bowen@contoso.example");
        let mut token: Value = serde_json::from_str(TOKEN).unwrap_or_default();
        token["id_token"] = json!(self.key.sign(&id_token));
        Mock::given(matchers::method("POST"))
            .and(matchers::path(local_path(&format!(
                "{}/oauth2/v2.0/token",
                self.base
            ))))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(token.to_string(), "application/json"),
            )
            .up_to_n_times(1)
            .mount(&self.server)
            .await;
        let state = param(&url, "state").unwrap_or_default();
        let callback = session
            .next_request()
            .with_param("code", "test-code")
            .with_param("state", &state);
        (
            url,
            auth.complete(&callback, social_microsoft::NAME, None).await,
        )
    }

    /// The form of the token request the server received.
    async fn token_form(&self) -> Vec<(String, String)> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests
            .iter()
            .find(|r| r.url.path().ends_with("/oauth2/v2.0/token"))
            .map(|r| url_form(&r.body))
            .unwrap_or_default()
    }
}

fn url_form(body: &[u8]) -> Vec<(String, String)> {
    social_testkit::url::form_urlencoded::parse(body)
        .into_owned()
        .collect()
}

const COMMON: &str = "https://login.microsoftonline.com/common";
const ORGANIZATIONS: &str = "https://login.microsoftonline.com/organizations";
const TEMPLATE_ISSUER: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";

fn tenant_issuer(tid: &str) -> String {
    format!("https://login.microsoftonline.com/{tid}/v2.0")
}

#[test]
fn common_accepts_any_tenant_but_holds_each_token_to_its_tid() {
    social_testkit::run(async {
        for settings in [env(&[]), toml("")] {
            let ms = FakeAuthority::start(COMMON, TEMPLATE_ISSUER).await;
            let auth = ms.auth(settings);
            let (url, outcome) = ms.login(&auth, &tenant_issuer(TENANT_ID), TENANT_ID).await;
            assert!(
                url.starts_with("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?"),
                "{url}"
            );
            let login = logged_in(outcome);
            assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(SUB));
            // A personal account is another tenant, and welcome under `common`.
            let (_, outcome) = ms.login(&auth, &tenant_issuer(CONSUMERS), CONSUMERS).await;
            logged_in(outcome);
            // A token whose `iss` names another tenant than its `tid` is forged or mixed up.
            let (_, outcome) = ms.login(&auth, &tenant_issuer(CONSUMERS), TENANT_ID).await;
            let err = outcome.expect_err("iss and tid disagree");
            assert!(err.to_string().contains("iss"), "{err}");
        }
    });
}

#[test]
fn organizations_refuses_personal_accounts() {
    social_testkit::run(async {
        let ms = FakeAuthority::start(ORGANIZATIONS, TEMPLATE_ISSUER).await;
        let auth = ms.auth(env(&[("SOCIAL_AUTH_MICROSOFT_TENANT", "organizations")]));
        let (_, outcome) = ms.login(&auth, &tenant_issuer(TENANT_ID), TENANT_ID).await;
        logged_in(outcome);
        let (_, outcome) = ms.login(&auth, &tenant_issuer(CONSUMERS), CONSUMERS).await;
        let err = outcome.expect_err("a personal account");
        assert_eq!(err.kind(), ErrorKind::Forbidden, "{err}");
    });
}

#[test]
fn consumers_and_a_tenant_id_are_fixed_issuers() {
    social_testkit::run(async {
        for (tenant, path) in [("consumers", CONSUMERS), (TENANT_ID, TENANT_ID)] {
            let base = format!("https://login.microsoftonline.com/{path}");
            let issuer = tenant_issuer(path);
            let ms = FakeAuthority::start(&base, &issuer).await;
            let auth = ms.auth(toml(&format!("tenant = \"{tenant}\"")));
            let (url, outcome) = ms.login(&auth, &issuer, path).await;
            assert!(
                url.starts_with(&format!("{base}/oauth2/v2.0/authorize?")),
                "{url}"
            );
            logged_in(outcome);
            // Another tenant's token is refused by its issuer.
            let other = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
            let (_, outcome) = ms.login(&auth, &tenant_issuer(other), other).await;
            outcome.expect_err("another tenant");
        }
    });
}

#[test]
fn the_authority_host_moves_every_endpoint() {
    social_testkit::run(async {
        let base = "https://login.microsoftonline.us/common";
        let ms =
            FakeAuthority::start(base, "https://login.microsoftonline.us/{tenantid}/v2.0").await;
        let auth = ms.auth(env(&[(
            "SOCIAL_AUTH_MICROSOFT_AUTHORITY_HOST",
            "login.microsoftonline.us",
        )]));
        let issuer = format!("https://login.microsoftonline.us/{TENANT_ID}/v2.0");
        let (url, outcome) = ms.login(&auth, &issuer, TENANT_ID).await;
        assert!(
            url.starts_with(&format!("{base}/oauth2/v2.0/authorize?")),
            "{url}"
        );
        logged_in(outcome);
    });
}

#[test]
fn bad_tenants_and_hosts_stop_start_up_naming_the_setting() {
    for (settings, setting) in [
        (
            env(&[("SOCIAL_AUTH_MICROSOFT_TENANT", "contoso.onmicrosoft.com")]),
            "SOCIAL_AUTH_MICROSOFT_TENANT",
        ),
        (toml("tenant = \"contoso\""), "backends.microsoft.tenant"),
        (
            env(&[(
                "SOCIAL_AUTH_MICROSOFT_AUTHORITY_HOST",
                "https://login.microsoftonline.us/",
            )]),
            "SOCIAL_AUTH_MICROSOFT_AUTHORITY_HOST",
        ),
        (
            env(&[
                ("SOCIAL_AUTH_MICROSOFT_TENANT", TENANT_ID),
                (
                    "SOCIAL_AUTH_MICROSOFT_OIDC_ENDPOINT",
                    "https://login.microsoftonline.com/common/v2.0",
                ),
            ]),
            "SOCIAL_AUTH_MICROSOFT_TENANT",
        ),
    ] {
        let err = social_testkit::social_auth(social_microsoft::backend(), settings, None)
            .expect_err("refused");
        assert!(err.details().starts_with(setting), "{setting}: {err}");
    }
}

#[test]
fn private_key_jwt_replaces_the_secret() {
    social_testkit::run(async {
        let client_key = TestKey::rsa(1, Algorithm::RS256);
        let ms = FakeAuthority::start(COMMON, TEMPLATE_ISSUER).await;
        let settings = settings_from(
            "",
            &[
                ("SOCIAL_AUTH_MICROSOFT_KEY", CLIENT_ID),
                (
                    "SOCIAL_AUTH_MICROSOFT_TOKEN_ENDPOINT_AUTH_METHOD",
                    "private_key_jwt",
                ),
                (
                    "SOCIAL_AUTH_MICROSOFT_PRIVATE_KEY",
                    client_key.private_pem(),
                ),
                ("SOCIAL_AUTH_MICROSOFT_PRIVATE_KEY_ID", "cert-thumbprint-1"),
            ],
        );
        let auth = ms.auth(settings);
        let (_, outcome) = ms.login(&auth, &tenant_issuer(TENANT_ID), TENANT_ID).await;
        logged_in(outcome);
        let form = ms.token_form().await;
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(field("client_secret"), None);
        assert_eq!(
            field("client_assertion_type"),
            Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        );
        let assertion = field("client_assertion").unwrap_or_default();
        let jwk = serde_json::from_value(client_key.jwk()).unwrap_or_else(|e| panic!("{e}"));
        let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap_or_else(|e| panic!("{e}"));
        let mut validation = jsonwebtoken::Validation::new(Algorithm::RS256);
        validation.set_audience(&[format!("{COMMON}/oauth2/v2.0/token")]);
        let data = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
            .unwrap_or_else(|e| panic!("the assertion verifies: {e}"));
        assert_eq!(data.claims["iss"], CLIENT_ID);
        assert_eq!(data.header.kid.as_deref(), Some("cert-thumbprint-1"));
    });
}
