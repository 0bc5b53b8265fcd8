#![doc = include_str!("../README.md")]

use std::{
    fmt,
    sync::{Mutex, PoisonError},
};

use async_trait::async_trait;
use base64::{
    Engine as _,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
/// The HTTP method of the token request ([`OAuth2Spec::token_method`]).
pub use http::Method;
use http::header;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Digest as _;
/// Reads a required id field of the provider's user data as text.
pub use social_core::model::required_id;
use subtle::ConstantTimeEq;

use social_core::{
    Configure, Endpoint, Mapping, TokenIn,
    backend::{Backend, BackendCx, Capabilities, Flow, Protocol, ProviderCx},
    error::{AuthError, ErrorKind, Result, Stage},
    extra_data::{self, ExtraDataField},
    http::{HttpRequest, body_excerpt},
    model::{AuthResponse, Tokens, UserDetails},
    settings::{BackendSettings, Secret},
    strategy::required_param,
};

/// Whether and how the provider takes PKCE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pkce {
    /// The provider does not take PKCE.
    None,
    /// SHA-256 challenge (RFC 7636 `S256`).
    S256,
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the request body.
    Body,
    /// HTTP Basic authentication (RFC 6749 section 2.3.1).
    Basic,
    /// No client credentials: for calls the request authenticates otherwise (a revocation
    /// that carries the user's token as a bearer token).
    None,
    /// The client id and secret in the body under other names (WeChat's `appid` and
    /// `secret`, TikTok's `client_key`); the authorization redirect names the client id the
    /// same way.
    BodyAs {
        /// The client id's parameter name.
        id: &'static str,
        /// The client secret's parameter name.
        secret: &'static str,
    },
    /// An RFC 7523 assertion signed with the client secret (HS256): OpenID Connect's
    /// `client_secret_jwt`. Needs the `oidc` feature.
    SecretJwt,
    /// An RFC 7523 assertion signed with the client's private key (`PRIVATE_KEY`, key id
    /// `PRIVATE_KEY_ID`): OpenID Connect's `private_key_jwt`. Needs the `oidc` feature.
    PrivateKeyJwt,
}

impl ClientAuth {
    /// The name of the client id parameter in the authorization redirect: `client_id`
    /// unless [`ClientAuth::BodyAs`] names it otherwise.
    pub fn client_id_param(self) -> &'static str {
        match self {
            Self::BodyAs { id, .. } => id,
            _ => "client_id",
        }
    }

    /// Whether the client authenticates with its secret (or a secret generated for it).
    pub fn uses_secret(self) -> bool {
        !matches!(self, Self::None | Self::PrivateKeyJwt)
    }
}

/// An OAuth 2.0 provider as data: its name, endpoints, flags, profile call and mapping.
///
/// A plain provider is nothing but this value: `OAuth2Spec` implements [`OAuth2Provider`], so
/// `OAuth2Backend::new(SPEC)` is a complete backend. A quirky provider returns its spec from
/// [`OAuth2Provider::spec`] and overrides the hooks that differ.
///
/// URLs are templates: `{base_url}` is the provider's base URL (the setting
/// [`OAuth2Spec::base_setting`], by default `BASE_URL`, else [`OAuth2Spec::base_url`]),
/// `{api_url}` its API root, `{client_id}` the client id, and any other `{name}` the backend's
/// option `name` (required, such as `{domain}` or `{realm}`). Each endpoint can still be
/// overridden whole by its own setting (`AUTHORIZATION_URL`, ...).
///
/// Not `#[non_exhaustive]` on purpose, so that providers can write struct literals: always end
/// them with `..OAuth2Spec::DEFAULT`, which keeps them building when fields are added.
#[derive(Debug, Clone)]
pub struct OAuth2Spec {
    /// The backend name: `github`.
    pub name: &'static str,
    /// The name people read on buttons and pages, in the provider's own spelling: `GitHub`.
    /// Empty (the default) shows the backend name.
    pub display_name: &'static str,
    /// The provider's base URL, for self-hosted installs: `https://gitlab.com`.
    pub base_url: Option<&'static str>,
    /// The setting that moves the base URL (`BASE_URL` unless the provider documents another,
    /// such as GitHub's `ENTERPRISE_URL`).
    pub base_setting: Endpoint,
    /// The API root (`{api_url}`; setting `API_URL`).
    pub api_url: Option<&'static str>,
    /// The API root used instead of `api_url` when the base URL is set (GitHub Enterprise's
    /// `{base_url}/api/v3`).
    pub hosted_api_url: Option<&'static str>,
    /// The authorization endpoint (setting `AUTHORIZATION_URL`).
    pub authorization_url: &'static str,
    /// The token endpoint (setting `ACCESS_TOKEN_URL`).
    pub token_url: &'static str,
    /// The revocation endpoint (setting `REVOKE_TOKEN_URL`), if the provider has one.
    pub revoke_url: Option<&'static str>,
    /// The endpoint that refreshes tokens when it is not the token endpoint (setting
    /// `REFRESH_TOKEN_URL`).
    pub refresh_url: Option<&'static str>,
    /// The scope asked for by default.
    pub default_scope: &'static [&'static str],
    /// How scopes are joined: `" "` by the RFC, `","` or `";"` for some providers.
    pub scope_separator: &'static str,
    /// Fixed query arguments of the authorization redirect.
    pub auth_params: &'static [(&'static str, &'static str)],
    /// PKCE support.
    pub pkce: Pkce,
    /// Client authentication at the token endpoint.
    pub client_auth: ClientAuth,
    /// The HTTP method of the token request (POST; GET for a few old APIs).
    pub token_method: Method,
    /// How the token request's parameters are encoded.
    pub token_body: TokenBody,
    /// Whether refresh tokens can be used.
    pub refresh: bool,
    /// The call that fetches the user's data with the access token; `None` when the token
    /// response holds the identity or the provider overrides [`OAuth2Provider::user_data`].
    pub profile: Option<ProfileCall>,
    /// Where the user's data holds the account's fields.
    pub mapping: Mapping,
    /// Callback parameters handed to the provider with the token response
    /// ([`TokenResponse::callback`]): fields a provider sends to the callback beside `code`
    /// (Apple's `user`).
    pub callback_params: &'static [&'static str],
    /// Whether the backend only connects accounts to a logged-in user, because its uid is
    /// not stable enough to log in with (Mixcloud's username); `ASSOCIATION_ONLY` overrides.
    pub association_only: bool,
}

