//! OK's request signatures (<https://apiok.ru/en/dev/methods>), and the decoding of the
//! URL-encoded names OK may send.

use md5::{Digest, Md5};

/// MD5 of `text`, in lowercase hex.
pub(crate) fn md5_hex(text: &str) -> String {
    format!("{:x}", Md5::digest(text.as_bytes()))
}

/// The secret key of a call made with an OAuth access token:
/// `md5(access_token + application_secret_key)`, lowercase.
pub(crate) fn session_secret(access_token: &str, application_secret: &str) -> String {
    md5_hex(&format!("{access_token}{application_secret}"))
}

/// The `sig` of an API call: the parameters but the session (`access_token`, `session_key`),
/// sorted by name, written `name=value` and joined without separator, then `secret_key`;
/// MD5 of that, lowercase hex.
pub(crate) fn signature(params: &[(&str, &str)], secret_key: &str) -> String {
    let mut signed: Vec<&(&str, &str)> = params
        .iter()
        .filter(|(name, _)| !matches!(*name, "access_token" | "session_key" | "sig"))
        .collect();
    signed.sort_by(|a, b| a.0.cmp(b.0));
    let mut text: String = signed.iter().map(|(k, v)| format!("{k}={v}")).collect();
    text.push_str(secret_key);
    md5_hex(&text)
}

/// The `auth_sig` OK hands an iframe application: `md5(logged_user_id + session_key +
/// application_secret_key)`, lowercase hex.
pub(crate) fn auth_sig(
    logged_user_id: &str,
    session_key: &str,
    application_secret: &str,
) -> String {
    md5_hex(&format!(
        "{logged_user_id}{session_key}{application_secret}"
    ))
}

/// Decodes the `%XX` escapes of `text` as Python's `unquote` does (`+` stays a plus).
pub(crate) fn unquote(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = match (b, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&hi), Some(&lo)) => hex(hi).zip(hex(lo)),
            _ => None,
        };
        match escaped.and_then(|(hi, lo)| u8::try_from(hi * 16 + lo).ok()) {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::unquote;

    #[test]
    fn unquote_decodes_escapes_and_keeps_the_rest() {
        assert_eq!(unquote("%D0%98%D0%B2%D0%B0%D0%BD"), "Иван");
        assert_eq!(unquote("a+b%20c"), "a+b c");
        assert_eq!(unquote("100%"), "100%");
        assert_eq!(unquote("%zz%4"), "%zz%4");
    }
}
