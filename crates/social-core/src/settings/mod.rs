//! Typed settings, loaded from TOML and from `SOCIAL_AUTH_*` environment variables.
//!
//! Global settings are read from `SOCIAL_AUTH_<SETTING>` and per-backend ones from
//! `SOCIAL_AUTH_<BACKEND>_<SETTING>` (backend name upper-cased, `-` written `_`). A
//! backend-specific value wins over the global one. Values of list settings are comma-separated
//! in the environment; maps are `k=v` pairs separated by `&` (a query string).

mod options;

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    path::Path,
};

pub use options::Configure;
use serde::{Deserialize, Serialize};
/// A value of a provider-specific setting.
pub use toml::Value as TomlValue;

use crate::{
    error::{AuthError, Result},
    extra_data::ExtraDataField,
};

/// A secret string whose `Debug` is redacted; read it with [`Secret::secret`].
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value itself. Never log it.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Username generation settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct UsernameSettings {
    /// Maximum username length (`SOCIAL_AUTH_USERNAME_MAX_LENGTH`).
    /// Default: 30.
    pub max_length: usize,
    /// Length of the random hex suffix added on collision (`SOCIAL_AUTH_UUID_LENGTH`).
    /// Default: 16.
    pub uuid_length: usize,
    /// Keep only letters, digits and `.@+-_` (`SOCIAL_AUTH_CLEAN_USERNAMES`).
    /// Default: `true`.
    pub clean: bool,
    /// Lower-case and turn runs of other characters into `-` (`SOCIAL_AUTH_SLUGIFY_USERNAMES`).
    /// Default: `false`.
    pub slugify: bool,
    /// Use the e-mail address as username when the provider gives one
    /// (`SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL`).
    /// Default: `false`.
    pub is_full_email: bool,
    /// Base used when the provider gives no username (`SOCIAL_AUTH_DEFAULT_USERNAME`).
    /// Default: `user`.
    pub default: String,
}

impl Default for UsernameSettings {
    fn default() -> Self {
        Self {
            max_length: 30,
            uuid_length: 16,
            clean: true,
            slugify: false,
            is_full_email: false,
            default: "user".into(),
        }
    }
}

/// The name of an endpoint setting: `authorization_url`, `api_url`, ...
///
/// Every URL a backend calls is an endpoint that settings can move
/// (`SOCIAL_AUTH_<BACKEND>_<NAME>` or `<name>` in the backend's TOML table): enterprise
/// installs and tests point them elsewhere. Names end in `_url`; a setting ending in `_url` is
/// always an endpoint, whether it comes from TOML or the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint(&'static str);

impl Endpoint {
    /// The authorization endpoint (`AUTHORIZATION_URL`).
    pub const AUTHORIZATION: Self = Self("authorization_url");
    /// The token endpoint (`ACCESS_TOKEN_URL`).
    pub const ACCESS_TOKEN: Self = Self("access_token_url");
    /// The token endpoint used to refresh, when it differs (`REFRESH_TOKEN_URL`).
    pub const REFRESH_TOKEN: Self = Self("refresh_token_url");
    /// The revocation endpoint (`REVOKE_TOKEN_URL`).
    pub const REVOKE_TOKEN: Self = Self("revoke_token_url");
    /// The OAuth 1.0a request-token endpoint (`REQUEST_TOKEN_URL`).
    pub const REQUEST_TOKEN: Self = Self("request_token_url");
    /// The provider's API, or its user-profile call (`API_URL`).
    pub const API: Self = Self("api_url");
    /// The OpenID Connect userinfo endpoint (`USERINFO_URL`).
    pub const USERINFO: Self = Self("userinfo_url");
    /// The OpenID Connect key set (`JWKS_URL`).
    pub const JWKS: Self = Self("jwks_url");
    /// The OpenID Connect logout endpoint (`END_SESSION_URL`).
    pub const END_SESSION: Self = Self("end_session_url");
    /// The base URL a self-hosted provider's endpoints are relative to (`BASE_URL`).
    pub const BASE: Self = Self("base_url");

    /// An endpoint of a provider's own, named by its setting in lower case; the name must end
    /// in `_url` (checked at compile time when used in a `const`).
    pub const fn new(setting: &'static str) -> Self {
        let b = setting.as_bytes();
        let n = b.len();
        assert!(
            n > 4 && b[n - 4] == b'_' && b[n - 3] == b'u' && b[n - 2] == b'r' && b[n - 1] == b'l',
            "an endpoint setting name ends in `_url`"
        );
        Self(setting)
    }

