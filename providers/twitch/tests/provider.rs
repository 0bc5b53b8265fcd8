//! Twitch passes the OpenID Connect conformance checks (all but `revoke`, see
//! [`oidc_conformance`]), with ID tokens minted at run time and discovery, token and userinfo
//! answers in the shapes Twitch documents (a token answer whose `scope` is a JSON array
//! included).

use social_core::serde_json::{Value, json};
use social_testkit::{oidc::OidcFixture, provider::CLIENT_ID};

/// The Twitch user id of the fixtures.
const SUB: &str = "713936733";

/// What Twitch puts in its ID tokens besides the registered claims when the `claims`
/// parameter asks for them.
fn id_token_claims() -> Value {
    json!({
        "azp": CLIENT_ID,
        "email": "ada.lovelace@example.com",
        "email_verified": true,
        "preferred_username": "adalovelace",
    })
}

/// Twitch as its discovery document describes it: issuer `<server>/oauth2`, as
/// `https://id.twitch.tv/oauth2` is.
fn fixture() -> OidcFixture {
    OidcFixture::new(
        social_twitch::NAME,
        "/oauth2",
        social_testkit::fixture!("openid-configuration.json"),
        social_testkit::fixture!("token.json"),
        SUB,
        id_token_claims(),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
}

/// The OpenID Connect checks, each on its own runtime, with snapshots in `tests/snapshots`.
///
/// All but the suite's `revoke`: it takes the revocation endpoint from the discovery document,
/// which lists none for Twitch, and then expects revocation to be refused, whereas Twitch
/// revokes at its documented `https://id.twitch.tv/oauth2/revoke`, which the suite's client
/// would reach on the real network. `quirks` checks revocation against that URL served
/// locally.
mod oidc_conformance {
    use std::sync::Arc;

    use social_core::Backend;
    use social_testkit::oidc::{self, OidcFixture};

    fn backend() -> Arc<dyn Backend> {
        Arc::new(social_twitch::backend())
    }

    fn suite() -> OidcFixture {
        super::fixture().snapshots(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots"))
    }

    #[test]
    fn authorize_url() {
        social_testkit::run(oidc::authorize_url(backend(), suite()));
    }

    #[test]
    fn token_request() {
        social_testkit::run(oidc::token_request(backend(), suite()));
    }

    #[test]
    fn login() {
        social_testkit::run(oidc::login(backend(), suite()));
    }

    #[test]
    fn id_token_failures() {
        social_testkit::run(oidc::id_token_failures(backend(), suite()));
    }

    #[test]
    fn failures() {
        social_testkit::run(oidc::failures(backend(), suite()));
    }

    #[test]
    fn replay() {
        social_testkit::run(oidc::replay(backend(), suite()));
    }

    #[test]
    fn key_rotation() {
        social_testkit::run(oidc::key_rotation(backend(), suite()));
    }

    #[test]
    fn refresh() {
        social_testkit::run(oidc::refresh(backend(), suite()));
    }
}

mod quirks;
