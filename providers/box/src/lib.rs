#![doc = include_str!("../README.md")]

use social_core::{
    Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, Tokens, async_trait,
    http::check_status,
};
use social_oauth2::{
    ClientAuth, Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenBody,
    client_request,
};

/// The backend name.
pub const NAME: &str = "box";

/// Box's endpoints, flags and mapping: authorization on `account.box.com`, tokens on
/// `api.box.com`, the user from `GET /2.0/users/me` on the API (`API_URL`). No scope is asked
/// for: Box grants the scopes configured on the application.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Box",
    api_url: Some("https://api.box.com/2.0"),
    authorization_url: "https://account.box.com/api/oauth2/authorize",
    token_url: "https://api.box.com/oauth2/token",
    revoke_url: Some("https://api.box.com/oauth2/revoke"),
    pkce: Pkce::None,
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/users/me", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/id",
        username: Some("/login"),
        email: Some("/login"),
        fullname: Some("/name"),
        picture: Some("/avatar_url"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Box as an OAuth 2.0 provider: [`SPEC`] plus its revocation; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct BoxCom;

/// The Box backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<BoxCom> {
    OAuth2Backend::new(BoxCom)
}

#[async_trait]
impl OAuth2Provider for BoxCom {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// `POST /oauth2/revoke` with exactly the form fields Box documents: `client_id`,
    /// `client_secret` and the `token` (revoking it revokes its pair).
    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let default = SPEC.revoke_url.unwrap_or_default();
        let url = self.endpoint(cx.backend, Endpoint::REVOKE_TOKEN, default);
        let mut form = vec![("token", tokens.access_token.secret().to_owned())];
        let request = client_request(
            cx,
            ClientAuth::Body,
            TokenBody::Form,
            Method::POST,
            &url,
            &mut form,
        )?;
        let what = "revocation endpoint";
        let response = cx.send(request, Stage::Token, what).await?;
        check_status(&response, Stage::Token, what, ErrorKind::TokenError)
    }
}
