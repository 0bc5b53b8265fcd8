//! Provider settings as typed values: [`Configure`], what a backend declares and parses of its
//! settings once, when [`SocialAuth`](crate::SocialAuth) is built.
//!
//! Values come from TOML (typed) or from the environment (text); one lenient reading serves
//! both: a text value is taken as a boolean, a number or a comma-separated list when the field
//! asks for one. A key no backend declares, or a value of the wrong type, is an error naming
//! the environment variable or TOML key it came from.

use std::{borrow::Cow, collections::BTreeSet, fmt};

use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use super::{BackendSettings, Endpoint, env_name, parse_bool};
use crate::error::{AuthError, Result};

/// Settings every backend takes, whatever its protocol.
const COMMON: &[&str] = &[
    "key",
    "secret",
    "scope",
    "extra_scope",
    "auth_extra_arguments",
    "request_token_extra_arguments",
    "extra_data",
    "whitelisted_domains",
    "whitelisted_emails",
    "association_only",
];

/// What a backend reads of its settings, handed to [`Backend::configure`](crate::Backend::configure)
/// once when [`SocialAuth`](crate::SocialAuth) is built.
///
/// A backend declares the endpoints it calls ([`Configure::endpoints`]) and parses its own
/// options into a `serde` type ([`Configure::options`]); the parsed value is kept with the
/// backend's settings and read at each request with
/// [`ProviderCx::options`](crate::ProviderCx::options). When `configure` returns, any option
/// or endpoint nobody declared is a start-up error naming its variable or key.
pub struct Configure<'a> {
    name: &'a str,
    settings: &'a mut BackendSettings,
    endpoints: BTreeSet<&'static str>,
    options: BTreeSet<String>,
    accepts_any: bool,
}