impl OAuth2Spec {
    /// Defaults to start from: POST, client secret in the body, PKCE S256, `" "` separator,
    /// form-encoded token request, uid at `/id`.
    pub const DEFAULT: Self = Self {
        name: "",
        display_name: "",
        base_url: None,
        base_setting: Endpoint::BASE,
        api_url: None,
        hosted_api_url: None,
        authorization_url: "",
        token_url: "",
        revoke_url: None,
        refresh_url: None,
        default_scope: &[],
        scope_separator: " ",
        auth_params: &[],
        pkce: Pkce::S256,
        client_auth: ClientAuth::Body,
        token_method: Method::POST,
        token_body: TokenBody::Form,
        refresh: false,
        profile: None,
        mapping: Mapping::DEFAULT,
        callback_params: &[],
        association_only: false,
    };

    /// Where API calls carry the access token: the profile call's place, else a bearer header.
    pub fn token_in(&self) -> TokenIn {
        self.profile.map_or(TokenIn::Bearer, |p| p.token_in)
    }

    /// Expands the URL template `template` with `settings` (see [`OAuth2Spec`]).
    pub fn expand(&self, settings: &BackendSettings, template: &str) -> String {
        if !template.contains('{') {
            return template.to_owned();
        }
        let base = settings.endpoint_override(self.base_setting);
        let base_url = base
            .or(self.base_url)
            .unwrap_or_default()
            .trim_end_matches('/');
        let api = match settings.endpoint_override(Endpoint::API) {
            Some(api) => api.to_owned(),
            None => {
                let template = match (base, self.hosted_api_url) {
                    (Some(_), Some(hosted)) => Some(hosted),
                    _ => self.api_url,
                };
                template.map_or_else(String::new, |t| t.replace("{base_url}", base_url))
            }
        };
        expand_template(template, |name| match name {
            "base_url" => Some(base_url.to_owned()),
            "api_url" => Some(api.trim_end_matches('/').to_owned()),
            "client_id" => settings.key.clone(),
            other => settings.option(other),
        })
    }