    /// The setting name in lower case: `api_url`.
    pub fn setting(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The issuer a backend's provider identifies itself with (an OpenID Connect issuer), kept
/// by its `configure` ([`Configure::keep`]) so that start-up can tell when several backends
/// share one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredIssuer(pub String);

/// The default of [`Settings::max_response_bytes`]: 1 MiB, far above any provider answer.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// Settings of one backend (`[backends.<name>]` in TOML).
///
/// `Debug` hides the secret and every provider option whose name says key, secret, token or
/// password (`API_KEY`, ...).
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BackendSettings {
    /// The client id / consumer key (`KEY`).
    pub key: Option<String>,
    /// The client secret (`SECRET`).
    pub secret: Option<Secret>,
    /// Replaces the provider's default scope (`SCOPE`).
    pub scope: Option<Vec<String>>,
    /// Added to the scope (`EXTRA_SCOPE`).
    pub extra_scope: Vec<String>,
    /// Extra query arguments of the authorization redirect (`AUTH_EXTRA_ARGUMENTS`).
    pub auth_extra_arguments: BTreeMap<String, String>,
    /// Extra arguments of the OAuth1 request-token call (`REQUEST_TOKEN_EXTRA_ARGUMENTS`).
    pub request_token_extra_arguments: BTreeMap<String, String>,
    /// Extra data to keep from the provider's answer, on top of the provider's defaults
    /// (`EXTRA_DATA`, a list of `name`, `name:alias` or `name:alias:discard`).
    pub extra_data: Vec<ExtraDataField>,
    /// Endpoint overrides by name: `authorization_url`, `access_token_url`, `api_url`, ...:
    /// every setting whose name ends in `_url`, from TOML (also accepted in an `endpoints`
    /// table) or the environment alike.
    pub endpoints: BTreeMap<String, String>,
    /// Only e-mails of these domains may log in (`WHITELISTED_DOMAINS`).
    pub whitelisted_domains: Vec<String>,
    /// Only these e-mails may log in (`WHITELISTED_EMAILS`).
    pub whitelisted_emails: Vec<String>,
    /// The backend only connects accounts to a logged-in user, never logs anyone in nor
    /// creates users (`ASSOCIATION_ONLY`); `None` leaves it to the backend
    /// ([`Capabilities::association_only`](crate::Capabilities::association_only)).
    pub association_only: Option<bool>,
    /// Provider-specific settings (`SOCIAL_AUTH_GITHUB_ORGANIZATION`, ...) as given: TOML
    /// values, or text from the environment. Backends parse them once into their own types
    /// ([`Configure::options`]).
    #[serde(flatten)]
    pub options: BTreeMap<String, toml::Value>,
    /// Values parsed from the options by the backend ([`Configure::keep`]).
    #[serde(skip)]
    typed: http::Extensions,
    /// Keys whose value came from a TOML file, to name them in errors as TOML keys (others
    /// are named by their environment variable).
    #[serde(skip)]
    from_toml: BTreeSet<String>,
}

impl fmt::Debug for BackendSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let options: BTreeMap<&str, &dyn fmt::Debug> = self
            .options
            .iter()
            .map(|(name, value)| {
                let hidden = ["key", "secret", "token", "password"]
                    .iter()
                    .any(|word| name.to_ascii_lowercase().contains(word));
                let shown: &dyn fmt::Debug = if hidden { &"[redacted]" } else { value };
                (name.as_str(), shown)
            })
            .collect();
        f.debug_struct("BackendSettings")
            .field("key", &self.key)
            .field("secret", &self.secret)
            .field("scope", &self.scope)
            .field("extra_scope", &self.extra_scope)
            .field("auth_extra_arguments", &self.auth_extra_arguments)
            .field(
                "request_token_extra_arguments",
                &self.request_token_extra_arguments,
            )
            .field("extra_data", &self.extra_data)
            .field("endpoints", &self.endpoints)
            .field("whitelisted_domains", &self.whitelisted_domains)
            .field("whitelisted_emails", &self.whitelisted_emails)
            .field("association_only", &self.association_only)
            .field("options", &options)
            .finish()
    }
}

