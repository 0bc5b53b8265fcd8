//! Steam against a fake OP and a recorded `GetPlayerSummaries` answer; every request goes to
//! the fake server whatever its host, so the backend keeps Steam's real URLs.

use std::sync::Arc;

use social_core::{
    BackendSettings, ErrorKind, MemoryStorage, Registry, Settings, SocialAuth, serde_json::json,
    settings::TomlValue,
};
use social_openid::{OpenIdProvider as _, SERVER_TYPE, SIGNON_TYPE};
use social_steam::Steam;
use social_testkit::openid::{self as kit, Associations, Case, OpenIdHarness, flow_params};
use wiremock::{Mock, ResponseTemplate, matchers};

const OP: &str = "https://steamcommunity.com/openid/login";
const STEAM_ID: &str = "76561198000000042";
const API_KEY: &str = "0123456789ABCDEF0123456789ABCDEF";
const API_PATH: &str = "/ISteamUser/GetPlayerSummaries/v0002/";

fn claimed(id: &str) -> String {
    format!("https://steamcommunity.com/openid/id/{id}")
}

fn settings() -> BackendSettings {
    let mut settings = BackendSettings::default();
    settings
        .options
        .insert("api_key".into(), TomlValue::String(API_KEY.into()));
    settings
}

fn summaries() -> Mock {
    Mock::given(matchers::method("GET"))
        .and(matchers::path(API_PATH))
        .and(matchers::query_param("key", API_KEY))
        .and(matchers::query_param("steamids", STEAM_ID))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            social_testkit::fixture!("player_summaries.json"),
            "application/json",
        ))
}

/// Steam's OP identifier and claimed identifier documents, the OP endpoint; the API is
/// mounted by each test.
async fn steam() -> (OpenIdHarness, Case) {
    let h = OpenIdHarness::new(Arc::new(social_steam::backend()), settings()).await;
    h.op.xrds(social_steam::OPENID_URL, SERVER_TYPE, OP, None)
        .await;
    h.op.xrds(&claimed(STEAM_ID), SIGNON_TYPE, OP, None).await;
    h.op.serve(OP, Associations::Sha256).await;
    (h, Case::new(&[], OP, &claimed(STEAM_ID)))
}

#[tokio::test]
async fn user_mapping() {
    let (h, case) = steam().await;
    summaries().expect(1).mount(&h.op.server).await;
    let login = kit::logs_in(&h, &case).await;
    let account = login.account.clone().expect("an account");
    let mut extra = account.extra_data.clone();
    extra.insert("auth_time".into(), json!("[time]"));
    let details = Steam.user_details(&json!({ "player": extra["player"] }));
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_json_snapshot!(
            "user_mapping",
            json!({
                "uid": account.uid,
                "details": details,
                "user": {
                    "username": login.user.username, "email": login.user.email,
                    "fullname": login.user.fullname, "first_name": login.user.first_name,
                    "last_name": login.user.last_name,
                },
                "extra_data": extra,
            })
        );
    });
    assert!(
        kit::holds_association(&h, OP).await,
        "associated with the OP"
    );
}

#[tokio::test]
async fn authentication_request() {
    let (h, case) = steam().await;
    kit::authentication_request(&h, &case).await;
    let (_, flow) = h.begin(&case).await;
    let mut params = serde_json::Map::new();
    for (key, value) in flow_params(&flow) {
        let value = match key.as_str() {
            "openid.return_to" => value
                .split_once("state=")
                .map_or(value.clone(), |(base, _)| format!("{base}state=[random]")),
            "openid.assoc_handle" => "[handle]".to_owned(),
            _ => value,
        };
        params.insert(key, json!(value));
    }
    insta::with_settings!({ omit_expression => true }, {
        insta::assert_json_snapshot!("authentication_request", params);
    });
}

#[tokio::test]
async fn refusals() {
    let (h, case) = steam().await;
    summaries().mount(&h.op.server).await;
    kit::refusals(&h, &case).await;
}

#[tokio::test]
async fn refuses_claimed_ids_that_are_not_steam_ids() {
    let (h, case) = steam().await;
    summaries().expect(0).mount(&h.op.server).await;
    for other in [
        "https://steamcommunity.com/openid/id/lambda",
        "https://steamcommunity.com/openid/id/7656119800000004",
        "https://steamcommunity.com/profiles/76561198000000042",
        "https://impostor.example/openid/id/76561198000000042",
    ] {
        // Discovery of each names Steam's OP, so only the Steam id check stands in the way.
        h.op.xrds(other, SIGNON_TYPE, OP, None).await;
        let (session, flow) = h.begin(&case).await;
        let assertion =
            h.op.assertion(&flow, &case)
                .field("claimed_id", other)
                .field("identity", other);
        match h.complete(&session, &assertion.callback_params()).await {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Failed, "{other}: {e}");
                assert!(e.details().contains("Steam identity"), "{other}: {e}");
            }
            Ok(outcome) => panic!("{other} was accepted: {outcome:?}"),
        }
    }
    assert_eq!(h.counts(), (0, 0));
}

#[tokio::test]
async fn web_api_failures_write_nothing() {
    for (status, kind) in [
        (403, ErrorKind::ProviderRejected),
        (500, ErrorKind::ProviderUnavailable),
    ] {
        let (h, case) = steam().await;
        Mock::given(matchers::path(API_PATH))
            .respond_with(ResponseTemplate::new(status).set_body_string("<html>Forbidden</html>"))
            .expect(1)
            .mount(&h.op.server)
            .await;
        let (session, flow) = h.begin(&case).await;
        let assertion = h.op.assertion(&flow, &case);
        match h.complete(&session, &assertion.callback_params()).await {
            Err(e) => {
                assert_eq!(e.kind(), kind, "{status}: {e}");
                assert!(!e.details().contains(API_KEY), "the key leaks: {e}");
            }
            Ok(outcome) => panic!("{status} was accepted: {outcome:?}"),
        }
        assert_eq!(h.counts(), (0, 0));
    }
}

#[tokio::test]
async fn unknown_players_log_in_with_empty_details() {
    let (h, case) = steam().await;
    Mock::given(matchers::path(API_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(r#"{"response":{"players":[]}}"#, "application/json"),
        )
        .mount(&h.op.server)
        .await;
    let login = kit::logs_in(&h, &case).await;
    assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(STEAM_ID));
    assert_eq!(login.user.fullname, None);
}

#[tokio::test]
async fn start_up_needs_the_api_key_and_nothing_else() {
    let build = |backend: BackendSettings| {
        let mut all = Settings::default();
        all.backends.insert("steam".into(), backend);
        SocialAuth::builder(Registry::new().with(social_steam::backend()))
            .settings(all)
            .storage(Arc::new(MemoryStorage::new()))
            .build()
    };
    match build(BackendSettings::default()) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Config);
            assert!(e.details().contains("SOCIAL_AUTH_STEAM_API_KEY"), "{e}");
        }
        Ok(_) => panic!("started without an API key"),
    }
    assert!(build(settings()).is_ok(), "no KEY or SECRET needed");
    let from_env = Settings::default()
        .with_vars([("SOCIAL_AUTH_STEAM_API_KEY".to_owned(), API_KEY.to_owned())])
        .expect("valid variables");
    let outcome = SocialAuth::builder(Registry::new().with(social_steam::backend()))
        .settings(from_env)
        .storage(Arc::new(MemoryStorage::new()))
        .build();
    assert!(outcome.is_ok(), "the key is read from the environment");
}
