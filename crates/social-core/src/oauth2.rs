//! The OAuth 2.0 authorization-code protocol base (feature `oauth2`).
//!
//! A provider implements [`OAuth2Provider`] — its endpoints and flags as an [`OAuth2Spec`],
//! how to fetch the user, how to map it — and [`OAuth2Backend`] does the rest: `state` (random,
//! bound to the session, expiring, compared in constant time, claimed once through the nonce
//! store), PKCE S256, scope, the token exchange, refresh, revoke, provider error callbacks and
//! extra data. Every endpoint can be overridden in settings.

use std::fmt;

/// Reads a required id field of the provider's user data as text.
pub use crate::model::required_id;
use async_trait::async_trait;
use base64::{Engine as _, engine::general_purpose::STANDARD};
/// The HTTP method of the token request ([`OAuth2Spec::token_method`]).
pub use http::Method;
use http::header;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

use crate::{
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
}

/// The endpoints and flags of an OAuth 2.0 provider.
///
/// Not `#[non_exhaustive]` on purpose, so that providers can write struct literals: always end
/// them with `..OAuth2Spec::DEFAULT`, which keeps them building when fields are added.
#[derive(Debug, Clone)]
pub struct OAuth2Spec {
    /// The authorization endpoint (setting `AUTHORIZATION_URL`).
    pub authorization_url: &'static str,
    /// The token endpoint (setting `ACCESS_TOKEN_URL`).
    pub token_url: &'static str,
    /// The revocation endpoint (setting `REVOKE_TOKEN_URL`), if the provider has one.
    pub revoke_url: Option<&'static str>,
    /// The scope asked for by default.
    pub default_scope: &'static [&'static str],
    /// How scopes are joined: `" "` by the RFC, `","` for some providers.
    pub scope_separator: &'static str,
    /// PKCE support.
    pub pkce: Pkce,
    /// Client authentication at the token endpoint.
    pub client_auth: ClientAuth,
    /// The HTTP method of the token request (POST; GET for a few old APIs).
    pub token_method: Method,
    /// Whether refresh tokens can be used.
    pub refresh: bool,
}

impl OAuth2Spec {
    /// Defaults to start from: POST, client secret in the body, PKCE S256, `" "` separator.
    pub const DEFAULT: Self = Self {
        authorization_url: "",
        token_url: "",
        revoke_url: None,
        default_scope: &[],
        scope_separator: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Body,
        token_method: Method::POST,
        refresh: false,
    };
}

/// The token endpoint's answer: the parsed tokens and the raw fields.
#[derive(Clone)]
#[non_exhaustive]
pub struct TokenResponse {
    /// The tokens.
    pub tokens: Tokens,
    /// Every field of the answer.
    pub raw: Map<String, Value>,
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
}

