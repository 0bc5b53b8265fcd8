//! Associations (§8) and signature checks (§11.4): a shared MAC key per OP when the OP endpoint
//! is HTTPS, else stateless verification through `check_authentication`.

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac, digest::KeyInit};
use http::header;
use sha1::Sha1;
use sha2::Sha256;

use super::message::{Message, OPENID2_NS, excerpt, failed, parse_kv};
use social_core::{
    backend::{BackendCx, ProviderCx},
    error::{AuthError, ErrorKind, Result, Stage},
    http::{HttpRequest, HttpResponse},
    storage::OpenIdAssociation,
};

/// The association types of §8.3, both verified locally.
///
/// HMAC-SHA256 is asked for first, HMAC-SHA1 only when the OP declines it and suggests
/// HMAC-SHA1. HMAC does not rest on the collision resistance SHA-1 lost, so a SHA-1
/// association spares the OP a `check_authentication` request per login at no loss of safety.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AssocType {
    HmacSha1,
    HmacSha256,
}

impl AssocType {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "HMAC-SHA1" => Some(Self::HmacSha1),
            "HMAC-SHA256" => Some(Self::HmacSha256),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::HmacSha256 => "HMAC-SHA256",
        }
    }

    /// The MAC key length, in bytes: the digest's (§8.3).
    fn key_len(self) -> usize {
        match self {
            Self::HmacSha1 => 20,
            Self::HmacSha256 => 32,
        }
    }

    /// Whether `signature` is this type's MAC of `text` under `key`, compared in constant time.
    fn verifies(self, key: &[u8], text: &[u8], signature: &[u8]) -> bool {
        fn check<M: Mac + KeyInit>(key: &[u8], text: &[u8], signature: &[u8]) -> bool {
            <M as Mac>::new_from_slice(key).is_ok_and(|mut mac| {
                mac.update(text);
                mac.verify_slice(signature).is_ok()
            })
        }
        match self {
            Self::HmacSha1 => check::<Hmac<Sha1>>(key, text, signature),
            Self::HmacSha256 => check::<Hmac<Sha256>>(key, text, signature),
        }
    }
}