    /// Every URL template of the spec.
    fn templates(&self) -> impl Iterator<Item = &'static str> {
        [
            Some(self.authorization_url),
            Some(self.token_url),
            self.revoke_url,
            self.refresh_url,
            self.api_url,
            self.hosted_api_url,
            self.base_url,
            self.profile.map(|p| p.url),
        ]
        .into_iter()
        .flatten()
        .chain(
            self.profile
                .into_iter()
                .flat_map(|p| p.headers.iter().map(|h| h.1)),
        )
    }

    /// The options the URL templates name (`{domain}`, ...), which the backend requires.
    fn template_options(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self
            .templates()
            .flat_map(template_names)
            .filter(|n| !["base_url", "api_url", "client_id"].contains(n))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// Fills the `{name}` placeholders of `template` with `value(name)` (empty when `None`).
pub fn expand_template(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push_str(&rest[..open]);
        out.push_str(&value(&rest[open + 1..open + close]).unwrap_or_default());
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// Checks the values a template puts where a host name goes (`https://{domain}/...`): a host
/// name with an optional port, no scheme, path or spaces. `Err` names the placeholder and what
/// is wrong, so that `DOMAIN=https://id.example.com/` stops start-up instead of the first login.
pub fn check_host_values(
    template: &str,
    value: impl Fn(&str) -> Option<String>,
) -> std::result::Result<(), (String, String)> {
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        if rest[..open].ends_with("://")
            && let Some(v) = value(name)
            && (v.is_empty() || v.contains(['/', '?', '#', '@']) || v.contains(char::is_whitespace))
        {
            return Err((
                name.to_owned(),
                format!("`{v}` is not a host name: give the host alone, such as `id.example.com`"),
            ));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

/// The `{name}` placeholders of `template`, in order.
pub fn template_names(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        names.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    names
}

/// The call that fetches the user's data: method, URL template and where the token goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProfileCall {
    /// `POST` with an empty body instead of `GET` (Dropbox).
    pub post: bool,
    /// The URL template (see [`OAuth2Spec`]). Setting `API_URL` moves `{api_url}` in it, or
    /// replaces a URL that is not built on `{api_url}`.
    pub url: &'static str,
    /// Where the access token goes.
    pub token_in: TokenIn,
    /// Headers sent with the call, values being templates (see [`OAuth2Spec`]):
    /// `("Client-Id", "{client_id}")`, `("CB-VERSION", "2024-05-01")`.
    pub headers: &'static [(&'static str, &'static str)],
}

impl ProfileCall {
    /// `GET url` with the token in `token_in`.
    pub const fn get(url: &'static str, token_in: TokenIn) -> Self {
        Self {
            post: false,
            url,
            token_in,
            headers: &[],
        }
    }

    /// `POST url` with an empty body and the token in `token_in`.
    pub const fn post(url: &'static str, token_in: TokenIn) -> Self {
        Self {
            post: true,
            url,
            token_in,
            headers: &[],
        }
    }

    /// The same call with `headers` (name, value template) added.
    pub const fn headers(mut self, headers: &'static [(&'static str, &'static str)]) -> Self {
        self.headers = headers;
        self
    }
}

/// How the token request's parameters are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenBody {
    /// `application/x-www-form-urlencoded` (RFC 6749).
    Form,
    /// A JSON object (Notion).
    Json,
}

/// The token endpoint's answer: the parsed tokens and the raw fields.
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The tokens.
    pub tokens: Tokens,
    /// Every field of the answer.
    pub raw: Map<String, Value>,
    /// The callback parameters the spec's `callback_params` names, as the browser sent them:
    /// not signed by anyone, so never a source of identity.
    pub callback: Vec<(String, String)>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

impl TokenResponse {
    /// The access token.
    pub fn access_token(&self) -> &str {
        self.tokens.access_token.secret()
    }

    /// The callback parameter `name`, if the spec's `callback_params` names it and the
    /// browser sent it.
    pub fn callback_param(&self, name: &str) -> Option<&str> {
        self.callback
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An OAuth 2.0 provider: its [`OAuth2Spec`] plus hooks for what the spec cannot say.
///
/// Every hook has a default driven by the spec, so [`OAuth2Spec`] itself is a provider.
#[async_trait]
pub trait OAuth2Provider: Send + Sync + 'static {
    /// The name, endpoints, flags, profile call and mapping.
    fn spec(&self) -> OAuth2Spec;

    /// Fetches the user's data with the access token; the default makes the spec's
    /// [`profile`](OAuth2Spec::profile) call.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        profile(cx, &self.spec(), token).await
    }

    /// The provider's stable user id; the default reads the spec's mapping.
    fn user_id(&self, user: &Value) -> Result<String> {
        self.spec().mapping.user_id(user)
    }

    /// Maps the user's data to normalized details; the default follows the spec's mapping.
    fn user_details(&self, user: &Value) -> UserDetails {
        self.spec().mapping.user_details(user)
    }

    /// The extra data kept by default; the spec's mapping names them.
    fn extra_data(&self) -> Vec<ExtraDataField> {
        self.spec().mapping.extra_data()
    }

    /// Query arguments the provider adds to the authorization redirect, from its settings.
    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        let _ = cx;
        Ok(Vec::new())
    }

    /// Reshapes a successful token answer before it is read (Instagram wraps its token in
    /// `{"data": [...]}`); the answer as it came by default.
    fn token_answer(&self, answer: Map<String, Value>) -> Map<String, Value> {
        answer
    }

    /// Checks the authorization response's `iss` parameter (RFC 9207), `None` when absent:
    /// a response naming another issuer is a mix-up. Nothing by default (providers without
    /// issuer metadata); OpenID Connect backends check it against their discovered issuer.
    fn check_response_issuer(&self, iss: Option<&str>) -> Result<()> {
        let _ = iss;
        Ok(())
    }

    /// Fresh values of one login (OpenID Connect's `nonce`): sent with the authorization
    /// redirect, where they win over `AUTH_EXTRA_ARGUMENTS`, kept with the pending login and
    /// handed back to [`OAuth2Provider::login_user_data`] at the callback. None by default.
    fn login_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        let _ = cx;
        Ok(Vec::new())
    }

    /// Fetches the user's data knowing the [`login_params`](OAuth2Provider::login_params) this
    /// login sent; the default ignores them and calls [`OAuth2Provider::user_data`].
    async fn login_user_data(
        &self,
        cx: &ProviderCx<'_>,
        token: &TokenResponse,
        sent: &[(String, String)],
    ) -> Result<Value> {
        let _ = sent;
        self.user_data(cx, token).await
    }

    /// The URL of `endpoint`: its setting when set, else the spec's template `default`
    /// expanded ([`OAuth2Spec::expand`]).
    fn endpoint(&self, settings: &BackendSettings, endpoint: Endpoint, default: &str) -> String {
        match settings.endpoint_override(endpoint) {
            Some(url) => url.to_owned(),
            None => self.spec().expand(settings, default),
        }
    }

    /// Reads provider-specific settings at start-up: declare endpoints and options, parse
    /// them ([`Configure::options`]) and check them. Nothing by default.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }

    /// Revokes the tokens; the default posts RFC 7009 `token=` to the revocation endpoint.
    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let spec = self.spec();
        let Some(default) = spec.revoke_url else {
            return Err(AuthError::new(
                ErrorKind::Unsupported,
                Stage::Token,
                "no revocation endpoint",
            ));
        };
        let url = self.endpoint(cx.backend, Endpoint::REVOKE_TOKEN, default);
        let mut form = vec![
            ("token", tokens.access_token.secret().to_owned()),
            ("token_type_hint", "access_token".to_owned()),
        ];
        let request = client_request(
            cx,
            spec.client_auth,
            TokenBody::Form,
            Method::POST,
            &url,
            &mut form,
        )?;
        let response = cx
            .send(request, Stage::Token, "revocation endpoint")
            .await?;
        social_core::http::check_status(
            &response,
            Stage::Token,
            "revocation endpoint",
            ErrorKind::TokenError,
        )
    }
}

#[cfg(feature = "oidc")]
pub mod oidc;

#[cfg(feature = "oidc")]
pub mod client_jwt;

#[cfg(test)]
mod state_tests;

