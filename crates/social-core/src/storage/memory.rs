//! The in-memory storage: for tests, examples and single-process demos.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Mutex, MutexGuard},
    time::{SystemTime, UNIX_EPOCH},
};

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::{Code, OpenIdAssociation, Partial, Storage, StorageError, StorageResult, UserStore};
use crate::model::{NewSocialAccount, NewUser, SocialAccount, User, UserId};

/// Everything in one mutex-guarded map set; atomic by construction. Data is lost on restart.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    next_user: u64,
    next_account: i64,
    users: BTreeMap<UserId, User>,
    accounts: BTreeMap<i64, SocialAccount>,
    nonces: HashSet<(String, i64, String)>,
    associations: Vec<OpenIdAssociation>,
    codes: HashMap<String, Code>,
    partials: HashMap<String, Partial>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a half-applied write: every write is one
        // insert. Keep serving.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many users and social accounts are stored; for tests.
    pub fn counts(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.users.len(), inner.accounts.len())
    }
}

impl Inner {
    fn insert_user(&mut self, new: NewUser) -> StorageResult<User> {
        if self.users.values().any(|u| u.username == new.username) {
            return Err(StorageError::Conflict(format!(
                "username `{}` is taken",
                new.username
            )));
        }
        self.next_user += 1;
        let user = User {
            id: UserId(self.next_user.to_string()),
            username: new.username,
            email: new.email,
            email_verified: new.email_verified,
            first_name: new.first_name,
            last_name: new.last_name,
            fullname: new.fullname,
            is_active: true,
        };
        self.users.insert(user.id.clone(), user.clone());
        Ok(user)
    }

    fn check_account(&self, user: &UserId, account: &NewSocialAccount) -> StorageResult<()> {
        if !self.users.contains_key(user) {
            return Err(StorageError::NotFound(format!("user {user}")));
        }
        if self
            .accounts
            .values()
            .any(|a| a.provider == account.provider && a.uid == account.uid)
        {
            return Err(StorageError::Conflict(format!(
                "{} account {} is already associated",
                account.provider, account.uid
            )));
        }
        Ok(())
    }

    fn insert_account(&mut self, user: &UserId, account: NewSocialAccount) -> SocialAccount {
        self.next_account += 1;
        let now = now();
        let account = SocialAccount {
            id: self.next_account,
            user_id: user.clone(),
            provider: account.provider,
            uid: account.uid,
            extra_data: account.extra_data,
            created_at: now,
            modified_at: now,
        };
        self.accounts.insert(account.id, account.clone());
        account
    }
}

#[async_trait]
impl UserStore for MemoryStorage {
    async fn user(&self, id: &UserId) -> StorageResult<Option<User>> {
        Ok(self.lock().users.get(id).cloned())
    }

    async fn users_by_email(&self, email: &str) -> StorageResult<Vec<User>> {
        Ok(self
            .lock()
            .users
            .values()
            .filter(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .cloned()
            .collect())
    }

    async fn username_exists(&self, username: &str) -> StorageResult<bool> {
        Ok(self.lock().users.values().any(|u| u.username == username))
    }

    async fn create_user(&self, user: NewUser) -> StorageResult<User> {
        self.lock().insert_user(user)
    }

    async fn update_user(&self, user: &User) -> StorageResult<()> {
        let mut inner = self.lock();
        if inner
            .users
            .values()
            .any(|u| u.id != user.id && u.username == user.username)
        {
            return Err(StorageError::Conflict(format!(
                "username `{}` is taken",
                user.username
            )));
        }
        match inner.users.get_mut(&user.id) {
            Some(stored) => {
                *stored = user.clone();
                Ok(())
            }
            None => Err(StorageError::NotFound(format!("user {}", user.id))),
        }
    }

    async fn delete_user(&self, id: &UserId) -> StorageResult<()> {
        let mut inner = self.lock();
        inner.users.remove(id);
        inner.accounts.retain(|_, a| &a.user_id != id);
        Ok(())
    }
}

#[async_trait]
impl Storage for MemoryStorage {
    async fn social_account(
        &self,
        provider: &str,
        uid: &str,
    ) -> StorageResult<Option<SocialAccount>> {
        Ok(self
            .lock()
            .accounts
            .values()
            .find(|a| a.provider == provider && a.uid == uid)
            .cloned())
    }

    async fn social_account_by_id(&self, id: i64) -> StorageResult<Option<SocialAccount>> {
        Ok(self.lock().accounts.get(&id).cloned())
    }

