//! Mixcloud passes the provider conformance suite from fixtures in the shape of its answers
//! (`oauth/access_token`, `me/`).
//!
//! The suite logs in anonymously, which the Mixcloud backend refuses by design (its uid is a
//! renamable username): it runs on the same spec with `association_only` off. The refusal,
//! and connections to a logged-in user, are tested in `quirks` on `backend()` itself.

use std::sync::Arc;

use social_oauth2::{OAuth2Backend, OAuth2Spec};
use social_testkit::provider::Fixture;

fn fixture() -> Fixture {
    Fixture::new(social_mixcloud::NAME)
        .endpoint("authorization_url", "/oauth/authorize")
        .token(
            "POST",
            "/oauth/access_token",
            social_testkit::fixture!("token.json"),
        )
        .endpoint("api_url", "")
        .api("GET", "/me/", social_testkit::fixture!("user.json"))
}

/// The Mixcloud spec, logins allowed.
fn loggable() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(OAuth2Spec {
        association_only: false,
        ..social_mixcloud::SPEC
    })
}

social_testkit::conformance!(backend = Arc::new(loggable()), fixture = fixture());

mod quirks;
