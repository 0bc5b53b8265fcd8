//! Every way a BrowserID login is refused — by the verifier, by the checks of its answer, by a
//! missing or replayed assertion, by a missing verifier — each with a clear error and nothing
//! written; and the audience following the site's scheme.

use social_core::{ErrorKind, serde_json::json};
use social_testkit::{
    provider::expect_kind,
    settings_from,
    wiremock::{MockServer, ResponseTemplate},
};

use super::{
    ASSERTION, FAILURE, NOW, OKAY, TIMEOUT, app, json_answer, okay_with, post_assertion, settings,
    verifier_answers,
};

/// A login against a verifier answering `answer`: the error it ends with, nothing written.
async fn refused(case: &str, answer: ResponseTemplate, kind: ErrorKind) {
    let server = MockServer::start().await;
    verifier_answers(&server, answer).await;
    let (auth, storage) = app(settings(&server));
    expect_kind(case, post_assertion(&auth, Some(ASSERTION)).await, kind);
    assert_eq!(storage.counts(), (0, 0), "{case}: something was written");
}

#[test]
fn a_failure_status_is_a_failed_login() {
    social_testkit::run(async {
        refused("failure", json_answer(FAILURE), ErrorKind::Failed).await;
        refused(
            "failure without a reason",
            json_answer(json!({"status": "failure"}).to_string()),
            ErrorKind::Failed,
        )
        .await;
    });
}

#[test]
fn an_assertion_for_another_site_is_refused() {
    social_testkit::run(async {
        for other in [
            "https://testserver",
            "http://testserver:8080",
            "http://evil.example",
            "http://testserver/",
            "",
        ] {
            refused(
                &format!("audience {other:?}"),
                json_answer(okay_with(|a| {
                    drop(a.insert("audience".into(), json!(other)))
                })),
                ErrorKind::Failed,
            )
            .await;
        }
    });
}

#[test]
fn an_expired_assertion_is_refused() {
    social_testkit::run(async {
        let now_ms = NOW * 1000;
        for (case, expires) in [
            ("expired a minute ago", now_ms - 60_000),
            ("expiring this very millisecond", now_ms),
            ("given in seconds, not milliseconds", NOW + 120),
        ] {
            refused(
                case,
                json_answer(okay_with(|a| {
                    drop(a.insert("expires".into(), json!(expires)))
                })),
                ErrorKind::Failed,
            )
            .await;
        }
    });
}

