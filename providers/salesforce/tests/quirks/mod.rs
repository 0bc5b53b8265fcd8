//! Salesforce's own behaviour, run on its real https hosts (an HTTP client hands each
//! `https://<host>/<path>` request to a local server as `/<host>/<path>`): the identity URL
//! of the token answer called with the bearer token, hostile identity URLs refused and never
//! called, the uid made of the organization and user ids, My Domain and custom hosts through
//! `BASE_URL`, the sandbox through `SANDBOX`, and the two refused together.

use std::sync::Arc;

use social_core::{
    ErrorKind, MemoryStorage, MemoryStrategy, Outcome, Settings, SocialAuth,
    serde_json::{self, Value, json},
};
use social_testkit::{
    forward_https_to, local_path, logged_in,
    provider::{CLIENT_ID, CLIENT_SECRET},
    query_param, settings_from,
    wiremock::{Mock, MockServer, ResponseTemplate, matchers},
};

const TOKEN: &str = social_testkit::fixture!("token.json");
const IDENTITY: &str = social_testkit::fixture!("identity.json");
const ACCESS: &str = "00DB0000000TfcZ.AQ8AQFu3kR7dWq2xYv9LmN4pZs6Ht1Jc0Gb5Ke8Uf3Vi";
const IDS: &str = "/id/00DB0000000TfcZMAS/005B0000005Bk90IAC";

/// `[backends.salesforce]` with the client credentials and `extra` TOML lines.
fn toml(extra: &str) -> Settings {
    settings_from(
        &format!(
            "[backends.salesforce]\nkey = \"{CLIENT_ID}\"\nsecret = \"{CLIENT_SECRET}\"\n{extra}"
        ),
        &[],
    )
}

/// What one login against the fake Salesforce did.
struct Run {
    server: MockServer,
    storage: Arc<MemoryStorage>,
    authorize_url: String,
    outcome: social_core::Result<Outcome>,
}

impl Run {
    /// The paths the fake Salesforce was asked for.
    async fn paths(&self) -> Vec<String> {
        let requests = self.server.received_requests().await.unwrap_or_default();
        requests.iter().map(|r| r.url.path().to_owned()).collect()
    }

    fn assert_nothing_written(&self, what: &str) {
        assert_eq!(
            self.storage.counts(),
            (0, 0),
            "{what}: something was written"
        );
    }
}

