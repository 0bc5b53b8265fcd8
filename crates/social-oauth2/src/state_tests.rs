//! The pending login and its `state`: lifetime to the second, comparison, single use, one
//! pending login per backend, fresh random values, and the response mode the login asked
//! for. Each check fails a test here when weakened (they were mutation-tested).

use std::sync::Arc;

use social_core::{
    BackendCx, BackendSettings, ErrorKind, MemoryStorage, MemoryStrategy, Outcome, ProviderCx,
    Registry, Secret, Settings, SocialAuth, UserDetails, Value, async_trait,
    clock::FixedClock,
    http::{HttpError, HttpRequest, HttpResponse},
};

use super::*;

const START: i64 = 1_767_225_600;

struct Test;

#[async_trait]
impl OAuth2Provider for Test {
    fn spec(&self) -> OAuth2Spec {
        OAuth2Spec {
            name: "test",
            authorization_url: "https://provider.test/authorize",
            token_url: "https://provider.test/token",
            ..OAuth2Spec::DEFAULT
        }
    }

    async fn user_data(&self, _: &ProviderCx<'_>, _: &TokenResponse) -> Result<Value> {
        Ok(serde_json::json!({"id": "42", "login": "made-up"}))
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        UserDetails::new().username(user["login"].as_str())
    }
}

