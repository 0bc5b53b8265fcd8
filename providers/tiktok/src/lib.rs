#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, Tokens, Value,
    async_trait, http::check_status,
};
use social_oauth2::{
    ClientAuth, Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenBody,
    TokenResponse, client_request,
};

/// The backend name.
pub const NAME: &str = "tiktok";

/// TikTok Login Kit (v2) for the web: endpoints, flags and mapping into the `data.user`
/// envelope of the Display API. `API_URL` moves the `open.tiktokapis.com` host (token,
/// revocation and user calls); the hooks of [`TikTok`] add what data cannot say.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "TikTok",
    api_url: Some("https://open.tiktokapis.com"),
    authorization_url: "https://www.tiktok.com/v2/auth/authorize/",
    token_url: "{api_url}/v2/oauth/token/",
    revoke_url: Some("{api_url}/v2/oauth/revoke/"),
    default_scope: &["user.info.basic"],
    scope_separator: ",",
    // Login Kit for the web documents no PKCE (desktop apps use a hex-encoded challenge).
    pkce: Pkce::None,
    client_auth: ClientAuth::BodyAs {
        id: "client_key",
        secret: "client_secret",
    },
    refresh: true,
    profile: Some(ProfileCall::get(
        "{api_url}/v2/user/info/?fields=open_id,union_id,avatar_url,display_name",
        TokenIn::Bearer,
    )),
    mapping: Mapping {
        uid: "/data/user/open_id",
        username: Some("/data/user/display_name"),
        fullname: Some("/data/user/display_name"),
        picture: Some("/data/user/avatar_url"),
        extra_data: &["open_id", "refresh_expires_in"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// TikTok as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct TikTok;

/// The TikTok backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<TikTok> {
    OAuth2Backend::new(TikTok)
}

fn excerpt(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

#[async_trait]
impl OAuth2Provider for TikTok {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// The Display API's user, accepted only when its `error.code` is `ok` and its `open_id`
    /// is the one the token answer gave.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let answer = social_oauth2::profile(cx, &SPEC, token).await?;
        let invalid = |details: String| {
            Err(AuthError::new(
                ErrorKind::InvalidResponse,
                Stage::Profile,
                details,
            ))
        };
        match answer.pointer("/error/code").and_then(Value::as_str) {
            Some("ok") => {}
            Some(code) => {
                return Err(AuthError::new(
                    ErrorKind::ProviderRejected,
                    Stage::Profile,
                    format!(
                        "TikTok refused the user-info call: {code}: {} (log_id {})",
                        excerpt(&answer["error"]["message"]),
                        excerpt(&answer["error"]["log_id"]),
                    ),
                ));
            }
            None => return invalid("the user info has no `error.code`".into()),
        }
        let Some(Value::String(expected)) = token.raw.get("open_id") else {
            return invalid("the token answer has no `open_id`".into());
        };
        if answer.pointer("/data/user/open_id").and_then(Value::as_str) != Some(expected) {
            return invalid("the user info is not about the `open_id` of the token".into());
        }
        Ok(answer)
    }

    /// `POST /v2/oauth/revoke/` with `client_key`, `client_secret` and `token`; an OAuth
    /// error in the answer fails, whatever the status.
    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let default = SPEC.revoke_url.unwrap_or_default();
        let url = self.endpoint(cx.backend, Endpoint::REVOKE_TOKEN, default);
        let mut form = vec![("token", tokens.access_token.secret().to_owned())];
        let request = client_request(
            cx,
            SPEC.client_auth,
            TokenBody::Form,
            Method::POST,
            &url,
            &mut form,
        )?;
        let what = "revocation endpoint";
        let response = cx.send(request, Stage::Token, what).await?;
        check_status(&response, Stage::Token, what, ErrorKind::TokenError)?;
        let answer: Value =
            social_core::serde_json::from_slice(response.body()).unwrap_or_default();
        match answer.get("error").and_then(Value::as_str) {
            Some(error) if !error.is_empty() => Err(AuthError::new(
                ErrorKind::TokenError,
                Stage::Token,
                format!(
                    "{what} refused: {error}: {}",
                    excerpt(&answer["error_description"])
                ),
            )),
            _ => Ok(()),
        }
    }
}
