//! The logged-in user of a request, for the integrations' extractors and the routes.

use std::fmt;

use social_core::{SocialAuth, User, storage::StorageError};

use crate::session::{SessionError, WebSession, user_id};

/// Why the current user could not be loaded; the integrations answer it with an error page
/// and log the cause.
#[derive(Debug)]
#[non_exhaustive]
pub enum UserError {
    /// The session store failed.
    Session(SessionError),
    /// The user storage failed.
    Storage(StorageError),
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Session(e) => write!(f, "the session store failed: {e}"),
            Self::Storage(e) => write!(f, "could not load the logged-in user: {e}"),
        }
    }
}

impl std::error::Error for UserError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Session(e) => Some(e),
            Self::Storage(e) => Some(e),
        }
    }
}

/// The logged-in user of `session`, if they still exist and are active: deactivating or
/// deleting a user ends their sessions at their next request, and so does the end of the login
/// the provider set.
pub async fn current_user(
    auth: &SocialAuth,
    session: &dyn WebSession,
) -> Result<Option<User>, UserError> {
    let now = auth.clock().now();
    let Some(id) = user_id(session, now).await.map_err(UserError::Session)? else {
        return Ok(None);
    };
    let user = auth.storage().user(&id).await.map_err(UserError::Storage)?;
    Ok(user.filter(|u| u.is_active))
}

/// Where an anonymous request for `here` (a path and query) is sent: `LOGIN_URL` with `next`
/// set to `here`, so that the user comes back after logging in.
pub fn login_location(auth: &SocialAuth, here: &str) -> String {
    let login_url = &auth.settings().login_url;
    let separator = if login_url.contains('?') { '&' } else { '?' };
    let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    format!("{login_url}{separator}next={next}")
}
