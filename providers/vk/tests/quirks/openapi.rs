//! The VK Open API session (`vk-openapi`): the signed cookie `vk_app_<app id>`, its MD5
//! signature checked against vectors computed apart from the crate, its expiry, and `mid` as
//! the uid.

use std::{collections::BTreeMap, time::Duration};

use md5::{Digest as _, Md5};
use social_core::{ErrorKind, MemoryStrategy, serde_json::json};
use social_testkit::provider::expect_kind;

use super::{NOW, callback, engine};

const APP_ID: &str = "5123456";
const APP_SECRET: &str = "OpenApiSecretExample";
const COOKIE: &str = "vk_app_5123456";
const EXPIRE: &str = "1700003600";
const MID: &str = "210700286";
const SESSION_SECRET: &str = "5f1e9a0c3b7d2e48";
const SID: &str = "8c2b4d1f6a0e3c5b7d9f1a2c4e6b8d0f";
/// MD5 of `expire=1700003600mid=210700286secret=5f1e9a0c3b7d2e48sid=8c2b4d1f6a0e3c5b7d9f1a2c4e6b8d0fOpenApiSecretExample`,
/// worked out with Python's `hashlib.md5`, outside this crate.
const SIG: &str = "b8a5c064441c5f965d173a0fc665b688";

fn settings() -> String {
    format!("[backends.vk-openapi]\nkey = \"{APP_ID}\"\nsecret = \"{APP_SECRET}\"\n")
}

/// The session's fields as VK writes them, signed with [`SIG`].
fn session() -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("expire", EXPIRE.to_owned()),
        ("mid", MID.to_owned()),
        ("secret", SESSION_SECRET.to_owned()),
        ("sid", SID.to_owned()),
        ("sig", SIG.to_owned()),
    ])
}

/// VK's signature of `fields`, worked out here from VK's description and not with the
/// crate: every field but `sig`, sorted by name (the map's order), fed to MD5 as
/// `name=value`, then the application secret.
fn vk_sign(fields: &BTreeMap<&str, String>, app_secret: &str) -> String {
    let mut md5 = Md5::new();
    for (name, value) in fields.iter().filter(|(name, _)| **name != "sig") {
        md5.update(name.as_bytes());
        md5.update(b"=");
        md5.update(value.as_bytes());
    }
    md5.update(app_secret.as_bytes());
    md5.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `fields` re-signed with the application secret.
fn signed(mut fields: BTreeMap<&'static str, String>) -> BTreeMap<&'static str, String> {
    let sig = vk_sign(&fields, APP_SECRET);
    fields.insert("sig", sig);
    fields
}

/// The cookie value: the fields URL-encoded, joined with `&`.
fn cookie(fields: &BTreeMap<&str, String>) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        out.append_pair(name, value);
    }
    out.finish()
}

#[test]
fn the_literal_vector_and_the_signer_of_the_tests_agree() {
    assert_eq!(vk_sign(&session(), APP_SECRET), SIG);
}

#[tokio::test]
async fn a_signed_session_logs_its_mid_in() {
    let (auth, storage) = engine(social_vk::openapi(), &settings(), Duration::from_secs(5));
    let value = cookie(&session());
    let done = social_testkit::logged_in(
        callback(
            &auth,
            social_vk::OPENAPI_NAME,
            &[
                (COOKIE, &value),
                ("id", "999"),
                ("first_name", "Ivan"),
                ("last_name", "Petrov"),
                ("nickname", "vanya"),
            ],
        )
        .await,
    );
    let account = done.account.expect("an account");
    assert_eq!(account.uid, MID, "the signed mid, not the page's id");
    assert_eq!(done.user.username, "vanya");
    assert_eq!(done.user.fullname.as_deref(), Some("Ivan Petrov"));
    assert_eq!(
        account.extra_data.get("expire"),
        Some(&json!(1_700_003_600))
    );
    let kept = social_core::Value::Object(account.extra_data.clone()).to_string();
    assert!(
        !kept.contains(SESSION_SECRET) && !kept.contains(SIG),
        "neither the session secret nor the signature is kept: {kept}"
    );
    assert_eq!(storage.counts(), (1, 1));

    // Without a nickname the username is the id; the signature's hex case does not matter.
    let (auth, _) = engine(social_vk::openapi(), &settings(), Duration::from_secs(5));
    let mut upper = session();
    upper.insert("sig", SIG.to_ascii_uppercase());
    let done = social_testkit::logged_in(
        callback(&auth, social_vk::OPENAPI_NAME, &[(COOKIE, &cookie(&upper))]).await,
    );
    assert_eq!(done.user.username, MID);
}

