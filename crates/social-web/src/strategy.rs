//! The request as the login rules read it, and the [`Strategy`] over it and its session.

use http::{HeaderMap, Method, header, request::Parts};
use social_core::{Result, Stage, Strategy, Value, async_trait};

use crate::session::{WebSession, auth_error};

/// Form bodies larger than this are refused with `413`: callbacks and login forms are small,
/// and an unauthenticated route must not buffer whatever it is sent. Integrations read at most
/// this much of a POST body.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

/// A request body an integration did not read whole, being over [`MAX_FORM_BYTES`] (or
/// unreadable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTooLarge;

/// One request to a login route, as the rules read it: parameters (query, then form body, in
/// order, repeated names kept), the headers that matter, and the URL it reached.
#[derive(Debug, Clone)]
pub struct WebRequest {
    /// Every parameter in order, repeated names kept: the query's, then the form body's.
    pub(crate) params: Vec<(String, String)>,
    /// How many of `params` come from the query.
    pub(crate) query_len: usize,
    /// The validated `Host` (or HTTP/2 authority) the request reached.
    pub(crate) host: Option<String>,
    /// The `Sec-Fetch-Site` header, lower-cased.
    pub(crate) fetch_site: Option<String>,
    /// The request method.
    pub(crate) method: Method,
    /// The path and query as the browser sent them.
    pub(crate) path_and_query: String,
    /// Where the routes are mounted: empty, or a path such as `/auth`.
    pub(crate) prefix: String,
    /// The body was over [`MAX_FORM_BYTES`].
    pub(crate) too_large: bool,
}

impl WebRequest {
    /// Reads a request from its head and its body: the query, the urlencoded form body (POST
    /// only) and the headers that matter. `parts.uri` is the URI as the browser sent it, mount
    /// prefix included; `body` is what the integration read of the body, at most
    /// [`MAX_FORM_BYTES`].
    pub fn from_parts(parts: &Parts, body: std::result::Result<&[u8], BodyTooLarge>) -> Self {
        let mut params: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        let query_len = params.len();
        let mut too_large = false;
        if parts.method == Method::POST && is_form(&parts.headers) {
            match body {
                Ok(bytes) if bytes.len() <= MAX_FORM_BYTES => {
                    params.extend(url::form_urlencoded::parse(bytes).into_owned());
                }
                _ => too_large = true,
            }
        }
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| parts.uri.authority().map(|a| a.as_str()))
            .and_then(valid_host);
        let fetch_site = parts
            .headers
            .get("sec-fetch-site")
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        Self {
            params,
            query_len,
            host,
            fetch_site,
            method: parts.method.clone(),
            path_and_query: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned()),
            prefix: String::new(),
            too_large,
        }
    }

    /// Says the routes are mounted under `prefix` (`/auth`: the login route is then
    /// `/auth/login/{backend}/`), so that the URLs built for the browser and the provider keep
    /// it. A trailing `/` is dropped.
    #[must_use]
    pub fn mounted_at(mut self, prefix: &str) -> Self {
        self.prefix = prefix.trim_end_matches('/').to_owned();
        self
    }

    /// A request parameter (the form body's over the query's).
    pub fn param(&self, name: &str) -> Option<&str> {
        // The last of a name wins, and the form's come after the query's.
        self.params
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    /// The query's parameters, in order.
    pub(crate) fn query(&self) -> &[(String, String)] {
        &self.params[..self.query_len]
    }

    /// The form body's fields (urlencoded POST bodies), in order.
    pub(crate) fn form(&self) -> &[(String, String)] {
        &self.params[self.query_len..]
    }

    /// The CSRF field of the form body; never taken from the query, where it would leak
    /// through logs and `Referer`.
    pub(crate) fn form_csrf(&self) -> Option<&str> {
        self.form()
            .iter()
            .rev()
            .find(|(name, _)| name == crate::csrf::CSRF_FIELD)
            .map(|(_, value)| value.as_str())
    }

    /// The names given more than once, query and form together, in the order they repeat.
    fn repeated(&self) -> Vec<String> {
        let mut seen = std::collections::HashSet::new();
        let mut repeated = Vec::new();
        for (name, _) in &self.params {
            if !seen.insert(name.as_str()) && !repeated.contains(name) {
                repeated.push(name.clone());
            }
        }
        repeated
    }

    /// The path of `template` (holding `{backend}`) for `backend`, under the mount prefix.
    pub(crate) fn route_path(&self, template: &str, backend: &str) -> String {
        format!("{}{}", self.prefix, template.replace("{backend}", backend))
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
pub(crate) struct WebStrategy<'a> {
    request: &'a WebRequest,
    host: &'a str,
    https: bool,
    complete_path: &'a str,
    session: &'a dyn WebSession,
    stage: Stage,
}

impl std::fmt::Debug for WebStrategy<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebStrategy")
            .field("host", &self.host)
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

impl<'a> WebStrategy<'a> {
    pub(crate) fn new(
        request: &'a WebRequest,
        host: &'a str,
        https: bool,
        complete_path: &'a str,
        session: &'a dyn WebSession,
        stage: Stage,
    ) -> Self {
        Self {
            request,
            host,
            https,
            complete_path,
            session,
            stage,
        }
    }
}

#[async_trait]
impl Strategy for WebStrategy<'_> {
    fn param(&self, name: &str) -> Option<String> {
        self.request.param(name).map(str::to_owned)
    }

    fn repeated_params(&self) -> Vec<String> {
        self.request.repeated()
    }

    fn params(&self) -> Vec<(String, String)> {
        self.request.params.clone()
    }

    fn request_url(&self) -> Option<String> {
        Some(format!("{}{}", self.origin(), self.request.path_and_query))
    }

    fn is_post(&self) -> bool {
        self.request.method == Method::POST
    }

    fn origin(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.host)
    }

    fn host(&self) -> Option<String> {
        Some(self.host.to_owned())
    }

    fn callback_path(&self, backend: &str) -> String {
        self.request.route_path(self.complete_path, backend)
    }

    async fn session_get(&self, key: &str) -> Result<Option<Value>> {
        self.session
            .get(key)
            .await
            .map_err(|e| auth_error(self.stage, e))
    }

    async fn session_set(&self, key: &str, value: Value) -> Result<()> {
        self.session
            .insert(key, value)
            .await
            .map_err(|e| auth_error(self.stage, e))
    }

    async fn session_remove(&self, key: &str) -> Result<Option<Value>> {
        self.session
            .remove(key)
            .await
            .map_err(|e| auth_error(self.stage, e))
    }
}

