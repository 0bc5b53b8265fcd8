//! The pipeline: ordered, named steps that turn an [`AuthResponse`] into a logged-in user.
//!
//! The default list is python-social-auth's: `social_details`, `social_uid`, `auth_allowed`,
//! `social_user`, `get_username`, `create_user`, `associate_user`, `load_extra_data`,
//! `user_details`. Steps read and write one serializable [`PipelineState`], so that a step may
//! pause the pipeline (a *partial* pipeline), have the state stored under an unguessable token,
//! and have it resumed by a later request.

mod steps;

use std::{fmt, sync::Arc};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use steps::{
    AssociateByEmail, AssociateUser, AuthAllowed, CreateUser, GetUsername, LoadExtraData,
    RequireEmail, SocialDetails, SocialUid, SocialUser, UserDetailsStep, normalize_email,
};

use crate::{
    backend::Flow,
    clock::Clock,
    error::Result,
    hooks::Hooks,
    model::{AuthResponse, SocialAccount, User, UserDetails, UserId},
    settings::{BackendSettings, Settings},
    storage::Storage,
    strategy::Strategy,
};

/// Makes a username from the provider's details; `None` falls back to the default rules.
pub type UsernameFn = dyn Fn(&UserDetails) -> Option<String> + Send + Sync;

/// Everything the pipeline knows about the login in progress; serializable for partials.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PipelineState {
    /// The backend's answer.
    pub response: AuthResponse,
    /// The details the user will get; steps may change them.
    pub details: UserDetails,
    /// The provider user id.
    pub uid: Option<String>,
    /// The username chosen for a new user.
    pub username: Option<String>,
    /// The local user, once found or created.
    pub user: Option<User>,
    /// The social account, once found or created.
    pub social: Option<SocialAccount>,
    /// The user logged in when the login started: the account is to be associated with them.
    pub current_user: Option<UserId>,
    /// The user was created by this login.
    pub is_new: bool,
    /// The social account was created by this login.
    pub new_association: bool,
    /// Free-form data of custom steps.
    pub data: Map<String, Value>,
}

impl PipelineState {
    /// The state at the start of the pipeline.
    pub fn new(response: AuthResponse, current_user: Option<UserId>) -> Self {
        Self {
            details: UserDetails::default(),
            response,
            uid: None,
            username: None,
            user: None,
            social: None,
            current_user,
            is_new: false,
            new_association: false,
            data: Map::new(),
        }
    }

    /// The backend name.
    pub fn backend(&self) -> &str {
        &self.response.backend
    }
}

/// What a step sees: the state and the services around it.
#[non_exhaustive]
pub struct StepCx<'a> {
    /// The login in progress.
    pub state: &'a mut PipelineState,
    /// The storage.
    pub storage: &'a dyn Storage,
    /// All settings.
    pub settings: &'a Settings,
    /// The backend's settings.
    pub backend: &'a BackendSettings,
    /// The current request (the resuming one, after a pause).
    pub strategy: &'a dyn Strategy,
    /// The application's hooks.
    pub hooks: &'a dyn Hooks,
    /// The clock.
    pub clock: &'a dyn Clock,
    /// The application's username function, if any.
    pub username_fn: Option<&'a UsernameFn>,
}

impl fmt::Debug for StepCx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StepCx")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// Where a paused pipeline goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resume {
    /// Run the pausing step again (it reads what the user sent).
    Same,
    /// Run the step after the pausing one.
    Next,
    /// Run the step with this name.
    At(String),
}

/// What a step decided.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepOutcome {
    /// Go on with the next step.
    Continue,
    /// End the pipeline here; the login completes with the state as it is.
    Stop,
    /// End the pipeline and answer the request with this flow; nothing is logged in.
    Respond(Flow),
    /// Store the state and send the user to `url`; a later request resumes it.
    Pause {
        /// Where to send the user (the partial token is added as `partial_token`).
        url: String,
        /// Where to resume.
        resume: Resume,
    },
}

/// One pipeline step.
#[async_trait]
pub trait Step: Send + Sync {
    /// The step's name, unique in its pipeline.
    fn name(&self) -> &str;
    /// Runs the step.
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome>;
}

/// An ordered list of steps.
#[derive(Clone)]
pub struct Pipeline {
    steps: Vec<Arc<dyn Step>>,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Default for Pipeline {
    /// python-social-auth's default pipeline.
    fn default() -> Self {
        Self::empty()
            .with(SocialDetails)
            .with(SocialUid)
            .with(AuthAllowed)
            .with(SocialUser)
            .with(GetUsername)
            .with(CreateUser)
            .with(AssociateUser)
            .with(LoadExtraData)
            .with(UserDetailsStep)
    }
}

impl Pipeline {
    /// A pipeline without steps.
    pub fn empty() -> Self {
        Self { steps: Vec::new() }
    }

    /// Appends a step.
    #[must_use]
    pub fn with(mut self, step: impl Step + 'static) -> Self {
        self.steps.push(Arc::new(step));
        self
    }

    /// Inserts a step before the step named `before`; `None` when there is no such step.
    #[must_use]
    pub fn insert_before(mut self, before: &str, step: impl Step + 'static) -> Option<Self> {
        let at = self.position(before)?;
        self.steps.insert(at, Arc::new(step));
        Some(self)
    }

    /// Inserts a step after the step named `after`; `None` when there is no such step.
    #[must_use]
    pub fn insert_after(mut self, after: &str, step: impl Step + 'static) -> Option<Self> {
        let at = self.position(after)?;
        self.steps.insert(at + 1, Arc::new(step));
        Some(self)
    }

    /// Removes the step named `name`.
    #[must_use]
    pub fn without(mut self, name: &str) -> Self {
        self.steps.retain(|s| s.name() != name);
        self
    }

    /// The index of the step named `name`.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.name() == name)
    }

    /// The step names in order.
    pub fn names(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.name()).collect()
    }

    /// Runs the steps from index `from` on.
    pub async fn run(&self, cx: &mut StepCx<'_>, from: usize) -> Result<PipelineEnd> {
        for (index, step) in self.steps.iter().enumerate().skip(from) {
            tracing::trace!(step = step.name(), "pipeline step");
            match step
                .run(cx)
                .await
                .map_err(|e| e.or_provider(&cx.state.response.backend))?
            {
                StepOutcome::Continue => {}
                StepOutcome::Stop => return Ok(PipelineEnd::Done),
                StepOutcome::Respond(flow) => return Ok(PipelineEnd::Respond(flow)),
                StepOutcome::Pause { url, resume } => {
                    let next_step = match resume {
                        Resume::Same => index,
                        Resume::Next => index + 1,
                        Resume::At(name) => self.position(&name).ok_or_else(|| {
                            crate::AuthError::config(
                                "pipeline",
                                format!("no step named `{name}` to resume at"),
                            )
                        })?,
                    };
                    return Ok(PipelineEnd::Paused { url, next_step });
                }
            }
        }
        Ok(PipelineEnd::Done)
    }
}

/// How a pipeline run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PipelineEnd {
    /// All steps ran, or one stopped it.
    Done,
    /// A step answered the request itself.
    Respond(Flow),
    /// A step paused it.
    Paused {
        /// Where to send the user.
        url: String,
        /// The step to run on resume.
        next_step: usize,
    },
}
