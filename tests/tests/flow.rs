//! The whole library flow — begin, callback, pipeline — on MemoryStorage with real provider
//! backends against recorded fixtures: a new user, a returning user, a second provider
//! associated to the same user, a paused and resumed partial pipeline, and a refused
//! association of an account that belongs to someone else.

use std::sync::Arc;

use serde_json::json;
use social_core::{
    BackendSettings, ErrorKind, MemoryStorage, MemoryStrategy, Outcome, Registry, Secret, Settings,
    SocialAuth, Storage, UserId,
    clock::FixedClock,
    http::ReqwestClient,
    pipeline::{Pipeline, RequireEmail},
};
use social_github::GitHub;
use social_oauth2::OAuth2Backend;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

const TOKEN: &str = include_str!("../../providers/github/tests/fixtures/token.json");
const USER: &str = include_str!("../../providers/github/tests/fixtures/user.json");
const EMAILS: &str = include_str!("../../providers/github/tests/fixtures/emails.json");

/// A fake GitHub answering for the user `login` with id `id`.
async fn fake_github(id: u64, login: &str, emails: &str) -> MockServer {
    let server = MockServer::start().await;
    let mut user: serde_json::Value = serde_json::from_str(USER).unwrap_or_default();
    user["id"] = json!(id);
    user["login"] = json!(login);
    for (path, body) in [
        ("/login/oauth/access_token", TOKEN.to_owned()),
        ("/api/user", user.to_string()),
        ("/api/user/emails", emails.to_owned()),
    ] {
        Mock::given(matchers::path(path))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
    }
    server
}

fn backend_settings(server: &MockServer) -> BackendSettings {
    let mut settings = BackendSettings::default();
    settings.key = Some("id".into());
    settings.secret = Some(Secret::new("secret"));
    for (name, path) in [
        ("authorization_url", "/login/oauth/authorize"),
        ("access_token_url", "/login/oauth/access_token"),
        ("api_url", "/api"),
        ("revoke_token_url", "/applications/{client_id}/token"),
    ] {
        settings
            .endpoints
            .insert(name.into(), format!("{}{path}", server.uri()));
    }
    settings
}

struct App {
    auth: SocialAuth,
    storage: Arc<MemoryStorage>,
    clock: Arc<FixedClock>,
}

/// Two providers: `github` and a GitHub Enterprise install `ghe`.
fn app(github: &MockServer, ghe: &MockServer, pipeline: Pipeline) -> App {
    app_with(Settings::default(), github, ghe, pipeline)
}

fn app_with(
    mut settings: Settings,
    github: &MockServer,
    ghe: &MockServer,
    pipeline: Pipeline,
) -> App {
    for (name, server) in [("github", github), ("ghe", ghe)] {
        let mut backend = backend_settings(server);
        // What a test sets of a backend beside its endpoints.
        backend.association_only = settings.backends.get(name).and_then(|b| b.association_only);
        settings.backends.insert(name.into(), backend);
    }
    let storage = Arc::new(MemoryStorage::new());
    let clock = Arc::new(FixedClock::new(1_700_000_000));
    let http =
        ReqwestClient::new(std::time::Duration::from_secs(5), "social-tests").expect("client");
    let auth = SocialAuth::builder(
        Registry::new()
            .with(social_github::backend())
            .with(OAuth2Backend::named("ghe", GitHub)),
    )
    .settings(settings)
    .storage(storage.clone())
    .http_client(Arc::new(http))
    .clock(clock.clone())
    .pipeline(pipeline)
    .build()
    .expect("valid settings");
    App {
        auth,
        storage,
        clock,
    }
}

impl App {
    /// Begin and callback in a new browser session; the callback's outcome.
    async fn login(&self, backend: &str, current: Option<&UserId>) -> social_core::Result<Outcome> {
        self.login_in(&browser(), backend, current).await
    }