impl BackendSettings {
    /// A provider-specific setting as text (strings, numbers and booleans are accepted).
    pub fn option(&self, name: &str) -> Option<String> {
        match self.options.get(name)? {
            toml::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// A provider-specific boolean setting; `Err` names the setting when it is not a boolean.
    pub fn flag(&self, backend: &str, name: &str) -> Result<Option<bool>> {
        match self.options.get(name) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(toml::Value::String(s)) => parse_bool(s).map(Some).ok_or_else(|| {
                AuthError::config(&env_name(Some(backend), name), "expected true or false")
            }),
            Some(_) => Err(AuthError::config(
                &env_name(Some(backend), name),
                "expected true or false",
            )),
        }
    }

    /// The endpoint override of `endpoint`, or `default`.
    pub fn endpoint<'a>(&'a self, endpoint: Endpoint, default: &'a str) -> &'a str {
        self.endpoints
            .get(endpoint.setting())
            .map_or(default, String::as_str)
    }

    /// The endpoint override of `endpoint`, if set.
    pub fn endpoint_override(&self, endpoint: Endpoint) -> Option<&str> {
        self.endpoints.get(endpoint.setting()).map(String::as_str)
    }

    /// Moves options whose name ends in `_url` to the endpoints: the one rule for where a key
    /// lands, whatever its source.
    fn normalize(&mut self) {
        let urls: Vec<String> = self
            .options
            .iter()
            .filter(|(k, v)| k.ends_with("_url") && v.is_str())
            .map(|(k, _)| k.clone())
            .collect();
        for key in urls {
            if let Some(toml::Value::String(url)) = self.options.remove(&key) {
                self.endpoints.insert(key, url);
            }
        }
    }
}

/// All settings of social login.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Settings {
    /// Where to send users after login (`LOGIN_REDIRECT_URL`).
    /// Default: `/`.
    pub login_redirect_url: String,
    /// Where to send users on error (`LOGIN_ERROR_URL`).
    /// Default: `/`.
    pub login_error_url: String,
    /// Where login starts (`LOGIN_URL`), used by the login-required layer.
    /// Default: `/`.
    pub login_url: String,
    /// Where to send new users instead of `login_redirect_url` (`NEW_USER_REDIRECT_URL`).
    /// Default: none (`login_redirect_url`).
    pub new_user_redirect_url: Option<String>,
    /// Where to send users after a new association (`NEW_ASSOCIATION_REDIRECT_URL`).
    /// Default: none (`login_redirect_url`).
    pub new_association_redirect_url: Option<String>,
    /// Where to send users after disconnecting (`DISCONNECT_REDIRECT_URL`).
    /// Default: none (`login_redirect_url`).
    pub disconnect_redirect_url: Option<String>,
    /// Revoke an account's tokens at the provider when it is disconnected
    /// (`REVOKE_TOKENS_ON_DISCONNECT`).
    /// Default: `false`.
    pub revoke_tokens_on_disconnect: bool,
    /// Where to send inactive users (`INACTIVE_USER_URL`).
    /// Default: none (`login_redirect_url`).
    pub inactive_user_url: Option<String>,
    /// Refuse `next` targets off this site (`SANITIZE_REDIRECTS`).
    /// Default: `true`.
    pub sanitize_redirects: bool,
    /// Other origins `next` may point to (`ALLOWED_REDIRECT_HOSTS`): `https://host[:port]`, or
    /// `host[:port]` with this site's scheme and, without a port, its default one.
    /// Default: empty.
    pub allowed_redirect_hosts: Vec<String>,
    /// Build callback URLs with `https` whatever the request says (`REDIRECT_IS_HTTPS`).
    /// Default: `false`.
    pub redirect_is_https: bool,
    /// This site's origin as browsers reach it, such as `https://app.example.com`
    /// (`PUBLIC_URL`): callback URLs and redirect checks are built from it, never from the
    /// request's `Host` header.
    /// Default: none.
    pub public_url: Option<String>,
    /// Without `PUBLIC_URL`, the `Host` values requests may carry (`ALLOWED_HOSTS`:
    /// `host` or `host:port`); a login reaching another host is refused. Empty: any host.
    /// Default: empty (any host).
    pub allowed_hosts: Vec<String>,
    /// Create users for unknown accounts (`CREATE_USERS`).
    /// Default: `true`.
    pub create_users: bool,
    /// Username generation.
    /// Default: see [`UsernameSettings`].
    pub username: UsernameSettings,
    /// Whether logins update the user's names from the provider (`USER_DETAILS_UPDATE`):
    /// `fill` only fills names the user lacks, so that linking a second account (or logging
    /// in with it) never renames the user; `always` takes the provider's names at every login
    /// (python-social-auth's behaviour), except `PROTECTED_USER_FIELDS` and filled
    /// `IMMUTABLE_USER_FIELDS`.
    /// Default: `fill`.
    pub user_details_update: DetailsUpdate,
    /// User fields the pipeline never overwrites (`PROTECTED_USER_FIELDS`).
    /// Default: empty.
    pub protected_user_fields: Vec<String>,
    /// User fields set only when the user is created (`IMMUTABLE_USER_FIELDS`).
    /// Default: empty.
    pub immutable_user_fields: Vec<String>,
    /// Only e-mails of these domains may log in, for every backend (`WHITELISTED_DOMAINS`).
    /// Default: empty (any domain).
    pub whitelisted_domains: Vec<String>,
    /// Only these e-mails may log in, for every backend (`WHITELISTED_EMAILS`).
    /// Default: empty (any e-mail).
    pub whitelisted_emails: Vec<String>,
    /// Session key holding the backend of the last login (`LAST_LOGIN_SESSION_KEY`).
    /// Default: `social_auth_last_login_backend`.
    pub last_login_session_key: String,
    /// Use the provider's token expiry as session expiry (`SESSION_EXPIRATION`).
    /// Default: `false`.
    pub session_expiration: bool,
    /// Show detailed errors instead of redirecting (`RAISE_EXCEPTIONS`); unset means
    /// "only in debug builds".
    /// Default: unset.
    pub raise_exceptions: Option<bool>,
    /// Refuse to start when a backend compiled in is not configured (`STRICT_BACKENDS`);
    /// default `false`: such a backend is named in a start-up warning, with the setting it
    /// lacks, and its login URL answers "not configured".
    pub strict_backends: bool,
    /// Seconds a started login stays valid (`STATE_MAX_AGE`).
    /// Default: 600 (ten minutes).
    pub state_max_age: u64,
    /// Seconds a paused pipeline stays resumable (`PARTIAL_MAX_AGE`).
    /// Default: 3600 (one hour).
    pub partial_max_age: u64,
    /// Timeout of every provider HTTP call, in seconds (`HTTP_TIMEOUT`).
    /// Default: 10.
    pub http_timeout: u64,
    /// User agent of provider HTTP calls (`USER_AGENT`).
    /// Default: `social-auth/<version>`.
    pub user_agent: String,
    /// The largest provider answer read, in bytes (`MAX_RESPONSE_BYTES`); a larger one is
    /// refused without being read whole.
    /// Default: 1048576 (1 MiB).
    pub max_response_bytes: u64,
    /// Per-backend settings by backend name.
    /// Default: empty.
    pub backends: BTreeMap<String, BackendSettings>,
    /// `SOCIAL_AUTH_<BACKEND>_*` variables not yet given to a backend: they are assigned when
    /// the registry is known ([`Settings::resolve_env`]), at the latest when
    /// [`SocialAuth`](crate::SocialAuth) is built, where one that names no registered backend
    /// is an error.
    #[serde(skip)]
    // Values stay `Secret` until a backend takes them: `Debug` of unresolved settings must not
    // show `SOCIAL_AUTH_<NAME>_SECRET`.
    pending_env: Vec<(String, Secret)>,
}