/// An OAuth 2.0 provider: mostly data plus one mapping from its user JSON to [`UserDetails`].
#[async_trait]
pub trait OAuth2Provider: Send + Sync + 'static {
    /// The default backend name: `github`.
    const NAME: &'static str;

    /// Endpoints and flags.
    fn spec(&self) -> OAuth2Spec;

    /// Fetches the user's data with the access token.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value>;

    /// The provider's stable user id; the default reads `id`.
    fn user_id(&self, user: &Value) -> Result<String> {
        required_id(user, "id")
    }

    /// Maps the user's data to normalized details.
    fn user_details(&self, user: &Value) -> UserDetails;

    /// The extra data kept by default.
    fn extra_data(&self) -> Vec<ExtraDataField> {
        Vec::new()
    }

    /// Query arguments the provider adds to the authorization redirect, from its settings.
    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        let _ = cx;
        Ok(Vec::new())
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

    /// The URL of endpoint `name` (`authorization_url`, `access_token_url`,
    /// `revoke_token_url`, or a provider's own such as `api_url`): the setting when set, else
    /// `default`. Providers with installable servers (GitHub Enterprise) derive it here.
    fn endpoint(&self, settings: &BackendSettings, name: &str, default: &str) -> String {
        settings.endpoint(name, default).to_owned()
    }

    /// Checks provider-specific settings at start-up.
    fn validate(&self, name: &str, settings: &BackendSettings) -> Result<()> {
        let _ = (name, settings);
        Ok(())
    }

    /// Revokes the tokens; the default posts RFC 7009 `token=` to the revocation endpoint.
    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let Some(default) = self.spec().revoke_url else {
            return Err(AuthError::new(
                ErrorKind::Unsupported,
                Stage::Token,
                "no revocation endpoint",
            ));
        };
        let url = self.endpoint(cx.backend, "revoke_token_url", default);
        let mut form = vec![
            ("token", tokens.access_token.secret().to_owned()),
            ("token_type_hint", "access_token".to_owned()),
        ];
        let request = client_request(cx, self.spec().client_auth, Method::POST, &url, &mut form)?;
        let response = cx
            .send(request, Stage::Token, "revocation endpoint")
            .await?;
        crate::http::check_status(
            &response,
            Stage::Token,
            "revocation endpoint",
            ErrorKind::TokenError,
        )
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
}

/// The session key of a backend's pending login.
pub fn pending_key(backend: &str) -> String {
    format!("social_auth.{backend}.pending")
}

/// [`Backend`] for any [`OAuth2Provider`].
pub struct OAuth2Backend<P> {
    name: String,
    provider: P,
}

impl<P: OAuth2Provider> fmt::Debug for OAuth2Backend<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth2Backend")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<P: OAuth2Provider> OAuth2Backend<P> {
    /// The provider under its default name.
    pub fn new(provider: P) -> Self {
        Self::named(P::NAME, provider)
    }

    /// The provider under another name (several configurations of one provider).
    pub fn named(name: &str, provider: P) -> Self {
        Self {
            name: name.to_owned(),
            provider,
        }
    }

    /// The provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    fn scope(&self, settings: &BackendSettings) -> String {
        let spec = self.provider.spec();
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

    async fn exchange(
        &self,
        cx: &BackendCx<'_>,
        code: &str,
        verifier: Option<String>,
    ) -> Result<TokenResponse> {
        let pcx = &cx.provider;
        let spec = self.provider.spec();
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", cx.redirect_uri()),
        ];
        if let Some(verifier) = verifier {
            form.push(("code_verifier", verifier));
        }
        let url = self
            .provider
            .endpoint(pcx.backend, "access_token_url", spec.token_url);
        let request = client_request(pcx, spec.client_auth, spec.token_method, &url, &mut form)?;
        token_call(pcx, request).await
    }
}

