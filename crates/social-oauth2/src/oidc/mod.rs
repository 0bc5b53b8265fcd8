//! The OpenID Connect protocol base (feature `oidc`).
//!
//! A provider implements [`OidcProvider`] — mostly its issuer, default scope and a mapping of
//! claims to [`UserDetails`] — and [`OidcBackend`] does the rest on top of the OAuth 2.0 base:
//! discovery from the issuer URL, the authorization code flow with PKCE S256 and a fresh
//! `nonce` per login kept with the pending state, ID-token validation per OpenID Connect Core
//! 1.0 section 3.1.3.7 (allow-listed algorithms, never `none` nor HMAC; `iss`, `aud`, `azp`,
//! `exp`, `iat`, `nonce`), userinfo merged into the claims (its `sub` must be the token's),
//! refresh, revoke, and an RP-initiated logout URL. Discovery documents and keys live in a
//! shared [`OidcCache`] that refetches a provider's keys once when a token names an unknown
//! key id.
//!
//! [`OidcBackend::generic`] needs nothing but settings, and can be registered any number of
//! times under different names:
//!
//! | Setting (`SOCIAL_AUTH_<NAME>_...`) | Meaning | Default |
//! |---|---|---|
//! | `OIDC_ENDPOINT` | the issuer URL discovery starts from | the provider's; required for `generic` |
//! | `KEY`, `SECRET` | client id and secret | required |
//! | `SCOPE`, `EXTRA_SCOPE` | scope; must contain `openid` | `openid profile email` |
//! | `JWT_ALGORITHMS` | accepted ID-token algorithms (`RS256,ES256,PS256`, ...; no `none`, no `HS*`) | `RS256` |
//! | `JWT_LEEWAY` | tolerated clock skew in seconds (at most 300) | 30 |
//! | `ID_TOKEN_MAX_AGE` | how old an ID token may be by its `iat`, in seconds | 600 |
//! | `MULTI_TENANT` | accept a `{tenantid}` issuer template, filled from the token's `tid` | false |
//! | `TRUSTED_AUDIENCES` | audiences an ID token may name besides the client id; any other is refused | none |
//! | `TOKEN_ENDPOINT_AUTH_METHOD` | `client_secret_basic`, `client_secret_post`, `client_secret_jwt` (HS256 assertion) or `private_key_jwt` (RFC 7523 assertion signed with `PRIVATE_KEY`) | the provider's |
//! | `PRIVATE_KEY`, `PRIVATE_KEY_ID` | the client's private key (PEM: RSA signs RS256, EC P-256 ES256) and its key id (`kid`), for `private_key_jwt` | none |
//! | `AUTHORIZATION_URL`, `ACCESS_TOKEN_URL`, `USERINFO_URL`, `JWKS_URL`, `REVOKE_TOKEN_URL`, `END_SESSION_URL` | overrides of discovered endpoints | discovered |

mod cache;
mod config;
mod id_token;

use std::{fmt, sync::Arc};

use async_trait::async_trait;
use serde_json::{Map, Value};

pub use cache::{OidcCache, ProviderMetadata};
pub use id_token::{IdToken, IdTokenRules, KeySet, NonceCheck, TENANT_PLACEHOLDER};
pub use jsonwebtoken::Algorithm;

use config::OidcConfig;

use social_core::{
    Configure, Endpoint, Mapping, TokenIn,
    backend::{Backend, BackendCx, Capabilities, Flow, Protocol, ProviderCx},
    error::{AuthError, ErrorKind, Result, Stage},
    extra_data::ExtraDataField,
    model::{AuthResponse, Tokens, UserDetails},
    settings::BackendSettings,
};

use crate::{ClientAuth, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, TokenResponse};

