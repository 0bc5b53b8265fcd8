//! Microsoft Graph's own behaviour: the `TENANT` setting in the sign-in URLs (end to end on
//! the real URLs), the `live` name for the same provider, the e-mail address taken from `mail`
//! or the user principal name and never marked verified, and Graph's errors (401, 429,
//! answers without an `id`) ending the login with nothing written.

use std::sync::Arc;

use social_core::{
    ErrorKind, MemoryStrategy, Outcome,
    serde_json::{self, Value, json},
};
use social_testkit::{
    forward_https_to, local_path, logged_in,
    provider::{Fixture, Harness, expect_kind},
    query_param, settings_from, social_auth,
    wiremock::{Mock, MockServer, ResponseTemplate, matchers},
};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");

fn fixture(user: &str) -> Fixture {
    Fixture::new(social_microsoft_graph::NAME)
        .endpoint("authorization_url", "/common/oauth2/v2.0/authorize")
        .token("POST", "/common/oauth2/v2.0/token", TOKEN)
        .endpoint("api_url", "/v1.0")
        .api("GET", "/v1.0/me", user)
}

/// The fixture user with `change` applied.
fn user_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(object) = user.as_object_mut() {
        change(object);
    }
    user.to_string()
}

async fn login_as(user: &str) -> (Harness, social_core::Login) {
    let fixture = fixture(user);
    let h = Harness::new(Arc::new(social_microsoft_graph::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    match h.login().await {
        Ok(Outcome::LoggedIn(login)) => (h, login),
        other => panic!("login failed: {other:?}"),
    }
}

async fn mount(server: &MockServer, method: &str, url: &str, body: &str) {
    Mock::given(matchers::method(method))
        .and(matchers::path(local_path(url)))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"))
        .mount(server)
        .await;
}

#[test]
fn the_tenant_setting_moves_sign_in_and_refresh_end_to_end() {
    social_testkit::run(async {
        let server = MockServer::start().await;
        let token_url = "https://login.microsoftonline.com/organizations/oauth2/v2.0/token";
        mount(&server, "POST", token_url, TOKEN).await;
        mount(&server, "GET", "https://graph.microsoft.com/v1.0/me", USER).await;
        let settings = settings_from(
            "",
            &[
                ("SOCIAL_AUTH_MICROSOFT_GRAPH_KEY", "app-id"),
                ("SOCIAL_AUTH_MICROSOFT_GRAPH_SECRET", "app-secret"),
                ("SOCIAL_AUTH_MICROSOFT_GRAPH_TENANT", "organizations"),
            ],
        );
        let http = forward_https_to(&server);
        let (auth, storage) = social_auth(social_microsoft_graph::backend(), settings, Some(http))
            .unwrap_or_else(|e| panic!("{e}"));
        let session = MemoryStrategy::new("http://testserver");
        let flow = auth
            .begin(&session, social_microsoft_graph::NAME)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let url = flow.redirect_url().unwrap_or_default().to_owned();
        assert!(
            url.starts_with(
                "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?"
            ),
            "{url}"
        );
        assert_eq!(
            query_param(&url, "scope").as_deref(),
            Some("User.Read offline_access")
        );
        assert_eq!(
            query_param(&url, "code_challenge_method").as_deref(),
            Some("S256")
        );
        let state = query_param(&url, "state").unwrap_or_default();
        let callback = session
            .next_request()
            .with_param("code", "the-code")
            .with_param("state", &state);
        let login = logged_in(
            auth.complete(&callback, social_microsoft_graph::NAME, None)
                .await,
        );
        assert_eq!(storage.counts(), (1, 1));
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        assert_eq!(account.uid, "87d349ed-44d7-43e1-9a83-5f2406dee5bd");

        let refreshed = auth
            .refresh_token(&account)
            .await
            .unwrap_or_else(|e| panic!("refresh failed: {e}"));
        assert!(refreshed.tokens().is_some());
        let requests = server.received_requests().await.unwrap_or_default();
        let token_calls: Vec<String> = requests
            .iter()
            .filter(|r| r.url.path() == local_path(token_url))
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect();
        assert_eq!(token_calls.len(), 2, "exchange and refresh at the tenant");
        assert!(token_calls[1].contains("grant_type=refresh_token"));
    });
}

#[test]
fn the_common_tenant_is_the_default() {
    social_testkit::run(async {
        let settings = settings_from(
            "",
            &[
                ("SOCIAL_AUTH_LIVE_KEY", "app-id"),
                ("SOCIAL_AUTH_LIVE_SECRET", "app-secret"),
            ],
        );
        let (auth, _) = social_auth(social_microsoft_graph::live(), settings, None)
            .unwrap_or_else(|e| panic!("{e}"));
        let flow = auth
            .begin(&MemoryStrategy::new("http://testserver"), "live")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let url = flow.redirect_url().unwrap_or_default().to_owned();
        assert!(
            url.starts_with("https://login.microsoftonline.com/common/oauth2/v2.0/authorize?"),
            "{url}"
        );
        assert_eq!(
            query_param(&url, "redirect_uri").as_deref(),
            Some("http://testserver/complete/live/")
        );
    });
}

#[test]
fn a_tenant_that_is_no_tenant_stops_start_up_naming_the_variable() {
    for (backend, prefix) in [
        (
            social_microsoft_graph::backend(),
            "SOCIAL_AUTH_MICROSOFT_GRAPH",
        ),
        (social_microsoft_graph::live(), "SOCIAL_AUTH_LIVE"),
    ] {
        let (key, secret, tenant) = (
            format!("{prefix}_KEY"),
            format!("{prefix}_SECRET"),
            format!("{prefix}_TENANT"),
        );
        let settings = settings_from(
            "",
            &[
                (key.as_str(), "app-id"),
                (secret.as_str(), "app-secret"),
                (tenant.as_str(), "https://evil.example/x"),
            ],
        );
        match social_auth(backend, settings, None) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config);
                assert!(e.details().contains(&tenant), "{e}");
            }
            Ok(_) => panic!("{tenant}: a URL was taken for a tenant"),
        }
    }
}