/// Makes the spec's [`profile`](OAuth2Spec::profile) call: what
/// [`OAuth2Provider::user_data`] does by default, for overrides that add to it.
pub async fn profile(
    cx: &ProviderCx<'_>,
    spec: &OAuth2Spec,
    token: &TokenResponse,
) -> Result<Value> {
    let Some(call) = spec.profile else {
        return Err(AuthError::new(
            ErrorKind::Unknown,
            Stage::Profile,
            "the provider declares no profile call and does not fetch the user itself",
        ));
    };
    // `API_URL` moves the API root where the URL is built on it, else the call itself.
    let url = match cx.backend.endpoint_override(Endpoint::API) {
        Some(api) if !call.url.contains("{api_url}") => api.to_owned(),
        _ => spec.expand(cx.backend, call.url),
    };
    let method = if call.post { Method::POST } else { Method::GET };
    if call.headers.is_empty() {
        return cx
            .api_json(method, &url, token.access_token(), call.token_in)
            .await;
    }
    let mut request = ProviderCx::api_request(method, &url, token.access_token(), call.token_in);
    for (name, value) in call.headers {
        request = request.header(*name, spec.expand(cx.backend, value));
    }
    let request = request
        .body(Vec::new())
        .map_err(|e| cx.config_error("api_url", format!("not a valid request: {e}")))?;
    cx.json(request, Stage::Profile, "user API").await
}

/// A spec is a complete provider: every hook follows it.
impl OAuth2Provider for OAuth2Spec {
    fn spec(&self) -> OAuth2Spec {
        self.clone()
    }
}

/// What the callback checks, kept in the session between start and callback.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: Option<String>,
    created: i64,
    // Absent for providers without login params, so their sessions look as they always did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sent: Vec<(String, String)>,
    /// The login asked for `response_mode=form_post`: the answer must come by POST, and
    /// otherwise in the query of a GET.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    form_post: bool,
}

/// The session key of a backend's pending login.
pub fn pending_key(backend: &str) -> String {
    format!("social_auth.{backend}.pending")
}

/// [`Backend`] for any [`OAuth2Provider`].
pub struct OAuth2Backend<P> {
    core: Core,
    provider: P,
}

/// What an OAuth 2.0 backend keeps besides its provider. The login's steps are its methods and
/// see the provider as `&dyn OAuth2Provider`: they are compiled once, not once per provider (a
/// build with fifty providers would otherwise carry fifty copies of them).
struct Core {
    name: String,
    /// Set by [`OAuth2Backend::with_display_name`]; else the spec's, else the name.
    display_name: Option<String>,
    /// The last authorization URL as configured and as the url crate writes it, so that a
    /// login does not parse the same URL again.
    authorization_base: Mutex<Option<(String, String)>>,
}

impl<P: OAuth2Provider> fmt::Debug for OAuth2Backend<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Backend")
            .field("name", &self.core.name)
            .finish_non_exhaustive()
    }
}

impl<P: OAuth2Provider> OAuth2Backend<P> {
    /// The provider under the name its spec gives.
    pub fn new(provider: P) -> Self {
        let name = provider.spec().name;
        Self::named(name, provider)
    }

    /// The provider under another name (several configurations of one provider).
    pub fn named(name: &str, provider: P) -> Self {
        Self {
            core: Core {
                name: name.to_owned(),
                display_name: None,
                authorization_base: Mutex::new(None),
            },
            provider,
        }
    }

    /// Shows the backend as `display_name` on buttons and pages, whatever its spec says (a
    /// generic or renamed backend: `Acme SSO`).
    #[must_use]
    pub fn with_display_name(mut self, display_name: impl Into<String>) -> Self {
        self.core.display_name = Some(display_name.into());
        self
    }

    /// The provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }
}

impl Core {
    /// The authorization URL `base` as the url crate writes it (host lower-cased, IDNA,
    /// default port dropped, ...), parsed at its first login only.
    fn authorization_base(&self, base: &str) -> std::result::Result<String, url::ParseError> {
        let mut cached = self
            .authorization_base
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((raw, written)) = &*cached
            && raw == base
        {
            return Ok(written.clone());
        }
        let written = String::from(url::Url::parse(base)?);
        *cached = Some((base.to_owned(), written.clone()));
        Ok(written)
    }

    async fn exchange(
        &self,
        provider: &dyn OAuth2Provider,
        cx: &BackendCx<'_>,
        code: &str,
        verifier: Option<String>,
    ) -> Result<TokenResponse> {
        let pcx = &cx.provider;
        let spec = provider.spec();
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", cx.redirect_uri()),
        ];
        if let Some(verifier) = verifier {
            form.push(("code_verifier", verifier));
        }
        let url = provider.endpoint(pcx.backend, Endpoint::ACCESS_TOKEN, spec.token_url);
        let request = client_request(
            pcx,
            spec.client_auth,
            spec.token_body,
            spec.token_method,
            &url,
            &mut form,
        )?;
        token_call(pcx, provider, request).await
    }
}

/// The scope a login asks for: the `SCOPE` setting or the spec's default, plus `EXTRA_SCOPE`.
fn scope(spec: &OAuth2Spec, settings: &BackendSettings) -> String {
    let mut scope: Vec<String> = match &settings.scope {
        Some(scope) => scope.clone(),
        None => spec.default_scope.iter().map(|s| (*s).to_owned()).collect(),
    };
    for extra in &settings.extra_scope {
        if !scope.contains(extra) {
            scope.push(extra.clone());
        }
    }
    scope.join(spec.scope_separator)
}

