//! Shared by the demo's tests: serving the demo on 127.0.0.1:0, and a plain HTTP "browser"
//! that keeps the session cookie and follows nothing by itself.

#![allow(dead_code, unreachable_pub)] // each test binary uses part of this module

use std::net::SocketAddr;

use reqwest::{StatusCode, header};
use social_demo::{Config, Demo};
use tokio::net::TcpListener;

/// A demo served in this process.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The built demo (its engine and start-up report).
    pub auth: social_core::SocialAuth,
    /// What start-up reported.
    pub startup: social_demo::Startup,
}

/// The URL of a service a test needs, from `variable`; `None` (after saying what is missing)
/// when it is not set, except under `CI=true`, where CI must provide it and its absence fails
/// the test.
pub fn service_url(variable: &str, service: &str, example: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{variable} is not set: {service} is missing, and CI must provide it")
        }
        _ => {
            eprintln!("skipped: {service} is missing; set {variable}={example} to run this test");
            None
        }
    }
}

/// A loopback listener on a free port, and its URL.
pub async fn listen() -> (TcpListener, String) {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("a free loopback port");
    let url = format!("http://{}", listener.local_addr().expect("bound address"));
    (listener, url)
}

/// Serves the demo built from `configure(Config::new(url))` with an in-memory SQLite database.
pub async fn serve(configure: impl FnOnce(Config) -> Config) -> Server {
    let (listener, url) = listen().await;
    let config = configure(Config::new(&url).database_url("sqlite::memory:"));
    serve_on(listener, url, config).await
}

/// Serves the demo built from `config` on `listener`.
pub async fn serve_on(listener: TcpListener, url: String, config: Config) -> Server {
    let Demo {
        router,
        auth,
        startup,
        ..
    } = social_demo::build(config).await.expect("the demo starts");
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            eprintln!("demo server stopped: {error}");
        }
    });
    Server { url, auth, startup }
}

/// One page fetched.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The value of hidden or text input `name` in the body.
    pub fn input(&self, name: &str) -> Option<String> {
        let marker = format!(r#"name="{name}" value=""#);
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(html_unescape(&self.body[start..end]))
    }

    /// The redirect target as a path of this site (or the whole URL if elsewhere).
    pub fn location_path(&self, base: &str) -> Option<String> {
        let location = self.location.as_deref()?;
        Some(location.strip_prefix(base).unwrap_or(location).to_owned())
    }
}

fn html_unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A cookie-keeping HTTP client that never follows redirects on its own.
pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    cookie: Option<String>,
    /// Every cookie value set so far, oldest first: the sessions this browser caused.
    cookies_set: Vec<String>,
    /// The `Host` to send instead of the URL's: a load balancer's public name.
    host: Option<String>,
}

impl Browser {
    /// A browser with no cookies, talking to `base`.
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            base: base.to_owned(),
            client,
            cookie: None,
            cookies_set: Vec::new(),
            host: None,
        }
    }

    /// Sends requests to `base` from now on, keeping cookies: another instance behind the
    /// same public name `host`.
    pub fn switch_to(&mut self, base: &str, host: &str) {
        self.base = base.to_owned();
        self.host = Some(host.to_owned());
    }

    /// The session cookie, if one is held.
    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    /// The values of every cookie set so far (session ids), oldest first.
    pub fn cookies_set(&self) -> &[String] {
        &self.cookies_set
    }

    fn url(&self, target: &str) -> String {
        if target.starts_with("http://") {
            target.to_owned()
        } else {
            format!("{}{target}", self.base)
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let mut request = request;
        if let Some(cookie) = &self.cookie {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(host) = &self.host {
            request = request.header(header::HOST, host);
        }
        let response = request.send().await.expect("the demo answers");
        for set in response.headers().get_all(header::SET_COOKIE) {
            let Ok(set) = set.to_str() else { continue };
            let pair = set.split(';').next().unwrap_or_default().trim();
            let removed = set.to_ascii_lowercase().contains("max-age=0");
            // Not `ends_with('=')`: a cookie session's value is base64 and may end in padding.
            let value = pair.split_once('=').map_or("", |(_, value)| value);
            self.cookie = (!removed && !value.is_empty()).then(|| pair.to_owned());
            if !removed && !value.is_empty() && !self.cookies_set.iter().any(|v| v == value) {
                self.cookies_set.push(value.to_owned());
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        Page {
            status,
            location,
            body,
        }
    }

    /// GETs a path of the site (or an absolute URL).
    pub async fn get(&mut self, target: &str) -> Page {
        let request = self.client.get(self.url(target));
        self.send(request).await
    }

    /// POSTs a form to a path of the site (or an absolute URL).
    pub async fn post(&mut self, target: &str, form: &[(&str, &str)]) -> Page {
        let request = self.client.post(self.url(target)).form(form);
        self.send(request).await
    }

    /// Logs in (or connects an account) with a dev backend, submitting `fields` on the dev
    /// provider's form; returns the app's answer to the callback.
    pub async fn dev_login(&mut self, backend: &str, fields: &[(&str, &str)]) -> Page {
        let start = self.get(&format!("/login/{backend}/")).await;
        let authorize = start.location.expect("the login redirects to the provider");
        let (action, query) = authorize
            .split_once('?')
            .expect("the authorization request has a query");
        let mut form: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        form.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let answer = self.post(action, &form).await;
        let callback = answer.location.expect("the provider redirects back");
        self.get(&callback).await
    }
}
