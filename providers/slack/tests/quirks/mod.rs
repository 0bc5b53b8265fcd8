//! Slack's own behaviour beyond the conformance checks: the `TEAM` restriction (sent as
//! `team`, enforced on the `https://slack.com/team_id` claim), errors Slack reports in a 200
//! answer (`{"ok":false,"error":...}`), no PKCE and the client secret in the token form.

use std::sync::Arc;

use social_core::{ErrorKind, serde_json::json};
use social_testkit::{
    logged_in,
    oidc::{OidcFixture, Provider},
    provider::{CLIENT_ID, CLIENT_SECRET, expect_kind, param},
    settings_from,
    wiremock::{Mock, ResponseTemplate, matchers},
};

use super::{TEAM, fixture};

/// Where the fixtures' discovery document puts Slack's token and userinfo methods.
const TOKEN_PATH: &str = "/api/openid.connect.token";
const USERINFO_PATH: &str = "/api/openid.connect.userInfo";

async fn start(fixture: OidcFixture) -> Provider {
    fixture.start(Arc::new(social_slack::backend())).await
}

/// Mounts `body` as Slack's answer at `path`, with HTTP 200 as Slack sends its errors.
async fn answer_200(p: &Provider, method: &str, path: &str, body: String) {
    Mock::given(matchers::method(method))
        .and(matchers::path(path))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&p.harness.server)
        .await;
}

#[test]
fn team_is_sent_and_the_team_id_claim_must_match_it() {
    social_testkit::run(async {
        let p = start(fixture().option("team", TEAM)).await;
        let (_, url, _) = p.begin().await;
        assert_eq!(param(&url, "team").as_deref(), Some(TEAM));

        // A user of the configured workspace logs in, its ids kept as extra data.
        let login = p.login().await;
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        assert_eq!(account.extra_data.get("team_id"), Some(&json!(TEAM)));
        assert_eq!(account.extra_data.get("user_id"), Some(&json!("U0R7JM4KT")));
        assert_eq!(
            account.extra_data.get("team_domain"),
            Some(&json!("analytical-engines"))
        );
        assert!(!account.extra_data.contains_key("ok"), "no envelope kept");
    });
}

#[test]
fn a_user_of_another_workspace_is_refused_and_nothing_is_written() {
    social_testkit::run(async {
        let p = start(fixture().option("team", TEAM)).await;
        // The `team` parameter is only a hint: the user picked another workspace.
        let outcome = p
            .login_with(|p, mut claims| {
                claims["https://slack.com/team_id"] = json!("T0OTHER9ZZ");
                Some(p.key.sign(&claims))
            })
            .await;
        match &outcome {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
                assert!(e.details().contains("T0OTHER9ZZ"), "{e}");
                assert!(e.details().contains("SOCIAL_AUTH_SLACK_TEAM"), "{e}");
            }
            Ok(other) => panic!("another workspace logged in: {other:?}"),
        }
        p.harness.assert_nothing_written("another workspace");
    });
}

#[test]
fn without_team_any_workspace_logs_in_and_no_team_is_sent() {
    social_testkit::run(async {
        let p = start(fixture()).await;
        let (_, url, _) = p.begin().await;
        assert_eq!(param(&url, "team"), None);
        let outcome = p
            .login_with(|p, mut claims| {
                claims["https://slack.com/team_id"] = json!("T0OTHER9ZZ");
                Some(p.key.sign(&claims))
            })
            .await;
        let login = logged_in(outcome);
        let account = login.account.unwrap_or_else(|| panic!("no account"));
        assert_eq!(
            account.extra_data.get("team_id"),
            Some(&json!("T0OTHER9ZZ"))
        );
    });
}

#[test]
fn a_team_that_is_no_workspace_id_stops_start_up_naming_the_variable() {
    let settings = settings_from(
        "",
        &[
            ("SOCIAL_AUTH_SLACK_KEY", CLIENT_ID),
            ("SOCIAL_AUTH_SLACK_SECRET", CLIENT_SECRET),
            (
                "SOCIAL_AUTH_SLACK_TEAM",
                "https://analytical-engines.slack.com",
            ),
        ],
    );
    let err = social_testkit::social_auth(social_slack::backend(), settings, None)
        .map(|_| ())
        .expect_err("a URL is no team id");
    assert!(err.details().starts_with("SOCIAL_AUTH_SLACK_TEAM"), "{err}");
}

#[test]
fn ok_false_from_the_token_method_is_a_token_error() {
    social_testkit::run(async {
        let p = start(fixture()).await;
        let (session, url, _) = p.begin().await;
        let refused = social_testkit::fixture!("token_invalid_code.json");
        answer_200(&p, "POST", TOKEN_PATH, refused.to_owned()).await;
        let outcome = p.callback(&session, &url).await;
        match &outcome {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::TokenError, "{e}");
                assert!(e.details().contains("invalid_code"), "{e}");
            }
            Ok(other) => panic!("a refused code logged in: {other:?}"),
        }
        p.harness.assert_nothing_written("ok:false token answer");
    });
}

#[test]
fn ok_false_from_userinfo_refuses_the_login() {
    social_testkit::run(async {
        let p = start(fixture()).await;
        let (session, url, nonce) = p.begin().await;
        let id_token = p.key.sign(&p.claims(Some(&nonce)));
        p.mount_token(Some(&id_token), 1).await;
        let refused = social_testkit::fixture!("userinfo_invalid_auth.json");
        answer_200(&p, "GET", USERINFO_PATH, refused.to_owned()).await;
        let outcome = p.callback(&session, &url).await;
        let said = outcome
            .as_ref()
            .err()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(
            said.contains("invalid_auth"),
            "Slack's error is named: {said}"
        );
        expect_kind("userinfo ok:false", outcome, ErrorKind::ProviderRejected);
        p.harness.assert_nothing_written("ok:false userinfo answer");
    });
}

#[test]
fn no_pkce_and_the_client_secret_in_the_token_form() {
    social_testkit::run(async {
        let p = start(fixture()).await;
        let (session, url, nonce) = p.begin().await;
        assert_eq!(
            param(&url, "code_challenge"),
            None,
            "PKCE is opt-in at Slack"
        );
        let id_token = p.key.sign(&p.claims(Some(&nonce)));
        p.mount_token(Some(&id_token), 1).await;
        p.mount_userinfo().await;
        logged_in(p.callback(&session, &url).await);
        let requests = p
            .harness
            .server
            .received_requests()
            .await
            .unwrap_or_default();
        let sent = requests
            .iter()
            .find(|r| r.url.path() == TOKEN_PATH)
            .unwrap_or_else(|| panic!("no token request"));
        assert!(sent.headers.get("authorization").is_none(), "no HTTP Basic");
        let form: Vec<(String, String)> = social_testkit::url::form_urlencoded::parse(&sent.body)
            .into_owned()
            .collect();
        for (name, value) in [("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)] {
            assert!(
                form.iter().any(|(k, v)| k == name && v == value),
                "{name} in the form: {form:?}"
            );
        }
        assert!(!form.iter().any(|(k, _)| k == "code_verifier"), "{form:?}");
    });
}
