#![doc = include_str!("../README.md")]

use serde::Deserialize;
use social_core::{
    AuthError, Backend, BackendCx, Capabilities, Configure, Endpoint, ErrorKind, Flow, Mapping,
    Protocol, ProviderCx, Result, Stage, TokenIn, Tokens, Value, async_trait,
    http::HttpResponse,
    model::AuthResponse,
    serde_json::{self, Map},
};
use social_oauth2::{
    Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse,
};

/// The backend name, as django-social-auth named it.
pub const NAME: &str = "instagram";

/// The setting that moves the long-lived token exchange (`EXCHANGE_TOKEN_URL`), called when
/// `LONG_LIVED` is set.
pub const EXCHANGE_TOKEN: Endpoint = Endpoint::new("exchange_token_url");

/// The long-lived token exchange, on the Graph host.
const EXCHANGE_TEMPLATE: &str = "{base_url}/access_token";

/// The user call: the professional account of the token, with the fields the login uses.
const ME_URL: &str = "{api_url}/me?fields=user_id,username,name,account_type,profile_picture_url";

/// The "Instagram API with Instagram Login" (Business Login for Instagram): endpoints, flags and
/// mapping. `BASE_URL` moves the Graph host (`https://graph.instagram.com`), `API_URL` the
/// versioned API root on it (`{base_url}/v25.0`).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Instagram",
    base_url: Some("https://graph.instagram.com"),
    api_url: Some("{base_url}/v25.0"),
    authorization_url: "https://www.instagram.com/oauth/authorize",
    token_url: "https://api.instagram.com/oauth/access_token",
    default_scope: &["instagram_business_basic"],
    scope_separator: ",",
    pkce: Pkce::None,
    profile: Some(ProfileCall::get(ME_URL, TokenIn::Query("access_token"))),
    mapping: Mapping {
        // The Instagram professional account id, the same for every app; `id` is the
        // app-scoped one.
        uid: "/user_id",
        username: Some("/username"),
        fullname: Some("/name"),
        picture: Some("/profile_picture_url"),
        extra_data: &["id", "username", "account_type", "permissions"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Instagram as an OAuth 2.0 provider: the spec and the hook that reads Graph API errors.
/// [`InstagramBackend`] runs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Instagram;

/// The Instagram backend: the OAuth 2.0 flow of [`Instagram`], plus what the OAuth 2.0 base
/// cannot say: the token answer wrapped in `data`, and the optional long-lived token.
#[derive(Debug)]
pub struct InstagramBackend {
    inner: OAuth2Backend<Instagram>,
}

/// The Instagram backend, ready for a [`social_core::Registry`].
pub fn backend() -> InstagramBackend {
    InstagramBackend {
        inner: OAuth2Backend::new(Instagram),
    }
}

/// Instagram's own setting: `LONG_LIVED`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    /// Exchange the one-hour token for a 60-day one before it is stored.
    long_lived: bool,
}

fn error(kind: ErrorKind, stage: Stage, details: impl Into<String>) -> AuthError {
    AuthError::new(kind, stage, details).with_provider(NAME)
}

/// The kind of a Graph API error code: temporary problems and throttling (1 unknown, 2
/// service, 4 and 17 too many calls, 341 application limit) make Instagram unavailable; the
/// rest (190 expired token, 10 and 200-299 permissions, ...) are refusals.
fn graph_error_kind(code: Option<i64>) -> ErrorKind {
    match code {
        Some(1 | 2 | 4 | 17 | 341) => ErrorKind::ProviderUnavailable,
        _ => ErrorKind::ProviderRejected,
    }
}

/// Reads a Graph API answer: its `error` object, with any status, is the error its code
/// means; otherwise 429 and 5xx make Instagram unavailable, other failures are `refused`.
fn graph_answer(
    response: &HttpResponse,
    stage: Stage,
    what: &str,
    refused: ErrorKind,
) -> Result<Value> {
    let status = response.status();
    let parsed = serde_json::from_slice::<Value>(response.body()).ok();
    if let Some(Value::Object(graph_error)) = parsed.as_ref().and_then(|v| v.get("error")) {
        let code = graph_error.get("code").and_then(Value::as_i64);
        let message = graph_error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let kind = match graph_error_kind(code) {
            ErrorKind::ProviderRejected => refused,
            other => other,
        };
        return Err(error(
            kind,
            stage,
            format!(
                "{what} refused ({status}): code {} {}",
                code.unwrap_or_default(),
                message.chars().take(200).collect::<String>()
            ),
        ));
    }
    if !status.is_success() {
        let kind = if status.as_u16() == 429 || status.is_server_error() {
            ErrorKind::ProviderUnavailable
        } else {
            refused
        };
        return Err(error(
            kind,
            stage,
            format!(
                "{what} answered {status}: {}",
                social_core::http::body_excerpt(response.body())
            ),
        ));
    }
    match parsed {
        Some(value @ Value::Object(_)) => Ok(value),
        _ => Err(error(
            ErrorKind::InvalidResponse,
            stage,
            format!("{what} did not answer a JSON object"),
        )),
    }
}

#[async_trait]
impl OAuth2Provider for Instagram {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.endpoints(&[EXCHANGE_TOKEN]);
        cx.options::<Options>().map(drop)
    }

    /// `GET /me?fields=...&access_token=...` on the Graph host, its errors read.
    fn token_answer(&self, answer: Map<String, Value>) -> Map<String, Value> {
        unwrap_token_answer(answer)
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let what = "user API";
        let url = SPEC.expand(cx.backend, ME_URL);
        let request =
            ProviderCx::api_request(Method::GET, &url, token.access_token(), SPEC.token_in())
                .body(Vec::new())
                .map_err(|e| cx.config_error("api_url", format!("not a valid URL: {e}")))?;
        let response = cx.send(request, Stage::Profile, what).await?;
        graph_answer(&response, Stage::Profile, what, ErrorKind::ProviderRejected)
    }
}