impl fmt::Debug for Configure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Configure")
            .field("name", &self.name)
            .field("endpoints", &self.endpoints)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'a> Configure<'a> {
    /// Starts configuring backend `name` from `settings`.
    pub fn new(name: &'a str, settings: &'a mut BackendSettings) -> Self {
        settings.normalize();
        Self {
            name,
            settings,
            endpoints: BTreeSet::new(),
            options: BTreeSet::new(),
            accepts_any: false,
        }
    }

    /// Runs `backend`'s [`configure`](crate::Backend::configure) over a copy of `settings` and
    /// checks what it left undeclared, as [`SocialAuthBuilder::build`] does; returns the
    /// settings with their parsed values. For applications that check a backend before
    /// registering it.
    ///
    /// [`SocialAuthBuilder::build`]: crate::SocialAuthBuilder::build
    pub fn run(
        backend: &dyn crate::Backend,
        settings: &BackendSettings,
    ) -> Result<BackendSettings> {
        let mut settings = settings.clone();
        let name = backend.name();
        let mut cx = Configure::new(name, &mut settings);
        backend
            .configure(&mut cx)
            .map_err(|e| e.or_provider(name))?;
        cx.finish().map_err(|e| e.or_provider(name))?;
        Ok(settings)
    }

    /// The backend name.
    pub fn name(&self) -> &str {
        self.name
    }

    /// The backend's settings as given.
    pub fn settings(&self) -> &BackendSettings {
        self.settings
    }

    /// How the setting `key` of this backend is named where it was set: the environment
    /// variable (`SOCIAL_AUTH_GITHUB_TEAM_ID`) or the TOML key (`backends.github.team_id`).
    pub fn setting_name(&self, key: &str) -> String {
        self.settings.setting_name(self.name, key)
    }

    /// A configuration error about the setting `key`.
    pub fn error(&self, key: &str, problem: impl fmt::Display) -> AuthError {
        AuthError::config(&self.setting_name(key), problem).with_provider(self.name)
    }

    /// The error of a required setting `key` that is not set, naming both places it may be
    /// set in.
    fn not_set(&self, key: &str) -> AuthError {
        self.error(
            key,
            format_args!(
                "is not set (the variable, or `{key}` in [backends.{}] of a settings file)",
                self.name
            ),
        )
    }

    /// Declares the endpoints this backend calls, so settings of these names move them.
    pub fn endpoints(&mut self, endpoints: &[Endpoint]) -> &mut Self {
        self.endpoints.extend(endpoints.iter().map(|e| e.setting()));
        self
    }

    /// Declares option names read as raw values ([`BackendSettings::option`]).
    pub fn declare(&mut self, options: &[&str]) -> &mut Self {
        self.options.extend(options.iter().map(|o| (*o).to_owned()));
        self
    }

    /// Accepts options of any name: for backends whose option names are data (a generic
    /// backend that forwards them).
    pub fn accept_any_option(&mut self) -> &mut Self {
        self.accepts_any = true;
        self
    }

    /// Requires `KEY` and `SECRET`.
    pub fn require_key_and_secret(&self) -> Result<()> {
        self.require_key()?;
        if self
            .settings
            .secret
            .as_ref()
            .is_none_or(|s| s.secret().is_empty())
        {
            return Err(self.not_set("secret"));
        }
        Ok(())
    }

    /// Requires `KEY`.
    pub fn require_key(&self) -> Result<()> {
        if self.settings.key.as_deref().is_none_or(str::is_empty) {
            return Err(self.not_set("key"));
        }
        Ok(())
    }

    /// Parses the options that `T`'s fields name (a `#[derive(Deserialize)]` struct with
    /// `#[serde(default)]`), declares them, keeps the value for
    /// [`ProviderCx::options`](crate::ProviderCx::options) and returns it.
    ///
    /// An error names the variable or key and what was expected.
    pub fn options<T>(&mut self) -> Result<T>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let fields = struct_fields::<T>();
        let entries = self
            .settings
            .options
            .iter()
            .filter(|(k, _)| fields.is_none_or(|f| f.contains(&k.as_str())))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let value: T = from_entries(entries).map_err(|e| {
            let key = e.key.as_deref().unwrap_or("");
            AuthError::config(&self.setting_name(key), e.message).with_provider(self.name)
        })?;
        match fields {
            Some(fields) => self.declare(fields),
            None => self.accept_any_option(),
        };
        self.keep(value.clone());
        Ok(value)
    }

    /// Keeps a value derived from the settings for
    /// [`ProviderCx::options`](crate::ProviderCx::options).
    pub fn keep<T: Clone + Send + Sync + 'static>(&mut self, value: T) {
        self.settings.typed.insert(value);
    }

    /// Checks that every option and endpoint set was declared. Called by the engine after
    /// [`Backend::configure`](crate::Backend::configure).
    pub fn finish(self) -> Result<()> {
        let known = |key: &str| {
            COMMON.contains(&key)
                || self.endpoints.contains(key)
                || self.accepts_any
                || self.options.contains(key)
        };
        let unknown = self
            .settings
            .options
            .keys()
            .chain(self.settings.endpoints.keys())
            .find(|k| !known(k));
        if let Some(key) = unknown {
            let mut names: Vec<String> = COMMON
                .iter()
                .copied()
                .chain(self.endpoints.iter().copied())
                .chain(self.options.iter().map(String::as_str))
                .map(|k| k.to_ascii_uppercase())
                .collect();
            names.sort();
            names.dedup();
            return Err(AuthError::config(
                &self.setting_name(key),
                format!(
                    "is not a setting of backend `{}`; it reads {}",
                    self.name,
                    names.join(", ")
                ),
            )
            .with_provider(self.name));
        }
        for (key, url) in &self.settings.endpoints {
            if url::Url::parse(url).map(|u| u.scheme().starts_with("http")) != Ok(true) {
                return Err(AuthError::config(
                    &self.setting_name(key),
                    format!("`{url}` is not an http(s) URL"),
                )
                .with_provider(self.name));
            }
        }
        Ok(())
    }
}

impl BackendSettings {
    /// The parsed options of type `T` kept by [`Configure::options`], if any.
    pub fn typed<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.typed.get::<T>()
    }

    /// The parsed options of type `T`, or `T::default()` when the backend kept none (settings
    /// built by hand, outside [`SocialAuth`](crate::SocialAuth)).
    pub fn typed_or_default<T: Default + Clone + Send + Sync + 'static>(&self) -> Cow<'_, T> {
        self.typed
            .get::<T>()
            .map_or_else(|| Cow::Owned(T::default()), Cow::Borrowed)
    }

    /// How the setting `key` of backend `backend` is named where it was set.
    pub fn setting_name(&self, backend: &str, key: &str) -> String {
        if key.is_empty() {
            return format!("settings of backend `{backend}`");
        }
        if self.from_toml.contains(key) {
            format!("backends.{backend}.{key}")
        } else {
            env_name(Some(backend), key)
        }
    }
}

