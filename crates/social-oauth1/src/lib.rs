#![doc = include_str!("../README.md")]

mod generic;
mod sign;
#[cfg(test)]
mod tests;

use std::fmt;

use async_trait::async_trait;
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;
use url::Url;

pub use self::generic::Generic;
use self::sign::SigningConfig;
pub use self::sign::{Placement, RsaKey, Signer, get_json, sign};
/// Reads a required id field of the provider's user data as text.
pub use social_core::model::required_id;
use social_core::{
    Capabilities, Configure, Endpoint, Mapping, TokenIn,
    backend::{Backend, BackendCx, Flow, Protocol, ProviderCx},
    error::{AuthError, ErrorKind, Result, Stage},
    extra_data::{self, ExtraDataField},
    http::{HttpRequest, check_status},
    model::{AuthResponse, Tokens, UserDetails},
    settings::{BackendSettings, Secret},
    strategy::required_param,
};

/// The extra-data key holding the access token's secret.
pub const ACCESS_TOKEN_SECRET: &str = "access_token_secret";

/// How many request tokens a session keeps per backend; starting one more drops the oldest.
pub const MAX_PENDING: usize = 5;

/// The signature method (RFC 5849 section 3.4), chosen by the spec or the
/// `SIGNATURE_METHOD` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureMethod {
    /// HMAC-SHA1 (section 3.4.2): what almost every provider takes.
    HmacSha1,
    /// RSA-SHA1 (section 3.4.3), with the consumer's RSA private key (`RSA_PRIVATE_KEY`).
    RsaSha1,
    /// PLAINTEXT (section 3.4.4): the secrets themselves, so over https only.
    PlainText,
}

impl SignatureMethod {
    /// The `oauth_signature_method` value: `HMAC-SHA1`, `RSA-SHA1` or `PLAINTEXT`.
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::RsaSha1 => "RSA-SHA1",
            Self::PlainText => "PLAINTEXT",
        }
    }

    /// The method named `name` (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::HmacSha1, Self::RsaSha1, Self::PlainText]
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// The endpoints and flags of an OAuth 1.0a provider.
///
/// Not `#[non_exhaustive]` on purpose, so that providers can write struct literals: always end
/// them with `..OAuth1Spec::DEFAULT`, which keeps them building when fields are added.
#[derive(Debug, Clone)]
pub struct OAuth1Spec {
    /// The backend name: `twitter`.
    pub name: &'static str,
    /// The name people read on buttons and pages, in the provider's own spelling: `X`. Empty
    /// (the default) shows the backend name.
    pub display_name: &'static str,
    /// The temporary-credentials endpoint (setting `REQUEST_TOKEN_URL`).
    pub request_token_url: &'static str,
    /// Where the user authorizes the request token (setting `AUTHORIZATION_URL`).
    pub authorization_url: &'static str,
    /// The token-credentials endpoint (setting `ACCESS_TOKEN_URL`).
    pub access_token_url: &'static str,
    /// The HTTP method of the request-token call.
    pub request_token_method: Method,
    /// The HTTP method of the access-token call.
    pub access_token_method: Method,
    /// Where the protocol parameters of the token calls travel.
    pub placement: Placement,
    /// The signature method (setting `SIGNATURE_METHOD`).
    pub signature_method: SignatureMethod,
    /// Whether `oauth_version=1.0` is sent and signed (setting `SEND_OAUTH_VERSION`).
    pub send_version: bool,
    /// The `realm` of the `Authorization` header, if the provider wants one (setting `REALM`).
    pub realm: Option<&'static str>,
    /// The user-profile call, signed with the token credentials (setting `API_URL`); `None`
    /// when the provider fetches the user itself ([`OAuth1Provider::user_data`]).
    pub profile_url: Option<&'static str>,
    /// Where the user's data holds the account's fields.
    pub mapping: Mapping,
}

impl OAuth1Spec {
    /// Defaults to start from: POST token calls, parameters in the `Authorization` header,
    /// HMAC-SHA1.
    pub const DEFAULT: Self = Self {
        name: "",
        display_name: "",
        request_token_url: "",
        authorization_url: "",
        access_token_url: "",
        request_token_method: Method::POST,
        access_token_method: Method::POST,
        placement: Placement::Header,
        signature_method: SignatureMethod::HmacSha1,
        send_version: false,
        realm: None,
        profile_url: None,
        mapping: Mapping::DEFAULT,
    };
}