/// An OpenID Connect provider as data: its name, issuer and flags.
///
/// Not `#[non_exhaustive]` on purpose, so that providers can write struct literals: always end
/// them with `..OidcSpec::DEFAULT`, which keeps them building when fields are added.
#[derive(Debug, Clone)]
pub struct OidcSpec {
    /// The backend name: `linkedin-openidconnect`.
    pub name: &'static str,
    /// The name people read on buttons and pages, in the provider's own spelling: `LinkedIn`.
    /// Empty (the default) shows the backend name.
    pub display_name: &'static str,
    /// The issuer URL; `None` when it must come from the `OIDC_ENDPOINT` setting.
    pub issuer: Option<&'static str>,
    /// The scope asked for by default; it must contain `openid`.
    pub default_scope: &'static [&'static str],
    /// PKCE support; S256 unless the provider refuses it.
    pub pkce: Pkce,
    /// Client authentication at the token endpoint, unless `TOKEN_ENDPOINT_AUTH_METHOD` says
    /// otherwise; HTTP Basic is the specification's default.
    pub client_auth: ClientAuth,
    /// Whether the provider echoes the `nonce` in its ID tokens. When it does not, a nonce is
    /// still sent and, should a token carry one, checked.
    pub echoes_nonce: bool,
    /// Whether refresh tokens can be used.
    pub refresh: bool,
    /// Whether tokens can be revoked (through the discovered `revocation_endpoint` or the
    /// `REVOKE_TOKEN_URL` setting).
    pub revoke: bool,
    /// The revocation endpoint used when discovery names none (Twitch documents one its
    /// discovery document leaves out); `REVOKE_TOKEN_URL` still wins.
    pub revoke_url: Option<&'static str>,
    /// Where the claims hold the account's fields; `None` for the standard claims
    /// ([`standard_details`], uid `sub`).
    pub mapping: Option<Mapping>,
    /// Whether the discovered issuer may hold a `{tenantid}` placeholder filled from the
    /// token's `tid` (Microsoft's multi-tenant endpoints), unless `MULTI_TENANT` says otherwise.
    pub multi_tenant: bool,
    /// Callback parameters handed to the provider with the token response
    /// ([`TokenResponse::callback`]): Apple's `user`.
    pub callback_params: &'static [&'static str],
}

impl OidcSpec {
    /// The standard: discovery from the issuer, `openid profile email`, PKCE S256, HTTP Basic,
    /// nonce echoed, refresh, no revocation, standard claims.
    pub const DEFAULT: Self = Self {
        name: "",
        display_name: "",
        issuer: None,
        default_scope: &["openid", "profile", "email"],
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        echoes_nonce: true,
        refresh: true,
        revoke: false,
        revoke_url: None,
        mapping: None,
        multi_tenant: false,
        callback_params: &[],
    };
}

