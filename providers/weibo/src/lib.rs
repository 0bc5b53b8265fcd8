#![doc = include_str!("../README.md")]

use serde::Deserialize;
use social_core::{
    AuthError, Configure, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, Value,
    async_trait, http::HttpRequest, serde_json,
};
use social_oauth2::{
    Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse,
};

/// The backend name, as django-social-auth named it.
pub const NAME: &str = "weibo";

/// The setting that moves the token-information call (`TOKEN_INFO_URL`), which gives the uid
/// when the token response lacks it.
pub const TOKEN_INFO: Endpoint = Endpoint::new("token_info_url");

/// The token-information call, on the base URL.
const TOKEN_INFO_TEMPLATE: &str = "{base_url}/oauth2/get_token_info";

/// Weibo's endpoints, flags and mapping, all under `https://api.weibo.com` (`BASE_URL`). The
/// hooks of [`Weibo`] take the uid from the token response and read Weibo's error codes.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Weibo",
    base_url: Some("https://api.weibo.com"),
    api_url: Some("{base_url}/2"),
    authorization_url: "{base_url}/oauth2/authorize",
    token_url: "{base_url}/oauth2/access_token",
    scope_separator: ",",
    pkce: Pkce::None,
    profile: Some(ProfileCall::get(
        "{api_url}/users/show.json",
        TokenIn::Query("access_token"),
    )),
    mapping: Mapping {
        // Both added to the user data by `Weibo::user_data`.
        uid: "/uid",
        username: Some("/username"),
        fullname: Some("/screen_name"),
        picture: Some("/avatar_large"),
        extra_data: &["id", "name", "profile_image_url", "gender"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Weibo as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Weibo;

/// The Weibo backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Weibo> {
    OAuth2Backend::new(Weibo)
}

/// Weibo's own setting: `DOMAIN_AS_USERNAME`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    /// The username is the user's personal domain (`weibo.com/<domain>`) instead of `name`.
    domain_as_username: bool,
}

fn profile_error(kind: ErrorKind, details: impl Into<String>) -> AuthError {
    AuthError::new(kind, Stage::Profile, details)
}

/// The kind of a Weibo error code: rate limits and the system errors that say "try later" make
/// the provider unavailable; anything else (tokens, permissions, parameters) is a refusal.
fn error_kind(code: u64) -> ErrorKind {
    match code {
        // 10022 IP, 10023 user, 10024 user-per-API request limits.
        10022..=10024 => ErrorKind::ProviderUnavailable,
        // System error, service unavailable, remote service error, system busy, job expired,
        // RPC error.
        10001..=10003 | 10009..=10011 => ErrorKind::ProviderUnavailable,
        _ => ErrorKind::ProviderRejected,
    }
}

/// Weibo's error code in `answer` (`"error_code": "21327"` or `21327`), if it carries one.
fn error_code(answer: &Value) -> Option<u64> {
    match answer.get("error_code")? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Sends a Weibo API request and returns its JSON object; an `error_code`, with any status,
/// becomes the error its code means.
async fn call(cx: &ProviderCx<'_>, request: HttpRequest, what: &str) -> Result<Value> {
    let response = cx.send(request, Stage::Profile, what).await?;
    let status = response.status();
    let body = response.body();
    let parsed = serde_json::from_slice::<Value>(body);
    let excerpt = || social_core::http::body_excerpt(body);
    let answer = match parsed {
        Ok(answer) => answer,
        Err(_) if status.is_server_error() => {
            return Err(profile_error(
                ErrorKind::ProviderUnavailable,
                format!("{what} answered {status}"),
            ));
        }
        Err(_) if !status.is_success() => {
            return Err(profile_error(
                ErrorKind::ProviderRejected,
                format!("{what} answered {status}: {}", excerpt()),
            ));
        }
        Err(e) => {
            return Err(profile_error(
                ErrorKind::InvalidResponse,
                format!("{what} answered malformed JSON: {e}"),
            ));
        }
    };
    if let Some(code) = error_code(&answer) {
        let message = answer["error"].as_str().unwrap_or_default();
        return Err(profile_error(
            error_kind(code),
            format!(
                "{what} refused ({status}): error {code} {}",
                message.chars().take(200).collect::<String>()
            ),
        ));
    }
    if status.is_server_error() {
        return Err(profile_error(
            ErrorKind::ProviderUnavailable,
            format!("{what} answered {status}"),
        ));
    }
    if !status.is_success() || answer.get("error").is_some() {
        return Err(profile_error(
            ErrorKind::ProviderRejected,
            format!("{what} answered {status}: {}", excerpt()),
        ));
    }
    if !answer.is_object() {
        return Err(profile_error(
            ErrorKind::InvalidResponse,
            format!("{what} did not answer a JSON object"),
        ));
    }
    Ok(answer)
}

/// A Weibo uid: digits, given as text or as a number.
fn uid_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            Some(s.clone())
        }
        _ => None,
    }
}

