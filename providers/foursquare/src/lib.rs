#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, Configure, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, UserDetails,
    Value, async_trait,
    http::{body_excerpt, parse_json},
    profile::text_at,
};
use social_oauth2::{
    Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse,
};

/// The backend name.
pub const NAME: &str = "foursquare";

/// The API version date (`v=YYYYMMDD`) sent when `SOCIAL_AUTH_FOURSQUARE_API_VERSION` is
/// unset: the answers are those of the API as it was on that day.
pub const DEFAULT_API_VERSION: &str = "20240101";

/// The size asked for in the picture URL (Foursquare serves `36x36`, `100x100`, `300x300`
/// and `500x500`).
const PICTURE_SIZE: &str = "300x300";

/// Foursquare's endpoints, flags and mapping. The user is `response.user` of the v2
/// `users/self` call; [`Foursquare`] adds the version date and reads the `meta` block.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Foursquare",
    api_url: Some("https://api.foursquare.com/v2"),
    authorization_url: "https://foursquare.com/oauth2/authenticate",
    token_url: "https://foursquare.com/oauth2/access_token",
    // Foursquare documents the token request as a GET with every parameter in the query.
    token_method: Method::GET,
    pkce: Pkce::None,
    profile: Some(ProfileCall::get(
        "{api_url}/users/self",
        TokenIn::Query("oauth_token"),
    )),
    mapping: Mapping {
        uid: "/response/user/id",
        email: Some("/response/user/contact/email"),
        first_name: Some("/response/user/firstName"),
        last_name: Some("/response/user/lastName"),
        profile_url: Some("/response/user/canonicalUrl"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Foursquare as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Foursquare;

/// The Foursquare backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Foursquare> {
    OAuth2Backend::new(Foursquare)
}

/// Foursquare's own settings (`SOCIAL_AUTH_FOURSQUARE_*`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct Options {
    /// `API_VERSION`: the `v` date of every API call.
    api_version: Option<String>,
}

impl Options {
    fn api_version(&self) -> &str {
        self.api_version.as_deref().unwrap_or(DEFAULT_API_VERSION)
    }
}

/// Whether `text` is a `YYYYMMDD` date.
fn is_version_date(text: &str) -> bool {
    let digits = |range: std::ops::Range<usize>| {
        text.get(range)
            .and_then(|part| part.parse::<u32>().ok())
            .unwrap_or(0)
    };
    text.len() == 8
        && text.bytes().all(|b| b.is_ascii_digit())
        && (1..=12).contains(&digits(4..6))
        && (1..=31).contains(&digits(6..8))
}

/// The error a `meta` block (or, without one, the HTTP status) stands for: Foursquare repeats
/// the status in `meta.code` and says why in `meta.errorType`.
fn api_error(status: u16, meta: Option<&Value>) -> AuthError {
    let code = meta
        .and_then(|m| m.get("code"))
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(status);
    let text = |key: &str| meta.and_then(|m| text_at(m, key));
    let error_type = text("/errorType");
    let kind = match error_type.as_deref() {
        Some("rate_limit_exceeded" | "quota_exceeded" | "server_error") => {
            ErrorKind::ProviderUnavailable
        }
        Some("not_authorized") => ErrorKind::Forbidden,
        Some(_) => ErrorKind::ProviderRejected,
        None if code == 429 || code >= 500 => ErrorKind::ProviderUnavailable,
        None => ErrorKind::ProviderRejected,
    };
    let detail: String = text("/errorDetail")
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    AuthError::new(
        kind,
        Stage::Profile,
        format!(
            "Foursquare users/self answered {status} (meta.code {code}, errorType {}): {detail}",
            error_type.as_deref().unwrap_or("none"),
        ),
    )
}

#[async_trait]
impl OAuth2Provider for Foursquare {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// `GET {api_url}/users/self?v=<API_VERSION>&oauth_token=<token>`, accepted only when its
    /// `meta.code` is 200, whatever the HTTP status says.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let what = "Foursquare users/self";
        let version = cx.options::<Options>().api_version().to_owned();
        let base = SPEC.expand(cx.backend, "{api_url}/users/self");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}v={version}");
        let place = TokenIn::Query("oauth_token");
        let request = ProviderCx::api_request(Method::GET, &url, token.access_token(), place)
            .body(Vec::new())
            .map_err(|e| cx.config_error("api_url", format!("not a valid URL: {e}")))?;
        let response = cx.send(request, Stage::Profile, what).await?;
        let status = response.status().as_u16();
        let parsed: Option<Value> = parse_json(response.body(), Stage::Profile, what).ok();
        let meta = parsed.as_ref().and_then(|v| v.get("meta"));
        let meta_code = meta.and_then(|m| m.get("code")).and_then(Value::as_u64);
        if status != 200 || meta_code.is_some_and(|c| c != 200) {
            if status >= 500 && meta.is_none() {
                return Err(AuthError::new(
                    ErrorKind::ProviderUnavailable,
                    Stage::Profile,
                    format!(
                        "{what} answered {status}: {}",
                        body_excerpt(response.body())
                    ),
                ));
            }
            return Err(api_error(status, meta));
        }
        match parsed {
            Some(user) if meta_code == Some(200) => Ok(user),
            Some(_) => Err(AuthError::new(
                ErrorKind::InvalidResponse,
                Stage::Profile,
                format!("{what} answered no `meta.code` 200"),
            )),
            // The parse error itself, now that it is the answer.
            None => parse_json(response.body(), Stage::Profile, what),
        }
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let details = SPEC.mapping.user_details(user);
        let photo = |key: &str| text_at(user, &format!("/response/user/photo/{key}"));
        match (photo("prefix"), photo("suffix")) {
            (Some(prefix), Some(suffix)) => {
                details.picture(Some(&format!("{prefix}{PICTURE_SIZE}{suffix}")))
            }
            _ => details,
        }
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let options: Options = cx.options()?;
        match options.api_version.as_deref() {
            Some(version) if !is_version_date(version) => Err(cx.error(
                "api_version",
                format!("`{version}` is not a YYYYMMDD date such as {DEFAULT_API_VERSION}"),
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_version_date;

    #[test]
    fn version_dates() {
        assert!(is_version_date("20240101"));
        assert!(is_version_date("20140128"));
        for bad in [
            "2024-01-01",
            "2024011",
            "202401011",
            "20241301",
            "20240100",
            "v2",
        ] {
            assert!(!is_version_date(bad), "{bad}");
        }
    }
}
