//! LinkedIn passes the OpenID Connect conformance checks, with an ID token minted at run time
//! and recorded discovery, token and userinfo answers.

use std::sync::Arc;

use serde_json::json;
use social_testkit::oidc;

fn fixture() -> oidc::OidcFixture {
    oidc::OidcFixture::new(
        social_linkedin::NAME,
        "/oauth",
        social_testkit::fixture!("openid-configuration.json"),
        social_testkit::fixture!("token.json"),
        "782bbtaQ",
        // What LinkedIn puts in its ID tokens besides the registered claims.
        json!({
            "name": "John Doe", "given_name": "John", "family_name": "Doe",
            "email": "doe@example.com", "email_verified": "true", "locale": "en_US",
            "picture": "https://media.licdn.com/dms/image/scrubbed/profile-displayphoto-shrink_100_100/0/",
        }),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
    .without_nonce_echo()
}

social_testkit::oidc_conformance!(
    backend = Arc::new(social_linkedin::backend().with_cache(Arc::default())),
    fixture = fixture(),
);

mod quirks;
