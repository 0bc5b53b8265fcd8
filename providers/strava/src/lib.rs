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
pub const NAME: &str = "strava";

/// Strava's endpoints, flags and mapping. The user is the athlete of `GET /athlete`; Strava
/// gives no e-mail address.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Strava",
    api_url: Some("https://www.strava.com/api/v3"),
    authorization_url: "https://www.strava.com/oauth/authorize",
    token_url: "https://www.strava.com/oauth/token",
    revoke_url: Some("https://www.strava.com/oauth/revoke"),
    default_scope: &["read"],
    scope_separator: ",",
    pkce: Pkce::None,
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/athlete", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/id",
        username: Some("/username"),
        first_name: Some("/firstname"),
        last_name: Some("/lastname"),
        picture: Some("/profile"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Strava as an OAuth 2.0 provider: [`SPEC`] plus its revocation; register it with
/// [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Strava;

/// The Strava backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Strava> {
    OAuth2Backend::new(Strava)
}

#[async_trait]
impl OAuth2Provider for Strava {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// RFC 7009 at `/oauth/revoke`, but with the client credentials as HTTP Basic, where the
    /// token endpoint takes them in the body.
    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let default = SPEC.revoke_url.unwrap_or_default();
        let url = self.endpoint(cx.backend, Endpoint::REVOKE_TOKEN, default);
        let mut form = vec![
            ("token", tokens.access_token.secret().to_owned()),
            ("token_type_hint", "access_token".to_owned()),
        ];
        let request = client_request(
            cx,
            ClientAuth::Basic,
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
