#![doc = include_str!("../README.md")]

mod association;
mod discovery;
mod extensions;
mod generic;
mod message;

use std::{collections::BTreeMap, fmt};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use url::Url;

pub use discovery::{Endpoint, is_local_host, normalize_identifier};
pub use extensions::{
    AX_EMAIL, AX_FIRST_NAME, AX_FULLNAME, AX_LAST_NAME, AX_NICKNAME, AttributeField, Attributes,
    profile_details,
};
pub use generic::{IDENTIFIER_PARAM, OpenId, backend};
pub use message::{AX_NS, IDENTIFIER_SELECT, OPENID2_NS, SERVER_TYPE, SIGNON_TYPE, SREG_NS};

use self::{
    discovery::{discover, same_url, without_fragment},
    extensions::Extension,
    message::{Message, excerpt, failed, split_nonce},
};
use social_core::{
    Capabilities, Configure, TokenIn,
    backend::{Backend, BackendCx, Flow, Protocol, ProviderCx},
    error::{AuthError, ErrorKind, Result, Stage},
    extra_data::{self, ExtraDataField},
    model::{AuthResponse, UserDetails},
    settings::BackendSettings,
    strategy::required_param,
};

/// The query parameter of `return_to` that binds the response to the browser session.
pub const STATE_PARAM: &str = "state";
/// Authentication requests longer than this are sent as an auto-submitted form.
const MAX_REDIRECT_URL: usize = 2048;
/// How old a response nonce may be, in seconds.
const NONCE_MAX_AGE: i64 = 300;
/// How far in the future a response nonce may be (clock skew), in seconds.
const NONCE_MAX_SKEW: i64 = 300;

/// A verified positive assertion: who the OP says the user is, and the signed attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Assertion {
    /// The claimed identifier, as asserted (with its fragment, if any).
    pub claimed_id: String,
    /// The OP-local identifier.
    pub identity: String,
    /// The OP endpoint that made the assertion.
    pub op_endpoint: String,
    /// Signed SREG fields by name.
    pub sreg: BTreeMap<String, String>,
    /// Signed AX values by type URI.
    pub ax: BTreeMap<String, Vec<String>>,
}

impl Assertion {
    /// An SREG field.
    pub fn sreg(&self, field: &str) -> Option<&str> {
        self.sreg.get(field).map(String::as_str)
    }

    /// The first AX value of `type_uri`.
    pub fn ax(&self, type_uri: &str) -> Option<&str> {
        self.ax
            .get(type_uri)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// The default user data: `claimed_id`, `identity`, `op_endpoint`, `sreg` and `ax`.
    pub fn to_value(&self) -> Value {
        json!({
            "claimed_id": self.claimed_id,
            "identity": self.identity,
            "op_endpoint": self.op_endpoint,
            "sreg": self.sreg,
            "ax": self.ax,
        })
    }
}

/// An OpenID 2.0 provider as data: its name and display name.
///
/// Not `#[non_exhaustive]` on purpose, so that providers can write struct literals: always end
/// them with `..OpenIdSpec::DEFAULT`, which keeps them building when fields are added.
#[derive(Debug, Clone)]
pub struct OpenIdSpec {
    /// The backend name: `steam`.
    pub name: &'static str,
    /// The name people read on buttons and pages, in the provider's own spelling: `Steam`.
    /// Empty (the default) shows the backend name.
    pub display_name: &'static str,
}

impl OpenIdSpec {
    /// Defaults to start from.
    pub const DEFAULT: Self = Self {
        name: "",
        display_name: "",
    };
}

/// An OpenID 2.0 provider: its [`OpenIdSpec`], where the identifier comes from and how to map
/// the assertion.
#[async_trait]
pub trait OpenIdProvider: Send + Sync + 'static {
    /// The name and display name.
    fn spec(&self) -> OpenIdSpec;

