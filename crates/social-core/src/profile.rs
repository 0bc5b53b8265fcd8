//! The part every protocol shares once the provider has answered: where the user's id and
//! details sit in its data ([`Mapping`], JSON pointers), and where an API call carries the
//! access token ([`TokenIn`]).

use serde_json::Value;

use crate::{
    error::{AuthError, ErrorKind, Result, Stage},
    extra_data::ExtraDataField,
    model::UserDetails,
};

/// Where the provider's user data holds the account's fields, as JSON pointers (RFC 6901):
/// `/id`, `/data/user/name`, `/response/0/id` for wrapped answers.
///
/// Not `#[non_exhaustive]` on purpose, so that providers can write struct literals: always
/// end them with `..Mapping::DEFAULT`, which keeps them building when fields are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    /// The stable user id (text or number); required.
    pub uid: &'static str,
    /// The username.
    pub username: Option<&'static str>,
    /// The e-mail address.
    pub email: Option<&'static str>,
    /// Whether the provider verified the e-mail address.
    pub email_verified: EmailVerified,
    /// The full name.
    pub fullname: Option<&'static str>,
    /// The first (given) name.
    pub first_name: Option<&'static str>,
    /// The last (family) name.
    pub last_name: Option<&'static str>,
    /// The picture URL.
    pub picture: Option<&'static str>,
    /// The profile page URL.
    pub profile_url: Option<&'static str>,
    /// The locale.
    pub locale: Option<&'static str>,
    /// Fields of the user data kept as extra data by default (top-level names).
    pub extra_data: &'static [&'static str],
}

/// Whether the provider vouches for the e-mail address it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmailVerified {
    /// Never: the provider does not verify addresses, or does not say (the safe default).
    No,
    /// Always: the provider gives only addresses it verified, as its documentation states.
    Always,
    /// As a boolean (or `"true"`) at this JSON pointer says.
    At(&'static str),
}

impl Mapping {
    /// The uid at `/id` and nothing else.
    pub const DEFAULT: Self = Self {
        uid: "/id",
        username: None,
        email: None,
        email_verified: EmailVerified::No,
        fullname: None,
        first_name: None,
        last_name: None,
        picture: None,
        profile_url: None,
        locale: None,
        extra_data: &[],
    };

    /// The user's id: [`ErrorKind::InvalidResponse`] when it is missing, empty or neither text
    /// nor a number.
    pub fn user_id(&self, user: &Value) -> Result<String> {
        match user.pointer(self.uid) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(n.to_string()),
            _ => Err(AuthError::new(
                ErrorKind::InvalidResponse,
                Stage::Profile,
                format!("the user data has no id at `{}`", self.uid),
            )),
        }
    }

    /// The user's details.
    pub fn user_details(&self, user: &Value) -> UserDetails {
        let text = |pointer: Option<&str>| pointer.and_then(|p| text_at(user, p));
        let verified = match self.email_verified {
            EmailVerified::No => false,
            EmailVerified::Always => true,
            EmailVerified::At(pointer) => match user.pointer(pointer) {
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
                _ => false,
            },
        };
        let email = text(self.email);
        let details = UserDetails::new()
            .username(text(self.username).as_deref())
            .email(email.as_deref())
            .email_verified(verified && email.is_some())
            .names(
                text(self.first_name).as_deref(),
                text(self.last_name).as_deref(),
            )
            .picture(text(self.picture).as_deref())
            .profile_url(text(self.profile_url).as_deref())
            .locale(text(self.locale).as_deref());
        match text(self.fullname) {
            Some(name) => details.fullname(Some(&name)),
            None => details,
        }
    }

    /// The extra data kept by default.
    pub fn extra_data(&self) -> Vec<ExtraDataField> {
        self.extra_data
            .iter()
            .map(|name| ExtraDataField::new(name))
            .collect()
    }
}

/// The text at `pointer` (numbers are written out), if any.
pub fn text_at(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Where an API call carries the access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenIn {
    /// `Authorization: Bearer <token>` (RFC 6750 section 2.1).
    Bearer,
    /// A header of the provider's own: `name: <prefix><token>` (Yandex's
    /// `Authorization: OAuth <token>`).
    Header {
        /// The header name.
        name: &'static str,
        /// Written before the token.
        prefix: &'static str,
    },
    /// A query parameter of this name (`access_token`, `oauth_token`).
    Query(&'static str),
    /// Signed into the request by the protocol (OAuth 1.0a's `oauth_token`).
    Signed,
    /// No token: the API is called with an application key, or not at all.
    None,
}

impl TokenIn {
    /// Adds `token` to a request of `url` in this place: the URL (query) and a header, if any.
    pub fn apply(self, url: &str, token: &str) -> (String, Option<(String, String)>) {
        match self {
            Self::Bearer => (
                url.to_owned(),
                Some(("authorization".to_owned(), format!("Bearer {token}"))),
            ),
            Self::Header { name, prefix } => (
                url.to_owned(),
                Some((name.to_owned(), format!("{prefix}{token}"))),
            ),
            Self::Query(name) => {
                let sep = if url.contains('?') { '&' } else { '?' };
                let pair = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair(name, token)
                    .finish();
                (format!("{url}{sep}{pair}"), None)
            }
            Self::Signed | Self::None => (url.to_owned(), None),
        }
    }
}
