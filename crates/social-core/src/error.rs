//! The one error type of social login: [`AuthError`].

use std::fmt;

/// What went wrong, in terms a web integration can act on.
///
/// Each kind has a stable [`code`](ErrorKind::code) for logs, metrics and error pages, and a
/// user-safe [`message`](ErrorKind::user_message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Authentication failed for a reason the provider or the callback gave.
    Failed,
    /// The user cancelled at the provider (`error=access_denied`).
    Canceled,
    /// An unexpected condition; see the details in the logs.
    Unknown,
    /// The provider refused to exchange the code or refresh the token.
    TokenError,
    /// A required request parameter is missing (the details name it).
    MissingParameter,
    /// The session holds no pending login for this backend.
    StateMissing,
    /// The `state` sent back does not match the one the session holds.
    StateMismatch,
    /// The pending login is older than the state lifetime.
    StateExpired,
    /// The `state` was already used by another callback.
    StateReplayed,
    /// The provider account is already associated with another user.
    AlreadyAssociated,
    /// The user is not allowed to log in (domain or e-mail allow-list, organization, ...).
    Forbidden,
    /// Disconnecting would leave the user without any way to log in.
    NotAllowedToDisconnect,
    /// The user exists but is not active.
    InactiveUser,
    /// No user exists for this account and creating users is disabled.
    NotRegistered,
    /// The provider answered with a server error or could not be reached.
    ProviderUnavailable,
    /// The provider did not answer within the HTTP timeout.
    Timeout,
    /// The provider answered with something that is not what its API documents.
    InvalidResponse,
    /// The provider rejected an API call (4xx), for example an invalid access token.
    ProviderRejected,
    /// No backend of that name is registered.
    UnknownBackend,
    /// The partial-pipeline token is unknown, expired or belongs to another backend.
    PartialInvalid,
    /// The backend does not support this operation (refresh, revoke, ...).
    Unsupported,
    /// A setting is missing or invalid (the details name it).
    Config,
    /// The storage failed.
    Storage,
}

impl ErrorKind {
    /// A stable, machine-readable code such as `state_mismatch` or `identity_in_use`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Failed => "auth_failed",
            Self::Canceled => "auth_canceled",
            Self::Unknown => "unknown",
            Self::TokenError => "token_error",
            Self::MissingParameter => "missing_parameter",
            Self::StateMissing => "state_missing",
            Self::StateMismatch => "state_mismatch",
            Self::StateExpired => "state_expired",
            Self::StateReplayed => "state_replayed",
            Self::AlreadyAssociated => "identity_in_use",
            Self::Forbidden => "forbidden",
            Self::NotAllowedToDisconnect => "disconnect_forbidden",
            Self::InactiveUser => "inactive_user",
            Self::NotRegistered => "not_registered",
            Self::ProviderUnavailable => "provider_unavailable",
            Self::Timeout => "provider_timeout",
            Self::InvalidResponse => "invalid_response",
            Self::ProviderRejected => "provider_rejected",
            Self::UnknownBackend => "unknown_backend",
            Self::PartialInvalid => "partial_invalid",
            Self::Unsupported => "unsupported",
            Self::Config => "configuration",
            Self::Storage => "storage",
        }
    }

    /// A message that is safe to show to the end user: it never contains provider data.
    pub const fn user_message(self) -> &'static str {
        match self {
            Self::Failed => "Authentication failed. Please try again.",
            Self::Canceled => "You cancelled the login.",
            Self::TokenError => "The provider did not accept the login. Please try again.",
            Self::MissingParameter => "The login response was incomplete. Please try again.",
            Self::StateMissing | Self::StateExpired => {
                "This login session expired or was not started here. Please start again."
            }
            Self::StateMismatch | Self::StateReplayed => {
                "This login link is not valid for your session. Please start again."
            }
            Self::AlreadyAssociated => "This account is already in use by another user.",
            Self::Forbidden => "You are not allowed to log in with this account.",
            Self::NotAllowedToDisconnect => {
                "This is your only way to log in: add another one before disconnecting it."
            }
            Self::InactiveUser => "Your account is not active.",
            Self::NotRegistered => "No account is registered for this login.",
            Self::ProviderUnavailable => {
                "The login provider answered with an error or could not be reached. Please try \
                 again later."
            }
            Self::Timeout => "The login provider did not answer in time. Please try again later.",
            Self::InvalidResponse | Self::ProviderRejected => {
                "The login provider returned an unexpected answer. Please try again."
            }
            Self::UnknownBackend => "This login method is not available.",
            Self::PartialInvalid => "This step of the login expired. Please start again.",
            Self::Unknown | Self::Unsupported | Self::Config | Self::Storage => {
                "Something went wrong on our side. Please try again later."
            }
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The stage of a login in which an error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Building the redirect to the provider.
    Begin,
    /// Validating the provider's callback.
    Callback,
    /// Exchanging, refreshing or revoking tokens.
    Token,
    /// Fetching the user's profile.
    Profile,
    /// Running the pipeline.
    Pipeline,
    /// Disconnecting an account.
    Disconnect,
    /// Loading and validating settings.
    Setup,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Begin => "begin",
            Self::Callback => "callback",
            Self::Token => "token",
            Self::Profile => "profile",
            Self::Pipeline => "pipeline",
            Self::Disconnect => "disconnect",
            Self::Setup => "setup",
        })
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The error of every social-login operation.
///
/// It carries a [`kind`](AuthError::kind), the [`stage`](AuthError::stage) it happened in, the
/// provider (backend name) when known, and details for logs. Details never hold secrets or
/// tokens; show users [`user_message`](AuthError::user_message) only.
pub struct AuthError {
    kind: ErrorKind,
    stage: Stage,
    provider: Option<String>,
    details: String,
    source: Option<Source>,
}

