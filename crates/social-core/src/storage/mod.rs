//! Where users, social accounts and login state live.
//!
//! [`Storage`] is object-safe and async. [`MemoryStorage`] ships here; `social-sqlx` ships
//! SQLite and PostgreSQL. An application that keeps its own user table implements
//! [`UserStore`] and pairs it with any `Storage` through [`SplitStorage`].

mod memory;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use memory::MemoryStorage;

use crate::model::{NewSocialAccount, NewUser, SocialAccount, User, UserId};

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// A uniqueness rule refused the write (`(provider, uid)` taken, username taken, ...).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The record to change does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The operation is not supported by this store.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
    /// The database or other backend failed.
    #[error("storage backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StorageError {
    /// Wraps a backend error.
    pub fn backend(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Backend(Box::new(error))
    }
}

/// The result of storage calls.
pub type StorageResult<T> = Result<T, StorageError>;

/// An OpenID 2.0 association with a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpenIdAssociation {
    /// The OpenID provider endpoint.
    pub server_url: String,
    /// The association handle.
    pub handle: String,
    /// The MAC key, base64.
    pub secret: String,
    /// When it was issued, in Unix seconds.
    pub issued: i64,
    /// Its lifetime in seconds.
    pub lifetime: i64,
    /// `HMAC-SHA1` or `HMAC-SHA256`.
    pub assoc_type: String,
}

impl OpenIdAssociation {
    /// An association of `server_url` under `handle`.
    pub fn new(
        server_url: &str,
        handle: &str,
        secret: &str,
        issued: i64,
        lifetime: i64,
        assoc_type: &str,
    ) -> Self {
        Self {
            server_url: server_url.to_owned(),
            handle: handle.to_owned(),
            secret: secret.to_owned(),
            issued,
            lifetime,
            assoc_type: assoc_type.to_owned(),
        }
    }
}

/// An e-mail validation code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Code {
    /// The e-mail address to validate.
    pub email: String,
    /// The unguessable code sent to it.
    pub code: String,
    /// Whether the code was used.
    pub verified: bool,
    /// When it was created, in Unix seconds.
    pub created_at: i64,
}

impl Code {
    /// An unused code for `email`.
    pub fn new(email: &str, code: &str, created_at: i64) -> Self {
        Self {
            email: email.to_owned(),
            code: code.to_owned(),
            verified: false,
            created_at,
        }
    }
}

/// A paused pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Partial {
    /// The unguessable token that resumes it.
    pub token: String,
    /// The backend of the login.
    pub backend: String,
    /// The index of the step to run on resume.
    pub next_step: usize,
    /// The serialized pipeline state.
    pub data: Value,
    /// When it stops being resumable, in Unix seconds.
    pub expires_at: i64,
}

impl Partial {
    /// A paused pipeline of `backend`, resumable with `token` until `expires_at`.
    pub fn new(token: &str, backend: &str, next_step: usize, data: Value, expires_at: i64) -> Self {
        Self {
            token: token.to_owned(),
            backend: backend.to_owned(),
            next_step,
            data,
            expires_at,
        }
    }
}

/// How many expired records [`SocialAuth::purge_expired`](crate::SocialAuth::purge_expired)
/// removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Purged {
    /// Nonces (OAuth 1.0a and 2.0 logins, OpenID response nonces).
    pub nonces: u64,
    /// Paused pipelines.
    pub partials: u64,
    /// E-mail validation codes.
    pub codes: u64,
}

/// The user part of storage; applications with their own user table implement this.
///
/// Missing records: reading one gives `Ok(None)` (an id the store never issued included),
/// deleting one succeeds, and updating one is [`StorageError::NotFound`].
#[async_trait]
pub trait UserStore: Send + Sync {
    /// The user with `id`.
    async fn user(&self, id: &UserId) -> StorageResult<Option<User>>;
    /// Users whose e-mail matches `email`, case-insensitively.
    async fn users_by_email(&self, email: &str) -> StorageResult<Vec<User>>;
    /// Whether `username` is taken.
    async fn username_exists(&self, username: &str) -> StorageResult<bool>;
    /// Creates a user; [`StorageError::Conflict`] when the username is taken.
    async fn create_user(&self, user: NewUser) -> StorageResult<User>;
    /// Saves the user's fields.
    async fn update_user(&self, user: &User) -> StorageResult<()>;
    /// Deletes a user; used to undo a creation whose association failed.
    async fn delete_user(&self, id: &UserId) -> StorageResult<()> {
        let _ = id;
        Err(StorageError::Unsupported("delete_user"))
    }
}