/// Token credentials: the access token, its secret and the whole answer that issued them.
#[derive(Clone)]
#[non_exhaustive]
pub struct AccessToken {
    token: Secret,
    secret: Secret,
    /// Every field of the access-token answer (`user_nsid`, `edam_shard`, ...), as text;
    /// empty when the token was read back from extra data.
    pub raw: Map<String, Value>,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &self.token)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

impl AccessToken {
    /// Token credentials from their two parts.
    pub fn new(token: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            token: Secret::new(token),
            secret: Secret::new(secret),
            raw: Map::new(),
        }
    }

    /// The token credentials stored with a social account: `access_token` and
    /// [`ACCESS_TOKEN_SECRET`] of its extra data.
    pub fn from_extra_data(extra_data: &Map<String, Value>) -> Option<Self> {
        let text = |k: &str| extra_data.get(k).and_then(Value::as_str);
        Some(Self::new(text("access_token")?, text(ACCESS_TOKEN_SECRET)?))
    }

    /// The access token (`oauth_token`). Never log it.
    pub fn token(&self) -> &str {
        self.token.secret()
    }

    /// The access token's secret (`oauth_token_secret`). Never log it.
    pub fn secret(&self) -> &str {
        self.secret.secret()
    }

    /// A field of the access-token answer, as text.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.raw.get(name).and_then(Value::as_str)
    }
}

/// An OAuth 1.0a provider: its [`OAuth1Spec`] plus hooks for what the spec cannot say.
///
/// Every hook has a default driven by the spec, so [`OAuth1Spec`] itself is a provider.
#[async_trait]
pub trait OAuth1Provider: Send + Sync + 'static {
    /// The name, endpoints, flags, profile call and mapping.
    fn spec(&self) -> OAuth1Spec;

    /// Fetches the user's data with the token credentials; the default makes a signed GET of
    /// the spec's [`profile_url`](OAuth1Spec::profile_url). Providers with other needs make
    /// signed calls through [`get_json`] or [`sign`], or read the access-token answer itself
    /// ([`AccessToken::raw`]).
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &AccessToken) -> Result<Value> {
        let Some(default) = self.spec().profile_url else {
            return Err(AuthError::new(
                ErrorKind::Unknown,
                Stage::Profile,
                "the provider declares no profile call and does not fetch the user itself",
            ));
        };
        let url = self.endpoint(cx.backend, Endpoint::API, default);
        get_json(cx, &url, token).await
    }

    /// The provider's stable user id; the default reads the spec's mapping.
    fn user_id(&self, user: &Value) -> Result<String> {
        self.spec().mapping.user_id(user)
    }

    /// Maps the user's data to normalized details; the default follows the spec's mapping.
    fn user_details(&self, user: &Value) -> UserDetails {
        self.spec().mapping.user_details(user)
    }

    /// The extra data kept by default, looked up in the user data, then in the access-token
    /// answer; the spec's mapping names them.
    fn extra_data(&self) -> Vec<ExtraDataField> {
        self.spec().mapping.extra_data()
    }

    /// When the access token expires, in Unix seconds; the default is never.
    fn expires_at(&self, token: &AccessToken) -> Option<i64> {
        let _ = token;
        None
    }

    /// Query arguments the provider adds to the authorization redirect, from its settings.
    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        let _ = cx;
        Ok(Vec::new())
    }

    /// The URL of `endpoint`: the setting when set, else `default`. Providers with several
    /// hosts (a sandbox) derive it here.
    fn endpoint(&self, settings: &BackendSettings, endpoint: Endpoint, default: &str) -> String {
        settings.endpoint(endpoint, default).to_owned()
    }

    /// Reads provider-specific settings at start-up: declare endpoints and options, parse
    /// them ([`Configure::options`]) and check them. Nothing by default.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
}

/// A spec is a complete provider: every hook follows it.
impl OAuth1Provider for OAuth1Spec {
    fn spec(&self) -> OAuth1Spec {
        self.clone()
    }
}

/// A request token waiting for its callback, kept in the session.
#[derive(Serialize, Deserialize)]
struct Pending {
    token: String,
    secret: String,
    created: i64,
    /// Random per login: what the nonce store claims, so that a copied session is caught
    /// even when a provider hands out the same request token twice.
    login: String,
}

/// The session key of a backend's pending request tokens.
pub fn pending_key(backend: &str) -> String {
    format!("social_auth.{backend}.oauth1_tokens")
}