    /// Begin and callback in the browser session `browser`.
    async fn login_in(
        &self,
        browser: &MemoryStrategy,
        backend: &str,
        current: Option<&UserId>,
    ) -> social_core::Result<Outcome> {
        let session = browser.next_request().with_param("next", "/dashboard");
        let flow = self.auth.begin(&session, backend).await?;
        let url = url::Url::parse(flow.redirect_url().unwrap_or_default()).expect("authorize URL");
        let state = url
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned());
        let callback = session
            .next_request()
            .with_param("code", "code")
            .with_param("state", &state.unwrap_or_default());
        self.auth.complete(&callback, backend, current).await
    }
}

fn browser() -> MemoryStrategy {
    MemoryStrategy::new("http://app.test")
}

fn paused(outcome: social_core::Result<Outcome>) -> (String, String) {
    match outcome {
        Ok(Outcome::Paused { url, token }) => (url, token),
        other => panic!("expected a pause, got {other:?}"),
    }
}

fn logged_in(outcome: social_core::Result<Outcome>) -> social_core::Login {
    match outcome {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("expected a login, got {other:?}"),
    }
}

#[tokio::test]
async fn new_returning_and_second_provider() {
    let (github, ghe) = (
        fake_github(1, "octocat", EMAILS).await,
        fake_github(77, "octo-ghe", "[]").await,
    );
    let app = app(&github, &ghe, Pipeline::default());

    let first = logged_in(app.login("github", None).await);
    assert!(first.is_new && first.new_association);
    assert_eq!(first.user.username, "octocat");
    assert_eq!(first.user.email.as_deref(), Some("octocat@github.com"));
    assert_eq!(first.redirect_url, "/dashboard");

    let again = logged_in(app.login("github", None).await);
    assert!(!again.is_new && !again.new_association);
    assert_eq!(again.user.id, first.user.id);

    let second = logged_in(app.login("ghe", Some(&first.user.id)).await);
    assert!(
        !second.is_new && second.new_association,
        "associated, not created"
    );
    assert_eq!(second.user.id, first.user.id);
    let accounts = app
        .storage
        .social_accounts(&first.user.id)
        .await
        .expect("accounts");
    let providers: Vec<&str> = accounts.iter().map(|a| a.provider.as_str()).collect();
    assert_eq!(providers, ["github", "ghe"]);
    assert_eq!(app.storage.counts(), (1, 2));

    // Disconnecting one of two works; the last one is refused.
    app.auth
        .disconnect(&first.user.id, "ghe", None)
        .await
        .expect("one of two");
    let last = app.auth.disconnect(&first.user.id, "github", None).await;
    assert_eq!(
        last.map_err(|e| e.kind()),
        Err(ErrorKind::NotAllowedToDisconnect)
    );
    assert_eq!(app.storage.counts(), (1, 1));
}

/// A new account is stored with its extra data at once, and a returning login that brings
/// nothing new (same token, `auth_time` under a minute old) leaves the account untouched;
/// after a minute it is rewritten.
#[tokio::test]
async fn logins_that_bring_nothing_new_write_no_extra_data() {
    let (github, ghe) = (
        fake_github(1, "octocat", EMAILS).await,
        fake_github(77, "octo-ghe", "[]").await,
    );
    let app = app(&github, &ghe, Pipeline::default());
    let account = || async {
        let first = app
            .storage
            .social_accounts(&UserId("1".into()))
            .await
            .expect("accounts")
            .into_iter()
            .next()
            .expect("the account");
        (first.extra_data, first.modified_at)
    };
    let start = 1_700_000_000;
    logged_in(app.login("github", None).await);
    let (created, created_at) = account().await;
    assert_eq!(created.get("auth_time"), Some(&json!(start)));
    assert!(
        created.contains_key("access_token"),
        "the token is stored with the account: {created:?}"
    );

    app.clock.advance(59);
    logged_in(app.login("github", None).await);
    let (again, again_at) = account().await;
    assert_eq!(again, created, "nothing new: nothing written");
    assert_eq!(again_at, created_at);

    app.clock.advance(1);
    logged_in(app.login("github", None).await);
    let (later, _) = account().await;
    assert_eq!(
        later.get("auth_time"),
        Some(&json!(start + 60)),
        "a minute later, auth_time is rewritten"
    );
}

