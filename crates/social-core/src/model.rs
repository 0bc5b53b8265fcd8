//! The data a login produces: user details, tokens, users and social accounts.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{
    error::{AuthError, ErrorKind, Result, Stage},
    settings::Secret,
};

/// The provider's user profile, normalized.
///
/// The builder methods only set a field for a non-blank `Some` value, so they can be chained
/// over optional provider fields in any order without clearing what an earlier call set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserDetails {
    /// The provider's user name (login, screen name, ...).
    pub username: Option<String>,
    /// The e-mail address.
    pub email: Option<String>,
    /// Whether the provider says it verified the e-mail address.
    pub email_verified: bool,
    /// The full name.
    pub fullname: Option<String>,
    /// The first (given) name.
    pub first_name: Option<String>,
    /// The last (family) name.
    pub last_name: Option<String>,
    /// The URL of the profile picture.
    pub picture: Option<String>,
    /// The URL of the public profile.
    pub profile_url: Option<String>,
    /// The locale, as the provider gives it.
    pub locale: Option<String>,
}

fn non_empty(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

impl UserDetails {
    /// Empty details; fill them with the builder methods.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the username (blank values are ignored).
    #[must_use]
    pub fn username(mut self, value: Option<&str>) -> Self {
        if let Some(value) = non_empty(value) {
            self.username = Some(value);
        }
        self
    }

    /// Sets the e-mail address (blank values are ignored).
    #[must_use]
    pub fn email(mut self, value: Option<&str>) -> Self {
        if let Some(value) = non_empty(value) {
            self.email = Some(value);
        }
        self
    }

    /// Sets whether the provider verified the e-mail address.
    #[must_use]
    pub fn email_verified(mut self, verified: bool) -> Self {
        self.email_verified = verified;
        self
    }

    /// Sets the full name and, when they are unset, splits it into first and last name.
    #[must_use]
    pub fn fullname(mut self, value: Option<&str>) -> Self {
        if let Some(value) = non_empty(value) {
            self.fullname = Some(value);
        }
        if let Some(full) = &self.fullname {
            let (first, last) = full.split_once(' ').unwrap_or((full.as_str(), ""));
            if self.first_name.is_none() {
                self.first_name = non_empty(Some(first));
            }
            if self.last_name.is_none() {
                self.last_name = non_empty(Some(last));
            }
        }
        self
    }

    /// Sets first and last name and, when unset, the full name from them.
    #[must_use]
    pub fn names(mut self, first: Option<&str>, last: Option<&str>) -> Self {
        if let Some(first) = non_empty(first) {
            self.first_name = Some(first);
        }
        if let Some(last) = non_empty(last) {
            self.last_name = Some(last);
        }
        if self.fullname.is_none() {
            let full = [self.first_name.as_deref(), self.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            self.fullname = non_empty(Some(&full));
        }
        self
    }

    /// Sets the picture URL.
    #[must_use]
    pub fn picture(mut self, value: Option<&str>) -> Self {
        if let Some(value) = non_empty(value) {
            self.picture = Some(value);
        }
        self
    }

    /// Sets the profile URL.
    #[must_use]
    pub fn profile_url(mut self, value: Option<&str>) -> Self {
        if let Some(value) = non_empty(value) {
            self.profile_url = Some(value);
        }
        self
    }

    /// Sets the locale.
    #[must_use]
    pub fn locale(mut self, value: Option<&str>) -> Self {
        if let Some(value) = non_empty(value) {
            self.locale = Some(value);
        }
        self
    }
}

/// Tokens the provider issued.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Tokens {
    /// The access token.
    pub access_token: Secret,
    /// The token type (`bearer`), when given.
    pub token_type: Option<String>,
    /// The refresh token, when given.
    pub refresh_token: Option<Secret>,
    /// When the access token expires, in Unix seconds.
    pub expires_at: Option<i64>,
    /// The granted scope, when given.
    pub scope: Option<String>,
    /// The OpenID Connect ID token, when given.
    pub id_token: Option<Secret>,
}

impl Tokens {
    /// Tokens holding just an access token.
    pub fn new(access_token: impl Into<String>) -> Self {
        Self {
            access_token: Secret::new(access_token),
            token_type: None,
            refresh_token: None,
            expires_at: None,
            scope: None,
            id_token: None,
        }
    }

    /// Whether the access token has expired at `now` (Unix seconds), with `leeway` seconds early.
    pub fn is_expired(&self, now: i64, leeway: i64) -> bool {
        self.expires_at.is_some_and(|at| now + leeway >= at)
    }

    /// Writes the tokens into `extra_data` the way [`SocialAccount::tokens`] reads them back.
    pub fn write_to(&self, extra_data: &mut Map<String, Value>) {
        let mut put = |k: &str, v: Option<&str>| {
            if let Some(v) = v {
                extra_data.insert(k.to_owned(), Value::String(v.to_owned()));
            }
        };
        put("access_token", Some(self.access_token.secret()));
        put("token_type", self.token_type.as_deref());
        put(
            "refresh_token",
            self.refresh_token.as_ref().map(Secret::secret),
        );
        put("scope", self.scope.as_deref());
        put("id_token", self.id_token.as_ref().map(Secret::secret));
        if let Some(at) = self.expires_at {
            extra_data.insert("expires_at".into(), Value::from(at));
        }
    }

    /// Reads tokens written by [`Tokens::write_to`].
    pub fn read_from(extra_data: &Map<String, Value>) -> Option<Self> {
        let text = |k: &str| extra_data.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            access_token: Secret::new(text("access_token")?),
            token_type: text("token_type"),
            refresh_token: text("refresh_token").map(Secret::new),
            expires_at: extra_data.get("expires_at").and_then(Value::as_i64),
            scope: text("scope"),
            id_token: text("id_token").map(Secret::new),
        })
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// What a backend returns for a successful callback.
///
/// Its `Debug` output redacts the tokens and secrets kept in `extra_data`.
#[derive(Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthResponse {
    /// The backend name.
    pub backend: String,
    /// The provider's stable user id.
    pub uid: String,
    /// The normalized profile.
    pub details: UserDetails,
    /// The provider's raw user data.
    pub data: Value,
    /// The tokens issued.
    pub tokens: Option<Tokens>,
    /// The data to store with the account (tokens included).
    pub extra_data: Map<String, Value>,
}

