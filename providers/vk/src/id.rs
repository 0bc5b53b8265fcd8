//! VK ID (`vk-id`): OAuth 2.1 at `id.vk.com` with mandatory PKCE, a `device_id` that binds
//! the tokens, a `state` the token endpoint echoes, and no client secret.
//!
//! The OAuth 2.0 base cannot add `device_id` and `state` to the token request nor check the
//! echoed state, so this backend runs the flow itself, reusing the base's request builder and
//! session key.

use std::{collections::BTreeMap, fmt};

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use social_core::{
    AuthError, AuthResponse, Backend, BackendCx, BackendSettings, Capabilities, Configure,
    EmailVerified, Endpoint, ErrorKind, Flow, Mapping, Protocol, ProviderCx, Result, Secret, Stage,
    Strategy, Tokens, Value, async_trait, extra_data,
    http::{HttpRequest, body_excerpt},
    serde_json::{self, Map},
};
use social_oauth2::{
    ClientAuth, Method, TokenBody, claim_state, client_request, no_pending_login, pending_key,
    provider_error,
};
use subtle::ConstantTimeEq as _;

use crate::{VK_ID_NAME, api::user_id_of};

/// VK ID's host (`BASE_URL`); every endpoint lives under it unless set on its own.
const BASE_URL: &str = "https://id.vk.com";
/// The authorization dialog, under the base URL (`AUTHORIZATION_URL`).
const AUTHORIZE_PATH: &str = "/authorize";
/// Code exchange and refresh, under the base URL (`ACCESS_TOKEN_URL`).
const TOKEN_PATH: &str = "/oauth2/auth";
/// The user's data, under the base URL (`USERINFO_URL`).
const USER_INFO_PATH: &str = "/oauth2/user_info";
/// The scope asked for by default: the basic profile and the e-mail address.
const DEFAULT_SCOPE: &[&str] = &["vkid.personal_info", "email"];
/// Authorization arguments `AUTH_EXTRA_ARGUMENTS` cannot replace.
const PROTECTED: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
];
/// Callback values, read from the query or from the `payload` JSON the VK ID SDK sends.
const CALLBACK_FIELDS: &[&str] = &["code", "state", "device_id", "error", "error_description"];
/// The prefix of a stored refresh token ([`VkIdRefresh`]).
const PACKED_PREFIX: &str = "vkid1.";

/// Where VK ID's user info holds the account's fields (`device_id` is added from the callback).
const MAPPING: Mapping = Mapping {
    uid: "/user_id",
    email: Some("/email"),
    email_verified: EmailVerified::No,
    first_name: Some("/first_name"),
    last_name: Some("/last_name"),
    picture: Some("/avatar"),
    extra_data: &["user_id", "device_id"],
    ..Mapping::DEFAULT
};

/// VK ID as a backend of its own; register it with [`crate::vk_id`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VkId;

/// A VK ID refresh token as this backend stores it (`refresh_token` of the account's extra
/// data): VK ID refreshes only with the `device_id` of the login, and the refresh hook sees
/// nothing but the stored tokens, so they travel together.
///
/// The stored text is `vkid1.<base64url JSON of device_id and redirect_uri>.<refresh token>`;
/// [`VkIdRefresh::unpack`] reads it back for applications that call VK ID themselves.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VkIdRefresh {
    /// VK ID's refresh token.
    pub refresh_token: String,
    /// The `device_id` of the login that issued it.
    pub device_id: String,
    /// The callback URL of that login.
    pub redirect_uri: String,
}

impl fmt::Debug for VkIdRefresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VkIdRefresh")
            .field("refresh_token", &"[redacted]")
            .field("device_id", &self.device_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct PackedMeta {
    device_id: String,
    redirect_uri: String,
}

impl VkIdRefresh {
    /// A refresh token issued to the login of `device_id` at `redirect_uri`.
    pub fn new(refresh_token: &str, device_id: &str, redirect_uri: &str) -> Self {
        Self {
            refresh_token: refresh_token.to_owned(),
            device_id: device_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
        }
    }

    /// The text stored as the account's refresh token.
    pub fn pack(&self) -> String {
        let meta = PackedMeta {
            device_id: self.device_id.clone(),
            redirect_uri: self.redirect_uri.clone(),
        };
        let meta = serde_json::to_vec(&meta).unwrap_or_default();
        format!(
            "{PACKED_PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(meta),
            self.refresh_token
        )
    }

    /// Reads a stored refresh token; `None` when it is not one this backend packed.
    pub fn unpack(stored: &str) -> Option<Self> {
        let (meta, refresh_token) = stored.strip_prefix(PACKED_PREFIX)?.split_once('.')?;
        let meta: PackedMeta = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(meta).ok()?).ok()?;
        (!refresh_token.is_empty() && !meta.device_id.is_empty()).then(|| Self {
            refresh_token: refresh_token.to_owned(),
            device_id: meta.device_id,
            redirect_uri: meta.redirect_uri,
        })
    }
}