#[tokio::test]
async fn refuses_an_account_that_belongs_to_someone_else() {
    let (github, ghe) = (
        fake_github(1, "octocat", EMAILS).await,
        fake_github(2, "other", "[]").await,
    );
    let app = app(&github, &ghe, Pipeline::default());
    let owner = logged_in(app.login("github", None).await);
    let other = logged_in(app.login("ghe", None).await);
    assert_ne!(owner.user.id, other.user.id);

    let stolen = app.login("github", Some(&other.user.id)).await;
    assert_eq!(stolen.map_err(|e| e.code()).err(), Some("identity_in_use"));
    assert_eq!(app.storage.counts(), (2, 2), "nothing was written");
    let accounts = app
        .storage
        .social_accounts(&other.user.id)
        .await
        .expect("accounts");
    assert_eq!(accounts.len(), 1, "the other user did not gain the account");
}

#[tokio::test]
async fn partial_pipeline_pauses_and_resumes() {
    // No public e-mail and no verified address: require_email asks for one.
    let (github, ghe) = (
        fake_github(5, "mona", "[]").await,
        fake_github(6, "x", "[]").await,
    );
    let pipeline = Pipeline::default()
        .insert_before("get_username", RequireEmail::new("/email/"))
        .expect("get_username is in the default pipeline");
    let app = app(&github, &ghe, pipeline);

    let alice = browser();
    let (url, token) = paused(app.login_in(&alice, "github", None).await);
    assert!(url.starts_with("/email/?partial_token="), "{url}");
    assert!(token.len() >= 40, "the token is unguessable");
    assert_eq!(
        app.storage.counts(),
        (0, 0),
        "nothing is written while paused"
    );

    // A wrong token, the right token in another browser, and the right token at another
    // backend are refused, and none of them spends the token.
    let resume = |session: &MemoryStrategy, token: &str, email: &str| {
        session
            .next_request()
            .with_param("partial_token", token)
            .with_param("email", email)
    };
    for (case, request, backend) in [
        (
            "wrong token",
            resume(&alice, "nope", "a@example.com"),
            "github",
        ),
        (
            "other browser",
            resume(&browser(), &token, "a@example.com"),
            "github",
        ),
        (
            "other backend",
            resume(&alice, &token, "a@example.com"),
            "ghe",
        ),
    ] {
        let result = app.auth.complete(&request, backend, None).await;
        assert_eq!(
            result.map_err(|e| e.kind()).err(),
            Some(ErrorKind::PartialInvalid),
            "{case}"
        );
    }

    // An invalid address asks again (a new token), a valid one completes.
    let (_, token) = paused(
        app.auth
            .complete(&resume(&alice, &token, "not an email"), "github", None)
            .await,
    );
    let login = logged_in(
        app.auth
            .complete(&resume(&alice, &token, "mona@example.com"), "github", None)
            .await,
    );
    assert!(login.is_new);
    assert_eq!(login.user.email.as_deref(), Some("mona@example.com"));
    assert!(
        !login.user.email_verified,
        "a typed address is not verified"
    );
    assert_eq!(app.storage.counts(), (1, 1));
    let replay = app
        .auth
        .complete(&resume(&alice, &token, "mona@example.com"), "github", None)
        .await;
    assert_eq!(
        replay.map_err(|e| e.kind()).err(),
        Some(ErrorKind::PartialInvalid),
        "single use"
    );

    // Expired tokens are refused.
    let bob = browser();
    let (_, token) = paused(app.login_in(&bob, "ghe", None).await);
    app.clock.advance(3601);
    let result = app
        .auth
        .complete(&resume(&bob, &token, "late@example.com"), "ghe", None)
        .await;
    assert_eq!(
        result.map_err(|e| e.kind()).err(),
        Some(ErrorKind::PartialInvalid)
    );
    assert_eq!(app.storage.counts(), (1, 1));
}

