//! Application hooks: the application's own code, run at points of a login (what
//! python-social-auth calls signals).

use async_trait::async_trait;

use crate::model::{User, UserDetails};

/// Called at points of the login an application may care about; every method is optional.
#[async_trait]
pub trait Hooks: Send + Sync {
    /// Before the pipeline saves updated user details (python-social-auth's `pre_update`); may change
    /// the user.
    async fn pre_update(&self, backend: &str, user: &mut User, details: &UserDetails) {
        let _ = (backend, user, details);
    }

    /// After a user was created by a login.
    async fn user_created(&self, backend: &str, user: &User) {
        let _ = (backend, user);
    }

    /// When a login found no user and creating users is disabled (python-social-auth's
    /// `socialauth_not_registered`).
    async fn user_not_registered(&self, backend: &str, uid: &str, details: &UserDetails) {
        let _ = (backend, uid, details);
    }
}

/// Hooks that do nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl Hooks for NoHooks {}