#[tokio::test]
async fn a_signature_one_byte_off_or_of_another_secret_is_refused() {
    let mut off = session();
    let mut sig = SIG.to_owned();
    sig.replace_range(31..32, "9");
    off.insert("sig", sig);
    let mut other_secret = session();
    other_secret.insert("sig", vk_sign(&session(), "AnotherAppSecret"));
    let mut short = session();
    short.insert("sig", SIG[..31].to_owned());
    let mut tampered_mid = session();
    tampered_mid.insert("mid", "210700287".to_owned());
    for (case, fields) in [
        ("signature one byte off", off),
        ("signed with another secret", other_secret),
        ("signature cut short", short),
        ("mid changed after signing", tampered_mid),
    ] {
        let (auth, storage) = engine(social_vk::openapi(), &settings(), Duration::from_secs(5));
        let outcome = callback(
            &auth,
            social_vk::OPENAPI_NAME,
            &[(COOKIE, &cookie(&fields))],
        )
        .await;
        expect_kind(case, outcome, ErrorKind::Failed);
        assert_eq!(storage.counts(), (0, 0), "{case}: nothing written");
    }
}

#[tokio::test]
async fn an_expired_session_is_refused_even_when_signed() {
    let now = NOW.to_string();
    let past = (NOW - 1).to_string();
    for (case, expire) in [
        ("expired", past.as_str()),
        ("expiring now", now.as_str()),
        ("not a time", "soon"),
    ] {
        let mut fields = session();
        fields.insert("expire", expire.to_owned());
        let fields = signed(fields);
        let (auth, storage) = engine(social_vk::openapi(), &settings(), Duration::from_secs(5));
        let outcome = callback(
            &auth,
            social_vk::OPENAPI_NAME,
            &[(COOKIE, &cookie(&fields))],
        )
        .await;
        expect_kind(case, outcome, ErrorKind::Failed);
        assert_eq!(storage.counts(), (0, 0), "{case}: nothing written");
    }
}

#[tokio::test]
async fn incomplete_or_ambiguous_sessions_are_refused() {
    let (auth, storage) = engine(social_vk::openapi(), &settings(), Duration::from_secs(5));
    let name = social_vk::OPENAPI_NAME;
    expect_kind(
        "no session",
        callback(&auth, name, &[]).await,
        ErrorKind::MissingParameter,
    );
    expect_kind(
        "another application's session",
        callback(&auth, name, &[("vk_app_999", &cookie(&session()))]).await,
        ErrorKind::MissingParameter,
    );
    let mut no_sid = session();
    no_sid.remove("sid");
    expect_kind(
        "no sid",
        callback(&auth, name, &[(COOKIE, &cookie(&no_sid))]).await,
        ErrorKind::MissingParameter,
    );
    let twice = format!("{}&mid=1", cookie(&session()));
    expect_kind(
        "mid twice",
        callback(&auth, name, &[(COOKIE, &twice)]).await,
        ErrorKind::Failed,
    );
    let mut not_an_id = session();
    not_an_id.insert("mid", "vanya".to_owned());
    expect_kind(
        "mid not an id",
        callback(&auth, name, &[(COOKIE, &cookie(&signed(not_an_id)))]).await,
        ErrorKind::Failed,
    );
    assert_eq!(storage.counts(), (0, 0));
}

#[tokio::test]
async fn start_goes_straight_to_the_callback() {
    let (auth, _) = engine(social_vk::openapi(), &settings(), Duration::from_secs(5));
    let flow = auth
        .begin(&MemoryStrategy::new(super::ORIGIN), social_vk::OPENAPI_NAME)
        .await
        .expect("begin");
    assert_eq!(
        flow.redirect_url(),
        Some("http://testserver/complete/vk-openapi/")
    );
}

#[test]
fn start_up_needs_a_numeric_application_id_and_its_secret() {
    for (case, vars) in [
        ("no secret", vec![("SOCIAL_AUTH_VK_OPENAPI_KEY", "5123456")]),
        (
            "not an id",
            vec![
                ("SOCIAL_AUTH_VK_OPENAPI_KEY", "my-app"),
                ("SOCIAL_AUTH_VK_OPENAPI_SECRET", "s"),
            ],
        ),
    ] {
        let settings = social_testkit::settings_from("", &vars);
        match social_testkit::social_auth(social_vk::openapi(), settings, None) {
            Err(e) => assert_eq!(e.kind(), ErrorKind::Config, "{case}: {e}"),
            Ok(_) => panic!("{case}: accepted"),
        }
    }
}