#[tokio::test]
async fn disconnect_revokes_tokens_when_configured_and_survives_a_failing_provider() {
    let github = fake_github(1, "octocat", EMAILS).await;
    let ghe = fake_github(77, "octo-ghe", "[]").await;
    for (server, status) in [(&github, 204), (&ghe, 500)] {
        Mock::given(matchers::method("DELETE"))
            .and(matchers::path("/applications/id/token"))
            .respond_with(ResponseTemplate::new(status))
            .expect(1)
            .mount(server)
            .await;
    }
    let mut settings = Settings::default();
    settings.revoke_tokens_on_disconnect = true;
    let app = app_with(settings, &github, &ghe, Pipeline::default());
    let user = logged_in(app.login("github", None).await).user;
    logged_in(app.login("ghe", Some(&user.id)).await);

    // The Enterprise server fails to revoke: the account is disconnected all the same.
    app.auth
        .disconnect(&user.id, "ghe", None)
        .await
        .expect("disconnected");
    logged_in(app.login("ghe", Some(&user.id)).await);
    app.auth
        .disconnect(&user.id, "github", None)
        .await
        .expect("disconnected");
    assert_eq!(app.storage.counts(), (1, 1));
    // Each server saw exactly one revocation (checked again when the servers drop).
    github.verify().await;
    ghe.verify().await;
}

#[tokio::test]
async fn an_association_only_backend_connects_accounts_but_never_logs_in() {
    let (github, ghe) = (
        fake_github(1, "octocat", EMAILS).await,
        fake_github(77, "octo-ghe", "[]").await,
    );
    let mut settings = Settings::default();
    let mut only = BackendSettings::default();
    only.association_only = Some(true);
    settings.backends.insert("ghe".into(), only);
    let app = app_with(settings, &github, &ghe, Pipeline::default());
    assert!(app.auth.association_only("ghe"));
    assert!(!app.auth.association_only("github"));

    let refused = app.login("ghe", None).await;
    assert_eq!(
        refused.map_err(|e| e.kind()).err(),
        Some(ErrorKind::Forbidden)
    );
    assert_eq!(app.storage.counts(), (0, 0), "no user was made");
    let asked = ghe.received_requests().await.unwrap_or_default();
    assert!(asked.is_empty(), "no code was exchanged: {asked:?}");

    let user = logged_in(app.login("github", None).await).user;
    let linked = logged_in(app.login("ghe", Some(&user.id)).await);
    assert_eq!(linked.user.id, user.id, "connected to the logged-in user");
    assert_eq!(app.storage.counts(), (1, 2));
}

#[test]
fn association_only_is_read_from_toml_and_the_environment() {
    let build = |settings: Settings| {
        SocialAuth::builder(Registry::new().with(social_github::backend()))
            .settings(settings)
            .storage(Arc::new(MemoryStorage::new()))
            .build()
    };
    let toml = "[backends.github]\nkey = \"k\"\nsecret = \"s\"\nassociation_only = true\n";
    let from_toml = Settings::from_toml_str(toml).expect("TOML");
    assert!(build(from_toml).expect("valid").association_only("github"));
    let vars = |value: &str| {
        Settings::default()
            .with_vars([
                ("SOCIAL_AUTH_GITHUB_KEY".to_owned(), "k".to_owned()),
                ("SOCIAL_AUTH_GITHUB_SECRET".to_owned(), "s".to_owned()),
                (
                    "SOCIAL_AUTH_GITHUB_ASSOCIATION_ONLY".to_owned(),
                    value.to_owned(),
                ),
            ])
            .expect("variables")
    };
    assert!(
        build(vars("yes"))
            .expect("valid")
            .association_only("github")
    );
    assert!(
        !build(vars("false"))
            .expect("valid")
            .association_only("github")
    );
    let err = build(vars("maybe")).expect_err("not a boolean");
    assert!(
        err.to_string()
            .contains("SOCIAL_AUTH_GITHUB_ASSOCIATION_ONLY"),
        "{err}"
    );
}

