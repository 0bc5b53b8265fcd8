//! Instagram's own quirks: the code exchange answered wrapped in `data` (as Meta documents it)
//! or flat, comma-joined `instagram_business_*` scopes, the professional account id as uid,
//! Graph API errors read whatever the status, the optional long-lived token.

use std::sync::Arc;

use social_core::{ErrorKind, Value, serde_json};
use social_testkit::{
    provider::{CLIENT_SECRET, Fixture, Harness, expect_kind},
    wiremock::{Mock, Request, ResponseTemplate, matchers},
};

const WRAPPED: &str = social_testkit::fixture!("token.json");
const FLAT: &str = social_testkit::fixture!("token_flat.json");
const USER: &str = social_testkit::fixture!("user.json");
/// The short-lived access token of both token answers.
const SHORT: &str = "IGAAFakeShortLivedToken0b1c2d3e4f";
const LONG: &str = "IGAAFakeLongLivedToken9z8y7x6w5v";
/// The professional account id of `user.json`.
const IG_ID: &str = "17841400000000042";

fn fixture_with(token: &str) -> Fixture {
    Fixture::new(social_instagram::NAME)
        .token("POST", "/oauth/access_token", token)
        .endpoint("api_url", "/v25.0")
        .endpoint("exchange_token_url", "/access_token")
        .api("GET", "/v25.0/me", USER)
}

/// A fake Instagram answering the code exchange with `token`; nothing else is mounted.
async fn instagram(fixture: &Fixture) -> Harness {
    let h = Harness::new(Arc::new(social_instagram::backend()), fixture).await;
    h.mount_token(fixture, 1).await;
    h
}

/// Answers `/me` when it carries the short-lived token in its query.
async fn me_answers(h: &Harness, response: ResponseTemplate) {
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/v25.0/me"))
        .respond_with(response)
        .mount(&h.server)
        .await;
}

fn json(status: u16, body: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "application/json")
}

