//! Weibo's own quirks: the uid comes with the token (or from `oauth2/get_token_info`, checked
//! to belong to this application), the user call names it and must answer for it, the token
//! rides in the query, and errors carry Weibo's `error_code`, whatever the HTTP status.

use std::sync::Arc;

use social_core::{ErrorKind, Outcome, Value, serde_json};
use social_testkit::{
    provider::{CLIENT_ID, Fixture, Harness, expect_kind},
    wiremock::{Mock, ResponseTemplate, matchers},
};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
/// The access token of `token.json`.
const ACCESS: &str = "2.00weibo-access-token-5b8e1f0c7a";
const UID: &str = "5813720694";

/// `text` as JSON, changed by `change`.
fn edited(text: &str, change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut value: Value = serde_json::from_str(text).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        change(object);
    }
    value.to_string()
}

/// The suite's fixture with other token and user answers.
fn fixture_with(token: &str, user: &str) -> Fixture {
    Fixture::new(social_weibo::NAME)
        .token("POST", "/oauth2/access_token", token)
        .endpoint("api_url", "/2")
        .endpoint("token_info_url", "/oauth2/get_token_info")
        .api("GET", "/2/users/show.json", user)
}

/// A fake Weibo answering the token request with `token`; nothing else is mounted.
async fn weibo(token: &str) -> (Harness, Fixture) {
    let fixture = fixture_with(token, USER);
    let h = Harness::new(Arc::new(social_weibo::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    (h, fixture)
}

/// Answers `GET /2/users/show.json` with `status` and `body`.
async fn user_answers(h: &Harness, status: u16, body: &str) {
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/2/users/show.json"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
        .mount(&h.server)
        .await;
}

/// The requests the fake Weibo received at `path`.
async fn sent_to(h: &Harness, path: &str) -> Vec<social_testkit::wiremock::Request> {
    let requests = h.server.received_requests().await.unwrap_or_default();
    requests
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

fn query(request: &social_testkit::wiremock::Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn the_uid_comes_with_the_token_and_the_user_call_names_it() {
    social_testkit::run(async {
        let (h, fixture) = weibo(TOKEN).await;
        h.mount_apis(&fixture).await;
        let login = social_testkit::logged_in(h.login().await);
        let account = login.account.expect("an account");
        assert_eq!(account.uid, UID);
        assert_eq!(login.user.username, "晓明同学", "the `name` by default");
        assert_eq!(login.user.email, None, "Weibo gives no e-mail address");
        let calls = sent_to(&h, "/2/users/show.json").await;
        let [call] = calls.as_slice() else {
            panic!("one user call, got {}", calls.len())
        };
        assert_eq!(query(call, "uid").as_deref(), Some(UID));
        assert_eq!(query(call, "access_token").as_deref(), Some(ACCESS));
        assert!(
            call.headers.get("authorization").is_none(),
            "no bearer header"
        );
        assert!(
            sent_to(&h, "/oauth2/get_token_info").await.is_empty(),
            "no token-information call when the token names its uid"
        );
        assert_eq!(account.extra_data["gender"], "m");
    });
}

#[test]
fn without_a_uid_in_the_token_response_the_token_information_gives_it() {
    social_testkit::run(async {
        let token = edited(TOKEN, |t| {
            t.remove("uid");
        });
        let (h, fixture) = weibo(&token).await;
        h.mount_apis(&fixture).await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth2/get_token_info"))
            .and(matchers::query_param("access_token", ACCESS))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                format!(
                    r#"{{"uid":{UID},"appkey":"{CLIENT_ID}","scope":null,"create_at":1700000000,"expire_in":157679471}}"#
                ),
                "application/json",
            ))
            .expect(1)
            .mount(&h.server)
            .await;
        let login = social_testkit::logged_in(h.login().await);
        assert_eq!(login.account.expect("an account").uid, UID);
        let calls = sent_to(&h, "/2/users/show.json").await;
        assert_eq!(
            calls.first().and_then(|c| query(c, "uid")).as_deref(),
            Some(UID)
        );
    });
}

#[test]
fn a_token_of_another_application_is_refused() {
    social_testkit::run(async {
        let token = edited(TOKEN, |t| {
            t.insert("uid".into(), Value::Null);
        });
        let (h, fixture) = weibo(&token).await;
        h.mount_apis(&fixture).await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth2/get_token_info"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                format!(r#"{{"uid":{UID},"appkey":1352222456,"scope":null}}"#),
                "application/json",
            ))
            .mount(&h.server)
            .await;
        expect_kind(
            "appkey of another app",
            h.login().await,
            ErrorKind::InvalidResponse,
        );
        h.assert_nothing_written("appkey of another app");
        assert!(
            sent_to(&h, "/2/users/show.json").await.is_empty(),
            "no user call"
        );
    });
}

