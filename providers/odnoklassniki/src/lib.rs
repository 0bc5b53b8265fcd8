#![doc = include_str!("../README.md")]

mod app;
mod sign;

use serde::Deserialize;
use social_core::{
    AuthError, Configure, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, UserDetails,
    Value, async_trait, http::HttpRequest, profile::text_at, serde_json,
};
use social_oauth2::{
    Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse,
};

pub use app::OdnoklassnikiApp;

/// The name of the OAuth 2.0 backend ([`backend`]), as django-social-auth named it.
pub const NAME: &str = "odnoklassniki-oauth2";

/// The name of the iframe-application backend ([`app`]), as django-social-auth named it.
pub const APP_NAME: &str = "odnoklassniki-app";

/// The OK API root both backends call `fb.do` under; setting `API_URL` moves it.
pub const API_URL: &str = "https://api.ok.ru";

/// OK's OAuth 2.0 endpoints, flags and mapping. `API_URL` moves the REST API root; the hooks
/// of [`Odnoklassniki`] sign the user call and read the errors OK puts in a 200 answer.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "OK",
    api_url: Some(API_URL),
    authorization_url: "https://connect.ok.ru/oauth/authorize",
    token_url: "https://api.ok.ru/oauth/token.do",
    // OK requires a scope; `VALUABLE_ACCESS` is the permission most methods need.
    default_scope: &["VALUABLE_ACCESS"],
    scope_separator: ";",
    pkce: Pkce::None,
    refresh: true,
    profile: Some(ProfileCall::get(
        "{api_url}/fb.do",
        TokenIn::Query("access_token"),
    )),
    mapping: Mapping {
        uid: "/uid",
        email: Some("/email"),
        locale: Some("/locale"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// OK as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Odnoklassniki;

/// The `odnoklassniki-oauth2` backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Odnoklassniki> {
    OAuth2Backend::new(Odnoklassniki)
}

/// The `odnoklassniki-app` backend (an application running in OK's iframe), ready for a
/// [`social_core::Registry`].
pub fn app() -> OdnoklassnikiApp {
    OdnoklassnikiApp
}

/// Settings of both backends besides the client id and secret.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    /// The application's public key (`APPLICATION_KEY`), sent as `application_key`.
    application_key: Option<String>,
    /// User fields the iframe backend asks `users.getInfo` for beyond its own
    /// (`EXTRA_USER_DATA_LIST`).
    extra_user_data_list: Vec<String>,
}

/// Parses the options of backend `cx`, requiring the application key.
fn configure_options(cx: &mut Configure<'_>, iframe: bool) -> Result<Options> {
    let options: Options = cx.options()?;
    if options
        .application_key
        .as_deref()
        .is_none_or(|k| k.trim().is_empty())
    {
        return Err(cx.error(
            "application_key",
            "is not set: OK's API names the application by its public key",
        ));
    }
    if !iframe && !options.extra_user_data_list.is_empty() {
        return Err(cx.error(
            "extra_user_data_list",
            "is a setting of the iframe backend `odnoklassniki-app` only",
        ));
    }
    Ok(options)
}

/// The application key kept by `configure`.
fn application_key(cx: &ProviderCx<'_>) -> Result<String> {
    cx.options::<Options>()
        .application_key
        .clone()
        .filter(|k| !k.trim().is_empty())
        .ok_or_else(|| cx.config_error("application_key", "is not set"))
}

/// The URL of `fb.do` under the API root (`API_URL`, else [`API_URL`]).
fn fb_do(cx: &ProviderCx<'_>) -> String {
    let root = cx.endpoint(social_core::Endpoint::API, API_URL);
    format!("{}/fb.do", root.trim_end_matches('/'))
}

fn profile_error(kind: ErrorKind, details: impl Into<String>) -> AuthError {
    AuthError::new(kind, Stage::Profile, details)
}

/// The kind of an OK API error code (<https://apiok.ru/en/dev/errors>).
fn error_kind(code: i64) -> ErrorKind {
    match code {
        // SERVICE (temporarily unavailable), FLOOD_BLOCKED, LIMIT_REACHED.
        2 | 8 | 11 => ErrorKind::ProviderUnavailable,
        // ACTION_BLOCKED, IP_BLOCKED, PERMISSION_DENIED, NOT_ACTIVATED, NOT_YET_INVOLVED.
        7 | 9 | 10 | 22 | 23 => ErrorKind::Forbidden,
        // CANCELLED by the user.
        12 => ErrorKind::Canceled,
        // PARAM_SESSION_EXPIRED, PARAM_SESSION_KEY.
        102 | 103 => ErrorKind::TokenError,
        // UNKNOWN, METHOD, REQUEST, PARAM, PARAM_API_KEY, PARAM_SIGNATURE, ...
        _ => ErrorKind::ProviderRejected,
    }
}