/// One login under `settings` whose token endpoint is `token_url` and whose token answer names
/// the identity URL `id`; the identity service answers at `id` for the bearer token only.
async fn login(settings: Settings, token_url: &str, id: Option<&str>) -> Run {
    let server = MockServer::start().await;
    let mut token: Value = serde_json::from_str(TOKEN).unwrap_or_default();
    match id {
        Some(id) => token["id"] = json!(id),
        None => {
            token.as_object_mut().map(|t| t.remove("id"));
        }
    }
    Mock::given(matchers::method("POST"))
        .and(matchers::path(local_path(token_url)))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(token.to_string(), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    if let Some(url) = id.and_then(|id| url::Url::parse(id).ok()) {
        Mock::given(matchers::method("GET"))
            .and(matchers::path(format!(
                "/{}{}",
                url.host_str().unwrap_or_default(),
                url.path()
            )))
            .and(matchers::header(
                "authorization",
                format!("Bearer {ACCESS}").as_str(),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_raw(IDENTITY, "application/json"))
            .mount(&server)
            .await;
    }
    let (auth, storage) = build(settings, &server).unwrap_or_else(|e| panic!("{e}"));
    let session = MemoryStrategy::new("http://testserver");
    let flow = auth.begin(&session, social_salesforce::NAME).await;
    let authorize_url = flow
        .unwrap_or_else(|e| panic!("begin failed: {e}"))
        .redirect_url()
        .unwrap_or_default()
        .to_owned();
    let state = query_param(&authorize_url, "state").unwrap_or_default();
    let callback = session
        .next_request()
        .with_param("code", "test-code")
        .with_param("state", &state);
    let outcome = auth
        .complete(&callback, social_salesforce::NAME, None)
        .await;
    Run {
        server,
        storage,
        authorize_url,
        outcome,
    }
}

fn build(
    settings: Settings,
    server: &MockServer,
) -> social_core::Result<(SocialAuth, Arc<MemoryStorage>)> {
    social_testkit::social_auth(
        social_salesforce::backend(),
        settings,
        Some(forward_https_to(server)),
    )
}

const PRODUCTION_TOKEN: &str = "https://login.salesforce.com/services/oauth2/token";
const PRODUCTION_ID: &str = "https://login.salesforce.com/id/00DB0000000TfcZMAS/005B0000005Bk90IAC";

#[tokio::test]
async fn the_identity_url_of_the_token_answer_is_called_with_the_bearer_token() {
    let run = login(toml(""), PRODUCTION_TOKEN, Some(PRODUCTION_ID)).await;
    assert!(
        run.authorize_url
            .starts_with("https://login.salesforce.com/services/oauth2/authorize?"),
        "{}",
        run.authorize_url
    );
    assert_eq!(
        query_param(&run.authorize_url, "scope").as_deref(),
        Some("id")
    );
    assert_eq!(
        query_param(&run.authorize_url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let paths = run.paths().await;
    let done = logged_in(run.outcome);
    assert_eq!(
        paths,
        [
            "/login.salesforce.com/services/oauth2/token".to_owned(),
            format!("/login.salesforce.com{IDS}"),
        ]
    );
    let account = done.account.expect("an account");
    assert_eq!(account.uid, "00DB0000000TfcZMAS/005B0000005Bk90IAC");
    assert_eq!(done.user.email.as_deref(), Some("ada@example.com"));
    assert!(done.user.email_verified, "Salesforce says it verified it");
    assert_eq!(
        account.extra_data.get("instance_url"),
        Some(&json!("https://example-dev-ed.my.salesforce.com"))
    );
}

#[tokio::test]
async fn a_hostile_identity_url_is_refused_and_never_called() {
    for id in [
        "http://evil.example/id/00DB0000000TfcZMAS/005B0000005Bk90IAC",
        "https://evil.example/id/00DB0000000TfcZMAS/005B0000005Bk90IAC",
        "https://login.salesforce.com.evil.example/id/00DB0000000TfcZMAS/005B0000005Bk90IAC",
        "https://evilsalesforce.com/id/00DB0000000TfcZMAS/005B0000005Bk90IAC",
        "http://login.salesforce.com/id/00DB0000000TfcZMAS/005B0000005Bk90IAC",
        "https://me:pw@login.salesforce.com/id/00DB0000000TfcZMAS/005B0000005Bk90IAC",
        "https://login.salesforce.com/services/data/v62.0/sobjects/User",
        "/id/00DB0000000TfcZMAS/005B0000005Bk90IAC",
    ] {
        let run = login(toml(""), PRODUCTION_TOKEN, Some(id)).await;
        let paths = run.paths().await;
        match &run.outcome {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{id}: {e}");
                assert!(e.details().contains("identity URL"), "{id}: {e}");
            }
            Ok(other) => panic!("{id} was followed: {other:?}"),
        }
        assert_eq!(
            paths,
            ["/login.salesforce.com/services/oauth2/token"],
            "{id}: nothing but the token request was sent"
        );
        run.assert_nothing_written(id);
    }
}

#[tokio::test]
async fn a_token_answer_without_identity_url_or_an_identity_without_ids_is_refused() {
    let run = login(toml(""), PRODUCTION_TOKEN, None).await;
    match &run.outcome {
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}"),
        Ok(other) => panic!("logged in without an identity URL: {other:?}"),
    }
    run.assert_nothing_written("no id");

    let identity = salesforce_identity_without("organization_id");
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path(local_path(PRODUCTION_TOKEN)))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOKEN, "application/json"))
        .mount(&server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path(local_path(PRODUCTION_ID)))
        .respond_with(ResponseTemplate::new(200).set_body_raw(identity, "application/json"))
        .mount(&server)
        .await;
    let (auth, storage) = build(toml(""), &server).unwrap_or_else(|e| panic!("{e}"));
    let session = MemoryStrategy::new("http://testserver");
    let flow = auth.begin(&session, social_salesforce::NAME).await;
    let url = flow.map(|f| f.redirect_url().unwrap_or_default().to_owned());
    let state = query_param(&url.unwrap_or_default(), "state").unwrap_or_default();
    let callback = session
        .next_request()
        .with_param("code", "c")
        .with_param("state", &state);
    match auth
        .complete(&callback, social_salesforce::NAME, None)
        .await
    {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
            assert!(e.details().contains("organization_id"), "{e}");
        }
        Ok(other) => panic!("logged in without an organization id: {other:?}"),
    }
    assert_eq!(storage.counts(), (0, 0));
}

