#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, Value, async_trait,
};
use social_oauth2::{OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse};

/// The backend name.
pub const NAME: &str = "naver";

/// Naver Login's endpoints, flags and mapping into the profile's `response` envelope; the
/// user-data hook of [`Naver`] reads the result code of that envelope.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "NAVER",
    authorization_url: "https://nid.naver.com/oauth2.0/authorize",
    token_url: "https://nid.naver.com/oauth2.0/token",
    pkce: Pkce::None,
    refresh: true,
    profile: Some(ProfileCall::get(
        "https://openapi.naver.com/v1/nid/me",
        TokenIn::Bearer,
    )),
    mapping: Mapping {
        uid: "/response/id",
        username: Some("/response/nickname"),
        email: Some("/response/email"),
        fullname: Some("/response/name"),
        picture: Some("/response/profile_image"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Naver as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Naver;

/// The Naver backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Naver> {
    OAuth2Backend::new(Naver)
}

#[async_trait]
impl OAuth2Provider for Naver {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let answer = social_oauth2::profile(cx, &SPEC, token).await?;
        // `resultcode` "00" is success; anything else is an error, whatever the HTTP status.
        match answer["resultcode"].as_str() {
            Some("00") => Ok(answer),
            code => Err(AuthError::new(
                ErrorKind::ProviderRejected,
                Stage::Profile,
                format!("Naver answered resultcode {code:?}: {}", answer["message"]),
            )),
        }
    }
}