/// How logins update the user's names from the provider ([`Settings::user_details_update`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DetailsUpdate {
    /// Fill only names the user lacks.
    #[default]
    Fill,
    /// Take the provider's names at every login.
    Always,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            login_redirect_url: "/".into(),
            login_error_url: "/".into(),
            login_url: "/".into(),
            new_user_redirect_url: None,
            new_association_redirect_url: None,
            disconnect_redirect_url: None,
            revoke_tokens_on_disconnect: false,
            inactive_user_url: None,
            sanitize_redirects: true,
            allowed_redirect_hosts: Vec::new(),
            public_url: None,
            allowed_hosts: Vec::new(),
            redirect_is_https: false,
            create_users: true,
            username: UsernameSettings::default(),
            user_details_update: DetailsUpdate::Fill,
            protected_user_fields: Vec::new(),
            immutable_user_fields: Vec::new(),
            whitelisted_domains: Vec::new(),
            whitelisted_emails: Vec::new(),
            last_login_session_key: "social_auth_last_login_backend".into(),
            session_expiration: false,
            raise_exceptions: None,
            strict_backends: false,
            state_max_age: 600,
            partial_max_age: 3600,
            http_timeout: 10,
            user_agent: concat!("social-auth/", env!("CARGO_PKG_VERSION")).into(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            backends: BTreeMap::new(),
            pending_env: Vec::new(),
        }
    }
}

/// Settings whose variable declares a generic backend of the name before them:
/// `SOCIAL_AUTH_CORP_OIDC_ENDPOINT` declares the OpenID Connect backend `corp`.
const GENERIC_KEYS: &[&str] = &["_OIDC_ENDPOINT", "_OPENID_IDENTIFIER"];

