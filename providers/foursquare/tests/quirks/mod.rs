//! Foursquare's own behaviour: the `v` version date and the token as `oauth_token` in the
//! query of every API call, the `API_VERSION` setting, errors Foursquare reports in `meta`
//! (also inside an HTTP 200) ending the login with the right error and nothing written, and
//! the user details built from `response.user`.

use std::sync::Arc;

use social_core::{
    ErrorKind, Outcome,
    serde_json::{self, Value, json},
};
use social_testkit::{
    provider::{Fixture, Harness, expect_kind},
    wiremock::{Mock, ResponseTemplate, matchers},
};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const ACCESS_TOKEN: &str = "FSQ-ACCESS-3XK2M9QZ7TBV1WJ5H0RNC8PDLYEG4UAF";

fn fixture(user: &str) -> Fixture {
    Fixture::new(social_foursquare::NAME)
        .token("GET", "/oauth2/access_token", TOKEN)
        .endpoint("api_url", "/v2")
        .api("GET", "/v2/users/self", user)
}

/// The fixture answer with `change` applied to it.
fn answer_with(change: impl FnOnce(&mut Value)) -> String {
    let mut answer: Value = serde_json::from_str(USER).unwrap_or_default();
    change(&mut answer);
    answer.to_string()
}

async fn login_with(fixture: &Fixture) -> (Harness, social_core::Login) {
    let h = Harness::new(Arc::new(social_foursquare::backend()), fixture).await;
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(login)) => (h, login),
        other => panic!("login failed: {other:?}"),
    }
}

/// The query of the one `users/self` call `h` received.
async fn user_call_query(h: &Harness) -> Vec<(String, String)> {
    let requests = h.server.received_requests().await.unwrap_or_default();
    let calls: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/v2/users/self")
        .collect();
    assert_eq!(calls.len(), 1, "one users/self call");
    assert!(
        calls[0].headers.get("authorization").is_none(),
        "the token travels in the query, not in a header"
    );
    calls[0].url.query_pairs().into_owned().collect()
}

#[test]
fn every_api_call_carries_the_version_date_and_the_token_as_oauth_token() {
    social_testkit::run(async {
        let (h, _) = login_with(&fixture(USER)).await;
        let query = user_call_query(&h).await;
        assert!(
            query.contains(&("v".into(), "20240101".into())),
            "{query:?}"
        );
        assert!(
            query.contains(&("oauth_token".into(), ACCESS_TOKEN.into())),
            "{query:?}"
        );
        // The token request is the GET Foursquare documents, every parameter in the query.
        let requests = h.server.received_requests().await.unwrap_or_default();
        let token = requests
            .iter()
            .find(|r| r.url.path() == "/oauth2/access_token")
            .unwrap_or_else(|| panic!("no token request"));
        assert_eq!(token.method.as_str(), "GET");
        let names: Vec<String> = token
            .url
            .query_pairs()
            .map(|(k, _)| k.into_owned())
            .collect();
        for name in [
            "client_id",
            "client_secret",
            "grant_type",
            "redirect_uri",
            "code",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
        }
    });
}

#[test]
fn the_api_version_setting_moves_the_version_date() {
    social_testkit::run(async {
        let (h, _) = login_with(&fixture(USER).option("api_version", "20140128")).await;
        let query = user_call_query(&h).await;
        assert!(
            query.contains(&("v".into(), "20140128".into())),
            "{query:?}"
        );
    });
}

#[test]
fn an_api_version_that_is_no_date_stops_start_up_naming_the_variable() {
    let settings = social_testkit::settings_from(
        "",
        &[
            ("SOCIAL_AUTH_FOURSQUARE_KEY", "k"),
            ("SOCIAL_AUTH_FOURSQUARE_SECRET", "s"),
            ("SOCIAL_AUTH_FOURSQUARE_API_VERSION", "2024-01-01"),
        ],
    );
    let built = social_testkit::social_auth(social_foursquare::backend(), settings, None);
    match built {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Config);
            assert!(
                e.details().contains("SOCIAL_AUTH_FOURSQUARE_API_VERSION"),
                "{e}"
            );
        }
        Ok(_) => panic!("a malformed API_VERSION was accepted"),
    }
}