/// An OpenID Connect provider: its [`OidcSpec`] plus hooks for what differs from the
/// standard. Every hook has a default that follows the specifications, so [`OidcSpec`] itself
/// is a provider.
#[async_trait]
pub trait OidcProvider: Send + Sync + 'static {
    /// The name, issuer and flags.
    fn spec(&self) -> OidcSpec;

    /// Other spellings of the `discovered` issuer that the provider's ID tokens may carry in
    /// `iss`, each accepted only when equal as a whole; none by default, so that `iss` must be
    /// the discovered issuer exactly. For providers that document a second spelling (Google's
    /// `accounts.google.com`): return it only for the issuer it belongs to.
    fn issuer_aliases(&self, discovered: &str) -> Vec<String> {
        let _ = discovered;
        Vec::new()
    }

    /// Revokes `tokens` at `endpoint` (the discovered `revocation_endpoint` or
    /// `REVOKE_TOKEN_URL`) authenticating as `auth`; the default posts RFC 7009 `token=` with
    /// the access token.
    async fn revoke_tokens(
        &self,
        cx: &ProviderCx<'_>,
        endpoint: &str,
        auth: ClientAuth,
        tokens: &Tokens,
    ) -> Result<()> {
        let mut form = vec![
            ("token", tokens.access_token.secret().to_owned()),
            ("token_type_hint", "access_token".to_owned()),
        ];
        let request = crate::client_request(
            cx,
            auth,
            crate::TokenBody::Form,
            http::Method::POST,
            endpoint,
            &mut form,
        )?;
        let what = "revocation endpoint";
        let response = cx.send(request, Stage::Token, what).await?;
        social_core::http::check_status(&response, Stage::Token, what, ErrorKind::TokenError)
    }

    /// Query arguments added to the authorization redirect, from the provider's settings.
    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        let _ = cx;
        Ok(Vec::new())
    }

    /// The issuer URL built from the backend's settings, for issuers the spec's template
    /// cannot express (Microsoft's tenant names): read and check the options here. `None`,
    /// the default, leaves the issuer to `OIDC_ENDPOINT` and the spec. Runs at start-up.
    fn issuer(&self, cx: &mut Configure<'_>) -> Result<Option<String>> {
        let _ = cx;
        Ok(None)
    }

    /// Reads provider-specific settings at start-up: declare and parse options
    /// ([`Configure::options`]) and check them. Nothing by default.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }

    /// Adjusts or checks the user's claims — the validated ID token's, merged with userinfo —
    /// before they are mapped; the place for hosted-domain checks and such.
    async fn claims(
        &self,
        cx: &ProviderCx<'_>,
        token: &TokenResponse,
        claims: Value,
    ) -> Result<Value> {
        let _ = (cx, token);
        Ok(claims)
    }

    /// The stable user id; the spec's mapping, else the `sub` claim.
    fn user_id(&self, claims: &Value) -> Result<String> {
        match self.spec().mapping {
            Some(mapping) => mapping.user_id(claims),
            None => crate::required_id(claims, "sub"),
        }
    }

    /// Maps the claims to user details; the spec's mapping, else the standard claims.
    fn user_details(&self, claims: &Value) -> UserDetails {
        match self.spec().mapping {
            Some(mapping) => mapping.user_details(claims),
            None => standard_details(claims),
        }
    }

    /// The extra data kept by default; what the spec's mapping names.
    fn extra_data(&self) -> Vec<ExtraDataField> {
        self.spec()
            .mapping
            .map(|m| m.extra_data())
            .unwrap_or_default()
    }
}

/// Maps the standard claims (OpenID Connect Core 1.0 section 5.1) to user details.
pub fn standard_details(claims: &Value) -> UserDetails {
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let verified = match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        // Some providers send the boolean as text.
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    let details = UserDetails::new()
        .username(text("preferred_username").or_else(|| text("nickname")))
        .email(text("email"))
        .email_verified(verified)
        .names(text("given_name"), text("family_name"))
        .picture(text("picture"))
        .profile_url(text("profile"))
        .locale(text("locale"));
    // `name` wins over the joined given and family names, but its absence must not erase them.
    match text("name") {
        Some(name) => details.fullname(Some(name)),
        None => details,
    }
}

/// A spec is a complete provider: every hook follows the standard.
impl OidcProvider for OidcSpec {
    fn spec(&self) -> OidcSpec {
        self.clone()
    }
}

/// The generic provider: everything comes from settings. See [`OidcBackend::generic`].
pub const GENERIC: OidcSpec = OidcSpec {
    name: "oidc",
    ..OidcSpec::DEFAULT
};

/// [`Backend`] for any [`OidcProvider`].
pub struct OidcBackend<P> {
    name: String,
    /// Set by [`OidcBackend::with_display_name`]; else the spec's, else the name.
    display_name: Option<String>,
    provider: Arc<P>,
    cache: Option<Arc<OidcCache>>,
}

impl<P: OidcProvider> fmt::Debug for OidcBackend<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcBackend")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl OidcBackend<OidcSpec> {
    /// A generic OpenID Connect backend named `name`, configured by settings alone:
    /// `SOCIAL_AUTH_<NAME>_OIDC_ENDPOINT` (the issuer URL), `_KEY` and `_SECRET`.
    pub fn generic(name: &str) -> Self {
        Self::named(name, GENERIC)
    }
}

impl<P: OidcProvider> OidcBackend<P> {
    /// The provider under the name its spec gives.
    pub fn new(provider: P) -> Self {
        let name = provider.spec().name;
        Self::named(name, provider)
    }

    /// The provider under another name.
    pub fn named(name: &str, provider: P) -> Self {
        Self {
            name: name.to_owned(),
            display_name: None,
            provider: Arc::new(provider),
            cache: None,
        }
    }

