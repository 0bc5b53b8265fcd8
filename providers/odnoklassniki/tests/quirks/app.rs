//! `odnoklassniki-app`: OK opens the application with the user's session and an `auth_sig`.
//! The backend checks `auth_sig` (constant time), asks OK whether the session is the user's
//! (`users.getLoggedInUser`, signed with the session secret key), then fetches the user
//! (`users.getInfo`, signed with the application secret). Driven with `MemoryStrategy` and
//! `SocialAuth`: the conformance suite is for OAuth flows.

use std::{sync::Arc, time::Duration};

use md5::{Digest, Md5};
use social_core::serde_json::json;
use social_core::{ErrorKind, MemoryStorage, MemoryStrategy, SocialAuth};
use social_testkit::provider::expect_kind;
use social_testkit::wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers};

use super::APPLICATION_KEY;

const USERS: &str = social_testkit::fixture!("app_users.json");

const UID: &str = "571234567890";
const SESSION_KEY: &str = "ok-session-key-5e6f7a8b";
const SESSION_SECRET: &str = "ok-session-secret-2c3d4e5f";
const APP_SECRET: &str = "ok-app-secret-0f1e2d3c";

/// `md5("571234567890" + "ok-session-key-5e6f7a8b" + "ok-app-secret-0f1e2d3c")`, worked out
/// by hand with `md5sum`.
const AUTH_SIG: &str = "7491e8ecb48a1fd5e6b3534915219c7a";

/// `users.getLoggedInUser`'s signature: `md5("application_key=CBAFEDCBA1234567" +
/// "format=json" + "method=users.getLoggedInUser" + session secret key)`, the session key left
/// out (`md5sum` of that text).
const LOGGED_IN_SIG: &str = "5478dd0e2f2a5453c6e34ae26c8e9671";

/// `users.getInfo`'s signature: `md5("application_key=CBAFEDCBA1234567" +
/// "fields=uid,first_name,last_name,name" + "format=json" + "method=users.getInfo" +
/// "uids=571234567890" + application secret)` (`md5sum` of that text).
const GET_INFO_SIG: &str = "6042c73ce025b5c5485008950b2e908e";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The form fields of a POST.
fn form(request: &Request) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> =
        social_testkit::url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
    fields.sort();
    fields
}

/// A fake OK API that answers `users.getLoggedInUser` (POST, right signature) with
/// `logged_in` and `users.getInfo` (GET, right signature) with `users`.
async fn fake_ok(logged_in: ResponseTemplate, users: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/fb.do"))
        .and(matchers::body_string_contains(
            "method=users.getLoggedInUser",
        ))
        .and(matchers::body_string_contains(format!(
            "sig={LOGGED_IN_SIG}"
        )))
        .respond_with(logged_in)
        .mount(&server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/fb.do"))
        .and(matchers::query_param("method", "users.getInfo"))
        .and(matchers::query_param("sig", GET_INFO_SIG))
        .respond_with(users)
        .mount(&server)
        .await;
    server
}

fn json_answer(body: impl ToString) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json")
}

fn ok_fake_default() -> (ResponseTemplate, ResponseTemplate) {
    (json_answer(json!(UID)), json_answer(USERS))
}

/// Social login with the iframe backend alone, its API on `server`.
fn engine(server: &MockServer) -> (SocialAuth, Arc<MemoryStorage>) {
    let api = server.uri();
    let settings = social_testkit::settings_from(
        "",
        &[
            ("SOCIAL_AUTH_ODNOKLASSNIKI_APP_SECRET", APP_SECRET),
            (
                "SOCIAL_AUTH_ODNOKLASSNIKI_APP_APPLICATION_KEY",
                APPLICATION_KEY,
            ),
            ("SOCIAL_AUTH_ODNOKLASSNIKI_APP_API_URL", &api),
        ],
    );
    let http = social_core::http::ReqwestClient::new(Duration::from_millis(800), "tests")
        .expect("a client");
    social_testkit::social_auth(social_odnoklassniki::app(), settings, Some(Arc::new(http)))
        .expect("builds")
}

