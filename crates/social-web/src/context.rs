//! What templates need to render login buttons and the connected-accounts page.

use std::collections::BTreeMap;

use serde::Serialize;
use social_core::{AuthError, SocialAccount, SocialAuth, Stage, User, Value, serde_json::Map};

/// The name of the parameter that carries where to go after login.
pub const REDIRECT_FIELD_NAME: &str = "next";

/// A template context: the registered backends, the user's associations, and the `next`
/// parameter to carry into login links. Serializes for any serde-based template engine.
///
/// The integrations offer it as an extractor that loads the current user and takes `next`
/// from the query string.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SocialContext {
    /// The user's associations, by backend name (only registered backends).
    pub associations: BTreeMap<String, Vec<Association>>,
    /// Names of the backends the user has an association with, sorted.
    pub associated: Vec<String>,
    /// Names of the backends the user has no association with, sorted.
    pub not_associated: Vec<String>,
    /// Names of all registered backends, sorted.
    pub backends: Vec<String>,
    /// Backend names by protocol label (`OAuth 2.0`, `OpenID Connect`, ...).
    pub backends_by_protocol: BTreeMap<String, Vec<String>>,
    /// The name to show for each backend, by backend name: `{"github": "GitHub"}`, for
    /// buttons such as "Log in with GitHub".
    pub display_names: BTreeMap<String, String>,
    /// Always `next`.
    pub redirect_field_name: &'static str,
    /// The request's `next` parameter, when it has one.
    pub redirect_field_value: Option<String>,
    /// `next=<urlencoded value>` to append to login links, or empty.
    pub redirect_querystring: String,
}

/// An association as templates see it: its extra data without tokens or secrets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Association {
    /// The id to disconnect it with (`/disconnect/{backend}/{id}/`).
    pub id: i64,
    /// The backend name.
    pub provider: String,
    /// The user's id at the provider.
    pub uid: String,
    /// Extra data kept from the provider, minus every key naming a token or secret.
    pub extra_data: Map<String, Value>,
    /// When it was created, in Unix seconds.
    pub created_at: i64,
    /// When it was last used or updated, in Unix seconds.
    pub modified_at: i64,
}

impl From<SocialAccount> for Association {
    fn from(account: SocialAccount) -> Self {
        // Templates end up in HTML, logs and caches: keep credentials out of them.
        let extra_data = account
            .extra_data
            .into_iter()
            .filter(|(key, _)| {
                let key = key.to_ascii_lowercase();
                !(key.contains("token") || key.contains("secret"))
            })
            .collect();
        Self {
            id: account.id,
            provider: account.provider,
            uid: account.uid,
            extra_data,
            created_at: account.created_at,
            modified_at: account.modified_at,
        }
    }
}

impl SocialContext {
    /// The context for `user` (or for an anonymous visitor), without a `next` value.
    pub async fn load(auth: &SocialAuth, user: Option<&User>) -> Result<Self, AuthError> {
        let registry = auth.registry();
        let backends: Vec<String> = registry.names().map(str::to_owned).collect();
        let mut backends_by_protocol: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut display_names = BTreeMap::new();
        for backend in registry.iter() {
            backends_by_protocol
                .entry(backend.protocol().label().to_owned())
                .or_default()
                .push(backend.name().to_owned());
            display_names.insert(backend.name().to_owned(), backend.display_name().to_owned());
        }
        let mut associations: BTreeMap<String, Vec<Association>> = BTreeMap::new();
        if let Some(user) = user {
            let accounts = auth
                .storage()
                .social_accounts(&user.id)
                .await
                .map_err(|e| AuthError::storage(Stage::Pipeline, e))?;
            for account in accounts {
                if registry.get(&account.provider).is_some() {
                    associations
                        .entry(account.provider.clone())
                        .or_default()
                        .push(account.into());
                }
            }
        }
        let (associated, not_associated) = backends
            .iter()
            .cloned()
            .partition(|name| associations.contains_key(name));
        Ok(Self {
            associations,
            associated,
            not_associated,
            backends,
            backends_by_protocol,
            display_names,
            redirect_field_name: REDIRECT_FIELD_NAME,
            redirect_field_value: None,
            redirect_querystring: String::new(),
        })
    }

    /// Sets the `next` value to carry into login links (empty values are ignored).
    #[must_use]
    pub fn with_next(mut self, next: Option<&str>) -> Self {
        match next.filter(|n| !n.is_empty()) {
            Some(next) => {
                let encoded: String =
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                self.redirect_querystring = format!("{REDIRECT_FIELD_NAME}={encoded}");
                self.redirect_field_value = Some(next.to_owned());
            }
            None => {
                self.redirect_querystring.clear();
                self.redirect_field_value = None;
            }
        }
        self
    }
}

/// The `next` parameter of a query string, if it has one.
pub fn next_of(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(name, _)| name == REDIRECT_FIELD_NAME)
        .map(|(_, value)| value.into_owned())
}