impl Settings {
    /// Parses settings from TOML text; unknown global keys are errors.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let mut settings: Self =
            toml::from_str(text).map_err(|e| AuthError::config("settings file", e.message()))?;
        let table: toml::Table =
            toml::from_str(text).map_err(|e| AuthError::config("settings file", e.message()))?;
        let tables = table.get("backends").and_then(toml::Value::as_table);
        for (name, backend) in &mut settings.backends {
            let keys = tables
                .and_then(|t| t.get(name))
                .and_then(toml::Value::as_table);
            for (key, value) in keys.into_iter().flatten() {
                match value.as_table() {
                    Some(endpoints) if key == "endpoints" => {
                        backend.from_toml.extend(endpoints.keys().cloned());
                    }
                    _ => {
                        backend.from_toml.insert(key.clone());
                    }
                }
            }
            backend.normalize();
        }
        Ok(settings)
    }

    /// Reads settings from a TOML file.
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| AuthError::config(&path.display().to_string(), e))?;
        Self::from_toml_str(&text)
    }

    /// Applies `SOCIAL_AUTH_*` variables of the process environment on top of these settings.
    ///
    /// Global settings apply at once. A backend's variable (`SOCIAL_AUTH_<BACKEND>_<SETTING>`)
    /// belongs to the registered backend whose upper-cased name (`-` written `_`) is its longest
    /// prefix; it is assigned when the registry is known ([`Settings::resolve_env`]), at the
    /// latest by [`SocialAuthBuilder::build`](crate::SocialAuthBuilder::build), so backends
    /// from any crate get their variables without a list of names.
    pub fn with_env(self) -> Result<Self> {
        self.with_vars(std::env::vars())
    }

    /// Applies `SOCIAL_AUTH_*` pairs from `vars` (see [`Settings::with_env`]).
    pub fn with_vars(mut self, vars: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let mut generic = Vec::new();
        for (name, value) in vars {
            let Some(rest) = name.strip_prefix("SOCIAL_AUTH_") else {
                continue;
            };
            if self.set_global(rest, &value)? {
                continue;
            }
            // Generic backends (OpenID Connect, OpenID 2.0) are named by the application: a
            // variable that configures one declares the backend.
            if let Some(backend) = GENERIC_KEYS
                .iter()
                .find_map(|key| rest.strip_suffix(key))
                .filter(|backend| !backend.is_empty())
            {
                generic.push(backend.to_ascii_lowercase());
            }
            self.pending_env.push((name, Secret::new(value)));
        }
        let generic: Vec<&str> = generic.iter().map(String::as_str).collect();
        self.resolve_env(&generic)?;
        Ok(self)
    }

    /// Gives pending `SOCIAL_AUTH_<BACKEND>_*` variables to the backends among `names` (each to
    /// the longest matching name); variables that match none stay pending.
    pub fn resolve_env(&mut self, names: &[&str]) -> Result<()> {
        let pending = std::mem::take(&mut self.pending_env);
        for (name, value) in pending {
            let rest = &name["SOCIAL_AUTH_".len()..];
            match env_owner(rest, names) {
                Some((backend, key)) => {
                    let entry = self.backends.entry(backend.to_owned()).or_default();
                    set_backend(entry, backend, key, value.secret())?;
                }
                None => self.pending_env.push((name, value)),
            }
        }
        Ok(())
    }

    /// Which of `names` have settings: a `[backends.<name>]` table or a pending variable whose
    /// longest matching backend name is it.
    pub fn configures(&self, name: &str, names: &[&str]) -> bool {
        self.backends.contains_key(name)
            || self.pending_env.iter().any(|(var, _)| {
                env_owner(&var["SOCIAL_AUTH_".len()..], names).is_some_and(|(b, _)| b == name)
            })
    }

    /// Variables that no backend took yet.
    pub fn pending_env(&self) -> impl Iterator<Item = &str> {
        self.pending_env.iter().map(|(name, _)| name.as_str())
    }

    /// Drops the settings of backend `name`, pending variables included (for an application
    /// that leaves a half-configured backend out of its registry).
    pub fn remove_backend(&mut self, name: &str, names: &[&str]) {
        self.backends.remove(name);
        self.pending_env.retain(|(var, _)| {
            env_owner(&var["SOCIAL_AUTH_".len()..], names).is_none_or(|(b, _)| b != name)
        });
    }

    fn set_global(&mut self, key: &str, value: &str) -> Result<bool> {
        let name = || format!("SOCIAL_AUTH_{key}");
        let text = || value.to_owned();
        let opt = || (!value.is_empty()).then(|| value.to_owned());
        match key {
            "LOGIN_REDIRECT_URL" => self.login_redirect_url = text(),
            "LOGIN_ERROR_URL" => self.login_error_url = text(),
            "LOGIN_URL" => self.login_url = text(),
            "NEW_USER_REDIRECT_URL" => self.new_user_redirect_url = opt(),
            "NEW_ASSOCIATION_REDIRECT_URL" => self.new_association_redirect_url = opt(),
            "DISCONNECT_REDIRECT_URL" => self.disconnect_redirect_url = opt(),
            "REVOKE_TOKENS_ON_DISCONNECT" => {
                self.revoke_tokens_on_disconnect = bool_var(&name(), value)?;
            }
            "INACTIVE_USER_URL" => self.inactive_user_url = opt(),
            "SANITIZE_REDIRECTS" => self.sanitize_redirects = bool_var(&name(), value)?,
            "ALLOWED_REDIRECT_HOSTS" => self.allowed_redirect_hosts = list(value),
            "PUBLIC_URL" => self.public_url = Some(value.trim_end_matches('/').to_owned()),
            "ALLOWED_HOSTS" => self.allowed_hosts = list(value),
            "REDIRECT_IS_HTTPS" => self.redirect_is_https = bool_var(&name(), value)?,
            "CREATE_USERS" => self.create_users = bool_var(&name(), value)?,
            "USERNAME_MAX_LENGTH" => self.username.max_length = num_var(&name(), value)?,
            "UUID_LENGTH" => self.username.uuid_length = num_var(&name(), value)?,
            "CLEAN_USERNAMES" => self.username.clean = bool_var(&name(), value)?,
            "SLUGIFY_USERNAMES" => self.username.slugify = bool_var(&name(), value)?,
            "USERNAME_IS_FULL_EMAIL" => self.username.is_full_email = bool_var(&name(), value)?,
            "DEFAULT_USERNAME" => self.username.default = text(),
            "USER_DETAILS_UPDATE" => {
                self.user_details_update = match value.trim().to_ascii_lowercase().as_str() {
                    "fill" => DetailsUpdate::Fill,
                    "always" => DetailsUpdate::Always,
                    _ => {
                        return Err(AuthError::config(
                            &name(),
                            format!("`{value}` is not `fill` or `always`"),
                        ));
                    }
                }
            }
            "PROTECTED_USER_FIELDS" => self.protected_user_fields = list(value),
            "IMMUTABLE_USER_FIELDS" => self.immutable_user_fields = list(value),
            "WHITELISTED_DOMAINS" => self.whitelisted_domains = list(value),
            "WHITELISTED_EMAILS" => self.whitelisted_emails = list(value),
            "LAST_LOGIN_SESSION_KEY" => self.last_login_session_key = text(),
            "SESSION_EXPIRATION" => self.session_expiration = bool_var(&name(), value)?,
            "RAISE_EXCEPTIONS" => self.raise_exceptions = Some(bool_var(&name(), value)?),
            "STRICT_BACKENDS" => self.strict_backends = bool_var(&name(), value)?,
            "STATE_MAX_AGE" => self.state_max_age = num_var(&name(), value)?,
            "PARTIAL_MAX_AGE" => self.partial_max_age = num_var(&name(), value)?,
            "HTTP_TIMEOUT" => self.http_timeout = num_var(&name(), value)?,
            "USER_AGENT" => self.user_agent = text(),
            "MAX_RESPONSE_BYTES" => self.max_response_bytes = num_var(&name(), value)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The settings of backend `name` (empty when none are configured).
    pub fn backend(&self, name: &str) -> &BackendSettings {
        static EMPTY: std::sync::OnceLock<BackendSettings> = std::sync::OnceLock::new();
        self.backends
            .get(name)
            .unwrap_or_else(|| EMPTY.get_or_init(BackendSettings::default))
    }

    /// Checks values that can be checked without knowing the backends.
    pub fn validate(&self) -> Result<()> {
        if let Some(public) = &self.public_url {
            let origin_only = url::Url::parse(public).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && u.path() == "/"
                    && u.query().is_none()
                    && u.username().is_empty()
            });
            if !origin_only {
                return Err(AuthError::config(
                    "SOCIAL_AUTH_PUBLIC_URL",
                    format!(
                        "`{public}` is not an origin: give scheme and host (and port) only, \
                         such as `https://app.example.com`"
                    ),
                ));
            }
        }
        for (setting, url) in [
            (
                "SOCIAL_AUTH_LOGIN_REDIRECT_URL",
                Some(&self.login_redirect_url),
            ),
            ("SOCIAL_AUTH_LOGIN_ERROR_URL", Some(&self.login_error_url)),
            ("SOCIAL_AUTH_LOGIN_URL", Some(&self.login_url)),
            (
                "SOCIAL_AUTH_NEW_USER_REDIRECT_URL",
                self.new_user_redirect_url.as_ref(),
            ),
            (
                "SOCIAL_AUTH_NEW_ASSOCIATION_REDIRECT_URL",
                self.new_association_redirect_url.as_ref(),
            ),
            (
                "SOCIAL_AUTH_DISCONNECT_REDIRECT_URL",
                self.disconnect_redirect_url.as_ref(),
            ),
            (
                "SOCIAL_AUTH_INACTIVE_USER_URL",
                self.inactive_user_url.as_ref(),
            ),
        ] {
            if let Some(url) = url
                && !(url.starts_with('/')
                    || url.starts_with("http://")
                    || url.starts_with("https://"))
            {
                return Err(AuthError::config(
                    setting,
                    "must be a path starting with `/` or an http(s) URL",
                ));
            }
        }
        if self.username.max_length < 4 {
            return Err(AuthError::config(
                "SOCIAL_AUTH_USERNAME_MAX_LENGTH",
                "must be at least 4",
            ));
        }
        if self.username.uuid_length == 0 || self.username.uuid_length > 32 {
            return Err(AuthError::config(
                "SOCIAL_AUTH_UUID_LENGTH",
                "must be between 1 and 32",
            ));
        }
        if self.http_timeout == 0 {
            return Err(AuthError::config(
                "SOCIAL_AUTH_HTTP_TIMEOUT",
                "must be at least 1 second",
            ));
        }
        if self.max_response_bytes < 1024 {
            return Err(AuthError::config(
                "SOCIAL_AUTH_MAX_RESPONSE_BYTES",
                "must be at least 1024: provider answers are rarely smaller",
            ));
        }
        if self.partial_max_age == 0 {
            return Err(AuthError::config(
                "SOCIAL_AUTH_PARTIAL_MAX_AGE",
                "must be at least 1 second",
            ));
        }
        if self.state_max_age == 0 {
            return Err(AuthError::config(
                "SOCIAL_AUTH_STATE_MAX_AGE",
                "must be at least 1 second",
            ));
        }
        Ok(())
    }
}

