//! Verification of Facebook `signed_request` values.
//!
//! Facebook hands some flows (canvas apps, the JavaScript SDK's auth
//! response, data-deletion and deauthorize callbacks) a `signed_request`
//! parameter of the form
//!
//! ```text
//! <base64url(signature)>.<base64url(JSON payload)>
//! ```
//!
//! where `signature` is the HMAC-SHA256 of the *encoded* payload string keyed
//! with the app secret, and the payload is a JSON object carrying at least
//! `algorithm` (`"HMAC-SHA256"`) and `issued_at` (unix seconds).
//!
//! [`parse_signed_request`] checks the signature in constant time before it
//! looks at anything inside the payload, then checks the algorithm and the
//! timestamps.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

/// How far in the future `issued_at` may lie, in seconds, to tolerate clock
/// skew between Facebook and this server.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// The only algorithm Facebook uses (compared case-insensitively).
const EXPECTED_ALGORITHM: &str = "HMAC-SHA256";

/// Longest algorithm name kept in [`SignedRequestError::UnsupportedAlgorithm`].
const MAX_ALGORITHM_LEN: usize = 64;

/// base64url decoder that accepts input with or without `=` padding but
/// rejects the standard alphabet's `+` and `/` and non-canonical trailing bits.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Payload keys whose values are credentials and are hidden from `Debug`.
const SECRET_KEYS: [&str; 2] = ["oauth_token", "code"];

/// A verified Facebook `signed_request` payload.
///
/// Values returned by [`parse_signed_request`] have had their signature,
/// algorithm and timestamps checked. The `Deserialize` impl only maps a
/// payload object onto this type (accepting `user_id` as a string or a
/// number) and verifies nothing.
///
/// `Debug` output redacts `oauth_token` and `code`.
#[derive(Clone, PartialEq, serde::Deserialize)]
#[serde(try_from = "Map<String, Value>")]
#[non_exhaustive]
pub struct SignedRequest {
    /// The signing algorithm as sent (matches `HMAC-SHA256` case-insensitively once verified).
    pub algorithm: String,
    /// When Facebook issued the request, in unix seconds.
    pub issued_at: i64,
    /// When `oauth_token` expires, in unix seconds, if given.
    pub expires: Option<i64>,
    /// The app-scoped user id, if the user has authorized the app (numbers are turned into strings).
    pub user_id: Option<String>,
    /// A user access token, if given.
    pub oauth_token: Option<String>,
    /// An authorization code that can be exchanged for an access token, if given.
    pub code: Option<String>,
    /// Every field of the payload, including the ones above, as decoded.
    pub extra: Map<String, Value>,
}

/// Why a `signed_request` was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignedRequestError {
    /// The value is not shaped like a signed request (parts, base64url, JSON or field types).
    #[error("malformed signed_request: {0}")]
    Malformed(&'static str),
    /// The payload names an algorithm other than `HMAC-SHA256`.
    #[error("unsupported signed_request algorithm {0:?} (expected \"HMAC-SHA256\")")]
    UnsupportedAlgorithm(String),
    /// The signature does not match the payload under the app secret (or the secret is empty).
    #[error("signed_request signature does not match the app secret")]
    BadSignature,
    /// `expires` has passed, or `issued_at` is older than the allowed maximum age.
    #[error("signed_request has expired or is older than the allowed maximum age")]
    Expired,
    /// `issued_at` lies further in the future than the allowed clock skew.
    #[error("signed_request issued_at is too far in the future (more than 300 s of clock skew)")]
    IssuedInFuture,
}