    /// Shows the backend as `display_name` on buttons and pages, whatever its spec says (a
    /// generic backend: `Acme SSO`).
    #[must_use]
    pub fn with_display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }

    /// Uses `cache` for this backend, whatever the engine was given.
    #[must_use]
    pub fn with_cache(mut self, cache: Arc<OidcCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// The cache of discovery documents and keys this backend uses with `cx`: its own
    /// ([`OidcBackend::with_cache`]), else the `Arc<OidcCache>` service the engine was given
    /// ([`SocialAuthBuilder::service`](social_core::SocialAuthBuilder::service)), else the
    /// [global](OidcCache::global) one.
    pub fn cache(&self, cx: &ProviderCx<'_>) -> Arc<OidcCache> {
        self.cache
            .clone()
            .or_else(|| cx.service::<Arc<OidcCache>>().cloned())
            .unwrap_or_else(OidcCache::global)
    }

    /// The settings parsed at start-up, or parsed now for settings built by hand.
    fn config(&self, settings: &BackendSettings) -> Result<OidcConfig> {
        if let Some(config) = settings.typed::<OidcConfig>() {
            return Ok(config.clone());
        }
        let mut settings = settings.clone();
        let mut cx = Configure::new(&self.name, &mut settings);
        let issuer = self.provider.issuer(&mut cx)?;
        OidcConfig::configure(&mut cx, &self.provider.spec(), issuer)
    }

    /// The OAuth 2.0 base for one request, with the discovered endpoints.
    async fn base(&self, cx: &ProviderCx<'_>, stage: Stage) -> Result<OAuth2Backend<Login>> {
        let config = self.config(cx.backend)?;
        let cache = self.cache(cx);
        let metadata = cache
            .metadata(cx, &config.issuer, config.multi_tenant, stage)
            .await?;
        let login = Login {
            spec: self.provider.spec(),
            provider: self.provider.clone(),
            cache,
            metadata,
            config,
        };
        Ok(OAuth2Backend::named(&self.name, login))
    }

    /// The provider's RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0), or
    /// `None` when it publishes no `end_session_endpoint`.
    pub async fn logout_url(
        &self,
        cx: &ProviderCx<'_>,
        request: &LogoutRequest<'_>,
    ) -> Result<Option<String>> {
        let base = self.base(cx, Stage::Disconnect).await?;
        let login = base.provider();
        let endpoint = cx
            .backend
            .endpoint_override(Endpoint::END_SESSION)
            .or(login.metadata.end_session_endpoint.as_deref());
        match endpoint {
            Some(endpoint) => end_session_url(endpoint, cx.key()?, request).map(Some),
            None => Ok(None),
        }
    }
}

/// What to send to the provider's logout endpoint.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct LogoutRequest<'a> {
    /// The ID token of the login being ended (stored as `id_token` in the account's extra
    /// data).
    pub id_token_hint: Option<&'a str>,
    /// Where the provider sends the browser afterwards; it must be registered there.
    pub post_logout_redirect_uri: Option<&'a str>,
    /// Opaque value the provider passes back to `post_logout_redirect_uri`.
    pub state: Option<&'a str>,
}

impl<'a> LogoutRequest<'a> {
    /// A request with the ID token of the session being ended.
    pub fn new(id_token_hint: Option<&'a str>) -> Self {
        Self {
            id_token_hint,
            ..Self::default()
        }
    }

    /// Sets where the provider sends the browser afterwards.
    #[must_use]
    pub fn post_logout_redirect_uri(mut self, uri: &'a str) -> Self {
        self.post_logout_redirect_uri = Some(uri);
        self
    }

    /// Sets the value passed back to the redirect.
    #[must_use]
    pub fn state(mut self, state: &'a str) -> Self {
        self.state = Some(state);
        self
    }
}