fn salesforce_identity_without(field: &str) -> String {
    let mut identity: Value = serde_json::from_str(IDENTITY).unwrap_or_default();
    identity.as_object_mut().map(|i| i.remove(field));
    identity.to_string()
}

#[tokio::test]
async fn base_url_moves_the_login_to_a_my_domain() {
    let run = login(
        toml("base_url = \"https://acme.my.salesforce.com\""),
        "https://acme.my.salesforce.com/services/oauth2/token",
        Some(PRODUCTION_ID),
    )
    .await;
    assert!(
        run.authorize_url
            .starts_with("https://acme.my.salesforce.com/services/oauth2/authorize?"),
        "{}",
        run.authorize_url
    );
    let done = logged_in(run.outcome);
    assert_eq!(
        done.account.map(|a| a.uid).as_deref(),
        Some("00DB0000000TfcZMAS/005B0000005Bk90IAC"),
        "the same uid whatever the login host"
    );

    // A custom domain: its identity URLs are accepted on the token endpoint's own host only.
    let custom = "base_url = \"https://login.acme.example\"";
    let token = "https://login.acme.example/services/oauth2/token";
    let same = format!("https://login.acme.example{IDS}");
    logged_in(login(toml(custom), token, Some(&same)).await.outcome);
    let other = format!("https://other.acme.example{IDS}");
    let run = login(toml(custom), token, Some(&other)).await;
    assert!(
        matches!(&run.outcome, Err(e) if e.kind() == ErrorKind::InvalidResponse),
        "{:?}",
        run.outcome
    );
    run.assert_nothing_written("another custom host");
}

#[tokio::test]
async fn sandbox_logs_in_on_test_salesforce_com() {
    let id = format!("https://test.salesforce.com{IDS}");
    let run = login(
        toml("sandbox = true"),
        "https://test.salesforce.com/services/oauth2/token",
        Some(&id),
    )
    .await;
    assert!(
        run.authorize_url
            .starts_with("https://test.salesforce.com/services/oauth2/authorize?"),
        "{}",
        run.authorize_url
    );
    let paths = run.paths().await;
    logged_in(run.outcome);
    assert_eq!(
        paths,
        [
            "/test.salesforce.com/services/oauth2/token".to_owned(),
            format!("/test.salesforce.com{IDS}"),
        ]
    );
}

#[tokio::test]
async fn sandbox_and_base_url_together_stop_start_up_naming_both() {
    let server = MockServer::start().await;
    let from_env = settings_from(
        "",
        &[
            ("SOCIAL_AUTH_SALESFORCE_KEY", CLIENT_ID),
            ("SOCIAL_AUTH_SALESFORCE_SECRET", CLIENT_SECRET),
            ("SOCIAL_AUTH_SALESFORCE_SANDBOX", "true"),
            (
                "SOCIAL_AUTH_SALESFORCE_BASE_URL",
                "https://acme--uat.sandbox.my.salesforce.com",
            ),
        ],
    );
    let from_toml =
        toml("sandbox = true\nbase_url = \"https://acme--uat.sandbox.my.salesforce.com\"");
    for (settings, names) in [
        (
            from_env,
            [
                "SOCIAL_AUTH_SALESFORCE_SANDBOX",
                "SOCIAL_AUTH_SALESFORCE_BASE_URL",
            ],
        ),
        (
            from_toml,
            [
                "backends.salesforce.sandbox",
                "backends.salesforce.base_url",
            ],
        ),
    ] {
        match build(settings, &server) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config, "{e}");
                for name in names {
                    assert!(e.to_string().contains(name), "`{name}` not named: {e}");
                }
            }
            Ok(_) => panic!("SANDBOX with BASE_URL was accepted"),
        }
    }
    // Each alone is fine.
    build(toml("sandbox = true"), &server).unwrap_or_else(|e| panic!("{e}"));
    build(
        toml("base_url = \"https://acme--uat.sandbox.my.salesforce.com\""),
        &server,
    )
    .unwrap_or_else(|e| panic!("{e}"));
}
