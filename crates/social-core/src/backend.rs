//! The [`Backend`] trait every provider implements, and the registry of backends by name.

use std::{borrow::Cow, collections::BTreeMap, fmt, sync::Arc};

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use crate::{
    clock::Clock,
    error::{AuthError, ErrorKind, Result, Stage},
    http::{self, HttpClient, HttpRequest, HttpResponse},
    model::{AuthResponse, Tokens},
    profile::TokenIn,
    settings::{BackendSettings, Configure, Endpoint, Settings, env_name},
    storage::Storage,
    strategy::Strategy,
};

/// The protocol family of a backend: an open name, so a protocol crate outside this
/// workspace (SAML, say) names itself with [`Protocol::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Protocol {
    name: &'static str,
    label: &'static str,
}

impl Protocol {
    /// OAuth 2.0 (`oauth2`).
    pub const OAUTH2: Self = Self::new("oauth2", "OAuth 2.0");
    /// OAuth 1.0a (`oauth1`).
    pub const OAUTH1: Self = Self::new("oauth1", "OAuth 1.0a");
    /// OpenID Connect (`oidc`).
    pub const OPENID_CONNECT: Self = Self::new("oidc", "OpenID Connect");
    /// OpenID 2.0 (`openid`).
    pub const OPENID: Self = Self::new("openid", "OpenID 2.0");

    /// A protocol of the short machine `name` (`saml`) and display `label` (`SAML 2.0`).
    pub const fn new(name: &'static str, label: &'static str) -> Self {
        Self { name, label }
    }

    /// The short machine name: `oauth2`, `oidc`, ...
    pub fn name(self) -> &'static str {
        self.name
    }

    /// A display name: `OAuth 2.0`, ...
    pub fn label(self) -> &'static str {
        self.label
    }
}

/// What a backend can do besides logging in; the conformance suite tests what is declared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Sends a PKCE challenge.
    pub pkce: bool,
    /// Can refresh access tokens.
    pub refresh: bool,
    /// Can revoke tokens.
    pub revoke: bool,
    /// Where the backend's API calls carry the access token; the conformance suite checks
    /// that every call does.
    pub token_in: Option<TokenIn>,
    /// Only connects accounts to a logged-in user: its uid is not stable enough to log in
    /// with (Mixcloud's is a username the user can change). The `ASSOCIATION_ONLY` setting
    /// overrides it either way.
    pub association_only: bool,
}

impl Capabilities {
    /// Nothing besides login.
    pub const fn new() -> Self {
        Self {
            pkce: false,
            refresh: false,
            revoke: false,
            token_in: None,
            association_only: false,
        }
    }

    /// Sets [`Capabilities::pkce`].
    #[must_use]
    pub const fn pkce(mut self, yes: bool) -> Self {
        self.pkce = yes;
        self
    }

    /// Sets [`Capabilities::refresh`].
    #[must_use]
    pub const fn refresh(mut self, yes: bool) -> Self {
        self.refresh = yes;
        self
    }

    /// Sets [`Capabilities::revoke`].
    #[must_use]
    pub const fn revoke(mut self, yes: bool) -> Self {
        self.revoke = yes;
        self
    }

    /// Sets [`Capabilities::association_only`].
    #[must_use]
    pub const fn association_only(mut self, yes: bool) -> Self {
        self.association_only = yes;
        self
    }

    /// Sets [`Capabilities::token_in`].
    #[must_use]
    pub const fn token_in(mut self, place: TokenIn) -> Self {
        self.token_in = Some(place);
        self
    }
}

/// How to send the user to the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Flow {
    /// Redirect the browser to this URL.
    Redirect(String),
    /// Show a page that POSTs these fields to `action` (auto-submitted).
    AutoPost {
        /// Where the form posts.
        action: String,
        /// The form fields.
        fields: Vec<(String, String)>,
    },
}

impl Flow {
    /// The redirect URL, if this is a redirect.
    pub fn redirect_url(&self) -> Option<&str> {
        match self {
            Self::Redirect(url) => Some(url),
            Self::AutoPost { .. } => None,
        }
    }

    /// An HTML page that submits the form at once (with a button when scripts are off).
    pub fn auto_post_html(action: &str, fields: &[(String, String)]) -> String {
        let inputs: String = fields
            .iter()
            .map(|(k, v)| {
                format!(
                    r#"<input type="hidden" name="{}" value="{}">"#,
                    html_escape(k),
                    html_escape(v)
                )
            })
            .collect();
        format!(
            r#"<!doctype html><html><head><meta charset="utf-8"><title>Continue</title></head><body onload="document.forms[0].submit()"><form method="post" action="{}">{inputs}<button type="submit">Continue</button></form></body></html>"#,
            html_escape(action)
        )
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Shared services the engine hands to every backend, by type: an OpenID Connect key cache, a
/// protocol crate's own service. Given with
/// [`SocialAuthBuilder::service`](crate::SocialAuthBuilder::service).
#[derive(Clone, Default)]
pub struct Services(::http::Extensions);

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Services").finish_non_exhaustive()
    }
}