/// Builds a token-endpoint request with client authentication (`client_id` and
/// `client_secret` in `form` or as HTTP Basic), as a POST of `body` encoding or a GET with a
/// query.
pub fn client_request(
    cx: &ProviderCx<'_>,
    auth: ClientAuth,
    body: TokenBody,
    method: Method,
    url: &str,
    form: &mut Vec<(&'static str, String)>,
) -> Result<HttpRequest> {
    let mut builder = http::Request::builder().header(header::ACCEPT, "application/json");
    match auth {
        ClientAuth::Body => {
            form.push(("client_id", cx.key()?.to_owned()));
            form.push(("client_secret", client_secret(cx)?));
        }
        ClientAuth::Basic => {
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let credentials =
                STANDARD.encode(format!("{}:{}", enc(cx.key()?), enc(&client_secret(cx)?)));
            builder = builder.header(header::AUTHORIZATION, format!("Basic {credentials}"));
        }
        ClientAuth::BodyAs { id, secret } => {
            form.push((id, cx.key()?.to_owned()));
            form.push((secret, client_secret(cx)?));
        }
        ClientAuth::SecretJwt | ClientAuth::PrivateKeyJwt => {
            let assertion = client_assertion(cx, auth, url)?;
            form.push(("client_id", cx.key()?.to_owned()));
            form.push((
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ));
            form.push(("client_assertion", assertion));
        }
        ClientAuth::None => {}
    }
    let bad_url =
        |e: http::Error| cx.config_error(Endpoint::ACCESS_TOKEN.setting(), format!("`{url}`: {e}"));
    let encoded = serde_urlencoded::to_string(&*form)
        .map_err(|e| AuthError::new(ErrorKind::Unknown, Stage::Token, e.to_string()))?;
    if method == Method::GET {
        let sep = if url.contains('?') { '&' } else { '?' };
        return builder
            .method(Method::GET)
            .uri(format!("{url}{sep}{encoded}"))
            .body(Vec::new())
            .map_err(bad_url);
    }
    let (content_type, bytes) = match body {
        TokenBody::Form => ("application/x-www-form-urlencoded", encoded.into_bytes()),
        TokenBody::Json => {
            let object: Map<String, Value> = form
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
                .collect();
            (
                "application/json",
                Value::Object(object).to_string().into_bytes(),
            )
        }
    };
    builder
        .method(method)
        .uri(url)
        .header(header::CONTENT_TYPE, content_type)
        .body(bytes)
        .map_err(bad_url)
}

/// The client secret: generated when the backend keeps a [`client_jwt::GeneratedSecret`],
/// else the `SECRET` setting.
fn client_secret(cx: &ProviderCx<'_>) -> Result<String> {
    #[cfg(feature = "oidc")]
    return client_jwt::client_secret(cx);
    #[cfg(not(feature = "oidc"))]
    cx.secret().map(str::to_owned)
}

/// A fresh RFC 7523 client assertion for a request to `audience`.
fn client_assertion(cx: &ProviderCx<'_>, auth: ClientAuth, audience: &str) -> Result<String> {
    #[cfg(feature = "oidc")]
    {
        let now = cx.clock.now();
        if auth == ClientAuth::SecretJwt {
            return client_jwt::secret_assertion(cx.secret()?, cx.key()?, audience, now);
        }
        let Some(key) = cx.backend.typed::<client_jwt::SigningKey>() else {
            return Err(cx.config_error(
                "private_key",
                "is not set: `private_key_jwt` signs with the client's private key",
            ));
        };
        client_jwt::client_assertion(key, cx.key()?, audience, now)
    }
    #[cfg(not(feature = "oidc"))]
    {
        let _ = (auth, audience);
        Err(cx.config_error(
            "token_endpoint_auth_method",
            "signed client assertions need social-oauth2's `oidc` feature",
        ))
    }
}

/// The error a provider's callback reports (`error`, `error_description`): the user's refusal
/// (`access_denied`) is [`ErrorKind::Canceled`], anything else [`ErrorKind::Failed`].
pub fn provider_error(error: &str, description: Option<&str>) -> AuthError {
    let kind = if error == "access_denied" {
        ErrorKind::Canceled
    } else {
        ErrorKind::Failed
    };
    let description: String = description.unwrap_or_default().chars().take(200).collect();
    AuthError::new(
        kind,
        Stage::Callback,
        format!("provider error `{error}`: {description}"),
    )
}

/// The error of a callback whose session holds no pending login.
pub fn no_pending_login() -> AuthError {
    AuthError::new(
        ErrorKind::StateMissing,
        Stage::Callback,
        "no pending login in the session",
    )
}

/// Checks the `state` a callback `sent` against the pending login of `backend` (`expected`,
/// started at `created`): not expired (`STATE_MAX_AGE`), equal in constant time, and claimed
/// once in the nonce store — sessions are not transactional, so two callbacks racing on one
/// session could both see the state, and the store lets exactly one through.
pub async fn claim_state(
    cx: &BackendCx<'_>,
    backend: &str,
    created: i64,
    expected: &str,
    sent: &str,
) -> Result<()> {
    let pcx = &cx.provider;
    if pcx.clock.now() - created > i64::try_from(pcx.settings.state_max_age).unwrap_or(i64::MAX) {
        return Err(AuthError::new(
            ErrorKind::StateExpired,
            Stage::Callback,
            "the pending login expired",
        ));
    }
    if !bool::from(sent.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(AuthError::new(
            ErrorKind::StateMismatch,
            Stage::Callback,
            "state does not match the session",
        ));
    }
    let fresh = cx
        .storage
        .use_nonce(&format!("oauth2-state:{backend}"), created, expected)
        .await
        .map_err(|e| AuthError::storage(Stage::Callback, e))?;
    if !fresh {
        return Err(AuthError::new(
            ErrorKind::StateReplayed,
            Stage::Callback,
            "state was already used",
        ));
    }
    Ok(())
}

/// Sends a token request and parses the answer (JSON, or form-encoded from old APIs).
async fn token_call(
    cx: &ProviderCx<'_>,
    provider: &dyn OAuth2Provider,
    request: HttpRequest,
) -> Result<TokenResponse> {
    let what = "token endpoint";
    let response = cx.send(request, Stage::Token, what).await?;
    let status = response.status();
    let body = response.body();
    let err = |kind, details: String| {
        Err(AuthError::new(kind, Stage::Token, details).with_provider(cx.name))
    };
    if status.is_server_error() {
        return err(
            ErrorKind::ProviderUnavailable,
            format!("{what} answered {status}"),
        );
    }
    // Old APIs answer `access_token=...&expires=...`; WeChat labels its JSON `text/plain`.
    let is_form = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/x-www-form-urlencoded") || v.starts_with("text/plain")
        })
        && !body.trim_ascii_start().starts_with(b"{");
    let raw: Map<String, Value> = if is_form {
        url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect()
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => map,
            Ok(_) | Err(_) if !status.is_success() => {
                return err(
                    ErrorKind::TokenError,
                    format!("{what} answered {status}: {}", body_excerpt(body)),
                );
            }
            Ok(_) => {
                return err(
                    ErrorKind::InvalidResponse,
                    format!("{what} did not answer a JSON object"),
                );
            }
            Err(e) => {
                return err(
                    ErrorKind::InvalidResponse,
                    format!("{what} answered malformed JSON: {e}"),
                );
            }
        }
    };
    let raw = if status.is_success() {
        provider.token_answer(raw)
    } else {
        raw
    };
    if let Some(error) = raw.get("error") {
        // RFC 6749 section 5.2; some providers send it with a 200.
        let parsed: std::result::Result<oauth2::basic::BasicErrorResponse, _> =
            serde_json::from_value(Value::Object(raw.clone()));
        let details = match parsed {
            Ok(e) => e.to_string(),
            Err(_) => format!("{error}"),
        };
        return err(
            ErrorKind::TokenError,
            format!("{what} refused ({status}): {details}"),
        );
    }
    if !status.is_success() {
        return err(ErrorKind::TokenError, format!("{what} answered {status}"));
    }
    let text = |k: &str| match raw.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let Some(access_token) = text("access_token") else {
        // Errors some providers put in a 200 (WeChat's `errcode`/`errmsg`, Slack's `ok`).
        let said: Vec<String> = ["errcode", "errmsg", "message", "msg", "error_description"]
            .iter()
            .filter_map(|k| {
                text(k).map(|v| format!("{k}={}", v.chars().take(200).collect::<String>()))
            })
            .collect();
        let said = if said.is_empty() {
            String::new()
        } else {
            format!(": {}", said.join(", "))
        };
        return err(
            ErrorKind::TokenError,
            format!("{what} answered no access_token{said}"),
        );
    };
    // `0` is how some providers (VK) say the token does not expire.
    let expires_at = text("expires_in")
        .or_else(|| text("expires"))
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|secs| *secs > 0)
        .map(|secs| cx.clock.now() + secs);
    let mut tokens = Tokens::new(access_token);
    tokens.token_type = text("token_type");
    tokens.refresh_token = text("refresh_token").map(Secret::new);
    tokens.expires_at = expires_at;
    tokens.scope = text("scope");
    tokens.id_token = text("id_token").map(Secret::new);
    Ok(TokenResponse {
        tokens,
        raw,
        callback: Vec::new(),
    })
}

