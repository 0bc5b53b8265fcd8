//! The mock provider as an authorization server: what it accepts, what it refuses, that its
//! ID tokens verify against its own JWKS, and that scripted answers skip the form.

use std::sync::Arc;

use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode, header},
};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::Value;
use sha2::{Digest, Sha256};
use social_core::clock::FixedClock;
use social_mock::{Answer, CODE_TTL, MockClient, MockKey, MockProvider, MockUser};
use tower::ServiceExt as _;

/// Where the provider is nested: an issuer with a path, as the demo mounts it.
const MOUNT_PATH: &str = "/dev-provider";
const ISSUER: &str = "http://provider.test/dev-provider";
const CALLBACK: &str = "http://app.test/complete/dev/";
const VERIFIER: &str = "a-verifier-that-is-long-enough-to-be-valid-for-pkce-0123456789";

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

struct Provider {
    router: Router,
    clock: Arc<FixedClock>,
    mock: MockProvider,
}

fn provider() -> Provider {
    let clock = Arc::new(FixedClock::new(1_800_000_000));
    let key = MockKey::shared().expect("key");
    let mock = MockProvider::new(
        ISSUER,
        key,
        [
            MockClient::new("app", "app-secret", [CALLBACK.to_owned()]),
            MockClient::new("other", "other-secret", ["http://other.test/cb".to_owned()]),
        ],
    )
    .with_clock(clock.clone());
    Provider {
        router: Router::new().nest(MOUNT_PATH, mock.router()),
        clock,
        mock,
    }
}

