//! Discovery documents and key sets, fetched once and shared by every backend and request.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, OnceLock, PoisonError},
    time::Duration,
};

use serde::Deserialize;
use serde_json::Value;

use super::{
    config::{check_url, is_loopback},
    id_token::{
        IdToken, IdTokenRules, KeySet, NonceCheck, Rejection, TENANT_PLACEHOLDER, rejected,
    },
};
use social_core::{
    backend::ProviderCx,
    error::{AuthError, ErrorKind, Result, Stage},
};

/// An OpenID Provider's metadata (OpenID Connect Discovery 1.0, section 3), as far as a
/// relying party using the authorization code flow needs it.
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct ProviderMetadata {
    /// The issuer: ID tokens' `iss` must equal it.
    pub issuer: String,
    /// The authorization endpoint.
    pub authorization_endpoint: String,
    /// The token endpoint.
    pub token_endpoint: String,
    /// The key set of the provider's signing keys.
    pub jwks_uri: String,
    /// The userinfo endpoint, if any.
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    /// The RP-initiated logout endpoint, if any.
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    /// The token revocation endpoint (RFC 7009), if any.
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    /// Whether authorization responses carry `iss` (RFC 9207); a callback without it is then
    /// refused.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

impl ProviderMetadata {
    fn check(&self) -> Result<()> {
        let endpoints = [
            ("authorization_endpoint", Some(&self.authorization_endpoint)),
            ("token_endpoint", Some(&self.token_endpoint)),
            ("jwks_uri", Some(&self.jwks_uri)),
            ("userinfo_endpoint", self.userinfo_endpoint.as_ref()),
            ("end_session_endpoint", self.end_session_endpoint.as_ref()),
            ("revocation_endpoint", self.revocation_endpoint.as_ref()),
        ];
        for (field, url) in endpoints {
            if let Some(url) = url {
                check_url(field, url).map_err(|e| {
                    AuthError::new(
                        ErrorKind::InvalidResponse,
                        Stage::Setup,
                        format!("discovery document: {}", e.details()),
                    )
                })?;
            }
        }
        Ok(())
    }

    /// Whether this document may serve logins configured with `issuer` (Discovery 1.0
    /// section 4.3: the issuer must be the URL discovery started from). A multi-tenant issuer
    /// (with [`TENANT_PLACEHOLDER`]) is accepted only when `multi_tenant` is set, and only
    /// from the same origin; its tokens are then held to the tenant they name.
    fn serves(&self, issuer: &str, multi_tenant: bool) -> std::result::Result<(), String> {
        let trim = |s: &str| s.trim_end_matches('/').to_owned();
        if trim(&self.issuer) == trim(issuer) {
            return Ok(());
        }
        if self.issuer.contains(TENANT_PLACEHOLDER) {
            if !multi_tenant {
                return Err(format!(
                    "the discovered issuer `{}` is a multi-tenant template: set MULTI_TENANT \
                     to accept tokens of any tenant",
                    self.issuer
                ));
            }
            let origin = |s: &str| url::Url::parse(s).ok().map(|u| u.origin());
            if origin(&self.issuer).is_some() && origin(&self.issuer) == origin(issuer) {
                return Ok(());
            }
        }
        Err(format!(
            "the discovery document names issuer `{}`, not `{issuer}`",
            self.issuer
        ))
    }
}

/// A value fetched from the network, with what single-flight refetching needs.
struct Slot<T> {
    state: Mutex<Option<Fetched<T>>>,
    // Held across the fetch so that concurrent misses wait for one request.
    flight: tokio::sync::Mutex<()>,
}

struct Fetched<T> {
    value: Arc<T>,
    at: i64,
    generation: u64,
    forced_at: Option<i64>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self {
            state: Mutex::new(None),
            flight: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> Slot<T> {
    /// The value and its generation, if fetched less than `ttl` seconds before `now`.
    fn fresh(&self, now: i64, ttl: i64) -> Option<(Arc<T>, u64)> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state
            .as_ref()
            .filter(|f| now.saturating_sub(f.at) < ttl)
            .map(|f| (f.value.clone(), f.generation))
    }

    fn current(&self) -> Option<(Arc<T>, u64, Option<i64>)> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state
            .as_ref()
            .map(|f| (f.value.clone(), f.generation, f.forced_at))
    }

    fn store(&self, value: T, now: i64, forced: bool) -> (Arc<T>, u64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let previous = state.as_ref();
        let generation = previous.map_or(1, |f| f.generation + 1);
        let forced_at = if forced {
            Some(now)
        } else {
            previous.and_then(|f| f.forced_at)
        };
        let value = Arc::new(value);
        *state = Some(Fetched {
            value: value.clone(),
            at: now,
            generation,
            forced_at,
        });
        (value, generation)
    }
}

type Slots<T> = Mutex<HashMap<String, Arc<Slot<T>>>>;

/// The shared cache of discovery documents (by issuer) and key sets (by `jwks_uri`).
///
/// Entries live for a TTL (one hour by default). A token signed with a key the cached set does
/// not hold triggers one refetch of the set — single-flight: concurrent logins wait for the
/// same request — so a provider's key rotation never needs a restart. Such forced refetches
/// happen at most once per cool-down (ten seconds by default), so a stream of tokens with
/// made-up key ids cannot turn into a stream of requests. When a scheduled refresh fails, the
/// previous value keeps serving.
///
/// Hold it in an `Arc` and share it: [`OidcCache::global`] is the one backends use unless
/// given another.
pub struct OidcCache {
    ttl: i64,
    cooldown: i64,
    metadata: Slots<ProviderMetadata>,
    keys: Slots<KeySet>,
}

impl fmt::Debug for OidcCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn names<T>(slots: &Slots<T>) -> Vec<String> {
            let map = slots.lock().unwrap_or_else(PoisonError::into_inner);
            map.keys().cloned().collect()
        }
        f.debug_struct("OidcCache")
            .field("ttl", &self.ttl)
            .field("issuers", &names(&self.metadata))
            .field("jwks", &names(&self.keys))
            .finish()
    }
}

