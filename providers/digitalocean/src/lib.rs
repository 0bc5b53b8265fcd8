#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, EmailVerified, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn,
    Tokens, async_trait, http::check_status,
};
use social_oauth2::{
    ClientAuth, Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenBody,
    client_request,
};

/// The backend name.
pub const NAME: &str = "digitalocean";

/// DigitalOcean's endpoints, flags and mapping: authorization on cloud.digitalocean.com, the
/// user's account from `GET /v2/account` on the API (`API_URL`).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "DigitalOcean",
    api_url: Some("https://api.digitalocean.com"),
    authorization_url: "https://cloud.digitalocean.com/v1/oauth/authorize",
    token_url: "https://cloud.digitalocean.com/v1/oauth/token",
    revoke_url: Some("https://cloud.digitalocean.com/v1/oauth/revoke"),
    default_scope: &["read"],
    pkce: Pkce::None,
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/v2/account", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/account/uuid",
        email: Some("/account/email"),
        email_verified: EmailVerified::At("/account/email_verified"),
        fullname: Some("/account/name"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// DigitalOcean as an OAuth 2.0 provider: [`SPEC`] plus its revocation; register it with
/// [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DigitalOcean;

/// The DigitalOcean backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<DigitalOcean> {
    OAuth2Backend::new(DigitalOcean)
}

#[async_trait]
impl OAuth2Provider for DigitalOcean {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// `POST /v1/oauth/revoke` with the form field `token`, authenticated by that token
    /// (`Authorization: Bearer`) rather than by the client credentials.
    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let default = SPEC.revoke_url.unwrap_or_default();
        let url = self.endpoint(cx.backend, Endpoint::REVOKE_TOKEN, default);
        let token = tokens.access_token.secret();
        let mut form = vec![("token", token.to_owned())];
        // Authenticated by the token itself: no client credentials.
        let mut request = client_request(
            cx,
            ClientAuth::None,
            TokenBody::Form,
            Method::POST,
            &url,
            &mut form,
        )?;
        let bearer = format!("Bearer {token}").parse().map_err(|_| {
            AuthError::new(ErrorKind::TokenError, Stage::Token, "unusable access token")
        })?;
        request.headers_mut().insert("authorization", bearer);
        let what = "revocation endpoint";
        let response = cx.send(request, Stage::Token, what).await?;
        check_status(&response, Stage::Token, what, ErrorKind::TokenError)
    }
}