/// [`Backend`] for any [`OAuth1Provider`].
pub struct OAuth1Backend<P> {
    name: String,
    /// Set by [`OAuth1Backend::with_display_name`]; else the spec's, else the name.
    display_name: Option<String>,
    provider: P,
}

impl<P: OAuth1Provider> fmt::Debug for OAuth1Backend<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuth1Backend")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<P: OAuth1Provider> OAuth1Backend<P> {
    /// The provider under the name its spec gives.
    pub fn new(provider: P) -> Self {
        let name = provider.spec().name;
        Self::named(name, provider)
    }

    /// The provider under another name (several configurations of one provider).
    pub fn named(name: &str, provider: P) -> Self {
        Self {
            name: name.to_owned(),
            display_name: None,
            provider,
        }
    }

    /// Shows the backend as `display_name` on buttons and pages, whatever its spec says (a
    /// generic backend: `Acme`).
    #[must_use]
    pub fn with_display_name(mut self, display_name: impl Into<String>) -> Self {
        self.display_name = Some(display_name.into());
        self
    }

    /// The provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// `endpoint` as a URL; a [`ErrorKind::Config`] error naming its setting when the URL is
    /// not an absolute http(s) one.
    fn endpoint_url(
        &self,
        settings: &BackendSettings,
        endpoint: Endpoint,
        default: &str,
    ) -> Result<Url> {
        let url = self.provider.endpoint(settings, endpoint, default);
        if url.is_empty() {
            return Err(AuthError::config(
                &settings.setting_name(&self.name, endpoint.setting()),
                "is not set",
            ));
        }
        Url::parse(&url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                AuthError::config(
                    &settings.setting_name(&self.name, endpoint.setting()),
                    format!("`{url}` is not an absolute http(s) URL"),
                )
            })
    }

    async fn pending(&self, cx: &BackendCx<'_>) -> Result<Vec<Pending>> {
        let stored = cx.strategy.session_get(&pending_key(&self.name)).await?;
        // A list we cannot read is as good as none: the user starts again.
        Ok(stored
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default())
    }

    async fn store_pending(&self, cx: &BackendCx<'_>, pending: &[Pending]) -> Result<()> {
        let key = pending_key(&self.name);
        if pending.is_empty() {
            cx.strategy.session_remove(&key).await?;
            return Ok(());
        }
        let value = serde_json::to_value(pending)
            .map_err(|e| AuthError::new(ErrorKind::Unknown, Stage::Callback, e.to_string()))?;
        cx.strategy.session_set(&key, value).await
    }

    /// Removes and returns the pending request token equal to `token`.
    async fn take_pending(&self, cx: &BackendCx<'_>, token: &str) -> Result<Pending> {
        let mut pending = self.pending(cx).await?;
        if pending.is_empty() {
            return Err(AuthError::new(
                ErrorKind::StateMissing,
                Stage::Callback,
                "no request token is pending in the session",
            ));
        }
        // Compare with every entry, so that timing tells nothing about which one matched.
        let mut found = None;
        for (i, p) in pending.iter().enumerate() {
            if bool::from(p.token.as_bytes().ct_eq(token.as_bytes())) {
                found = Some(i);
            }
        }
        let Some(index) = found else {
            return Err(AuthError::new(
                ErrorKind::StateMismatch,
                Stage::Callback,
                "oauth_token matches no request token of the session",
            ));
        };
        let taken = pending.remove(index);
        self.store_pending(cx, &pending).await?;
        Ok(taken)
    }

    fn max_age(cx: &ProviderCx<'_>) -> i64 {
        i64::try_from(cx.settings.state_max_age).unwrap_or(i64::MAX)
    }

    async fn start_inner(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        let pcx = &cx.provider;
        let spec = self.provider.spec();
        let url =
            self.endpoint_url(pcx.backend, Endpoint::REQUEST_TOKEN, spec.request_token_url)?;
        let callback = cx.redirect_uri();
        let extra: Vec<(&str, &str)> = pcx
            .backend
            .request_token_extra_arguments
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let request = Signer::for_backend(pcx)?.callback(&callback).request_to(
            spec.request_token_method,
            &url,
            &extra,
            spec.placement,
        )?;
        let answer = token_call(pcx, request, "request token endpoint").await?;
        // RFC 5849 section 2.1: without this the provider speaks OAuth 1.0, whose session
        // fixation hole 1.0a closed; do not go on with it.
        if answer
            .get("oauth_callback_confirmed")
            .and_then(Value::as_str)
            != Some("true")
        {
            return Err(AuthError::new(
                ErrorKind::InvalidResponse,
                Stage::Token,
                "request token endpoint did not confirm the callback (oauth_callback_confirmed)",
            ));
        }
        let (token, secret) = credentials(&answer);

        let mut authorize =
            self.endpoint_url(pcx.backend, Endpoint::AUTHORIZATION, spec.authorization_url)?;
        let mut params: Vec<(String, String)> = vec![("oauth_token".into(), token.clone())];
        params.extend(self.provider.auth_params(pcx)?);
        for (k, v) in &pcx.backend.auth_extra_arguments {
            params.retain(|(name, _)| name != k);
            params.push((k.clone(), v.clone()));
        }
        authorize.query_pairs_mut().extend_pairs(&params);

        let now = pcx.clock.now();
        let mut pending = self.pending(cx).await?;
        pending.retain(|p| now - p.created <= Self::max_age(pcx));
        pending.push(Pending {
            token,
            secret,
            created: now,
            login: format!("{:032x}", rand::random::<u128>()),
        });
        let excess = pending.len().saturating_sub(MAX_PENDING);
        pending.drain(..excess);
        self.store_pending(cx, &pending).await?;
        Ok(Flow::Redirect(authorize.into()))
    }

    async fn complete_inner(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let pcx = &cx.provider;
        if let Some(denied) = cx.strategy.param("denied") {
            // The refused request token is dead at the provider: forget it here too.
            match self.take_pending(cx, &denied).await {
                Ok(_) => {}
                Err(e)
                    if matches!(e.kind(), ErrorKind::StateMissing | ErrorKind::StateMismatch) => {}
                Err(e) => return Err(e),
            }
            return Err(AuthError::new(
                ErrorKind::Canceled,
                Stage::Callback,
                "the user denied access (denied=)",
            ));
        }
        // A malformed callback changes nothing in the session.
        let token = required_param(cx.strategy, "oauth_token", Stage::Callback)?;
        let verifier = required_param(cx.strategy, "oauth_verifier", Stage::Callback)?;
        let pending = self.take_pending(cx, &token).await?;
        if pcx.clock.now() - pending.created > Self::max_age(pcx) {
            return Err(AuthError::new(
                ErrorKind::StateExpired,
                Stage::Callback,
                "the request token expired",
            ));
        }
        // Sessions are not transactional: two callbacks racing on one session could both
        // find the token. The nonce store lets exactly one of them through.
        let fresh = cx
            .storage
            .use_nonce(
                &format!("oauth1-login:{}", self.name),
                pending.created,
                &pending.login,
            )
            .await
            .map_err(|e| AuthError::storage(Stage::Callback, e))?;
        if !fresh {
            return Err(AuthError::new(
                ErrorKind::StateReplayed,
                Stage::Callback,
                "the request token was already used",
            ));
        }

        let spec = self.provider.spec();
        let url = self.endpoint_url(pcx.backend, Endpoint::ACCESS_TOKEN, spec.access_token_url)?;
        let request = Signer::for_backend(pcx)?
            .token(&pending.token, &pending.secret)
            .verifier(&verifier)
            .request_to(spec.access_token_method, &url, &[], spec.placement)?;
        let answer = token_call(pcx, request, "access token endpoint").await?;
        let (token, secret) = credentials(&answer);
        let access = AccessToken {
            token: Secret::new(token),
            secret: Secret::new(secret),
            raw: answer,
        };

        let user = self.provider.user_data(pcx, &access).await?;
        let uid = self.provider.user_id(&user)?;
        let details = self.provider.user_details(&user);
        let mut tokens = Tokens::new(access.token());
        tokens.expires_at = self.provider.expires_at(&access);
        let mut fields = self.provider.extra_data();
        fields.extend(pcx.backend.extra_data.iter().cloned());
        let mut response = AuthResponse::new(&self.name, uid, details, user, Some(tokens));
        extra_data::select(
            &fields,
            &response.data,
            &Value::Object(access.raw.clone()),
            &mut response.extra_data,
        );
        response.extra_data.insert(
            ACCESS_TOKEN_SECRET.to_owned(),
            Value::String(access.secret().to_owned()),
        );
        Ok(response)
    }
}