async fn provider(_: HttpRequest) -> std::result::Result<HttpResponse, HttpError> {
    Ok(http::Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(br#"{"access_token":"made-up-token","token_type":"bearer"}"#.to_vec())
        .expect("a response"))
}

struct Fixture {
    auth: SocialAuth,
    clock: Arc<FixedClock>,
}

fn fixture(names: &[&str]) -> Fixture {
    let mut settings = Settings::default();
    let mut registry = Registry::new();
    for name in names {
        let mut backend = BackendSettings::default();
        backend.key = Some("client".into());
        backend.secret = Some(Secret::new("secret"));
        settings.backends.insert((*name).into(), backend);
        registry = registry.with(OAuth2Backend::named(name, Test));
    }
    let clock = Arc::new(FixedClock::new(START));
    let auth = SocialAuth::builder(registry)
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .http_client(Arc::new(provider))
        .clock(clock.clone())
        .build()
        .expect("builds");
    Fixture { auth, clock }
}

/// Starts a login of `backend` on `session`; returns the `state` sent to the provider.
async fn begin(auth: &SocialAuth, session: &MemoryStrategy, backend: &str) -> String {
    let flow = auth.begin(session, backend).await.expect("begins");
    let url = url::Url::parse(flow.redirect_url().expect("a redirect")).expect("a URL");
    url.query_pairs()
        .find(|(k, _)| k == "state")
        .expect("a state")
        .1
        .into_owned()
}

fn callback(session: &MemoryStrategy, state: &str) -> MemoryStrategy {
    session
        .next_request()
        .with_param("code", "made-up-code")
        .with_param("state", state)
}

async fn complete(auth: &SocialAuth, request: &MemoryStrategy, backend: &str) -> Result<Outcome> {
    auth.complete(request, backend, None).await
}

#[track_caller]
fn assert_kind(result: Result<Outcome>, kind: ErrorKind) {
    match result {
        Ok(outcome) => panic!("completed ({outcome:?}); expected {kind:?}"),
        Err(e) => assert_eq!(e.kind(), kind, "{e}"),
    }
}

#[tokio::test]
async fn a_state_lives_state_max_age_seconds_to_the_second() {
    let Fixture { auth, clock } = fixture(&["test"]);
    let max_age = i64::try_from(auth.settings().state_max_age).expect("fits");
    let session = MemoryStrategy::new("http://app.test");

    let state = begin(&auth, &session, "test").await;
    clock.advance(max_age);
    let outcome = complete(&auth, &callback(&session, &state), "test")
        .await
        .expect("still valid at exactly STATE_MAX_AGE");
    assert!(matches!(outcome, Outcome::LoggedIn(_)), "{outcome:?}");

    let state = begin(&auth, &session, "test").await;
    clock.advance(max_age + 1);
    assert_kind(
        complete(&auth, &callback(&session, &state), "test").await,
        ErrorKind::StateExpired,
    );
}

#[tokio::test]
async fn another_state_is_refused() {
    let Fixture { auth, .. } = fixture(&["test"]);
    let session = MemoryStrategy::new("http://app.test");
    let state = begin(&auth, &session, "test").await;
    let mut forged = state.clone();
    forged.pop();
    forged.push(if state.ends_with('A') { 'B' } else { 'A' });
    assert_kind(
        complete(&auth, &callback(&session, &forged), "test").await,
        ErrorKind::StateMismatch,
    );
    // The pending login is spent by the failed attempt: the right state no longer works.
    assert_kind(
        complete(&auth, &callback(&session, &state), "test").await,
        ErrorKind::StateMissing,
    );
}

#[tokio::test]
async fn a_state_is_claimed_once_in_the_store() {
    let Fixture { auth, .. } = fixture(&["test"]);
    let session = MemoryStrategy::new("http://app.test");
    let cx = |request| BackendCx {
        provider: auth.provider_cx("test"),
        strategy: request,
        storage: &**auth.storage(),
    };
    claim_state(
        &cx(&session),
        "test",
        START,
        "made-up-state",
        "made-up-state",
    )
    .await
    .expect("first use");
    // Two callbacks racing on one session both saw the state: the store lets one through.
    let again = claim_state(
        &cx(&session),
        "test",
        START,
        "made-up-state",
        "made-up-state",
    )
    .await
    .expect_err("second use");
    assert_eq!(again.kind(), ErrorKind::StateReplayed);
    // The claim is per backend.
    claim_state(
        &cx(&session),
        "other",
        START,
        "made-up-state",
        "made-up-state",
    )
    .await
    .expect("another backend's claim");
    let mismatch = claim_state(&cx(&session), "test", START, "made-up-state", "other")
        .await
        .expect_err("mismatch");
    assert_eq!(mismatch.kind(), ErrorKind::StateMismatch);
}

#[tokio::test]
async fn each_backend_keeps_its_own_pending_login() {
    assert_ne!(pending_key("github"), pending_key("gitlab"));
    let Fixture { auth, .. } = fixture(&["one", "two"]);
    let session = MemoryStrategy::new("http://app.test");
    let first = begin(&auth, &session, "one").await;
    let second = begin(&auth, &session, "two").await;
    assert_ne!(first, second);
    // Starting `two` did not replace the pending login of `one`.
    let outcome = complete(&auth, &callback(&session, &first), "one")
        .await
        .expect("one completes");
    assert!(matches!(outcome, Outcome::LoggedIn(_)), "{outcome:?}");
    // `one`'s state does not complete `two`.
    assert_kind(
        complete(&auth, &callback(&session, &first), "two").await,
        ErrorKind::StateMismatch,
    );
}

#[tokio::test]
async fn states_are_fresh_and_unguessable() {
    let a = random_state();
    let b = random_state();
    assert_ne!(a, b);
    assert!(a.len() >= 22, "{a:?} is short");
    let Fixture { auth, .. } = fixture(&["test"]);
    let session = MemoryStrategy::new("http://app.test");
    assert_ne!(
        begin(&auth, &session, "test").await,
        begin(&auth, &session, "test").await
    );
}

#[tokio::test]
async fn the_answer_must_come_the_way_the_login_asked() {
    let Fixture { auth, .. } = fixture(&["test"]);
    let session = MemoryStrategy::new("http://app.test");
    // This login asked for the query (the default): a POST carrying the code is refused.
    let state = begin(&auth, &session, "test").await;
    let err = complete(&auth, &callback(&session, &state).post(), "test")
        .await
        .expect_err("a POST answer to a query-mode login");
    assert_eq!(err.kind(), ErrorKind::Failed);
    assert!(err.details().contains("is a POST"), "{err}");
    let state = begin(&auth, &session, "test").await;
    assert!(
        complete(&auth, &callback(&session, &state), "test")
            .await
            .is_ok()
    );
}
