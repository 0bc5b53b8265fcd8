#![doc = include_str!("../README.md")]

use serde::Deserialize;
use social_core::{
    AuthError, Configure, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, UserDetails,
    Value, async_trait,
};
use social_oauth2::{
    Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, ProfileCall, TokenResponse,
};

/// The backend name.
pub const NAME: &str = "stackoverflow";

/// The site whose user `/me` returns unless the `SITE` setting names another.
pub const DEFAULT_SITE: &str = "stackoverflow";

/// The user call; [`StackOverflow::user_data`] adds `?site=`.
const ME: &str = "{api_url}/me";

/// Stack Exchange's OAuth 2.0 endpoints and the mapping of `GET /2.3/me` (a wrapper whose
/// `items` holds the user). `API_URL` moves the API root (`https://api.stackexchange.com/2.3`).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Stack Overflow",
    api_url: Some("https://api.stackexchange.com/2.3"),
    authorization_url: "https://stackoverflow.com/oauth",
    // The JSON variant of `/oauth/access_token` (whose answer is form-encoded).
    token_url: "https://stackoverflow.com/oauth/access_token/json",
    scope_separator: ",",
    profile: Some(ProfileCall::get(ME, TokenIn::Bearer)),
    // The uid is the user's id on the site; the details come from `StackOverflow::user_details`.
    mapping: Mapping {
        uid: "/items/0/user_id",
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Stack Exchange's own settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    /// The site of the user (`stackoverflow`, `serverfault`, `superuser`, ...).
    site: Option<String>,
}

impl Options {
    fn site(&self) -> &str {
        self.site.as_deref().unwrap_or(DEFAULT_SITE)
    }
}

/// Stack Overflow (or another Stack Exchange site) as an OAuth 2.0 provider; register it with
/// [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct StackOverflow;

/// The Stack Overflow backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<StackOverflow> {
    OAuth2Backend::new(StackOverflow)
}

/// `text` with the HTML character references the API's safe filter writes decoded
/// (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`, `&#NNN;`, `&#xHH;`); others are left as they are.
pub fn decode_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse))
                    .and_then(|n| n.ok())
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The last path segment of a profile link `https://stackoverflow.com/users/<id>/<slug>`.
fn link_slug(link: &str) -> Option<&str> {
    let path = link.split(['?', '#']).next().unwrap_or_default();
    let mut segments = path.trim_end_matches('/').rsplit('/');
    let slug = segments.next()?;
    let id = segments.next()?;
    let users = segments.next()?;
    (users == "users" && id.bytes().all(|b| b.is_ascii_digit()) && !slug.is_empty()).then_some(slug)
}

/// The API's error wrapper (`error_id`, `error_name`, `error_message`), as text.
fn api_error(answer: &Value) -> Option<String> {
    let id = answer.get("error_id")?;
    let text = |key: &str| -> String {
        answer[key]
            .as_str()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect()
    };
    Some(format!(
        "error {id} {}: {}",
        text("error_name"),
        text("error_message")
    ))
}

#[async_trait]
impl OAuth2Provider for StackOverflow {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let options: Options = cx.options()?;
        let site = options.site();
        if site.is_empty()
            || !site
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(cx.error(
                "site",
                format!(
                    "`{site}` is not a Stack Exchange site: give its API name \
                     (`stackoverflow`, `serverfault`, `superuser`, ...)"
                ),
            ));
        }
        Ok(())
    }

    /// `GET /me?site=<SITE>` with the token as a bearer token. The API's errors (its
    /// `error_id` wrapper), an empty `items` (no account on that site) and a gzip body the
    /// HTTP client left compressed each refuse the login with a message saying so.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let options = cx.options::<Options>();
        let site = options.site();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("site", site)
            .finish();
        let url = format!("{}?{query}", SPEC.expand(cx.backend, ME));
        let what = "user API";
        let request =
            ProviderCx::api_request(Method::GET, &url, token.access_token(), TokenIn::Bearer)
                .body(Vec::new())
                .map_err(|e| cx.config_error("api_url", format!("not a valid request URL: {e}")))?;
        let response = cx.send(request, Stage::Profile, what).await?;
        let status = response.status();
        let body = response.body();
        let fail = |kind, details: String| Err(AuthError::new(kind, Stage::Profile, details));
        if body.starts_with(&[0x1f, 0x8b]) {
            return fail(
                ErrorKind::InvalidResponse,
                "the Stack Exchange API answered gzip-compressed data that the HTTP client \
                 did not decompress (the default client decodes it when the answer says \
                 `Content-Encoding: gzip`; an HTTP client of your own must decode gzip)"
                    .into(),
            );
        }
        let answer: Option<Value> = social_core::serde_json::from_slice(body).ok();
        if !status.is_success() {
            let kind = if status.is_server_error() {
                ErrorKind::ProviderUnavailable
            } else {
                ErrorKind::ProviderRejected
            };
            let said = answer
                .as_ref()
                .and_then(api_error)
                .unwrap_or_else(|| social_core::http::body_excerpt(body));
            return fail(kind, format!("{what} answered {status}: {said}"));
        }
        let Some(answer) = answer else {
            return fail(
                ErrorKind::InvalidResponse,
                format!("{what} did not answer JSON"),
            );
        };
        if let Some(error) = api_error(&answer) {
            return fail(
                ErrorKind::ProviderRejected,
                format!("{what} refused: {error}"),
            );
        }
        match answer.pointer("/items/0") {
            Some(Value::Object(_)) => Ok(answer),
            _ if answer["items"].is_array() => fail(
                ErrorKind::Failed,
                format!("the user has no account on the Stack Exchange site `{site}`"),
            ),
            _ => fail(
                ErrorKind::InvalidResponse,
                format!("{what} answered no `items`"),
            ),
        }
    }

    /// The user of `items[0]`, with the HTML character references of the API's safe filter
    /// decoded, and the username taken from the profile link (`/users/<id>/<name>`) when there
    /// is one, else the display name.
    fn user_details(&self, user: &Value) -> UserDetails {
        let item = &user["items"][0];
        let text = |key: &str| item[key].as_str().map(decode_html);
        let name = text("display_name");
        let link = text("link");
        let username = link
            .as_deref()
            .and_then(link_slug)
            .map(str::to_owned)
            .or_else(|| name.clone());
        UserDetails::new()
            .username(username.as_deref())
            .fullname(name.as_deref())
            .picture(text("profile_image").as_deref())
            .profile_url(link.as_deref())
    }
}