/// The backend among `names` that `rest` (a variable name without `SOCIAL_AUTH_`) belongs to,
/// by longest prefix, and the setting after it.
fn env_owner<'n, 'r>(rest: &'r str, names: &[&'n str]) -> Option<(&'n str, &'r str)> {
    names
        .iter()
        .filter_map(|b| {
            let prefix = format!("{}_", env_backend(b));
            rest.strip_prefix(prefix.as_str())
                .filter(|key| !key.is_empty())
                .map(|key| (*b, key))
        })
        .max_by_key(|(b, _)| b.len())
}

fn set_backend(entry: &mut BackendSettings, backend: &str, key: &str, value: &str) -> Result<()> {
    entry.from_toml.remove(&key.to_ascii_lowercase());
    match key {
        "KEY" => entry.key = Some(value.to_owned()),
        "SECRET" => entry.secret = Some(Secret::new(value)),
        "SCOPE" => entry.scope = Some(list(value)),
        "EXTRA_SCOPE" => entry.extra_scope = list(value),
        "AUTH_EXTRA_ARGUMENTS" => entry.auth_extra_arguments = map(backend, key, value)?,
        "REQUEST_TOKEN_EXTRA_ARGUMENTS" => {
            entry.request_token_extra_arguments = map(backend, key, value)?;
        }
        "EXTRA_DATA" => {
            entry.extra_data = list(value)
                .iter()
                .map(|f| f.parse())
                .collect::<Result<_, _>>()
                .map_err(|e| AuthError::config(&env_name(Some(backend), key), e))?;
        }
        "WHITELISTED_DOMAINS" => entry.whitelisted_domains = list(value),
        "WHITELISTED_EMAILS" => entry.whitelisted_emails = list(value),
        "ASSOCIATION_ONLY" => {
            entry.association_only = Some(bool_var(&env_name(Some(backend), key), value)?);
        }
        _ => {
            entry.options.insert(
                key.to_ascii_lowercase(),
                toml::Value::String(value.to_owned()),
            );
            entry.normalize();
        }
    }
    Ok(())
}

