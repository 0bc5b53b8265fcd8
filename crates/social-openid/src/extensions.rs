//! Simple Registration 1.1 and Attribute Exchange 1.0: asking for profile attributes and
//! reading the signed answers.

use std::collections::BTreeMap;

use serde_json::Value;

use super::message::{AX_NS, Message, SREG_NS};
use social_core::{
    error::{AuthError, Result},
    model::UserDetails,
    settings::{BackendSettings, TomlValue},
};

/// AX type of the e-mail address.
pub const AX_EMAIL: &str = "http://axschema.org/contact/email";
/// AX type of the full name.
pub const AX_FULLNAME: &str = "http://axschema.org/namePerson";
/// AX type of the nickname.
pub const AX_NICKNAME: &str = "http://axschema.org/namePerson/friendly";
/// AX type of the first name.
pub const AX_FIRST_NAME: &str = "http://axschema.org/namePerson/first";
/// AX type of the last name.
pub const AX_LAST_NAME: &str = "http://axschema.org/namePerson/last";

/// AX answers this many values of one attribute at most are read.
const MAX_AX_COUNT: usize = 32;

/// The attributes an authentication request asks for: SREG 1.1 field names (`email`,
/// `nickname`, ...) and AX 1.0 type URIs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attributes {
    /// SREG fields the RP needs (`openid.sreg.required`).
    pub sreg_required: Vec<String>,
    /// SREG fields the RP would like (`openid.sreg.optional`).
    pub sreg_optional: Vec<String>,
    /// AX types the RP needs (`openid.ax.required`).
    pub ax_required: Vec<String>,
    /// AX types the RP would like (`openid.ax.if_available`).
    pub ax_if_available: Vec<String>,
}

impl Attributes {
    /// Asks for nothing: no extension in the request.
    pub fn none() -> Self {
        Self::default()
    }

    /// python-social-auth's profile request: e-mail, full name and nickname by SREG (optional), and
    /// e-mail, full, nick, first and last name by AX (required).
    pub fn profile() -> Self {
        Self {
            sreg_required: Vec::new(),
            sreg_optional: ["email", "fullname", "nickname"].map(String::from).to_vec(),
            ax_required: [
                AX_EMAIL,
                AX_FULLNAME,
                AX_NICKNAME,
                AX_FIRST_NAME,
                AX_LAST_NAME,
            ]
            .map(String::from)
            .to_vec(),
            ax_if_available: Vec::new(),
        }
    }

    /// Adds the attributes kept as extra data, unless already asked for.
    pub(crate) fn add_extra(&mut self, sreg: &[AttributeField], ax: &[AttributeField]) {
        for field in sreg {
            if !self.sreg_required.contains(&field.name)
                && !self.sreg_optional.contains(&field.name)
            {
                self.sreg_optional.push(field.name.clone());
            }
        }
        for field in ax {
            if !self.ax_required.contains(&field.name)
                && !self.ax_if_available.contains(&field.name)
            {
                self.ax_required.push(field.name.clone());
            }
        }
    }

    /// The `openid.ns.sreg`, `openid.sreg.*`, `openid.ns.ax` and `openid.ax.*` parameters.
    pub(crate) fn params(&self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        if !self.sreg_required.is_empty() || !self.sreg_optional.is_empty() {
            params.push(("openid.ns.sreg".to_owned(), SREG_NS.to_owned()));
            let optional: Vec<&str> = self
                .sreg_optional
                .iter()
                .filter(|f| !self.sreg_required.contains(f))
                .map(String::as_str)
                .collect();
            for (key, list) in [
                ("openid.sreg.required", self.sreg_required.join(",")),
                ("openid.sreg.optional", optional.join(",")),
            ] {
                if !list.is_empty() {
                    params.push((key.to_owned(), list));
                }
            }
        }
        if !self.ax_required.is_empty() || !self.ax_if_available.is_empty() {
            params.push(("openid.ns.ax".to_owned(), AX_NS.to_owned()));
            params.push(("openid.ax.mode".to_owned(), "fetch_request".to_owned()));
            let mut aliases: Vec<String> = Vec::new();
            let mut required = Vec::new();
            let mut if_available = Vec::new();
            let wanted = self.ax_required.iter().map(|t| (t, true)).chain(
                self.ax_if_available
                    .iter()
                    .filter(|t| !self.ax_required.contains(t))
                    .map(|t| (t, false)),
            );
            for (type_uri, needed) in wanted {
                let alias = ax_alias(type_uri, &aliases);
                params.push((format!("openid.ax.type.{alias}"), type_uri.clone()));
                if needed {
                    required.push(alias.clone());
                } else {
                    if_available.push(alias.clone());
                }
                aliases.push(alias);
            }
            for (key, list) in [
                ("openid.ax.required", required),
                ("openid.ax.if_available", if_available),
            ] {
                if !list.is_empty() {
                    params.push((key.to_owned(), list.join(",")));
                }
            }
        }
        params
    }
}

