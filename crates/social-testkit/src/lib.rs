//! Conformance suites and helpers for testing social-auth providers and storages.
//!
//! - [`provider`]: the OAuth 2.0 provider suite, run by every provider crate over its recorded
//!   fixtures with [`conformance!`].
//! - [`oauth1`]: the OAuth 1.0a suite ([`oauth1_conformance!`]), with a fake provider that
//!   checks every signature.
//! - [`oidc`]: the OpenID Connect suite ([`oidc_conformance!`]), with signing keys minted at
//!   run time.
//! - [`openid`]: OpenID 2.0 checks against a fake OP.
//! - [`storage`]: the storage suite ([`storage_conformance!`]), run against every
//!   [`social_core::Storage`].
//!
//! The macros bring their own runtime and mock server: a provider crate needs only
//! `social-testkit` as a dev-dependency. Fixture bodies live in the crate's `tests/fixtures/`
//! ([`fixture!`]); snapshots in its `tests/snapshots/`.
//!
//! # New snapshots
//!
//! A provider's first run has no snapshots to compare with: each check that takes one fails,
//! names the snapshot and writes it next to where it belongs as `<name>.snap.new`. Review
//! them and accept them with `cargo insta review` (from `cargo install cargo-insta`), or run
//! the tests once with `INSTA_UPDATE=always`, then read and commit `tests/snapshots/`. CI
//! must never write snapshots: set `INSTA_UPDATE=no` there.

use std::future::Future;

use social_core::{
    TokenIn,
    http::{HttpClient, HttpError, HttpRequest, ReqwestClient},
};
pub use url;
pub use wiremock;

pub mod fuzz;
pub mod oauth1;
pub mod oidc;
pub mod openid;
pub mod provider;
pub mod storage;

/// The text of `tests/fixtures/<file>` in the calling crate.
///
/// ```text
/// Fixture::new("gitlab").token("POST", "/oauth/token", social_testkit::fixture!("token.json"))
/// ```
#[macro_export]
macro_rules! fixture {
    ($file:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/",
            $file
        ))
    };
}

/// One `#[test]` per check, each on its own runtime ([`run`]). Used by the suites' macros.
#[doc(hidden)]
#[macro_export]
macro_rules! checks {
    ($($name:ident => $check:expr),* $(,)?) => {$(
        #[test]
        fn $name() {
            $crate::run($check);
        }
    )*};
}

/// Runs `future` to completion on a fresh multi-threaded runtime, as each check of the suites
/// does: tests need no runtime of their own.
pub fn run<F: Future>(future: F) -> F::Output {
    #[allow(clippy::expect_used)] // a test that cannot start a runtime cannot run at all
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    runtime.block_on(future)
}

/// Social login with `backend` alone under `settings`, over `http` and a fresh
/// [`MemoryStorage`](social_core::MemoryStorage), with an OpenID Connect key cache of its own:
/// the engine every suite's harness drives.
pub(crate) fn engine(
    backend: std::sync::Arc<dyn social_core::Backend>,
    settings: social_core::Settings,
    http: std::sync::Arc<dyn social_core::http::HttpClient>,
) -> (
    social_core::SocialAuth,
    std::sync::Arc<social_core::MemoryStorage>,
) {
    let storage = std::sync::Arc::new(social_core::MemoryStorage::new());
    #[allow(clippy::expect_used)] // a suite's own settings must build
    let auth = social_core::SocialAuth::builder(social_core::Registry::new().with_arc(backend))
        .settings(settings)
        .storage(storage.clone())
        .http_client(http)
        .service(std::sync::Arc::new(social_oauth2::oidc::OidcCache::new()))
        .build()
        .expect("the backend accepts the suite's settings");
    (auth, storage)
}

/// The snapshot folder of the crate at `manifest_dir` for the suite module `module`.
pub(crate) fn snapshot_dir(manifest_dir: &str, module: Option<&str>) -> String {
    match module {
        Some(module) => format!("{manifest_dir}/tests/snapshots/{module}"),
        None => format!("{manifest_dir}/tests/snapshots"),
    }
}

/// Asserts a JSON snapshot named `name` in the snapshot folder `dir`; a missing one says how
/// to accept it.
pub(crate) fn snapshot_in(dir: &str, name: &str, value: &serde_json::Value) {
    assert!(
        !dir.is_empty(),
        "no snapshot folder: build the fixture through the suite's macro, or call \
         `.snapshots(dir)`"
    );
    if !std::path::Path::new(&format!("{dir}/{name}.snap")).exists() {
        eprintln!(
            "social-testkit: no snapshot `{name}` in {dir} yet. Review and accept the new \
             snapshots with `cargo insta review`, or run once with INSTA_UPDATE=always, then \
             commit them."
        );
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(dir);
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_json_snapshot!(name, value));
}