    /// The identifier to discover for this login: a fixed URL (Steam), a request parameter
    /// (the generic backend) or a URL built from one (LiveJournal). The base normalizes it
    /// with [`normalize_identifier`].
    fn identifier(&self, cx: &BackendCx<'_>) -> Result<String>;

    /// The attributes to ask for; the default is [`Attributes::profile`].
    fn attributes(&self) -> Attributes {
        Attributes::profile()
    }

    /// Whether discovery may reach loopback and private addresses. The default allows it, as
    /// the identifier comes from settings; backends whose users type identifiers refuse it.
    fn local_hosts_allowed(&self, settings: &BackendSettings) -> bool {
        let _ = settings;
        true
    }

    /// The stable user id; the default is the claimed identifier.
    fn user_id(&self, cx: &ProviderCx<'_>, assertion: &Assertion) -> Result<String> {
        let _ = cx;
        Ok(assertion.claimed_id.clone())
    }

    /// The user data kept as the response's raw data; the default is
    /// [`Assertion::to_value`]. Providers with an API fetch the profile here.
    async fn user_data(
        &self,
        cx: &ProviderCx<'_>,
        assertion: &Assertion,
        uid: &str,
    ) -> Result<Value> {
        let _ = (cx, uid);
        Ok(assertion.to_value())
    }

    /// Maps the user data to details; the default reads SREG and AX ([`profile_details`]).
    fn user_details(&self, user: &Value) -> UserDetails {
        profile_details(user)
    }

    /// The extra data kept by default, picked from the user data.
    fn extra_data(&self) -> Vec<ExtraDataField> {
        Vec::new()
    }

    /// Reads provider-specific settings at start-up: declare and parse options
    /// ([`Configure::options`]) and check them. Nothing by default.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
}

/// What the callback checks, kept in the session between start and callback.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    return_to: String,
    endpoint: Endpoint,
    created: i64,
}

/// The session key of a backend's pending OpenID login.
pub fn pending_key(backend: &str) -> String {
    format!("social_auth.{backend}.openid")
}

/// [`Backend`] for any [`OpenIdProvider`].
pub struct OpenIdBackend<P> {
    name: String,
    /// Set by [`OpenIdBackend::with_display_name`]; else the spec's, else the name.
    display_name: Option<String>,
    provider: P,
}

impl<P: OpenIdProvider> fmt::Debug for OpenIdBackend<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenIdBackend")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<P: OpenIdProvider> OpenIdBackend<P> {
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

    fn extra_fields(&self, settings: &BackendSettings) -> Result<[Vec<AttributeField>; 2]> {
        Ok([
            extensions::extra_fields(&self.name, settings, Extension::Sreg)?,
            extensions::extra_fields(&self.name, settings, Extension::Ax)?,
        ])
    }
}

