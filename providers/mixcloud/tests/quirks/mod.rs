//! Mixcloud's own quirks: its uid is the username, which the user can change, so the backend
//! only connects a Mixcloud account to a user who is logged in already; an anonymous callback
//! is refused before the code is exchanged. The token rides in the query of `/me/`.

use std::sync::Arc;

use social_core::{
    ErrorKind, MemoryStrategy, NewUser, Outcome, User, UserDetails, UserStore, Value, serde_json,
};
use social_testkit::{
    provider::{CLIENT_ID, Fixture, Harness, expect_kind, param},
    wiremock::{Mock, ResponseTemplate, matchers},
};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
/// The access token of `token.json`.
const ACCESS: &str = "fake-mixcloud-access-Q3vXkP9rTz2LmN8w";

fn fixture_with(user: &str) -> Fixture {
    Fixture::new(social_mixcloud::NAME)
        .token("POST", "/oauth/access_token", TOKEN)
        .endpoint("api_url", "")
        .api("GET", "/me/", user)
}

/// A fake Mixcloud over `user`, and the real backend (association only).
async fn mixcloud(user: &str) -> Harness {
    let fixture = fixture_with(user);
    let h = Harness::new(Arc::new(social_mixcloud::backend()), &fixture).await;
    // Not always asked for: an anonymous callback is refused before the exchange.
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/oauth/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN, "application/json"))
        .mount(&h.server)
        .await;
    h.mount_apis(&fixture).await;
    h
}

/// A local user, as the application's own login made them.
async fn local_user(h: &Harness, username: &str) -> User {
    h.storage
        .create_user(NewUser::from_details(
            username.to_owned(),
            &UserDetails::new(),
        ))
        .await
        .expect("user created")
}

/// Begin and callback in one browser session, `current` being the logged-in user.
async fn connect(h: &Harness, current: Option<&User>) -> social_core::Result<Outcome> {
    let (session, url) = h.begin().await;
    let state = param(&url, "state").unwrap_or_default();
    let callback: MemoryStrategy = session
        .next_request()
        .with_param("code", "test-code")
        .with_param("state", &state);
    h.auth
        .complete(&callback, social_mixcloud::NAME, current.map(|u| &u.id))
        .await
}

#[test]
fn an_anonymous_login_is_refused_before_the_code_is_exchanged() {
    social_testkit::run(async {
        let h = mixcloud(USER).await;
        assert!(h.auth.association_only(social_mixcloud::NAME));
        expect_kind(
            "anonymous login",
            connect(&h, None).await,
            ErrorKind::Forbidden,
        );
        h.assert_nothing_written("anonymous login");
        let asked = h.server.received_requests().await.unwrap_or_default();
        assert!(asked.is_empty(), "no code was exchanged: {asked:?}");
    });
}

#[test]
fn a_logged_in_user_gets_the_account_connected() {
    social_testkit::run(async {
        let h = mixcloud(USER).await;
        let alice = local_user(&h, "alice").await;
        let done = match connect(&h, Some(&alice)).await {
            Ok(Outcome::LoggedIn(done)) => done,
            other => panic!("connection failed: {other:?}"),
        };
        assert_eq!(done.user.id, alice.id, "connected to the logged-in user");
        assert!(!done.is_new && done.new_association);
        let account = done.account.expect("an account");
        assert_eq!(account.uid, "djspinnaker");
        assert_eq!(account.extra_data["key"], "/djspinnaker/");
        assert_eq!(h.storage.counts(), (1, 1), "no user made, one account");

        // Connecting again finds the same account.
        let again = match connect(&h, Some(&alice)).await {
            Ok(Outcome::LoggedIn(again)) => again,
            other => panic!("second connection failed: {other:?}"),
        };
        assert!(!again.new_association);
        assert_eq!(h.storage.counts(), (1, 1));

        let requests = h.server.received_requests().await.unwrap_or_default();
        let me = requests
            .iter()
            .find(|r| r.url.path() == "/me/")
            .expect("a user call");
        assert_eq!(
            me.url
                .query_pairs()
                .find(|(k, _)| k == "access_token")
                .map(|(_, v)| v.into_owned()),
            Some(ACCESS.to_owned()),
            "the token in the query"
        );
        let token = requests
            .iter()
            .find(|r| r.url.path() == "/oauth/access_token")
            .expect("a token request");
        let form: Vec<(String, String)> = social_testkit::url::form_urlencoded::parse(&token.body)
            .into_owned()
            .collect();
        assert!(
            form.contains(&("client_id".into(), CLIENT_ID.into())),
            "{form:?}"
        );
        assert!(form.iter().any(|(k, _)| k == "client_secret"), "{form:?}");
        assert!(!form.iter().any(|(k, _)| k == "code_verifier"), "no PKCE");
    });
}