/// Builds an RP-initiated logout URL on `endpoint` for client `client_id`.
pub fn end_session_url(
    endpoint: &str,
    client_id: &str,
    request: &LogoutRequest<'_>,
) -> Result<String> {
    let mut url = url::Url::parse(endpoint).map_err(|e| {
        AuthError::new(
            ErrorKind::InvalidResponse,
            Stage::Disconnect,
            format!("end_session_endpoint `{endpoint}`: {e}"),
        )
    })?;
    {
        let mut query = url.query_pairs_mut();
        if let Some(hint) = request.id_token_hint {
            query.append_pair("id_token_hint", hint);
        }
        // Lets the provider check the redirect even without a hint it can still read.
        query.append_pair("client_id", client_id);
        if let Some(uri) = request.post_logout_redirect_uri {
            query.append_pair("post_logout_redirect_uri", uri);
        }
        if let Some(state) = request.state {
            query.append_pair("state", state);
        }
    }
    Ok(url.into())
}

#[async_trait]
impl<P: OidcProvider> Backend for OidcBackend<P> {
    fn name(&self) -> &str {
        &self.name
    }

    fn display_name(&self) -> &str {
        social_core::backend::display_name_of(
            self.display_name.as_deref(),
            self.provider.spec().display_name,
            &self.name,
        )
    }

    fn protocol(&self) -> Protocol {
        Protocol::OPENID_CONNECT
    }

    fn capabilities(&self) -> Capabilities {
        let spec = self.provider.spec();
        Capabilities::new()
            .pkce(spec.pkce == Pkce::S256)
            .refresh(spec.refresh)
            .revoke(spec.revoke)
            .token_in(TokenIn::Bearer)
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.require_key()?;
        cx.endpoints(&[
            Endpoint::AUTHORIZATION,
            Endpoint::ACCESS_TOKEN,
            Endpoint::REFRESH_TOKEN,
            Endpoint::REVOKE_TOKEN,
            Endpoint::USERINFO,
            Endpoint::JWKS,
            Endpoint::END_SESSION,
        ]);
        let spec = self.provider.spec();
        let issuer = self.provider.issuer(cx)?;
        let config = OidcConfig::configure(cx, &spec, issuer)?;
        if let Some(scope) = &cx.settings().scope
            && !scope.iter().any(|s| s == "openid")
        {
            return Err(cx.error("scope", "must contain `openid`"));
        }
        self.provider.configure(cx)?;
        // A secret is needed unless the client signs with its key or one is generated for it.
        let generated = cx
            .settings()
            .typed::<Arc<crate::client_jwt::GeneratedSecret>>()
            .is_some();
        if config.client_auth.uses_secret() && !generated {
            cx.require_key_and_secret()?;
        }
        Ok(())
    }

    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        let base = self.base(&cx.provider, Stage::Begin).await;
        base.map_err(|e| e.or_provider(&self.name))?.start(cx).await
    }

    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let base = self.base(&cx.provider, Stage::Token).await;
        base.map_err(|e| e.or_provider(&self.name))?
            .complete(cx)
            .await
    }

    async fn refresh_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<Tokens> {
        let base = self
            .base(cx, Stage::Token)
            .await
            .map_err(|e| e.or_provider(&self.name))?;
        let fresh = base.refresh_token(cx, tokens).await?;
        // A refreshed ID token must describe the same user (Core 1.0 section 12.2); it carries
        // no nonce.
        if let Some(id_token) = &fresh.id_token {
            let login = base.provider();
            let validated = login
                .validate(cx, id_token.secret(), NonceCheck::Skip)
                .await?;
            validated.check_at_hash(fresh.access_token.secret())?;
            let previous = tokens
                .id_token
                .as_ref()
                .and_then(|t| id_token::unverified_claims(t.secret()));
            if let Some(previous) = previous
                && previous.get("sub").and_then(Value::as_str) != Some(validated.sub())
            {
                return Err(
                    id_token::rejected("a refreshed ID token names another `sub`")
                        .with_provider(&self.name),
                );
            }
        }
        Ok(fresh)
    }

    async fn revoke_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let base = self
            .base(cx, Stage::Token)
            .await
            .map_err(|e| e.or_provider(&self.name))?;
        let known = cx
            .backend
            .endpoint_override(Endpoint::REVOKE_TOKEN)
            .is_some()
            || base.provider().metadata.revocation_endpoint.is_some()
            || self.provider.spec().revoke_url.is_some();
        if !self.provider.spec().revoke || !known {
            return Err(AuthError::new(
                ErrorKind::Unsupported,
                Stage::Token,
                "the provider publishes no revocation endpoint",
            )
            .with_provider(&self.name));
        }
        base.revoke_token(cx, tokens).await
    }
}