impl Services {
    /// No services.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `service`, replacing one of the same type.
    pub fn insert<T: Clone + Send + Sync + 'static>(&mut self, service: T) {
        self.0.insert(service);
    }

    /// The service of type `T`, if one was given.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.get::<T>()
    }
}

/// What a backend may use outside a request: its settings, the HTTP client and the clock.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct ProviderCx<'a> {
    /// The backend name.
    pub name: &'a str,
    /// All settings.
    pub settings: &'a Settings,
    /// This backend's settings.
    pub backend: &'a BackendSettings,
    /// The shared HTTP client.
    pub http: &'a dyn HttpClient,
    /// The clock.
    pub clock: &'a dyn Clock,
    /// Shared services given to the engine.
    pub services: &'a Services,
}

impl fmt::Debug for ProviderCx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderCx")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<'a> ProviderCx<'a> {
    /// A context over `settings` for backend `name`, with no services (engines, benchmarks and
    /// tests that call a backend directly).
    pub fn new(
        name: &'a str,
        settings: &'a Settings,
        http: &'a dyn HttpClient,
        clock: &'a dyn Clock,
    ) -> Self {
        static NONE: std::sync::OnceLock<Services> = std::sync::OnceLock::new();
        Self {
            name,
            settings,
            backend: settings.backend(name),
            http,
            clock,
            services: NONE.get_or_init(Services::new),
        }
    }

    /// The same context with `services`.
    #[must_use]
    pub fn with_services(mut self, services: &'a Services) -> Self {
        self.services = services;
        self
    }

    /// The endpoint `endpoint` (such as [`Endpoint::API`]), overridden by settings, else
    /// `default`.
    pub fn endpoint(&self, endpoint: Endpoint, default: &'a str) -> &'a str {
        self.backend.endpoint(endpoint, default)
    }

    /// The backend's own options of type `T`, parsed once at build by
    /// [`Configure::options`]; `T::default()` when none were kept.
    pub fn options<T: Default + Clone + Send + Sync + 'static>(&self) -> Cow<'a, T> {
        self.backend.typed_or_default::<T>()
    }

    /// The shared service of type `T`, if the engine was given one.
    pub fn service<T: Send + Sync + 'static>(&self) -> Option<&'a T> {
        self.services.get::<T>()
    }

    /// A configuration error about this backend's setting `key`, named as it was set.
    pub fn config_error(&self, key: &str, problem: impl fmt::Display) -> AuthError {
        AuthError::config(&self.backend.setting_name(self.name, key), problem)
            .with_provider(self.name)
    }

    /// The client id; a [`ErrorKind::Config`] error naming the setting when unset.
    pub fn key(&self) -> Result<&'a str> {
        self.backend
            .key
            .as_deref()
            .ok_or_else(|| AuthError::config(&env_name(Some(self.name), "key"), "is not set"))
    }

    /// The client secret; a [`ErrorKind::Config`] error naming the setting when unset.
    pub fn secret(&self) -> Result<&'a str> {
        self.backend
            .secret
            .as_ref()
            .map(crate::settings::Secret::secret)
            .ok_or_else(|| AuthError::config(&env_name(Some(self.name), "secret"), "is not set"))
    }

    /// Sends a request, mapping transport failures to errors of `stage`.
    pub async fn send(
        &self,
        request: HttpRequest,
        stage: Stage,
        what: &str,
    ) -> Result<HttpResponse> {
        self.http
            .execute(request)
            .await
            .map_err(|e| http::transport_error(stage, what, e).with_provider(self.name))
    }

    /// GETs a JSON API resource with a bearer token (or none), checking status and JSON.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &str,
        bearer: Option<&str>,
    ) -> Result<T> {
        let mut request =
            ::http::Request::get(url).header(::http::header::ACCEPT, "application/json");
        if let Some(token) = bearer {
            request = request.header(::http::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        // The URL itself stays out of the message: query strings may carry API keys.
        let request = request
            .body(Vec::new())
            .map_err(|e| self.config_error("api_url", format!("not a valid request URL: {e}")))?;
        self.json(request, Stage::Profile, "user API").await
    }

    /// A request of `method` to `url` asking for JSON, with the access `token` in the place
    /// `token_in` says: what [`ProviderCx::api_json`] sends, for calls that add headers of
    /// their own (Twitch's `Client-Id`) before [`ProviderCx::json`].
    pub fn api_request(
        method: ::http::Method,
        url: &str,
        token: &str,
        token_in: TokenIn,
    ) -> ::http::request::Builder {
        let (url, header) = token_in.apply(url, token);
        let mut request = ::http::Request::builder()
            .method(method)
            .uri(&url)
            .header(::http::header::ACCEPT, "application/json");
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        request
    }

    /// Sends a request of `method` to `url` with the access `token` in the place `token_in`
    /// says, and parses its JSON answer (the user-API call of most providers).
    pub async fn api_json<T: DeserializeOwned>(
        &self,
        method: ::http::Method,
        url: &str,
        token: &str,
        token_in: TokenIn,
    ) -> Result<T> {
        let request = Self::api_request(method, url, token, token_in)
            .body(Vec::new())
            .map_err(|e| self.config_error("api_url", format!("not a valid request URL: {e}")))?;
        self.json(request, Stage::Profile, "user API").await
    }

    /// Sends a request and parses its JSON answer; 4xx is [`ErrorKind::ProviderRejected`].
    pub async fn json<T: DeserializeOwned>(
        &self,
        request: HttpRequest,
        stage: Stage,
        what: &str,
    ) -> Result<T> {
        let response = self.send(request, stage, what).await?;
        http::check_status(&response, stage, what, ErrorKind::ProviderRejected)
            .and_then(|()| http::parse_json(response.body(), stage, what))
            .map_err(|e| e.with_provider(self.name))
    }
}

/// What a backend may use while handling a request.
#[derive(Clone, Copy)]
pub struct BackendCx<'a> {
    /// Settings, HTTP client and clock.
    pub provider: ProviderCx<'a>,
    /// The request and its session.
    pub strategy: &'a dyn Strategy,
    /// The storage (nonces, OpenID associations).
    pub storage: &'a dyn Storage,
}