/// The signing settings every OAuth 1.0a backend takes, as given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct SigningOptions {
    signature_method: Option<String>,
    rsa_private_key: Option<String>,
    send_oauth_version: Option<bool>,
    realm: Option<String>,
}

/// How the backend signs: the spec's choices, overridden by `SIGNATURE_METHOD`,
/// `RSA_PRIVATE_KEY`, `SEND_OAUTH_VERSION` and `REALM`.
fn signing_config(cx: &mut Configure<'_>, spec: &OAuth1Spec) -> Result<SigningConfig> {
    let options: SigningOptions = cx.options()?;
    let method = match options.signature_method.as_deref() {
        None => spec.signature_method,
        Some(name) => SignatureMethod::from_name(name).ok_or_else(|| {
            cx.error(
                "signature_method",
                format!("`{name}` is not HMAC-SHA1, RSA-SHA1 or PLAINTEXT"),
            )
        })?,
    };
    let rsa = match (options.rsa_private_key.as_deref(), method) {
        (Some(pem), _) => {
            Some(RsaKey::from_pem(pem).map_err(|why| cx.error("rsa_private_key", why))?)
        }
        (None, SignatureMethod::RsaSha1) => {
            return Err(cx.error(
                "rsa_private_key",
                "is not set: RSA-SHA1 signs with the consumer's RSA private key (PEM)",
            ));
        }
        (None, _) => None,
    };
    Ok(SigningConfig {
        method,
        version: options.send_oauth_version.unwrap_or(spec.send_version),
        realm: options.realm.or_else(|| spec.realm.map(str::to_owned)),
        rsa,
    })
}