/// The OAuth 2.0 provider one OpenID Connect request runs on: the provider, its discovered
/// metadata and its settings.
///
/// It sees the provider as `dyn OidcProvider`: one copy of the login's code serves every
/// provider.
struct Login {
    spec: OidcSpec,
    provider: Arc<dyn OidcProvider>,
    cache: Arc<OidcCache>,
    metadata: Arc<ProviderMetadata>,
    config: OidcConfig,
}

/// Claims that describe the ID token itself: userinfo never overrides them.
const TOKEN_CLAIMS: &[&str] = &[
    "iss",
    "aud",
    "azp",
    "exp",
    "iat",
    "nbf",
    "nonce",
    "auth_time",
    "at_hash",
    "c_hash",
    "acr",
    "amr",
    "sid",
    "jti",
    "tid",
];

impl Login {
    async fn validate(
        &self,
        cx: &ProviderCx<'_>,
        token: &str,
        nonce: NonceCheck<'_>,
    ) -> Result<IdToken> {
        let mut rules = IdTokenRules::new(self.metadata.issuer.clone(), cx.key()?);
        rules.algorithms.clone_from(&self.config.algorithms);
        rules.leeway = self.config.leeway;
        rules.max_age = self.config.max_age;
        rules.multi_tenant = self.config.multi_tenant;
        rules.issuer_aliases = self.provider.issuer_aliases(&self.metadata.issuer);
        rules
            .trusted_audiences
            .clone_from(&self.config.trusted_audiences);
        let jwks = cx
            .backend
            .endpoint_override(Endpoint::JWKS)
            .unwrap_or(&self.metadata.jwks_uri);
        self.cache
            .validate_id_token(cx, jwks, &rules, token, nonce)
            .await
    }

    async fn userinfo(&self, cx: &ProviderCx<'_>, access_token: &str) -> Result<Option<Value>> {
        let url = cx
            .backend
            .endpoint_override(Endpoint::USERINFO)
            .or(self.metadata.userinfo_endpoint.as_deref());
        let Some(url) = url else {
            return Ok(None);
        };
        let info: Value = cx
            .api_json(http::Method::GET, url, access_token, TokenIn::Bearer)
            .await?;
        if !info.is_object() {
            return Err(AuthError::new(
                ErrorKind::InvalidResponse,
                Stage::Profile,
                "userinfo endpoint did not answer a JSON object",
            )
            .with_provider(cx.name));
        }
        // An error some providers answer with a 200 (Slack's `{"ok": false, "error": ...}`).
        if info.get("sub").is_none()
            && (info.get("error").is_some() || info.get("ok") == Some(&Value::Bool(false)))
        {
            let said = info
                .get("error")
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
                .unwrap_or_default();
            return Err(AuthError::new(
                ErrorKind::ProviderRejected,
                Stage::Profile,
                format!(
                    "userinfo endpoint answered an error: {}",
                    said.chars().take(200).collect::<String>()
                ),
            )
            .with_provider(cx.name));
        }
        Ok(Some(info))
    }
}

#[async_trait]
impl OAuth2Provider for Login {
    fn spec(&self) -> OAuth2Spec {
        OAuth2Spec {
            name: self.spec.name,
            display_name: self.spec.display_name,
            // The discovered endpoints come from `endpoint` below.
            authorization_url: "",
            token_url: "",
            revoke_url: self.spec.revoke.then_some(""),
            default_scope: self.spec.default_scope,
            pkce: self.spec.pkce,
            client_auth: self.config.client_auth,
            refresh: self.spec.refresh,
            callback_params: self.spec.callback_params,
            ..OAuth2Spec::DEFAULT
        }
    }

