#![doc = include_str!("../README.md")]

use http::Method;
use social_core::{
    AuthError, EmailVerified, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, Value,
    async_trait,
    http::{check_status, parse_json},
};
use social_oauth1::{AccessToken, OAuth1Backend, OAuth1Provider, OAuth1Spec, sign};

/// The backend name.
pub const NAME: &str = "skyrock";

/// The user call: without `id_user` or `username`, the account the token belongs to.
pub const USER_URL: &str = "https://api.skyrock.com/v2/user/get.json";

/// Skyrock's OAuth 1.0a endpoints and mapping; [`Skyrock`] adds the user call's rate-limit
/// answer.
pub const SPEC: OAuth1Spec = OAuth1Spec {
    name: NAME,
    display_name: "Skyrock",
    request_token_url: "https://api.skyrock.com/v2/oauth/initiate",
    // `authenticate` ("sign in with Skyrock") rather than `authorize`.
    authorization_url: "https://api.skyrock.com/v2/oauth/authenticate",
    access_token_url: "https://api.skyrock.com/v2/oauth/token",
    profile_url: Some(USER_URL),
    mapping: Mapping {
        uid: "/id_user",
        username: Some("/username"),
        email: Some("/email"),
        email_verified: EmailVerified::No,
        first_name: Some("/firstname"),
        last_name: Some("/name"),
        picture: Some("/avatar_url"),
        profile_url: Some("/user_url"),
        locale: Some("/locale"),
        ..Mapping::DEFAULT
    },
    ..OAuth1Spec::DEFAULT
};

/// Skyrock as an OAuth 1.0a provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Skyrock;

/// The Skyrock backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth1Backend<Skyrock> {
    OAuth1Backend::new(Skyrock)
}

#[async_trait]
impl OAuth1Provider for Skyrock {
    fn spec(&self) -> OAuth1Spec {
        SPEC
    }

    /// The signed `GET user/get.json` (`API_URL` moves it). Skyrock limits calls per user
    /// and per address: a `429` means "later", not a refused login.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &AccessToken) -> Result<Value> {
        let what = "Skyrock user/get";
        let url = self.endpoint(cx.backend, Endpoint::API, USER_URL);
        let request = sign(cx, Method::GET, &url, &[], token)?;
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
}