/// What the callback checks, kept in the session between start and callback.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    created: i64,
}

/// `bytes` random bytes from the OS, base64url without padding.
fn random_text(bytes: usize) -> String {
    let mut buffer = vec![0_u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// The URL of `endpoint`: its own setting, else `path` under the base URL.
fn endpoint_url(settings: &BackendSettings, endpoint: Endpoint, path: &str) -> String {
    match settings.endpoint_override(endpoint) {
        Some(url) => url.to_owned(),
        None => format!(
            "{}{path}",
            settings
                .endpoint(Endpoint::BASE, BASE_URL)
                .trim_end_matches('/')
        ),
    }
}

/// The scope: `SCOPE` or the default, plus `EXTRA_SCOPE`, space-separated.
fn scope(settings: &BackendSettings) -> String {
    let mut scope: Vec<String> = match &settings.scope {
        Some(scope) => scope.clone(),
        None => DEFAULT_SCOPE.iter().map(|s| (*s).to_owned()).collect(),
    };
    for extra in &settings.extra_scope {
        if !scope.contains(extra) {
            scope.push(extra.clone());
        }
    }
    scope.join(" ")
}

/// The error kind of an OAuth error code: temporary conditions are unavailability.
fn oauth_error_kind(code: &str, otherwise: ErrorKind) -> ErrorKind {
    match code {
        "temporarily_unavailable" | "server_error" | "slow_down" => ErrorKind::ProviderUnavailable,
        _ => otherwise,
    }
}

/// `error` and `error_description` of an OAuth error answer, for the details.
fn describe_error(answer: &Map<String, Value>) -> String {
    let code = answer.get("error").map_or_else(String::new, |e| match e {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let description: String = answer
        .get("error_description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    format!("`{code}` {description}")
}

/// The callback's values: from the query, or from the `payload` JSON the VK ID SDK sends;
/// a value given both ways must be the same.
struct Callback(BTreeMap<&'static str, String>);

impl Callback {
    fn read(strategy: &dyn Strategy) -> Result<Self> {
        let payload = match strategy.param("payload").filter(|p| !p.trim().is_empty()) {
            None => None,
            Some(text) => match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(payload)) => Some(payload),
                _ => {
                    return Err(AuthError::new(
                        ErrorKind::Failed,
                        Stage::Callback,
                        "the callback's `payload` is not a JSON object",
                    ));
                }
            },
        };
        let mut values = BTreeMap::new();
        for name in CALLBACK_FIELDS {
            let direct = strategy.param(name).filter(|v| !v.is_empty());
            let inner = payload
                .as_ref()
                .and_then(|p| p.get(*name))
                .and_then(|v| match v {
                    Value::String(s) if !s.is_empty() => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
            match (direct, inner) {
                (Some(a), Some(b)) if a != b => {
                    return Err(AuthError::new(
                        ErrorKind::Failed,
                        Stage::Callback,
                        format!("the callback and its `payload` give different `{name}` values"),
                    ));
                }
                (a, b) => {
                    if let Some(value) = a.or(b) {
                        values.insert(*name, value);
                    }
                }
            }
        }
        Ok(Self(values))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn required(&self, name: &str) -> Result<String> {
        self.get(name)
            .map(str::to_owned)
            .ok_or_else(|| AuthError::missing_parameter(Stage::Callback, name))
    }
}

/// Sends a code exchange or refresh and reads the answer: tokens, and the `state` sent
/// echoed back (compared in constant time).
async fn token_call(
    cx: &ProviderCx<'_>,
    request: HttpRequest,
    state: &str,
) -> Result<Map<String, Value>> {
    let what = "VK ID token endpoint";
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
    let raw = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(raw)) => raw,
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
    };
    if let Some(code) = raw.get("error") {
        let kind = oauth_error_kind(code.as_str().unwrap_or_default(), ErrorKind::TokenError);
        return err(
            kind,
            format!("{what} refused ({status}): {}", describe_error(&raw)),
        );
    }
    if !status.is_success() {
        return err(ErrorKind::TokenError, format!("{what} answered {status}"));
    }
    if raw
        .get("access_token")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return err(
            ErrorKind::TokenError,
            format!("{what} answered no access_token"),
        );
    }
    match raw.get("state").and_then(Value::as_str) {
        None => err(
            ErrorKind::InvalidResponse,
            format!("{what} did not echo the state sent"),
        ),
        Some(echoed) if !bool::from(echoed.as_bytes().ct_eq(state.as_bytes())) => err(
            ErrorKind::StateMismatch,
            format!("{what} answered for another state"),
        ),
        Some(_) => Ok(raw),
    }
}

/// The tokens of a token answer; the refresh token is stored with `device_id` and
/// `redirect_uri` ([`VkIdRefresh`]).
fn tokens_from(now: i64, raw: &Map<String, Value>, device_id: &str, redirect_uri: &str) -> Tokens {
    let text = |k: &str| match raw.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let mut tokens = Tokens::new(text("access_token").unwrap_or_default());
    tokens.token_type = text("token_type");
    tokens.scope = text("scope");
    tokens.id_token = text("id_token").map(Secret::new);
    tokens.expires_at = text("expires_in")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|secs| *secs > 0)
        .map(|secs| now.saturating_add(secs));
    tokens.refresh_token = text("refresh_token")
        .map(|r| Secret::new(VkIdRefresh::new(&r, device_id, redirect_uri).pack()));
    tokens
}

/// The user's data: `POST` of the access token and client id to the user-info endpoint.
async fn user_info(cx: &ProviderCx<'_>, access_token: &str) -> Result<Map<String, Value>> {
    let what = "VK ID user info";
    let url = endpoint_url(cx.backend, Endpoint::USERINFO, USER_INFO_PATH);
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("access_token", access_token)
        .append_pair("client_id", cx.key()?)
        .finish();
    let request = http::Request::post(&url)
        .header(http::header::ACCEPT, "application/json")
        .header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form.into_bytes())
        .map_err(|e| cx.config_error(Endpoint::USERINFO.setting(), format!("`{url}`: {e}")))?;
    let response = cx.send(request, Stage::Profile, what).await?;
    let status = response.status();
    let err = |kind, details: String| {
        Err(AuthError::new(kind, Stage::Profile, details).with_provider(cx.name))
    };
    if status.is_server_error() {
        return err(
            ErrorKind::ProviderUnavailable,
            format!("{what} answered {status}"),
        );
    }
    let answer = match serde_json::from_slice::<Value>(response.body()) {
        Ok(Value::Object(answer)) => Some(answer),
        _ => None,
    };
    if let Some(code) = answer.as_ref().and_then(|a| a.get("error")) {
        let kind = match code.as_str().unwrap_or_default() {
            "invalid_token" => ErrorKind::TokenError,
            other => oauth_error_kind(other, ErrorKind::ProviderRejected),
        };
        let details = answer.as_ref().map(describe_error).unwrap_or_default();
        return err(kind, format!("{what} refused ({status}): {details}"));
    }
    if !status.is_success() {
        return err(
            ErrorKind::ProviderRejected,
            format!(
                "{what} answered {status}: {}",
                body_excerpt(response.body())
            ),
        );
    }
    answer
        .and_then(|a| a.get("user").and_then(Value::as_object).cloned())
        .map_or_else(
            || {
                err(
                    ErrorKind::InvalidResponse,
                    format!("{what} answered no `user` object"),
                )
            },
            Ok,
        )
}

#[async_trait]
impl Backend for VkId {
    fn name(&self) -> &str {
        VK_ID_NAME
    }

    fn display_name(&self) -> &str {
        "VK ID"
    }

    fn protocol(&self) -> Protocol {
        Protocol::OAUTH2
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().pkce(true).refresh(true)
    }

    /// Needs the application id (`KEY`) only: VK ID takes no client secret from a web
    /// application's server.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.require_key()?;
        cx.endpoints(&[
            Endpoint::BASE,
            Endpoint::AUTHORIZATION,
            Endpoint::ACCESS_TOKEN,
            Endpoint::USERINFO,
        ]);
        Ok(())
    }

    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        let pcx = &cx.provider;
        let state = random_text(32);
        // 32 random bytes are 43 base64url characters, the shortest verifier VK ID takes.
        let verifier = random_text(32);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let mut params: Vec<(String, String)> = vec![
            ("response_type".into(), "code".into()),
            ("client_id".into(), pcx.key()?.to_owned()),
            ("redirect_uri".into(), cx.redirect_uri()),
            ("state".into(), state.clone()),
            ("code_challenge".into(), challenge),
            ("code_challenge_method".into(), "S256".into()),
        ];
        let scope = scope(pcx.backend);
        if !scope.is_empty() {
            params.push(("scope".into(), scope));
        }
        for (k, v) in &pcx.backend.auth_extra_arguments {
            if PROTECTED.contains(&k.as_str()) {
                continue;
            }
            params.retain(|(name, _)| name != k);
            params.push((k.clone(), v.clone()));
        }
        let base = endpoint_url(pcx.backend, Endpoint::AUTHORIZATION, AUTHORIZE_PATH);
        let mut url = url::Url::parse(&base)
            .map_err(|e| pcx.config_error(Endpoint::AUTHORIZATION.setting(), e))?;
        url.query_pairs_mut().extend_pairs(&params);
        let pending = Pending {
            state,
            verifier,
            created: pcx.clock.now(),
        };
        let pending = serde_json::to_value(&pending)
            .map_err(|e| AuthError::new(ErrorKind::Unknown, Stage::Begin, e.to_string()))?;
        cx.strategy
            .session_set(&pending_key(VK_ID_NAME), pending)
            .await?;
        Ok(Flow::Redirect(url.into()))
    }

    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        complete(cx).await.map_err(|e| e.or_provider(VK_ID_NAME))
    }

    /// Refreshes with the `device_id` stored beside the refresh token and a fresh `state`
    /// that the answer must echo.
    async fn refresh_token(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<Tokens> {
        let result = async {
            let Some(stored) = tokens.refresh_token.as_ref() else {
                return Err(AuthError::new(
                    ErrorKind::Unsupported,
                    Stage::Token,
                    "no refresh token to use",
                ));
            };
            let Some(packed) = VkIdRefresh::unpack(stored.secret()) else {
                return Err(AuthError::new(
                    ErrorKind::TokenError,
                    Stage::Token,
                    "the stored refresh token carries no device_id: the user must log in again",
                ));
            };
            let state = random_text(32);
            let mut form = vec![
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", packed.refresh_token.clone()),
                ("client_id", cx.key()?.to_owned()),
                ("device_id", packed.device_id.clone()),
                ("state", state.clone()),
            ];
            if !packed.redirect_uri.is_empty() {
                form.push(("redirect_uri", packed.redirect_uri.clone()));
            }
            let url = endpoint_url(cx.backend, Endpoint::ACCESS_TOKEN, TOKEN_PATH);
            let request = client_request(
                cx,
                ClientAuth::None,
                TokenBody::Form,
                Method::POST,
                &url,
                &mut form,
            )?;
            let raw = token_call(cx, request, &state).await?;
            let mut fresh = tokens_from(
                cx.clock.now(),
                &raw,
                &packed.device_id,
                &packed.redirect_uri,
            );
            if fresh.refresh_token.is_none() {
                fresh.refresh_token = Some(stored.clone());
            }
            Ok(fresh)
        };
        result.await.map_err(|e| e.or_provider(VK_ID_NAME))
    }
}

