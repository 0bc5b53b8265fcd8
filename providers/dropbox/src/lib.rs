#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, EmailVerified, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn,
    Tokens, Value, async_trait, http::HttpResponse, serde_json,
};
use social_oauth2::{
    Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, ProfileCall, TokenResponse,
};

/// The backend name, as django-social-auth named it.
pub const NAME: &str = "dropbox-oauth2";

/// The user call, an RPC endpoint of the Dropbox API.
const ACCOUNT_URL: &str = "{api_url}/2/users/get_current_account";

/// Dropbox's endpoints, flags and mapping. `API_URL` moves the API root
/// (`https://api.dropboxapi.com`: token, user and revocation calls); the hooks of [`Dropbox`]
/// read its errors and revoke with the token itself.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Dropbox",
    api_url: Some("https://api.dropboxapi.com"),
    authorization_url: "https://www.dropbox.com/oauth2/authorize",
    token_url: "{api_url}/oauth2/token",
    revoke_url: Some("{api_url}/2/auth/token/revoke"),
    // A refresh token with the short-lived access token; `AUTH_EXTRA_ARGUMENTS` can say
    // `token_access_type=online` instead.
    auth_params: &[("token_access_type", "offline")],
    refresh: true,
    // RPC endpoints take their arguments as a JSON body; this one takes none, so none is sent.
    profile: Some(ProfileCall::post(ACCOUNT_URL, TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/account_id",
        email: Some("/email"),
        email_verified: EmailVerified::At("/email_verified"),
        fullname: Some("/name/display_name"),
        first_name: Some("/name/given_name"),
        last_name: Some("/name/surname"),
        picture: Some("/profile_photo_url"),
        locale: Some("/locale"),
        extra_data: &["account_id", "country"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Dropbox as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Dropbox;

/// The `dropbox-oauth2` backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Dropbox> {
    OAuth2Backend::new(Dropbox)
}

fn error(kind: ErrorKind, stage: Stage, details: impl Into<String>) -> AuthError {
    AuthError::new(kind, stage, details)
}

/// The error of a Dropbox answer that is not a success: rate limits (429) and server errors
/// make Dropbox unavailable; other statuses (400 bad input, 401 bad token, 403, 409 endpoint
/// error) are refusals of `refused` kind. Dropbox's `error_summary` goes in the details.
fn status_error(
    response: &HttpResponse,
    stage: Stage,
    what: &str,
    refused: ErrorKind,
) -> Option<AuthError> {
    let status = response.status();
    if status.is_success() {
        return None;
    }
    let said = serde_json::from_slice::<Value>(response.body())
        .ok()
        .and_then(|v| v["error_summary"].as_str().map(str::to_owned))
        .unwrap_or_else(|| social_core::http::body_excerpt(response.body()));
    let kind = if status.as_u16() == 429 || status.is_server_error() {
        ErrorKind::ProviderUnavailable
    } else {
        refused
    };
    Some(error(
        kind,
        stage,
        format!("{what} answered {status}: {said}"),
    ))
}

/// A POST of an RPC endpoint that takes no argument: the bearer token and an empty body, with
/// no `Content-Type`, as Dropbox's reference example of such a call.
fn bare_post(
    cx: &ProviderCx<'_>,
    url: &str,
    token: &str,
    setting: &str,
) -> Result<social_core::http::HttpRequest> {
    ProviderCx::api_request(Method::POST, url, token, TokenIn::Bearer)
        .body(Vec::new())
        .map_err(|e| cx.config_error(setting, format!("not a valid URL: {e}")))
}

#[async_trait]
impl OAuth2Provider for Dropbox {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// `POST 2/users/get_current_account` without a body. A disabled account may not log in,
    /// and the account must be the one the token response names.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let what = "user API";
        let url = SPEC.expand(cx.backend, ACCOUNT_URL);
        let request = bare_post(cx, &url, token.access_token(), Endpoint::API.setting())?;
        let response = cx.send(request, Stage::Profile, what).await?;
        if let Some(e) = status_error(&response, Stage::Profile, what, ErrorKind::ProviderRejected)
        {
            return Err(e);
        }
        let account: Value = social_core::http::parse_json(response.body(), Stage::Profile, what)?;
        if !account.is_object() {
            return Err(error(
                ErrorKind::InvalidResponse,
                Stage::Profile,
                format!("{what} did not answer a JSON object"),
            ));
        }
        if account["disabled"] == true {
            return Err(error(
                ErrorKind::Forbidden,
                Stage::Profile,
                "the Dropbox account is disabled",
            ));
        }
        if let (Some(issued), Some(shown)) = (
            token.raw.get("account_id").and_then(Value::as_str),
            account["account_id"].as_str(),
        ) && issued != shown
        {
            return Err(error(
                ErrorKind::InvalidResponse,
                Stage::Profile,
                "the user API answered for another account than the token's",
            ));
        }
        Ok(account)
    }

    /// `POST 2/auth/token/revoke` with the access token as bearer and no body: it also ends
    /// the refresh token the access token came with.
    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let what = "token revocation";
        let default = SPEC.revoke_url.unwrap_or_default();
        let url = self.endpoint(cx.backend, Endpoint::REVOKE_TOKEN, default);
        let request = bare_post(
            cx,
            &url,
            tokens.access_token.secret(),
            Endpoint::REVOKE_TOKEN.setting(),
        )?;
        let response = cx.send(request, Stage::Token, what).await?;
        match status_error(&response, Stage::Token, what, ErrorKind::TokenError) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