impl fmt::Debug for BackendCx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendCx")
            .field("name", &self.provider.name)
            .finish_non_exhaustive()
    }
}

impl BackendCx<'_> {
    /// This site's origin ([`crate::strategy::site_origin`]): `PUBLIC_URL`, else the
    /// request's.
    pub fn site_origin(&self) -> String {
        crate::strategy::site_origin(self.strategy, self.provider.settings)
    }

    /// The absolute callback URL of this backend for this request.
    pub fn redirect_uri(&self) -> String {
        format!(
            "{}{}",
            self.site_origin(),
            self.strategy.callback_path(self.provider.name)
        )
    }
}

/// The display name of a protocol backend: the one the application chose
/// (`with_display_name`), else the one its spec states (empty: none), else its `name`. One rule
/// for every protocol base.
pub fn display_name_of<'a>(chosen: Option<&'a str>, spec: &'a str, name: &'a str) -> &'a str {
    match (chosen, spec) {
        (Some(chosen), _) => chosen,
        (None, "") => name,
        (None, spec) => spec,
    }
}

/// A login method: one provider speaking one protocol.
///
/// Object-safe; held as `Arc<dyn Backend>` in a [`Registry`]. Protocol bases (such as
/// `social_oauth2::OAuth2Backend`) implement it once for all their providers. Methods with a
/// default body may be skipped.
#[async_trait]
pub trait Backend: Send + Sync {
    /// The backend name used in URLs and settings: `github`.
    fn name(&self) -> &str;

    /// The name people read on buttons and pages: `GitHub`. The default is [`Backend::name`];
    /// provider crates give the provider's own spelling of its brand.
    fn display_name(&self) -> &str {
        self.name()
    }

    /// The protocol family.
    fn protocol(&self) -> Protocol;

    /// What the backend supports besides login.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// Reads the backend's settings once, when [`SocialAuth`](crate::SocialAuth) is built:
    /// declares the endpoints and options it reads, parses and checks them. Whatever it leaves
    /// undeclared is a start-up error naming the variable or key. The default requires `KEY`
    /// and `SECRET` and reads nothing else.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.require_key_and_secret()
    }

    /// Starts a login: stores what the callback must check in the session, returns where to go.
    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow>;

    /// Validates the provider's callback and returns the authenticated account.
    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse>;

    /// Gets a fresh access token with the refresh token.
    async fn refresh_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<Tokens> {
        let _ = (cx, tokens);
        Err(AuthError::new(
            ErrorKind::Unsupported,
            Stage::Token,
            "refresh is not supported",
        )
        .with_provider(self.name()))
    }

    /// Revokes the tokens at the provider.
    async fn revoke_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let _ = (cx, tokens);
        Err(AuthError::new(
            ErrorKind::Unsupported,
            Stage::Token,
            "revoke is not supported",
        )
        .with_provider(self.name()))
    }
}