/// A readable AX alias from the last segment of the type URI, unique in `taken`.
fn ax_alias(type_uri: &str, taken: &[String]) -> String {
    let last = type_uri
        .trim_end_matches('/')
        .rsplit(['/', '#', ':'])
        .next()
        .unwrap_or_default();
    let base: String = last
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(24)
        .collect();
    let base = if base.is_empty() {
        "attr".to_owned()
    } else {
        base
    };
    let mut alias = base.clone();
    let mut n = 2;
    while taken.contains(&alias) {
        alias = format!("{base}{n}");
        n += 1;
    }
    alias
}

/// One attribute kept in `extra_data`: an SREG field name or an AX type URI, stored under
/// `alias`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttributeField {
    /// The SREG field name or AX type URI.
    pub name: String,
    /// The key in `extra_data`.
    pub alias: String,
}

impl AttributeField {
    /// Keeps `name` under `alias`.
    pub fn new(name: &str, alias: &str) -> Self {
        Self {
            name: name.to_owned(),
            alias: alias.to_owned(),
        }
    }
}

fn valid_alias(alias: &str) -> bool {
    !alias.is_empty()
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Which extension an extra-data setting is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extension {
    Sreg,
    Ax,
}

impl Extension {
    pub(crate) fn option(self) -> &'static str {
        match self {
            Self::Sreg => "sreg_extra_data",
            Self::Ax => "ax_extra_data",
        }
    }
}

/// The fields of the `sreg_extra_data` or `ax_extra_data` setting of a backend: text
/// `"name:alias,name2:alias2"` (the last `:` separates the alias, so AX type URIs need no
/// quoting), or a TOML list of such strings or of `[name, alias]` pairs. An SREG field without
/// alias is stored under its own name; an AX type needs an alias.
pub(crate) fn extra_fields(
    backend: &str,
    settings: &BackendSettings,
    extension: Extension,
) -> Result<Vec<AttributeField>> {
    let setting = || settings.setting_name(backend, extension.option());
    let bad = |why: String| AuthError::config(&setting(), why);
    let entries: Vec<(String, Option<String>)> = match settings.options.get(extension.option()) {
        None => return Ok(Vec::new()),
        Some(TomlValue::String(text)) => text.split(',').map(|e| (e.to_owned(), None)).collect(),
        Some(TomlValue::Array(items)) => items
            .iter()
            .map(|item| match item {
                TomlValue::String(text) => Ok((text.clone(), None)),
                TomlValue::Array(pair) => match pair.as_slice() {
                    [TomlValue::String(name), TomlValue::String(alias)] => {
                        Ok((name.clone(), Some(alias.clone())))
                    }
                    _ => Err(bad(
                        "list entries must be `name:alias` or [name, alias]".into()
                    )),
                },
                _ => Err(bad(
                    "list entries must be `name:alias` or [name, alias]".into()
                )),
            })
            .collect::<Result<_>>()?,
        Some(_) => return Err(bad("expected `name:alias,...` or a list".into())),
    };
    let mut fields = Vec::new();
    for (entry, alias) in entries {
        let entry = entry.trim();
        if entry.is_empty() {
            continue;
        }
        let (name, alias) = match alias {
            Some(alias) => (entry, alias),
            None => match entry.rsplit_once(':') {
                Some((name, alias)) if valid_alias(alias) && !name.is_empty() => {
                    (name, alias.to_owned())
                }
                _ if extension == Extension::Sreg => (entry, entry.to_owned()),
                _ => return Err(bad(format!("`{entry}` needs an alias: `type_uri:alias`"))),
            },
        };
        if !valid_alias(&alias) {
            return Err(bad(format!(
                "alias `{alias}` may hold only letters, digits, `_` and `-`"
            )));
        }
        let name_ok = match extension {
            Extension::Sreg => name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            Extension::Ax => name.contains(':') && !name.contains([',', ' ', '\t', '\n']),
        };
        if !name_ok {
            return Err(bad(format!(
                "`{name}` is not an {}",
                match extension {
                    Extension::Sreg => "SREG field name",
                    Extension::Ax => "AX type URI",
                }
            )));
        }
        fields.push(AttributeField::new(name, &alias));
    }
    Ok(fields)
}

