//! The small HTTP client trait every protocol base and provider goes through.
//!
//! Requests and responses are `http` 1.x types with the whole body in memory: social-login
//! payloads are small, and this keeps the trait trivial to implement for a test replayer or
//! another client library. `ReqwestClient` (feature `reqwest`: off in social-core, on by
//! default in the `social-auth` facade) is the production implementation: one pooled client,
//! redirects off, timeouts on.

use std::future::Future;
#[cfg(feature = "reqwest")]
use std::{fmt, time::Duration};

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use crate::error::{AuthError, ErrorKind, Stage};

/// An HTTP request with its whole body.
pub type HttpRequest = http::Request<Vec<u8>>;
/// An HTTP response with its whole body.
pub type HttpResponse = http::Response<Vec<u8>>;

/// Why an HTTP call did not produce a response.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The server did not answer in time.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The server could not be reached.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The answer was larger than the client reads (`MAX_RESPONSE_BYTES`).
    #[error("the answer is larger than {0} bytes (MAX_RESPONSE_BYTES)")]
    TooLarge(u64),
    /// Any other failure of the transport.
    #[error("{0}")]
    Other(String),
}

/// Sends one HTTP request. Implemented by `ReqwestClient` (feature `reqwest`) and by any
/// `Fn(HttpRequest) -> impl Future<Output = Result<HttpResponse, HttpError>>` closure.
#[async_trait]
pub trait HttpClient: Send + Sync {
    /// Sends `request` and returns the response, whatever its status.
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError>;
}

#[async_trait]
impl<F, Fut> HttpClient for F
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, HttpError>> + Send,
{
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        self(request).await
    }
}

/// The default client: a shared, pooled `reqwest` 0.13 client over rustls, redirects off.
#[cfg(feature = "reqwest")]
#[derive(Clone)]
pub struct ReqwestClient {
    inner: reqwest::Client,
    max_bytes: u64,
}

#[cfg(feature = "reqwest")]
impl fmt::Debug for ReqwestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestClient").finish_non_exhaustive()
    }
}

#[cfg(feature = "reqwest")]
impl ReqwestClient {
    /// Reads at most `bytes` of any answer (1 MiB by default): a larger answer is refused
    /// as soon as it is known to be larger, without being read whole.
    #[must_use]
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// Builds the client with a request timeout and a user agent.
    pub fn new(timeout: Duration, user_agent: &str) -> Result<Self, AuthError> {
        // rustls needs a process-wide crypto provider; installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let inner = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| AuthError::config("http_timeout / user_agent", e))?;
        Ok(Self {
            inner,
            max_bytes: crate::settings::DEFAULT_MAX_RESPONSE_BYTES,
        })
    }
}

#[cfg(feature = "reqwest")]
#[async_trait]
impl HttpClient for ReqwestClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = reqwest::Request::try_from(request.map(reqwest::Body::from))
            .map_err(|e| HttpError::Other(e.to_string()))?;
        let mut response = self.inner.execute(request).await.map_err(classify)?;
        let too_large = || HttpError::TooLarge(self.max_bytes);
        if response
            .content_length()
            .is_some_and(|n| n > self.max_bytes)
        {
            return Err(too_large());
        }
        let mut builder = http::Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = builder.headers_mut() {
            *headers = std::mem::take(response.headers_mut());
        }
        // Read chunk by chunk: a length header can be absent, or lie.
        let expected = response.content_length().unwrap_or(0);
        let mut body = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if u64::try_from(body.len() + chunk.len()).unwrap_or(u64::MAX) > self.max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        builder
            .body(body)
            .map_err(|e| HttpError::Other(e.to_string()))
    }
}

#[cfg(feature = "reqwest")]
fn classify(error: reqwest::Error) -> HttpError {
    // Strip the URL: query strings may hold codes or tokens.
    let error = error.without_url();
    if error.is_timeout() {
        HttpError::Timeout(error.to_string())
    } else if error.is_connect() {
        HttpError::Connect(error.to_string())
    } else {
        HttpError::Other(error.to_string())
    }
}

/// Turns a transport failure into an [`AuthError`] of `stage`.
pub fn transport_error(stage: Stage, what: &str, error: HttpError) -> AuthError {
    let kind = match error {
        HttpError::Timeout(_) => ErrorKind::Timeout,
        HttpError::TooLarge(_) => ErrorKind::InvalidResponse,
        HttpError::Connect(_) | HttpError::Other(_) => ErrorKind::ProviderUnavailable,
    };
    AuthError::new(kind, stage, format!("{what}: {error}"))
}

