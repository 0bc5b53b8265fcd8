//! MD5 signatures of VK's legacy schemes, compared in constant time.

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

/// The lower-case hex MD5 of `text`.
pub(crate) fn md5_hex(text: &str) -> String {
    format!("{:x}", Md5::digest(text.as_bytes()))
}

/// Whether the signature `given` (hex, any case) is `expected` (lower-case hex), compared in
/// constant time.
pub(crate) fn same_signature(given: &str, expected: &str) -> bool {
    let given = given.trim().to_ascii_lowercase();
    bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// The signature of an Open API session: MD5 of its fields `expire`, `mid`, `secret`, `sid`
/// written `name=value` in that (alphabetical) order, then the application secret.
pub(crate) fn openapi_sig(
    expire: &str,
    mid: &str,
    secret: &str,
    sid: &str,
    app_secret: &str,
) -> String {
    md5_hex(&format!(
        "expire={expire}mid={mid}secret={secret}sid={sid}{app_secret}"
    ))
}

/// The `auth_key` of an iframe application launch: MD5 of `<app id>_<viewer id>_<app secret>`.
pub(crate) fn app_auth_key(app_id: &str, viewer_id: &str, app_secret: &str) -> String {
    md5_hex(&format!("{app_id}_{viewer_id}_{app_secret}"))
}
