//! [`Strategy`] over one axum request and its tower-sessions session.

use std::collections::HashMap;

use axum::{
    extract::Request,
    http::{HeaderMap, Method, header},
};
use social_core::{Result, Stage, Strategy, Value, async_trait};
use tower_sessions::Session;

use crate::session::auth_error;

/// Form bodies larger than this are refused: callbacks and login forms are small, and an
/// unauthenticated route must not buffer whatever it is sent.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// What the routes read from a request before handing it to core.
#[derive(Debug)]
pub(crate) struct RequestData {
    /// Query parameters, then form fields over them.
    pub(crate) params: HashMap<String, String>,
    /// Query parameters alone, in order.
    pub(crate) query: Vec<(String, String)>,
    /// Form fields alone (urlencoded POST bodies), in order.
    pub(crate) form: Vec<(String, String)>,
    /// Names given more than once, query and form together.
    pub(crate) repeated: Vec<String>,
    /// The CSRF field of the form body; never taken from the query, where it would leak
    /// through logs and `Referer`.
    pub(crate) form_csrf: Option<String>,
    /// The validated `Host` (or HTTP/2 authority) the request reached.
    pub(crate) host: Option<String>,
    /// The `Sec-Fetch-Site` header, lower-cased.
    pub(crate) fetch_site: Option<String>,
    /// The request method.
    pub(crate) method: Method,
}

/// Why a request could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The form body is over [`MAX_FORM_BYTES`] or could not be read.
    BodyTooLarge,
}

impl RequestData {
    /// Reads the query, the urlencoded form body (POST only) and the headers that matter.
    pub(crate) async fn read(request: Request) -> std::result::Result<Self, ReadError> {
        let (parts, body) = request.into_parts();
        let query: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let mut params: HashMap<String, String> = query.iter().cloned().collect();
        let mut form_csrf = None;
        let mut form = Vec::new();
        if parts.method == Method::POST && is_form(&parts.headers) {
            let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
                .await
                .map_err(|_| ReadError::BodyTooLarge)?;
            for (name, value) in url::form_urlencoded::parse(&bytes).into_owned() {
                if name == crate::csrf::CSRF_FIELD {
                    form_csrf = Some(value.clone());
                }
                params.insert(name.clone(), value.clone());
                form.push((name, value));
            }
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| parts.uri.authority().map(|a| a.as_str().to_owned()))
            .and_then(|h| valid_host(&h));
        let fetch_site = parts
            .headers
            .get("sec-fetch-site")
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        let mut seen = std::collections::HashSet::new();
        let mut repeated = Vec::new();
        for (name, _) in query.iter().chain(&form) {
            if !seen.insert(name.as_str()) && !repeated.contains(name) {
                repeated.push(name.clone());
            }
        }
        Ok(Self {
            params,
            query,
            form,
            repeated,
            form_csrf,
            host,
            fetch_site,
            method: parts.method,
        })
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// `host` or `host:port` as a browser sends it, lower-cased; `None` for anything else, so a
/// forged header cannot smuggle a path or userinfo into the URLs built from it.
fn valid_host(raw: &str) -> Option<String> {
    let raw = raw.trim().to_ascii_lowercase();
    let (host, port) = match raw.rsplit_once(':') {
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (raw.as_str(), None),
    };
    if let Some(port) = port {
        port.parse::<u16>().ok()?;
    }
    if host.is_empty() || host.contains(['/', '@', '\\', '?', '#']) {
        return None;
    }
    url::Host::parse(host).ok()?;
    Some(raw)
}

/// The [`Strategy`] of one request: its parameters, its session, and the URLs it reached.
#[derive(Debug)]
pub(crate) struct AxumStrategy<'a> {
    params: &'a HashMap<String, String>,
    repeated: &'a [String],
    post: bool,
    host: &'a str,
    https: bool,
    complete_path: &'a str,
    session: &'a Session,
    stage: Stage,
}

impl<'a> AxumStrategy<'a> {
    pub(crate) fn new(
        data: &'a RequestData,
        host: &'a str,
        https: bool,
        complete_path: &'a str,
        session: &'a Session,
        stage: Stage,
    ) -> Self {
        Self {
            params: &data.params,
            repeated: &data.repeated,
            post: data.method == Method::POST,
            host,
            https,
            complete_path,
            session,
            stage,
        }
    }
}

/// The path of `template` (holding `{backend}`) for `backend`.
pub(crate) fn backend_path(template: &str, backend: &str) -> String {
    template.replace("{backend}", backend)
}

#[async_trait]
impl Strategy for AxumStrategy<'_> {
    fn param(&self, name: &str) -> Option<String> {
        self.params.get(name).cloned()
    }

    fn repeated_params(&self) -> Vec<String> {
        self.repeated.to_vec()
    }

    fn is_post(&self) -> bool {
        self.post
    }

    fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.host)
    }

    fn host(&self) -> Option<String> {
        Some(self.host.to_owned())
    }

    fn callback_path(&self, backend: &str) -> String {
        backend_path(self.complete_path, backend)
    }

    async fn session_get(&self, key: &str) -> Result<Option<Value>> {
        self.session
            .get_value(key)
            .await
            .map_err(|e| auth_error(self.stage, e))
    }

    async fn session_set(&self, key: &str, value: Value) -> Result<()> {
        self.session
            .insert_value(key, value)
            .await
            .map(drop)
            .map_err(|e| auth_error(self.stage, e))
    }

    async fn session_remove(&self, key: &str) -> Result<Option<Value>> {
        self.session
            .remove_value(key)
            .await
            .map_err(|e| auth_error(self.stage, e))
    }
}

#[cfg(test)]
mod tests {
    use super::valid_host;

    #[test]
    fn hosts_are_checked() {
        assert_eq!(valid_host("Example.com").as_deref(), Some("example.com"));
        assert_eq!(
            valid_host("127.0.0.1:8000").as_deref(),
            Some("127.0.0.1:8000")
        );
        assert_eq!(valid_host("[::1]:3000").as_deref(), Some("[::1]:3000"));
        assert_eq!(valid_host("[::1]").as_deref(), Some("[::1]"));
        for bad in [
            "",
            "evil.com/x",
            "user@evil.com",
            "a:b",
            "a:99999",
            "evil.com\\x",
            "a b",
        ] {
            assert_eq!(valid_host(bad), None, "{bad:?}");
        }
    }
}