impl Default for OidcCache {
    fn default() -> Self {
        Self::new()
    }
}

impl OidcCache {
    /// An empty cache with a one-hour TTL and a ten-second refetch cool-down.
    pub fn new() -> Self {
        Self {
            ttl: 3600,
            cooldown: 10,
            metadata: Mutex::default(),
            keys: Mutex::default(),
        }
    }

    /// The process-wide cache backends share by default.
    pub fn global() -> Arc<Self> {
        static GLOBAL: OnceLock<Arc<OidcCache>> = OnceLock::new();
        GLOBAL.get_or_init(|| Arc::new(Self::new())).clone()
    }

    /// Sets how long documents and key sets are kept (at least one second).
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = secs(ttl).max(1);
        self
    }

    /// Sets the least time between two refetches forced by unknown key ids.
    #[must_use]
    pub fn with_refetch_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = secs(cooldown);
        self
    }

    /// The provider metadata discovered from `issuer`, checked to belong to it.
    pub async fn metadata(
        &self,
        cx: &ProviderCx<'_>,
        issuer: &str,
        multi_tenant: bool,
        stage: Stage,
    ) -> Result<Arc<ProviderMetadata>> {
        let slot = slot(&self.metadata, issuer);
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let (doc, _) = self
            .get(cx, &slot, stage, || async {
                let doc: ProviderMetadata = cx.json(get(cx, &url)?, stage, "discovery").await?;
                doc.check().map_err(|e| e.with_stage(stage))?;
                Ok(doc)
            })
            .await?;
        // Checked at every use: two backends may share an issuer with different settings.
        doc.serves(issuer, multi_tenant).map_err(|why| {
            AuthError::new(ErrorKind::InvalidResponse, stage, why).with_provider(cx.name)
        })?;
        Ok(doc)
    }

    /// The key set at `jwks_uri`.
    pub async fn keys(&self, cx: &ProviderCx<'_>, jwks_uri: &str) -> Result<Arc<KeySet>> {
        let slot = slot(&self.keys, jwks_uri);
        Ok(self
            .get(cx, &slot, Stage::Token, || fetch_keys(cx, jwks_uri))
            .await?
            .0)
    }

    /// Validates an ID token with the keys at `jwks_uri`, refetching them once when the token
    /// names a key the cached set does not hold.
    pub async fn validate_id_token(
        &self,
        cx: &ProviderCx<'_>,
        jwks_uri: &str,
        rules: &IdTokenRules,
        token: &str,
        nonce: NonceCheck<'_>,
    ) -> Result<IdToken> {
        let slot = slot(&self.keys, jwks_uri);
        let (keys, generation) = self
            .get(cx, &slot, Stage::Token, || fetch_keys(cx, jwks_uri))
            .await?;
        let now = cx.clock.now();
        match rules.check_inner(token, &keys, now, nonce) {
            Ok(token) => return Ok(token),
            Err(Rejection::Invalid(why)) => return Err(rejected(&why).with_provider(cx.name)),
            Err(Rejection::UnknownKey(_)) => {}
        }
        let keys = self.refetch(cx, &slot, jwks_uri, generation).await?;
        rules
            .check(token, &keys, now, nonce)
            .map_err(|e| e.with_provider(cx.name))
    }

    async fn get<T, F, Fut>(
        &self,
        cx: &ProviderCx<'_>,
        slot: &Slot<T>,
        stage: Stage,
        fetch: F,
    ) -> Result<(Arc<T>, u64)>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let now = cx.clock.now();
        if let Some(hit) = slot.fresh(now, self.ttl) {
            return Ok(hit);
        }
        let _flight = slot.flight.lock().await;
        if let Some(hit) = slot.fresh(now, self.ttl) {
            return Ok(hit);
        }
        match fetch().await {
            Ok(value) => Ok(slot.store(value, cx.clock.now(), false)),
            Err(e) => match slot.current() {
                Some((stale, generation, _)) => {
                    tracing::warn!(provider = cx.name, error = %e, "OIDC refresh failed; keeping the cached value");
                    Ok((stale, generation))
                }
                None => Err(e.with_stage(stage).or_provider(cx.name)),
            },
        }
    }

    async fn refetch(
        &self,
        cx: &ProviderCx<'_>,
        slot: &Slot<KeySet>,
        jwks_uri: &str,
        seen: u64,
    ) -> Result<Arc<KeySet>> {
        let _flight = slot.flight.lock().await;
        let now = cx.clock.now();
        if let Some((keys, generation, forced_at)) = slot.current() {
            // Someone refetched while we waited: their answer is ours.
            if generation != seen {
                return Ok(keys);
            }
            if forced_at.is_some_and(|at| now.saturating_sub(at) < self.cooldown) {
                tracing::debug!(
                    provider = cx.name,
                    "unknown key id within the refetch cool-down"
                );
                return Ok(keys);
            }
        }
        let fresh = fetch_keys(cx, jwks_uri)
            .await
            .map_err(|e| e.or_provider(cx.name))?;
        Ok(slot.store(fresh, now, true).0)
    }
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn slot<T>(slots: &Slots<T>, key: &str) -> Arc<Slot<T>> {
    let mut map = slots.lock().unwrap_or_else(PoisonError::into_inner);
    map.entry(key.to_owned()).or_default().clone()
}

fn get(cx: &ProviderCx<'_>, url: &str) -> Result<social_core::http::HttpRequest> {
    http::Request::get(url)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| cx.config_error("oidc_endpoint", format!("`{url}`: {e}")))
}

async fn fetch_keys(cx: &ProviderCx<'_>, jwks_uri: &str) -> Result<KeySet> {
    let url = url::Url::parse(jwks_uri).map_err(|e| {
        AuthError::new(
            ErrorKind::InvalidResponse,
            Stage::Token,
            format!("jwks_uri `{jwks_uri}`: {e}"),
        )
    })?;
    if url.scheme() != "https" && !is_loopback(&url) {
        return Err(AuthError::new(
            ErrorKind::InvalidResponse,
            Stage::Token,
            format!("jwks_uri `{jwks_uri}` is not https"),
        ));
    }
    let jwks: Value = cx.json(get(cx, jwks_uri)?, Stage::Token, "JWKS").await?;
    KeySet::from_jwks(&jwks)
}