    async fn social_accounts(&self, user: &UserId) -> StorageResult<Vec<SocialAccount>> {
        Ok(self
            .lock()
            .accounts
            .values()
            .filter(|a| &a.user_id == user)
            .cloned()
            .collect())
    }

    async fn create_social_account(
        &self,
        user: &UserId,
        account: NewSocialAccount,
    ) -> StorageResult<SocialAccount> {
        let mut inner = self.lock();
        inner.check_account(user, &account)?;
        Ok(inner.insert_account(user, account))
    }

    async fn create_user_with_account(
        &self,
        user: NewUser,
        account: NewSocialAccount,
    ) -> StorageResult<(User, SocialAccount)> {
        let mut inner = self.lock();
        if inner
            .accounts
            .values()
            .any(|a| a.provider == account.provider && a.uid == account.uid)
        {
            return Err(StorageError::Conflict(format!(
                "{} account {} is already associated",
                account.provider, account.uid
            )));
        }
        let user = inner.insert_user(user)?;
        let account = inner.insert_account(&user.id, account);
        Ok((user, account))
    }

    async fn update_extra_data(
        &self,
        id: i64,
        extra_data: &Map<String, Value>,
    ) -> StorageResult<()> {
        let mut inner = self.lock();
        let account = inner
            .accounts
            .get_mut(&id)
            .ok_or_else(|| StorageError::NotFound(format!("social account {id}")))?;
        account.extra_data = extra_data.clone();
        account.modified_at = now();
        Ok(())
    }

    async fn delete_social_account(&self, id: i64) -> StorageResult<()> {
        self.lock().accounts.remove(&id);
        Ok(())
    }

    async fn use_nonce(&self, server_url: &str, timestamp: i64, salt: &str) -> StorageResult<bool> {
        Ok(self
            .lock()
            .nonces
            .insert((server_url.to_owned(), timestamp, salt.to_owned())))
    }

    async fn purge_nonces(&self, before: i64) -> StorageResult<u64> {
        let mut inner = self.lock();
        let len = inner.nonces.len();
        inner.nonces.retain(|(_, ts, _)| *ts >= before);
        Ok((len - inner.nonces.len()) as u64)
    }

    async fn store_association(&self, association: OpenIdAssociation) -> StorageResult<()> {
        let mut inner = self.lock();
        inner.associations.retain(|a| {
            !(a.server_url == association.server_url && a.handle == association.handle)
        });
        inner.associations.push(association);
        Ok(())
    }

    async fn associations(
        &self,
        server_url: &str,
        handle: Option<&str>,
    ) -> StorageResult<Vec<OpenIdAssociation>> {
        Ok(self
            .lock()
            .associations
            .iter()
            .filter(|a| a.server_url == server_url && handle.is_none_or(|h| a.handle == h))
            .cloned()
            .collect())
    }

    async fn remove_association(&self, server_url: &str, handle: &str) -> StorageResult<()> {
        self.lock()
            .associations
            .retain(|a| !(a.server_url == server_url && a.handle == handle));
        Ok(())
    }

    async fn store_code(&self, code: Code) -> StorageResult<()> {
        self.lock().codes.insert(code.code.clone(), code);
        Ok(())
    }

    async fn code(&self, code: &str) -> StorageResult<Option<Code>> {
        Ok(self.lock().codes.get(code).cloned())
    }

    async fn verify_code(&self, code: &str) -> StorageResult<()> {
        match self.lock().codes.get_mut(code) {
            Some(c) => {
                c.verified = true;
                Ok(())
            }
            None => Err(StorageError::NotFound("code".into())),
        }
    }

    async fn purge_codes(&self, before: i64) -> StorageResult<u64> {
        let mut inner = self.lock();
        let len = inner.codes.len();
        inner.codes.retain(|_, c| c.created_at >= before);
        Ok((len - inner.codes.len()) as u64)
    }

    async fn store_partial(&self, partial: Partial) -> StorageResult<()> {
        self.lock().partials.insert(partial.token.clone(), partial);
        Ok(())
    }

    async fn take_partial(&self, token: &str) -> StorageResult<Option<Partial>> {
        Ok(self.lock().partials.remove(token))
    }

    async fn partial(&self, token: &str) -> StorageResult<Option<Partial>> {
        Ok(self.lock().partials.get(token).cloned())
    }

    async fn purge_partials(&self, before: i64) -> StorageResult<u64> {
        let mut inner = self.lock();
        let len = inner.partials.len();
        inner.partials.retain(|_, p| p.expires_at > before);
        Ok((len - inner.partials.len()) as u64)
    }
}
