//! Scripted answers to authorization requests, and the record of the requests answered.

use std::collections::VecDeque;

use super::MockUser;

/// How the provider answers an authorization request that passed its checks.
///
/// Set with [`MockProvider::answer_next`](super::MockProvider::answer_next) (once) or
/// [`MockProvider::answer_all`](super::MockProvider::answer_all) (from now on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answer {
    /// Shows the login form and waits for a person: the default.
    #[default]
    Form,
    /// Logs this user in at once, as if they had filled in the form: a code goes back to
    /// the client. A user without an e-mail address gets no `email` claim.
    LoginAs(MockUser),
    /// Sends the user back with `error=access_denied`, as if they had pressed Deny.
    Deny,
}

/// The queued and standing answers.
#[derive(Debug, Default)]
pub(super) struct Script {
    /// One-time answers, first first.
    pub(super) next: VecDeque<Answer>,
    /// The answer when none is queued.
    pub(super) standing: Answer,
}

/// An authorization request the provider accepted, and how it answered: what a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Authorization {
    /// The client that asked.
    pub client_id: String,
    /// Where the answer went.
    pub redirect_uri: String,
    /// The scope asked for, in the order given.
    pub scope: Vec<String>,
    /// The client's `state`.
    pub state: Option<String>,
    /// The client's `nonce` (OpenID Connect).
    pub nonce: Option<String>,
    /// Whether the answer was POSTed to the client (`response_mode=form_post`).
    pub form_post: bool,
    /// What the provider answered: the form, a login (from the script or the form), or a
    /// denial.
    pub answer: Answer,
}

impl Authorization {
    /// Whether `scope` was asked for.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.iter().any(|s| s == scope)
    }
}
