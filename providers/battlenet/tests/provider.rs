//! Battle.net passes the OpenID Connect conformance checks, with ID tokens minted at run time
//! and discovery, token and userinfo answers in Battle.net's shapes.
//!
//! The suite points `OIDC_ENDPOINT` at the fake server; the issuers `REGION` picks are tested
//! end to end in `quirks`.

use social_core::serde_json::{Value, json};
use social_testkit::oidc::OidcFixture;

/// The Battle.net account id of the fixtures.
const SUB: &str = "104812345";

/// What Battle.net puts in its ID tokens besides the registered claims: the BattleTag.
fn id_token_claims() -> Value {
    json!({ "battle_tag": "AdaLovelace#1815" })
}

/// Battle.net as its discovery document describes it; the issuer is the server's root, as
/// `https://oauth.battle.net` is.
fn fixture() -> OidcFixture {
    OidcFixture::new(
        social_battlenet::NAME,
        "",
        social_testkit::fixture!("openid-configuration.json"),
        social_testkit::fixture!("token.json"),
        SUB,
        id_token_claims(),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
}

social_testkit::oidc_conformance!(
    backend = std::sync::Arc::new(social_battlenet::backend()),
    fixture = fixture()
);

mod quirks;
