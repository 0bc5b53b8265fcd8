//! Twitter passes the OAuth 1.0a conformance suite from recorded fixtures, plus its own
//! mapping quirks.

use std::sync::Arc;

use social_core::{Value, serde_json::json};
use social_oauth1::OAuth1Provider;
use social_testkit::oauth1::Fixture;
use social_twitter::Twitter;

fn fixture() -> Fixture {
    Fixture::new("twitter")
        .request_token(
            "POST",
            "/oauth/request_token",
            social_testkit::fixture!("request_token.txt"),
        )
        .authorize("/oauth/authenticate")
        .access_token(
            "POST",
            "/oauth/access_token",
            social_testkit::fixture!("access_token.txt"),
        )
        .endpoint("api_url", "/1.1")
        .api(
            "GET",
            "/1.1/account/verify_credentials.json",
            social_testkit::fixture!("verify_credentials.json"),
        )
}

social_testkit::oauth1_conformance!(
    backend = Arc::new(social_twitter::backend()),
    fixture = fixture()
);

fn user(value: Value) -> social_core::UserDetails {
    Twitter.user_details(&value)
}

#[test]
fn uid_is_the_text_id() {
    // 2^53 + 1: a float-based JSON parser would round `id`.
    let data = json!({"id": 9_007_199_254_740_993_u64, "id_str": "9007199254740993"});
    assert_eq!(
        Twitter.user_id(&data).ok().as_deref(),
        Some("9007199254740993")
    );
    assert!(Twitter.user_id(&json!({"id": 1})).is_err(), "no id_str");
}

#[test]
fn email_is_verified_when_present() {
    let with = user(json!({"screen_name": "ada", "email": "ada@example.com"}));
    assert_eq!(with.email.as_deref(), Some("ada@example.com"));
    assert!(with.email_verified);
    // No permission: no field; no verified address: null.
    for data in [
        json!({"screen_name": "ada"}),
        json!({"screen_name": "ada", "email": null}),
    ] {
        let without = user(data);
        assert_eq!(without.email, None);
        assert!(!without.email_verified);
    }
    assert_eq!(with.profile_url.as_deref(), Some("https://x.com/ada"));
}