struct Reply {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A query parameter of the redirect target.
    fn param(&self, name: &str) -> Option<String> {
        let location = url::Url::parse(self.location.as_deref()?).ok()?;
        location
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    Reply {
        status,
        location,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

fn encode(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("encodes")
}

async fn get(router: &Router, path: &str, pairs: &[(&str, &str)]) -> Reply {
    let uri = format!("{MOUNT_PATH}{path}?{}", encode(pairs));
    send(
        router,
        Request::get(uri).body(Body::empty()).expect("request"),
    )
    .await
}

async fn post(router: &Router, path: &str, auth: Option<&str>, pairs: &[(&str, &str)]) -> Reply {
    let mut request = Request::post(format!("{MOUNT_PATH}{path}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(auth) = auth {
        request = request.header(header::AUTHORIZATION, auth);
    }
    send(
        router,
        request.body(Body::from(encode(pairs))).expect("request"),
    )
    .await
}

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    )
}

fn authorize_params(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", "app".into()),
        ("redirect_uri", CALLBACK.into()),
        ("response_type", "code".into()),
        ("scope", "openid profile email".into()),
        ("state", "st4te".into()),
        ("nonce", "n0nce".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

/// Signs in through the form with `extra` fields and returns the redirect.
async fn sign_in(router: &Router, extra: &[(&str, &str)]) -> Reply {
    let challenge = challenge(VERIFIER);
    let mut form: Vec<(&str, String)> = authorize_params(&challenge);
    form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    post(router, "/authorize", None, &pairs).await
}

async fn exchange(router: &Router, code: &str, verifier: &str) -> Reply {
    post(
        router,
        "/token",
        Some(&basic("app", "app-secret")),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ],
    )
    .await
}

async fn userinfo(router: &Router, token: &str) -> Reply {
    let request = Request::get(format!("{MOUNT_PATH}/userinfo"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    send(router, request).await
}

#[tokio::test]
async fn a_whole_login_gives_tokens_a_verifiable_id_token_and_the_user() {
    let p = provider();
    let challenge = challenge(VERIFIER);
    let params = authorize_params(&challenge);
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let form = get(&p.router, "/authorize", &pairs).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains(r#"value="alice""#),
        "presets are offered"
    );
    assert!(form.body.contains(r#"value="deny""#), "Deny is offered");

    let back = sign_in(&p.router, &[("preset", "alice")]).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER);
    assert!(
        back.location
            .as_deref()
            .is_some_and(|l| l.starts_with(CALLBACK))
    );
    assert_eq!(back.param("state").as_deref(), Some("st4te"));
    assert_eq!(back.param("iss").as_deref(), Some(ISSUER));
    let code = back.param("code").expect("a code");

    let tokens = exchange(&p.router, &code, VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let tokens = tokens.json();
    let access = tokens["access_token"].as_str().expect("access token");
    assert!(tokens["refresh_token"].is_string());
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["token_type"], "Bearer");

    let discovery = get(&p.router, "/.well-known/openid-configuration", &[])
        .await
        .json();
    assert_eq!(discovery["issuer"], ISSUER);
    assert_eq!(discovery["jwks_uri"], format!("{ISSUER}/jwks"));
    assert_eq!(
        discovery["response_modes_supported"],
        serde_json::json!(["query", "form_post"])
    );
    let jwks = get(&p.router, "/jwks", &[]).await.json();
    let jwk = &jwks["keys"][0];
    let key = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().expect("n"),
        jwk["e"].as_str().expect("e"),
    )
    .expect("RSA key");
    let id_token = tokens["id_token"]
        .as_str()
        .expect("an ID token for scope openid");
    let header = jsonwebtoken::decode_header(id_token).expect("header");
    assert_eq!(header.kid.as_deref(), jwk["kid"].as_str());
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&["app"]);
    validation.set_issuer(&[ISSUER]);
    // The fixed clock is in the future of the test machine's; check `exp` by hand.
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(id_token, &key, &validation)
        .expect("the ID token verifies against the JWKS")
        .claims;
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["nonce"], "n0nce");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["exp"], 1_800_000_000_i64 + 600);
    let digest = Sha256::digest(access.as_bytes());
    assert_eq!(claims["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..16]));

    let user = userinfo(&p.router, access).await;
    assert_eq!(user.status, StatusCode::OK);
    let user = user.json();
    assert_eq!(user["sub"], "alice");
    assert_eq!(user["preferred_username"], "alice");
    assert_eq!(user["name"], "Alice Liddell");
    assert_eq!(user["email_verified"], true);
}

#[tokio::test]
async fn untrusted_clients_and_redirect_uris_get_a_page_not_a_redirect() {
    let p = provider();
    let challenge = challenge(VERIFIER);
    for (name, value) in [
        ("client_id", "nobody"),
        ("redirect_uri", "http://evil.test/cb"),
        ("redirect_uri", "http://other.test/cb"),
    ] {
        let mut params = authorize_params(&challenge);
        params.retain(|(k, _)| *k != name);
        params.push((name, value.into()));
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = get(&p.router, "/authorize", &pairs).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name}={value}");
        assert_eq!(answer.location, None, "{name}={value}");
        assert!(answer.body.contains("not valid"));
    }
}

#[tokio::test]
async fn bad_requests_from_a_known_client_are_sent_back_with_an_error() {
    let p = provider();
    let good = challenge(VERIFIER);
    let cases: [(&str, Option<&str>, &str); 6] = [
        ("response_type", Some("token"), "unsupported_response_type"),
        ("response_mode", Some("fragment"), "invalid_request"),
        ("code_challenge", None, "invalid_request"),
        ("code_challenge_method", Some("plain"), "invalid_request"),
        ("code_challenge", Some("short"), "invalid_request"),
        ("state", Some("again"), "invalid_request"),
    ];
    for (name, value, error) in cases {
        let mut params = authorize_params(&good);
        if name != "state" {
            params.retain(|(k, _)| *k != name);
        }
        if let Some(value) = value {
            params.push((name, value.into()));
        }
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = get(&p.router, "/authorize", &pairs).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{name}");
        assert_eq!(answer.param("error").as_deref(), Some(error), "{name}");
    }
}

#[tokio::test]
async fn form_post_answers_with_a_page_that_posts_to_the_callback() {
    let p = provider();
    for (action, field) in [("allow", "code"), ("deny", "error")] {
        let answer = sign_in(
            &p.router,
            &[
                ("response_mode", "form_post"),
                ("preset", "alice"),
                ("action", action),
            ],
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{action}");
        assert_eq!(answer.location, None, "{action}: no redirect");
        assert!(
            answer
                .body
                .contains(&format!(r#"<form method="post" action="{CALLBACK}">"#)),
            "{}",
            answer.body
        );
        assert!(
            answer.body.contains(&format!(r#"name="{field}""#)),
            "{action}"
        );
        assert!(answer.body.contains(r#"name="state" value="st4te""#));
    }
}

#[tokio::test]
async fn deny_sends_access_denied_with_the_state() {
    let p = provider();
    let back = sign_in(&p.router, &[("action", "deny")]).await;
    assert_eq!(back.param("error").as_deref(), Some("access_denied"));
    assert_eq!(back.param("state").as_deref(), Some("st4te"));
    assert_eq!(back.param("code"), None);
}

#[tokio::test]
async fn made_up_users_are_checked_and_email_can_be_withheld() {
    let p = provider();
    let refused = sign_in(&p.router, &[("action", "allow"), ("username", "no spaces")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("at most 40 letters"));
    assert!(
        refused.body.contains(r#"value="no spaces""#),
        "keeps what was typed"
    );

    let back = sign_in(
        &p.router,
        &[
            ("action", "allow"),
            ("username", "Zed"),
            ("email", "zed@example.net"),
            ("withhold_email", "1"),
        ],
    )
    .await;
    let code = back.param("code").expect("a code");
    let tokens = exchange(&p.router, &code, VERIFIER).await.json();
    let user = userinfo(&p.router, tokens["access_token"].as_str().expect("token"))
        .await
        .json();
    assert_eq!(user["sub"], "zed");
    assert_eq!(user["preferred_username"], "Zed");
    assert!(user.get("email").is_none(), "withheld: {user}");
}

#[tokio::test]
async fn codes_are_single_use_bound_to_pkce_and_expire() {
    let p = provider();
    // A wrong verifier spends the code all the same.
    let code = sign_in(&p.router, &[("preset", "bob")])
        .await
        .param("code")
        .expect("code");
    let wrong = exchange(&p.router, &code, &VERIFIER.replace('a', "b")).await;
    assert_eq!(wrong.json()["error"], "invalid_grant");
    assert_eq!(
        exchange(&p.router, &code, VERIFIER).await.json()["error"],
        "invalid_grant"
    );

    // A replayed code revokes what it bought.
    let code = sign_in(&p.router, &[("preset", "bob")])
        .await
        .param("code")
        .expect("code");
    let tokens = exchange(&p.router, &code, VERIFIER).await.json();
    let access = tokens["access_token"].as_str().expect("token").to_owned();
    assert_eq!(userinfo(&p.router, &access).await.status, StatusCode::OK);
    let replay = exchange(&p.router, &code, VERIFIER).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(replay.json()["error"], "invalid_grant");
    assert_eq!(
        userinfo(&p.router, &access).await.status,
        StatusCode::UNAUTHORIZED
    );

    let code = sign_in(&p.router, &[("preset", "bob")])
        .await
        .param("code")
        .expect("code");
    p.clock.advance(CODE_TTL);
    let late = exchange(&p.router, &code, VERIFIER).await;
    assert_eq!(late.json()["error"], "invalid_grant");
    assert!(late.body.contains("expired"));
}

#[tokio::test]
async fn clients_must_authenticate() {
    let p = provider();
    let code = sign_in(&p.router, &[("preset", "bob")])
        .await
        .param("code")
        .expect("code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    let wrong = post(&p.router, "/token", Some(&basic("app", "nope")), &form).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.json()["error"], "invalid_client");
    let none = post(&p.router, "/token", None, &form).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    // Another client cannot redeem this client's code, even with its own valid secret.
    let other = post(
        &p.router,
        "/token",
        Some(&basic("other", "other-secret")),
        &form,
    )
    .await;
    assert_eq!(other.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn refresh_rotates_the_refresh_token() {
    let p = provider();
    let code = sign_in(&p.router, &[("preset", "alice")])
        .await
        .param("code")
        .expect("code");
    let first = exchange(&p.router, &code, VERIFIER).await.json();
    let refresh = first["refresh_token"].as_str().expect("refresh token");
    let body_auth = |token: &str| {
        vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", token.to_owned()),
            ("client_id", "app".to_owned()),
            ("client_secret", "app-secret".to_owned()),
        ]
    };
    let pairs = body_auth(refresh);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let second = post(&p.router, "/token", None, &pairs).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let second = second.json();
    assert_ne!(second["access_token"], first["access_token"]);
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let again = post(&p.router, "/token", None, &pairs).await;
    assert_eq!(
        again.json()["error"],
        "invalid_grant",
        "the old refresh token is spent"
    );
    let fresh = second["access_token"].as_str().expect("token");
    assert_eq!(userinfo(&p.router, fresh).await.json()["sub"], "alice");
}

/// The authorization request of `authorize_params`, by GET, as a browser sends it.
async fn authorize(router: &Router) -> Reply {
    let challenge = challenge(VERIFIER);
    let params = authorize_params(&challenge);
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    get(router, "/authorize", &pairs).await
}

#[tokio::test]
async fn scripted_answers_skip_the_form_queued_ones_first() {
    let p = provider();
    let zed = MockUser::new("Zed")
        .email("zed@example.net")
        .name("Zed Zero");
    p.mock.answer_all(Answer::LoginAs(zed.clone()));
    p.mock.answer_next(Answer::Deny);

    let denied = authorize(&p.router).await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER);
    assert_eq!(denied.param("error").as_deref(), Some("access_denied"));
    assert_eq!(denied.param("state").as_deref(), Some("st4te"));
    assert_eq!(denied.param("code"), None);

    for _ in 0..2 {
        let back = authorize(&p.router).await;
        assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
        assert!(
            back.location
                .as_deref()
                .is_some_and(|l| l.starts_with(CALLBACK))
        );
        assert_eq!(back.param("state").as_deref(), Some("st4te"));
        let code = back.param("code").expect("a code, without the form");
        let tokens = exchange(&p.router, &code, VERIFIER).await.json();
        let user = userinfo(&p.router, tokens["access_token"].as_str().expect("token"))
            .await
            .json();
        assert_eq!(user["sub"], "zed");
        assert_eq!(user["preferred_username"], "Zed");
        assert_eq!(user["name"], "Zed Zero");
        assert_eq!(user["email"], "zed@example.net");
        assert_eq!(user["email_verified"], false, "not vouched for");
    }

    p.mock.answer_all(Answer::Form);
    let form = authorize(&p.router).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r#"value="deny""#), "the form again");

    let seen = p.mock.authorizations();
    let answers: Vec<&Answer> = seen.iter().map(|a| &a.answer).collect();
    assert_eq!(
        answers,
        [
            &Answer::Deny,
            &Answer::LoginAs(zed.clone()),
            &Answer::LoginAs(zed),
            &Answer::Form
        ]
    );
    for request in &seen {
        assert_eq!(request.client_id, "app");
        assert_eq!(request.redirect_uri, CALLBACK);
        assert_eq!(request.scope, ["openid", "profile", "email"]);
        assert_eq!(request.state.as_deref(), Some("st4te"));
        assert_eq!(request.nonce.as_deref(), Some("n0nce"));
        assert!(!request.form_post);
    }
}

#[tokio::test]
async fn a_scripted_user_without_email_gets_no_email_claim_anywhere() {
    let p = provider();
    let alice = MockUser::preset("alice").expect("a preset");
    p.mock.login_as(alice.without_email());
    let code = authorize(&p.router).await.param("code").expect("a code");
    let tokens = exchange(&p.router, &code, VERIFIER).await.json();
    let user = userinfo(&p.router, tokens["access_token"].as_str().expect("token"))
        .await
        .json();
    assert_eq!(user["sub"], "alice");
    assert_eq!(user["name"], "Alice Liddell");
    assert!(user.get("email").is_none(), "{user}");
    assert!(user.get("email_verified").is_none(), "{user}");
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    let payload = id_token.split('.').nth(1).expect("a JWT");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
            .expect("JSON claims");
    assert_eq!(claims["sub"], "alice");
    assert!(claims.get("email").is_none(), "{claims}");
}

#[tokio::test]
async fn the_script_waits_for_a_valid_request() {
    let p = provider();
    p.mock
        .answer_next(Answer::LoginAs(MockUser::new("mallory")));
    let challenge = challenge(VERIFIER);
    let mut params = authorize_params(&challenge);
    params.retain(|(k, _)| *k != "redirect_uri");
    params.push(("redirect_uri", "http://evil.test/cb".into()));
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = get(&p.router, "/authorize", &pairs).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.location, None,
        "no code for an unregistered address"
    );
    assert!(p.mock.authorizations().is_empty(), "nothing was answered");

    let back = authorize(&p.router).await;
    let code = back.param("code").expect("the queued login is still there");
    let tokens = exchange(&p.router, &code, VERIFIER).await.json();
    let user = userinfo(&p.router, tokens["access_token"].as_str().expect("token"))
        .await
        .json();
    assert_eq!(user["sub"], "mallory");
    assert_eq!(
        authorize(&p.router).await.status,
        StatusCode::OK,
        "once only: then the form"
    );
}
