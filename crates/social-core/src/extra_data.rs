//! Which parts of a provider's answer are kept as an account's `extra_data`.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One field to keep: the provider's `name`, stored under `alias`, dropped when `discard` is set
/// and the value is falsy (null, false, 0, "" or empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ExtraDataField {
    /// The key in the provider's user data or token response.
    pub name: String,
    /// The key in `extra_data`.
    pub alias: String,
    /// Skip falsy values instead of storing them.
    pub discard: bool,
}

impl ExtraDataField {
    /// Keeps `name` under its own name.
    pub fn new(name: &str) -> Self {
        Self::aliased(name, name)
    }

    /// Keeps `name` under `alias`.
    pub fn aliased(name: &str, alias: &str) -> Self {
        Self {
            name: name.to_owned(),
            alias: alias.to_owned(),
            discard: false,
        }
    }

    /// Skips the field when its value is falsy.
    #[must_use]
    pub fn discard_if_falsy(mut self) -> Self {
        self.discard = true;
        self
    }
}

impl FromStr for ExtraDataField {
    type Err = String;

    /// Parses `name`, `name:alias` or `name:alias:discard`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(':').map(str::trim).collect();
        let bad = || format!("`{s}` is not `name`, `name:alias` or `name:alias:true`");
        match parts.as_slice() {
            [name] if !name.is_empty() => Ok(Self::new(name)),
            [name, alias] if !name.is_empty() && !alias.is_empty() => {
                Ok(Self::aliased(name, alias))
            }
            [name, alias, discard] if !name.is_empty() && !alias.is_empty() => {
                let discard = match *discard {
                    "true" | "1" => true,
                    "false" | "0" => false,
                    _ => return Err(bad()),
                };
                Ok(Self {
                    discard,
                    ..Self::aliased(name, alias)
                })
            }
            _ => Err(bad()),
        }
    }
}

impl<'de> Deserialize<'de> for ExtraDataField {
    /// Accepts `"name"`, `"name:alias"`, `["name", "alias"]`, `["name", "alias", true]`.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Text(String),
            Pair(String, String),
            Triple(String, String, bool),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Text(s) => s.parse().map_err(serde::de::Error::custom),
            Repr::Pair(n, a) => Ok(Self::aliased(&n, &a)),
            Repr::Triple(n, a, d) => Ok(Self {
                discard: d,
                ..Self::aliased(&n, &a)
            }),
        }
    }
}

impl fmt::Display for ExtraDataField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.name, self.alias, self.discard)
    }
}

fn is_falsy(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// Picks `fields` from the user data, falling back to the token response, into `out`.
pub fn select(
    fields: &[ExtraDataField],
    user: &Value,
    token_response: &Value,
    out: &mut Map<String, Value>,
) {
    for field in fields {
        let value = user
            .get(&field.name)
            .or_else(|| token_response.get(&field.name))
            .cloned()
            .unwrap_or(Value::Null);
        if field.discard && is_falsy(&value) {
            continue;
        }
        out.insert(field.alias.clone(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_aliases_and_discards_falsy() {
        let fields = vec![
            ExtraDataField::new("login"),
            ExtraDataField::aliased("id", "github_id"),
            ExtraDataField::new("bio").discard_if_falsy(),
            ExtraDataField::new("blog"),
            ExtraDataField::new("scope"),
        ];
        let mut out = Map::new();
        select(
            &fields,
            &json!({"login": "octo", "id": 1, "bio": "", "blog": ""}),
            &json!({"scope": "read:user"}),
            &mut out,
        );
        assert_eq!(
            Value::Object(out),
            json!({"login": "octo", "github_id": 1, "blog": "", "scope": "read:user"})
        );
    }

    #[test]
    fn parses_all_spellings() {
        assert_eq!("a".parse::<ExtraDataField>(), Ok(ExtraDataField::new("a")));
        assert_eq!(
            "a:b".parse::<ExtraDataField>(),
            Ok(ExtraDataField::aliased("a", "b"))
        );
        assert!(
            "a:b:true"
                .parse::<ExtraDataField>()
                .is_ok_and(|f| f.discard)
        );
        assert!("a:b:maybe".parse::<ExtraDataField>().is_err());
        assert!(":b".parse::<ExtraDataField>().is_err());
        let f: Vec<ExtraDataField> =
            serde_json::from_value(json!(["x", ["y", "z"], ["p", "q", true]])).expect("parses");
        assert_eq!(f[1], ExtraDataField::aliased("y", "z"));
        assert!(f[2].discard);
    }
}
