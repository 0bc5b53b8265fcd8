//! Associations (§8) and signature checks (§11.4): a shared MAC key per OP when the OP endpoint
//! is HTTPS, else stateless verification through `check_authentication`.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use http::header;
use sha2::Sha256;

use super::message::{Message, OPENID2_NS, excerpt, failed, parse_kv};
use crate::{
    backend::{BackendCx, ProviderCx},
    error::{AuthError, ErrorKind, Result, Stage},
    http::{HttpRequest, HttpResponse},
    storage::OpenIdAssociation,
};

/// The only association type verified locally.
///
/// HMAC-SHA1 would need a SHA-1 implementation, which social-core does not depend on: an OP
/// that offers only HMAC-SHA1 is verified statelessly instead, which is as safe and costs one
/// request per login.
pub(crate) const HMAC_SHA256: &str = "HMAC-SHA256";
const NO_ENCRYPTION: &str = "no-encryption";
const SHA256_KEY_LEN: usize = 32;
/// An association this close to expiry is not handed to a new login.
const EXPIRY_MARGIN: i64 = 120;

/// An association handle: 1 to 255 printable ASCII characters (§8.2.1).
fn valid_handle(handle: &str) -> bool {
    (1..=255).contains(&handle.len()) && handle.bytes().all(|b| (33..=126).contains(&b))
}

fn expires_at(association: &OpenIdAssociation) -> i64 {
    association.issued.saturating_add(association.lifetime)
}

