//! Skyrock's own behaviour: its real endpoints end to end (request token at `initiate`, the
//! user sent to `authenticate`, the exchange at `token`, the user from the signed
//! `user/get.json`), the uid `id_user` written as text, the details, and the user call's
//! errors ending the login with nothing written.

use std::sync::Arc;

use social_core::{
    ErrorKind, MemoryStrategy, Outcome,
    serde_json::{self, Value, json},
};
use social_oauth1::OAuth1Provider;
use social_testkit::{
    forward_https_to, local_path, logged_in,
    provider::{Fixture, Harness, expect_kind},
    query_param, settings_from, social_auth,
    wiremock::{Mock, MockServer, ResponseTemplate, matchers},
};

const REQUEST_TOKEN: &str = social_testkit::fixture!("request_token.txt");
const ACCESS_TOKEN: &str = social_testkit::fixture!("access_token.txt");
const USER: &str = social_testkit::fixture!("user.json");
const FORM: &str = "application/x-www-form-urlencoded";

fn form(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), FORM)
}

async fn mount(server: &MockServer, method: &str, path: &str, answer: ResponseTemplate) {
    Mock::given(matchers::method(method))
        .and(matchers::path(path.to_owned()))
        .respond_with(answer)
        .mount(server)
        .await;
}

#[test]
fn a_login_runs_on_skyrocks_real_endpoints() {
    social_testkit::run(async {
        let server = MockServer::start().await;
        let api = "https://api.skyrock.com/v2";
        mount(
            &server,
            "POST",
            &local_path(&format!("{api}/oauth/initiate")),
            form(REQUEST_TOKEN),
        )
        .await;
        mount(
            &server,
            "POST",
            &local_path(&format!("{api}/oauth/token")),
            form(ACCESS_TOKEN),
        )
        .await;
        mount(
            &server,
            "GET",
            &local_path(&format!("{api}/user/get.json")),
            ResponseTemplate::new(200).set_body_raw(USER, "application/json"),
        )
        .await;
        let settings = settings_from(
            "",
            &[
                ("SOCIAL_AUTH_SKYROCK_KEY", "consumer-key"),
                ("SOCIAL_AUTH_SKYROCK_SECRET", "consumer-secret"),
            ],
        );
        let (auth, storage) = social_auth(
            social_skyrock::backend(),
            settings,
            Some(forward_https_to(&server)),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let session = MemoryStrategy::new("http://testserver");
        let flow = auth
            .begin(&session, social_skyrock::NAME)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let url = flow.redirect_url().unwrap_or_default().to_owned();
        assert!(
            url.starts_with("https://api.skyrock.com/v2/oauth/authenticate?"),
            "{url}"
        );
        let token = query_param(&url, "oauth_token").unwrap_or_default();
        assert_eq!(token, "skyrock-request-7a1d93c0e4");
        let callback = session
            .next_request()
            .with_param("oauth_token", &token)
            .with_param("oauth_verifier", "the-verifier");
        let login = logged_in(auth.complete(&callback, social_skyrock::NAME, None).await);
        assert_eq!(login.account.map(|a| a.uid).as_deref(), Some("48151623"));
        assert_eq!(storage.counts(), (1, 1));

        // The user call asks for the token's own account: no `username`, no `id_user`.
        let requests = server.received_requests().await.unwrap_or_default();
        let user_call = requests
            .iter()
            .find(|r| r.url.path().ends_with("/user/get.json"))
            .unwrap_or_else(|| panic!("no user call"));
        assert_eq!(user_call.url.query(), None);
        let authorization = user_call
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            authorization.starts_with("OAuth ")
                && authorization.contains(r#"oauth_token="skyrock-access-0c6e2f9b71""#),
            "signed with the access token: {authorization}"
        );
    });
}

#[test]
fn the_details_come_from_the_user_call() {
    let user: Value = serde_json::from_str(USER).unwrap_or_default();
    assert_eq!(
        social_skyrock::Skyrock.user_id(&user).ok().as_deref(),
        Some("48151623"),
        "the numeric id_user, as text"
    );
    let details = social_skyrock::Skyrock.user_details(&user);
    assert_eq!(details.username.as_deref(), Some("ada-lovelace"));
    assert_eq!(details.first_name.as_deref(), Some("Ada"));
    assert_eq!(details.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(details.fullname.as_deref(), Some("Ada Lovelace"));
    assert_eq!(details.email.as_deref(), Some("ada@example.com"));
    assert!(!details.email_verified, "Skyrock vouches for no address");
    assert_eq!(
        details.picture.as_deref(),
        Some("https://i.skyrock.net/avatar/ada-lovelace.jpg")
    );
    assert_eq!(
        details.profile_url.as_deref(),
        Some("https://ada-lovelace.skyrock.com/")
    );
    assert_eq!(details.locale.as_deref(), Some("fr_FR"));
}

/// A login whose user call gets `answer`: the error it ends with, nothing written.
async fn refused(case: &str, answer: ResponseTemplate, kind: ErrorKind) {
    let fixture = Fixture::new(social_skyrock::NAME)
        .endpoint("request_token_url", "/v2/oauth/initiate")
        .endpoint("authorization_url", "/v2/oauth/authenticate")
        .endpoint("access_token_url", "/v2/oauth/token")
        .endpoint("api_url", "/v2/user/get.json");
    let h = Harness::new(Arc::new(social_skyrock::backend()), &fixture).await;
    mount(&h.server, "POST", "/v2/oauth/initiate", form(REQUEST_TOKEN)).await;
    mount(&h.server, "POST", "/v2/oauth/token", form(ACCESS_TOKEN)).await;
    mount(&h.server, "GET", "/v2/user/get.json", answer).await;
    let (session, url) = h.begin().await;
    let token = social_testkit::provider::param(&url, "oauth_token").unwrap_or_default();
    let outcome = h
        .callback(
            &session,
            &[("oauth_token", &token), ("oauth_verifier", "v")],
        )
        .await;
    assert!(!matches!(outcome, Ok(Outcome::LoggedIn(_))), "{case}");
    expect_kind(case, outcome, kind);
    h.assert_nothing_written(case);
}

fn user_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(object) = user.as_object_mut() {
        change(object);
    }
    user.to_string()
}

#[test]
fn user_call_errors_end_the_login_with_nothing_written() {
    social_testkit::run(async {
        refused(
            "rate limited",
            ResponseTemplate::new(429),
            ErrorKind::ProviderUnavailable,
        )
        .await;
        refused(
            "token refused",
            ResponseTemplate::new(401).set_body_raw(
                json!({"error": "invalid token"}).to_string(),
                "application/json",
            ),
            ErrorKind::ProviderRejected,
        )
        .await;
        refused(
            "server error",
            ResponseTemplate::new(500),
            ErrorKind::ProviderUnavailable,
        )
        .await;
        for (case, body) in [
            (
                "an error inside a 200",
                json!({"error": "invalid token", "code": 401}).to_string(),
            ),
            ("no id_user", user_with(|u| drop(u.remove("id_user")))),
            (
                "id_user of the wrong type",
                user_with(|u| drop(u.insert("id_user".into(), json!(true)))),
            ),
            ("an XML answer", "<?xml version=\"1.0\"?><user/>".to_owned()),
        ] {
            refused(
                case,
                ResponseTemplate::new(200).set_body_raw(body, "application/json"),
                ErrorKind::InvalidResponse,
            )
            .await;
        }
    });
}