/// The callback: state, code and `device_id`; the code exchange; the user's data.
async fn complete(cx: &BackendCx<'_>) -> Result<AuthResponse> {
    let pcx = &cx.provider;
    // Single use: whatever happens next, this pending login is spent.
    let pending = cx.strategy.session_remove(&pending_key(VK_ID_NAME)).await?;
    let callback = Callback::read(cx.strategy)?;
    if let Some(error) = callback.get("error") {
        return Err(provider_error(error, callback.get("error_description")));
    }
    let sent = callback.required("state")?;
    let pending: Pending = pending
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(no_pending_login)?;
    claim_state(cx, VK_ID_NAME, pending.created, &pending.state, &sent).await?;
    let code = callback.required("code")?;
    let device_id = callback.required("device_id")?;
    let redirect_uri = cx.redirect_uri();
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("code_verifier", pending.verifier),
        ("client_id", pcx.key()?.to_owned()),
        ("device_id", device_id.clone()),
        ("redirect_uri", redirect_uri.clone()),
        ("state", pending.state.clone()),
    ];
    let url = endpoint_url(pcx.backend, Endpoint::ACCESS_TOKEN, TOKEN_PATH);
    let request = client_request(
        pcx,
        ClientAuth::None,
        TokenBody::Form,
        Method::POST,
        &url,
        &mut form,
    )?;
    let raw = token_call(pcx, request, &pending.state).await?;
    let tokens = tokens_from(pcx.clock.now(), &raw, &device_id, &redirect_uri);
    let mut user = user_info(pcx, tokens.access_token.secret()).await?;
    let Some(uid) = user_id_of(user.get("user_id")) else {
        return Err(AuthError::new(
            ErrorKind::InvalidResponse,
            Stage::Profile,
            "VK ID user info has no numeric `user_id`",
        ));
    };
    if let Some(owner) = raw.get("user_id")
        && user_id_of(Some(owner)).as_deref() != Some(uid.as_str())
    {
        return Err(AuthError::new(
            ErrorKind::InvalidResponse,
            Stage::Profile,
            "the token response's `user_id` is not the user the user info describes",
        ));
    }
    user.insert("device_id".to_owned(), Value::String(device_id));
    let user = Value::Object(user);
    let details = MAPPING.user_details(&user);
    let mut fields = MAPPING.extra_data();
    fields.extend(pcx.backend.extra_data.iter().cloned());
    let mut response = AuthResponse::new(VK_ID_NAME, uid, details, user, Some(tokens));
    extra_data::select(
        &fields,
        &response.data,
        &Value::Object(raw),
        &mut response.extra_data,
    );
    Ok(response)
}