/// Parses and verifies a Facebook `signed_request` with the app secret.
///
/// `now` is the current time in unix seconds and `max_age` bounds how old
/// `issued_at` may be, in seconds; `issued_at` may lie up to
/// [`MAX_CLOCK_SKEW_SECS`] in the future. Both parts may be base64url with or
/// without padding. An empty `app_secret` never verifies.
///
/// # Errors
///
/// [`SignedRequestError::Malformed`] for a value that is not two non-empty
/// base64url parts, or whose verified payload is not a JSON object with a
/// string `algorithm` and integer `issued_at`;
/// [`SignedRequestError::BadSignature`] when the HMAC does not match;
/// [`SignedRequestError::UnsupportedAlgorithm`] when `algorithm` is not
/// `HMAC-SHA256`; [`SignedRequestError::Expired`] when `expires <= now` or
/// `now - issued_at > max_age`; [`SignedRequestError::IssuedInFuture`] when
/// `issued_at - now > MAX_CLOCK_SKEW_SECS`.
pub fn parse_signed_request(
    value: &str,
    app_secret: &[u8],
    now: i64,
    max_age: i64,
) -> Result<SignedRequest, SignedRequestError> {
    let (encoded_sig, encoded_payload) = value.split_once('.').ok_or(
        SignedRequestError::Malformed("expected two dot-separated parts"),
    )?;
    if encoded_payload.contains('.') {
        return Err(SignedRequestError::Malformed(
            "expected exactly two dot-separated parts",
        ));
    }
    if encoded_sig.is_empty() {
        return Err(SignedRequestError::Malformed("signature part is empty"));
    }
    if encoded_payload.is_empty() {
        return Err(SignedRequestError::Malformed("payload part is empty"));
    }

    let signature = BASE64URL
        .decode(encoded_sig)
        .map_err(|_| SignedRequestError::Malformed("signature is not valid base64url"))?;

    // Nothing in the payload is looked at before this check passes.
    verify_signature(encoded_payload.as_bytes(), &signature, app_secret)?;

    let payload = BASE64URL
        .decode(encoded_payload)
        .map_err(|_| SignedRequestError::Malformed("payload is not valid base64url"))?;
    let object: Map<String, Value> = serde_json::from_slice(&payload)
        .map_err(|_| SignedRequestError::Malformed("payload is not a JSON object"))?;
    let request = SignedRequest::try_from(object)?;

    if !request.algorithm.eq_ignore_ascii_case(EXPECTED_ALGORITHM) {
        return Err(SignedRequestError::UnsupportedAlgorithm(
            request.algorithm.chars().take(MAX_ALGORITHM_LEN).collect(),
        ));
    }

    // Saturating arithmetic: extreme timestamps must not overflow (and panic in debug builds).
    if request.issued_at.saturating_sub(now) > MAX_CLOCK_SKEW_SECS {
        return Err(SignedRequestError::IssuedInFuture);
    }
    if now.saturating_sub(request.issued_at) > max_age {
        return Err(SignedRequestError::Expired);
    }
    if request.expires.is_some_and(|expires| expires <= now) {
        return Err(SignedRequestError::Expired);
    }

    Ok(request)
}

/// Checks `signature` against HMAC-SHA256(`app_secret`, `encoded_payload`) in constant time.
fn verify_signature(
    encoded_payload: &[u8],
    signature: &[u8],
    app_secret: &[u8],
) -> Result<(), SignedRequestError> {
    if app_secret.is_empty() {
        return Err(SignedRequestError::BadSignature);
    }
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret).map_err(|_| SignedRequestError::BadSignature)?;
    mac.update(encoded_payload);
    // `verify_slice` rejects tags of the wrong length and compares with `subtle`.
    mac.verify_slice(signature)
        .map_err(|_| SignedRequestError::BadSignature)
}

impl TryFrom<Map<String, Value>> for SignedRequest {
    type Error = SignedRequestError;