/// Settings from TOML text, then `SOCIAL_AUTH_*` variables `vars`, as an application loads
/// them; panics on invalid input (a test's own settings).
pub fn settings_from(toml: &str, vars: &[(&str, &str)]) -> social_core::Settings {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    social_core::Settings::from_toml_str(toml)
        .and_then(|s| s.with_vars(vars))
        .unwrap_or_else(|e| panic!("invalid test settings: {e}"))
}

/// Social login with `backend` alone under `settings`, on a fresh
/// [`MemoryStorage`](social_core::MemoryStorage) and an OpenID Connect key cache of its own,
/// over `http` when given (else the default client): for quirk tests that check what
/// start-up accepts or refuses and then log in.
pub fn social_auth(
    backend: impl social_core::Backend + 'static,
    settings: social_core::Settings,
    http: Option<std::sync::Arc<dyn HttpClient>>,
) -> social_core::Result<(
    social_core::SocialAuth,
    std::sync::Arc<social_core::MemoryStorage>,
)> {
    let storage = std::sync::Arc::new(social_core::MemoryStorage::new());
    let mut builder = social_core::SocialAuth::builder(social_core::Registry::new().with(backend))
        .settings(settings)
        .storage(storage.clone())
        .service(std::sync::Arc::new(social_oauth2::oidc::OidcCache::new()));
    if let Some(http) = http {
        builder = builder.http_client(http);
    }
    builder.build().map(|auth| (auth, storage))
}

/// The login of a callback that must have logged in; panics with the outcome otherwise.
#[track_caller]
pub fn logged_in(outcome: social_core::Result<social_core::Outcome>) -> social_core::Login {
    match outcome {
        Ok(social_core::Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

/// The decoded value of query parameter `name` in the URL `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| provider::param(&u, name))
}

/// An HTTP client that sends every `https://<host>/<path>` request to
/// `<server>/<host>/<path>` and refuses anything else: for quirk tests that run a backend on
/// its real, templated https URLs (an issuer built from a `DOMAIN` setting) against a local
/// mock server. Mount answers at [`local_path`] of the real URL.
pub fn forward_https_to(server: &wiremock::MockServer) -> std::sync::Arc<dyn HttpClient> {
    let base = server.uri();
    #[allow(clippy::expect_used)] // the kit's own client must build
    let inner = std::sync::Arc::new(
        ReqwestClient::new(std::time::Duration::from_secs(5), "social-testkit")
            .expect("client builds"),
    );
    std::sync::Arc::new(move |mut request: HttpRequest| {
        let (base, inner) = (base.clone(), inner.clone());
        async move {
            let uri = request.uri().clone();
            if uri.scheme_str() != Some("https") {
                return Err(HttpError::Other(format!("not an https request: {uri}")));
            }
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            let target = format!("{base}/{}{path}", uri.host().unwrap_or_default());
            *request.uri_mut() = target
                .parse()
                .map_err(|e: http::uri::InvalidUri| HttpError::Other(e.to_string()))?;
            inner.execute(request).await
        }
    })
}

/// Where [`forward_https_to`] delivers a request for the https URL `url`: `/<host>/<path>`.
pub fn local_path(url: &str) -> String {
    url.strip_prefix("https:/").unwrap_or(url).to_owned()
}

/// Matches a request that carries `token` where `place` says.
#[derive(Debug, Clone)]
pub struct TokenMatcher {
    place: TokenIn,
    token: String,
}

impl TokenMatcher {
    /// Matches requests carrying `token` in `place`.
    pub fn new(place: TokenIn, token: &str) -> Self {
        Self {
            place,
            token: token.to_owned(),
        }
    }
}

impl wiremock::Match for TokenMatcher {
    fn matches(&self, request: &wiremock::Request) -> bool {
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        match self.place {
            TokenIn::Bearer => header("authorization") == Some(format!("Bearer {}", self.token)),
            TokenIn::Header { name, prefix } => {
                header(name) == Some(format!("{prefix}{}", self.token))
            }
            TokenIn::Query(name) => request
                .url
                .query_pairs()
                .any(|(k, v)| k == name && v == self.token.as_str()),
            // OAuth 1.0a: the token is signed into the Authorization header.
            TokenIn::Signed => header("authorization").is_some_and(|v| {
                v.starts_with("OAuth ") && v.contains(&format!("oauth_token=\"{}\"", self.token))
            }),
            TokenIn::None => true,
            _ => false,
        }
    }
}
