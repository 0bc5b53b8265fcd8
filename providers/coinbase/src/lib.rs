#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, Tokens,
    async_trait, http::check_status,
};
use social_oauth2::{
    ClientAuth, Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, ProfileCall, TokenBody,
    client_request,
};

/// The backend name.
pub const NAME: &str = "coinbase";

/// The Coinbase API version the user call asks for (`CB-VERSION`): the date of this
/// implementation's API, pinned as Coinbase asks, never today's date.
pub const API_VERSION: &str = "2022-01-06";

/// Coinbase's endpoints, flags and mapping: OAuth 2.0 on `login.coinbase.com`, the user from
/// `GET /v2/user` on the API (`API_URL`) with the `CB-VERSION` header, wrapped in `data`.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Coinbase",
    api_url: Some("https://api.coinbase.com"),
    authorization_url: "https://login.coinbase.com/oauth2/auth",
    token_url: "https://login.coinbase.com/oauth2/token",
    revoke_url: Some("https://login.coinbase.com/oauth2/revoke"),
    default_scope: &["wallet:user:email"],
    scope_separator: ",",
    refresh: true,
    profile: Some(
        ProfileCall::get("{api_url}/v2/user", TokenIn::Bearer)
            .headers(&[("CB-VERSION", API_VERSION)]),
    ),
    mapping: Mapping {
        uid: "/data/id",
        username: Some("/data/username"),
        email: Some("/data/email"),
        fullname: Some("/data/name"),
        picture: Some("/data/avatar_url"),
        profile_url: Some("/data/profile_url"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Coinbase as an OAuth 2.0 provider: [`SPEC`] plus its revocation; register it with
/// [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Coinbase;

/// The Coinbase backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Coinbase> {
    OAuth2Backend::new(Coinbase)
}

#[async_trait]
impl OAuth2Provider for Coinbase {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// `POST /oauth2/revoke` with the form fields `token`, `client_id` and `client_secret`,
    /// authenticated like an API call by the token as `Authorization: Bearer`.
    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let default = SPEC.revoke_url.unwrap_or_default();
        let url = self.endpoint(cx.backend, Endpoint::REVOKE_TOKEN, default);
        let token = tokens.access_token.secret();
        let mut form = vec![("token", token.to_owned())];
        let mut request = client_request(
            cx,
            ClientAuth::Body,
            TokenBody::Form,
            Method::POST,
            &url,
            &mut form,
        )?;
        let bearer = http::HeaderValue::try_from(format!("Bearer {token}")).map_err(|e| {
            let problem = format!("the stored access token cannot be sent: {e}");
            AuthError::new(ErrorKind::InvalidResponse, Stage::Token, problem)
        })?;
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, bearer);
        let what = "revocation endpoint";
        let response = cx.send(request, Stage::Token, what).await?;
        // Coinbase answers 200 whether or not the token was active.
        check_status(&response, Stage::Token, what, ErrorKind::TokenError)
    }
}
