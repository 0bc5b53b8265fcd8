//! Auth0 passes the OpenID Connect conformance checks, with ID tokens minted at run time and
//! discovery, token and userinfo answers in Auth0's shape.
//!
//! The suite points `OIDC_ENDPOINT` at the fake server and serves its issuer without Auth0's
//! trailing slash (the test kit mounts discovery at `<issuer path>/.well-known/...`, which a
//! slash would double); `quirks` runs the `https://<domain>/` issuer, slash included, end to
//! end.

use social_core::serde_json::json;
use social_testkit::oidc::OidcFixture;

fn fixture() -> OidcFixture {
    OidcFixture::new(
        social_auth0::NAME,
        "",
        social_testkit::fixture!("openid-configuration.json"),
        social_testkit::fixture!("token.json"),
        "auth0|6650f3c2a9e4b17d08c5e231",
        // What Auth0 puts in its ID tokens besides the registered claims: the profile and
        // e-mail claims of the scope, and the session id.
        json!({
            "given_name": "Ada", "family_name": "Lovelace", "nickname": "ada.lovelace",
            "name": "Ada Lovelace",
            "picture": "https://s.gravatar.com/avatar/00000000000000000000000000000000?s=480&r=pg&d=https%3A%2F%2Fcdn.auth0.com%2Favatars%2Fal.png",
            "updated_at": "2024-06-10T14:03:27.512Z",
            "email": "ada.lovelace@example.com", "email_verified": true,
            "sid": "Xq2fW8kLr5TzN1vB7cYdHm3sGj0aUoPe",
        }),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
}

social_testkit::oidc_conformance!(
    backend = std::sync::Arc::new(social_auth0::backend()),
    fixture = fixture()
);

mod quirks;