const NO_ENCRYPTION: &str = "no-encryption";
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
                .filter(|a| {
                    AssocType::parse(&a.assoc_type).is_some() && expires_at(a) > now + EXPIRY_MARGIN
                })
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
    match negotiate(&cx.provider, op_endpoint).await {
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

/// What the OP answered an association request.
#[derive(Debug)]
enum Answer {
    Associated(OpenIdAssociation),
    /// Declined, with the type the OP suggests instead (§8.2.4), if it is one this RP can use.
    Declined(Option<AssocType>),
}

/// Asks for HMAC-SHA256, then once for HMAC-SHA1 if the OP suggests it.
///
/// `Ok(None)` when the OP declines both: one retry only, so that an OP suggesting the type it
/// just declined cannot keep the login asking.
async fn negotiate(cx: &ProviderCx<'_>, op_endpoint: &str) -> Result<Option<OpenIdAssociation>> {
    let retry = match associate(cx, op_endpoint, AssocType::HmacSha256).await? {
        Answer::Associated(association) => return Ok(Some(association)),
        Answer::Declined(Some(AssocType::HmacSha1)) => AssocType::HmacSha1,
        Answer::Declined(_) => return Ok(None),
    };
    match associate(cx, op_endpoint, retry).await? {
        Answer::Associated(association) => Ok(Some(association)),
        Answer::Declined(_) => Ok(None),
    }
}

/// Asks the OP for an association of `assoc_type` over a no-encryption session (§8.1).
async fn associate(
    cx: &ProviderCx<'_>,
    op_endpoint: &str,
    assoc_type: AssocType,
) -> Result<Answer> {
    let form = [
        ("openid.ns", OPENID2_NS),
        ("openid.mode", "associate"),
        ("openid.assoc_type", assoc_type.name()),
        ("openid.session_type", NO_ENCRYPTION),
    ];
    let request = form_post(op_endpoint, &form, Stage::Begin)?;
    let response = cx.send(request, Stage::Begin, "OpenID associate").await?;
    let fields = kv_answer(&response, Stage::Begin, "OpenID associate")?;
    let get = |k: &str| fields.get(k).map(String::as_str).unwrap_or_default();
    if get("error_code") == "unsupported-type" || !get("error").is_empty() {
        tracing::debug!(
            asked = assoc_type.name(),
            suggested = %excerpt(get("assoc_type")),
            session = %excerpt(get("session_type")),
            "the OP declined an association"
        );
        return Ok(Answer::Declined(suggestion(&fields)));
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
    if get("assoc_type") != assoc_type.name() || get("session_type") != NO_ENCRYPTION {
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
        .filter(|k| k.len() == assoc_type.key_len())
        .ok_or_else(|| {
            invalid(&format!(
                "`mac_key` is not a {}-byte base64 key",
                assoc_type.key_len()
            ))
        })?;
    Ok(Answer::Associated(OpenIdAssociation::new(
        op_endpoint,
        handle,
        &STANDARD.encode(key),
        cx.clock.now(),
        lifetime,
        assoc_type.name(),
    )))
}

/// The association type an `unsupported-type` answer suggests (§8.2.4), if it comes with a
/// no-encryption session: Diffie-Hellman sessions are not implemented.
fn suggestion(fields: &std::collections::BTreeMap<String, String>) -> Option<AssocType> {
    let get = |k: &str| fields.get(k).map(String::as_str);
    if get("error_code") != Some("unsupported-type") || get("session_type") != Some(NO_ENCRYPTION) {
        return None;
    }
    AssocType::parse(get("assoc_type")?)
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
        let expired = expires_at(&association) <= now;
        // The MAC is the stored association's: nothing in the assertion chooses it.
        if let Some(assoc_type) = AssocType::parse(&association.assoc_type).filter(|_| !expired) {
            let key = STANDARD
                .decode(&association.secret)
                .ok()
                .filter(|k| k.len() == assoc_type.key_len())
                .ok_or_else(|| {
                    AuthError::new(
                        ErrorKind::Storage,
                        Stage::Callback,
                        format!(
                            "a stored OpenID association key is not a {}-byte base64 key",
                            assoc_type.key_len()
                        ),
                    )
                })?;
            let signature = STANDARD
                .decode(sig)
                .map_err(|_| failed("`openid.sig` is not base64"))?;
            return if assoc_type.verifies(&key, &message.signed_kv()?, &signature) {
                Ok(())
            } else {
                Err(failed("the signature does not match"))
            };
        }
        if expired {
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

    #[test]
    fn macs_match_the_rfc_test_vectors() {
        let text = b"what do ya want for nothing?";
        // RFC 2202 test case 2 and RFC 4231 test case 2.
        let sha1 = "7/zfauXrL6LSdBbV8YTfnCWafHk=";
        let sha256 = "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=";
        let decode = |b64: &str| STANDARD.decode(b64).unwrap_or_default();
        assert!(AssocType::HmacSha1.verifies(b"Jefe", text, &decode(sha1)));
        assert!(AssocType::HmacSha256.verifies(b"Jefe", text, &decode(sha256)));
        assert!(!AssocType::HmacSha256.verifies(b"Jefe", text, &decode(sha1)));
        assert!(!AssocType::HmacSha1.verifies(b"Jefe", text, &decode(sha256)));
        assert!(!AssocType::HmacSha1.verifies(b"Jeff", text, &decode(sha1)));
    }

    #[test]
    fn only_a_no_encryption_suggestion_is_taken() {
        let answer = |error_code: &str, assoc_type: &str, session_type: &str| {
            let fields = [
                ("error", "not that one"),
                ("error_code", error_code),
                ("assoc_type", assoc_type),
                ("session_type", session_type),
            ]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
            suggestion(&fields)
        };
        let unsupported = "unsupported-type";
        assert_eq!(
            answer(unsupported, "HMAC-SHA1", NO_ENCRYPTION),
            Some(AssocType::HmacSha1)
        );
        assert_eq!(answer(unsupported, "HMAC-SHA1", "DH-SHA1"), None);
        assert_eq!(answer(unsupported, "HMAC-SHA1", ""), None);
        assert_eq!(answer(unsupported, "HMAC-MD5", NO_ENCRYPTION), None);
        assert_eq!(answer("", "HMAC-SHA1", NO_ENCRYPTION), None);
    }
}