/// `extra_data` for `Debug`: values under keys naming a token or secret are redacted, so that
/// logging an account or a login never writes credentials.
struct Redacted<'a>(&'a Map<String, Value>);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in self.0 {
            let lower = key.to_ascii_lowercase();
            if lower.contains("token") || lower.contains("secret") {
                map.entry(key, &"[redacted]");
            } else {
                map.entry(key, value);
            }
        }
        map.finish()
    }
}

impl fmt::Debug for AuthResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthResponse")
            .field("backend", &self.backend)
            .field("uid", &self.uid)
            .field("details", &self.details)
            .field("tokens", &self.tokens)
            .field("extra_data", &Redacted(&self.extra_data))
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SocialAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialAccount")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("provider", &self.provider)
            .field("uid", &self.uid)
            .field("extra_data", &Redacted(&self.extra_data))
            .field("created_at", &self.created_at)
            .field("modified_at", &self.modified_at)
            .finish()
    }
}

impl AuthResponse {
    /// A response with empty extra data.
    pub fn new(
        backend: &str,
        uid: String,
        details: UserDetails,
        data: Value,
        tokens: Option<Tokens>,
    ) -> Self {
        Self {
            backend: backend.to_owned(),
            uid,
            details,
            data,
            tokens,
            extra_data: Map::new(),
        }
    }
}

/// A stable user id, as the user store spells it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub String);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A local user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// The id.
    pub id: UserId,
    /// The unique username.
    pub username: String,
    /// The e-mail address, when known.
    pub email: Option<String>,
    /// Whether the e-mail address is verified.
    pub email_verified: bool,
    /// The first name.
    pub first_name: Option<String>,
    /// The last name.
    pub last_name: Option<String>,
    /// The full name.
    pub fullname: Option<String>,
    /// Inactive users cannot log in.
    pub is_active: bool,
}

impl User {
    /// An active user with only an id and a username; set the other fields after.
    pub fn new(id: UserId, username: impl Into<String>) -> Self {
        Self {
            id,
            username: username.into(),
            email: None,
            email_verified: false,
            first_name: None,
            last_name: None,
            fullname: None,
            is_active: true,
        }
    }

    /// Sets the user field `name` to `value`; `false` when there is no such field.
    pub fn set_field(&mut self, name: &str, value: &str) -> bool {
        let text = value.to_owned();
        let value = Some(value.to_owned());
        match name {
            "username" => self.username = text,
            "email" => self.email = value,
            "first_name" => self.first_name = value,
            "last_name" => self.last_name = value,
            "fullname" => self.fullname = value,
            _ => return false,
        }
        true
    }