fn random_state() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait]
impl<P: OpenIdProvider> Backend for OpenIdBackend<P> {
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
        Protocol::OPENID
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().token_in(TokenIn::None)
    }

    /// OpenID 2.0 needs no `KEY` or `SECRET`: checks the extra-data settings and the
    /// provider's own.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.declare(&[Extension::Sreg.option(), Extension::Ax.option()]);
        self.extra_fields(cx.settings())?;
        self.provider.configure(cx)
    }

    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        let pcx = &cx.provider;
        let raw = self.provider.identifier(cx)?;
        let identifier = normalize_identifier(&raw).map_err(|why| {
            AuthError::new(
                ErrorKind::Failed,
                Stage::Begin,
                format!("the OpenID identifier `{}` {why}", excerpt(&raw)),
            )
        })?;
        // Discovery refuses local addresses itself, redirects and Yadis locations included.
        let allow_local = self.provider.local_hosts_allowed(pcx.backend);
        let discovered = discover(pcx, &identifier, allow_local, Stage::Begin).await?;
        let endpoint = discovered.preferred().ok_or_else(|| {
            AuthError::new(
                ErrorKind::Failed,
                Stage::Begin,
                format!("no OpenID 2.0 endpoint for `{identifier}`"),
            )
        })?;
        let mut url = Url::parse(&endpoint.op_endpoint).map_err(|e| {
            AuthError::new(
                ErrorKind::Failed,
                Stage::Begin,
                format!("OP endpoint `{}`: {e}", excerpt(&endpoint.op_endpoint)),
            )
        })?;
        // The OP endpoint receives direct requests (associate, check_authentication): it is
        // held to the same rule as the identifier.
        discovery::check_target(&url, allow_local, Stage::Begin)?;
        let association = association::for_login(cx, &endpoint.op_endpoint).await;
        let state = random_state();
        let mut return_to = Url::parse(&cx.redirect_uri()).map_err(|e| {
            AuthError::new(
                ErrorKind::Unknown,
                Stage::Begin,
                format!("callback URL: {e}"),
            )
        })?;
        return_to.query_pairs_mut().append_pair(STATE_PARAM, &state);
        let return_to = String::from(return_to);
        let realm = format!("{}/", cx.site_origin());
        let (claimed_id, identity) = endpoint.request_ids();
        let mut params: Vec<(String, String)> = vec![
            ("openid.ns".into(), OPENID2_NS.into()),
            ("openid.mode".into(), "checkid_setup".into()),
            ("openid.claimed_id".into(), claimed_id),
            ("openid.identity".into(), identity),
            ("openid.return_to".into(), return_to.clone()),
            ("openid.realm".into(), realm),
        ];
        if let Some(association) = &association {
            params.push(("openid.assoc_handle".into(), association.handle.clone()));
        }
        let [sreg_extra, ax_extra] = self.extra_fields(pcx.backend)?;
        let mut attributes = self.provider.attributes();
        attributes.add_extra(&sreg_extra, &ax_extra);
        params.extend(attributes.params());
        for (k, v) in &pcx.backend.auth_extra_arguments {
            params.retain(|(name, _)| name != k);
            params.push((k.clone(), v.clone()));
        }
        let pending = Pending {
            state,
            return_to,
            endpoint: endpoint.clone(),
            created: pcx.clock.now(),
        };
        let pending = serde_json::to_value(&pending)
            .map_err(|e| AuthError::new(ErrorKind::Unknown, Stage::Begin, e.to_string()))?;
        cx.strategy
            .session_set(&pending_key(&self.name), pending)
            .await?;
        url.query_pairs_mut().extend_pairs(&params);
        if url.as_str().len() < MAX_REDIRECT_URL {
            Ok(Flow::Redirect(url.into()))
        } else {
            Ok(Flow::AutoPost {
                action: endpoint.op_endpoint,
                fields: params,
            })
        }
    }

    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let result = self.complete_inner(cx).await;
        result.map_err(|e| e.or_provider(&self.name))
    }
}

/// Whether a login started at `created` is older than `max_age` seconds at `now`
/// (`STATE_MAX_AGE`: a login exactly that old is still valid).
fn expired(created: i64, now: i64, max_age: u64) -> bool {
    now.saturating_sub(created) > i64::try_from(max_age).unwrap_or(i64::MAX)
}

/// Whether a response nonce issued at `issued` is fresh at `now`: at most
/// [`NONCE_MAX_AGE`] seconds old and [`NONCE_MAX_SKEW`] seconds ahead, both ends included.
fn nonce_in_window(issued: i64, now: i64) -> bool {
    issued >= now.saturating_sub(NONCE_MAX_AGE) && issued <= now.saturating_add(NONCE_MAX_SKEW)
}

