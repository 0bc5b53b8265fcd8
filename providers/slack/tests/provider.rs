//! Slack passes the OpenID Connect conformance checks, with ID tokens minted at run time and
//! discovery, token and userinfo answers in the shapes Slack documents (its `ok` envelope
//! included).

use social_core::serde_json::{Value, json};
use social_testkit::oidc::OidcFixture;

/// The Slack user id of the fixtures.
const SUB: &str = "U0R7JM4KT";
/// The workspace of the fixtures.
const TEAM: &str = "T0R7GR2QX";

/// What Slack puts in its ID tokens besides the registered claims, as in its
/// `openid.connect.token` documentation: the workspace and user ids, the profile and e-mail.
fn id_token_claims() -> Value {
    json!({
        "auth_time": 1718031100,
        "https://slack.com/team_id": TEAM,
        "https://slack.com/user_id": SUB,
        "email": "ada.lovelace@example.com",
        "email_verified": true,
        "date_email_verified": 1622128723,
        "locale": "en-US",
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "https://slack.com/user_image_24": "https://avatars.example.com/ada_24.png",
        "https://slack.com/team_image_default": true,
    })
}

/// Slack as its discovery document describes it; the issuer is the server's root, as
/// `https://slack.com` is.
fn fixture() -> OidcFixture {
    OidcFixture::new(
        social_slack::NAME,
        "",
        social_testkit::fixture!("openid-configuration.json"),
        social_testkit::fixture!("token.json"),
        SUB,
        id_token_claims(),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
}

social_testkit::oidc_conformance!(
    backend = std::sync::Arc::new(social_slack::backend()),
    fixture = fixture()
);

mod quirks;