    /// The value of the user field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        match name {
            "username" => Some(&self.username),
            "email" => self.email.as_deref(),
            "first_name" => self.first_name.as_deref(),
            "last_name" => self.last_name.as_deref(),
            "fullname" => self.fullname.as_deref(),
            _ => None,
        }
    }
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewUser {
    /// The unique username.
    pub username: String,
    /// The e-mail address.
    pub email: Option<String>,
    /// Whether the provider verified the e-mail address.
    pub email_verified: bool,
    /// The first name.
    pub first_name: Option<String>,
    /// The last name.
    pub last_name: Option<String>,
    /// The full name.
    pub fullname: Option<String>,
}

impl NewUser {
    /// A new user with `username` and the rest from `details`.
    pub fn from_details(username: String, details: &UserDetails) -> Self {
        Self {
            username,
            email: details.email.clone(),
            email_verified: details.email_verified,
            first_name: details.first_name.clone(),
            last_name: details.last_name.clone(),
            fullname: details.fullname.clone(),
        }
    }
}

/// The link between a local user and a provider account, unique on `(provider, uid)`.
///
/// Its `Debug` output redacts the tokens and secrets kept in `extra_data`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SocialAccount {
    /// The storage's id of the association.
    pub id: i64,
    /// The local user.
    pub user_id: UserId,
    /// The backend name.
    pub provider: String,
    /// The provider's user id.
    pub uid: String,
    /// Data kept from the provider: tokens and the selected extra data.
    pub extra_data: Map<String, Value>,
    /// When the association was created, in Unix seconds.
    pub created_at: i64,
    /// When it was last used or updated, in Unix seconds.
    pub modified_at: i64,
}

impl SocialAccount {
    /// An account as a storage read it; `extra_data` and the times can be set after.
    pub fn new(id: i64, user_id: UserId, provider: &str, uid: &str) -> Self {
        Self {
            id,
            user_id,
            provider: provider.to_owned(),
            uid: uid.to_owned(),
            extra_data: Map::new(),
            created_at: 0,
            modified_at: 0,
        }
    }

    /// The tokens stored with the account.
    pub fn tokens(&self) -> Option<Tokens> {
        Tokens::read_from(&self.extra_data)
    }

    /// When the access token expires, in Unix seconds.
    pub fn access_token_expires_at(&self) -> Option<i64> {
        self.extra_data.get("expires_at").and_then(Value::as_i64)
    }
}

/// A social account to create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NewSocialAccount {
    /// The backend name.
    pub provider: String,
    /// The provider's user id.
    pub uid: String,
    /// Initial extra data.
    pub extra_data: Map<String, Value>,
}

impl NewSocialAccount {
    /// An association of `provider`/`uid` with `extra_data`.
    pub fn new(provider: &str, uid: &str, extra_data: Map<String, Value>) -> Self {
        Self {
            provider: provider.to_owned(),
            uid: uid.to_owned(),
            extra_data,
        }
    }
}

/// Reads a required id field as text (numbers are accepted): [`ErrorKind::InvalidResponse`]
/// when it is missing or empty.
pub fn required_id(user: &Value, field: &str) -> Result<String> {
    match user.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(AuthError::new(
            ErrorKind::InvalidResponse,
            Stage::Profile,
            format!("the user data has no `{field}`"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_tokens() {
        let mut account = SocialAccount::new(7, UserId("1".into()), "github", "42");
        let mut tokens = Tokens::new("gho_live_access");
        tokens.refresh_token = Some(Secret::new("ghr_live_refresh"));
        tokens.write_to(&mut account.extra_data);
        account
            .extra_data
            .insert("access_token_secret".into(), Value::from("oauth1-secret"));
        account
            .extra_data
            .insert("login".into(), Value::from("octocat"));
        let mut response = AuthResponse::new(
            "github",
            "42".into(),
            UserDetails::new(),
            Value::Null,
            Some(tokens),
        );
        response.extra_data = account.extra_data.clone();
        for shown in [format!("{account:?}"), format!("{response:?}")] {
            for secret in ["gho_live_access", "ghr_live_refresh", "oauth1-secret"] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            assert!(
                shown.contains("octocat"),
                "other extra data stays visible: {shown}"
            );
        }
    }
}