/// `url` with `params` appended to its query, form-encoded exactly as the `url` crate's
/// `query_pairs_mut` does (the same bytes), but copying runs of unescaped characters whole:
/// the authorize URL is built at every login.
///
/// `url` is a URL as the url crate writes it, where a `#` can only start the fragment.
fn with_query_pairs(url: String, params: &[(String, String)]) -> String {
    if url.contains('#') {
        // The query goes before a fragment; leave that case to the url crate.
        if let Ok(mut parsed) = url::Url::parse(&url) {
            parsed.query_pairs_mut().extend_pairs(params);
            return parsed.into();
        }
    }
    let mut out = url;
    let mut separator = match out.find('?') {
        None => Some('?'),
        Some(at) if at + 1 == out.len() => None,
        Some(_) => Some('&'),
    };
    for (name, value) in params {
        if let Some(separator) = separator {
            out.push(separator);
        }
        separator = Some('&');
        form_encode_into(&mut out, name);
        out.push('=');
        form_encode_into(&mut out, value);
    }
    out
}

/// Appends `text` form-urlencoded (WHATWG `application/x-www-form-urlencoded`): ASCII letters,
/// digits and `*-._` as they are, a space as `+`, every other byte as `%XX`.
fn form_encode_into(out: &mut String, text: &str) {
    const KEPT: [bool; 256] = social_core::http::kept_bytes(b"*-._");
    social_core::http::percent_encode_into(out, text, &KEPT, true);
}

/// `N` bytes of the thread's CSPRNG, base64url without padding: one draw, where oauth2's
/// `CsrfToken::new_random` draws byte by byte.
fn random_token<const N: usize>() -> String {
    let mut bytes = [0; N];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A login's `state`: 128 random bits.
pub(crate) fn random_state() -> String {
    random_token::<16>()
}

/// PKCE with S256 (RFC 7636, sections 4.1 and 4.2): `(challenge, verifier)`, the verifier 43
/// characters from 32 random bytes, the challenge the base64url SHA-256 of the verifier.
fn pkce_s256() -> (String, String) {
    let verifier = random_token::<32>();
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    (challenge, verifier)
}

#[async_trait]
impl<P: OAuth2Provider> Backend for OAuth2Backend<P> {
    fn name(&self) -> &str {
        &self.core.name
    }

    fn display_name(&self) -> &str {
        social_core::backend::display_name_of(
            self.core.display_name.as_deref(),
            self.provider.spec().display_name,
            &self.core.name,
        )
    }

    fn protocol(&self) -> Protocol {
        Protocol::OAUTH2
    }

    fn capabilities(&self) -> Capabilities {
        capabilities(&self.provider.spec())
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        configure(&self.provider, cx)
    }

    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        self.core.start(&self.provider, cx).await
    }

    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let result = self.core.complete(&self.provider, cx).await;
        result.map_err(|e| e.or_provider(&self.core.name))
    }

    async fn refresh_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<Tokens> {
        self.core.refresh_token(&self.provider, cx, tokens).await
    }

    async fn revoke_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        self.provider
            .revoke(cx, tokens)
            .await
            .map_err(|e| e.or_provider(&self.core.name))
    }
}

