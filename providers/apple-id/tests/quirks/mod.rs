//! Apple's own behaviour: the client secret is an ES256 JWT made from the team's key and
//! reused until near its expiry, the callback is a `form_post`, the names come once in the
//! unsigned `user` field, and start-up names each missing setting.

use std::sync::Arc;

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::Jwk};
use social_core::{
    Backend, Outcome, Tokens,
    serde_json::{self, Value, json},
};
use social_testkit::{
    logged_in,
    oidc::{Provider, TestKey},
    provider::{CLIENT_ID, param},
    settings_from, url,
};

use super::{KEY_ID, SUB, TEAM_ID, fixture_with};

fn backend() -> Arc<dyn Backend> {
    Arc::new(social_apple_id::backend())
}

/// A login whose callback carries `extra` fields beside `code` and `state`.
async fn login(p: &Provider, extra: &[(&str, &str)]) -> social_core::Result<Outcome> {
    let (session, url, nonce) = p.begin().await;
    let id_token = p.key.sign(&p.claims(Some(&nonce)));
    p.mount_token(Some(&id_token), 1).await;
    let state = param(&url, "state").unwrap_or_default();
    let mut fields = vec![("code", "c0de.0.srqz.test"), ("state", state.as_str())];
    fields.extend_from_slice(extra);
    p.harness.callback(&session, &fields).await
}

/// The `client_secret` fields of the token requests `p` received.
async fn client_secrets(p: &Provider) -> Vec<String> {
    let requests = p
        .harness
        .server
        .received_requests()
        .await
        .unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.url.path() == "/auth/token")
        .map(|r| {
            assert!(
                r.headers.get("authorization").is_none(),
                "client_secret_post"
            );
            url::form_urlencoded::parse(&r.body)
                .find(|(k, _)| k == "client_secret")
                .map(|(_, v)| v.into_owned())
                .expect("a client_secret")
        })
        .collect()
}

#[tokio::test]
async fn the_client_secret_is_an_es256_jwt_of_the_team_reused_across_logins() {
    let client_key = TestKey::ec();
    let p = fixture_with(&client_key).start(backend()).await;
    logged_in(login(&p, &[]).await);
    logged_in(login(&p, &[]).await);
    let secrets = client_secrets(&p).await;
    assert_eq!(secrets.len(), 2);
    assert_eq!(secrets[0], secrets[1], "cached, not signed per request");

    let jwk: Jwk = serde_json::from_value(client_key.jwk()).expect("a JWK");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&["https://appleid.apple.com"]);
    validation.set_issuer(&[TEAM_ID]);
    let data = jsonwebtoken::decode::<Value>(
        &secrets[0],
        &DecodingKey::from_jwk(&jwk).expect("a key"),
        &validation,
    )
    .expect("the secret verifies with the team's public key");
    assert_eq!(data.header.kid.as_deref(), Some(KEY_ID));
    assert_eq!(data.claims["sub"], CLIENT_ID);
    let ttl = data.claims["exp"].as_i64().unwrap_or_default()
        - data.claims["iat"].as_i64().unwrap_or_default();
    assert_eq!(ttl, 15_777_000, "six months by default");
}

#[tokio::test]
async fn the_callback_is_a_form_post_without_pkce() {
    let p = fixture_with(&TestKey::ec()).start(backend()).await;
    let (_, url, nonce) = p.begin().await;
    assert_eq!(param(&url, "response_mode").as_deref(), Some("form_post"));
    assert_eq!(param(&url, "code_challenge"), None);
    assert_eq!(param(&url, "scope").as_deref(), Some("openid name email"));
    assert!(!nonce.is_empty());
}

