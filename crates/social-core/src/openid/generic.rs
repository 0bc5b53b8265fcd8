//! The generic OpenID 2.0 backend: the user types any identifier URL.

use super::{OpenIdBackend, OpenIdProvider};
use crate::{
    backend::BackendCx,
    error::{AuthError, Result, Stage},
    settings::BackendSettings,
    strategy::required_param,
};

/// The request parameter holding the identifier the user typed.
pub const IDENTIFIER_PARAM: &str = "openid_identifier";
const ALLOW_LOCAL: &str = "allow_local_identifiers";

/// Any OpenID 2.0 provider, chosen by the user's identifier (`openid_identifier`), or one
/// fixed provider when the backend's `OPENID_IDENTIFIER` setting names its identifier (then
/// several generic backends can each stand for one OP).
///
/// Discovery fetches whatever URL the user gives, so identifiers naming `localhost` or a
/// literal loopback, private or link-local address are refused unless the backend's
/// `ALLOW_LOCAL_IDENTIFIERS` setting is true (development only).
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenId;

/// The generic `openid` backend, ready for a [`crate::Registry`].
pub fn backend() -> OpenIdBackend<OpenId> {
    OpenIdBackend::new(OpenId)
}

impl OpenIdProvider for OpenId {
    const NAME: &'static str = "openid";

    fn identifier(&self, cx: &BackendCx<'_>) -> Result<String> {
        if let Some(fixed) = cx.provider.backend.option(IDENTIFIER_PARAM) {
            return Ok(fixed);
        }
        let identifier = required_param(cx.strategy, IDENTIFIER_PARAM, Stage::Begin)?;
        if identifier.trim().is_empty() {
            return Err(AuthError::missing_parameter(Stage::Begin, IDENTIFIER_PARAM));
        }
        Ok(identifier)
    }

    fn local_hosts_allowed(&self, settings: &BackendSettings) -> bool {
        // `validate` refused a malformed value at start-up.
        settings
            .flag(Self::NAME, ALLOW_LOCAL)
            .ok()
            .flatten()
            .unwrap_or(false)
    }

    fn validate(&self, name: &str, settings: &BackendSettings) -> Result<()> {
        settings.flag(name, ALLOW_LOCAL).map(drop)
    }
}
