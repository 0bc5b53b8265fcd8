//! Microsoft passes the OpenID Connect conformance checks as one tenant's issuer, with ID
//! tokens minted at run time in the shape of v2.0 tokens and a discovery document in the
//! shape of Microsoft's.

use social_core::serde_json::json;
use social_testkit::oidc::OidcFixture;

/// The made-up tenant of the tests.
const TENANT_ID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SUB: &str = "OLu859SGc2Sr9ZsqbkG-QbeLgJlb41KcdiPoLYNpSFA";

fn fixture() -> OidcFixture {
    OidcFixture::new(
        social_microsoft::NAME,
        "/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
        social_testkit::fixture!("openid-configuration.json"),
        social_testkit::fixture!("token.json"),
        SUB,
        json!({
            "ver": "2.0",
            "tid": TENANT_ID,
            "oid": "00000000-0000-0000-66f3-3332eca7ea81",
            "name": "Megan Bowen",
            "preferred_username": "megan.bowen@contoso.example",
            "email": "megan.bowen@contoso.example",
        }),
    )
    .userinfo(social_testkit::fixture!("userinfo.json"))
}

social_testkit::oidc_conformance!(
    backend = std::sync::Arc::new(social_microsoft::backend()),
    fixture = fixture()
);

mod quirks;
