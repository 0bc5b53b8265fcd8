//! A cookie-carrying client that drives a [`Frontend`] in-process, and what reads its answers.

use std::fmt;

use http::{HeaderMap, Request, StatusCode, header};
use serde_json::Value;

use crate::{Frontend, HOST};

/// One browser: keeps the session cookie between requests.
pub struct Browser<'a, F> {
    frontend: &'a F,
    cookie: Option<String>,
}

impl<F> fmt::Debug for Browser<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Browser")
            .field("cookie", &self.cookie)
            .finish_non_exhaustive()
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    /// Its status.
    pub status: StatusCode,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: String,
}

impl Resp {
    /// The `Location` header, empty if none.
    pub fn location(&self) -> &str {
        self.header(header::LOCATION.as_str())
    }

    /// The header `name`, empty if none.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a `303 See Other` to `to`.
    #[track_caller]
    pub fn assert_redirect(&self, to: &str) {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "{self:?}");
        assert_eq!(self.location(), to, "{self:?}");
    }

    /// The body as JSON, `null` if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

impl<'a, F: Frontend> Browser<'a, F> {
    /// A browser without cookies, talking to `frontend`.
    pub fn new(frontend: &'a F) -> Self {
        Self {
            frontend,
            cookie: None,
        }
    }

    /// The session cookie's value, if the browser holds one.
    pub fn session_id(&self) -> Option<String> {
        self.cookie.clone()
    }

    /// GET `uri`.
    pub async fn get(&mut self, uri: &str) -> Resp {
        self.get_with(uri, &[]).await
    }

    /// GET `uri` with more headers.
    pub async fn get_with(&mut self, uri: &str, headers: &[(&str, &str)]) -> Resp {
        let mut request = Request::get(uri).header(header::HOST, HOST);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(String::new())).await
    }

    /// POST `fields` to `uri` as a form.
    pub async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Resp {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::post(uri)
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// This session's CSRF token, as a template would render it.
    pub async fn csrf(&mut self) -> String {
        let response = self.get("/csrf").await;
        assert_eq!(response.status, StatusCode::OK);
        response.body
    }

    /// Sends `request` with the session cookie, and keeps the cookie the answer sets.
    pub async fn send(&mut self, request: http::Result<Request<String>>) -> Resp {
        let mut request = request.unwrap_or_else(|e| panic!("bad test request: {e}"));
        let name = self.frontend.cookie_name();
        if let Some(id) = &self.cookie {
            let value = format!("{name}={id}")
                .parse()
                .unwrap_or_else(|e| panic!("cookie header: {e}"));
            request.headers_mut().insert(header::COOKIE, value);
        }
        let response = self.frontend.send(request).await;
        let prefix = format!("{name}=");
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap_or_default();
            let Some(value) = set
                .split(';')
                .next()
                .and_then(|pair| pair.strip_prefix(&prefix))
            else {
                continue;
            };
            self.cookie = if value.is_empty() || set.contains("Max-Age=0") {
                None
            } else {
                Some(value.to_owned())
            };
        }
        let (parts, body) = response.into_parts();
        Resp {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// The value of the hidden input `name` in `html`.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&amp;", "&"))
}

/// A query parameter of an absolute or relative URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url)
        .or_else(|_| url::Url::parse(&format!("http://{HOST}{url}")))
        .ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Starts a login with a plain GET (no `Sec-Fetch-Site`): the `state` GitHub is sent.
pub async fn begin<F: Frontend>(browser: &mut Browser<'_, F>, uri: &str) -> String {
    let response = browser.get(uri).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{response:?}");
    query_param(response.location(), "state")
        .unwrap_or_else(|| panic!("no state in {}", response.location()))
}

/// A whole login: begin at `uri`, then GitHub's callback; the callback's response.
pub async fn login<F: Frontend>(browser: &mut Browser<'_, F>, uri: &str) -> Resp {
    let state = begin(browser, uri).await;
    browser
        .get(&format!("/complete/github/?code=test-code&state={state}"))
        .await
}