/// The request OK's iframe makes, with `params` replaced or removed (`None`).
fn iframe_request(changes: &[(&str, Option<&str>)]) -> MemoryStrategy {
    let mut params = vec![
        ("logged_user_id", Some(UID)),
        ("session_key", Some(SESSION_KEY)),
        ("session_secret_key", Some(SESSION_SECRET)),
        ("auth_sig", Some(AUTH_SIG)),
        ("application_key", Some(APPLICATION_KEY)),
        ("authorized", Some("1")),
        ("apiconnection", Some("ok_app_1234_connection")),
        ("api_server", Some("https://api.ok.ru/")),
    ];
    for (name, value) in changes {
        params.retain(|(n, _)| n != name);
        params.push((name, *value));
    }
    params.into_iter().fold(
        MemoryStrategy::new("https://site.example"),
        |s, (k, v)| match v {
            Some(v) => s.with_param(k, v),
            None => s,
        },
    )
}

#[test]
fn the_signatures_are_the_documented_ones() {
    // Built another way than the backend: whole strings, hashed with md-5 directly.
    let auth_sig = hex(&Md5::digest(
        [UID, SESSION_KEY, APP_SECRET].concat().as_bytes(),
    ));
    assert_eq!(auth_sig, AUTH_SIG);
    let logged_in = hex(&Md5::digest(
        format!(
            "application_key={APPLICATION_KEY}format=jsonmethod=users.getLoggedInUser{SESSION_SECRET}"
        )
        .as_bytes(),
    ));
    assert_eq!(logged_in, LOGGED_IN_SIG);
    let get_info = hex(&Md5::digest(
        format!(
            "application_key={APPLICATION_KEY}fields=uid,first_name,last_name,nameformat=json\
             method=users.getInfouids={UID}{APP_SECRET}"
        )
        .as_bytes(),
    ));
    assert_eq!(get_info, GET_INFO_SIG);
}

