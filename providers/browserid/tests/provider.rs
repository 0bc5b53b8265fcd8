//! BrowserID logs in from a verifier's `okay` (the answer of the Remote Verification API, with
//! made-up values), on `MemoryStrategy` and `SocialAuth`: the OAuth conformance macros do not
//! apply to an assertion backend. `quirks` holds every refusal.

use std::{sync::Arc, time::Duration};

use social_core::{
    MemoryStorage, MemoryStrategy, Outcome, Registry, Settings, SocialAuth,
    clock::FixedClock,
    http::ReqwestClient,
    serde_json::{Value, json},
};
use social_testkit::{
    logged_in, settings_from,
    wiremock::{Mock, MockServer, ResponseTemplate, matchers},
};

/// The clock of every test: two minutes before the fixture's assertion expires.
pub const NOW: i64 = 1_700_000_000;
/// The origin the test requests reach.
pub const ORIGIN: &str = "http://testserver";
/// A made-up assertion (a real one is a signed certificate and assertion, `~`-joined).
pub const ASSERTION: &str =
    "eyJhbGciOiJSUzI1NiJ9.made-up-certificate~eyJhbGciOiJSUzI1NiJ9.made-up-assertion";
/// The HTTP timeout of the test client; the time-out test delays answers past it.
pub const TIMEOUT: Duration = Duration::from_millis(800);

/// The verifier's `okay` for `ada@example.com`, made for `ORIGIN`, expiring at `NOW` + 120 s.
pub const OKAY: &str = social_testkit::fixture!("okay.json");
/// The verifier's `failure`.
pub const FAILURE: &str = social_testkit::fixture!("failure.json");

/// The settings of a site whose verifier is `server`'s `/verify`.
pub fn settings(server: &MockServer) -> Settings {
    let verifier = format!("{}/verify", server.uri());
    settings_from("", &[("SOCIAL_AUTH_BROWSERID_VERIFIER_URL", &verifier)])
}

/// Social login with BrowserID alone under `settings`, on a fixed clock.
pub fn app(settings: Settings) -> (SocialAuth, Arc<MemoryStorage>) {
    let storage = Arc::new(MemoryStorage::new());
    let http =
        ReqwestClient::new(TIMEOUT, "social-browserid-tests").unwrap_or_else(|e| panic!("{e}"));
    let auth = SocialAuth::builder(Registry::new().with(social_browserid::backend()))
        .settings(settings)
        .storage(storage.clone())
        .http_client(Arc::new(http))
        .clock(Arc::new(FixedClock::new(NOW)))
        .build()
        .unwrap_or_else(|e| panic!("the backend refused its settings: {e}"));
    (auth, storage)
}

/// A verifier at `server` answering every check with `answer`.
pub async fn verifier_answers(server: &MockServer, answer: ResponseTemplate) {
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/verify"))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// A JSON answer of the verifier.
pub fn json_answer(body: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.into(), "application/json")
}

/// The fixture's `okay` with `change` applied.
pub fn okay_with(change: impl FnOnce(&mut social_core::serde_json::Map<String, Value>)) -> String {
    let mut answer: Value = social_core::serde_json::from_str(OKAY).unwrap_or_default();
    if let Some(object) = answer.as_object_mut() {
        change(object);
    }
    answer.to_string()
}

/// Begins a login, then posts `assertion` (when given) to the callback of the same session.
pub async fn post_assertion(
    auth: &SocialAuth,
    assertion: Option<&str>,
) -> social_core::Result<Outcome> {
    let session = MemoryStrategy::new(ORIGIN).with_param("next", "/after-login");
    let flow = auth
        .begin(&session, social_browserid::NAME)
        .await
        .unwrap_or_else(|e| panic!("begin failed: {e}"));
    let target = flow.redirect_url().unwrap_or_default();
    assert!(
        target.ends_with("://testserver/complete/browserid/"),
        "no provider to visit: straight to the callback, not {target}"
    );
    let mut callback = session.next_request();
    if let Some(assertion) = assertion {
        callback = callback.with_param("assertion", assertion);
    }
    auth.complete(&callback, social_browserid::NAME, None).await
}

#[test]
fn an_okay_from_the_verifier_logs_in_the_verified_address() {
    social_testkit::run(async {
        let server = MockServer::start().await;
        verifier_answers(&server, json_answer(OKAY)).await;
        let (auth, storage) = app(settings(&server));
        let login = logged_in(post_assertion(&auth, Some(ASSERTION)).await);
        assert!(login.is_new && login.new_association);
        assert_eq!(login.redirect_url, "/after-login");
        let account = login
            .account
            .clone()
            .unwrap_or_else(|| panic!("no account"));
        assert_eq!(account.uid, "ada@example.com");
        assert_eq!(login.user.email.as_deref(), Some("ada@example.com"));
        assert!(
            login.user.email_verified,
            "the verifier vouches for the address"
        );
        assert_eq!(login.user.username, "ada");
        assert_eq!(account.extra_data.get("audience"), Some(&json!(ORIGIN)));
        assert_eq!(
            account.extra_data.get("issuer"),
            Some(&json!("login.example.org"))
        );
        assert!(
            account.tokens().is_none(),
            "no tokens: nothing to refresh or revoke"
        );
        assert_eq!(storage.counts(), (1, 1));

        // What was sent: the assertion as posted and this site's origin, form-encoded.
        let requests = server.received_requests().await.unwrap_or_default();
        assert_eq!(requests.len(), 1);
        let sent: Vec<(String, String)> =
            social_testkit::url::form_urlencoded::parse(&requests[0].body)
                .into_owned()
                .collect();
        assert_eq!(
            sent,
            vec![
                ("assertion".to_owned(), ASSERTION.to_owned()),
                ("audience".to_owned(), ORIGIN.to_owned()),
            ]
        );
        assert_eq!(
            requests[0]
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/x-www-form-urlencoded")
        );

        // A later login, with a fresh assertion, finds the same user.
        let again = logged_in(post_assertion(&auth, Some("another-assertion")).await);
        assert!(!again.is_new && !again.new_association);
        assert_eq!(again.user.id, login.user.id);
        assert_eq!(storage.counts(), (1, 1));
    });
}

mod quirks;