/// The alias an extension's namespace has in this message, when declared in a signed field.
fn alias_of(message: &Message, namespace: &str) -> Option<String> {
    message.signed_keys().iter().find_map(|key| {
        let alias = key.strip_prefix("ns.")?;
        (message.get(key) == Some(namespace)).then(|| alias.to_owned())
    })
}

/// The signed SREG fields of a positive assertion.
pub(crate) fn sreg_values(message: &Message) -> BTreeMap<String, String> {
    let Some(alias) = alias_of(message, SREG_NS) else {
        return BTreeMap::new();
    };
    let prefix = format!("{alias}.");
    message
        .signed_keys()
        .iter()
        .filter_map(|key| {
            let field = key.strip_prefix(&prefix).filter(|f| !f.contains('.'))?;
            Some((field.to_owned(), message.get(key)?.to_owned()))
        })
        .collect()
}

/// The signed AX values of a `fetch_response`, by type URI.
pub(crate) fn ax_values(message: &Message) -> BTreeMap<String, Vec<String>> {
    let mut values = BTreeMap::new();
    let Some(alias) = alias_of(message, AX_NS) else {
        return values;
    };
    let signed = |key: &str| message.is_signed(key).then(|| message.get(key)).flatten();
    if signed(&format!("{alias}.mode")) != Some("fetch_response") {
        return values;
    }
    let type_prefix = format!("{alias}.type.");
    for key in message.signed_keys() {
        let Some(attr) = key.strip_prefix(&type_prefix) else {
            continue;
        };
        let Some(type_uri) = message.get(key) else {
            continue;
        };
        let found: Vec<String> = match signed(&format!("{alias}.count.{attr}")) {
            Some(count) => {
                let count = count.parse::<usize>().unwrap_or(0).min(MAX_AX_COUNT);
                (1..=count)
                    .filter_map(|i| signed(&format!("{alias}.value.{attr}.{i}")))
                    .map(str::to_owned)
                    .collect()
            }
            None => signed(&format!("{alias}.value.{attr}"))
                .map(str::to_owned)
                .into_iter()
                .collect(),
        };
        if !found.is_empty() {
            values.insert(type_uri.to_owned(), found);
        }
    }
    values
}

/// Details from the `sreg` and `ax` parts of the default user data: nickname, e-mail, full,
/// first and last name. OpenID e-mails are never taken as verified.
pub fn profile_details(user: &Value) -> UserDetails {
    let sreg = |field: &str| user["sreg"][field].as_str();
    let ax = |type_uri: &str| user["ax"][type_uri][0].as_str();
    let mut details = UserDetails::new()
        .username(sreg("nickname").or_else(|| ax(AX_NICKNAME)))
        .email(sreg("email").or_else(|| ax(AX_EMAIL)));
    let (first, last) = (ax(AX_FIRST_NAME), ax(AX_LAST_NAME));
    if first.is_some() || last.is_some() {
        details = details.names(first, last);
    }
    if let Some(full) = sreg("fullname").or_else(|| ax(AX_FULLNAME)) {
        details = details.fullname(Some(full));
    }
    details
}

#[cfg(test)]
mod tests {
    use super::*;
    use social_core::settings::Settings;

