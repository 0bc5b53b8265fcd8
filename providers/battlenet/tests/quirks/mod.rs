//! Battle.net's own behaviour beyond the conformance checks: the issuer `REGION` picks
//! (`global`, `cn`; from TOML and from the environment, end to end), a region that is none
//! refused at start-up, the BattleTag (with its `#`) as the username whichever answer carries
//! it, and the logout URL of the region.
//!
//! The region tests run the backend on its real issuers with an HTTP client that hands each
//! `https://<host>/<path>` request to a local server as `/<host>/<path>`.

use std::sync::Arc;

use social_battlenet::{CHINA_ISSUER, ISSUER};
use social_core::{
    ErrorKind, MemoryStorage, MemoryStrategy, Outcome, Registry, Settings, SocialAuth,
    clock::{Clock, SystemClock},
    serde_json::{self, Value, json},
};
use social_oauth2::oidc::{Algorithm, LogoutRequest, OidcCache};
use social_testkit::{
    forward_https_to as forward_to, local_path as local, logged_in,
    oidc::{TestKey, claims, jwks},
    provider::{CLIENT_ID, CLIENT_SECRET},
    query_param as param, settings_from,
    wiremock::{Mock, MockServer, ResponseTemplate, matchers},
};

use super::{SUB, fixture};

const DISCOVERY: &str = social_testkit::fixture!("openid-configuration.json");
const TOKEN: &str = social_testkit::fixture!("token.json");
const USERINFO: &str = social_testkit::fixture!("userinfo.json");

/// The key and secret as `SOCIAL_AUTH_BATTLENET_*` variables, and `more`.
fn from_env(more: &[(&str, &str)]) -> Settings {
    let mut vars = vec![
        ("SOCIAL_AUTH_BATTLENET_KEY", CLIENT_ID),
        ("SOCIAL_AUTH_BATTLENET_SECRET", CLIENT_SECRET),
    ];
    vars.extend_from_slice(more);
    settings_from("", &vars)
}

/// The key and secret in a `[backends.battlenet]` table, with the lines `more`.
fn from_toml(more: &str) -> Settings {
    let toml = format!(
        "[backends.battlenet]\nkey = \"{CLIENT_ID}\"\nsecret = \"{CLIENT_SECRET}\"\n{more}"
    );
    settings_from(&toml, &[])
}

fn json_answer(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

/// One Battle.net region played by a local server: its discovery document and keys under
/// the region's issuer.
struct FakeRegion {
    server: MockServer,
    issuer: &'static str,
    key: TestKey,
}

impl FakeRegion {
    async fn start(issuer: &'static str) -> Self {
        let server = MockServer::start().await;
        let key = TestKey::rsa(0, Algorithm::RS256);
        let discovery = DISCOVERY
            .replace("{server}", issuer)
            .replace("{issuer}", issuer);
        let well_known = format!("{issuer}/.well-known/openid-configuration");
        Mock::given(matchers::method("GET"))
            .and(matchers::path(local(&well_known)))
            .respond_with(json_answer(discovery))
            .mount(&server)
            .await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path(local(&format!("{issuer}/jwks/certs"))))
            .respond_with(json_answer(jwks(&[&key]).to_string()))
            .mount(&server)
            .await;
        Self {
            server,
            issuer,
            key,
        }
    }

    /// Social login with the Battle.net backend, its requests going to this server.
    fn auth(&self, settings: Settings) -> SocialAuth {
        social_testkit::social_auth(
            social_battlenet::backend(),
            settings,
            Some(forward_to(&self.server)),
        )
        .map(|(auth, _)| auth)
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// A whole login whose ID token is issued as `iss`: the authorize URL and the outcome.
    async fn login(&self, auth: &SocialAuth, iss: &str) -> (String, social_core::Result<Outcome>) {
        let session = MemoryStrategy::new("http://testserver");
        let flow = auth.begin(&session, social_battlenet::NAME).await;
        let flow = flow.unwrap_or_else(|e| panic!("begin failed: {e}"));
        let url = flow
            .redirect_url()
            .unwrap_or_else(|| panic!("not a redirect: {flow:?}"))
            .to_owned();
        let nonce = param(&url, "nonce");
        let mut id_token = claims(iss, SUB, nonce.as_deref(), SystemClock.now());
        id_token["battle_tag"] = json!("AdaLovelace#1815");
        let mut token: Value = serde_json::from_str(TOKEN).unwrap_or_default();
        token["id_token"] = json!(self.key.sign(&id_token));
        Mock::given(matchers::method("POST"))
            .and(matchers::path(local(&format!("{}/token", self.issuer))))
            .respond_with(json_answer(token.to_string()))
            .up_to_n_times(1)
            .mount(&self.server)
            .await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path(local(&format!("{}/userinfo", self.issuer))))
            .respond_with(json_answer(USERINFO.to_owned()))
            .mount(&self.server)
            .await;
        let state = param(&url, "state").unwrap_or_default();
        let callback = session
            .next_request()
            .with_param("code", "test-code")
            .with_param("state", &state);
        let outcome = auth.complete(&callback, social_battlenet::NAME, None).await;
        (url, outcome)
    }

    /// The paths the local server was asked for.
    async fn paths(&self) -> Vec<String> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests.iter().map(|r| r.url.path().to_owned()).collect()
    }
}