/// The field names of struct `T`, when it deserializes as a struct.
fn struct_fields<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    struct Capture(Option<&'static [&'static str]>);
    let mut capture = Capture(None);
    impl<'de> de::Deserializer<'de> for &mut Capture {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(de::Error::custom("fields captured"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let _ = T::deserialize(&mut capture);
    capture.0
}

/// An option error, with the key it concerns.
#[derive(Debug)]
struct OptionError {
    key: Option<String>,
    message: String,
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OptionError {}

impl de::Error for OptionError {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Self {
            key: None,
            message: msg.to_string(),
        }
    }
}

/// A setting's value read leniently: text (from the environment) is taken as a boolean,
/// number or comma-separated list when the field asks for one.
struct Lenient(toml::Value);

impl<'de> IntoDeserializer<'de, OptionError> for Lenient {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

fn toml_err(e: toml::de::Error) -> OptionError {
    de::Error::custom(e.message())
}

macro_rules! parsed {
    ($($method:ident => $visit:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
            match self.0 {
                toml::Value::String(text) => match text.trim().parse() {
                    Ok(n) => visitor.$visit(n),
                    Err(_) => Err(de::Error::custom(format!("`{text}` is not a number"))),
                },
                other => other.$method(visitor).map_err(toml_err),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Lenient {
    type Error = OptionError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        self.0.deserialize_any(visitor).map_err(toml_err)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        match self.0 {
            toml::Value::String(text) => match parse_bool(&text) {
                Some(b) => visitor.visit_bool(b),
                None => Err(de::Error::custom(format!("`{text}` is not true or false"))),
            },
            other => other.deserialize_bool(visitor).map_err(toml_err),
        }
    }

    parsed! {
        deserialize_u8 => visit_u8, deserialize_u16 => visit_u16, deserialize_u32 => visit_u32,
        deserialize_u64 => visit_u64, deserialize_i8 => visit_i8, deserialize_i16 => visit_i16,
        deserialize_i32 => visit_i32, deserialize_i64 => visit_i64,
        deserialize_f32 => visit_f32, deserialize_f64 => visit_f64,
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        match self.0 {
            // A number or boolean given in TOML where text is expected (a team id).
            toml::Value::Integer(n) => visitor.visit_string(n.to_string()),
            toml::Value::Boolean(b) => visitor.visit_string(b.to_string()),
            other => other.deserialize_string(visitor).map_err(toml_err),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        let items: Vec<Lenient> = match self.0 {
            toml::Value::String(text) => text
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Lenient(toml::Value::String(s.to_owned())))
                .collect(),
            toml::Value::Array(items) => items.into_iter().map(Lenient).collect(),
            other => {
                return Err(de::Error::custom(format!(
                    "expected a list, found {}",
                    other.type_str()
                )));
            }
        };
        visitor.visit_seq(de::value::SeqDeserializer::new(items.into_iter()))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, OptionError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, OptionError> {
        self.0
            .deserialize_enum(name, variants, visitor)
            .map_err(toml_err)
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// Keys are plain strings; errors about a value are tagged with its key.
impl<'de> de::MapAccess<'de> for KeyedMap {
    type Error = OptionError;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, OptionError> {
        match self.entries.peek() {
            Some((key, _)) => seed.deserialize(key.clone().into_deserializer()).map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, OptionError> {
        let Some((key, value)) = self.entries.next() else {
            return Err(de::Error::custom("value without key"));
        };
        seed.deserialize(Lenient(value)).map_err(|e| OptionError {
            key: Some(key),
            message: e.message,
        })
    }
}

struct KeyedMap {
    entries: std::iter::Peekable<std::vec::IntoIter<(String, toml::Value)>>,
}

impl<'de> de::Deserializer<'de> for KeyedMap {
    type Error = OptionError;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        visitor.visit_map(self)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl KeyedMap {
    fn new(entries: Vec<(String, toml::Value)>) -> Self {
        Self {
            entries: entries.into_iter().peekable(),
        }
    }
}

/// Deserializes `T` from `entries`, naming the key of a bad value.
fn from_entries<T: DeserializeOwned>(
    entries: Vec<(String, toml::Value)>,
) -> std::result::Result<T, OptionError> {
    T::deserialize(KeyedMap::new(entries))
}