/// The backends an application offers, by name.
#[derive(Clone, Default)]
pub struct Registry {
    backends: BTreeMap<String, Arc<dyn Backend>>,
    /// Backends compiled in but left out for want of settings ([`Registry::keep_configured`]).
    unconfigured: BTreeMap<String, Arc<dyn Backend>>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.backends.keys()).finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a backend under its name, replacing one of the same name.
    #[must_use]
    pub fn with(mut self, backend: impl Backend + 'static) -> Self {
        self.insert(Arc::new(backend));
        self
    }

    /// Adds a shared backend under its name, replacing one of the same name.
    #[must_use]
    pub fn with_arc(mut self, backend: Arc<dyn Backend>) -> Self {
        self.insert(backend);
        self
    }

    /// Adds `backend` when `settings` configure it (a `[backends.<name>]` table or
    /// `SOCIAL_AUTH_<NAME>_*` variables): how an application offers a provider of another
    /// crate only where it is set up, as `social_auth::registry_for` does for built-in ones.
    #[must_use]
    pub fn with_configured(self, backend: impl Backend + 'static, settings: &Settings) -> Self {
        let name = backend.name().to_owned();
        let mut names: Vec<&str> = self.names().collect();
        names.push(&name);
        if settings.configures(&name, &names) {
            self.with(backend)
        } else {
            self
        }
    }

    /// Adds a shared backend under its name, replacing one of the same name.
    pub fn insert(&mut self, backend: Arc<dyn Backend>) {
        self.backends.insert(backend.name().to_owned(), backend);
    }

    /// Keeps only the backends `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.backends.retain(|name, _| keep(name));
    }

    /// Keeps the backends `configured` accepts and sets the others aside as compiled in but
    /// not configured: building [`SocialAuth`](crate::SocialAuth) names them with the
    /// setting each lacks (or refuses to start under `STRICT_BACKENDS`), and a login asked of
    /// one of them fails saying it is not configured rather than unknown.
    pub fn keep_configured(&mut self, mut configured: impl FnMut(&str) -> bool) {
        let (kept, aside) = std::mem::take(&mut self.backends)
            .into_iter()
            .partition(|(name, _)| configured(name));
        self.backends = kept;
        self.unconfigured.extend(aside);
    }

    /// The backends set aside by [`Registry::keep_configured`], sorted by name.
    pub fn unconfigured(&self) -> impl Iterator<Item = &Arc<dyn Backend>> {
        self.unconfigured
            .iter()
            .filter(|(name, _)| !self.backends.contains_key(*name))
            .map(|(_, backend)| backend)
    }

    /// The backend named `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Backend>> {
        self.backends.get(name)
    }

    /// Backend names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.backends.keys().map(String::as_str)
    }

    /// All backends, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Backend>> {
        self.backends.values()
    }

    /// How many backends are registered.
    pub fn len(&self) -> usize {
        self.backends.len()
    }

    /// Whether no backend is registered.
    pub fn is_empty(&self) -> bool {
        self.backends.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend that only has a name, and optionally a display name of its own.
    struct Named(&'static str, Option<&'static str>);

    #[async_trait]
    impl Backend for Named {
        fn name(&self) -> &str {
            self.0
        }

        fn display_name(&self) -> &str {
            self.1.unwrap_or(self.0)
        }

        fn protocol(&self) -> Protocol {
            Protocol::OAUTH2
        }

        async fn start(&self, _: &BackendCx<'_>) -> Result<Flow> {
            Err(AuthError::new(ErrorKind::Unsupported, Stage::Begin, "test"))
        }

        async fn complete(&self, _: &BackendCx<'_>) -> Result<AuthResponse> {
            Err(AuthError::new(
                ErrorKind::Unsupported,
                Stage::Callback,
                "test",
            ))
        }
    }

    /// A backend that keeps every default body.
    struct Plain;

    #[async_trait]
    impl Backend for Plain {
        fn name(&self) -> &str {
            "plain"
        }

        fn protocol(&self) -> Protocol {
            Protocol::OAUTH2
        }

        async fn start(&self, _: &BackendCx<'_>) -> Result<Flow> {
            Err(AuthError::new(ErrorKind::Unsupported, Stage::Begin, "test"))
        }

        async fn complete(&self, _: &BackendCx<'_>) -> Result<AuthResponse> {
            Err(AuthError::new(
                ErrorKind::Unsupported,
                Stage::Callback,
                "test",
            ))
        }
    }

    #[test]
    fn the_display_name_defaults_to_the_name_and_can_be_overridden() {
        assert_eq!(Plain.display_name(), "plain");
        let registry = Registry::new()
            .with(Plain)
            .with(Named("github", Some("GitHub")));
        let shown: Vec<&str> = registry.iter().map(|b| b.display_name()).collect();
        assert_eq!(shown, ["GitHub", "plain"]);
        assert_eq!(Named("dev", None).display_name(), "dev");
    }
}