/// Checks the status of a provider API answer: 5xx and 429 (rate limited) are
/// [`ErrorKind::ProviderUnavailable`], other 4xx `client_error_kind`, with the provider's error
/// text (truncated) in the details.
pub fn check_status(
    response: &HttpResponse,
    stage: Stage,
    what: &str,
    client_error_kind: ErrorKind,
) -> Result<(), AuthError> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let kind = if status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS {
        ErrorKind::ProviderUnavailable
    } else {
        client_error_kind
    };
    Err(AuthError::new(
        kind,
        stage,
        format!(
            "{what} answered {status}: {}",
            body_excerpt(response.body())
        ),
    ))
}

/// Parses a JSON body, mapping failure to [`ErrorKind::InvalidResponse`].
pub fn parse_json<T: DeserializeOwned>(
    body: &[u8],
    stage: Stage,
    what: &str,
) -> Result<T, AuthError> {
    serde_json::from_slice(body).map_err(|e| {
        AuthError::new(
            ErrorKind::InvalidResponse,
            stage,
            format!("{what} is not the JSON expected: {e}"),
        )
    })
}

/// The first bytes of a body, for error details.
pub fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.chars().filter(|c| !c.is_control()).collect()
}

/// The bytes [`percent_encode_into`] writes as they are: ASCII letters and digits, and `extra`.
///
/// `const`, so that each encoding builds its table at compile time:
/// `const UNRESERVED: [bool; 256] = kept_bytes(b"-._~");` (RFC 3986 and RFC 5849).
pub const fn kept_bytes(extra: &[u8]) -> [bool; 256] {
    let mut kept = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        kept[byte] = (byte as u8).is_ascii_alphanumeric();
        byte += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        kept[extra[i] as usize] = true;
        i += 1;
    }
    kept
}

/// Appends `text` percent-encoded: the bytes `kept` marks as they are, a space as `+` when
/// `space_as_plus` (forms), every other byte as `%XX` with upper-case hex.
pub fn percent_encode_into(out: &mut String, text: &str, kept: &[bool; 256], space_as_plus: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = text.as_bytes();
    out.reserve(bytes.len());
    let mut i = 0;
    // Runs of kept bytes are copied whole. Only ASCII is kept, so both ends of a run are
    // character boundaries.
    while i < bytes.len() {
        let end = bytes[i..]
            .iter()
            .position(|b| !kept[usize::from(*b)])
            .map_or(bytes.len(), |n| i + n);
        if end > i {
            out.push_str(&text[i..end]);
        }
        let Some(&byte) = bytes.get(end) else {
            break;
        };
        if byte == b' ' && space_as_plus {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        i = end + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoding_keeps_the_given_bytes_and_escapes_the_rest() {
        const FORM: [bool; 256] = kept_bytes(b"*-._");
        const RFC3986: [bool; 256] = kept_bytes(b"-._~");
        let encode = |kept, plus| {
            let mut out = String::from(">");
            percent_encode_into(&mut out, "aZ09 *-._~/é", kept, plus);
            out
        };
        assert_eq!(encode(&FORM, true), ">aZ09+*-._%7E%2F%C3%A9");
        assert_eq!(encode(&RFC3986, false), ">aZ09%20%2A-._~%2F%C3%A9");
    }

    fn answer(status: u16) -> HttpResponse {
        let mut response = http::Response::new(b"{\"error\":\"slow down\"}".to_vec());
        *response.status_mut() = http::StatusCode::from_u16(status).expect("a status");
        response
    }

    #[test]
    fn statuses_map_to_error_kinds() {
        let kind = |status| {
            check_status(
                &answer(status),
                Stage::Profile,
                "user API",
                ErrorKind::ProviderRejected,
            )
            .err()
            .map(|e| e.kind())
        };
        assert_eq!(kind(200), None);
        assert_eq!(kind(401), Some(ErrorKind::ProviderRejected));
        assert_eq!(
            kind(429),
            Some(ErrorKind::ProviderUnavailable),
            "rate limited"
        );
        assert_eq!(kind(503), Some(ErrorKind::ProviderUnavailable));
        let err = check_status(
            &answer(429),
            Stage::Profile,
            "user API",
            ErrorKind::TokenError,
        )
        .expect_err("429");
        assert!(
            err.details().contains("429") && err.details().contains("slow down"),
            "{err}"
        );
    }
}