#[test]
fn the_user_is_response_user_with_a_sized_picture_and_an_unverified_email() {
    social_testkit::run(async {
        let (h, login) = login_with(&fixture(USER)).await;
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        assert_eq!(account.uid, "48151623");
        assert_eq!(login.user.email.as_deref(), Some("ada@example.com"));
        assert!(
            !login.user.email_verified,
            "Foursquare vouches for no address"
        );
        assert_eq!(login.user.first_name.as_deref(), Some("Ada"));
        assert_eq!(login.user.last_name.as_deref(), Some("Lovelace"));
        assert_eq!(login.user.fullname.as_deref(), Some("Ada Lovelace"));
        let details = {
            use social_oauth2::OAuth2Provider;
            let data: Value = serde_json::from_str(USER).unwrap_or_default();
            social_foursquare::Foursquare.user_details(&data)
        };
        assert_eq!(
            details.picture.as_deref(),
            Some("https://fastly.4sqi.net/img/user/300x300/48151623-EXAMPLEPHOTO.jpg")
        );
        assert_eq!(
            details.profile_url.as_deref(),
            Some("https://foursquare.com/user/48151623")
        );
        assert_eq!(h.storage.counts(), (1, 1));
    });
}

#[test]
fn a_deprecation_notice_in_meta_does_not_stop_the_login() {
    social_testkit::run(async {
        let user = answer_with(|a| {
            a["meta"]["errorType"] = json!("deprecated");
            a["meta"]["errorDetail"] =
                json!("Please provide an API version to avoid future errors.");
        });
        let (_, login) = login_with(&fixture(&user)).await;
        assert_eq!(login.account.map(|a| a.uid).as_deref(), Some("48151623"));
    });
}

/// A login whose `users/self` call gets `answer`: the error it ends with, nothing written.
async fn refused(case: &str, answer: ResponseTemplate, kind: ErrorKind) {
    let fixture = fixture(USER);
    let h = Harness::new(Arc::new(social_foursquare::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/v2/users/self"))
        .respond_with(answer)
        .mount(&h.server)
        .await;
    expect_kind(case, h.login().await, kind);
    h.assert_nothing_written(case);
}

/// A Foursquare error answer: `meta` with `code`, `errorType` and `errorDetail`, an empty
/// `response`.
fn meta_error(code: u16, error_type: &str) -> String {
    json!({
        "meta": {"code": code, "errorType": error_type,
                 "errorDetail": "made-up detail", "requestId": "65a1f0c2d4e5b6a7c8d9e0f1"},
        "response": {}
    })
    .to_string()
}

fn status(code: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(code).set_body_raw(body, "application/json")
}

#[test]
fn errors_in_meta_end_the_login_with_the_right_error() {
    social_testkit::run(async {
        for (case, answer, kind) in [
            (
                "invalid_auth as HTTP 401",
                status(401, meta_error(401, "invalid_auth")),
                ErrorKind::ProviderRejected,
            ),
            (
                "invalid_auth inside a 200",
                status(200, meta_error(401, "invalid_auth")),
                ErrorKind::ProviderRejected,
            ),
            (
                "param_error inside a 200",
                status(200, meta_error(400, "param_error")),
                ErrorKind::ProviderRejected,
            ),
            (
                "rate_limit_exceeded as HTTP 403",
                status(403, meta_error(403, "rate_limit_exceeded")),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "rate_limit_exceeded inside a 200",
                status(200, meta_error(403, "rate_limit_exceeded")),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "quota_exceeded",
                status(403, meta_error(403, "quota_exceeded")),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "not_authorized",
                status(403, meta_error(403, "not_authorized")),
                ErrorKind::Forbidden,
            ),
            (
                "server_error inside a 200",
                status(200, meta_error(500, "server_error")),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "HTTP 500 without a body",
                ResponseTemplate::new(500),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "HTTP 429 without a body",
                ResponseTemplate::new(429),
                ErrorKind::ProviderUnavailable,
            ),
        ] {
            refused(case, answer, kind).await;
        }
    });
}

#[test]
fn answers_without_a_user_give_no_user() {
    social_testkit::run(async {
        for (case, body) in [
            (
                "no meta",
                answer_with(|a| drop(a.as_object_mut().map(|o| o.remove("meta")))),
            ),
            (
                "meta.code as text",
                answer_with(|a| a["meta"]["code"] = json!("200")),
            ),
            ("no user", answer_with(|a| a["response"] = json!({}))),
            (
                "no user id",
                answer_with(|a| {
                    drop(
                        a["response"]["user"]
                            .as_object_mut()
                            .map(|u| u.remove("id")),
                    )
                }),
            ),
            (
                "a user id of the wrong type",
                answer_with(|a| a["response"]["user"]["id"] = json!(["48151623"])),
            ),
            ("not JSON", "<html>maintenance</html>".to_owned()),
        ] {
            refused(case, status(200, body), ErrorKind::InvalidResponse).await;
        }
    });
}
