//! What both databases share: rows, their conversion to core's records, errors, and the one
//! `Storage` implementation both stores expand from [`impl_storage!`].

use std::{
    future::Future,
    pin::Pin,
    time::{SystemTime, UNIX_EPOCH},
};

use serde_json::{Map, Value};
use social_core::{
    SocialAccount, User, UserId,
    storage::{Code, OpenIdAssociation, Partial, StorageError, StorageResult},
};
use sqlx::types::Json;

/// A future that may hold a borrow for `'a`.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A write to run on a connection `C` when the storage's turn to write comes.
pub(crate) type Work<C, T> =
    Box<dyn for<'c> FnOnce(&'c mut C) -> BoxFuture<'c, StorageResult<T>> + Send>;

/// `work` as a [`Work`]: the bound tells the compiler the closure takes any borrow.
pub(crate) fn work<C, T, F>(work: F) -> Work<C, T>
where
    F: for<'c> FnOnce(&'c mut C) -> BoxFuture<'c, StorageResult<T>> + Send + 'static,
{
    Box::new(work)
}

/// Our migrations share sqlx's `_sqlx_migrations` table with the application's own; a version
/// shaped like a timestamp from before sqlx-cli users started theirs keeps them apart.
pub(crate) fn migrator(mut migrator: sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    // The application's versions are in the same table and unknown to us.
    migrator.set_ignore_missing(true);
    migrator
}

pub(crate) fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// The row id behind a `UserId`; `None` for ids this store never issues (`abc`, `007`, `+7`),
/// which are then simply not found.
pub(crate) fn row_id(id: &UserId) -> Option<i64> {
    id.0.parse::<i64>().ok().filter(|n| n.to_string() == id.0)
}

pub(crate) fn backend(error: sqlx::Error) -> StorageError {
    StorageError::backend(error)
}

/// Maps a failed write: a unique violation is a conflict, described by `conflict`.
pub(crate) fn write_error(error: sqlx::Error, conflict: impl FnOnce() -> String) -> StorageError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StorageError::Conflict(conflict()),
        _ => StorageError::backend(error),
    }
}

pub(crate) fn username_taken(username: &str) -> impl FnOnce() -> String + '_ {
    move || format!("username `{username}` is taken")
}

pub(crate) fn account_taken<'a>(provider: &'a str, uid: &'a str) -> impl FnOnce() -> String + 'a {
    move || format!("{provider} account {uid} is already associated")
}

pub(crate) const USER_COLUMNS: &str =
    "id, username, email, email_verified, first_name, last_name, fullname, is_active";

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: i64,
    username: String,
    email: Option<String>,
    email_verified: bool,
    first_name: Option<String>,
    last_name: Option<String>,
    fullname: Option<String>,
    is_active: bool,
}

impl UserRow {
    pub(crate) fn into_user(self) -> StorageResult<User> {
        let mut user = User::new(UserId(self.id.to_string()), self.username);
        user.email = self.email;
        user.email_verified = self.email_verified;
        user.first_name = self.first_name;
        user.last_name = self.last_name;
        user.fullname = self.fullname;
        user.is_active = self.is_active;
        Ok(user)
    }
}

pub(crate) const ACCOUNT_COLUMNS: &str =
    "id, user_id, provider, uid, extra_data, created_at, modified_at";

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    id: i64,
    user_id: i64,
    provider: String,
    uid: String,
    extra_data: Json<Map<String, Value>>,
    created_at: i64,
    modified_at: i64,
}

impl AccountRow {
    pub(crate) fn into_account(self) -> StorageResult<SocialAccount> {
        let user = UserId(self.user_id.to_string());
        let mut account = SocialAccount::new(self.id, user, &self.provider, &self.uid);
        account.extra_data = self.extra_data.0;
        account.created_at = self.created_at;
        account.modified_at = self.modified_at;
        Ok(account)
    }
}

