//! OpenID 2.0 messages: namespaces, the key-value form, the fields of a response and the
//! timestamp of `openid.response_nonce`.

use std::collections::BTreeMap;

use social_core::{
    error::{AuthError, ErrorKind, Result, Stage},
    strategy::Strategy,
};

/// The OpenID 2.0 namespace, the value of `openid.ns`.
pub const OPENID2_NS: &str = "http://specs.openid.net/auth/2.0";
/// The identifier the RP sends when the OP lets the user choose one (§9.1).
pub const IDENTIFIER_SELECT: &str = "http://specs.openid.net/auth/2.0/identifier_select";
/// The XRDS service type of an OP Identifier Element (§7.3.2.1.1).
pub const SERVER_TYPE: &str = "http://specs.openid.net/auth/2.0/server";
/// The XRDS service type of a Claimed Identifier Element (§7.3.2.1.2).
pub const SIGNON_TYPE: &str = "http://specs.openid.net/auth/2.0/signon";
/// The Simple Registration 1.1 namespace.
pub const SREG_NS: &str = "http://openid.net/extensions/sreg/1.1";
/// The Attribute Exchange 1.0 namespace.
pub const AX_NS: &str = "http://openid.net/srv/ax/1.0";

/// Parses a key-value form body (§4.1.1): one `key:value` per line, each line ending in `\n`.
pub(crate) fn parse_kv(body: &[u8]) -> std::result::Result<BTreeMap<String, String>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_owned())?;
    let mut fields = BTreeMap::new();
    for line in text.split('\n') {
        // Some servers end lines with CRLF; the spec does not, but nothing else can be meant.
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .ok_or_else(|| format!("line `{}` has no `:`", excerpt(line)))?;
        if fields.insert(key.to_owned(), value.to_owned()).is_some() {
            return Err(format!("key `{}` appears twice", excerpt(key)));
        }
    }
    Ok(fields)
}

/// Encodes pairs in key-value form; refuses keys and values that would change the framing.
pub(crate) fn encode_kv<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for (key, value) in pairs {
        // A newline in a value would let one signed field forge another line.
        if key.contains([':', '\n']) || value.contains('\n') {
            return Err(format!("field `{}` cannot be encoded", excerpt(key)));
        }
        out.extend_from_slice(key.as_bytes());
        out.push(b':');
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

/// The first characters of untrusted text, for error details.
pub(crate) fn excerpt(text: &str) -> String {
    text.chars().take(100).filter(|c| !c.is_control()).collect()
}

/// The fields of a response without the `openid.` prefix.
///
/// The strategy cannot list request parameters, so only the protocol's own fields and the
/// fields named in `openid.signed` are read: extension data is trusted only when signed
/// anyway, and a `check_authentication` call needs no more than that to recompute the MAC.
#[derive(Debug, Clone)]
pub(crate) struct Message {
    fields: BTreeMap<String, String>,
    signed: Vec<String>,
}

const CORE_FIELDS: &[&str] = &[
    "ns",
    "mode",
    "op_endpoint",
    "claimed_id",
    "identity",
    "return_to",
    "response_nonce",
    "invalidate_handle",
    "assoc_handle",
    "signed",
    "sig",
];

impl Message {
    /// Reads an `id_res` response from the request.
    pub(crate) fn from_request(strategy: &dyn Strategy) -> Result<Self> {
        let mut fields = BTreeMap::new();
        for key in CORE_FIELDS {
            if let Some(value) = strategy.param(&format!("openid.{key}")) {
                fields.insert((*key).to_owned(), value);
            }
        }
        let signed: Vec<String> = match fields.get("signed") {
            Some(list) => list.split(',').map(str::to_owned).collect(),
            None => {
                return Err(AuthError::missing_parameter(
                    Stage::Callback,
                    "openid.signed",
                ));
            }
        };
        if signed.iter().any(|k| k.is_empty()) {
            return Err(failed("`openid.signed` has an empty entry"));
        }
        for key in &signed {
            if !fields.contains_key(key) {
                let value = strategy.param(&format!("openid.{key}")).ok_or_else(|| {
                    failed(format!(
                        "`openid.signed` names `{}`, which is missing",
                        excerpt(key)
                    ))
                })?;
                fields.insert(key.clone(), value);
            }
        }
        Ok(Self { fields, signed })
    }

    /// A field by its name without `openid.`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// A field that must be present.
    pub(crate) fn required(&self, key: &str) -> Result<&str> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AuthError::missing_parameter(Stage::Callback, &format!("openid.{key}")))
    }

    /// Whether `key` is covered by the signature.
    pub(crate) fn is_signed(&self, key: &str) -> bool {
        self.signed.iter().any(|k| k == key)
    }

    /// The signed keys, in the order of `openid.signed`.
    pub(crate) fn signed_keys(&self) -> &[String] {
        &self.signed
    }

    /// The signed fields in key-value form: the text the MAC covers (§6.1).
    pub(crate) fn signed_kv(&self) -> Result<Vec<u8>> {
        encode_kv(
            self.signed
                .iter()
                .map(|k| (k.as_str(), self.get(k).unwrap_or_default())),
        )
        .map_err(failed)
    }

    /// Every field with the `openid.` prefix, `mode` replaced by `mode`.
    pub(crate) fn with_mode(&self, mode: &str) -> Vec<(String, String)> {
        self.fields
            .iter()
            .map(|(k, v)| {
                let value = if k == "mode" { mode } else { v.as_str() };
                (format!("openid.{k}"), value.to_owned())
            })
            .collect()
    }
}