#[test]
fn an_account_connected_to_someone_else_is_refused() {
    social_testkit::run(async {
        let h = mixcloud(USER).await;
        let alice = local_user(&h, "alice").await;
        let bob = local_user(&h, "bob").await;
        match connect(&h, Some(&alice)).await {
            Ok(Outcome::LoggedIn(_)) => {}
            other => panic!("connection failed: {other:?}"),
        }
        expect_kind(
            "someone else's Mixcloud account",
            connect(&h, Some(&bob)).await,
            ErrorKind::AlreadyAssociated,
        );
        assert_eq!(h.storage.counts(), (2, 1), "nothing more written");
    });
}

#[test]
fn bad_user_answers_connect_nothing() {
    social_testkit::run(async {
        let no_username = {
            let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
            if let Some(object) = user.as_object_mut() {
                object.remove("username");
            }
            user.to_string()
        };
        for (case, status, body, kind) in [
            (
                "OAuth error (400)",
                400,
                r#"{"error":{"message":"An active access token must be used to query information about the current user.","type":"OAuthException"}}"#,
                ErrorKind::ProviderRejected,
            ),
            (
                "no username",
                200,
                no_username.as_str(),
                ErrorKind::InvalidResponse,
            ),
            (
                "a username of the wrong type",
                200,
                r#"{"username":{"name":"djspinnaker"},"key":"/djspinnaker/"}"#,
                ErrorKind::InvalidResponse,
            ),
            ("server error", 503, "", ErrorKind::ProviderUnavailable),
        ] {
            let fixture = fixture_with(USER);
            let h = Harness::new(Arc::new(social_mixcloud::backend()), &fixture).await;
            h.mount_token(&fixture, 1).await;
            Mock::given(matchers::path("/me/"))
                .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
                .mount(&h.server)
                .await;
            let alice = local_user(&h, "alice").await;
            expect_kind(case, connect(&h, Some(&alice)).await, kind);
            assert_eq!(h.storage.counts(), (1, 0), "{case}: no account written");
        }
    });
}

#[test]
fn association_only_can_be_turned_off_by_the_settings() {
    let build = |vars: &[(&str, &str)]| {
        let mut all = vec![
            ("SOCIAL_AUTH_MIXCLOUD_KEY", "k"),
            ("SOCIAL_AUTH_MIXCLOUD_SECRET", "s"),
        ];
        all.extend_from_slice(vars);
        let settings = social_testkit::settings_from("", &all);
        let (auth, _) = social_testkit::social_auth(social_mixcloud::backend(), settings, None)
            .expect("builds");
        auth.association_only(social_mixcloud::NAME)
    };
    assert!(build(&[]), "association only by default");
    assert!(!build(&[(
        "SOCIAL_AUTH_MIXCLOUD_ASSOCIATION_ONLY",
        "false"
    )]));
}

#[test]
fn no_pkce_and_no_scope() {
    social_testkit::run(async {
        let h = mixcloud(USER).await;
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
fn the_user_call_timing_out_connects_nothing() {
    social_testkit::run(async {
        let fixture = fixture_with(USER);
        let h = Harness::new(Arc::new(social_mixcloud::backend()), &fixture).await;
        h.mount_token(&fixture, 1).await;
        Mock::given(matchers::path("/me/"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(USER, "application/json")
                    .set_delay(std::time::Duration::from_secs(4)),
            )
            .mount(&h.server)
            .await;
        let alice = local_user(&h, "alice").await;
        expect_kind(
            "user call time-out",
            connect(&h, Some(&alice)).await,
            ErrorKind::Timeout,
        );
        assert_eq!(h.storage.counts(), (1, 0), "no account written");
    });
}