/// An association with `op_endpoint` usable for a new login: a stored one, or a new one.
///
/// Never fails the login: without an association the assertion is verified statelessly.
pub(crate) async fn for_login(cx: &BackendCx<'_>, op_endpoint: &str) -> Option<OpenIdAssociation> {
    // No-encryption sessions send the MAC key in clear: only over TLS (§8.4.1). Diffie-Hellman
    // sessions for plain-HTTP OPs are not implemented.
    if !op_endpoint.starts_with("https://") {
        return None;
    }
    let now = cx.provider.clock.now();
    match cx.storage.associations(op_endpoint, None).await {
        Ok(stored) => {
            let usable = stored
                .iter()
                .filter(|a| a.assoc_type == HMAC_SHA256 && expires_at(a) > now + EXPIRY_MARGIN)
                .max_by_key(|a| expires_at(a));
            if let Some(association) = usable {
                return Some(association.clone());
            }
            for expired in stored.iter().filter(|a| expires_at(a) <= now) {
                if let Err(e) = cx
                    .storage
                    .remove_association(op_endpoint, &expired.handle)
                    .await
                {
                    tracing::warn!(error = %e, "could not remove an expired OpenID association");
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "OpenID associations unreadable; verifying statelessly");
            return None;
        }
    }
    match associate(&cx.provider, op_endpoint).await {
        Ok(Some(association)) => {
            if let Err(e) = cx.storage.store_association(association.clone()).await {
                tracing::warn!(error = %e, "could not store an OpenID association");
                return None;
            }
            Some(association)
        }
        Ok(None) => None,
        Err(e) => {
            tracing::info!(error = %e, "no OpenID association; verifying statelessly");
            None
        }
    }
}

/// Asks the OP for an HMAC-SHA256 association over a no-encryption session (§8.1).
///
/// `Ok(None)` when the OP declines the type (it may suggest HMAC-SHA1, see [`HMAC_SHA256`]).
async fn associate(cx: &ProviderCx<'_>, op_endpoint: &str) -> Result<Option<OpenIdAssociation>> {
    let form = [
        ("openid.ns", OPENID2_NS),
        ("openid.mode", "associate"),
        ("openid.assoc_type", HMAC_SHA256),
        ("openid.session_type", NO_ENCRYPTION),
    ];
    let request = form_post(op_endpoint, &form, Stage::Begin)?;
    let response = cx.send(request, Stage::Begin, "OpenID associate").await?;
    let fields = kv_answer(&response, Stage::Begin, "OpenID associate")?;
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
    if get("error_code") == "unsupported-type" || !get("error").is_empty() {
        tracing::debug!(
            suggested = %excerpt(get("assoc_type")),
            "the OP declined an HMAC-SHA256 association"
        );
        return Ok(None);
    }
    let invalid = |what: &str| {
        AuthError::new(
            ErrorKind::InvalidResponse,
            Stage::Begin,
            format!("OpenID associate: {what}"),
        )
    };
    if !response.status().is_success() {
        return Err(invalid(&format!("answered {}", response.status())));
    }
    if get("ns") != OPENID2_NS {
        return Err(invalid("the answer is not OpenID 2.0"));
    }
    if get("assoc_type") != HMAC_SHA256 || get("session_type") != NO_ENCRYPTION {
        return Err(invalid(
            "the answer is for another association or session type",
        ));
    }
    let handle = get("assoc_handle");
    if !valid_handle(handle) {
        return Err(invalid("the association handle is malformed"));
    }
    let lifetime: i64 = get("expires_in")
        .parse()
        .ok()
        .filter(|s| *s > 0)
        .ok_or_else(|| invalid("`expires_in` is not a positive number"))?;
    let key = STANDARD
        .decode(get("mac_key"))
        .ok()
        .filter(|k| k.len() == SHA256_KEY_LEN)
        .ok_or_else(|| invalid("`mac_key` is not a 32-byte base64 key"))?;
    Ok(Some(OpenIdAssociation {
        server_url: op_endpoint.to_owned(),
        handle: handle.to_owned(),
        secret: STANDARD.encode(key),
        issued: cx.clock.now(),
        lifetime,
        assoc_type: HMAC_SHA256.to_owned(),
    }))
}

/// Verifies the signature of an assertion: locally with a known, unexpired association, else
/// by asking the OP (§11.4.2).
pub(crate) async fn verify(cx: &BackendCx<'_>, message: &Message, op_endpoint: &str) -> Result<()> {
    let handle = message.required("assoc_handle")?;
    let sig = message.required("sig")?;
    let now = cx.provider.clock.now();
    let stored = cx
        .storage
        .associations(op_endpoint, Some(handle))
        .await
        .map_err(|e| AuthError::storage(Stage::Callback, e))?;
    if let Some(association) = stored.into_iter().find(|a| a.handle == handle) {
        if expires_at(&association) > now && association.assoc_type == HMAC_SHA256 {
            let key = STANDARD.decode(&association.secret).map_err(|_| {
                AuthError::new(
                    ErrorKind::Storage,
                    Stage::Callback,
                    "a stored OpenID association key is not base64",
                )
            })?;
            let signature = STANDARD
                .decode(sig)
                .map_err(|_| failed("`openid.sig` is not base64"))?;
            let mut mac = Hmac::<Sha256>::new_from_slice(&key)
                .map_err(|e| AuthError::new(ErrorKind::Unknown, Stage::Callback, e.to_string()))?;
            mac.update(&message.signed_kv()?);
            // verify_slice compares in constant time.
            return mac
                .verify_slice(&signature)
                .map_err(|_| failed("the signature does not match"));
        }
        if expires_at(&association) <= now {
            cx.storage
                .remove_association(op_endpoint, handle)
                .await
                .map_err(|e| AuthError::storage(Stage::Callback, e))?;
        }
    }
    check_authentication(cx, message, op_endpoint).await
}

/// Asks the OP whether it made this assertion (§11.4.2).
async fn check_authentication(
    cx: &BackendCx<'_>,
    message: &Message,
    op_endpoint: &str,
) -> Result<()> {
    let what = "OpenID check_authentication";
    let form = message.with_mode("check_authentication");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let request = form_post(op_endpoint, &pairs, Stage::Callback)?;
    let response = cx.provider.send(request, Stage::Callback, what).await?;
    if response.status().is_server_error() {
        return Err(AuthError::new(
            ErrorKind::ProviderUnavailable,
            Stage::Callback,
            format!("{what} answered {}", response.status()),
        ));
    }
    let fields = kv_answer(&response, Stage::Callback, what)?;
    if let Some(invalid) = fields.get("invalidate_handle").filter(|h| !h.is_empty()) {
        // The OP forgot this association: stop offering it to new logins.
        cx.storage
            .remove_association(op_endpoint, invalid)
            .await
            .map_err(|e| AuthError::storage(Stage::Callback, e))?;
    }
    if response.status().is_success() && fields.get("is_valid").map(String::as_str) == Some("true")
    {
        return Ok(());
    }
    let reason = fields
        .get("error")
        .map(|e| format!(": {}", excerpt(e)))
        .unwrap_or_default();
    Err(failed(format!(
        "the OP did not confirm the assertion{reason}"
    )))
}

fn form_post(url: &str, form: &[(&str, &str)], stage: Stage) -> Result<HttpRequest> {
    let body = serde_urlencoded::to_string(form)
        .map_err(|e| AuthError::new(ErrorKind::Unknown, stage, e.to_string()))?;
    http::Request::post(url)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.into_bytes())
        .map_err(|e| {
            AuthError::new(
                ErrorKind::Failed,
                stage,
                format!("OP endpoint `{}`: {e}", excerpt(url)),
            )
        })
}

/// The key-value answer of a direct request (§5.1.2); errors come with status 400.
fn kv_answer(
    response: &HttpResponse,
    stage: Stage,
    what: &str,
) -> Result<std::collections::BTreeMap<String, String>> {
    if response.status().is_server_error() {
        return Err(AuthError::new(
            ErrorKind::ProviderUnavailable,
            stage,
            format!("{what} answered {}", response.status()),
        ));
    }
    parse_kv(response.body()).map_err(|e| {
        AuthError::new(
            ErrorKind::InvalidResponse,
            stage,
            format!("{what} did not answer key-value form: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_printable_ascii() {
        assert!(valid_handle("{HMAC-SHA256}{5f3c}{abc==}"));
        assert!(!valid_handle(""));
        assert!(!valid_handle("has space"));
        assert!(!valid_handle(&"x".repeat(256)));
    }
}