#[test]
fn the_token_information_call_timing_out_is_a_time_out() {
    social_testkit::run(async {
        let token = edited(TOKEN, |t| {
            t.remove("uid");
        });
        let (h, fixture) = weibo(&token).await;
        h.mount_apis(&fixture).await;
        Mock::given(matchers::path("/oauth2/get_token_info"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(format!(r#"{{"uid":{UID}}}"#), "application/json")
                    .set_delay(std::time::Duration::from_secs(4)),
            )
            .mount(&h.server)
            .await;
        expect_kind(
            "token information time-out",
            h.login().await,
            ErrorKind::Timeout,
        );
        h.assert_nothing_written("token information time-out");
    });
}

#[test]
fn a_uid_that_is_not_a_weibo_uid_is_refused() {
    social_testkit::run(async {
        for (case, uid) in [
            ("letters", Value::String("5813abc".into())),
            ("an object", serde_json::json!({"id": UID})),
            ("a negative number", serde_json::json!(-5)),
        ] {
            let token = edited(TOKEN, |t| {
                t.insert("uid".into(), uid);
            });
            let (h, fixture) = weibo(&token).await;
            h.mount_apis(&fixture).await;
            expect_kind(case, h.login().await, ErrorKind::InvalidResponse);
            h.assert_nothing_written(case);
        }
        // No uid anywhere: the token information lacks it too.
        let token = edited(TOKEN, |t| {
            t.remove("uid");
        });
        let (h, fixture) = weibo(&token).await;
        h.mount_apis(&fixture).await;
        Mock::given(matchers::path("/oauth2/get_token_info"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(format!(r#"{{"appkey":"{CLIENT_ID}"}}"#), "application/json"),
            )
            .mount(&h.server)
            .await;
        expect_kind(
            "no uid anywhere",
            h.login().await,
            ErrorKind::InvalidResponse,
        );
        h.assert_nothing_written("no uid anywhere");
    });
}

#[test]
fn a_user_answer_for_another_uid_is_refused() {
    social_testkit::run(async {
        for (case, user) in [
            (
                "another id",
                edited(USER, |u| {
                    u.insert("id".into(), serde_json::json!(1_404_376_560_u64));
                    u.insert("idstr".into(), "1404376560".into());
                }),
            ),
            (
                "no id",
                edited(USER, |u| {
                    u.remove("id");
                    u.remove("idstr");
                }),
            ),
        ] {
            let (h, _) = weibo(TOKEN).await;
            user_answers(&h, 200, &user).await;
            expect_kind(case, h.login().await, ErrorKind::InvalidResponse);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn weibo_error_codes_become_error_kinds_whatever_the_status() {
    social_testkit::run(async {
        for (case, status, body, kind) in [
            (
                "user rate limit (10023)",
                403,
                r#"{"request":"/2/users/show.json","error_code":"10023","error":"User requests out of rate limit!"}"#,
                ErrorKind::ProviderUnavailable,
            ),
            (
                "IP rate limit (10022) in a 200",
                200,
                r#"{"request":"/2/users/show.json","error_code":10022,"error":"IP requests out of rate limit!"}"#,
                ErrorKind::ProviderUnavailable,
            ),
            (
                "system error (10001)",
                500,
                r#"{"request":"/2/users/show.json","error_code":"10001","error":"System error"}"#,
                ErrorKind::ProviderUnavailable,
            ),
            (
                "expired token (21327) in a 200",
                200,
                r#"{"request":"/2/users/show.json","error_code":21327,"error":"expired_token"}"#,
                ErrorKind::ProviderRejected,
            ),
            (
                "invalid token (21332)",
                401,
                r#"{"request":"/2/users/show.json","error_code":"21332","error":"invalid_access_token"}"#,
                ErrorKind::ProviderRejected,
            ),
            (
                "insufficient app permissions (10014)",
                403,
                r#"{"request":"/2/users/show.json","error_code":"10014","error":"Insufficient app permissions!"}"#,
                ErrorKind::ProviderRejected,
            ),
            (
                "an `error` without a code in a 200",
                200,
                r#"{"error":"something went wrong"}"#,
                ErrorKind::ProviderRejected,
            ),
            (
                "not an object",
                200,
                r#"[5813720694]"#,
                ErrorKind::InvalidResponse,
            ),
            (
                "not JSON",
                200,
                "<html>weibo</html>",
                ErrorKind::InvalidResponse,
            ),
        ] {
            let (h, _) = weibo(TOKEN).await;
            user_answers(&h, status, body).await;
            expect_kind(case, h.login().await, kind);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn token_endpoint_errors_are_token_errors() {
    social_testkit::run(async {
        for (case, status, body) in [
            (
                "invalid code (21325)",
                400,
                r#"{"error":"invalid_grant","error_code":21325,"request":"/oauth2/access_token","error_uri":"/oauth2/access_token","error_description":"invalid authorization code"}"#,
            ),
            (
                "an error code in a 200",
                200,
                r#"{"error_code":21325,"request":"/oauth2/access_token","error_description":"invalid authorization code"}"#,
            ),
        ] {
            let fixture = fixture_with(TOKEN, USER);
            let h = Harness::new(Arc::new(social_weibo::backend()), &fixture).await;
            Mock::given(matchers::path("/oauth2/access_token"))
                .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
                .mount(&h.server)
                .await;
            h.mount_apis(&fixture).await;
            expect_kind(case, h.login().await, ErrorKind::TokenError);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn domain_as_username_takes_the_personal_domain() {
    social_testkit::run(async {
        let fixture = fixture_with(TOKEN, USER).option("domain_as_username", "true");
        let h = Harness::new(Arc::new(social_weibo::backend()), &fixture).await;
        h.mount_token(&fixture, 1).await;
        h.mount_apis(&fixture).await;
        let login = social_testkit::logged_in(h.login().await);
        assert_eq!(login.user.username, "xiaoming");

        // Without a domain, the name again.
        let user = edited(USER, |u| {
            u.insert("domain".into(), "".into());
        });
        let fixture = fixture_with(TOKEN, &user).option("domain_as_username", "true");
        let h = Harness::new(Arc::new(social_weibo::backend()), &fixture).await;
        h.mount_token(&fixture, 1).await;
        h.mount_apis(&fixture).await;
        match h.login().await {
            Ok(Outcome::LoggedIn(login)) => assert_eq!(login.user.username, "晓明同学"),
            other => panic!("login failed: {other:?}"),
        }
    });
}

#[test]
fn the_setting_is_read_from_the_environment() {
    let settings = social_testkit::settings_from(
        "",
        &[
            ("SOCIAL_AUTH_WEIBO_KEY", "k"),
            ("SOCIAL_AUTH_WEIBO_SECRET", "s"),
            ("SOCIAL_AUTH_WEIBO_DOMAIN_AS_USERNAME", "yes"),
        ],
    );
    social_testkit::social_auth(social_weibo::backend(), settings, None).expect("accepted");
    let settings = social_testkit::settings_from(
        "",
        &[
            ("SOCIAL_AUTH_WEIBO_KEY", "k"),
            ("SOCIAL_AUTH_WEIBO_SECRET", "s"),
            ("SOCIAL_AUTH_WEIBO_DOMAIN_AS_USERNAME", "perhaps"),
        ],
    );
    let err = social_testkit::social_auth(social_weibo::backend(), settings, None)
        .expect_err("not a boolean");
    assert!(
        err.to_string()
            .contains("SOCIAL_AUTH_WEIBO_DOMAIN_AS_USERNAME"),
        "{err}"
    );
}

#[test]
fn no_pkce_and_no_scope_by_default() {
    social_testkit::run(async {
        let fixture = fixture_with(TOKEN, USER);
        let h = Harness::new(Arc::new(social_weibo::backend()), &fixture).await;
        let (_, url) = h.begin().await;
        let names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        assert_eq!(
            names,
            ["client_id", "redirect_uri", "response_type", "state"],
            "{url}"
        );
    });
}

#[test]
fn scopes_are_joined_with_commas() {
    social_testkit::run(async {
        let settings = social_testkit::settings_from(
            "[backends.weibo]\nkey = \"k\"\nsecret = \"s\"\nscope = [\"email\", \"follow_app_official_microblog\"]\n",
            &[],
        );
        let (auth, _) =
            social_testkit::social_auth(social_weibo::backend(), settings, None).expect("builds");
        let strategy = social_core::MemoryStrategy::new("http://testserver");
        let flow = auth
            .begin(&strategy, social_weibo::NAME)
            .await
            .expect("begins");
        let url = flow.redirect_url().unwrap_or_default();
        assert!(
            url.starts_with("https://api.weibo.com/oauth2/authorize?"),
            "{url}"
        );
        assert_eq!(
            social_testkit::query_param(url, "scope").as_deref(),
            Some("email,follow_app_official_microblog")
        );
    });
}