/// Everything social login stores.
///
/// Missing records behave as in [`UserStore`]; creating an account for a missing user is
/// [`StorageError::NotFound`]. Nonces, partials and codes are purged with the `purge_*`
/// methods, which [`SocialAuth::purge_expired`](crate::SocialAuth::purge_expired) calls with
/// cut-offs from the settings.
#[async_trait]
pub trait Storage: UserStore {
    /// The account of `provider` with `uid` (case-sensitive).
    async fn social_account(
        &self,
        provider: &str,
        uid: &str,
    ) -> StorageResult<Option<SocialAccount>>;
    /// The account of `provider` with `uid` and its user (`None` when the user is missing),
    /// as a returning login needs them.
    ///
    /// The default reads one, then the other; database stores override it with one statement.
    async fn social_account_and_user(
        &self,
        provider: &str,
        uid: &str,
    ) -> StorageResult<Option<(SocialAccount, Option<User>)>> {
        let Some(account) = self.social_account(provider, uid).await? else {
            return Ok(None);
        };
        let user = self.user(&account.user_id).await?;
        Ok(Some((account, user)))
    }
    /// The account with storage id `id`.
    async fn social_account_by_id(&self, id: i64) -> StorageResult<Option<SocialAccount>>;
    /// All accounts of a user, oldest first.
    async fn social_accounts(&self, user: &UserId) -> StorageResult<Vec<SocialAccount>>;
    /// Associates an account; [`StorageError::Conflict`] when `(provider, uid)` is taken.
    async fn create_social_account(
        &self,
        user: &UserId,
        account: NewSocialAccount,
    ) -> StorageResult<SocialAccount>;
    /// Creates a user and its first account together: both or neither.
    ///
    /// The default creates the user, then the account, and deletes the user again when the
    /// account fails; database stores override it with one transaction.
    async fn create_user_with_account(
        &self,
        user: NewUser,
        account: NewSocialAccount,
    ) -> StorageResult<(User, SocialAccount)> {
        let user = self.create_user(user).await?;
        match self.create_social_account(&user.id, account).await {
            Ok(account) => Ok((user, account)),
            Err(error) => {
                if let Err(undo) = self.delete_user(&user.id).await {
                    tracing::error!(user = %user.id, %undo, "could not undo a user whose association failed");
                }
                Err(error)
            }
        }
    }
    /// Replaces an account's extra data and touches its modification time.
    async fn update_extra_data(
        &self,
        id: i64,
        extra_data: &Map<String, Value>,
    ) -> StorageResult<()>;
    /// Removes an account.
    async fn delete_social_account(&self, id: i64) -> StorageResult<()>;

    /// Claims a nonce: `true` the first time `(server_url, timestamp, salt)` is seen, `false`
    /// after. Must be atomic: of two concurrent claims exactly one gets `true`.
    async fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> StorageResult<bool>;
    /// Forgets nonces older than `timestamp`.
    async fn purge_nonces(&self, before: i64) -> StorageResult<u64>;

    /// Stores an OpenID 2.0 association (replacing one with the same handle).
    async fn store_association(&self, association: OpenIdAssociation) -> StorageResult<()>;
    /// Associations with `server_url`, of `handle` when given.
    async fn associations(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> StorageResult<Vec<OpenIdAssociation>>;
    /// Removes an association.
    async fn remove_association(&self, server_url: &str, handle: &str) -> StorageResult<()>;

    /// Stores a new e-mail validation code.
    async fn store_code(&self, code: Code) -> StorageResult<()>;
    /// The code record for `code`.
    async fn code(&self, code: &str) -> StorageResult<Option<Code>>;
    /// Marks a code as used.
    async fn verify_code(&self, code: &str) -> StorageResult<()>;
    /// Forgets codes created before `before`, used or not, and counts them.
    async fn purge_codes(&self, before: i64) -> StorageResult<u64>;

    /// Stores a paused pipeline.
    async fn store_partial(&self, partial: Partial) -> StorageResult<()>;
    /// Removes and returns the paused pipeline of `token`: single use.
    async fn take_partial(&self, token: &str) -> StorageResult<Option<Partial>>;
    /// The paused pipeline of `token`, left in place.
    async fn partial(&self, token: &str) -> StorageResult<Option<Partial>>;
    /// Forgets paused pipelines that expire at or before `before`, and counts them.
    async fn purge_partials(&self, before: i64) -> StorageResult<u64>;
}

/// A [`Storage`] whose users live in an application's own [`UserStore`].
#[derive(Clone)]
pub struct SplitStorage {
    users: Arc<dyn UserStore>,
    social: Arc<dyn Storage>,
}

impl std::fmt::Debug for SplitStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SplitStorage").finish_non_exhaustive()
    }
}

