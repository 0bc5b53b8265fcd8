//! The generic OAuth 1.0a backend: every URL, and where the user's fields are, from settings.

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use social_core::{
    Configure, Endpoint, Mapping,
    backend::ProviderCx,
    error::{AuthError, ErrorKind, Result, Stage},
};

use super::{AccessToken, OAuth1Backend, OAuth1Provider, OAuth1Spec, get_json};

/// A provider configured by settings alone; register it with [`OAuth1Backend::generic`].
///
/// | Setting (`SOCIAL_AUTH_<NAME>_...`) | Meaning | Default |
/// |---|---|---|
/// | `REQUEST_TOKEN_URL`, `AUTHORIZATION_URL`, `ACCESS_TOKEN_URL` | the three OAuth 1.0a endpoints | required |
/// | `API_URL` | the user's profile, fetched with a signed GET, answering JSON | required |
/// | `KEY`, `SECRET` | consumer key and secret | required (no secret with RSA-SHA1) |
/// | `UID_FIELD`, `USERNAME_FIELD`, `EMAIL_FIELD`, `FULLNAME_FIELD` | where the profile holds each: a top-level name, or a JSON pointer such as `/user/id` | `id`, `username`, `email`, `name` |
/// | `SIGNATURE_METHOD`, `RSA_PRIVATE_KEY`, `SEND_OAUTH_VERSION`, `REALM` | how to sign, as for every OAuth 1.0a backend | HMAC-SHA1 |
///
/// The user data is `{"id", "username", "email", "fullname", "profile"}`, the whole profile
/// under `profile`. E-mail addresses are never marked verified: nothing says the provider
/// checked them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Generic;

impl OAuth1Backend<Generic> {
    /// A generic OAuth 1.0a backend named `name`, configured by its settings alone (see
    /// [`Generic`]): python-social-auth's Google OAuth1, Yahoo OAuth1 or Orkut rows are configurations
    /// of it.
    pub fn generic(name: &str) -> Self {
        Self::named(name, Generic)
    }
}

/// Where the profile holds the user's fields.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Fields {
    uid_field: Option<String>,
    username_field: Option<String>,
    email_field: Option<String>,
    fullname_field: Option<String>,
}

/// The value at `field` of `profile`: a JSON pointer, or a top-level name.
fn pick<'v>(profile: &'v Value, field: &str) -> Option<&'v Value> {
    if field.starts_with('/') {
        profile.pointer(field)
    } else {
        profile.get(field)
    }
    .filter(|v| !v.is_null())
}

#[async_trait]
impl OAuth1Provider for Generic {
    fn spec(&self) -> OAuth1Spec {
        OAuth1Spec {
            name: "oauth1",
            // Every URL comes from the settings, which `configure` requires.
            profile_url: Some(""),
            mapping: Mapping {
                uid: "/id",
                username: Some("/username"),
                email: Some("/email"),
                fullname: Some("/fullname"),
                ..Mapping::DEFAULT
            },
            ..OAuth1Spec::DEFAULT
        }
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let fields: Fields = cx.options()?;
        if cx.settings().endpoint_override(Endpoint::API).is_none() {
            return Err(cx.error(
                Endpoint::API.setting(),
                "is not set: a generic OAuth 1.0a backend fetches the user's profile there",
            ));
        }
        for (name, value) in [
            ("uid_field", &fields.uid_field),
            ("username_field", &fields.username_field),
            ("email_field", &fields.email_field),
            ("fullname_field", &fields.fullname_field),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(cx.error(name, "is empty: give a field name or a JSON pointer"));
            }
        }
        Ok(())
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &AccessToken) -> Result<Value> {
        let url = cx
            .backend
            .endpoint_override(Endpoint::API)
            .unwrap_or_default();
        let profile = get_json(cx, url, token).await?;
        let fields = cx.options::<Fields>();
        let at = |field: &Option<String>, default: &str| {
            pick(&profile, field.as_deref().unwrap_or(default)).cloned()
        };
        let uid_field = fields.uid_field.as_deref().unwrap_or("id");
        let uid = match pick(&profile, uid_field) {
            Some(Value::String(s)) if !s.is_empty() => Value::String(s.clone()),
            Some(Value::Number(n)) => Value::String(n.to_string()),
            _ => {
                return Err(AuthError::new(
                    ErrorKind::InvalidResponse,
                    Stage::Profile,
                    format!("the profile has no text or number at `{uid_field}` (UID_FIELD)"),
                )
                .with_provider(cx.name));
            }
        };
        let mut user = Map::new();
        user.insert("id".into(), uid);
        for (key, field, default) in [
            ("username", &fields.username_field, "username"),
            ("email", &fields.email_field, "email"),
            ("fullname", &fields.fullname_field, "name"),
        ] {
            if let Some(Value::String(text)) = at(field, default) {
                user.insert(key.into(), Value::String(text));
            }
        }
        user.insert("profile".into(), profile.clone());
        Ok(json!(user))
    }
}