/// What a backend of `spec` can do.
fn capabilities(spec: &OAuth2Spec) -> Capabilities {
    Capabilities::new()
        .pkce(spec.pkce == Pkce::S256)
        .refresh(spec.refresh)
        .revoke(spec.revoke_url.is_some())
        .token_in(spec.token_in())
        .association_only(spec.association_only)
}

/// Declares and checks the settings of `provider` at start-up.
fn configure(provider: &dyn OAuth2Provider, cx: &mut Configure<'_>) -> Result<()> {
    cx.require_key_and_secret()?;
    let spec = provider.spec();
    cx.endpoints(&[
        Endpoint::AUTHORIZATION,
        Endpoint::ACCESS_TOKEN,
        Endpoint::REFRESH_TOKEN,
        Endpoint::REVOKE_TOKEN,
    ]);
    if spec.base_url.is_some() {
        cx.endpoints(&[spec.base_setting]);
    }
    if spec.api_url.is_some() || spec.profile.is_some() {
        cx.endpoints(&[Endpoint::API]);
    }
    let options = spec.template_options();
    cx.declare(&options);
    for option in options {
        if cx
            .settings()
            .option(option)
            .is_none_or(|v| v.trim().is_empty())
        {
            return Err(cx.error(option, "is not set: the provider's URLs are built from it"));
        }
    }
    for template in spec.templates() {
        check_host_values(template, |name| cx.settings().option(name))
            .map_err(|(name, problem)| cx.error(&name, problem))?;
    }
    provider.configure(cx)
}