#[cfg(test)]
mod tests {
    use social_core::Strategy as _;

    use super::*;

    fn head(method: &str, uri: &str, form: bool) -> Parts {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(uri)
            .header(header::HOST, "Example.com:8000");
        if form {
            builder = builder.header(
                header::CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=utf-8",
            );
        }
        builder
            .body(())
            .unwrap_or_else(|e| panic!("a test request: {e}"))
            .into_parts()
            .0
    }

    #[test]
    fn parameters_keep_their_order_and_repeats_and_the_form_wins() {
        let parts = head("POST", "/auth/complete/x/?state=a&code=1&code=2", true);
        let request =
            WebRequest::from_parts(&parts, Ok(b"state=b&csrf_token=t&x=%20y")).mounted_at("/auth/");
        assert_eq!(request.param("state"), Some("b"), "the form wins");
        assert_eq!(request.param("x"), Some(" y"));
        assert_eq!(request.repeated(), ["code", "state"]);
        assert_eq!(request.form_csrf(), Some("t"));
        assert_eq!(request.host.as_deref(), Some("example.com:8000"));
        assert_eq!(
            request.route_path("/complete/{backend}/", "x"),
            "/auth/complete/x/"
        );
        let names: Vec<&str> = request.params.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["state", "code", "code", "state", "csrf_token", "x"]);
    }

    #[test]
    fn the_csrf_token_is_read_from_the_form_only_and_bodies_only_from_form_posts() {
        let query = WebRequest::from_parts(&head("GET", "/l/?csrf_token=t", false), Ok(b""));
        assert_eq!(
            query.form_csrf(),
            None,
            "a token in the URL leaks through logs"
        );
        let json = WebRequest::from_parts(&head("POST", "/l/", false), Ok(b"csrf_token=t"));
        assert_eq!(json.form_csrf(), None, "not a form: the body is not read");
        assert!(json.params.is_empty());
    }

    #[test]
    fn a_body_over_the_limit_is_marked_too_large() {
        let big = vec![b'a'; MAX_FORM_BYTES + 1];
        let parts = head("POST", "/l/", true);
        assert!(WebRequest::from_parts(&parts, Ok(&big)).too_large);
        assert!(WebRequest::from_parts(&parts, Err(BodyTooLarge)).too_large);
        assert!(!WebRequest::from_parts(&parts, Ok(&big[1..])).too_large);
        let get = WebRequest::from_parts(&head("GET", "/l/", true), Err(BodyTooLarge));
        assert!(!get.too_large, "a GET's body is never read");
    }

    #[tokio::test]
    async fn the_strategy_gives_core_the_whole_request() {
        struct NoSession;
        #[async_trait]
        impl WebSession for NoSession {
            async fn get(&self, _: &str) -> crate::SessionResult<Option<Value>> {
                Ok(None)
            }
            async fn insert(&self, _: &str, _: Value) -> crate::SessionResult<()> {
                Ok(())
            }
            async fn remove(&self, _: &str) -> crate::SessionResult<Option<Value>> {
                Ok(None)
            }
            async fn clear(&self) -> crate::SessionResult<()> {
                Ok(())
            }
            async fn cycle_id(&self) -> crate::SessionResult<()> {
                Ok(())
            }
            async fn flush(&self) -> crate::SessionResult<()> {
                Ok(())
            }
            async fn is_new(&self) -> crate::SessionResult<bool> {
                Ok(true)
            }
        }
        let parts = head("GET", "/auth/complete/x/?a=1&a=2", false);
        let request = WebRequest::from_parts(&parts, Ok(b"")).mounted_at("/auth");
        let strategy = WebStrategy::new(
            &request,
            "example.com:8000",
            true,
            "/complete/{backend}/",
            &NoSession,
            Stage::Callback,
        );
        assert_eq!(
            strategy.request_url().as_deref(),
            Some("https://example.com:8000/auth/complete/x/?a=1&a=2")
        );
        assert_eq!(strategy.callback_path("x"), "/auth/complete/x/");
        assert_eq!(strategy.repeated_params(), ["a"]);
        assert_eq!(strategy.params().len(), 2);
        assert!(!strategy.is_post());
    }

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
