//! Notion passes the provider conformance checks that apply to it, from fixtures in the shape
//! of its answers.
//!
//! Notion makes no user-API call (the token answer names the user), so the checks about API
//! calls (`token_placement`, the user-API part of `failures`) do not apply; and its refresh is
//! a JSON request, which the suite's refresh check does not read. `quirks` tests those paths
//! on Notion's own terms.

use std::sync::Arc;

use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_notion::NAME)
        .endpoint("authorization_url", "/v1/oauth/authorize")
        .token(
            "POST",
            "/v1/oauth/token",
            social_testkit::fixture!("token.json"),
        )
        .revoke("POST", "/v1/oauth/revoke", 200)
}

fn backend() -> Arc<dyn social_core::Backend> {
    Arc::new(social_notion::backend())
}

mod conformance {
    use super::*;

    fn suite() -> Fixture {
        fixture().in_crate(env!("CARGO_MANIFEST_DIR"), None)
    }

    social_testkit::checks! {
        authorize_url => social_testkit::provider::authorize_url(backend(), suite()),
        token_request => social_testkit::provider::token_request(backend(), suite()),
        user_mapping => social_testkit::provider::user_mapping(backend(), suite()),
        replay => social_testkit::provider::replay(backend(), suite()),
        revoke => social_testkit::provider::revoke(backend(), suite()),
    }
}

mod quirks;