#[test]
fn the_email_is_mail_else_the_principal_name_and_never_verified() {
    social_testkit::run(async {
        let (_, login) = login_as(USER).await;
        assert_eq!(
            login.user.email.as_deref(),
            Some("AdeleV@contoso.example.com")
        );
        assert!(!login.user.email_verified);
        assert_eq!(login.user.username, "AdeleV");
        assert_eq!(login.user.first_name.as_deref(), Some("Adele"));
        assert_eq!(login.user.last_name.as_deref(), Some("Vance"));
        assert_eq!(login.user.fullname.as_deref(), Some("Adele Vance"));

        // Personal accounts and unlicensed users often have no `mail`.
        let (_, login) = login_as(&user_with(|u| {
            u.insert("mail".into(), Value::Null);
            u.insert("userPrincipalName".into(), json!("ada@outlook.example.com"));
        }))
        .await;
        assert_eq!(login.user.email.as_deref(), Some("ada@outlook.example.com"));
        assert!(!login.user.email_verified);
        assert_eq!(login.user.username, "ada");

        // A guest's principal name is no mailbox.
        let (_, login) = login_as(&user_with(|u| {
            u.insert("mail".into(), Value::Null);
            u.insert(
                "userPrincipalName".into(),
                json!("ada_example.com#EXT#@contoso.onmicrosoft.com"),
            );
        }))
        .await;
        assert_eq!(login.user.email, None);
    });
}

/// A login whose Graph call gets `answer`: the error it ends with, nothing written.
async fn refused(case: &str, answer: ResponseTemplate, kind: ErrorKind) {
    let fixture = fixture(USER);
    let h = Harness::new(Arc::new(social_microsoft_graph::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/v1.0/me"))
        .respond_with(answer)
        .mount(&h.server)
        .await;
    expect_kind(case, h.login().await, kind);
    h.assert_nothing_written(case);
}

fn graph_error(code: &str) -> String {
    json!({"error": {"code": code, "message": "made-up message",
                     "innerError": {"request-id": "0b8b3c6e-0000-4000-8000-000000000000"}}})
    .to_string()
}

#[test]
fn graph_errors_end_the_login_with_nothing_written() {
    social_testkit::run(async {
        refused(
            "invalid token",
            ResponseTemplate::new(401).set_body_raw(
                graph_error("InvalidAuthenticationToken"),
                "application/json",
            ),
            ErrorKind::ProviderRejected,
        )
        .await;
        refused(
            "access denied",
            ResponseTemplate::new(403).set_body_raw(
                graph_error("Authorization_RequestDenied"),
                "application/json",
            ),
            ErrorKind::ProviderRejected,
        )
        .await;
        refused(
            "throttled",
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "10")
                .set_body_raw(graph_error("TooManyRequests"), "application/json"),
            ErrorKind::ProviderUnavailable,
        )
        .await;
        refused(
            "service unavailable",
            ResponseTemplate::new(503)
                .set_body_raw(graph_error("serviceNotAvailable"), "application/json"),
            ErrorKind::ProviderUnavailable,
        )
        .await;
        for (case, body) in [
            (
                "an error inside a 200",
                graph_error("InvalidAuthenticationToken"),
            ),
            ("no id", user_with(|u| drop(u.remove("id")))),
            (
                "an empty id",
                user_with(|u| drop(u.insert("id".into(), json!("")))),
            ),
            (
                "an id of the wrong type",
                user_with(|u| drop(u.insert("id".into(), json!({"oid": "x"})))),
            ),
            ("malformed JSON", r#"{"id": "#.to_owned()),
        ] {
            refused(
                case,
                ResponseTemplate::new(200).set_body_raw(body, "application/json"),
                ErrorKind::InvalidResponse,
            )
            .await;
        }
    });
}
