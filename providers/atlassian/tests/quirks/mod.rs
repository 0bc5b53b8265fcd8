//! Atlassian's own behaviour: the fixed `audience` and `prompt` of the authorize URL, two
//! user calls that both carry the bearer token, the sites kept as extra data, and a failing or
//! malformed second call that logs nobody in.

use std::sync::Arc;

use social_core::{ErrorKind, Outcome, serde_json::json};
use social_testkit::{
    provider::{Fixture, Harness},
    query_param,
    wiremock::{Mock, ResponseTemplate, matchers},
};

use super::fixture;

const BEARER: &str = "Bearer eyJraWQiOiJhdGxhc3NpYW4tdGVzdCIsImFsZyI6IlJTMjU2In0.e30.c2lnbmF0dXJl";
const RESOURCES: &str = "/oauth/token/accessible-resources";

async fn harness(fixture: &Fixture) -> Harness {
    Harness::new(Arc::new(social_atlassian::backend()), fixture).await
}

#[tokio::test]
async fn the_authorize_url_asks_for_the_api_audience_and_consent_without_pkce() {
    let h = harness(&fixture()).await;
    let (_, url) = h.begin().await;
    let url = url.to_string();
    assert_eq!(
        query_param(&url, "audience").as_deref(),
        Some("api.atlassian.com")
    );
    assert_eq!(query_param(&url, "prompt").as_deref(), Some("consent"));
    assert_eq!(
        query_param(&url, "scope").as_deref(),
        Some("read:me offline_access")
    );
    assert_eq!(query_param(&url, "code_challenge"), None, "no PKCE");
}

#[tokio::test]
async fn both_user_calls_carry_the_bearer_token_and_the_sites_are_kept() {
    let fixture = fixture();
    let h = harness(&fixture).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    let done = match h.login().await {
        Ok(Outcome::LoggedIn(done)) => done,
        other => panic!("login failed: {other:?}"),
    };
    let requests = h.server.received_requests().await.unwrap_or_default();
    let calls: Vec<_> = requests
        .iter()
        .filter(|r| r.method.as_str() == "GET")
        .collect();
    let paths: Vec<&str> = calls.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/me", RESOURCES], "the account, then the sites");
    for call in calls {
        let authorization = call
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        assert_eq!(authorization, Some(BEARER), "{}", call.url.path());
        assert_eq!(call.url.query(), None, "no token in {}", call.url);
    }

    let account = done.account.expect("an account");
    assert_eq!(account.uid, "712020:5c6d7e8f-1a2b-4c3d-9e8f-0a1b2c3d4e5f");
    assert_eq!(done.user.email.as_deref(), Some("ada@example.com"));
    assert!(
        !done.user.email_verified,
        "Atlassian does not say it verified it"
    );
    assert_eq!(
        account.extra_data.get("accessible_resources"),
        Some(&json!([
            {"id": "1324a887-45db-1bf4-1e99-ef0ff456d421", "name": "Analytical Engine",
             "url": "https://analytical-engine.example.com",
             "scopes": ["read:jira-work", "read:jira-user"]},
            {"id": "9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4", "name": "Difference Engine",
             "url": "https://difference-engine.example.com",
             "scopes": ["read:confluence-content.all"]}
        ]))
    );
}

/// A login whose account call succeeds and whose sites call answers `response`.
async fn with_sites_answer(response: ResponseTemplate) -> (Harness, social_core::Result<Outcome>) {
    let fixture = fixture();
    let h = harness(&fixture).await;
    h.mount_token(&fixture, 1).await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/me"))
        .and(matchers::header("authorization", BEARER))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(social_testkit::fixture!("me.json"), "application/json"),
        )
        .expect(1)
        .mount(&h.server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(RESOURCES))
        .and(matchers::header("authorization", BEARER))
        .respond_with(response)
        .expect(1)
        .mount(&h.server)
        .await;
    let outcome = h.login().await;
    (h, outcome)
}

#[tokio::test]
async fn a_failing_sites_call_logs_nobody_in() {
    for status in [500, 503] {
        let (h, outcome) = with_sites_answer(ResponseTemplate::new(status)).await;
        match outcome {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::ProviderUnavailable, "{e}");
                assert!(
                    e.details().contains("accessible-resources"),
                    "the error names the failing call: {e}"
                );
            }
            Ok(other) => panic!("logged in although the sites call failed: {other:?}"),
        }
        h.assert_nothing_written("sites call failed");
    }
    let (h, outcome) = with_sites_answer(
        ResponseTemplate::new(403)
            .set_body_raw(r#"{"code":403,"message":"Forbidden"}"#, "application/json"),
    )
    .await;
    assert!(
        matches!(&outcome, Err(e) if e.kind() == ErrorKind::ProviderRejected),
        "{outcome:?}"
    );
    h.assert_nothing_written("sites call refused");
}

#[tokio::test]
async fn a_sites_answer_that_is_not_a_list_logs_nobody_in() {
    let (h, outcome) = with_sites_answer(
        ResponseTemplate::new(200).set_body_raw(r#"{"sites":[]}"#, "application/json"),
    )
    .await;
    match outcome {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
            assert!(e.details().contains("accessible-resources"), "{e}");
        }
        Ok(other) => panic!("logged in on a malformed sites answer: {other:?}"),
    }
    h.assert_nothing_written("malformed sites answer");
}

#[tokio::test]
async fn a_token_for_no_site_still_logs_in_with_an_empty_list() {
    let (_, outcome) =
        with_sites_answer(ResponseTemplate::new(200).set_body_raw("[]", "application/json")).await;
    let done = social_testkit::logged_in(outcome);
    let account = done.account.expect("an account");
    assert_eq!(
        account.extra_data.get("accessible_resources"),
        Some(&json!([]))
    );
}