#[tokio::test]
async fn the_first_logins_user_field_gives_the_names_but_never_the_email() {
    let p = fixture_with(&TestKey::ec()).start(backend()).await;
    let user = json!({
        "name": {"firstName": "Ada", "lastName": "Lovelace"},
        "email": "someone.else@example.com",
    })
    .to_string();
    let done = logged_in(login(&p, &[("user", &user)]).await);
    assert_eq!(done.user.first_name.as_deref(), Some("Ada"));
    assert_eq!(done.user.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(done.user.fullname.as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        done.user.email.as_deref(),
        Some("k7qz2m9x4b@privaterelay.appleid.com"),
        "the signed ID token's address, not the posted one"
    );
    assert!(done.user.email_verified, "`\"true\"` as text counts");

    // Later logins carry no `user`; a mangled one is ignored, not fatal.
    let done = logged_in(login(&p, &[("user", "{not json")]).await);
    assert_eq!(done.account.map(|a| a.uid).as_deref(), Some(SUB));
}

#[tokio::test]
async fn revocation_authenticates_with_the_generated_secret() {
    let client_key = TestKey::ec();
    let p = fixture_with(&client_key).start(backend()).await;
    social_testkit::wiremock::Mock::given(social_testkit::wiremock::matchers::path("/auth/revoke"))
        .respond_with(social_testkit::wiremock::ResponseTemplate::new(200))
        .expect(1)
        .mount(&p.harness.server)
        .await;
    let tokens = Tokens::new("at-to-revoke");
    let cx = p.harness.auth.provider_cx(social_apple_id::NAME);
    backend().revoke_token(&cx, &tokens).await.expect("revoked");
    let requests = p
        .harness
        .server
        .received_requests()
        .await
        .unwrap_or_default();
    let revoke = requests
        .iter()
        .find(|r| r.url.path() == "/auth/revoke")
        .expect("a revocation");
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&revoke.body)
        .into_owned()
        .collect();
    let secret = form
        .iter()
        .find(|(k, _)| k == "client_secret")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let header = secret.split('.').next().unwrap_or_default();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(header["alg"], "ES256");
    assert!(form.contains(&("token".into(), "at-to-revoke".into())));
}

#[test]
fn start_up_names_each_missing_or_bad_setting_from_env_and_toml() {
    let key = TestKey::ec();
    let pem = key.private_pem();
    let full = [
        ("SOCIAL_AUTH_APPLE_ID_KEY", "com.example.web"),
        ("SOCIAL_AUTH_APPLE_ID_TEAM_ID", TEAM_ID),
        ("SOCIAL_AUTH_APPLE_ID_PRIVATE_KEY_ID", KEY_ID),
        ("SOCIAL_AUTH_APPLE_ID_PRIVATE_KEY", pem),
    ];
    let build = |vars: &[(&str, &str)]| {
        social_testkit::social_auth(social_apple_id::backend(), settings_from("", vars), None)
    };
    build(&full).expect("no SECRET is needed");
    for (missing, _) in &full[1..] {
        let vars: Vec<(&str, &str)> = full.iter().filter(|(k, _)| k != missing).copied().collect();
        let err = build(&vars).expect_err("refused");
        assert!(err.to_string().contains(missing), "{missing}: {err}");
    }
    let mut long = full.to_vec();
    long.push(("SOCIAL_AUTH_APPLE_ID_CLIENT_SECRET_TTL", "31536000"));
    let err = build(&long).expect_err("a year is too long");
    assert!(err.to_string().contains("CLIENT_SECRET_TTL"), "{err}");

    let toml = format!(
        "[backends.apple-id]\nkey = \"com.example.web\"\nteam_id = \"{TEAM_ID}\"\n\
         private_key_id = \"{KEY_ID}\"\nprivate_key = \"\"\"\n{pem}\"\"\"\nclient_secret_ttl = 86400\n"
    );
    build_toml(&toml).expect("the same from TOML");
    let err =
        build_toml(&toml.replace("client_secret_ttl", "secret_lifetime")).expect_err("unknown key");
    assert!(err.to_string().contains("secret_lifetime"), "{err}");
    let err = build_toml(&toml.replace("86400", "0")).expect_err("no lifetime");
    assert!(
        err.to_string()
            .contains("backends.apple-id.client_secret_ttl"),
        "named as the TOML key: {err}"
    );
}

fn build_toml(
    toml: &str,
) -> social_core::Result<(social_core::SocialAuth, Arc<social_core::MemoryStorage>)> {
    social_testkit::social_auth(social_apple_id::backend(), settings_from(toml, &[]), None)
}