/// An account with its user's columns (all `NULL` when the user is missing).
pub(crate) const ACCOUNT_AND_USER_SQL: &str = "SELECT a.id, a.user_id, a.provider, a.uid, \
     a.extra_data, a.created_at, a.modified_at, u.username AS user_username, \
     u.email AS user_email, u.email_verified AS user_email_verified, \
     u.first_name AS user_first_name, u.last_name AS user_last_name, \
     u.fullname AS user_fullname, u.is_active AS user_is_active \
     FROM social_accounts a LEFT JOIN users u ON u.id = a.user_id \
     WHERE a.provider = $1 AND a.uid = $2";

#[derive(sqlx::FromRow)]
pub(crate) struct AccountAndUserRow {
    #[sqlx(flatten)]
    account: AccountRow,
    user_username: Option<String>,
    user_email: Option<String>,
    user_email_verified: Option<bool>,
    user_first_name: Option<String>,
    user_last_name: Option<String>,
    user_fullname: Option<String>,
    user_is_active: Option<bool>,
}

impl AccountAndUserRow {
    pub(crate) fn into_pair(self) -> StorageResult<(SocialAccount, Option<User>)> {
        let user = match self.user_username {
            Some(username) => Some(
                UserRow {
                    id: self.account.user_id,
                    username,
                    email: self.user_email,
                    email_verified: self.user_email_verified.unwrap_or(false),
                    first_name: self.user_first_name,
                    last_name: self.user_last_name,
                    fullname: self.user_fullname,
                    is_active: self.user_is_active.unwrap_or(false),
                }
                .into_user()?,
            ),
            None => None,
        };
        Ok((self.account.into_account()?, user))
    }
}

pub(crate) const ASSOCIATION_COLUMNS: &str =
    "server_url, handle, secret, issued, lifetime, assoc_type";

#[derive(sqlx::FromRow)]
pub(crate) struct AssociationRow {
    server_url: String,
    handle: String,
    secret: String,
    issued: i64,
    lifetime: i64,
    assoc_type: String,
}

impl AssociationRow {
    pub(crate) fn into_association(self) -> StorageResult<OpenIdAssociation> {
        Ok(OpenIdAssociation::new(
            &self.server_url,
            &self.handle,
            &self.secret,
            self.issued,
            self.lifetime,
            &self.assoc_type,
        ))
    }
}

pub(crate) const CODE_COLUMNS: &str = "code, email, verified, created_at";

#[derive(sqlx::FromRow)]
pub(crate) struct CodeRow {
    code: String,
    email: String,
    verified: bool,
    created_at: i64,
}

impl CodeRow {
    pub(crate) fn into_code(self) -> StorageResult<Code> {
        let mut code = Code::new(&self.email, &self.code, self.created_at);
        code.verified = self.verified;
        Ok(code)
    }
}

pub(crate) const PARTIAL_COLUMNS: &str = "token, backend, next_step, data, expires_at";

#[derive(sqlx::FromRow)]
pub(crate) struct PartialRow {
    token: String,
    backend: String,
    next_step: i64,
    data: Json<Value>,
    expires_at: i64,
}

impl PartialRow {
    pub(crate) fn into_partial(self) -> StorageResult<Partial> {
        let next_step = usize::try_from(self.next_step).map_err(StorageError::backend)?;
        Ok(Partial::new(
            &self.token,
            &self.backend,
            next_step,
            self.data.0,
            self.expires_at,
        ))
    }
}