/// `oauth_token` and `oauth_token_secret` of an answer [`token_call`] checked.
fn credentials(answer: &Map<String, Value>) -> (String, String) {
    let text = |k: &str| {
        answer
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (text("oauth_token"), text("oauth_token_secret"))
}

/// Sends a token call and parses its form-encoded answer, which must hold a non-empty
/// `oauth_token` and an `oauth_token_secret` (Evernote's is empty).
async fn token_call(
    cx: &ProviderCx<'_>,
    request: HttpRequest,
    what: &str,
) -> Result<Map<String, Value>> {
    let response = cx.send(request, Stage::Token, what).await?;
    check_status(&response, Stage::Token, what, ErrorKind::TokenError)
        .map_err(|e| e.with_provider(cx.name))?;
    // Providers label this body text/plain or text/html as often as form-urlencoded: parse
    // it whatever the label, and judge by its content.
    let answer: Map<String, Value> = url::form_urlencoded::parse(response.body())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    let has_token = answer
        .get("oauth_token")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.is_empty());
    if !has_token || !answer.contains_key("oauth_token_secret") {
        return Err(AuthError::new(
            ErrorKind::InvalidResponse,
            Stage::Token,
            format!("{what} answered no oauth_token and oauth_token_secret"),
        )
        .with_provider(cx.name));
    }
    Ok(answer)
}

#[async_trait]
impl<P: OAuth1Provider> Backend for OAuth1Backend<P> {
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
        Protocol::OAUTH1
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().token_in(TokenIn::Signed)
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let spec = self.provider.spec();
        let signing = signing_config(cx, &spec)?;
        if signing.method == SignatureMethod::RsaSha1 {
            cx.require_key()?;
        } else {
            cx.require_key_and_secret()?;
        }
        cx.endpoints(&[
            Endpoint::REQUEST_TOKEN,
            Endpoint::AUTHORIZATION,
            Endpoint::ACCESS_TOKEN,
        ]);
        if spec.profile_url.is_some() {
            cx.endpoints(&[Endpoint::API]);
        }
        for (endpoint, default) in [
            (Endpoint::REQUEST_TOKEN, spec.request_token_url),
            (Endpoint::AUTHORIZATION, spec.authorization_url),
            (Endpoint::ACCESS_TOKEN, spec.access_token_url),
        ] {
            let url = self.endpoint_url(cx.settings(), endpoint, default)?;
            // PLAINTEXT sends the secrets themselves: only TLS (or this machine) may carry it.
            let local = url
                .host_str()
                .is_some_and(|h| h == "localhost" || h == "127.0.0.1" || h == "[::1]");
            if signing.method == SignatureMethod::PlainText && url.scheme() != "https" && !local {
                return Err(cx.error(
                    "signature_method",
                    format!(
                        "PLAINTEXT sends the secrets as they are, so only over https; {} is `{url}`",
                        cx.setting_name(endpoint.setting())
                    ),
                ));
            }
        }
        cx.keep(signing);
        self.provider.configure(cx)
    }

    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        let result = self.start_inner(cx).await;
        result.map_err(|e| e.or_provider(&self.name))
    }

    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let result = self.complete_inner(cx).await;
        result.map_err(|e| e.or_provider(&self.name))
    }
}