impl SplitStorage {
    /// Users from `users`, everything else from `social`.
    pub fn new(users: Arc<dyn UserStore>, social: Arc<dyn Storage>) -> Self {
        Self { users, social }
    }
}

#[async_trait]
impl UserStore for SplitStorage {
    async fn user(&self, id: &UserId) -> StorageResult<Option<User>> {
        self.users.user(id).await
    }
    async fn users_by_email(&self, email: &str) -> StorageResult<Vec<User>> {
        self.users.users_by_email(email).await
    }
    async fn username_exists(&self, username: &str) -> StorageResult<bool> {
        self.users.username_exists(username).await
    }
    async fn create_user(&self, user: NewUser) -> StorageResult<User> {
        self.users.create_user(user).await
    }
    async fn update_user(&self, user: &User) -> StorageResult<()> {
        self.users.update_user(user).await
    }
    async fn delete_user(&self, id: &UserId) -> StorageResult<()> {
        self.users.delete_user(id).await
    }
}

#[async_trait]
impl Storage for SplitStorage {
    async fn social_account(
        &self,
        provider: &str,
        uid: &str,
    ) -> StorageResult<Option<SocialAccount>> {
        self.social.social_account(provider, uid).await
    }
    async fn social_account_by_id(&self, id: i64) -> StorageResult<Option<SocialAccount>> {
        self.social.social_account_by_id(id).await
    }
    async fn social_accounts(&self, user: &UserId) -> StorageResult<Vec<SocialAccount>> {
        self.social.social_accounts(user).await
    }
    async fn create_social_account(
        &self,
        user: &UserId,
        account: NewSocialAccount,
    ) -> StorageResult<SocialAccount> {
        self.social.create_social_account(user, account).await
    }
    async fn update_extra_data(
        &self,
        id: i64,
        extra_data: &Map<String, Value>,
    ) -> StorageResult<()> {
        self.social.update_extra_data(id, extra_data).await
    }
    async fn delete_social_account(&self, id: i64) -> StorageResult<()> {
        self.social.delete_social_account(id).await
    }
    async fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> StorageResult<bool> {
        self.social.use_nonce(server_url, timestamp, salt).await
    }
    async fn purge_nonces(&self, before: i64) -> StorageResult<u64> {
        self.social.purge_nonces(before).await
    }
    async fn store_association(&self, association: OpenIdAssociation) -> StorageResult<()> {
        self.social.store_association(association).await
    }
    async fn associations(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> StorageResult<Vec<OpenIdAssociation>> {
        self.social.associations(server_url, handle).await
    }
    async fn remove_association(&self, server_url: &str, handle: &str) -> StorageResult<()> {
        self.social.remove_association(server_url, handle).await
    }
    async fn store_code(&self, code: Code) -> StorageResult<()> {
        self.social.store_code(code).await
    }
    async fn code(&self, code: &str) -> StorageResult<Option<Code>> {
        self.social.code(code).await
    }
    async fn verify_code(&self, code: &str) -> StorageResult<()> {
        self.social.verify_code(code).await
    }
    async fn purge_codes(&self, before: i64) -> StorageResult<u64> {
        self.social.purge_codes(before).await
    }
    async fn store_partial(&self, partial: Partial) -> StorageResult<()> {
        self.social.store_partial(partial).await
    }
    async fn take_partial(&self, token: &str) -> StorageResult<Option<Partial>> {
        self.social.take_partial(token).await
    }
    async fn partial(&self, token: &str) -> StorageResult<Option<Partial>> {
        self.social.partial(token).await
    }
    async fn purge_partials(&self, before: i64) -> StorageResult<u64> {
        self.social.purge_partials(before).await
    }
}