/// A verification failure of the callback.
pub(crate) fn failed(details: impl Into<String>) -> AuthError {
    AuthError::new(ErrorKind::Failed, Stage::Callback, details)
}

/// Splits `openid.response_nonce` into its time (Unix seconds) and its unique part (§10.1):
/// `2005-05-15T17:11:51Z` followed by printable ASCII, at most 255 characters in all.
pub(crate) fn split_nonce(nonce: &str) -> Option<(i64, &str)> {
    if nonce.len() > 255 || !nonce.bytes().all(|b| (33..=126).contains(&b)) {
        return None;
    }
    let stamp = nonce.get(..20)?;
    let rest = &nonce[20..];
    let b = stamp.as_bytes();
    let shape_ok = b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape_ok {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = stamp.get(range)?;
        if !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3_600 + minute * 60 + second, rest))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    // Count years from March so that the leap day ends the year.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_form_round_trips_and_refuses_framing_tricks() {
        let body = encode_kv([("mode", "id_res"), ("return_to", "http://x/?a=b:c")])
            .expect("plain fields encode");
        assert_eq!(body, b"mode:id_res\nreturn_to:http://x/?a=b:c\n");
        let parsed = parse_kv(&body).expect("parses");
        assert_eq!(parsed["return_to"], "http://x/?a=b:c");
        assert!(encode_kv([("nickname", "joe\nis_valid:true")]).is_err());
        assert!(encode_kv([("a:b", "c")]).is_err());
        assert!(parse_kv(b"no colon here\n").is_err());
        assert!(parse_kv(b"a:1\na:2\n").is_err());
        assert_eq!(
            parse_kv(b"is_valid:true\r\nns:x\r\n").expect("CRLF tolerated")["is_valid"],
            "true"
        );
    }

    #[test]
    fn nonce_timestamps_parse_strictly() {
        assert_eq!(split_nonce("1970-01-01T00:00:00Z"), Some((0, "")));
        assert_eq!(
            split_nonce("2005-05-15T17:11:51ZUNIQUE"),
            Some((1_116_177_111, "UNIQUE"))
        );
        assert_eq!(
            split_nonce("2024-02-29T23:59:59Zx").map(|(t, _)| t),
            Some(1_709_251_199)
        );
        for bad in [
            "",
            "2005-05-15 17:11:51Z",
            "2005-05-15T17:11:51",
            "2023-02-29T00:00:00Z",
            "2005-13-01T00:00:00Z",
            "2005-05-15T24:00:00Z",
            "+005-05-15T17:11:51Z",
            "2005-05-15T17:11:51Z has spaces",
        ] {
            assert_eq!(split_nonce(bad), None, "{bad:?}");
        }
        assert_eq!(
            split_nonce(&format!("2005-05-15T17:11:51Z{}", "x".repeat(236))),
            None
        );
    }

    /// Every part of the timestamp is read and checked on its own: dates against Unix times
    /// computed elsewhere (Python's `calendar.timegm`), each month's last day, leap years by
    /// all three rules, each separator and each field's range, the length and byte limits.
    #[test]
    fn nonce_timestamps_are_exact_and_every_rule_holds() {
        for (stamp, unix) in [
            ("1970-01-01T00:00:00Z", 0),
            ("1969-12-31T23:59:59Z", -1),
            ("1999-12-31T23:59:59Z", 946_684_799),
            ("2000-02-29T12:00:00Z", 951_825_600),
            ("2000-03-01T00:00:00Z", 951_868_800),
            ("1900-02-28T00:00:00Z", -2_203_977_600),
            ("2024-02-29T08:30:15Z", 1_709_195_415),
            ("2026-12-03T06:40:00Z", 1_796_280_000),
            ("2100-03-01T00:00:00Z", 4_107_542_400),
            ("0001-01-01T00:00:00Z", -62_135_596_800),
            ("2038-01-19T03:14:08Z", 2_147_483_648),
        ] {
            assert_eq!(
                split_nonce(&format!("{stamp}u-1")),
                Some((unix, "u-1")),
                "{stamp}"
            );
        }
        let last_days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        for (month, last) in (1..=12).zip(last_days) {
            let day = |d: i64| format!("2023-{month:02}-{d:02}T00:00:00Z");
            assert!(split_nonce(&day(last)).is_some(), "{}", day(last));
            assert!(split_nonce(&day(last + 1)).is_none(), "{}", day(last + 1));
            assert!(split_nonce(&day(0)).is_none());
        }
        for (year, leap) in [
            (2024, true),
            (2023, false),
            (2000, true),
            (1900, false),
            (2100, false),
            (2400, true),
        ] {
            assert_eq!(
                split_nonce(&format!("{year}-02-29T00:00:00Z")).is_some(),
                leap,
                "{year}"
            );
            assert_eq!(days_in_month(year, 2), if leap { 29 } else { 28 });
        }
        assert!(split_nonce("2023-00-10T00:00:00Z").is_none());
        for (field, good, bad) in [
            ("hour", "2023-05-10T23:00:00Z", "2023-05-10T24:00:00Z"),
            ("minute", "2023-05-10T00:59:00Z", "2023-05-10T00:60:00Z"),
            ("second", "2023-05-10T00:00:59Z", "2023-05-10T00:00:60Z"),
        ] {
            assert!(split_nonce(good).is_some(), "{field}");
            assert!(split_nonce(bad).is_none(), "{field}");
        }
        let good = "2023-05-10T11:22:33Z";
        for at in [4, 7, 10, 13, 16, 19] {
            let mut bad = good.as_bytes().to_vec();
            bad[at] = b'0';
            let bad = String::from_utf8(bad).expect("ASCII");
            assert!(split_nonce(&bad).is_none(), "{bad}");
        }
        for at in [0, 5, 8, 11, 14, 17] {
            let mut bad = good.as_bytes().to_vec();
            bad[at] = b'x';
            let bad = String::from_utf8(bad).expect("ASCII");
            assert!(split_nonce(&bad).is_none(), "{bad}");
        }
        // 255 characters in all at most; printable ASCII only (33 to 126).
        let longest = format!("{good}{}", "x".repeat(235));
        assert_eq!(longest.len(), 255);
        assert!(split_nonce(&longest).is_some());
        assert!(split_nonce(&format!("{longest}x")).is_none());
        assert!(split_nonce(&format!("{good}!~")).is_some());
        assert!(split_nonce(&format!("{good} ")).is_none());
        assert!(split_nonce(&format!("{good}\u{7f}")).is_none());
        assert!(split_nonce("2023-05-10").is_none());
    }
}