/// The code of an OK error answer: `error_code` in the JSON body, else the
/// `invocation-error` header.
fn error_code(body: &Value, header: Option<&str>) -> Option<i64> {
    match body.get("error_code") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => Some(-1),
        None => header.and_then(|h| h.trim().parse().ok()),
    }
}

/// Sends an OK API call (`method` names it in errors) and returns its JSON answer; an error
/// answer (`error_code`, `error_msg`), which OK sends with a 200, becomes an error of the
/// kind its code says.
async fn api_call(cx: &ProviderCx<'_>, request: HttpRequest, method: &str) -> Result<Value> {
    let response = cx.send(request, Stage::Profile, method).await?;
    let status = response.status();
    if status.is_server_error() {
        return Err(profile_error(
            ErrorKind::ProviderUnavailable,
            format!("{method} answered {status}"),
        ));
    }
    let header = response
        .headers()
        .get("invocation-error")
        .and_then(|v| v.to_str().ok());
    let body = match serde_json::from_slice::<Value>(response.body()) {
        Ok(body) => body,
        Err(e) => {
            if let Some(code) = error_code(&Value::Null, header) {
                return Err(profile_error(
                    error_kind(code),
                    format!("{method} failed with OK error {code}"),
                ));
            }
            let kind = if status.is_success() {
                ErrorKind::InvalidResponse
            } else {
                ErrorKind::ProviderRejected
            };
            return Err(profile_error(
                kind,
                format!("{method} answered {status}, not JSON: {e}"),
            ));
        }
    };
    if let Some(code) = error_code(&body, header) {
        let message: String = text_at(&body, "/error_msg")
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        return Err(profile_error(
            error_kind(code),
            format!("{method} failed with OK error {code}: {message}"),
        ));
    }
    if !status.is_success() {
        return Err(profile_error(
            ErrorKind::ProviderRejected,
            format!("{method} answered {status}"),
        ));
    }
    Ok(body)
}

/// A GET of `fb.do` with `params` in its query.
fn get_request(cx: &ProviderCx<'_>, params: &[(&str, &str)]) -> Result<HttpRequest> {
    let base = fb_do(cx);
    let mut url =
        url::Url::parse(&base).map_err(|e| cx.config_error("api_url", format!("`{base}`: {e}")))?;
    url.query_pairs_mut().extend_pairs(params);
    ProviderCx::api_request(Method::GET, url.as_str(), "", TokenIn::None)
        .body(Vec::new())
        .map_err(|e| cx.config_error("api_url", format!("not a valid request URL: {e}")))
}

/// A POST of `fb.do` with `params` as a form.
fn post_request(cx: &ProviderCx<'_>, params: &[(&str, &str)]) -> Result<HttpRequest> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    ProviderCx::api_request(Method::POST, &fb_do(cx), "", TokenIn::None)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.into_bytes())
        .map_err(|e| cx.config_error("api_url", format!("not a valid request URL: {e}")))
}

/// The user's details from an OK user object: OK may URL-encode the names.
fn user_details(user: &Value) -> UserDetails {
    let decoded = |pointer: &str| text_at(user, pointer).map(|v| sign::unquote(&v));
    // The uid stands for the username, as in django-social-auth: OK users have no login name.
    UserDetails::new()
        .username(text_at(user, "/uid").as_deref())
        .email(text_at(user, "/email").as_deref())
        .names(
            decoded("/first_name").as_deref(),
            decoded("/last_name").as_deref(),
        )
        .fullname(decoded("/name").as_deref())
        .locale(text_at(user, "/locale").as_deref())
}

#[async_trait]
impl OAuth2Provider for Odnoklassniki {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        configure_options(cx, false).map(|_| ())
    }

    /// `users.getCurrentUser` on `fb.do`, signed with `md5(access_token + secret)`.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let key = application_key(cx)?;
        let access_token = token.access_token();
        let mut params = vec![
            ("application_key", key.as_str()),
            ("format", "json"),
            ("method", "users.getCurrentUser"),
            ("access_token", access_token),
        ];
        let secret_key = sign::session_secret(access_token, cx.secret()?);
        let sig = sign::signature(&params, &secret_key);
        params.push(("sig", &sig));
        let request = get_request(cx, &params)?;
        let user = api_call(cx, request, "users.getCurrentUser").await?;
        if !user.is_object() {
            return Err(profile_error(
                ErrorKind::InvalidResponse,
                "users.getCurrentUser did not answer a user",
            ));
        }
        Ok(user)
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        user_details(user)
    }
}
