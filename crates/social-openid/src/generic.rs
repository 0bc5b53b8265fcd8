//! The generic OpenID 2.0 backend: the user types any identifier URL.

use super::{OpenIdBackend, OpenIdProvider, OpenIdSpec};
use social_core::{
    Configure,
    backend::BackendCx,
    error::{AuthError, Result, Stage},
    settings::BackendSettings,
    strategy::required_param,
};

/// The request parameter holding the identifier the user typed.
pub const IDENTIFIER_PARAM: &str = "openid_identifier";

/// Any OpenID 2.0 provider, chosen by the user's identifier (`openid_identifier`), or one
/// fixed provider when the backend's `OPENID_IDENTIFIER` setting names its identifier (then
/// several generic backends can each stand for one OP).
///
/// Discovery fetches whatever URL the user gives, so identifiers naming `localhost` or a
/// literal loopback, private or link-local address are refused unless the backend's
/// `ALLOW_LOCAL_IDENTIFIERS` setting is true (development only).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenId;

/// The generic `openid` backend, ready for a [`social_core::Registry`].
pub fn backend() -> OpenIdBackend<OpenId> {
    OpenIdBackend::new(OpenId)
}

/// What the generic backend reads of its settings.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct GenericOptions {
    /// A fixed identifier: this backend stands for one OP.
    openid_identifier: Option<String>,
    /// Discovery may reach local addresses (development only).
    allow_local_identifiers: bool,
}

impl OpenIdProvider for OpenId {
    fn spec(&self) -> OpenIdSpec {
        OpenIdSpec {
            name: "openid",
            ..OpenIdSpec::DEFAULT
        }
    }

    fn identifier(&self, cx: &BackendCx<'_>) -> Result<String> {
        if let Some(fixed) = cx
            .provider
            .options::<GenericOptions>()
            .openid_identifier
            .clone()
        {
            return Ok(fixed);
        }
        let identifier = required_param(cx.strategy, IDENTIFIER_PARAM, Stage::Begin)?;
        if identifier.trim().is_empty() {
            return Err(AuthError::missing_parameter(Stage::Begin, IDENTIFIER_PARAM));
        }
        Ok(identifier)
    }

    fn local_hosts_allowed(&self, settings: &BackendSettings) -> bool {
        settings
            .typed_or_default::<GenericOptions>()
            .allow_local_identifiers
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.options::<GenericOptions>().map(drop)
    }
}
