#![doc = include_str!("../README.md")]

use social_core::{AuthError, ErrorKind, ProviderCx, Result, Stage, Tokens, async_trait};
use social_oauth2::oidc::{OidcBackend, OidcProvider, OidcSpec};
use social_oauth2::{ClientAuth, Method, TokenBody, client_request};

/// The backend name.
pub const NAME: &str = "auth0";

/// Auth0's issuer and flags: the tenant's domain `SOCIAL_AUTH_AUTH0_DOMAIN`, issuer
/// `https://<domain>/` (with the trailing slash Auth0 puts in `iss`), whose endpoints and keys
/// are discovered from `https://<domain>/.well-known/openid-configuration`.
pub const SPEC: OidcSpec = OidcSpec {
    name: NAME,
    display_name: "Auth0",
    issuer: Some("https://{domain}/"),
    // What Auth0's docs send, and the method its dashboard gives regular web applications.
    client_auth: ClientAuth::Body,
    revoke: true,
    ..OidcSpec::DEFAULT
};

/// Auth0 as an OpenID Connect provider: [`SPEC`], and revocation of the refresh token.
#[derive(Debug, Clone, Copy, Default)]
pub struct Auth0;

/// The Auth0 backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<Auth0> {
    OidcBackend::new(Auth0)
}

#[async_trait]
impl OidcProvider for Auth0 {
    fn spec(&self) -> OidcSpec {
        SPEC
    }

    async fn revoke_tokens(
        &self,
        cx: &ProviderCx<'_>,
        endpoint: &str,
        auth: ClientAuth,
        tokens: &Tokens,
    ) -> Result<()> {
        // `/oauth/revoke` takes refresh tokens only; access tokens live until they expire.
        let Some(refresh) = &tokens.refresh_token else {
            let why =
                "Auth0 revokes refresh tokens only, and none is stored (ask for `offline_access`)";
            return Err(
                AuthError::new(ErrorKind::Unsupported, Stage::Token, why).with_provider(cx.name)
            );
        };
        let mut form = vec![("token", refresh.secret().to_owned())];
        let request = client_request(cx, auth, TokenBody::Form, Method::POST, endpoint, &mut form)?;
        let what = "revocation endpoint";
        let response = cx.send(request, Stage::Token, what).await?;
        social_core::http::check_status(&response, Stage::Token, what, ErrorKind::TokenError)
    }
}