#[test]
fn a_valid_iframe_session_logs_in_and_keeps_the_session() {
    social_testkit::run(async {
        let (logged_in, users) = ok_fake_default();
        let server = fake_ok(logged_in, users).await;
        let (auth, storage) = engine(&server);
        let login = social_testkit::logged_in(
            auth.complete(&iframe_request(&[]), social_odnoklassniki::APP_NAME, None)
                .await,
        );
        assert!(login.is_new);
        assert_eq!(login.user.fullname.as_deref(), Some("Ольга Иванова"));
        assert_eq!(login.user.username, UID);
        let account = login.account.expect("an account");
        assert_eq!(account.uid, UID);
        assert_eq!(account.provider, "odnoklassniki-app");
        assert_eq!(
            account
                .tokens()
                .map(|t| t.access_token.secret().to_owned())
                .as_deref(),
            Some(SESSION_KEY),
            "the session key is the account's token"
        );
        assert_eq!(
            account.extra_data["session_secret_key"],
            json!(SESSION_SECRET)
        );
        assert_eq!(
            account.extra_data["apiconnection"],
            json!("ok_app_1234_connection")
        );
        assert_eq!(account.extra_data["name"], json!("Ольга Иванова"));
        assert_eq!(storage.counts(), (1, 1));

        // What was sent: the session check with the session key, unsigned, as a form; the
        // user call without any session.
        let requests = server.received_requests().await.unwrap_or_default();
        assert_eq!(requests.len(), 2, "two calls");
        assert_eq!(
            form(&requests[0]),
            [
                ("application_key", APPLICATION_KEY),
                ("format", "json"),
                ("method", "users.getLoggedInUser"),
                ("session_key", SESSION_KEY),
                ("sig", LOGGED_IN_SIG),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
        let mut query: Vec<(String, String)> = requests[1].url.query_pairs().into_owned().collect();
        query.sort();
        assert_eq!(
            query,
            [
                ("application_key", APPLICATION_KEY),
                ("fields", "uid,first_name,last_name,name"),
                ("format", "json"),
                ("method", "users.getInfo"),
                ("sig", GET_INFO_SIG),
                ("uids", UID),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    });
}

#[test]
fn auth_sig_is_accepted_in_capitals_and_refused_one_byte_off() {
    social_testkit::run(async {
        let (logged_in, users) = ok_fake_default();
        let server = fake_ok(logged_in, users).await;
        let (auth, storage) = engine(&server);
        let upper = AUTH_SIG.to_ascii_uppercase();
        social_testkit::logged_in(
            auth.complete(
                &iframe_request(&[("auth_sig", Some(&upper))]),
                social_odnoklassniki::APP_NAME,
                None,
            )
            .await,
        );
        assert_eq!(storage.counts(), (1, 1));

        let (logged_in, users) = ok_fake_default();
        let server = fake_ok(logged_in, users).await;
        let (auth, storage) = engine(&server);
        let mut off = AUTH_SIG.to_owned();
        off.replace_range(31.., "d");
        assert_ne!(off, AUTH_SIG);
        let other_user = "571234567891";
        for (case, changes) in [
            (
                "auth_sig one byte off",
                vec![("auth_sig", Some(off.as_str()))],
            ),
            (
                "auth_sig cut short",
                vec![("auth_sig", Some(&AUTH_SIG[..31]))],
            ),
            (
                "another user with the same auth_sig",
                vec![("logged_user_id", Some(other_user))],
            ),
            (
                "another session with the same auth_sig",
                vec![("session_key", Some("ok-session-key-00000000"))],
            ),
        ] {
            let result = auth
                .complete(
                    &iframe_request(&changes),
                    social_odnoklassniki::APP_NAME,
                    None,
                )
                .await;
            expect_kind(case, result, ErrorKind::Failed);
        }
        assert_eq!(storage.counts(), (0, 0), "nothing written");
        assert!(
            server
                .received_requests()
                .await
                .unwrap_or_default()
                .is_empty(),
            "OK is not even asked"
        );
    });
}

#[test]
fn missing_iframe_parameters_are_reported_by_name() {
    social_testkit::run(async {
        let (logged_in, users) = ok_fake_default();
        let server = fake_ok(logged_in, users).await;
        let (auth, storage) = engine(&server);
        for name in [
            "logged_user_id",
            "session_key",
            "auth_sig",
            "session_secret_key",
        ] {
            let result = auth
                .complete(
                    &iframe_request(&[(name, None)]),
                    social_odnoklassniki::APP_NAME,
                    None,
                )
                .await;
            match result {
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::MissingParameter, "{name}: {e}");
                    assert!(e.details().contains(name), "{e}");
                }
                Ok(o) => panic!("{name} missing, yet {o:?}"),
            }
        }
        assert_eq!(storage.counts(), (0, 0));
    });
}

#[test]
fn the_session_must_be_the_users_and_ok_errors_are_mapped() {
    social_testkit::run(async {
        let error =
            |code: i64, msg: &str| json_answer(json!({"error_code": code, "error_msg": msg}));
        for (case, logged_in, users, kind) in [
            (
                "session of another user",
                json_answer(json!("571234567891")),
                json_answer(USERS),
                ErrorKind::Failed,
            ),
            (
                "session answer of the wrong type",
                json_answer(json!({"uid": UID})),
                json_answer(USERS),
                ErrorKind::Failed,
            ),
            (
                "session expired",
                error(102, "PARAM_SESSION_EXPIRED : Session expired"),
                json_answer(USERS),
                ErrorKind::TokenError,
            ),
            (
                "signature refused",
                error(104, "PARAM_SIGNATURE : Invalid signature"),
                json_answer(USERS),
                ErrorKind::ProviderRejected,
            ),
            (
                "rate limited",
                json_answer(json!(UID)),
                error(11, "LIMIT_REACHED"),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "another user's data",
                json_answer(json!(UID)),
                json_answer(json!([{"uid": "1", "name": "Someone"}])),
                ErrorKind::InvalidResponse,
            ),
            (
                "no user",
                json_answer(json!(UID)),
                json_answer(json!([])),
                ErrorKind::InvalidResponse,
            ),
            (
                "two users",
                json_answer(json!(UID)),
                json_answer(json!([{"uid": UID}, {"uid": UID}])),
                ErrorKind::InvalidResponse,
            ),
            (
                "user without uid",
                json_answer(json!(UID)),
                json_answer(json!([{"name": "Ольга"}])),
                ErrorKind::InvalidResponse,
            ),
            (
                "OK down",
                ResponseTemplate::new(503),
                json_answer(USERS),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "user call 403",
                json_answer(json!(UID)),
                ResponseTemplate::new(403),
                ErrorKind::ProviderRejected,
            ),
            (
                "time-out",
                json_answer(json!(UID)).set_delay(Duration::from_secs(2)),
                json_answer(USERS),
                ErrorKind::Timeout,
            ),
        ] {
            let server = fake_ok(logged_in, users).await;
            let (auth, storage) = engine(&server);
            let result = auth
                .complete(&iframe_request(&[]), social_odnoklassniki::APP_NAME, None)
                .await;
            expect_kind(case, result, kind);
            assert_eq!(storage.counts(), (0, 0), "{case}: nothing written");
        }
    });
}

#[test]
fn the_users_object_answer_and_extra_fields_are_accepted() {
    social_testkit::run(async {
        let server = MockServer::start().await;
        Mock::given(matchers::method("POST"))
            .respond_with(json_answer(json!(UID)))
            .mount(&server)
            .await;
        Mock::given(matchers::method("GET"))
            .and(matchers::query_param(
                "fields",
                "uid,first_name,last_name,name,gender,birthday",
            ))
            .respond_with(json_answer(json!({"users": [{
                "uid": UID, "name": "Ольга Иванова", "gender": "female", "birthday": "1990-05-17"
            }]})))
            .mount(&server)
            .await;
        let api = server.uri();
        let settings = social_testkit::settings_from(
            "",
            &[
                ("SOCIAL_AUTH_ODNOKLASSNIKI_APP_SECRET", APP_SECRET),
                (
                    "SOCIAL_AUTH_ODNOKLASSNIKI_APP_APPLICATION_KEY",
                    APPLICATION_KEY,
                ),
                ("SOCIAL_AUTH_ODNOKLASSNIKI_APP_API_URL", &api),
                (
                    "SOCIAL_AUTH_ODNOKLASSNIKI_APP_EXTRA_USER_DATA_LIST",
                    "gender,birthday,uid",
                ),
            ],
        );
        let (auth, _) = social_testkit::social_auth(social_odnoklassniki::app(), settings, None)
            .expect("builds");
        let login = social_testkit::logged_in(
            auth.complete(&iframe_request(&[]), social_odnoklassniki::APP_NAME, None)
                .await,
        );
        let account = login.account.expect("an account");
        assert_eq!(account.extra_data["gender"], json!("female"));
        assert_eq!(account.extra_data["birthday"], json!("1990-05-17"));
    });
}

#[test]
fn the_api_server_the_browser_names_is_not_trusted() {
    social_testkit::run(async {
        let (logged_in, users) = ok_fake_default();
        let server = fake_ok(logged_in, users).await;
        let elsewhere = MockServer::start().await;
        let (auth, _) = engine(&server);
        let api_server = format!("{}/", elsewhere.uri());
        social_testkit::logged_in(
            auth.complete(
                &iframe_request(&[("api_server", Some(&api_server))]),
                social_odnoklassniki::APP_NAME,
                None,
            )
            .await,
        );
        assert!(
            elsewhere
                .received_requests()
                .await
                .unwrap_or_default()
                .is_empty(),
            "the configured API, not the browser's"
        );
    });
}

#[test]
fn begin_forwards_the_iframe_parameters_to_the_callback() {
    social_testkit::run(async {
        let server = MockServer::start().await;
        let (auth, _) = engine(&server);
        let flow = auth
            .begin(&iframe_request(&[]), social_odnoklassniki::APP_NAME)
            .await
            .expect("a redirect");
        let url = flow.redirect_url().unwrap_or_default().to_owned();
        assert!(
            url.starts_with("https://site.example/complete/odnoklassniki-app/?"),
            "{url}"
        );
        for (name, value) in [
            ("logged_user_id", UID),
            ("session_key", SESSION_KEY),
            ("auth_sig", AUTH_SIG),
            ("session_secret_key", SESSION_SECRET),
        ] {
            assert_eq!(
                social_testkit::query_param(&url, name).as_deref(),
                Some(value),
                "{name}"
            );
        }
        // Without iframe parameters: straight to the callback.
        let flow = auth
            .begin(
                &MemoryStrategy::new("https://site.example"),
                social_odnoklassniki::APP_NAME,
            )
            .await
            .expect("a redirect");
        assert_eq!(
            flow.redirect_url(),
            Some("https://site.example/complete/odnoklassniki-app/")
        );
    });
}

#[test]
fn start_up_requires_the_secret_and_the_application_key() {
    for (vars, missing) in [
        (
            vec![(
                "SOCIAL_AUTH_ODNOKLASSNIKI_APP_APPLICATION_KEY",
                APPLICATION_KEY,
            )],
            "SOCIAL_AUTH_ODNOKLASSNIKI_APP_SECRET",
        ),
        (
            vec![("SOCIAL_AUTH_ODNOKLASSNIKI_APP_SECRET", APP_SECRET)],
            "SOCIAL_AUTH_ODNOKLASSNIKI_APP_APPLICATION_KEY",
        ),
    ] {
        let settings = social_testkit::settings_from("", &vars);
        let error = social_testkit::social_auth(social_odnoklassniki::app(), settings, None)
            .expect_err("refused");
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(error.details().contains(missing), "{error}");
    }
}