impl Core {
    async fn start(&self, provider: &dyn OAuth2Provider, cx: &BackendCx<'_>) -> Result<Flow> {
        let pcx = &cx.provider;
        let spec = provider.spec();
        let state = random_state();
        let mut params: Vec<(String, String)> = vec![
            (
                spec.client_auth.client_id_param().into(),
                pcx.key()?.to_owned(),
            ),
            ("redirect_uri".into(), cx.redirect_uri()),
            ("response_type".into(), "code".into()),
        ];
        // WeChat documents this order, state last; nobody minds it.
        let scope = scope(&spec, pcx.backend);
        if !scope.is_empty() {
            params.push(("scope".into(), scope));
        }
        params.push(("state".into(), state.clone()));
        let verifier = match spec.pkce {
            Pkce::S256 => {
                let (challenge, verifier) = pkce_s256();
                params.push(("code_challenge".into(), challenge));
                params.push(("code_challenge_method".into(), "S256".into()));
                Some(verifier)
            }
            Pkce::None => None,
        };
        params.extend(
            spec.auth_params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        params.extend(provider.auth_params(pcx)?);
        for (k, v) in &pcx.backend.auth_extra_arguments {
            params.retain(|(name, _)| name != k);
            params.push((k.clone(), v.clone()));
        }
        // Login params are checked at the callback against what was kept: a configured extra
        // argument of the same name must not replace what the provider is sent.
        let sent = provider.login_params(pcx)?;
        for (k, v) in &sent {
            params.retain(|(name, _)| name != k);
            params.push((k.clone(), v.clone()));
        }
        let base = provider.endpoint(pcx.backend, Endpoint::AUTHORIZATION, spec.authorization_url);
        let url = self
            .authorization_base(&base)
            .map_err(|e| pcx.config_error(Endpoint::AUTHORIZATION.setting(), e))?;
        let url = with_query_pairs(url, &params);
        let form_post = params
            .iter()
            .any(|(k, v)| k == "response_mode" && v == "form_post");
        let pending = Pending {
            state,
            verifier,
            created: pcx.clock.now(),
            sent,
            form_post,
        };
        let pending = serde_json::to_value(&pending)
            .map_err(|e| AuthError::new(ErrorKind::Unknown, Stage::Begin, e.to_string()))?;
        cx.strategy
            .session_set(&pending_key(&self.name), pending)
            .await?;
        Ok(Flow::Redirect(url))
    }

    async fn complete(
        &self,
        provider: &dyn OAuth2Provider,
        cx: &BackendCx<'_>,
    ) -> Result<AuthResponse> {
        let pcx = &cx.provider;
        // Single use: whatever happens next, this pending login is spent.
        let pending = cx.strategy.session_remove(&pending_key(&self.name)).await?;
        if let Some(error) = cx.strategy.param("error") {
            let description = cx.strategy.param("error_description");
            return Err(provider_error(&error, description.as_deref()));
        }
        let sent = required_param(cx.strategy, "state", Stage::Callback)?;
        let pending: Pending = pending
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(no_pending_login)?;
        claim_state(cx, &self.name, pending.created, &pending.state, &sent).await?;
        // The answer comes the way this login asked: in the query of a GET, or a form POST.
        if cx.strategy.is_post() != pending.form_post {
            return Err(AuthError::new(
                ErrorKind::Failed,
                Stage::Callback,
                if pending.form_post {
                    "this login asked for a form_post answer, and the callback is not a POST"
                } else {
                    "this login asked for its answer in the query, and the callback is a POST"
                },
            ));
        }
        // RFC 9207: a response whose `iss` names another provider (mix-up: the code was
        // issued elsewhere) is refused before the code is sent anywhere.
        provider.check_response_issuer(cx.strategy.param("iss").as_deref())?;
        let code = required_param(cx.strategy, "code", Stage::Callback)?;
        let mut token = self.exchange(provider, cx, &code, pending.verifier).await?;
        let spec = provider.spec();
        token.callback = spec
            .callback_params
            .iter()
            .filter_map(|name| Some(((*name).to_owned(), cx.strategy.param(name)?)))
            .collect();
        let user = provider.login_user_data(pcx, &token, &pending.sent).await?;
        let uid = provider.user_id(&user)?;
        let details = provider.user_details(&user);
        let mut fields = provider.extra_data();
        fields.extend(pcx.backend.extra_data.iter().cloned());
        let mut response = AuthResponse::new(&self.name, uid, details, user, Some(token.tokens));
        extra_data::select(
            &fields,
            &response.data,
            &Value::Object(token.raw),
            &mut response.extra_data,
        );
        Ok(response)
    }

    async fn refresh_token(
        &self,
        provider: &dyn OAuth2Provider,
        cx: &ProviderCx<'_>,
        tokens: &Tokens,
    ) -> Result<Tokens> {
        let spec = provider.spec();
        let Some(refresh) = tokens.refresh_token.as_ref().filter(|_| spec.refresh) else {
            return Err(AuthError::new(
                ErrorKind::Unsupported,
                Stage::Token,
                "no refresh token to use",
            )
            .with_provider(&self.name));
        };
        let mut form = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh.secret().to_owned()),
        ];
        let url = match (
            cx.backend.endpoint_override(Endpoint::REFRESH_TOKEN),
            spec.refresh_url,
        ) {
            (Some(url), _) => url.to_owned(),
            (None, Some(refresh)) => {
                provider.endpoint(cx.backend, Endpoint::REFRESH_TOKEN, refresh)
            }
            (None, None) => provider.endpoint(cx.backend, Endpoint::ACCESS_TOKEN, spec.token_url),
        };
        let request = client_request(
            cx,
            spec.client_auth,
            spec.token_body,
            Method::POST,
            &url,
            &mut form,
        )?;
        let mut fresh = token_call(cx, provider, request).await?.tokens;
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = Some(refresh.clone());
        }
        Ok(fresh)
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;

    /// RFC 7636's unreserved characters, of which a verifier is made (base64url has no `.`
    /// or `~`, but it is a subset).
    fn unreserved(text: &str) -> bool {
        text.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    }

    #[test]
    fn state_and_pkce_are_fresh_and_well_formed() {
        let (state, other) = (random_state(), random_state());
        assert_eq!(state.len(), 22, "128 bits: {state}");
        assert!(unreserved(&state), "{state}");
        assert_ne!(state, other);

        let (challenge, verifier) = pkce_s256();
        assert_eq!(verifier.len(), 43, "RFC 7636 section 4.1: {verifier}");
        assert!(unreserved(&verifier), "{verifier}");
        assert_eq!(
            challenge,
            URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes())),
            "section 4.2: BASE64URL(SHA256(verifier))"
        );
        assert_ne!(pkce_s256().1, verifier);
    }

    #[test]
    fn the_authorization_url_is_written_as_the_url_crate_writes_it_and_follows_changes() {
        struct Plain;
        #[async_trait]
        impl OAuth2Provider for Plain {
            fn spec(&self) -> OAuth2Spec {
                OAuth2Spec {
                    name: "plain",
                    ..OAuth2Spec::DEFAULT
                }
            }
            async fn user_data(&self, _: &ProviderCx<'_>, _: &TokenResponse) -> Result<Value> {
                Ok(Value::Null)
            }
        }
        let backend = OAuth2Backend::new(Plain);
        let first = "https://ID.Example.COM:443/authorize";
        assert_eq!(
            backend.core.authorization_base(first).as_deref(),
            Ok("https://id.example.com/authorize")
        );
        assert_eq!(
            backend.core.authorization_base(first).as_deref(),
            Ok("https://id.example.com/authorize")
        );
        assert_eq!(
            backend
                .core
                .authorization_base("https://other.example/a b")
                .as_deref(),
            Ok("https://other.example/a%20b"),
            "another URL is parsed anew"
        );
        assert!(backend.core.authorization_base("not a url").is_err());
    }

    /// The fast encoder writes exactly what the url crate's `query_pairs_mut` writes.
    #[test]
    fn authorize_urls_are_the_url_crates_to_the_byte() {
        let values = [
            "",
            "plain",
            "a b+c&d=e",
            "https://app.example.com/complete/github/?x=1#y",
            "read:user user:email",
            "*-._~!$'()%/?:@,;[]",
            "é☃\u{1F600}",
            "\t\n\0\u{7f}",
        ];
        let params: Vec<(String, String)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("k{i} {v}"), (*v).to_owned()))
            .collect();
        for base in [
            "https://id.example.com/authorize",
            "https://id.example.com/authorize?",
            "https://id.example.com/authorize?tenant=a%20b",
            "https://id.example.com/authorize#frag",
            "https://ID.Example.COM:443/a%2Fb/authorize",
        ] {
            let parsed = url::Url::parse(base).expect("a URL");
            let mut expected = parsed.clone();
            expected.query_pairs_mut().extend_pairs(&params);
            assert_eq!(
                with_query_pairs(parsed.into(), &params),
                expected.as_str(),
                "{base}"
            );
        }
    }
}
