//! The session-bound CSRF token that guards every state-changing POST of the routes.

use base64::Engine as _;
use social_core::Value;
use subtle::ConstantTimeEq;

use crate::session::{SessionResult, WebSession};

/// The form field the routes read the CSRF token from.
pub const CSRF_FIELD: &str = "csrf_token";
pub(crate) const CSRF_KEY: &str = "social_auth.csrf_token";

/// The CSRF token of this session, created on first use.
///
/// Put it in every form that posts to the login or disconnect routes, as the hidden field
/// [`CSRF_FIELD`] (`csrf_token`). The token is replaced at each login, so render it from the
/// current session rather than caching it.
pub async fn csrf_token(session: &dyn WebSession) -> SessionResult<String> {
    if let Some(Value::String(token)) = session.get(CSRF_KEY).await?
        && !token.is_empty()
    {
        return Ok(token);
    }
    let bytes: [u8; 32] = rand::random();
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    session
        .insert(CSRF_KEY, Value::String(token.clone()))
        .await?;
    Ok(token)
}

/// Whether `sent` is this session's CSRF token (compared in constant time); a session
/// without a token accepts nothing. For an application's own state-changing forms.
pub async fn verify_csrf(session: &dyn WebSession, sent: Option<&str>) -> SessionResult<bool> {
    let Some(sent) = sent.filter(|s| !s.is_empty()) else {
        return Ok(false);
    };
    Ok(match session.get(CSRF_KEY).await? {
        Some(Value::String(token)) if !token.is_empty() => {
            bool::from(token.as_bytes().ct_eq(sent.as_bytes()))
        }
        _ => false,
    })
}