/// The result type of social-core.
pub type Result<T, E = AuthError> = std::result::Result<T, E>;

impl AuthError {
    /// A new error of `kind` in `stage` with log details.
    pub fn new(kind: ErrorKind, stage: Stage, details: impl Into<String>) -> Self {
        Self {
            kind,
            stage,
            provider: None,
            details: details.into(),
            source: None,
        }
    }

    /// A missing request parameter named `name`.
    pub fn missing_parameter(stage: Stage, name: &str) -> Self {
        Self::new(
            ErrorKind::MissingParameter,
            stage,
            format!("missing parameter `{name}`"),
        )
    }

    /// A setting that is missing or invalid; `setting` names it as users write it.
    pub fn config(setting: &str, problem: impl fmt::Display) -> Self {
        Self::new(
            ErrorKind::Config,
            Stage::Setup,
            format!("{setting}: {problem}"),
        )
    }

    /// A storage failure.
    pub fn storage(stage: Stage, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::new(ErrorKind::Storage, stage, source.to_string()).with_source(source)
    }

    /// Sets the provider (backend name) the error belongs to.
    #[must_use]
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Sets the provider unless one is already set.
    #[must_use]
    pub fn or_provider(mut self, provider: &str) -> Self {
        if self.provider.is_none() {
            self.provider = Some(provider.to_owned());
        }
        self
    }

    /// Sets the stage.
    #[must_use]
    pub fn with_stage(mut self, stage: Stage) -> Self {
        self.stage = stage;
        self
    }

    /// Attaches the underlying error.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable code of the kind, such as `state_mismatch`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// Where in the login it happened.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The backend name, when known.
    pub fn provider(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    /// Details for logs (never secrets or tokens).
    pub fn details(&self) -> &str {
        &self.details
    }

    /// A message safe to show to the end user.
    pub fn user_message(&self) -> &'static str {
        self.kind.user_message()
    }
}

/// Reads like [`Display`](fmt::Display) followed by the chain of causes, since `Debug` is
/// what `fn main() -> Result<..>` prints; `{:#?}` shows the fields.
impl fmt::Debug for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            return f
                .debug_struct("AuthError")
                .field("kind", &self.kind)
                .field("stage", &self.stage)
                .field("provider", &self.provider)
                .field("details", &self.details)
                .field("source", &self.source)
                .finish();
        }
        fmt::Display::fmt(self, f)?;
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            write!(f, "\n  caused by: {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} during {}", self.kind.code(), self.stage)?;
        if let Some(provider) = &self.provider {
            write!(f, " with {provider}")?;
        }
        if !self.details.is_empty() {
            write!(f, ": {}", self.details)?;
        }
        Ok(())
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_reads_like_display_with_its_causes() {
        let io = std::io::Error::other("connection refused");
        let error = AuthError::storage(Stage::Callback, io).with_provider("github");
        let debug = format!("{error:?}");
        assert_eq!(
            debug,
            format!("{error}\n  caused by: connection refused"),
            "what `fn main() -> Result` prints"
        );
        assert!(
            debug.starts_with("storage during callback with github: "),
            "{debug}"
        );
        let fields = format!("{error:#?}");
        assert!(
            fields.contains("provider: Some(\n        \"github\""),
            "{fields}"
        );
        let plain = AuthError::config("SOCIAL_AUTH_X", "is wrong");
        assert_eq!(format!("{plain:?}"), plain.to_string());
    }
}
