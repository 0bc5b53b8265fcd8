#![doc = include_str!("../README.md")]

use md5::{Digest, Md5};
use social_core::{
    AuthError, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, UserDetails, Value,
    async_trait, profile::text_at, serde_json,
};
use social_oauth2::{
    Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse,
};

/// The name of the current Mail.ru backend ([`backend`]), as django-social-auth named it.
pub const NAME: &str = "mailru";

/// The name of the legacy Mail.ru connect backend ([`legacy`]), as django-social-auth named it.
pub const LEGACY_NAME: &str = "mailru-oauth2";

/// Mail.ru OAuth (`oauth.mail.ru`): endpoints, flags and mapping. `API_URL` moves the root of
/// the user call (`https://oauth.mail.ru`); the hooks of [`Mailru`] read the errors Mail.ru
/// puts in a 200 answer.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Mail.ru",
    api_url: Some("https://oauth.mail.ru"),
    authorization_url: "https://oauth.mail.ru/login",
    token_url: "https://oauth.mail.ru/token",
    default_scope: &["userinfo"],
    profile: Some(ProfileCall::get(
        "{api_url}/userinfo",
        TokenIn::Query("access_token"),
    )),
    mapping: Mapping {
        username: Some("/nickname"),
        email: Some("/email"),
        fullname: Some("/name"),
        first_name: Some("/first_name"),
        last_name: Some("/last_name"),
        picture: Some("/image"),
        locale: Some("/locale"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The legacy Mail.ru connect platform (`connect.mail.ru`, the `appsmail.ru` REST API):
/// endpoints, flags and mapping. `API_URL` moves the REST API root
/// (`https://www.appsmail.ru`); the hooks of [`MailruLegacy`] sign the user call.
pub const LEGACY_SPEC: OAuth2Spec = OAuth2Spec {
    name: LEGACY_NAME,
    display_name: "Mail.ru",
    api_url: Some("https://www.appsmail.ru"),
    authorization_url: "https://connect.mail.ru/oauth/authorize",
    token_url: "https://connect.mail.ru/oauth/token",
    pkce: Pkce::None,
    // The call is signed for the app; the token rides in it as `session_key`.
    profile: Some(ProfileCall::get(
        "{api_url}/platform/api",
        TokenIn::Query("session_key"),
    )),
    mapping: Mapping {
        uid: "/uid",
        username: Some("/nick"),
        email: Some("/email"),
        first_name: Some("/first_name"),
        last_name: Some("/last_name"),
        picture: Some("/pic_big"),
        profile_url: Some("/link"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Mail.ru OAuth as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Mailru;

/// The legacy Mail.ru connect platform as an OAuth 2.0 provider; register it with [`legacy`].
#[derive(Debug, Clone, Copy, Default)]
pub struct MailruLegacy;

/// The `mailru` backend (Mail.ru OAuth), ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Mailru> {
    OAuth2Backend::new(Mailru)
}

/// The `mailru-oauth2` backend (the legacy Mail.ru connect platform), ready for a
/// [`social_core::Registry`].
pub fn legacy() -> OAuth2Backend<MailruLegacy> {
    OAuth2Backend::new(MailruLegacy)
}

fn profile_error(kind: ErrorKind, details: impl Into<String>) -> AuthError {
    AuthError::new(kind, Stage::Profile, details)
}

/// Sends a user-API request and parses its JSON, whatever the status: 5xx is
/// [`ErrorKind::ProviderUnavailable`], a 4xx without JSON [`ErrorKind::ProviderRejected`].
async fn call(
    cx: &ProviderCx<'_>,
    request: social_core::http::HttpRequest,
    what: &str,
) -> Result<(bool, Value)> {
    let response = cx.send(request, Stage::Profile, what).await?;
    let status = response.status();
    let excerpt = || social_core::http::body_excerpt(response.body());
    if status.is_server_error() {
        return Err(profile_error(
            ErrorKind::ProviderUnavailable,
            format!("{what} answered {status}"),
        ));
    }
    match serde_json::from_slice::<Value>(response.body()) {
        Ok(value) => Ok((status.is_success(), value)),
        Err(_) if !status.is_success() => Err(profile_error(
            ErrorKind::ProviderRejected,
            format!("{what} answered {status}: {}", excerpt()),
        )),
        Err(e) => Err(profile_error(
            ErrorKind::InvalidResponse,
            format!("{what} answered malformed JSON: {e}"),
        )),
    }
}

/// The first 200 characters of a provider's text, for error details.
fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

/// Decodes the `%XX` escapes of `text` as Python's `unquote` does (`+` stays a plus): the
/// legacy platform URL-encodes some user fields.
fn unquote(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = match (b, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) => hex(hi).zip(hex(lo)),
            _ => None,
        };
        match escaped.and_then(|(hi, lo)| u8::try_from(hi * 16 + lo).ok()) {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The signature of a server-to-server call of the legacy platform: MD5, in lowercase hex, of
/// the `name=value` pairs sorted and joined without separator, followed by the app secret.
fn legacy_signature(params: &[(&str, &str)], secret: &str) -> String {
    let mut pairs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    let mut text = pairs.concat();
    text.push_str(secret);
    format!("{:x}", Md5::digest(text.as_bytes()))
}

#[async_trait]
impl OAuth2Provider for Mailru {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// `GET /userinfo?access_token=...`; Mail.ru reports a bad token as an `error` field,
    /// possibly with a 200.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let spec = SPEC;
        let url = spec.expand(cx.backend, spec.profile.map_or("", |p| p.url));
        let request =
            ProviderCx::api_request(Method::GET, &url, token.access_token(), spec.token_in())
                .body(Vec::new())
                .map_err(|e| cx.config_error("api_url", format!("not a valid request URL: {e}")))?;
        let (ok, user) = call(cx, request, "user info").await?;
        if let Some(error) = user.get("error") {
            let code = error.as_str().unwrap_or_default();
            let kind = match code {
                // RFC 6750 section 3.1.
                "invalid_token" => ErrorKind::TokenError,
                "insufficient_scope" => ErrorKind::Forbidden,
                _ => ErrorKind::ProviderRejected,
            };
            let description = text_at(&user, "/error_description").unwrap_or_default();
            return Err(profile_error(
                kind,
                format!(
                    "user info refused: {} {}",
                    short(&error.to_string()),
                    short(&description)
                ),
            ));
        }
        if !ok {
            return Err(profile_error(
                ErrorKind::ProviderRejected,
                "user info refused the call",
            ));
        }
        Ok(user)
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let details = SPEC.mapping.user_details(user);
        // The nickname when set, else the display name.
        match details.username {
            Some(_) => details,
            None => details.username(text_at(user, "/name").as_deref()),
        }
    }
}

#[async_trait]
impl OAuth2Provider for MailruLegacy {
    fn spec(&self) -> OAuth2Spec {
        LEGACY_SPEC
    }

    /// `users.getInfo`, signed with the app secret (`secure=1`): the answer is a list holding
    /// the user, or an `error` object with a 200.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let spec = LEGACY_SPEC;
        let app_id = cx.key()?;
        let session_key = token.access_token();
        let mut params = vec![
            ("method", "users.getInfo"),
            ("app_id", app_id),
            ("session_key", session_key),
            ("secure", "1"),
        ];
        let sig = legacy_signature(&params, cx.secret()?);
        params.push(("sig", &sig));
        let base = spec.expand(cx.backend, spec.profile.map_or("", |p| p.url));
        let mut url = url::Url::parse(&base)
            .map_err(|e| cx.config_error("api_url", format!("`{base}`: {e}")))?;
        url.query_pairs_mut().extend_pairs(&params);
        let request = ProviderCx::api_request(Method::GET, url.as_str(), "", TokenIn::None)
            .body(Vec::new())
            .map_err(|e| cx.config_error("api_url", format!("not a valid request URL: {e}")))?;
        let (ok, answer) = call(cx, request, "users.getInfo").await?;
        if let Some(error) = answer.get("error") {
            let code = text_at(error, "/error_code").unwrap_or_default();
            let message = text_at(error, "/error_msg").unwrap_or_default();
            return Err(profile_error(
                ErrorKind::ProviderRejected,
                format!(
                    "users.getInfo refused: error {} {}",
                    short(&code),
                    short(&message)
                ),
            ));
        }
        if !ok {
            return Err(profile_error(
                ErrorKind::ProviderRejected,
                "users.getInfo refused the call",
            ));
        }
        match answer {
            Value::Array(mut users) if !users.is_empty() => Ok(users.swap_remove(0)),
            Value::Array(_) => Err(profile_error(
                ErrorKind::InvalidResponse,
                "users.getInfo answered no user",
            )),
            _ => Err(profile_error(
                ErrorKind::InvalidResponse,
                "users.getInfo did not answer a list of users",
            )),
        }
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        // The platform URL-encodes these fields.
        let decoded = |pointer: &str| text_at(user, pointer).map(|v| unquote(&v));
        UserDetails::new()
            .username(decoded("/nick").as_deref())
            .email(decoded("/email").as_deref())
            .names(
                decoded("/first_name").as_deref(),
                decoded("/last_name").as_deref(),
            )
            .picture(text_at(user, "/pic_big").as_deref())
            .profile_url(text_at(user, "/link").as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::unquote;

    #[test]
    fn unquote_decodes_escapes_and_keeps_the_rest() {
        assert_eq!(unquote("%D0%98%D0%B2%D0%B0%D0%BD"), "Иван");
        assert_eq!(unquote("a+b%20c"), "a+b c");
        assert_eq!(unquote("100%"), "100%");
        assert_eq!(unquote("%zz%4"), "%zz%4");
        assert_eq!(unquote("plain"), "plain");
    }
}
