//! Classic VK OAuth 2.0 (`vk-oauth2`) passes the provider conformance suite from fixtures in
//! the shape of VK's answers. VK ID, the Open API session and the iframe application are not
//! flows the suite can drive (a `device_id` and an echoed state; signed parameters instead of
//! a code): `quirks` tests them whole.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_vk::NAME)
        .endpoint("authorization_url", "/authorize")
        .token(
            "GET",
            "/access_token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "/method")
        .api(
            "GET",
            "/method/users.get",
            social_testkit::fixture!("user.json"),
        )
}

social_testkit::conformance!(
    backend = Arc::new(social_vk::backend()),
    fixture = fixture()
);

mod quirks;