impl<P: OpenIdProvider> OpenIdBackend<P> {
    async fn complete_inner(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let pcx = &cx.provider;
        // Single use: whatever happens next, this pending login is spent.
        let pending = cx.strategy.session_remove(&pending_key(&self.name)).await?;
        let mode = required_param(cx.strategy, "openid.mode", Stage::Callback)?;
        match mode.as_str() {
            "id_res" => {}
            "cancel" => {
                return Err(AuthError::new(
                    ErrorKind::Canceled,
                    Stage::Callback,
                    "the user cancelled at the OP",
                ));
            }
            "error" => {
                let error = cx.strategy.param("openid.error").unwrap_or_default();
                return Err(failed(format!("OP error: {}", excerpt(&error))));
            }
            other => {
                return Err(failed(format!(
                    "unexpected openid.mode `{}`",
                    excerpt(other)
                )));
            }
        }
        let pending: Pending = pending
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| {
                AuthError::new(
                    ErrorKind::StateMissing,
                    Stage::Callback,
                    "no pending OpenID login in the session",
                )
            })?;
        if expired(pending.created, pcx.clock.now(), pcx.settings.state_max_age) {
            return Err(AuthError::new(
                ErrorKind::StateExpired,
                Stage::Callback,
                "the pending login expired",
            ));
        }
        let state = required_param(cx.strategy, STATE_PARAM, Stage::Callback)?;
        if !bool::from(state.as_bytes().ct_eq(pending.state.as_bytes())) {
            return Err(AuthError::new(
                ErrorKind::StateMismatch,
                Stage::Callback,
                "state does not match the session",
            ));
        }
        let message = Message::from_request(cx.strategy)?;
        if message.get("ns") != Some(OPENID2_NS) {
            return Err(failed("the response is not OpenID 2.0"));
        }
        // §10.1: what a positive assertion must sign; an identity-less assertion logs no one in.
        for key in [
            "op_endpoint",
            "return_to",
            "response_nonce",
            "assoc_handle",
            "claimed_id",
            "identity",
        ] {
            message.required(key)?;
            if !message.is_signed(key) {
                return Err(failed(format!("`openid.{key}` is not signed")));
            }
        }
        let field = |key: &str| message.get(key).unwrap_or_default();
        self.check_return_to(cx, field("return_to"), &pending.return_to)?;
        let op_endpoint = &pending.endpoint.op_endpoint;
        if !same_url(field("op_endpoint"), op_endpoint) {
            return Err(failed(format!(
                "the assertion comes from `{}`, not from the OP this login was sent to",
                excerpt(field("op_endpoint"))
            )));
        }
        self.check_discovered(
            cx,
            &pending.endpoint,
            field("claimed_id"),
            field("identity"),
        )
        .await?;
        let (issued, unique) = split_nonce(field("response_nonce"))
            .ok_or_else(|| failed("`openid.response_nonce` is malformed"))?;
        let now = pcx.clock.now();
        if !nonce_in_window(issued, now) {
            return Err(failed(
                "`openid.response_nonce` is too old or in the future",
            ));
        }
        association::verify(cx, &message, op_endpoint).await?;
        // After the signature check, so that forged responses cannot use up nonces.
        let fresh = cx
            .storage
            .use_nonce(op_endpoint, issued, unique)
            .await
            .map_err(|e| AuthError::storage(Stage::Callback, e))?;
        if !fresh {
            return Err(AuthError::new(
                ErrorKind::StateReplayed,
                Stage::Callback,
                "the response nonce was already used",
            ));
        }
        let assertion = Assertion {
            claimed_id: field("claimed_id").to_owned(),
            identity: field("identity").to_owned(),
            op_endpoint: op_endpoint.clone(),
            sreg: extensions::sreg_values(&message),
            ax: extensions::ax_values(&message),
        };
        let uid = self.provider.user_id(pcx, &assertion)?;
        let data = self.provider.user_data(pcx, &assertion, &uid).await?;
        let details = self.provider.user_details(&data);
        let mut response = AuthResponse::new(&self.name, uid, details, data, None);
        let mut fields = self.provider.extra_data();
        fields.extend(pcx.backend.extra_data.iter().cloned());
        extra_data::select(
            &fields,
            &response.data,
            &Value::Null,
            &mut response.extra_data,
        );
        let [sreg_extra, ax_extra] = self.extra_fields(pcx.backend)?;
        for (field, value) in sreg_extra
            .iter()
            .filter_map(|f| Some((f, assertion.sreg(&f.name)?)))
            .chain(
                ax_extra
                    .iter()
                    .filter_map(|f| Some((f, assertion.ax(&f.name)?))),
            )
        {
            response
                .extra_data
                .insert(field.alias.clone(), Value::String(value.to_owned()));
        }
        Ok(response)
    }

    /// §11.1: `return_to` is the one this login sent, and the request reached it: same scheme,
    /// host, port and path, and its query parameters present with the same values.
    fn check_return_to(&self, cx: &BackendCx<'_>, asserted: &str, sent: &str) -> Result<()> {
        if asserted != sent {
            return Err(failed(format!(
                "`openid.return_to` `{}` is not the one this login sent",
                excerpt(asserted)
            )));
        }
        // The request's own URL when the integration gives it (its path as the browser sent
        // it, mount prefixes included); scheme and host are this site's (`PUBLIC_URL`).
        let site = cx.redirect_uri();
        let reached = cx.strategy.request_url();
        let (Ok(asserted), Ok(site)) = (Url::parse(asserted), Url::parse(&site)) else {
            return Err(failed("`openid.return_to` is not a URL"));
        };
        let path = match reached.as_deref().map(Url::parse) {
            Some(Ok(url)) => url.path().to_owned(),
            Some(Err(_)) => return Err(failed("the request's URL cannot be read")),
            None => site.path().to_owned(),
        };
        let same_place = asserted.scheme() == site.scheme()
            && asserted.host_str() == site.host_str()
            && asserted.port_or_known_default() == site.port_or_known_default()
            && asserted.path() == path;
        if !same_place {
            return Err(failed(format!(
                "`openid.return_to` does not point at this callback (`{}`)",
                excerpt(&format!("{}{path}", site.origin().ascii_serialization()))
            )));
        }
        // Every parameter of return_to is in the request with that value, and with no other:
        // a second value of the same name is not the URL that was sent.
        let given = cx.strategy.params();
        for (key, value) in asserted.query_pairs() {
            let mut values = given.iter().filter(|(name, _)| *name == key);
            let matches = if given.is_empty() {
                cx.strategy.param(&key).as_deref() == Some(&*value)
            } else {
                values.next().is_some_and(|(_, v)| *v == value) && values.next().is_none()
            };
            if !matches {
                return Err(failed(format!(
                    "`{}` of `openid.return_to` is not in the request",
                    excerpt(&key)
                )));
            }
        }
        Ok(())
    }

    /// §11.2: the claimed identifier names this OP and this OP-local identifier. An identifier
    /// other than the one discovered at the start (or one chosen at the OP) is discovered now.
    async fn check_discovered(
        &self,
        cx: &BackendCx<'_>,
        started: &Endpoint,
        claimed_id: &str,
        identity: &str,
    ) -> Result<()> {
        let asserted = without_fragment(claimed_id)
            .ok_or_else(|| failed("`openid.claimed_id` is not an http(s) URL"))?;
        if let Some(expected) = started
            .claimed_id
            .as_deref()
            .filter(|c| same_url(c, &asserted))
        {
            let local = started.local_id.as_deref().unwrap_or(expected);
            return if same_url(local, identity) {
                Ok(())
            } else {
                Err(failed(
                    "`openid.identity` is not the OP-local identifier discovered",
                ))
            };
        }
        let url = Url::parse(&asserted)
            .map_err(|_| failed("`openid.claimed_id` is not an http(s) URL"))?;
        let allow_local = self.provider.local_hosts_allowed(cx.provider.backend);
        let discovered = discover(&cx.provider, &url, allow_local, Stage::Callback).await?;
        if discovered.authorizes(&asserted, &started.op_endpoint, identity) {
            Ok(())
        } else {
            Err(failed(format!(
                "discovery on `{}` does not name this OP for `{}`",
                excerpt(&asserted),
                excerpt(identity)
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pending_login_is_kept_per_backend() {
        assert_ne!(pending_key("steam"), pending_key("livejournal"));
        assert!(pending_key("steam").contains("steam"));
    }

    #[test]
    fn a_login_expires_after_state_max_age_to_the_second() {
        assert!(!expired(1_000, 1_600, 600));
        assert!(expired(1_000, 1_601, 600));
        assert!(!expired(1_000, 1_000, 600));
        assert!(!expired(1_000, 999, 600), "a clock step back is not expiry");
        assert!(expired(i64::MIN, i64::MAX, 600));
        assert!(!expired(0, i64::MAX, u64::MAX));
    }

    #[test]
    fn a_response_nonce_is_fresh_within_its_window_both_ends_included() {
        let now = 1_796_280_000;
        assert!(nonce_in_window(now, now));
        assert!(nonce_in_window(now - NONCE_MAX_AGE, now));
        assert!(!nonce_in_window(now - NONCE_MAX_AGE - 1, now));
        assert!(nonce_in_window(now + NONCE_MAX_SKEW, now));
        assert!(!nonce_in_window(now + NONCE_MAX_SKEW + 1, now));
        assert!(!nonce_in_window(i64::MIN, now));
        assert!(!nonce_in_window(i64::MAX, now));
    }
}