#[tokio::test]
async fn provider_answers_larger_than_the_cap_are_refused_unread() {
    use social_core::http::{HttpClient as _, HttpError};
    let server = MockServer::start().await;
    for (path, size) in [("/small", 10 * 1024), ("/large", 100 * 1024)] {
        Mock::given(matchers::path(path))
            .respond_with(ResponseTemplate::new(200).set_body_raw(vec![b'a'; size], "text/plain"))
            .mount(&server)
            .await;
    }
    let client = ReqwestClient::new(std::time::Duration::from_secs(5), "social-tests")
        .expect("client")
        .max_response_bytes(64 * 1024);
    let get = |path: &str| {
        http::Request::get(format!("{}{path}", server.uri()))
            .body(Vec::new())
            .expect("request")
    };
    let small = client.execute(get("/small")).await.expect("under the cap");
    assert_eq!(small.body().len(), 10 * 1024);
    let large = client
        .execute(get("/large"))
        .await
        .expect_err("over the cap");
    assert!(matches!(large, HttpError::TooLarge(65536)), "{large}");
    let err =
        social_core::http::transport_error(social_core::Stage::Token, "token endpoint", large);
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);

    // The cap is a setting, read from the environment like any other.
    let settings = Settings::default()
        .with_vars([(
            "SOCIAL_AUTH_MAX_RESPONSE_BYTES".to_owned(),
            "2048".to_owned(),
        )])
        .expect("variables");
    assert_eq!(settings.max_response_bytes, 2048);
    let tiny = Settings::default()
        .with_vars([("SOCIAL_AUTH_MAX_RESPONSE_BYTES".to_owned(), "10".to_owned())])
        .and_then(|s| s.validate().map(|()| s));
    assert!(tiny.is_err_and(|e| e.to_string().contains("SOCIAL_AUTH_MAX_RESPONSE_BYTES")));
}

#[tokio::test]
async fn security_parameters_given_twice_refuse_the_callback_before_anything_else() {
    let (github, ghe) = (
        fake_github(1, "octocat", EMAILS).await,
        fake_github(2, "x", "[]").await,
    );
    let app = app(&github, &ghe, Pipeline::default());
    for name in [
        "state",
        "code",
        "oauth_token",
        "oauth_verifier",
        "openid.mode",
        "partial_token",
    ] {
        let callback = browser()
            .with_param(name, "one")
            .with_param(name, "two")
            .with_param("code", "c");
        let err = app
            .auth
            .complete(&callback, "github", None)
            .await
            .expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Failed, "{name}: {err}");
        assert!(err.details().contains(name), "{name}: {err}");
    }
    assert!(
        github
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
    assert_eq!(app.storage.counts(), (0, 0));
}

#[test]
fn public_url_and_allowed_hosts_are_read_and_checked() {
    let vars = |pairs: &[(&str, &str)]| {
        Settings::default()
            .with_vars(
                pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
            )
            .and_then(|s| s.validate().map(|()| s))
    };
    let settings = vars(&[
        ("SOCIAL_AUTH_PUBLIC_URL", "https://app.example.com/"),
        (
            "SOCIAL_AUTH_ALLOWED_HOSTS",
            "app.example.com, www.example.com:8443",
        ),
    ])
    .expect("valid");
    assert_eq!(
        settings.public_url.as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        settings.allowed_hosts,
        ["app.example.com", "www.example.com:8443"]
    );
    let from_toml = Settings::from_toml_str(
        "public_url = \"https://app.example.com\"\nallowed_hosts = [\"app.example.com\"]\n\
         max_response_bytes = 4096\n",
    )
    .and_then(|s| s.validate().map(|()| s))
    .expect("the same settings from TOML");
    assert_eq!(
        from_toml.public_url.as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(from_toml.allowed_hosts, ["app.example.com"]);
    assert_eq!(from_toml.max_response_bytes, 4096);
    for bad in [
        "https://app.example.com/login",
        "app.example.com",
        "ftp://x.example",
    ] {
        let err = vars(&[("SOCIAL_AUTH_PUBLIC_URL", bad)]).expect_err("not an origin");
        assert!(
            err.to_string().contains("SOCIAL_AUTH_PUBLIC_URL"),
            "{bad}: {err}"
        );
    }
}
