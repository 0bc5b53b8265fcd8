//! VK's quirks, backend by backend: the classic OAuth's API version, e-mail and errors in
//! HTTP 200; VK ID's `device_id`, echoed state and missing secret; the signatures of the Open
//! API session and of the iframe application, checked against vectors computed apart from
//! the code under test.

use std::{sync::Arc, time::Duration};

use social_core::{
    Backend, MemoryStorage, MemoryStrategy, Outcome, Registry, SocialAuth, clock::FixedClock,
    http::ReqwestClient,
};
use wiremock::Request;

mod app;
mod id;
mod oauth2;
mod openapi;

/// The origin of the test requests.
const ORIGIN: &str = "http://testserver";
/// The time the fixed clock shows.
const NOW: i64 = 1_700_000_000;

/// Social login with `backend` alone, configured by the TOML `settings`, on a fixed clock and
/// an HTTP client that gives up after `timeout`.
fn engine(
    backend: impl Backend + 'static,
    settings: &str,
    timeout: Duration,
) -> (SocialAuth, Arc<MemoryStorage>) {
    let storage = Arc::new(MemoryStorage::new());
    let http = ReqwestClient::new(timeout, "social-vk-tests").expect("client builds");
    let auth = SocialAuth::builder(Registry::new().with(backend))
        .settings(social_testkit::settings_from(settings, &[]))
        .storage(storage.clone())
        .http_client(Arc::new(http))
        .clock(Arc::new(FixedClock::new(NOW)))
        .build()
        .expect("valid settings");
    (auth, storage)
}

/// A callback request of a fresh browser carrying `params`.
async fn callback(
    auth: &SocialAuth,
    backend: &str,
    params: &[(&str, &str)],
) -> social_core::Result<Outcome> {
    let mut strategy = MemoryStrategy::new(ORIGIN);
    for (k, v) in params {
        strategy = strategy.with_param(k, v);
    }
    auth.complete(&strategy, backend, None).await
}

/// The form fields of a request body.
fn form(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

/// The value of `name` among `fields`.
fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The value of query parameter `name` of a request.
fn query(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