/// Implements `UserStore` and `Storage` for `$storage` on database `$db`.
///
/// The SQL is the same for SQLite and PostgreSQL (both take `$n` parameters, `RETURNING` and
/// `ON CONFLICT`); a macro rather than generics because sqlx's per-type bounds would outweigh
/// the code. `$storage` has async `read` and `write` methods giving a connection (anything
/// that derefs to the database's connection) for one statement that reads or writes, and a
/// `begin_write` function that starts, on the connection from `write`, a transaction which
/// holds the write lock from its first statement, and a `claim_nonce` method (which may use
/// the generated `insert_nonce`).
macro_rules! impl_storage {
    ($storage:ty, $db:ty) => {
        #[::async_trait::async_trait]
        impl ::social_core::UserStore for $storage {
            async fn user(
                &self,
                id: &::social_core::UserId,
            ) -> ::social_core::storage::StorageResult<Option<::social_core::User>> {
                use $crate::common::*;
                let Some(id) = row_id(id) else {
                    return Ok(None);
                };
                let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
                ::sqlx::query_as::<$db, UserRow>(&sql)
                    .bind(id)
                    .fetch_optional(&mut *self.read().await.map_err(backend)?)
                    .await
                    .map_err(backend)?
                    .map(UserRow::into_user)
                    .transpose()
            }

            async fn users_by_email(
                &self,
                email: &str,
            ) -> ::social_core::storage::StorageResult<Vec<::social_core::User>> {
                use $crate::common::*;
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1) ORDER BY id"
                );
                ::sqlx::query_as::<$db, UserRow>(&sql)
                    .bind(email)
                    .fetch_all(&mut *self.read().await.map_err(backend)?)
                    .await
                    .map_err(backend)?
                    .into_iter()
                    .map(UserRow::into_user)
                    .collect()
            }

            async fn username_exists(
                &self,
                username: &str,
            ) -> ::social_core::storage::StorageResult<bool> {
                use $crate::common::*;
                let found = ::sqlx::query::<$db>("SELECT 1 FROM users WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&mut *self.read().await.map_err(backend)?)
                    .await
                    .map_err(backend)?;
                Ok(found.is_some())
            }

            async fn create_user(
                &self,
                user: ::social_core::NewUser,
            ) -> ::social_core::storage::StorageResult<::social_core::User> {
                self.write_job(
                    false,
                    $crate::common::work(move |conn| {
                        Box::pin(async move { Self::insert_user(conn, &user).await })
                    }),
                )
                .await
            }

            async fn update_user(
                &self,
                user: &::social_core::User,
            ) -> ::social_core::storage::StorageResult<()> {
                use $crate::common::*;
                let not_found =
                    || ::social_core::storage::StorageError::NotFound(format!("user {}", user.id));
                let Some(id) = row_id(&user.id) else {
                    return Err(not_found());
                };
                let user = user.clone();
                let done = self
                    .write_job(
                        false,
                        work(move |conn| {
                            Box::pin(async move {
                                ::sqlx::query::<$db>(
                                    "UPDATE users SET username = $2, email = $3, \
                                     email_verified = $4, first_name = $5, last_name = $6, \
                                     fullname = $7, is_active = $8 WHERE id = $1",
                                )
                                .bind(id)
                                .bind(&user.username)
                                .bind(&user.email)
                                .bind(user.email_verified)
                                .bind(&user.first_name)
                                .bind(&user.last_name)
                                .bind(&user.fullname)
                                .bind(user.is_active)
                                .execute(conn)
                                .await
                                .map_err(|e| write_error(e, username_taken(&user.username)))
                            })
                        }),
                    )
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(not_found());
                }
                Ok(())
            }

            async fn delete_user(
                &self,
                id: &::social_core::UserId,
            ) -> ::social_core::storage::StorageResult<()> {
                use $crate::common::*;
                let Some(id) = row_id(id) else {
                    return Ok(());
                };
                // The foreign key cascades too, but a pool handed to `from_pool` may have
                // SQLite's foreign keys off: delete the accounts explicitly, in one transaction.
                let mut conn = self.write().await.map_err(backend)?;
                let mut tx = Self::begin_write(&mut conn).await.map_err(backend)?;
                ::sqlx::query::<$db>("DELETE FROM social_accounts WHERE user_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                ::sqlx::query::<$db>("DELETE FROM users WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                tx.commit().await.map_err(backend)
            }
        }

        #[::async_trait::async_trait]
        impl ::social_core::Storage for $storage {
            async fn social_account(
                &self,
                provider: &str,
                uid: &str,
            ) -> ::social_core::storage::StorageResult<Option<::social_core::SocialAccount>> {
                use $crate::common::*;
                let sql = format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM social_accounts WHERE provider = $1 AND uid = $2"
                );
                ::sqlx::query_as::<$db, AccountRow>(&sql)
                    .bind(provider)
                    .bind(uid)
                    .fetch_optional(&mut *self.read().await.map_err(backend)?)
                    .await
                    .map_err(backend)?
                    .map(AccountRow::into_account)
                    .transpose()
            }

            async fn social_account_and_user(
                &self,
                provider: &str,
                uid: &str,
            ) -> ::social_core::storage::StorageResult<
                Option<(::social_core::SocialAccount, Option<::social_core::User>)>,
            > {
                use $crate::common::*;
                ::sqlx::query_as::<$db, AccountAndUserRow>(ACCOUNT_AND_USER_SQL)
                    .bind(provider)
                    .bind(uid)
                    .fetch_optional(&mut *self.read().await.map_err(backend)?)
                    .await
                    .map_err(backend)?
                    .map(AccountAndUserRow::into_pair)
                    .transpose()
            }

            async fn social_account_by_id(
                &self,
                id: i64,
            ) -> ::social_core::storage::StorageResult<Option<::social_core::SocialAccount>> {
                use $crate::common::*;
                let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM social_accounts WHERE id = $1");
                ::sqlx::query_as::<$db, AccountRow>(&sql)
                    .bind(id)
                    .fetch_optional(&mut *self.read().await.map_err(backend)?)
                    .await
                    .map_err(backend)?
                    .map(AccountRow::into_account)
                    .transpose()
            }

            async fn social_accounts(
                &self,
                user: &::social_core::UserId,
            ) -> ::social_core::storage::StorageResult<Vec<::social_core::SocialAccount>> {
                use $crate::common::*;
                let Some(user) = row_id(user) else {
                    return Ok(Vec::new());
                };
                // Ids grow with every insert: id order is creation order, finer than seconds.
                let sql = format!(
                    "SELECT {ACCOUNT_COLUMNS} FROM social_accounts WHERE user_id = $1 ORDER BY id"
                );
                ::sqlx::query_as::<$db, AccountRow>(&sql)
                    .bind(user)
                    .fetch_all(&mut *self.read().await.map_err(backend)?)
                    .await
                    .map_err(backend)?
                    .into_iter()
                    .map(AccountRow::into_account)
                    .collect()
            }

            async fn create_social_account(
                &self,
                user: &::social_core::UserId,
                account: ::social_core::NewSocialAccount,
            ) -> ::social_core::storage::StorageResult<::social_core::SocialAccount> {
                let user = user.clone();
                self.write_job(
                    false,
                    $crate::common::work(move |conn| {
                        Box::pin(async move { Self::insert_account(conn, &user, &account).await })
                    }),
                )
                .await
            }

            async fn create_user_with_account(
                &self,
                user: ::social_core::NewUser,
                account: ::social_core::NewSocialAccount,
            ) -> ::social_core::storage::StorageResult<(
                ::social_core::User,
                ::social_core::SocialAccount,
            )> {
                // Atomic: when either insert fails, both are undone.
                self.write_job(
                    true,
                    $crate::common::work(move |conn| {
                        Box::pin(async move {
                            let user = Self::insert_user(conn, &user).await?;
                            let account = Self::insert_account(conn, &user.id, &account).await?;
                            Ok((user, account))
                        })
                    }),
                )
                .await
            }

            async fn update_extra_data(
                &self,
                id: i64,
                extra_data: &::serde_json::Map<String, ::serde_json::Value>,
            ) -> ::social_core::storage::StorageResult<()> {
                use $crate::common::*;
                let extra_data = extra_data.clone();
                let done = self
                    .write_job(
                        false,
                        work(move |conn| {
                            Box::pin(async move {
                                ::sqlx::query::<$db>(
                                    "UPDATE social_accounts SET extra_data = $2, modified_at = $3 \
                                     WHERE id = $1",
                                )
                                .bind(id)
                                .bind(::sqlx::types::Json(&extra_data))
                                .bind(now())
                                .execute(conn)
                                .await
                                .map_err(backend)
                            })
                        }),
                    )
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(::social_core::storage::StorageError::NotFound(format!(
                        "social account {id}"
                    )));
                }
                Ok(())
            }

            async fn delete_social_account(
                &self,
                id: i64,
            ) -> ::social_core::storage::StorageResult<()> {
                use $crate::common::*;
                ::sqlx::query::<$db>("DELETE FROM social_accounts WHERE id = $1")
                    .bind(id)
                    .execute(&mut *self.write().await.map_err(backend)?)
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn use_nonce(
                &self,
                server_url: &str,
                timestamp: i64,
                salt: &str,
            ) -> ::social_core::storage::StorageResult<bool> {
                self.claim_nonce(server_url, timestamp, salt).await
            }

            async fn purge_nonces(&self, before: i64) -> ::social_core::storage::StorageResult<u64> {
                use $crate::common::*;
                let done = ::sqlx::query::<$db>("DELETE FROM social_nonces WHERE timestamp < $1")
                    .bind(before)
                    .execute(&mut *self.write().await.map_err(backend)?)
                    .await
                    .map_err(backend)?;
                Ok(done.rows_affected())
            }

            async fn store_association(
                &self,
                association: ::social_core::storage::OpenIdAssociation,
            ) -> ::social_core::storage::StorageResult<()> {
                use $crate::common::*;
                ::sqlx::query::<$db>(
                    "INSERT INTO social_associations \
                     (server_url, handle, secret, issued, lifetime, assoc_type) \
                     VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (server_url, handle) DO UPDATE SET secret = excluded.secret, \
                     issued = excluded.issued, lifetime = excluded.lifetime, \
                     assoc_type = excluded.assoc_type",
                )
                .bind(&association.server_url)
                .bind(&association.handle)
                .bind(&association.secret)
                .bind(association.issued)
                .bind(association.lifetime)
                .bind(&association.assoc_type)
                .execute(&mut *self.write().await.map_err(backend)?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn associations(
                &self,
                server_url: &str,
                handle: Option<&str>,
            ) -> ::social_core::storage::StorageResult<
                Vec<::social_core::storage::OpenIdAssociation>,
            > {
                use $crate::common::*;
                let sql = format!(
                    "SELECT {ASSOCIATION_COLUMNS} FROM social_associations \
                     WHERE server_url = $1 AND ($2 IS NULL OR handle = $2) \
                     ORDER BY issued DESC, handle"
                );
                ::sqlx::query_as::<$db, AssociationRow>(&sql)
                    .bind(server_url)
                    .bind(handle)
                    .fetch_all(&mut *self.read().await.map_err(backend)?)
                    .await
                    .map_err(backend)?
                    .into_iter()
                    .map(AssociationRow::into_association)
                    .collect()
            }

            async fn remove_association(
                &self,
                server_url: &str,
                handle: &str,
            ) -> ::social_core::storage::StorageResult<()> {
                use $crate::common::*;
                ::sqlx::query::<$db>(
                    "DELETE FROM social_associations WHERE server_url = $1 AND handle = $2",
                )
                .bind(server_url)
                .bind(handle)
                .execute(&mut *self.write().await.map_err(backend)?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn store_code(
                &self,
                code: ::social_core::storage::Code,
            ) -> ::social_core::storage::StorageResult<()> {
                use $crate::common::*;
                ::sqlx::query::<$db>(
                    "INSERT INTO social_codes (code, email, verified, created_at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (code) DO UPDATE SET email = excluded.email, \
                     verified = excluded.verified, created_at = excluded.created_at",
                )
                .bind(&code.code)
                .bind(&code.email)
                .bind(code.verified)
                .bind(code.created_at)
                .execute(&mut *self.write().await.map_err(backend)?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn code(
                &self,
                code: &str,
            ) -> ::social_core::storage::StorageResult<Option<::social_core::storage::Code>> {
                use $crate::common::*;
                let sql = format!("SELECT {CODE_COLUMNS} FROM social_codes WHERE code = $1");
                ::sqlx::query_as::<$db, CodeRow>(&sql)
                    .bind(code)
                    .fetch_optional(&mut *self.read().await.map_err(backend)?)
                    .await
                    .map_err(backend)?
                    .map(CodeRow::into_code)
                    .transpose()
            }

            async fn verify_code(&self, code: &str) -> ::social_core::storage::StorageResult<()> {
                use $crate::common::*;
                let done = ::sqlx::query::<$db>(
                    "UPDATE social_codes SET verified = TRUE WHERE code = $1",
                )
                .bind(code)
                .execute(&mut *self.write().await.map_err(backend)?)
                .await
                .map_err(backend)?;
                if done.rows_affected() == 0 {
                    return Err(::social_core::storage::StorageError::NotFound("code".into()));
                }
                Ok(())
            }

            async fn purge_codes(&self, before: i64) -> ::social_core::storage::StorageResult<u64> {
                use $crate::common::*;
                let done = ::sqlx::query::<$db>("DELETE FROM social_codes WHERE created_at < $1")
                    .bind(before)
                    .execute(&mut *self.write().await.map_err(backend)?)
                    .await
                    .map_err(backend)?;
                Ok(done.rows_affected())
            }

            async fn store_partial(
                &self,
                partial: ::social_core::storage::Partial,
            ) -> ::social_core::storage::StorageResult<()> {
                use $crate::common::*;
                let next_step = i64::try_from(partial.next_step)
                    .map_err(::social_core::storage::StorageError::backend)?;
                ::sqlx::query::<$db>(
                    "INSERT INTO social_partials (token, backend, next_step, data, expires_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (token) DO UPDATE SET backend = excluded.backend, \
                     next_step = excluded.next_step, data = excluded.data, \
                     expires_at = excluded.expires_at",
                )
                .bind(&partial.token)
                .bind(&partial.backend)
                .bind(next_step)
                .bind(::sqlx::types::Json(&partial.data))
                .bind(partial.expires_at)
                .execute(&mut *self.write().await.map_err(backend)?)
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn take_partial(
                &self,
                token: &str,
            ) -> ::social_core::storage::StorageResult<Option<::social_core::storage::Partial>>
            {
                use $crate::common::*;
                // One statement that deletes and returns: of two racing takes, one gets the row.
                let sql = format!(
                    "DELETE FROM social_partials WHERE token = $1 RETURNING {PARTIAL_COLUMNS}"
                );
                ::sqlx::query_as::<$db, PartialRow>(&sql)
                    .bind(token)
                    .fetch_optional(&mut *self.write().await.map_err(backend)?)
                    .await
                    .map_err(backend)?
                    .map(PartialRow::into_partial)
                    .transpose()
            }

            async fn partial(
                &self,
                token: &str,
            ) -> ::social_core::storage::StorageResult<Option<::social_core::storage::Partial>>
            {
                use $crate::common::*;
                let sql =
                    format!("SELECT {PARTIAL_COLUMNS} FROM social_partials WHERE token = $1");
                ::sqlx::query_as::<$db, PartialRow>(&sql)
                    .bind(token)
                    .fetch_optional(&mut *self.read().await.map_err(backend)?)
                    .await
                    .map_err(backend)?
                    .map(PartialRow::into_partial)
                    .transpose()
            }

            async fn purge_partials(
                &self,
                before: i64,
            ) -> ::social_core::storage::StorageResult<u64> {
                use $crate::common::*;
                let done =
                    ::sqlx::query::<$db>("DELETE FROM social_partials WHERE expires_at <= $1")
                        .bind(before)
                        .execute(&mut *self.write().await.map_err(backend)?)
                        .await
                        .map_err(backend)?;
                Ok(done.rows_affected())
            }
        }

        impl $storage {
            /// Runs `job` on `conn`; in a write transaction when it is `atomic` (when `job`
            /// fails, dropping the transaction rolls it back).
            async fn run_job<T>(
                conn: &mut <$db as ::sqlx::Database>::Connection,
                atomic: bool,
                job: $crate::common::Work<<$db as ::sqlx::Database>::Connection, T>,
            ) -> ::social_core::storage::StorageResult<T> {
                use $crate::common::backend;
                if !atomic {
                    return job(conn).await;
                }
                let mut tx = Self::begin_write(conn).await.map_err(backend)?;
                let done = job(&mut tx).await?;
                tx.commit().await.map_err(backend)?;
                Ok(done)
            }

            /// Claims a nonce with one insert on `conn`.
            async fn insert_nonce(
                conn: &mut <$db as ::sqlx::Database>::Connection,
                server_url: &str,
                timestamp: i64,
                salt: &str,
            ) -> ::social_core::storage::StorageResult<bool> {
                use $crate::common::*;
                // The primary key decides between racing claims: only one insert lands.
                let done = ::sqlx::query::<$db>(
                    "INSERT INTO social_nonces (server_url, timestamp, salt) VALUES ($1, $2, $3) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(server_url)
                .bind(timestamp)
                .bind(salt)
                .execute(conn)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_user(
                conn: &mut <$db as ::sqlx::Database>::Connection,
                user: &::social_core::NewUser,
            ) -> ::social_core::storage::StorageResult<::social_core::User> {
                use $crate::common::*;
                let sql = format!(
                    "INSERT INTO users \
                     (username, email, email_verified, first_name, last_name, fullname, is_active) \
                     VALUES ($1, $2, $3, $4, $5, $6, TRUE) RETURNING {USER_COLUMNS}"
                );
                ::sqlx::query_as::<$db, UserRow>(&sql)
                    .bind(&user.username)
                    .bind(&user.email)
                    .bind(user.email_verified)
                    .bind(&user.first_name)
                    .bind(&user.last_name)
                    .bind(&user.fullname)
                    .fetch_one(conn)
                    .await
                    .map_err(|e| write_error(e, username_taken(&user.username)))?
                    .into_user()
            }

            async fn insert_account(
                conn: &mut <$db as ::sqlx::Database>::Connection,
                user: &::social_core::UserId,
                account: &::social_core::NewSocialAccount,
            ) -> ::social_core::storage::StorageResult<::social_core::SocialAccount> {
                use $crate::common::*;
                let not_found =
                    || ::social_core::storage::StorageError::NotFound(format!("user {user}"));
                let Some(user_id) = row_id(user) else {
                    return Err(not_found());
                };
                // Inserting only when the user exists refuses orphans even where foreign keys
                // are off; where they are on, they catch a user deleted in between.
                let now = now();
                let sql = format!(
                    "INSERT INTO social_accounts \
                     (user_id, provider, uid, extra_data, created_at, modified_at) \
                     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1) \
                     RETURNING {ACCOUNT_COLUMNS}"
                );
                let row = ::sqlx::query_as::<$db, AccountRow>(&sql)
                    .bind(user_id)
                    .bind(&account.provider)
                    .bind(&account.uid)
                    .bind(::sqlx::types::Json(&account.extra_data))
                    .bind(now)
                    .bind(now)
                    .fetch_optional(conn)
                    .await
                    .map_err(|e| match &e {
                        ::sqlx::Error::Database(db) if db.is_foreign_key_violation() => not_found(),
                        _ => write_error(e, account_taken(&account.provider, &account.uid)),
                    })?;
                row.ok_or_else(not_found)?.into_account()
            }
        }
    };
}

pub(crate) use impl_storage;
