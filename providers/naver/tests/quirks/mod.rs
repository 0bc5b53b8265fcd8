//! Naver's own quirks: the profile wrapped in a `response` envelope whose `resultcode` says
//! whether the call succeeded, even when the HTTP status is 200; lifetimes sent as text.

use std::sync::Arc;

use social_core::{ErrorKind, Outcome};
use social_testkit::provider::{Fixture, Harness, expect_kind};

use super::fixture;

/// The fixture with the user API answering `body` with status 200.
fn answering(body: &str) -> Fixture {
    Fixture::new(social_naver::NAME)
        .endpoint("api_url", "/v1/nid/me")
        .token(
            "POST",
            "/oauth2.0/token",
            social_testkit::fixture!("token.json"),
        )
        .api("GET", "/v1/nid/me", body)
}

async fn login(fixture: &Fixture) -> (Harness, social_core::Result<Outcome>) {
    let h = Harness::new(Arc::new(social_naver::backend()), fixture).await;
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    let outcome = h.login().await;
    (h, outcome)
}

#[tokio::test]
async fn an_error_result_code_in_a_200_answer_refuses_the_login() {
    for body in [
        r#"{"resultcode":"024","message":"Authentication failed / 인증에 실패했습니다."}"#,
        r#"{"resultcode":"500","message":"Internal Server Error","response":{"id":"x"}}"#,
        r#"{"message":"success","response":{"id":"Qx7bN2mVr5TzK0pLs9HdWf3gYe1aUc4jRi6oEt8yCqA"}}"#,
    ] {
        let (h, outcome) = login(&answering(body)).await;
        if let Err(e) = &outcome {
            assert!(e.to_string().contains("resultcode"), "{e}");
        }
        expect_kind(body, outcome, ErrorKind::ProviderRejected);
        h.assert_nothing_written(body);
    }
}

#[tokio::test]
async fn the_user_comes_out_of_the_envelope_unverified_with_a_token_lifetime() {
    let (_, outcome) = login(&fixture()).await;
    let Ok(Outcome::LoggedIn(done)) = outcome else {
        panic!("login failed: {outcome:?}")
    };
    let account = done.account.expect("an account");
    assert_eq!(account.uid, "Qx7bN2mVr5TzK0pLs9HdWf3gYe1aUc4jRi6oEt8yCqA");
    assert_eq!(done.user.email.as_deref(), Some("gildong@example.com"));
    assert!(!done.user.email_verified, "Naver does not vouch for it");
    let tokens = account.tokens().expect("tokens");
    assert!(
        tokens.expires_at.is_some(),
        "`expires_in` comes as the text \"3600\""
    );
}
