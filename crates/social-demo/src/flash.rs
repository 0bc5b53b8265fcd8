//! One-time messages: an action (disconnect, token refresh, logout) leaves one in the session,
//! and the next page drawn shows it, once.

use serde::{Deserialize, Serialize};
use tower_sessions::{Session, session::Error};

use crate::html::esc;

/// The session key holding the message until a page shows it.
const FLASH_KEY: &str = "social_demo.flash";

/// What the last action did, or why it was not done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Flash {
    /// It was done: "Disconnected GitHub."
    Done(String),
    /// It was refused, and why.
    Refused(String),
}

impl Flash {
    /// Keeps the message for the next page.
    pub(crate) async fn keep(self, session: &Session) -> Result<(), Error> {
        session.insert(FLASH_KEY, self).await
    }

    /// Removes and returns the message, if any.
    pub(crate) async fn take(session: &Session) -> Result<Option<Self>, Error> {
        // Looked at first: removing marks the session changed, and a changed session is
        // written back to the store, which most pages have no reason to do.
        if session.get_value(FLASH_KEY).await?.is_none() {
            return Ok(None);
        }
        // An unreadable value (an older shape, say) could only be shown wrongly: drop it.
        Ok(session
            .remove_value(FLASH_KEY)
            .await?
            .and_then(|value| serde_json::from_value(value).ok()))
    }

    /// The message as HTML, to put at the top of the page.
    pub(crate) fn html(&self) -> String {
        match self {
            Self::Done(text) => format!(
                r#"<p class="flash done" role="status" id="flash">{}</p>"#,
                esc(text)
            ),
            Self::Refused(text) => format!(
                r#"<p class="flash" role="alert" id="flash">{}</p>"#,
                esc(text)
            ),
        }
    }
}