/// Builds a token-endpoint request with client authentication (`client_id` and
/// `client_secret` in `form` or as HTTP Basic), as a form POST or a GET with a query.
pub fn client_request(
    cx: &ProviderCx<'_>,
    auth: ClientAuth,
    method: Method,
    url: &str,
    form: &mut Vec<(&'static str, String)>,
) -> Result<HttpRequest> {
    let (key, secret) = (cx.key()?, cx.secret()?);
    let mut builder = http::Request::builder().header(header::ACCEPT, "application/json");
    match auth {
        ClientAuth::Body => {
            form.push(("client_id", key.to_owned()));
            form.push(("client_secret", secret.to_owned()));
        }
        ClientAuth::Basic => {
            let enc =
                |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let credentials = STANDARD.encode(format!("{}:{}", enc(key), enc(secret)));
            builder = builder.header(header::AUTHORIZATION, format!("Basic {credentials}"));
        }
    }
    let encoded = serde_urlencoded::to_string(&*form)
        .map_err(|e| AuthError::new(ErrorKind::Unknown, Stage::Token, e.to_string()))?;
    let bad_url = |e: http::Error| {
        AuthError::config(
            &crate::settings::env_name(Some(cx.name), "access_token_url"),
            format!("`{url}`: {e}"),
        )
    };
    if method == Method::GET {
        let sep = if url.contains('?') { '&' } else { '?' };
        builder
            .method(Method::GET)
            .uri(format!("{url}{sep}{encoded}"))
            .body(Vec::new())
            .map_err(bad_url)
    } else {
        builder
            .method(method)
            .uri(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encoded.into_bytes())
            .map_err(bad_url)
    }
}

/// Sends a token request and parses the answer (JSON, or form-encoded from old APIs).
async fn token_call(cx: &ProviderCx<'_>, request: HttpRequest) -> Result<TokenResponse> {
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
    let is_form = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/x-www-form-urlencoded") || v.starts_with("text/plain")
        });
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
        return err(
            ErrorKind::TokenError,
            format!("{what} answered no access_token"),
        );
    };
    let expires_at = text("expires_in")
        .or_else(|| text("expires"))
        .and_then(|s| s.parse::<i64>().ok())
        .map(|secs| cx.clock.now() + secs);
    let mut tokens = Tokens::new(access_token);
    tokens.token_type = text("token_type");
    tokens.refresh_token = text("refresh_token").map(Secret::new);
    tokens.expires_at = expires_at;
    tokens.scope = text("scope");
    tokens.id_token = text("id_token").map(Secret::new);
    Ok(TokenResponse { tokens, raw })
}

fn random_state() -> String {
    oauth2::CsrfToken::new_random().secret().clone()
}

#[async_trait]
impl<P: OAuth2Provider> Backend for OAuth2Backend<P> {
    fn name(&self) -> &str {
        &self.name
    }

    fn protocol(&self) -> Protocol {
        Protocol::OAuth2
    }

    fn capabilities(&self) -> Capabilities {
        let spec = self.provider.spec();
        Capabilities {
            pkce: spec.pkce == Pkce::S256,
            refresh: spec.refresh,
            revoke: spec.revoke_url.is_some(),
        }
    }

    fn validate(&self, settings: &BackendSettings) -> Result<()> {
        for (setting, value) in [
            ("key", settings.key.as_deref()),
            ("secret", settings.secret.as_ref().map(Secret::secret)),
        ] {
            if value.is_none_or(str::is_empty) {
                return Err(AuthError::config(
                    &crate::settings::env_name(Some(&self.name), setting),
                    "is not set",
                ));
            }
        }
        self.provider.validate(&self.name, settings)
    }

    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        let pcx = &cx.provider;
        let spec = self.provider.spec();
        let state = random_state();
        let mut params: Vec<(String, String)> = vec![
            ("client_id".into(), pcx.key()?.to_owned()),
            ("redirect_uri".into(), cx.redirect_uri()),
            ("response_type".into(), "code".into()),
            ("state".into(), state.clone()),
        ];
        let scope = self.scope(pcx.backend);
        if !scope.is_empty() {
            params.push(("scope".into(), scope));
        }
        let verifier = match spec.pkce {
            Pkce::S256 => {
                let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
                params.push(("code_challenge".into(), challenge.as_str().to_owned()));
                params.push((
                    "code_challenge_method".into(),
                    challenge.method().as_str().to_owned(),
                ));
                Some(verifier.secret().clone())
            }
            Pkce::None => None,
        };
        params.extend(self.provider.auth_params(pcx)?);
        for (k, v) in &pcx.backend.auth_extra_arguments {
            params.retain(|(name, _)| name != k);
            params.push((k.clone(), v.clone()));
        }
        // Login params are checked at the callback against what was kept: a configured extra
        // argument of the same name must not replace what the provider is sent.
        let sent = self.provider.login_params(pcx)?;
        for (k, v) in &sent {
            params.retain(|(name, _)| name != k);
            params.push((k.clone(), v.clone()));
        }
        let base = self
            .provider
            .endpoint(pcx.backend, "authorization_url", spec.authorization_url);
        let mut url = url::Url::parse(&base).map_err(|e| {
            AuthError::config(
                &crate::settings::env_name(Some(&self.name), "authorization_url"),
                e,
            )
        })?;
        url.query_pairs_mut().extend_pairs(&params);
        let pending = Pending {
            state,
            verifier,
            created: pcx.clock.now(),
            sent,
        };
        let pending = serde_json::to_value(&pending)
            .map_err(|e| AuthError::new(ErrorKind::Unknown, Stage::Begin, e.to_string()))?;
        cx.strategy
            .session_set(&pending_key(&self.name), pending)
            .await?;
        Ok(Flow::Redirect(url.into()))
    }

    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let result = self.complete_inner(cx).await;
        result.map_err(|e| e.or_provider(&self.name))
    }

    async fn refresh_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<Tokens> {
        let spec = self.provider.spec();
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
        let token_url = self
            .provider
            .endpoint(cx.backend, "access_token_url", spec.token_url);
        let url = self
            .provider
            .endpoint(cx.backend, "refresh_token_url", &token_url);
        let request = client_request(cx, spec.client_auth, Method::POST, &url, &mut form)?;
        let mut fresh = token_call(cx, request).await?.tokens;
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = Some(refresh.clone());
        }
        Ok(fresh)
    }

    async fn revoke_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        self.provider
            .revoke(cx, tokens)
            .await
            .map_err(|e| e.or_provider(&self.name))
    }
}

