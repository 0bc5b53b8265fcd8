#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, EmailVerified, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn,
    UserDetails, Value, async_trait,
    http::{check_status, parse_json},
    profile::text_at,
};
use social_oauth2::{
    ClientAuth, Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse,
};

/// The backend name: python-social-auth's `yahoo-oauth2` (settings `SOCIAL_AUTH_YAHOO_OAUTH2_*`).
pub const NAME: &str = "yahoo-oauth2";

/// Yahoo's OpenID Connect userinfo endpoint, where the user comes from.
pub const USERINFO_URL: &str = "https://api.login.yahoo.com/openid/v1/userinfo";

/// Yahoo's OAuth 2.0 endpoints, flags and mapping; [`Yahoo`] adds the username fallback and
/// reads the userinfo endpoint's rate-limit answer.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Yahoo",
    authorization_url: "https://api.login.yahoo.com/oauth2/request_auth",
    token_url: "https://api.login.yahoo.com/oauth2/get_token",
    default_scope: &["openid", "profile", "email"],
    // Yahoo documents no PKCE for its authorization code flow.
    pkce: Pkce::None,
    // The token endpoint takes the client id and secret as HTTP Basic.
    client_auth: ClientAuth::Basic,
    refresh: true,
    profile: Some(ProfileCall::get(USERINFO_URL, TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/sub",
        username: Some("/preferred_username"),
        email: Some("/email"),
        email_verified: EmailVerified::At("/email_verified"),
        fullname: Some("/name"),
        first_name: Some("/given_name"),
        last_name: Some("/family_name"),
        picture: Some("/picture"),
        locale: Some("/locale"),
        // The user's GUID, which the token answer carries beside the tokens.
        extra_data: &["xoauth_yahoo_guid"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Yahoo as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Yahoo;

/// The `yahoo-oauth2` backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Yahoo> {
    OAuth2Backend::new(Yahoo)
}

#[async_trait]
impl OAuth2Provider for Yahoo {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// The userinfo call (`API_URL` moves it). Yahoo answers `429 Too Many Requests` when a
    /// client calls too often: the provider is busy, the login is not refused.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let what = "Yahoo userinfo";
        let url = cx.endpoint(Endpoint::API, USERINFO_URL);
        let request =
            ProviderCx::api_request(Method::GET, url, token.access_token(), TokenIn::Bearer)
                .body(Vec::new())
                .map_err(|e| cx.config_error("api_url", format!("not a valid URL: {e}")))?;
        let response = cx.send(request, Stage::Profile, what).await?;
        if response.status().as_u16() == 429 {
            return Err(AuthError::new(
                ErrorKind::ProviderUnavailable,
                Stage::Profile,
                format!("{what} answered 429 Too Many Requests: try again later"),
            ));
        }
        check_status(&response, Stage::Profile, what, ErrorKind::ProviderRejected)?;
        parse_json(response.body(), Stage::Profile, what)
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let details = SPEC.mapping.user_details(user);
        // `preferred_username` when Yahoo gives one, else the `nickname` claim.
        if details.username.is_some() {
            return details;
        }
        details.username(text_at(user, "/nickname").as_deref())
    }
}