    /// Maps a payload object onto the typed fields; verifies nothing.
    fn try_from(object: Map<String, Value>) -> Result<Self, Self::Error> {
        let algorithm = match object.get("algorithm") {
            Some(Value::String(algorithm)) => algorithm.clone(),
            Some(_) => return Err(SignedRequestError::Malformed("`algorithm` is not a string")),
            None => return Err(SignedRequestError::Malformed("`algorithm` is missing")),
        };
        let issued_at = match object.get("issued_at") {
            Some(value) => value.as_i64().ok_or(SignedRequestError::Malformed(
                "`issued_at` is not an integer",
            ))?,
            None => return Err(SignedRequestError::Malformed("`issued_at` is missing")),
        };
        let expires = match object.get("expires") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                value
                    .as_i64()
                    .ok_or(SignedRequestError::Malformed("`expires` is not an integer"))?,
            ),
        };
        let user_id = match object.get("user_id") {
            None | Some(Value::Null) => None,
            Some(Value::String(id)) => Some(id.clone()),
            Some(Value::Number(id)) if id.is_i64() || id.is_u64() => Some(id.to_string()),
            Some(_) => {
                return Err(SignedRequestError::Malformed(
                    "`user_id` is neither a string nor an integer",
                ));
            }
        };
        let oauth_token = optional_string(&object, "oauth_token", "`oauth_token` is not a string")?;
        let code = optional_string(&object, "code", "`code` is not a string")?;

        Ok(Self {
            algorithm,
            issued_at,
            expires,
            user_id,
            oauth_token,
            code,
            extra: object,
        })
    }
}

/// Reads an optional string field; `null` counts as absent.
fn optional_string(
    object: &Map<String, Value>,
    key: &str,
    error: &'static str,
) -> Result<Option<String>, SignedRequestError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(SignedRequestError::Malformed(error)),
    }
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("algorithm", &self.algorithm)
            .field("issued_at", &self.issued_at)
            .field("expires", &self.expires)
            .field("user_id", &self.user_id)
            .field("oauth_token", &self.oauth_token.as_ref().map(|_| Redacted))
            .field("code", &self.code.as_ref().map(|_| Redacted))
            .field("extra", &RedactedMap(&self.extra))
            .finish()
    }
}

/// Stands in for a credential in `Debug` output.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Debug-prints a payload map with credential values replaced.
struct RedactedMap<'a>(&'a Map<String, Value>);

