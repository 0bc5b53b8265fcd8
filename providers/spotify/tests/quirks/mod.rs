//! Spotify's own behaviour: the uid is the immutable `account_id` (the user id can change),
//! the picture is the first of `images`, the e-mail is never verified, and every token
//! request, refresh included, authenticates the client with HTTP Basic.

use std::sync::Arc;

use social_core::serde_json::{self, Value, json};
use social_core::{ErrorKind, Outcome};
use social_oauth2::OAuth2Provider;
use social_testkit::provider::{CLIENT_SECRET, Fixture, Harness};
use social_testkit::wiremock::{Mock, ResponseTemplate, matchers};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");

/// The fixture user with `change` applied to its JSON.
fn user_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(object) = user.as_object_mut() {
        change(object);
    }
    user
}

fn spotify(user: &str) -> Fixture {
    Fixture::new(social_spotify::NAME)
        .endpoint("api_url", "/v1")
        .token("POST", "/api/token", TOKEN)
        .api("GET", "/v1/me", user)
}

/// Mounts the token answer and `user` for `/me`, then logs in once.
async fn login(h: &Harness, user: &str) -> social_core::Login {
    let fixture = spotify(user);
    h.server.reset().await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

#[test]
fn a_renamed_user_id_finds_the_same_account() {
    social_testkit::run(async {
        let h = Harness::new(Arc::new(social_spotify::backend()), &spotify(USER)).await;
        let first = login(&h, USER).await;
        assert_eq!(
            first.account.as_ref().map(|a| a.uid.as_str()),
            Some("q7Rk2Wd9Lx")
        );
        assert_eq!(first.user.username, "lenamq");

        let renamed = user_with(|u| {
            u.insert("id".into(), json!("lena-m"));
        });
        let again = login(&h, &renamed.to_string()).await;
        assert!(!again.is_new && !again.new_association, "same account");
        assert_eq!(again.user.id, first.user.id);
        assert_eq!(h.storage.counts(), (1, 1));
    });
}

#[test]
fn an_answer_without_account_id_is_refused_rather_than_keyed_on_the_user_id() {
    let user = user_with(|u| {
        u.remove("account_id");
    });
    match social_spotify::SPEC.user_id(&user) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
            assert!(e.details().contains("/account_id"), "{e}");
        }
        Ok(uid) => panic!("keyed on {uid:?} without an account id"),
    }
}

#[test]
fn the_first_image_is_the_picture_and_the_email_is_never_verified() {
    let user = user_with(|_| {});
    let details = social_spotify::SPEC.user_details(&user);
    assert_eq!(
        details.picture.as_deref(),
        Some("https://i.scdn.co/image/ab6775700000ee85scrubbed0000000000000001")
    );
    assert_eq!(
        details.profile_url.as_deref(),
        Some("https://open.spotify.com/user/lenamq")
    );
    assert_eq!(details.fullname.as_deref(), Some("Lena Marquardt"));
    // Spotify documents the address as unverified.
    assert_eq!(details.email.as_deref(), Some("lena.marquardt@example.net"));
    assert!(!details.email_verified);

    // No picture uploaded, no display name, no `user-read-email` scope.
    let bare = user_with(|u| {
        u.insert("images".into(), json!([]));
        u.insert("display_name".into(), Value::Null);
        u.remove("email");
    });
    let details = social_spotify::SPEC.user_details(&bare);
    assert_eq!(details.picture, None);
    assert_eq!(details.fullname, None);
    assert_eq!(details.email, None);
    assert_eq!(details.username.as_deref(), Some("lenamq"));
}

#[test]
fn refresh_authenticates_with_basic_and_keeps_the_secret_out_of_the_body() {
    social_testkit::run(async {
        let h = Harness::new(Arc::new(social_spotify::backend()), &spotify(USER)).await;
        let account = login(&h, USER)
            .await
            .account
            .unwrap_or_else(|| panic!("no account"));
        h.server.reset().await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/api/token"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                r#"{"access_token":"BQC-refreshed","token_type":"Bearer","expires_in":3600,"scope":"user-read-email"}"#,
                "application/json",
            ))
            .expect(1)
            .mount(&h.server)
            .await;
        let refreshed = h
            .auth
            .refresh_token(&account)
            .await
            .unwrap_or_else(|e| panic!("refresh failed: {e}"));
        assert_eq!(
            refreshed
                .tokens()
                .map(|t| t.access_token.secret().to_owned()),
            Some("BQC-refreshed".to_owned())
        );
        let requests = h.server.received_requests().await.unwrap_or_default();
        let request = requests
            .first()
            .unwrap_or_else(|| panic!("no refresh request"));
        assert_eq!(
            request
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok()),
            // base64 of `test-client-id:test-client-secret`
            Some("Basic dGVzdC1jbGllbnQtaWQ6dGVzdC1jbGllbnQtc2VjcmV0")
        );
        let body = String::from_utf8_lossy(&request.body);
        let form: Vec<&str> = body.split('&').collect();
        assert!(form.contains(&"grant_type=refresh_token"), "{body}");
        assert!(
            form.contains(&"refresh_token=AQD7-scrubbed-spotify-refresh-token-Qw3n"),
            "{body}"
        );
        assert!(
            !body.contains("client_secret") && !body.contains(CLIENT_SECRET),
            "the secret is sent once, in the header: {body}"
        );
    });
}