    #[test]
    fn requests_name_both_extensions() {
        let mut attributes = Attributes::profile();
        attributes.add_extra(
            &[
                AttributeField::new("dob", "birthday"),
                AttributeField::new("email", "e"),
            ],
            &[AttributeField::new(
                "http://example.com/types/email",
                "work",
            )],
        );
        let params = attributes.params();
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("openid.ns.sreg"), Some(SREG_NS));
        assert_eq!(
            get("openid.sreg.optional"),
            Some("email,fullname,nickname,dob")
        );
        assert_eq!(get("openid.sreg.required"), None);
        assert_eq!(get("openid.ax.mode"), Some("fetch_request"));
        assert_eq!(get("openid.ax.type.email"), Some(AX_EMAIL));
        assert_eq!(
            get("openid.ax.type.email2"),
            Some("http://example.com/types/email")
        );
        assert_eq!(
            get("openid.ax.required"),
            Some("email,namePerson,friendly,first,last,email2")
        );
        assert!(Attributes::none().params().is_empty());
    }

    #[test]
    fn extra_data_settings_parse_from_env_text_and_toml_lists() {
        let settings = Settings::default()
            .with_vars([
                (
                    "SOCIAL_AUTH_OPENID_SREG_EXTRA_DATA".to_owned(),
                    "dob:birthday, country".to_owned(),
                ),
                (
                    "SOCIAL_AUTH_OPENID_AX_EXTRA_DATA".to_owned(),
                    "http://axschema.org/contact/web/blog:blog".to_owned(),
                ),
            ])
            .expect("valid variables");
        let mut settings = settings;
        settings.resolve_env(&["openid"]).expect("valid variables");
        let backend = settings.backend("openid");
        assert_eq!(
            extra_fields("openid", backend, Extension::Sreg).expect("valid"),
            [
                AttributeField::new("dob", "birthday"),
                AttributeField::new("country", "country")
            ]
        );
        assert_eq!(
            extra_fields("openid", backend, Extension::Ax).expect("valid"),
            [AttributeField::new(
                "http://axschema.org/contact/web/blog",
                "blog"
            )]
        );
        let toml = Settings::from_toml_str(
            r#"[backends.openid]
            ax_extra_data = [["http://axschema.org/pref/language", "lang"], "urn:x:y:z:alias"]
            sreg_extra_data = ["gender"]"#,
        )
        .expect("valid TOML");
        let backend = toml.backend("openid");
        assert_eq!(
            extra_fields("openid", backend, Extension::Ax).expect("valid"),
            [
                AttributeField::new("http://axschema.org/pref/language", "lang"),
                AttributeField::new("urn:x:y:z", "alias")
            ]
        );
        assert_eq!(
            extra_fields("openid", backend, Extension::Sreg)
                .expect("valid")
                .len(),
            1
        );
    }

    #[test]
    fn bad_extra_data_settings_name_the_setting() {
        for (option, value, extension) in [
            (
                "ax_extra_data",
                "http://axschema.org/contact/email",
                Extension::Ax,
            ),
            ("ax_extra_data", "http://x/y:bad.alias", Extension::Ax),
            ("sreg_extra_data", "Email:mail", Extension::Sreg),
            ("sreg_extra_data", "email:", Extension::Sreg),
        ] {
            let mut settings = BackendSettings::default();
            settings
                .options
                .insert(option.into(), TomlValue::String(value.into()));
            let err = extra_fields("steam", &settings, extension).expect_err(value);
            assert!(
                err.details()
                    .contains(&format!("SOCIAL_AUTH_STEAM_{}", option.to_uppercase())),
                "{err}"
            );
        }
    }

    #[test]
    fn profile_details_prefer_sreg_and_never_verify_email() {
        let user = serde_json::json!({
            "sreg": {"nickname": "joe", "email": "joe@example.com"},
            "ax": {
                AX_EMAIL: ["other@example.com"],
                AX_FIRST_NAME: ["Joe"],
                AX_LAST_NAME: ["Bloggs"],
            },
        });
        let details = profile_details(&user);
        assert_eq!(details.username.as_deref(), Some("joe"));
        assert_eq!(details.email.as_deref(), Some("joe@example.com"));
        assert!(!details.email_verified);
        assert_eq!(details.fullname.as_deref(), Some("Joe Bloggs"));
        assert_eq!(details.last_name.as_deref(), Some("Bloggs"));
    }
}
