#![doc = include_str!("../README.md")]

use social_core::{
    EmailVerified, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, Tokens,
    UserDetails, Value, async_trait,
};
use social_oauth2::{OAuth2Backend, OAuth2Provider, OAuth2Spec, ProfileCall};

/// The backend name.
pub const NAME: &str = "kakao";

/// Kakao Login's endpoints, flags and mapping. `API_URL` moves the Kakao API root (the user
/// and logout calls); the hooks of [`Kakao`] add what data cannot say.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Kakao",
    api_url: Some("https://kapi.kakao.com"),
    authorization_url: "https://kauth.kakao.com/oauth/authorize",
    token_url: "https://kauth.kakao.com/oauth/token",
    revoke_url: Some("{api_url}/v1/user/logout"),
    scope_separator: ",",
    refresh: true,
    profile: Some(ProfileCall::get(
        "{api_url}/v2/user/me?secure_resource=true",
        TokenIn::Bearer,
    )),
    mapping: Mapping {
        username: Some("/kakao_account/profile/nickname"),
        email: Some("/kakao_account/email"),
        email_verified: EmailVerified::At("/kakao_account/is_email_verified"),
        fullname: Some("/kakao_account/name"),
        picture: Some("/kakao_account/profile/profile_image_url"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Kakao as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Kakao;

/// The Kakao backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Kakao> {
    OAuth2Backend::new(Kakao)
}

#[async_trait]
impl OAuth2Provider for Kakao {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let details = SPEC.mapping.user_details(user);
        // A verified address Kakao marks invalid has since gone to another Kakao account.
        match user.pointer("/kakao_account/is_email_valid") {
            Some(Value::Bool(true)) => details,
            _ => details.email_verified(false),
        }
    }

    /// Logs the user out of the application, which expires both of their tokens.
    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let default = SPEC.revoke_url.unwrap_or_default();
        let url = self.endpoint(cx.backend, Endpoint::REVOKE_TOKEN, default);
        let bearer = format!("Bearer {}", tokens.access_token.secret());
        let request = http::Request::post(&url)
            .header(http::header::AUTHORIZATION, bearer)
            .body(Vec::new())
            .map_err(|e| cx.config_error(Endpoint::REVOKE_TOKEN.setting(), e))?;
        let response = cx.send(request, Stage::Token, "logout").await?;
        social_core::http::check_status(&response, Stage::Token, "logout", ErrorKind::TokenError)
    }
}