/// Turns `{"data": [{...token...}]}`, the shape Meta's documentation gives the code exchange's
/// answer, into the token object itself; any other answer is left as it is.
fn unwrap_token_answer(answer: Map<String, Value>) -> Map<String, Value> {
    if answer.contains_key("access_token") {
        return answer;
    }
    match answer.get("data") {
        Some(Value::Array(items)) => match items.as_slice() {
            [Value::Object(token)] => token.clone(),
            _ => answer,
        },
        _ => answer,
    }
}

impl InstagramBackend {
    /// Exchanges the short-lived access token of `response` for a long-lived one:
    /// `GET {base_url}/access_token?grant_type=ig_exchange_token&client_secret=...&access_token=...`.
    async fn long_lived(&self, cx: &ProviderCx<'_>, response: &mut AuthResponse) -> Result<()> {
        let what = "long-lived token exchange";
        let Some(tokens) = response.tokens.as_mut() else {
            return Ok(());
        };
        let url = self
            .inner
            .provider()
            .endpoint(cx.backend, EXCHANGE_TOKEN, EXCHANGE_TEMPLATE);
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "ig_exchange_token")
            .append_pair("client_secret", cx.secret()?)
            .append_pair("access_token", tokens.access_token.secret())
            .finish();
        let sep = if url.contains('?') { '&' } else { '?' };
        let request = http::Request::get(format!("{url}{sep}{query}"))
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| {
                cx.config_error(EXCHANGE_TOKEN.setting(), format!("not a valid URL: {e}"))
            })?;
        let answer = cx.send(request, Stage::Token, what).await?;
        let exchanged = graph_answer(&answer, Stage::Token, what, ErrorKind::TokenError)?;
        let Some(access) = exchanged["access_token"].as_str().filter(|t| !t.is_empty()) else {
            return Err(error(
                ErrorKind::TokenError,
                Stage::Token,
                format!("{what} answered no access_token"),
            ));
        };
        let mut fresh = Tokens::new(access);
        fresh.token_type = exchanged["token_type"].as_str().map(str::to_owned);
        fresh.expires_at = exchanged["expires_in"]
            .as_i64()
            .map(|secs| cx.clock.now() + secs);
        fresh.scope = tokens.scope.take();
        *tokens = fresh;
        Ok(())
    }
}

#[async_trait]
impl Backend for InstagramBackend {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn display_name(&self) -> &str {
        self.inner.display_name()
    }

    fn protocol(&self) -> Protocol {
        Protocol::OAUTH2
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        self.inner.configure(cx)
    }

    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        self.inner.start(cx).await
    }

    /// The OAuth 2.0 callback; then, with `LONG_LIVED`, the exchange for a long-lived token.
    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let mut response = self.inner.complete(cx).await?;
        if cx.provider.options::<Options>().long_lived {
            self.long_lived(&cx.provider, &mut response).await?;
        }
        Ok(response)
    }

    async fn refresh_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<Tokens> {
        self.inner.refresh_token(cx, tokens).await
    }

    async fn revoke_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        self.inner.revoke_token(cx, tokens).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> Map<String, Value> {
        serde_json::from_str(text).unwrap_or_default()
    }

    #[test]
    fn the_documented_wrapper_is_removed() {
        let answer = object(r#"{"data":[{"access_token":"t","user_id":"1","permissions":"a,b"}]}"#);
        assert_eq!(
            Value::Object(unwrap_token_answer(answer)),
            serde_json::json!({"access_token":"t","user_id":"1","permissions":"a,b"})
        );
    }

    #[test]
    fn other_answers_are_left_alone() {
        for text in [
            r#"{"access_token":"t","user_id":1}"#,
            r#"{"data":[{"access_token":"a"},{"access_token":"b"}]}"#,
            r#"{"data":[]}"#,
            r#"{"data":"x"}"#,
            r#"{"error_type":"OAuthException","code":400,"error_message":"no"}"#,
        ] {
            let answer = object(text);
            assert_eq!(unwrap_token_answer(answer.clone()), answer, "{text}");
        }
    }
}
