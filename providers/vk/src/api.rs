//! The VK API call the classic backends make (`users.get`), its version parameter and the
//! errors VK answers with HTTP 200.

use serde::Deserialize;
use social_core::{
    AuthError, BackendSettings, Configure, EmailVerified, ErrorKind, Mapping, ProviderCx, Result,
    Stage, TokenIn, Value,
};

/// The VK API root (`API_URL`): methods live at `<root>/<method>`.
pub(crate) const API_ROOT: &str = "https://api.vk.com/method";

/// `users.get` fields asked for besides the id and names VK always returns.
const DEFAULT_FIELDS: &[&str] = &["screen_name", "nickname", "photo_100"];

/// Where a `users.get` item holds the account's fields. `email` is not a `users.get` field:
/// the classic OAuth backend copies it there from the token response.
pub(crate) const USER_MAPPING: Mapping = Mapping {
    uid: "/id",
    username: Some("/screen_name"),
    email: Some("/email"),
    email_verified: EmailVerified::No,
    first_name: Some("/first_name"),
    last_name: Some("/last_name"),
    picture: Some("/photo_100"),
    extra_data: &["id"],
    ..Mapping::DEFAULT
};

/// Settings of the backends that call the VK API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct ApiOptions {
    /// The API version sent as `v` (`API_VERSION`).
    api_version: Option<String>,
}

impl ApiOptions {
    /// Parses and checks the options at start-up and keeps them for the requests.
    pub(crate) fn configure(cx: &mut Configure<'_>) -> Result<Self> {
        let options: Self = cx.options()?;
        if let Some(version) = &options.api_version {
            let valid = version
                .split_once('.')
                .is_some_and(|(major, minor)| is_digits(major) && is_digits(minor));
            if !valid {
                return Err(cx.error(
                    "api_version",
                    format!("`{version}` is not a VK API version such as `5.199`"),
                ));
            }
        }
        Ok(options)
    }

    /// The API version to send.
    pub(crate) fn version(&self) -> &str {
        self.api_version
            .as_deref()
            .unwrap_or(crate::DEFAULT_API_VERSION)
    }
}

/// Whether `text` is a non-empty run of ASCII digits.
pub(crate) fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A VK user id as text: a positive integer, given as a JSON number or as digits.
pub(crate) fn user_id_of(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::Number(n) => n.as_u64()?.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    (is_digits(&text) && !text.starts_with('0')).then_some(text)
}

/// The `fields` of `users.get`: the defaults plus the names the backend's `EXTRA_DATA` keeps,
/// so that extra data can name any profile field.
pub(crate) fn fields(settings: &BackendSettings) -> String {
    let mut fields: Vec<&str> = DEFAULT_FIELDS.to_vec();
    for field in &settings.extra_data {
        if !fields.contains(&field.name.as_str()) {
            fields.push(&field.name);
        }
    }
    fields.join(",")
}

/// Calls `users.get` for the owner of `token` and returns their profile, after mapping the
/// errors VK answers with HTTP 200.
pub(crate) async fn users_get(
    cx: &ProviderCx<'_>,
    api_root: &str,
    version: &str,
    token: &str,
) -> Result<Value> {
    let mut url = url::Url::parse(&format!("{}/users.get", api_root.trim_end_matches('/')))
        .map_err(|e| cx.config_error("api_url", format!("`{api_root}`: {e}")))?;
    url.query_pairs_mut()
        .append_pair("v", version)
        .append_pair("fields", &fields(cx.backend));
    let answer: Value = cx
        .api_json(
            http::Method::GET,
            url.as_str(),
            token,
            TokenIn::Query("access_token"),
        )
        .await?;
    check_error(cx, &answer)?;
    let user = answer
        .get("response")
        .and_then(Value::as_array)
        .and_then(|users| users.first())
        .filter(|user| user.is_object())
        .ok_or_else(|| {
            AuthError::new(
                ErrorKind::InvalidResponse,
                Stage::Profile,
                "users.get answered no user in `response`",
            )
            .with_provider(cx.name)
        })?;
    if user_id_of(user.get("id")).is_none() {
        return Err(AuthError::new(
            ErrorKind::InvalidResponse,
            Stage::Profile,
            "users.get answered a user without a numeric `id`",
        )
        .with_provider(cx.name));
    }
    Ok(user.clone())
}

/// The error kind of a VK API error code.
///
/// Codes from VK's published error list: 5 the token is invalid or revoked; 6, 9 and 29 rate
/// limits; 10 an internal server error; 43 a section temporarily unavailable; 36 a time-out;
/// 18 and 37 a deleted or banned user. Anything else is a refusal.
pub(crate) fn error_kind(code: Option<i64>) -> ErrorKind {
    match code {
        Some(5) => ErrorKind::TokenError,
        Some(6 | 9 | 29 | 10 | 43) => ErrorKind::ProviderUnavailable,
        Some(36) => ErrorKind::Timeout,
        Some(18 | 37) => ErrorKind::Forbidden,
        _ => ErrorKind::ProviderRejected,
    }
}

/// Fails with the right kind when the VK API answered `{"error": {...}}`.
fn check_error(cx: &ProviderCx<'_>, answer: &Value) -> Result<()> {
    let Some(error) = answer.get("error") else {
        return Ok(());
    };
    let code = error.get("error_code").and_then(Value::as_i64);
    let message: String = error
        .get("error_msg")
        .and_then(Value::as_str)
        .unwrap_or("no message")
        .chars()
        .take(200)
        .collect();
    let code_text = code.map_or_else(|| "without code".to_owned(), |c| c.to_string());
    Err(AuthError::new(
        error_kind(code),
        Stage::Profile,
        format!("VK API error {code_text}: {message}"),
    )
    .with_provider(cx.name))
}