#[test]
fn the_global_issuer_is_the_default_and_global_names_it() {
    social_testkit::run(async {
        for settings in [
            from_env(&[]),
            from_env(&[("SOCIAL_AUTH_BATTLENET_REGION", "global")]),
            from_toml("region = \"global\""),
        ] {
            let region = FakeRegion::start(ISSUER).await;
            let auth = region.auth(settings);
            let (url, outcome) = region.login(&auth, ISSUER).await;
            assert!(
                url.starts_with("https://oauth.battle.net/authorize?"),
                "{url}"
            );
            logged_in(outcome);
            assert_eq!(
                region.paths().await.first().map(String::as_str),
                Some("/oauth.battle.net/.well-known/openid-configuration")
            );
        }
    });
}

#[test]
fn region_cn_reaches_the_china_issuer_and_keeps_its_tokens_apart() {
    social_testkit::run(async {
        for settings in [
            from_env(&[("SOCIAL_AUTH_BATTLENET_REGION", "cn")]),
            from_toml("region = \"CN\""),
        ] {
            let region = FakeRegion::start(CHINA_ISSUER).await;
            let auth = region.auth(settings);
            let (url, outcome) = region.login(&auth, CHINA_ISSUER).await;
            assert!(
                url.starts_with("https://oauth.battlenet.com.cn/authorize?"),
                "{url}"
            );
            let login = logged_in(outcome);
            assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(SUB));
            assert_eq!(
                region.paths().await.first().map(String::as_str),
                Some("/oauth.battlenet.com.cn/.well-known/openid-configuration"),
                "discovery starts at the China issuer"
            );
            // An ID token of the global issuer is no token of the China one.
            let (_, outcome) = region.login(&auth, ISSUER).await;
            match outcome {
                Err(e) => assert_eq!(e.kind(), ErrorKind::Failed, "{e}"),
                Ok(other) => panic!("a token of another issuer was accepted: {other:?}"),
            }
        }
    });
}

#[test]
fn a_region_that_is_none_stops_start_up_naming_the_setting() {
    for (settings, name) in [
        (
            from_env(&[("SOCIAL_AUTH_BATTLENET_REGION", "eu")]),
            "SOCIAL_AUTH_BATTLENET_REGION",
        ),
        (
            from_env(&[("SOCIAL_AUTH_BATTLENET_REGION", "")]),
            "SOCIAL_AUTH_BATTLENET_REGION",
        ),
        (from_toml("region = \"us\""), "backends.battlenet.region"),
        (
            // The issuer given whole leaves the region unread.
            from_env(&[
                ("SOCIAL_AUTH_BATTLENET_REGION", "cn"),
                ("SOCIAL_AUTH_BATTLENET_OIDC_ENDPOINT", CHINA_ISSUER),
            ]),
            "SOCIAL_AUTH_BATTLENET_REGION",
        ),
        (
            from_toml("region = \"global\"\noidc_endpoint = \"https://oauth.battle.net\""),
            "backends.battlenet.region",
        ),
    ] {
        let err = social_testkit::social_auth(social_battlenet::backend(), settings, None)
            .map(|_| ())
            .expect_err("no such region");
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        assert!(err.details().starts_with(name), "{name}: {err}");
    }
}

#[test]
fn the_battletag_is_the_username_whichever_answer_carries_it() {
    social_testkit::run(async {
        let p = fixture().start(Arc::new(social_battlenet::backend())).await;
        let login = p.login().await;
        // SOCIAL_AUTH_CLEAN_USERNAMES (on by default) drops the `#`; extra data keeps it.
        assert_eq!(login.user.username, "AdaLovelace1815");
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        assert_eq!(
            account.extra_data.get("battle_tag"),
            Some(&json!("AdaLovelace#1815"))
        );

        // An ID token without `battle_tag`: userinfo's `battletag` stands in.
        let p = fixture().start(Arc::new(social_battlenet::backend())).await;
        let outcome = p
            .login_with(|p, mut claims| {
                if let Some(all) = claims.as_object_mut() {
                    all.remove("battle_tag");
                }
                Some(p.key.sign(&claims))
            })
            .await;
        let login = logged_in(outcome);
        assert_eq!(login.user.username, "AdaLovelace1815");
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        assert_eq!(account.uid, SUB);
        assert_eq!(
            account.extra_data.get("battle_tag"),
            Some(&json!("AdaLovelace#1815"))
        );
    });
}

#[test]
fn without_username_cleaning_the_username_keeps_the_hash() {
    social_testkit::run(async {
        let region = FakeRegion::start(ISSUER).await;
        let auth = region.auth(from_env(&[("SOCIAL_AUTH_CLEAN_USERNAMES", "false")]));
        let (_, outcome) = region.login(&auth, ISSUER).await;
        assert_eq!(logged_in(outcome).user.username, "AdaLovelace#1815");
    });
}

#[test]
fn the_logout_url_is_the_region_s_end_session_endpoint() {
    social_testkit::run(async {
        let region = FakeRegion::start(CHINA_ISSUER).await;
        let backend = Arc::new(social_battlenet::backend());
        let auth = SocialAuth::builder(Registry::new().with_arc(backend.clone()))
            .settings(from_env(&[("SOCIAL_AUTH_BATTLENET_REGION", "cn")]))
            .storage(Arc::new(MemoryStorage::new()))
            .http_client(forward_to(&region.server))
            .service(Arc::new(OidcCache::new()))
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let url = backend
            .logout_url(
                &auth.provider_cx(social_battlenet::NAME),
                &LogoutRequest::new(Some("the-id-token")),
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let url = url.unwrap_or_else(|| panic!("no logout URL"));
        assert!(
            url.starts_with("https://oauth.battlenet.com.cn/logout?"),
            "{url}"
        );
        assert_eq!(
            param(&url, "id_token_hint").as_deref(),
            Some("the-id-token")
        );
        assert_eq!(param(&url, "client_id").as_deref(), Some(CLIENT_ID));
    });
}