/// The environment variable name of a setting: `SOCIAL_AUTH_GITHUB_KEY`.
pub fn env_name(backend: Option<&str>, setting: &str) -> String {
    match backend {
        Some(b) => format!(
            "SOCIAL_AUTH_{}_{}",
            env_backend(b),
            setting.to_ascii_uppercase()
        ),
        None => format!("SOCIAL_AUTH_{}", setting.to_ascii_uppercase()),
    }
}

fn env_backend(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn map(backend: &str, key: &str, value: &str) -> Result<BTreeMap<String, String>> {
    serde_urlencoded::from_str(value)
        .map_err(|e| AuthError::config(&env_name(Some(backend), key), e))
}

pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn bool_var(name: &str, value: &str) -> Result<bool> {
    parse_bool(value)
        .ok_or_else(|| AuthError::config(name, format!("`{value}` is not true or false")))
}

fn num_var<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
    value
        .trim()
        .parse()
        .map_err(|_| AuthError::config(name, format!("`{value}` is not a whole number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn toml_and_env_merge_with_backend_specific_values() {
        let settings = Settings::from_toml_str(
            r#"
            login_redirect_url = "/home"
            [backends.github]
            key = "from-file"
            scope = ["read:user"]
            organization = "acme"
            endpoints = { api_url = "https://ghe.example.com/api/v3" }
            "#,
        )
        .expect("valid toml");
        let settings = settings
            .with_vars(vars(&[
                ("SOCIAL_AUTH_GITHUB_KEY", "from-env"),
                ("SOCIAL_AUTH_GITHUB_SECRET", "s3cret"),
                ("SOCIAL_AUTH_LINKEDIN_OPENIDCONNECT_KEY", "li"),
                (
                    "SOCIAL_AUTH_GITHUB_AUTHORIZATION_URL",
                    "https://ghe.example.com/login",
                ),
                (
                    "SOCIAL_AUTH_GITHUB_AUTH_EXTRA_ARGUMENTS",
                    "allow_signup=false&x=1",
                ),
                ("SOCIAL_AUTH_GITHUB_EXTRA_DATA", "login, node_id:node:true"),
                ("SOCIAL_AUTH_CREATE_USERS", "no"),
                ("SOCIAL_AUTH_CORP_OIDC_ENDPOINT", "https://id.corp.example"),
                ("SOCIAL_AUTH_CORP_KEY", "corp-client"),
                ("PATH", "/bin"),
            ]))
            .expect("valid env");
        let mut settings = settings;
        settings
            .resolve_env(&["github", "linkedin-openidconnect", "linkedin"])
            .expect("valid env");
        let gh = settings.backend("github");
        assert_eq!(gh.key.as_deref(), Some("from-env"));
        assert_eq!(gh.secret.as_ref().map(Secret::secret), Some("s3cret"));
        assert_eq!(gh.scope.as_deref(), Some(&["read:user".to_owned()][..]));
        assert_eq!(gh.option("organization").as_deref(), Some("acme"));
        assert_eq!(
            gh.endpoint(Endpoint::API, "x"),
            "https://ghe.example.com/api/v3"
        );
        assert_eq!(
            gh.endpoint(Endpoint::AUTHORIZATION, "x"),
            "https://ghe.example.com/login"
        );
        assert_eq!(
            gh.auth_extra_arguments
                .get("allow_signup")
                .map(String::as_str),
            Some("false")
        );
        assert_eq!(gh.extra_data.len(), 2);
        assert!(gh.extra_data[1].discard);
        assert_eq!(
            settings.backend("linkedin-openidconnect").key.as_deref(),
            Some("li")
        );
        assert!(settings.backend("linkedin").key.is_none());
        let corp = settings.backend("corp");
        assert_eq!(
            corp.option("oidc_endpoint").as_deref(),
            Some("https://id.corp.example")
        );
        assert_eq!(
            corp.key.as_deref(),
            Some("corp-client"),
            "a generic backend's variables"
        );
        assert!(!settings.create_users);
        assert_eq!(settings.login_redirect_url, "/home");
        assert!(
            !format!("{settings:?}").contains("s3cret"),
            "secrets are redacted in Debug"
        );
        settings.validate().expect("valid settings");
    }

    #[test]
    fn errors_name_the_setting() {
        let err = Settings::default()
            .with_vars(vars(&[("SOCIAL_AUTH_HTTP_TIMEOUT", "soon")]))
            .expect_err("not a number");
        assert!(err.details().contains("SOCIAL_AUTH_HTTP_TIMEOUT"), "{err}");
        let err = Settings::default()
            .with_vars(vars(&[("SOCIAL_AUTH_REDIRECT_IS_HTTPS", "maybe")]))
            .expect_err("not a bool");
        assert!(
            err.details().contains("SOCIAL_AUTH_REDIRECT_IS_HTTPS"),
            "{err}"
        );
        let err = Settings::from_toml_str("login_redirect_url = \"evil\"")
            .and_then(|s| s.validate())
            .expect_err("not a path");
        assert!(
            err.details().contains("SOCIAL_AUTH_LOGIN_REDIRECT_URL"),
            "{err}"
        );
        let err = Settings::from_toml_str("no_such_setting = 1").expect_err("unknown key");
        assert!(err.details().contains("no_such_setting"), "{err}");
    }

    #[test]
    fn a_url_setting_is_an_endpoint_from_toml_and_the_environment_alike() {
        let from_toml = Settings::from_toml_str(
            "[backends.gh]\nenterprise_url = \"https://ghe.example.com\"\nteam_id = 7",
        )
        .expect("valid toml");
        let mut from_env = Settings::default()
            .with_vars(vars(&[
                ("SOCIAL_AUTH_GH_ENTERPRISE_URL", "https://ghe.example.com"),
                ("SOCIAL_AUTH_GH_TEAM_ID", "7"),
            ]))
            .expect("valid env");
        assert_eq!(from_env.pending_env().count(), 2, "no backend named yet");
        let unresolved = Settings::default()
            .with_vars(vars(&[("SOCIAL_AUTH_GH_SECRET", "hunter2")]))
            .expect("valid env");
        assert!(
            !format!("{unresolved:?}").contains("hunter2"),
            "pending variables are redacted in Debug"
        );
        from_env.resolve_env(&["gh"]).expect("valid env");
        assert_eq!(from_env.pending_env().count(), 0);
        for settings in [&from_toml, &from_env] {
            let gh = settings.backend("gh");
            assert_eq!(
                gh.endpoint_override(Endpoint::new("enterprise_url")),
                Some("https://ghe.example.com")
            );
            assert!(gh.option("enterprise_url").is_none());
            assert_eq!(gh.option("team_id").as_deref(), Some("7"));
        }
        // Errors name the key where it was set.
        assert_eq!(
            from_toml.backend("gh").setting_name("gh", "team_id"),
            "backends.gh.team_id"
        );
        assert_eq!(
            from_env.backend("gh").setting_name("gh", "team_id"),
            "SOCIAL_AUTH_GH_TEAM_ID"
        );
    }

    #[test]
    fn variables_go_to_the_longest_backend_name() {
        let mut settings = Settings::default()
            .with_vars(vars(&[
                ("SOCIAL_AUTH_LINKEDIN_OPENIDCONNECT_KEY", "long"),
                ("SOCIAL_AUTH_LINKEDIN_KEY", "short"),
                ("SOCIAL_AUTH_OTHER_KEY", "x"),
            ]))
            .expect("valid env");
        let names = ["linkedin", "linkedin-openidconnect"];
        assert!(settings.configures("linkedin-openidconnect", &names));
        assert!(settings.configures("linkedin", &names));
        settings.resolve_env(&names).expect("valid env");
        assert_eq!(
            settings.backend("linkedin-openidconnect").key.as_deref(),
            Some("long")
        );
        assert_eq!(settings.backend("linkedin").key.as_deref(), Some("short"));
        assert_eq!(
            settings.pending_env().collect::<Vec<_>>(),
            ["SOCIAL_AUTH_OTHER_KEY"]
        );
        settings.remove_backend("other", &["other"]);
        assert_eq!(settings.pending_env().count(), 0);
    }
}