#[test]
fn verifier_outages_and_garbage_are_clear_errors() {
    social_testkit::run(async {
        for (case, answer, kind) in [
            (
                "verifier 500",
                ResponseTemplate::new(500).set_body_string("oops"),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "verifier 503",
                ResponseTemplate::new(503),
                ErrorKind::ProviderUnavailable,
            ),
            (
                "verifier 400",
                ResponseTemplate::new(400).set_body_raw(
                    json!({"status": "failure", "reason": "need assertion and audience"})
                        .to_string(),
                    "application/json",
                ),
                ErrorKind::ProviderRejected,
            ),
            (
                "malformed JSON",
                json_answer(r#"{"status": "okay", "#),
                ErrorKind::InvalidResponse,
            ),
            (
                "an HTML page",
                ResponseTemplate::new(200).set_body_raw("<html>gone</html>", "text/html"),
                ErrorKind::InvalidResponse,
            ),
            (
                "time-out",
                json_answer(OKAY).set_delay(TIMEOUT * 3),
                ErrorKind::Timeout,
            ),
        ] {
            refused(case, answer, kind).await;
        }
    });
}

#[test]
fn an_okay_missing_what_it_vouches_for_is_an_invalid_answer() {
    social_testkit::run(async {
        for (case, body) in [
            ("no status", okay_with(|a| drop(a.remove("status")))),
            (
                "another status",
                okay_with(|a| drop(a.insert("status".into(), json!("ok")))),
            ),
            ("no email", okay_with(|a| drop(a.remove("email")))),
            (
                "an email that is no address",
                okay_with(|a| drop(a.insert("email".into(), json!("ada")))),
            ),
            (
                "an email of the wrong type",
                okay_with(|a| drop(a.insert("email".into(), json!(["ada@example.com"])))),
            ),
            ("no audience", okay_with(|a| drop(a.remove("audience")))),
            ("no expires", okay_with(|a| drop(a.remove("expires")))),
            (
                "expires as text",
                okay_with(|a| drop(a.insert("expires".into(), json!("1700000120000")))),
            ),
            ("not an object", json!(["okay"]).to_string()),
        ] {
            refused(case, json_answer(body), ErrorKind::InvalidResponse).await;
        }
    });
}

#[test]
fn a_callback_without_an_assertion_asks_nothing_of_the_verifier() {
    social_testkit::run(async {
        let server = MockServer::start().await;
        verifier_answers(&server, json_answer(OKAY)).await;
        let (auth, storage) = app(settings(&server));
        expect_kind(
            "no assertion",
            post_assertion(&auth, None).await,
            ErrorKind::MissingParameter,
        );
        expect_kind(
            "empty assertion",
            post_assertion(&auth, Some("")).await,
            ErrorKind::MissingParameter,
        );
        assert!(
            server
                .received_requests()
                .await
                .unwrap_or_default()
                .is_empty(),
            "the verifier was called"
        );
        assert_eq!(storage.counts(), (0, 0));
    });
}

#[test]
fn an_assertion_posted_twice_logs_in_once() {
    social_testkit::run(async {
        let server = MockServer::start().await;
        verifier_answers(&server, json_answer(OKAY)).await;
        let (auth, storage) = app(settings(&server));
        let first = post_assertion(&auth, Some(ASSERTION)).await;
        assert!(first.is_ok(), "{first:?}");
        expect_kind(
            "replayed assertion",
            post_assertion(&auth, Some(ASSERTION)).await,
            ErrorKind::StateReplayed,
        );
        assert_eq!(storage.counts(), (1, 1), "the replay wrote nothing more");
    });
}

#[test]
fn the_audience_follows_redirect_is_https() {
    social_testkit::run(async {
        let server = MockServer::start().await;
        let https = okay_with(|a| drop(a.insert("audience".into(), json!("https://testserver"))));
        verifier_answers(&server, json_answer(https)).await;
        let verifier = format!("{}/verify", server.uri());
        let settings = settings_from(
            "redirect_is_https = true",
            &[("SOCIAL_AUTH_BROWSERID_VERIFIER_URL", &verifier)],
        );
        let (auth, _) = app(settings);
        let login = post_assertion(&auth, Some(ASSERTION)).await;
        assert!(login.is_ok(), "{login:?}");
        let requests = server.received_requests().await.unwrap_or_default();
        let body = String::from_utf8_lossy(&requests[0].body).into_owned();
        assert!(
            body.ends_with("&audience=https%3A%2F%2Ftestserver"),
            "{body}"
        );
    });
}

#[test]
fn start_up_requires_a_verifier_and_no_client_credentials() {
    for (toml, vars, named) in [
        (
            "",
            vec![("SOCIAL_AUTH_BROWSERID_KEY", "unused")],
            "SOCIAL_AUTH_BROWSERID_VERIFIER_URL",
        ),
        (
            "",
            vec![("SOCIAL_AUTH_BROWSERID_VERIFIER_URL", "")],
            "SOCIAL_AUTH_BROWSERID_VERIFIER_URL",
        ),
        (
            "[backends.browserid]\nverifier_url = \"ftp://verifier.example/verify\"",
            vec![],
            "backends.browserid.verifier_url",
        ),
    ] {
        let settings = settings_from(toml, &vars);
        match social_testkit::social_auth(social_browserid::backend(), settings, None) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config, "{e}");
                assert!(e.details().contains(named), "{named} not named in: {e}");
            }
            Ok(_) => panic!("started without a usable verifier: {toml} {vars:?}"),
        }
    }
    let settings = settings_from(
        "",
        &[(
            "SOCIAL_AUTH_BROWSERID_VERIFIER_URL",
            "https://verifier.example/verify",
        )],
    );
    let built = social_testkit::social_auth(social_browserid::backend(), settings, None);
    assert!(built.is_ok(), "no KEY or SECRET needed: {:?}", built.err());
}