impl<P: OAuth2Provider> OAuth2Backend<P> {
    async fn complete_inner(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let pcx = &cx.provider;
        // Single use: whatever happens next, this pending login is spent.
        let pending = cx.strategy.session_remove(&pending_key(&self.name)).await?;
        if let Some(error) = cx.strategy.param("error") {
            let description = cx.strategy.param("error_description").unwrap_or_default();
            let kind = if error == "access_denied" {
                ErrorKind::Canceled
            } else {
                ErrorKind::Failed
            };
            return Err(AuthError::new(
                kind,
                Stage::Callback,
                format!(
                    "provider error `{error}`: {}",
                    description.chars().take(200).collect::<String>()
                ),
            ));
        }
        let sent = required_param(cx.strategy, "state", Stage::Callback)?;
        let pending: Pending = pending
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| {
                AuthError::new(
                    ErrorKind::StateMissing,
                    Stage::Callback,
                    "no pending login in the session",
                )
            })?;
        if pcx.clock.now() - pending.created
            > i64::try_from(pcx.settings.state_max_age).unwrap_or(i64::MAX)
        {
            return Err(AuthError::new(
                ErrorKind::StateExpired,
                Stage::Callback,
                "the pending login expired",
            ));
        }
        if !bool::from(sent.as_bytes().ct_eq(pending.state.as_bytes())) {
            return Err(AuthError::new(
                ErrorKind::StateMismatch,
                Stage::Callback,
                "state does not match the session",
            ));
        }
        // Sessions are not transactional: two callbacks racing on one session could both see
        // the state. The nonce store lets exactly one of them through.
        let fresh = cx
            .storage
            .use_nonce(
                &format!("oauth2-state:{}", self.name),
                pending.created,
                &pending.state,
            )
            .await
            .map_err(|e| AuthError::storage(Stage::Callback, e))?;
        if !fresh {
            return Err(AuthError::new(
                ErrorKind::StateReplayed,
                Stage::Callback,
                "state was already used",
            ));
        }
        let code = required_param(cx.strategy, "code", Stage::Callback)?;
        let token = self.exchange(cx, &code, pending.verifier).await?;
        let user = self
            .provider
            .login_user_data(pcx, &token, &pending.sent)
            .await?;
        let uid = self.provider.user_id(&user)?;
        let details = self.provider.user_details(&user);
        let mut fields = self.provider.extra_data();
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
}