impl fmt::Debug for RedactedMap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in self.0 {
            if SECRET_KEYS.contains(&key.as_str()) && !value.is_null() {
                map.entry(key, &Redacted);
            } else {
                map.entry(key, value);
            }
        }
        map.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
    use serde_json::json;

    const SECRET: &[u8] = b"app-secret-for-tests";
    const NOW: i64 = 1_700_000_000;
    const MAX_AGE: i64 = 3_600;

    /// HMAC-SHA256 of `encoded_payload` under `secret`, base64url without padding.
    fn signature_for(encoded_payload: &str, secret: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(encoded_payload.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Signs an already-encoded payload string as Facebook does.
    fn sign_encoded(encoded_payload: &str, secret: &[u8]) -> String {
        format!(
            "{}.{}",
            signature_for(encoded_payload, secret),
            encoded_payload
        )
    }

    /// Builds a `signed_request` for `payload_json` signed with `secret`.
    fn sign(payload_json: &str, secret: &[u8]) -> String {
        sign_encoded(&URL_SAFE_NO_PAD.encode(payload_json), secret)
    }

    fn parse(value: &str) -> Result<SignedRequest, SignedRequestError> {
        parse_signed_request(value, SECRET, NOW, MAX_AGE)
    }

    fn valid_payload() -> String {
        json!({
            "algorithm": "HMAC-SHA256",
            "issued_at": NOW - 10,
            "expires": NOW + 3_600,
            "user_id": "218471",
            "oauth_token": "EAAB-token",
            "code": "auth-code",
            "user": { "country": "us", "locale": "en_US", "age": { "min": 21 } }
        })
        .to_string()
    }

    fn assert_malformed(result: Result<SignedRequest, SignedRequestError>) {
        assert!(
            matches!(result, Err(SignedRequestError::Malformed(_))),
            "expected Malformed, got {result:?}"
        );
    }

    #[test]
    fn valid_request_parses_all_fields() {
        let request = parse(&sign(&valid_payload(), SECRET)).expect("valid request");
        assert_eq!(request.algorithm, "HMAC-SHA256");
        assert_eq!(request.issued_at, NOW - 10);
        assert_eq!(request.expires, Some(NOW + 3_600));
        assert_eq!(request.user_id.as_deref(), Some("218471"));
        assert_eq!(request.oauth_token.as_deref(), Some("EAAB-token"));
        assert_eq!(request.code.as_deref(), Some("auth-code"));
        assert_eq!(
            request.extra.get("user"),
            Some(&json!({ "country": "us", "locale": "en_US", "age": { "min": 21 } }))
        );
        assert_eq!(request.extra.get("issued_at"), Some(&json!(NOW - 10)));
        assert_eq!(request.extra.len(), 7);
    }

    #[test]
    fn minimal_request_has_optional_fields_absent() {
        let payload =
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW, "user_id": null }).to_string();
        let request = parse(&sign(&payload, SECRET)).expect("minimal request");
        assert_eq!(request.expires, None);
        assert_eq!(request.user_id, None);
        assert_eq!(request.oauth_token, None);
        assert_eq!(request.code, None);
    }

    #[test]
    fn numeric_user_id_becomes_string() {
        let payload = json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW, "user_id": 10_000_123_456_789_u64 }).to_string();
        let request = parse(&sign(&payload, SECRET)).expect("numeric user_id");
        assert_eq!(request.user_id.as_deref(), Some("10000123456789"));
        assert_eq!(
            request.extra.get("user_id"),
            Some(&json!(10_000_123_456_789_u64))
        );
    }

    #[test]
    fn invalid_field_types_are_malformed() {
        for payload in [
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW, "user_id": 1.5 }),
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW, "user_id": true }),
            json!({ "algorithm": "HMAC-SHA256", "issued_at": "1700000000" }),
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW, "expires": "soon" }),
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW, "oauth_token": 7 }),
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW, "code": ["x"] }),
            json!({ "algorithm": 256, "issued_at": NOW }),
            json!({ "issued_at": NOW }),
            json!({ "algorithm": "HMAC-SHA256" }),
        ] {
            assert_malformed(parse(&sign(&payload.to_string(), SECRET)));
        }
    }

    #[test]
    fn known_vector_matches_independent_hmac() {
        // Computed outside Rust with `openssl dgst -sha256 -hmac secret` over the encoded payload of
        // {"algorithm":"HMAC-SHA256","expires":1291840400,"issued_at":1291836800,"oauth_token":"tok-123","user_id":"218471"}
        const VECTOR: &str = "yBeaOsC1H_MowTtKlsqj64N6SMZ-X9ZrPhb4rPLaE-w.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImV4cGlyZXMiOjEyOTE4NDA0MDAsImlzc3VlZF9hdCI6MTI5MTgzNjgwMCwib2F1dGhfdG9rZW4iOiJ0b2stMTIzIiwidXNlcl9pZCI6IjIxODQ3MSJ9";
        let payload = r#"{"algorithm":"HMAC-SHA256","expires":1291840400,"issued_at":1291836800,"oauth_token":"tok-123","user_id":"218471"}"#;
        assert_eq!(sign(payload, b"secret"), VECTOR);

        let request =
            parse_signed_request(VECTOR, b"secret", 1_291_836_900, 600).expect("known vector");
        assert_eq!(request.issued_at, 1_291_836_800);
        assert_eq!(request.expires, Some(1_291_840_400));
        assert_eq!(request.user_id.as_deref(), Some("218471"));
        assert_eq!(request.oauth_token.as_deref(), Some("tok-123"));
        assert_eq!(
            parse_signed_request(VECTOR, b"Secret", 1_291_836_900, 600),
            Err(SignedRequestError::BadSignature)
        );
    }

    #[test]
    fn padded_base64url_is_accepted() {
        // 2 bytes of padding on the payload, 1 byte on the 32-byte signature.
        let payload = json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW, "a": "b" }).to_string();
        let encoded = URL_SAFE.encode(&payload);
        assert!(
            encoded.ends_with('='),
            "test payload should need padding: {encoded}"
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).expect("HMAC takes any key length");
        mac.update(encoded.as_bytes());
        let signature = URL_SAFE.encode(mac.finalize().into_bytes());
        assert!(signature.ends_with('='));

        let request = parse(&format!("{signature}.{encoded}")).expect("padded request");
        assert_eq!(request.extra.get("a"), Some(&json!("b")));
    }

    #[test]
    fn algorithm_is_case_insensitive() {
        let payload = json!({ "algorithm": "hmac-sha256", "issued_at": NOW }).to_string();
        let request = parse(&sign(&payload, SECRET)).expect("lowercase algorithm");
        assert_eq!(request.algorithm, "hmac-sha256");
    }

    #[test]
    fn wrong_number_of_parts_is_malformed() {
        let valid = sign(&valid_payload(), SECRET);
        assert_malformed(parse("no-dot-at-all"));
        assert_malformed(parse(""));
        assert_malformed(parse(&format!("{valid}.extra")));
        assert_malformed(parse(&format!("{valid}.")));
        assert_malformed(parse("a.b.c"));
    }

    #[test]
    fn empty_parts_are_malformed() {
        let valid = sign(&valid_payload(), SECRET);
        let (signature, payload) = valid.split_once('.').expect("two parts");
        assert_malformed(parse("."));
        assert_malformed(parse(&format!(".{payload}")));
        assert_malformed(parse(&format!("{signature}.")));
    }

    #[test]
    fn bad_base64_is_malformed() {
        let encoded = URL_SAFE_NO_PAD.encode(valid_payload());
        // Signature with characters outside base64url (including the standard alphabet's '+').
        assert_malformed(parse(&format!("not*base64!.{encoded}")));
        assert_malformed(parse(&format!("ab+/cd.{encoded}")));
        // Impossible length (1 mod 4).
        assert_malformed(parse(&format!("abcde.{encoded}")));
        // A payload that is not base64url but carries a valid signature over its text.
        assert_malformed(parse(&sign_encoded("%%%not-base64%%%", SECRET)));
        assert_malformed(parse(&sign_encoded("abcde", SECRET)));
    }

    #[test]
    fn payload_is_not_decoded_before_signature_check() {
        // Garbage payload with a well-formed but wrong signature: rejected as a bad signature,
        // proving the payload was never decoded or parsed.
        let wrong_signature = signature_for("something-else", SECRET);
        assert_eq!(
            parse(&format!("{wrong_signature}.%%%garbage%%%")),
            Err(SignedRequestError::BadSignature)
        );
        let unsigned_bad_alg = URL_SAFE_NO_PAD.encode(r#"{"algorithm":"none","issued_at":0}"#);
        assert_eq!(
            parse(&format!("{wrong_signature}.{unsigned_bad_alg}")),
            Err(SignedRequestError::BadSignature)
        );
    }

    #[test]
    fn bad_json_is_malformed() {
        assert_malformed(parse(&sign("{not json", SECRET)));
        assert_malformed(parse(&sign("[1,2,3]", SECRET)));
        assert_malformed(parse(&sign("\"HMAC-SHA256\"", SECRET)));
        assert_malformed(parse(&sign_encoded(
            &URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00]),
            SECRET,
        )));
    }

    #[test]
    fn wrong_algorithm_is_unsupported() {
        let payload = json!({ "algorithm": "HMAC-SHA1", "issued_at": NOW }).to_string();
        assert_eq!(
            parse(&sign(&payload, SECRET)),
            Err(SignedRequestError::UnsupportedAlgorithm(
                "HMAC-SHA1".to_owned()
            ))
        );
        let long = "X".repeat(1_000);
        let payload = json!({ "algorithm": long, "issued_at": NOW }).to_string();
        match parse(&sign(&payload, SECRET)) {
            Err(SignedRequestError::UnsupportedAlgorithm(name)) => {
                assert_eq!(name.len(), MAX_ALGORITHM_LEN)
            }
            other => panic!("expected UnsupportedAlgorithm, got {other:?}"),
        }
    }

    #[test]
    fn signature_of_different_payload_is_rejected() {
        let other = sign(
            &json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW, "user_id": "1" }).to_string(),
            SECRET,
        );
        let (other_signature, _) = other.split_once('.').expect("two parts");
        let encoded = URL_SAFE_NO_PAD.encode(valid_payload());
        assert_eq!(
            parse(&format!("{other_signature}.{encoded}")),
            Err(SignedRequestError::BadSignature)
        );
    }

    #[test]
    fn tampered_payload_is_rejected() {
        let valid = sign(&valid_payload(), SECRET);
        let (signature, _) = valid.split_once('.').expect("two parts");
        let forged = json!({
            "algorithm": "HMAC-SHA256", "issued_at": NOW - 10, "expires": NOW + 3_600,
            "user_id": "4", "oauth_token": "EAAB-token", "code": "auth-code",
            "user": { "country": "us", "locale": "en_US", "age": { "min": 21 } }
        })
        .to_string();
        let forged = URL_SAFE_NO_PAD.encode(forged);
        assert_eq!(
            parse(&format!("{signature}.{forged}")),
            Err(SignedRequestError::BadSignature)
        );
    }

    #[test]
    fn truncated_or_extended_signature_is_rejected() {
        let encoded = URL_SAFE_NO_PAD.encode(valid_payload());
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).expect("HMAC takes any key length");
        mac.update(encoded.as_bytes());
        let tag = mac.finalize().into_bytes();

        for truncated in [&tag[..31], &tag[..16], &tag[..1]] {
            let value = format!("{}.{encoded}", URL_SAFE_NO_PAD.encode(truncated));
            assert_eq!(parse(&value), Err(SignedRequestError::BadSignature));
        }
        let mut extended = tag.to_vec();
        extended.push(0);
        let value = format!("{}.{encoded}", URL_SAFE_NO_PAD.encode(&extended));
        assert_eq!(parse(&value), Err(SignedRequestError::BadSignature));
    }

    #[test]
    fn signature_with_different_secret_is_rejected() {
        let value = sign(&valid_payload(), b"some-other-app-secret");
        assert_eq!(parse(&value), Err(SignedRequestError::BadSignature));
    }

    #[test]
    fn empty_secret_never_verifies() {
        let value = sign(&valid_payload(), b"");
        assert_eq!(
            parse_signed_request(&value, b"", NOW, MAX_AGE),
            Err(SignedRequestError::BadSignature)
        );
    }

    #[test]
    fn expired_request_is_rejected() {
        let at_now = json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW - 10, "expires": NOW })
            .to_string();
        assert_eq!(
            parse(&sign(&at_now, SECRET)),
            Err(SignedRequestError::Expired)
        );
        let past = json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW - 10, "expires": NOW - 1 })
            .to_string();
        assert_eq!(
            parse(&sign(&past, SECRET)),
            Err(SignedRequestError::Expired)
        );
        let future =
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW - 10, "expires": NOW + 1 })
                .to_string();
        assert!(parse(&sign(&future, SECRET)).is_ok());
    }

    #[test]
    fn too_old_request_is_rejected() {
        let too_old =
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW - MAX_AGE - 1 }).to_string();
        assert_eq!(
            parse(&sign(&too_old, SECRET)),
            Err(SignedRequestError::Expired)
        );
        let oldest_allowed =
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW - MAX_AGE }).to_string();
        assert!(parse(&sign(&oldest_allowed, SECRET)).is_ok());
    }

    #[test]
    fn issued_too_far_in_future_is_rejected() {
        let too_far =
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW + MAX_CLOCK_SKEW_SECS + 1 })
                .to_string();
        assert_eq!(
            parse(&sign(&too_far, SECRET)),
            Err(SignedRequestError::IssuedInFuture)
        );
        let within_skew =
            json!({ "algorithm": "HMAC-SHA256", "issued_at": NOW + MAX_CLOCK_SKEW_SECS })
                .to_string();
        assert!(parse(&sign(&within_skew, SECRET)).is_ok());
    }

    #[test]
    fn extreme_timestamps_do_not_panic() {
        for (issued_at, now) in [
            (i64::MIN, i64::MAX),
            (i64::MAX, i64::MIN),
            (i64::MIN, i64::MIN),
            (i64::MAX, i64::MAX),
            (0, i64::MAX),
        ] {
            let payload =
                json!({ "algorithm": "HMAC-SHA256", "issued_at": issued_at, "expires": i64::MIN })
                    .to_string();
            assert!(parse_signed_request(&sign(&payload, SECRET), SECRET, now, i64::MAX).is_err());
        }
        let huge = json!({ "algorithm": "HMAC-SHA256", "issued_at": u64::MAX }).to_string();
        assert_malformed(parse(&sign(&huge, SECRET)));
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let valid = sign(&valid_payload(), SECRET);
        let mut inputs: Vec<String> = [
            "",
            ".",
            "..",
            "é.ü",
            "\u{0}.\u{0}",
            "====.====",
            "=.=",
            "a=b.c=d",
            " . ",
            "\n.\t",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        for cut in 0..=valid.len() {
            inputs.push(valid[..cut].to_owned());
            inputs.push(valid[cut..].to_owned());
        }
        for input in &inputs {
            let _ = parse(input);
        }
        assert!(parse(&valid).is_ok());
    }

    #[test]
    fn debug_output_redacts_credentials() {
        let request = parse(&sign(&valid_payload(), SECRET)).expect("valid request");
        let debug = format!("{request:?}");
        assert!(!debug.contains("EAAB-token"), "{debug}");
        assert!(!debug.contains("auth-code"), "{debug}");
        assert!(debug.contains("<redacted>"));
        assert!(debug.contains("218471"));
    }

    #[test]
    fn deserialize_maps_fields_without_verifying() {
        let request: SignedRequest = serde_json::from_value(json!({
            "algorithm": "HMAC-SHA256", "issued_at": 5, "user_id": 42, "extra_field": [1]
        }))
        .expect("deserializes");
        assert_eq!(request.user_id.as_deref(), Some("42"));
        assert_eq!(request.extra.get("extra_field"), Some(&json!([1])));
        assert!(serde_json::from_value::<SignedRequest>(json!({ "issued_at": 5 })).is_err());
    }

    #[test]
    fn errors_have_helpful_messages() {
        assert_eq!(
            SignedRequestError::Malformed("payload part is empty").to_string(),
            "malformed signed_request: payload part is empty"
        );
        assert!(
            SignedRequestError::UnsupportedAlgorithm("HMAC-SHA1".into())
                .to_string()
                .contains("HMAC-SHA1")
        );
        assert!(
            SignedRequestError::BadSignature
                .to_string()
                .contains("signature")
        );
        assert!(SignedRequestError::Expired.to_string().contains("expired"));
        assert!(
            SignedRequestError::IssuedInFuture
                .to_string()
                .contains("future")
        );
    }

    #[test]
    fn arbitrary_and_mutated_values_are_refused_without_panicking() {
        let valid = sign(
            &json!({"algorithm": "HMAC-SHA256", "issued_at": NOW, "user_id": "42"}).to_string(),
            SECRET,
        );
        assert!(parse(&valid).is_ok());
        let pieces = &[".", "..", "-", "_", "=", "A", "eyJ", "e30", "+", "/"];
        social_testkit::fuzz::run("parse_signed_request", |rng| {
            let value = if rng.below(2) == 0 {
                rng.text(pieces, 12)
            } else {
                rng.mutate(&valid, pieces)
            };
            if let Ok(parsed) = parse(&value) {
                // Only the same signed bytes verify (a base64 padding-bit change decodes so).
                assert_eq!(parsed.user_id.as_deref(), Some("42"), "{value}");
            }
        });
    }
}