async fn sent_to(h: &Harness, path: &str) -> Vec<Request> {
    let requests = h.server.received_requests().await.unwrap_or_default();
    requests
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

fn query(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[test]
fn the_documented_token_answer_wrapped_in_data_logs_in() {
    social_testkit::run(async {
        let h = instagram(&fixture_with(WRAPPED)).await;
        me_answers(&h, json(200, USER)).await;
        let login = social_testkit::logged_in(h.login().await);
        let account = login.account.expect("an account");
        assert_eq!(
            account.uid, IG_ID,
            "the professional account id, not the app-scoped id"
        );
        assert_eq!(login.user.username, "bakery.example");
        assert_eq!(login.user.fullname.as_deref(), Some("Example Bakery"));
        assert_eq!(
            account
                .tokens()
                .map(|t| t.access_token.secret().to_owned())
                .as_deref(),
            Some(SHORT)
        );
        assert_eq!(
            account.extra_data["permissions"],
            "instagram_business_basic"
        );
        assert_eq!(
            account.extra_data["id"], "9081726354",
            "the app-scoped id kept"
        );
        let calls = sent_to(&h, "/v25.0/me").await;
        let [me] = calls.as_slice() else {
            panic!("one user call, got {}", calls.len())
        };
        assert_eq!(query(me, "access_token").as_deref(), Some(SHORT));
        assert_eq!(
            query(me, "fields").as_deref(),
            Some("user_id,username,name,account_type,profile_picture_url")
        );
        assert!(
            sent_to(&h, "/access_token").await.is_empty(),
            "no exchange by default"
        );
    });
}

#[test]
fn token_answers_without_a_token_are_token_errors() {
    social_testkit::run(async {
        for (case, status, body) in [
            (
                "rejected code",
                400,
                r#"{"error_type":"OAuthException","code":400,"error_message":"Matching code was not found or was already used"}"#,
            ),
            ("an empty data list", 200, r#"{"data":[]}"#),
            (
                "two tokens",
                200,
                r#"{"data":[{"access_token":"a","user_id":"1"},{"access_token":"b","user_id":"2"}]}"#,
            ),
            (
                "data of the wrong type",
                200,
                r#"{"data":{"access_token":"a"}}"#,
            ),
        ] {
            let fixture = fixture_with(FLAT);
            let h = Harness::new(Arc::new(social_instagram::backend()), &fixture).await;
            Mock::given(matchers::path("/oauth/access_token"))
                .respond_with(json(status, body))
                .mount(&h.server)
                .await;
            me_answers(&h, json(200, USER)).await;
            expect_kind(case, h.login().await, ErrorKind::TokenError);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn graph_api_errors_become_error_kinds_whatever_the_status() {
    social_testkit::run(async {
        let no_user_id = {
            let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
            if let Some(object) = user.as_object_mut() {
                object.remove("user_id");
            }
            user.to_string()
        };
        for (case, response, kind) in [
            (
                "expired token (190)",
                json(
                    400,
                    r#"{"error":{"message":"Error validating access token: Session has expired.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AFakeTrace1"}}"#,
                ),
                ErrorKind::ProviderRejected,
            ),
            (
                "app throttled (4) in a 200",
                json(
                    200,
                    r#"{"error":{"message":"Application request limit reached","type":"OAuthException","code":4,"fbtrace_id":"AFakeTrace2"}}"#,
                ),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "user throttled (17)",
                json(
                    403,
                    r#"{"error":{"message":"User request limit reached","type":"OAuthException","code":17,"fbtrace_id":"AFakeTrace3"}}"#,
                ),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "temporary service error (2)",
                json(
                    500,
                    r#"{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","code":2,"fbtrace_id":"AFakeTrace4"}}"#,
                ),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "permission missing (10)",
                json(
                    400,
                    r#"{"error":{"message":"Application does not have permission for this action","type":"OAuthException","code":10,"fbtrace_id":"AFakeTrace5"}}"#,
                ),
                ErrorKind::ProviderRejected,
            ),
            (
                "rate limited without a body (429)",
                ResponseTemplate::new(429),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "no user_id",
                json(200, &no_user_id),
                ErrorKind::InvalidResponse,
            ),
            (
                "not an object",
                json(200, r#"["bakery.example"]"#),
                ErrorKind::InvalidResponse,
            ),
        ] {
            let h = instagram(&fixture_with(WRAPPED)).await;
            me_answers(&h, response).await;
            expect_kind(case, h.login().await, kind);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn long_lived_exchanges_the_token_before_it_is_stored() {
    social_testkit::run(async {
        let fixture = fixture_with(WRAPPED).option("long_lived", "true");
        let h = instagram(&fixture).await;
        me_answers(&h, json(200, USER)).await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path("/access_token"))
            .and(matchers::query_param("grant_type", "ig_exchange_token"))
            .and(matchers::query_param("client_secret", CLIENT_SECRET))
            .and(matchers::query_param("access_token", SHORT))
            .respond_with(json(
                200,
                &format!(
                    r#"{{"access_token":"{LONG}","token_type":"bearer","expires_in":5183944}}"#
                ),
            ))
            .expect(1)
            .mount(&h.server)
            .await;
        let login = social_testkit::logged_in(h.login().await);
        let account = login.account.expect("an account");
        let tokens = account.tokens().expect("tokens");
        assert_eq!(tokens.access_token.secret(), LONG);
        let expires_in = tokens.expires_at.unwrap_or_default() - account.modified_at;
        assert!(
            (5_183_900..=5_184_000).contains(&expires_in),
            "about 60 days: {expires_in}"
        );
        // The profile was read with the short-lived token, before the exchange.
        let me = sent_to(&h, "/v25.0/me").await;
        assert_eq!(
            me.first().and_then(|r| query(r, "access_token")).as_deref(),
            Some(SHORT)
        );
    });
}

#[test]
fn a_failing_exchange_fails_the_login_and_writes_nothing() {
    social_testkit::run(async {
        for (case, response, kind) in [
            (
                "refused (190)",
                json(
                    400,
                    r#"{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190,"fbtrace_id":"AFakeTrace6"}}"#,
                ),
                ErrorKind::TokenError,
            ),
            (
                "server error",
                ResponseTemplate::new(502),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "no token",
                json(200, r#"{"token_type":"bearer"}"#),
                ErrorKind::TokenError,
            ),
        ] {
            let fixture = fixture_with(FLAT).option("long_lived", "true");
            let h = instagram(&fixture).await;
            me_answers(&h, json(200, USER)).await;
            Mock::given(matchers::path("/access_token"))
                .respond_with(response)
                .mount(&h.server)
                .await;
            expect_kind(case, h.login().await, kind);
            h.assert_nothing_written(case);
        }
    });
}

#[test]
fn scopes_are_business_scopes_joined_with_commas_and_no_pkce() {
    social_testkit::run(async {
        let settings = social_testkit::settings_from(
            "",
            &[
                ("SOCIAL_AUTH_INSTAGRAM_KEY", "990602627938098"),
                ("SOCIAL_AUTH_INSTAGRAM_SECRET", "s"),
                (
                    "SOCIAL_AUTH_INSTAGRAM_EXTRA_SCOPE",
                    "instagram_business_manage_messages",
                ),
            ],
        );
        let (auth, _) = social_testkit::social_auth(social_instagram::backend(), settings, None)
            .expect("builds");
        let strategy = social_core::MemoryStrategy::new("http://testserver");
        let flow = auth
            .begin(&strategy, social_instagram::NAME)
            .await
            .expect("begins");
        let url = flow.redirect_url().unwrap_or_default();
        assert!(
            url.starts_with("https://www.instagram.com/oauth/authorize?"),
            "{url}"
        );
        assert_eq!(
            social_testkit::query_param(url, "scope").as_deref(),
            Some("instagram_business_basic,instagram_business_manage_messages")
        );
        assert_eq!(social_testkit::query_param(url, "code_challenge"), None);
    });
}

#[test]
fn the_long_lived_setting_is_checked_at_start_up() {
    let build = |value: &str| {
        let settings = social_testkit::settings_from(
            "",
            &[
                ("SOCIAL_AUTH_INSTAGRAM_KEY", "k"),
                ("SOCIAL_AUTH_INSTAGRAM_SECRET", "s"),
                ("SOCIAL_AUTH_INSTAGRAM_LONG_LIVED", value),
            ],
        );
        social_testkit::social_auth(social_instagram::backend(), settings, None).map(drop)
    };
    build("true").expect("a boolean");
    let err = build("sixty days").expect_err("not a boolean");
    assert!(
        err.to_string().contains("SOCIAL_AUTH_INSTAGRAM_LONG_LIVED"),
        "{err}"
    );
}

#[test]
fn the_exchange_timing_out_is_a_time_out() {
    social_testkit::run(async {
        let fixture = fixture_with(WRAPPED).option("long_lived", "true");
        let h = instagram(&fixture).await;
        me_answers(&h, json(200, USER)).await;
        Mock::given(matchers::path("/access_token"))
            .respond_with(
                json(
                    200,
                    &format!(r#"{{"access_token":"{LONG}","expires_in":5183944}}"#),
                )
                .set_delay(std::time::Duration::from_secs(4)),
            )
            .mount(&h.server)
            .await;
        expect_kind("exchange time-out", h.login().await, ErrorKind::Timeout);
        h.assert_nothing_written("exchange time-out");
    });
}
