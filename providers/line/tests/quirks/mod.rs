//! LINE's own quirks: the user is the profile call's, keyed by `userId`; an ID token in the
//! token answer (scope `openid`) is kept but not read, so it never supplies an e-mail address.

use std::sync::Arc;

use social_core::{Outcome, Value, serde_json};
use social_testkit::provider::{Fixture, Harness};

/// A token answer with an ID token naming `email`, as LINE sends with `openid email`; its
/// signature is HMAC with the channel secret, which the OpenID Connect base refuses.
fn token_with_id_token(email: &str) -> String {
    use base64::Engine as _;
    let part = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let id_token = format!(
        "{}.{}.c2lnbmF0dXJl",
        part(serde_json::json!({"typ": "JWT", "alg": "HS256"})),
        part(serde_json::json!({
            "iss": "https://access.line.me", "sub": "U00000000000000000000000000000000",
            "aud": "1234567890", "exp": 1_900_000_000, "iat": 1_800_000_000,
            "email": email,
        })),
    );
    let mut token: Value =
        serde_json::from_str(social_testkit::fixture!("token.json")).unwrap_or_default();
    token["id_token"] = Value::String(id_token);
    token["scope"] = Value::String("profile openid email".into());
    token.to_string()
}

#[tokio::test]
async fn the_user_is_the_profile_calls_and_an_id_token_is_not_read() {
    let fixture = Fixture::new(social_line::NAME)
        .endpoint("api_url", "")
        .token(
            "POST",
            "/oauth2/v2.1/token",
            &token_with_id_token("someone-else@example.com"),
        )
        .api("GET", "/v2/profile", social_testkit::fixture!("user.json"));
    let h = Harness::new(Arc::new(social_line::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    let outcome = h.login().await;
    let Ok(Outcome::LoggedIn(done)) = outcome else {
        panic!("login failed: {outcome:?}")
    };
    let account = done.account.expect("an account");
    assert_eq!(account.uid, "U4af4980629d1c2e3f4a5b6c7d8e9f0a1");
    assert_eq!(done.user.fullname.as_deref(), Some("Brown"));
    assert_eq!(done.user.email, None, "the unverified ID token is not read");
    assert!(!done.user.email_verified);
    assert!(
        account.tokens().and_then(|t| t.id_token).is_some(),
        "the ID token is kept with the tokens"
    );
    assert_eq!(
        account.extra_data.get("statusMessage"),
        Some(&Value::String("Hello, LINE!".into()))
    );
}