/// Whether `value` holds no uid at all (absent, null or empty), as opposed to a malformed one.
fn is_missing(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

impl Weibo {
    /// The uid of the token: `oauth2/get_token_info`, checked to belong to this application.
    async fn token_info_uid(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<String> {
        let url = self.endpoint(cx.backend, TOKEN_INFO, TOKEN_INFO_TEMPLATE);
        let request = ProviderCx::api_request(
            Method::POST,
            &url,
            token.access_token(),
            TokenIn::Query("access_token"),
        )
        .body(Vec::new())
        .map_err(|e| cx.config_error(TOKEN_INFO.setting(), format!("not a valid URL: {e}")))?;
        let info = call(cx, request, "token information").await?;
        let app = match info.get("appkey") {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        if let Some(app) = app
            && app != cx.key()?
        {
            return Err(profile_error(
                ErrorKind::InvalidResponse,
                "the access token was issued to another application",
            ));
        }
        info.get("uid").and_then(uid_text).ok_or_else(|| {
            profile_error(
                ErrorKind::InvalidResponse,
                "the token information has no uid",
            )
        })
    }
}

#[async_trait]
impl OAuth2Provider for Weibo {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.endpoints(&[TOKEN_INFO]);
        cx.options::<Options>().map(drop)
    }

    /// The uid from the token response (else from `oauth2/get_token_info`), then
    /// `users/show.json?uid=...`, whose `id` must be that uid. Adds `uid` and `username` to
    /// the user data.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let given = token.raw.get("uid");
        let uid = if is_missing(given) {
            self.token_info_uid(cx, token).await?
        } else {
            given.and_then(uid_text).ok_or_else(|| {
                profile_error(
                    ErrorKind::InvalidResponse,
                    "the token response's uid is not a Weibo uid",
                )
            })?
        };
        let url = SPEC.expand(cx.backend, "{api_url}/users/show.json");
        let sep = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{sep}uid={uid}");
        let request =
            ProviderCx::api_request(Method::GET, &url, token.access_token(), SPEC.token_in())
                .body(Vec::new())
                .map_err(|e| cx.config_error("api_url", format!("not a valid URL: {e}")))?;
        let mut user = call(cx, request, "user API").await?;
        let shown = user
            .get("idstr")
            .and_then(uid_text)
            .or_else(|| user.get("id").and_then(uid_text));
        if shown.as_deref() != Some(uid.as_str()) {
            return Err(profile_error(
                ErrorKind::InvalidResponse,
                format!("the user API answered for another user than uid {uid}"),
            ));
        }
        let options = cx.options::<Options>();
        let username = if options.domain_as_username {
            user["domain"].as_str().filter(|d| !d.is_empty())
        } else {
            None
        }
        .or_else(|| user["name"].as_str())
        .map(str::to_owned);
        if let Some(object) = user.as_object_mut() {
            object.insert("uid".into(), Value::String(uid));
            if let Some(username) = username {
                object.insert("username".into(), Value::String(username));
            }
        }
        Ok(user)
    }
}