    fn endpoint(&self, settings: &BackendSettings, endpoint: Endpoint, default: &str) -> String {
        if let Some(url) = settings.endpoint_override(endpoint) {
            return url.to_owned();
        }
        let discovered = match endpoint {
            Endpoint::AUTHORIZATION => Some(&self.metadata.authorization_endpoint),
            Endpoint::ACCESS_TOKEN => Some(&self.metadata.token_endpoint),
            Endpoint::REVOKE_TOKEN => self.metadata.revocation_endpoint.as_ref(),
            _ => None,
        };
        match (discovered, endpoint) {
            (Some(url), _) => url.clone(),
            (None, Endpoint::REVOKE_TOKEN) => self.spec.revoke_url.unwrap_or(default).to_owned(),
            (None, _) => default.to_owned(),
        }
    }

    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        self.provider.auth_params(cx)
    }

    fn check_response_issuer(&self, iss: Option<&str>) -> Result<()> {
        let issuer = &self.metadata.issuer;
        let Some(iss) = iss else {
            return if self.metadata.authorization_response_iss_parameter_supported {
                Err(AuthError::missing_parameter(Stage::Callback, "iss"))
            } else {
                Ok(())
            };
        };
        let same = iss == issuer
            || self
                .provider
                .issuer_aliases(issuer)
                .iter()
                .any(|a| a == iss)
            || (self.config.multi_tenant && id_token::matches_tenant_template(issuer, iss));
        if same {
            return Ok(());
        }
        Err(AuthError::new(
            ErrorKind::Failed,
            Stage::Callback,
            format!(
                "the authorization response names issuer `{}`, not `{issuer}` (mix-up refused)",
                iss.chars().take(100).collect::<String>()
            ),
        ))
    }

    fn login_params(&self, _cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        // Fresh for every login; it binds the ID token to this browser session.
        let nonce = oauth2::CsrfToken::new_random().secret().clone();
        Ok(vec![("nonce".to_owned(), nonce)])
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, _token: &TokenResponse) -> Result<Value> {
        Err(AuthError::new(
            ErrorKind::Unknown,
            Stage::Token,
            "an OpenID Connect login needs the nonce it sent",
        )
        .with_provider(cx.name))
    }

    async fn login_user_data(
        &self,
        cx: &ProviderCx<'_>,
        token: &TokenResponse,
        sent: &[(String, String)],
    ) -> Result<Value> {
        let Some(id_token) = token.tokens.id_token.as_ref() else {
            return Err(
                id_token::rejected("the token response holds no `id_token`").with_provider(cx.name)
            );
        };
        let Some(nonce) = sent.iter().find(|(k, _)| k == "nonce").map(|(_, v)| v) else {
            return Err(AuthError::new(
                ErrorKind::StateMissing,
                Stage::Callback,
                "the pending login holds no nonce",
            ));
        };
        let check = if self.spec.echoes_nonce {
            NonceCheck::Required(nonce)
        } else {
            NonceCheck::IfPresent(nonce)
        };
        let validated = self.validate(cx, id_token.secret(), check).await?;
        validated
            .check_at_hash(token.access_token())
            .map_err(|e| e.with_provider(cx.name))?;
        let mut claims: Map<String, Value> = validated.claims.clone();
        if let Some(info) = self.userinfo(cx, token.access_token()).await? {
            // Core 1.0 section 5.3.4: a userinfo answer about someone else must not be used.
            if info.get("sub").and_then(Value::as_str) != Some(validated.sub()) {
                return Err(AuthError::new(
                    ErrorKind::Failed,
                    Stage::Profile,
                    "userinfo `sub` differs from the ID token's",
                )
                .with_provider(cx.name));
            }
            // Userinfo only fills in: what the signed ID token says (`email_verified`, `hd`,
            // ...) is what the provider vouched for at this login.
            if let Value::Object(info) = info {
                for (k, v) in info {
                    if !TOKEN_CLAIMS.contains(&k.as_str()) {
                        claims.entry(k).or_insert(v);
                    }
                }
            }
        }
        self.provider.claims(cx, token, Value::Object(claims)).await
    }

    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let endpoint = self.endpoint(cx.backend, Endpoint::REVOKE_TOKEN, "");
        self.provider
            .revoke_tokens(cx, &endpoint, self.config.client_auth, tokens)
            .await
    }

    fn user_id(&self, user: &Value) -> Result<String> {
        self.provider.user_id(user)
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        self.provider.user_details(user)
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        self.provider.extra_data()
    }
}
