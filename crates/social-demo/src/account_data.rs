//! An account's extra data as the profile shows it: a readable label per key, values in
//! words, and nothing that could be a credential.

use social_core::{Value, serde_json::Map};

use crate::html::utc;

/// Keys with a label of their own, in the order the profile lists them. The access token's
/// expiry (`expires_at`) has a row of its own on the profile and is not listed here.
const KNOWN: &[(&str, &str)] = &[
    ("login", "Username there"),
    ("username", "Username there"),
    ("email_verified", "E-mail verified"),
    ("scope", "Scopes"),
    ("auth_time", "Last login with it"),
];

/// Keys left out: shown elsewhere on the profile.
const SHOWN_ELSEWHERE: &[&str] = &["expires_at"];

/// Parts of a key that make it a credential wherever they appear (`oauth_token_secret`,
/// `accessToken`).
const SECRET_PARTS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passwd",
    "credential",
    "private",
    "signature",
];

/// Words of a key that make it a credential (`api_key`, `session_key`, `code`), matched as
/// whole words so that `keyboard_layout` stays.
const SECRET_WORDS: &[&str] = &[
    "key",
    "code",
    "pin",
    "otp",
    "cookie",
    "session",
    "assertion",
    "sig",
    "nonce",
];

/// The rows to show for `extra_data`: (label, value in words), known keys first.
///
/// `extra_data` should already be without tokens (`social_axum::Association` drops keys naming
/// a token or secret); this checks again, with a longer list, and inside nested values too.
pub(crate) fn rows(extra_data: &Map<String, Value>) -> Vec<(String, String)> {
    let shown = |key: &str| !SHOWN_ELSEWHERE.contains(&key) && !is_secret(key);
    let mut rows: Vec<(String, String)> = Vec::new();
    for (key, label) in KNOWN {
        if let Some(value) = extra_data.get(*key).filter(|_| shown(key)) {
            rows.push(((*label).to_owned(), text(key, value)));
        }
    }
    let mut others: Vec<(String, String)> = extra_data
        .iter()
        .filter(|(key, _)| shown(key) && !KNOWN.iter().any(|(known, _)| known == key))
        .map(|(key, value)| (humanise(key), text(key, value)))
        .collect();
    others.sort();
    rows.extend(others);
    rows
}

/// Whether `key` may hold a credential.
fn is_secret(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    SECRET_PARTS.iter().any(|part| lower.contains(part))
        || words(key).any(|word| SECRET_WORDS.contains(&word.as_str()))
}

/// The lower-case words of a key: split at `_`, `-`, `.`, spaces and camelCase humps.
fn words(key: &str) -> impl Iterator<Item = String> {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if matches!(c, '_' | '-' | '.' | ' ') {
            words.push(std::mem::take(&mut current));
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    words.push(current);
    words.into_iter().filter(|w| !w.is_empty())
}

/// A label for a key nobody named: `xoauth_yahoo_guid` reads "Xoauth yahoo guid".
pub(crate) fn humanise(key: &str) -> String {
    let sentence = words(key).collect::<Vec<_>>().join(" ");
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => key.to_owned(),
    }
}

/// A value in words: dates for Unix times (`auth_time`, `*_at`), yes or no, lists joined.
fn text(key: &str, value: &Value) -> String {
    match value {
        Value::Number(n) if key == "auth_time" || key.ends_with("_at") => {
            n.as_i64().map_or_else(|| n.to_string(), utc)
        }
        // Scopes come space-separated (RFC 6749) or, from some providers, comma-separated.
        Value::String(s) if key == "scope" => s
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::Null => "-".to_owned(),
        Value::Array(items) if items.iter().all(|i| !i.is_array() && !i.is_object()) => items
            .iter()
            .map(|item| text("", item))
            .collect::<Vec<_>>()
            .join(", "),
        other => scrubbed(other).to_string(),
    }
}

/// `value` without credentials at any depth.
fn scrubbed(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(key, _)| !is_secret(key))
                .map(|(key, value)| (key.clone(), scrubbed(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(scrubbed).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use social_core::serde_json::json;

    use super::*;

    #[test]
    fn keys_read_as_labels_and_credentials_stay_out() {
        let data = json!({
            "scope": "openid profile,email",
            "email_verified": true,
            "login": "octocat",
            "xoauth_yahoo_guid": "G1",
            "accessibleResources": ["site-a", "site-b"],
            "keyboard_layout": "dvorak",
            "api_key": "k",
            "oauthTokenSecret": "s",
            "session_key": "s",
            "code": "c",
            "expires_at": 1,
            "profile": {"name": "Octo", "access_token": "t", "nested": [{"client_secret": "x"}]},
        });
        let Value::Object(map) = data else {
            panic!("an object")
        };
        let rows = rows(&map);
        let labels: Vec<&str> = rows.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(
            labels,
            [
                "Username there",
                "E-mail verified",
                "Scopes",
                "Accessible resources",
                "Keyboard layout",
                "Profile",
                "Xoauth yahoo guid",
            ]
        );
        let value = |label: &str| {
            rows.iter()
                .find(|(l, _)| l == label)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(value("Scopes"), Some("openid, profile, email"));
        assert_eq!(value("E-mail verified"), Some("yes"));
        assert_eq!(value("Accessible resources"), Some("site-a, site-b"));
        assert_eq!(value("Profile"), Some(r#"{"name":"Octo","nested":[{}]}"#));
    }
}
