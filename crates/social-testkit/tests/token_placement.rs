//! The suite's token check catches a provider that omits the access token from its user-API
//! call, or puts it somewhere else than it declares.

use std::sync::Arc;

use social_core::{Mapping, ProviderCx, Result, TokenIn, Value, async_trait};
use social_oauth2::{OAuth2Backend, OAuth2Provider, OAuth2Spec, ProfileCall, TokenResponse};
use social_testkit::provider::{Fixture, token_placement};

const TOKEN: &str = r#"{"access_token": "at-123", "token_type": "bearer"}"#;
const USER: &str = r#"{"id": 7, "login": "ada"}"#;

/// A plain provider: its profile call sends the token as declared.
const SPEC: OAuth2Spec = OAuth2Spec {
    name: "plain",
    authorization_url: "https://provider.test/authorize",
    token_url: "https://provider.test/token",
    profile: Some(ProfileCall::get(
        "https://provider.test/api/user",
        TokenIn::Bearer,
    )),
    mapping: Mapping {
        username: Some("/login"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

fn fixture() -> Fixture {
    Fixture::new("plain")
        .token("POST", "/token", TOKEN)
        .endpoint("api_url", "/api/user")
        .api("GET", "/api/user", USER)
}

/// Declares a bearer token but calls the API with `send`.
struct Sloppy(TokenIn);

#[async_trait]
impl OAuth2Provider for Sloppy {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let url = cx.endpoint(social_core::Endpoint::API, "");
        match self.0 {
            TokenIn::None => cx.get_json(url, None).await,
            place => {
                cx.api_json(http::Method::GET, url, token.access_token(), place)
                    .await
            }
        }
    }
}

#[test]
fn a_provider_sending_the_token_as_declared_passes() {
    social_testkit::run(token_placement(
        Arc::new(OAuth2Backend::new(SPEC)),
        fixture(),
    ));
}

#[test]
#[should_panic(expected = "does not carry the access token")]
fn a_provider_sending_no_token_fails() {
    social_testkit::run(token_placement(
        Arc::new(OAuth2Backend::new(Sloppy(TokenIn::None))),
        fixture(),
    ));
}

#[test]
#[should_panic(expected = "does not carry the access token")]
fn a_provider_sending_the_token_elsewhere_fails() {
    social_testkit::run(token_placement(
        Arc::new(OAuth2Backend::new(Sloppy(TokenIn::Query("access_token")))),
        fixture(),
    ));
}
