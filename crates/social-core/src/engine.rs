//! [`SocialAuth`]: the registry, settings, storage and pipeline put together.

use std::{collections::BTreeMap, fmt, sync::Arc};

use serde_json::Value;

use crate::{
    backend::{Backend, BackendCx, Flow, ProviderCx, Registry, Services},
    clock::{Clock, SystemClock},
    error::{AuthError, ErrorKind, Result, Stage},
    hooks::{Hooks, NoHooks},
    http::HttpClient,
    model::{SocialAccount, User, UserId},
    pipeline::{Pipeline, PipelineEnd, PipelineState, StepCx, UsernameFn},
    redirect::sanitize_redirect,
    settings::{BackendSettings, Configure, Settings},
    storage::{Partial, Storage},
    strategy::Strategy,
};

/// The session key holding the sanitized `next` URL of a login in progress.
pub const NEXT_KEY: &str = "social_auth.next";
/// The request parameter carrying a partial-pipeline token.
pub const PARTIAL_TOKEN_PARAM: &str = "partial_token";
/// The session key holding the token of the pipeline paused in this session.
pub const PARTIAL_SESSION_KEY: &str = "social_auth.partial";

/// How a completed callback ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Outcome {
    /// Log `user` in and redirect to `redirect_url`.
    LoggedIn(Login),
    /// The user is inactive: do not log in; redirect to `redirect_url`.
    Inactive {
        /// The inactive user.
        user: User,
        /// Where to send them.
        redirect_url: String,
    },
    /// The pipeline paused: redirect to `url` (it carries the `partial_token`).
    Paused {
        /// Where to send the user.
        url: String,
        /// The token that resumes the pipeline.
        token: String,
    },
    /// A step answered the request itself.
    Respond(Flow),
}

/// A successful login.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Login {
    /// The backend used.
    pub backend: String,
    /// The user to log in.
    pub user: User,
    /// The social account used.
    pub account: Option<SocialAccount>,
    /// The user was created by this login.
    pub is_new: bool,
    /// The account was associated by this login.
    pub new_association: bool,
    /// Where to send the user now.
    pub redirect_url: String,
    /// When the session should expire, from the provider's token expiry, if configured.
    pub session_expires_at: Option<i64>,
}

/// Builds a [`SocialAuth`].
pub struct SocialAuthBuilder {
    registry: Registry,
    settings: Settings,
    storage: Option<Arc<dyn Storage>>,
    http: Option<Arc<dyn HttpClient>>,
    clock: Arc<dyn Clock>,
    pipeline: Pipeline,
    hooks: Arc<dyn Hooks>,
    username_fn: Option<Arc<UsernameFn>>,
    services: Services,
}

impl fmt::Debug for SocialAuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialAuthBuilder")
            .field("registry", &self.registry)
            .finish_non_exhaustive()
    }
}

impl SocialAuthBuilder {
    /// Sets the settings.
    #[must_use]
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Sets the storage (required).
    #[must_use]
    pub fn storage(mut self, storage: Arc<dyn Storage>) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Sets the HTTP client; the default (feature `reqwest`) is one shared `ReqwestClient`.
    #[must_use]
    pub fn http_client(mut self, http: Arc<dyn HttpClient>) -> Self {
        self.http = Some(http);
        self
    }

    /// Sets the clock.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Replaces the default pipeline.
    #[must_use]
    pub fn pipeline(mut self, pipeline: Pipeline) -> Self {
        self.pipeline = pipeline;
        self
    }

    /// Sets the application hooks.
    #[must_use]
    pub fn hooks(mut self, hooks: Arc<dyn Hooks>) -> Self {
        self.hooks = hooks;
        self
    }

    /// Sets a function choosing usernames for new users.
    #[must_use]
    pub fn username_fn(
        mut self,
        f: impl Fn(&crate::UserDetails) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.username_fn = Some(Arc::new(f));
        self
    }

    /// Adds a shared service every backend can reach through
    /// [`ProviderCx::service`](crate::ProviderCx::service), such as an OpenID Connect key
    /// cache; one per type.
    #[must_use]
    pub fn service<T: Clone + Send + Sync + 'static>(mut self, service: T) -> Self {
        self.services.insert(service);
        self
    }

    /// Validates the settings, gives every backend its settings to read and check once
    /// ([`Backend::configure`]), and builds.
    ///
    /// A setting no backend reads, a `SOCIAL_AUTH_<BACKEND>_*` variable or `[backends.<name>]`
    /// table of a backend that is not registered, or a value of the wrong type is an error
    /// naming the variable or key.
    pub fn build(mut self) -> Result<SocialAuth> {
        self.settings.validate()?;
        let names: Vec<String> = self.registry.names().map(str::to_owned).collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.settings.resolve_env(&names)?;
        if let Some(var) = self.settings.pending_env().next() {
            return Err(AuthError::config(
                var,
                format!(
                    "names no setting and no registered backend (registered: {})",
                    names.join(", ")
                ),
            ));
        }
        if let Some(name) = self
            .settings
            .backends
            .keys()
            .find(|name| self.registry.get(name).is_none())
        {
            return Err(AuthError::config(
                &format!("backends.{name}"),
                format!(
                    "configures a backend that is not registered (registered: {})",
                    names.join(", ")
                ),
            ));
        }
        for backend in self.registry.iter() {
            let name = backend.name();
            let configured = Configure::run(&**backend, self.settings.backend(name))?;
            self.settings.backends.insert(name.to_owned(), configured);
        }
        let unconfigured = unconfigured_report(&self.registry);
        if self.settings.strict_backends
            && let Some((name, missing)) = unconfigured.iter().next()
        {
            return Err(AuthError::config(
                "STRICT_BACKENDS",
                format!(
                    "backend `{name}` is compiled in but not configured ({missing}); configure it, \
                     leave its Cargo feature out, or turn STRICT_BACKENDS off"
                ),
            )
            .with_provider(name.as_str()));
        }
        log_startup(&self.registry, &unconfigured);
        for (issuer, backends) in shared_issuers(&self.settings) {
            // Two clients of one provider are legitimate, but the issuer no longer tells
            // their answers apart (RFC 9207's mix-up defence): say so once.
            tracing::warn!(
                issuer,
                backends = backends.join(", "),
                "several backends share one issuer: their authorization responses cannot be told apart by `iss`"
            );
        }
        let storage = self.storage.ok_or_else(|| {
            AuthError::config("storage", "no storage was given to SocialAuth::builder")
        })?;
        let http = match self.http {
            Some(http) => http,
            None => default_client(&self.settings)?,
        };
        Ok(SocialAuth {
            inner: Arc::new(Inner {
                registry: self.registry,
                settings: self.settings,
                storage,
                http,
                clock: self.clock,
                pipeline: self.pipeline,
                hooks: self.hooks,
                username_fn: self.username_fn,
                services: self.services,
                unconfigured,
            }),
        })
    }
}

/// What each backend set aside as not configured lacks, in the words of its own check
/// (the setting at fault, as `SOCIAL_AUTH_<NAME>_KEY` and `backends.<name>.key`), by name.
fn unconfigured_report(registry: &Registry) -> BTreeMap<String, String> {
    registry
        .unconfigured()
        .map(|backend| {
            let name = backend.name();
            let missing = match Configure::run(&**backend, &BackendSettings::default()) {
                Err(e) => e.details().to_owned(),
                // A backend that needs nothing was left out only for want of any setting.
                Ok(_) => format!("no {} setting", crate::settings::env_name(Some(name), "*")),
            };
            (name.to_owned(), missing)
        })
        .collect()
}

/// Logs, once at start-up, which backends are enabled and which are compiled in but not
/// configured.
fn log_startup(registry: &Registry, unconfigured: &BTreeMap<String, String>) {
    let enabled: Vec<String> = registry
        .iter()
        .map(|b| match b.display_name() {
            title if title == b.name() => title.to_owned(),
            title => format!("{} ({title})", b.name()),
        })
        .collect();
    tracing::info!(
        backends = enabled.join(", "),
        "social login: {} backend(s) enabled",
        enabled.len()
    );
    if !unconfigured.is_empty() {
        let list: Vec<String> = unconfigured
            .iter()
            .map(|(name, missing)| format!("{name} ({missing})"))
            .collect();
        tracing::warn!(
            backends = list.join("; "),
            "social login: {} backend(s) compiled in but not configured: their login URLs answer \
             \"not configured\" until their settings are given (STRICT_BACKENDS=true refuses \
             to start instead)",
            list.len()
        );
    }
}

/// The issuers that more than one backend declared ([`crate::settings::DeclaredIssuer`]),
/// with those backends' names.
pub(crate) fn shared_issuers(settings: &Settings) -> Vec<(String, Vec<String>)> {
    let mut by_issuer: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (name, backend) in &settings.backends {
        if let Some(issuer) = backend.typed::<crate::settings::DeclaredIssuer>() {
            by_issuer
                .entry(issuer.0.trim_end_matches('/').to_owned())
                .or_default()
                .push(name.clone());
        }
    }
    by_issuer.into_iter().filter(|(_, b)| b.len() > 1).collect()
}

/// The callback parameters that decide what a login is: given twice, a framework keeps one
/// of them and a proxy or a check may have seen the other.
const SECURITY_PARAMS: &[&str] = &[
    "state",
    "code",
    "error",
    "iss",
    "id_token",
    "oauth_token",
    "oauth_verifier",
    "denied",
    PARTIAL_TOKEN_PARAM,
];

/// Refuses a callback whose security parameters appear more than once (parameter pollution).
fn refuse_polluted(strategy: &dyn Strategy, backend: &str) -> Result<()> {
    let repeated = strategy.repeated_params();
    match repeated
        .iter()
        .find(|name| SECURITY_PARAMS.contains(&name.as_str()) || name.starts_with("openid."))
    {
        Some(name) => Err(AuthError::new(
            ErrorKind::Failed,
            Stage::Callback,
            format!("the callback carries `{name}` more than once: refused"),
        )
        .with_provider(backend)),
        None => Ok(()),
    }
}

#[cfg(feature = "reqwest")]
fn default_client(settings: &Settings) -> Result<Arc<dyn HttpClient>> {
    Ok(Arc::new(
        crate::http::ReqwestClient::new(
            std::time::Duration::from_secs(settings.http_timeout),
            &settings.user_agent,
        )?
        .max_response_bytes(settings.max_response_bytes),
    ))
}

#[cfg(not(feature = "reqwest"))]
fn default_client(_: &Settings) -> Result<Arc<dyn HttpClient>> {
    Err(AuthError::config(
        "http_client",
        "feature `reqwest` is off: pass a client to the builder",
    ))
}

struct Inner {
    registry: Registry,
    settings: Settings,
    storage: Arc<dyn Storage>,
    http: Arc<dyn HttpClient>,
    clock: Arc<dyn Clock>,
    pipeline: Pipeline,
    hooks: Arc<dyn Hooks>,
    username_fn: Option<Arc<UsernameFn>>,
    services: Services,
    /// Backends compiled in but not configured, with what each lacks.
    unconfigured: BTreeMap<String, String>,
}

/// Social login for one application: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct SocialAuth {
    inner: Arc<Inner>,
}

impl fmt::Debug for SocialAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocialAuth")
            .field("backends", &self.inner.registry)
            .field("pipeline", &self.inner.pipeline)
            .finish_non_exhaustive()
    }
}

impl SocialAuth {
    /// Starts building with the backends of `registry`.
    pub fn builder(registry: Registry) -> SocialAuthBuilder {
        SocialAuthBuilder {
            registry,
            settings: Settings::default(),
            storage: None,
            http: None,
            clock: Arc::new(SystemClock),
            pipeline: Pipeline::default(),
            hooks: Arc::new(NoHooks),
            username_fn: None,
            services: Services::new(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The registered backends.
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }

    /// The storage.
    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// What backend `name` lacks, when it is compiled in but was set aside for want of
    /// settings ([`Registry::keep_configured`]): the setting at fault, as its own check says.
    pub fn not_configured(&self, name: &str) -> Option<&str> {
        self.inner.unconfigured.get(name).map(String::as_str)
    }

    /// The backend named `name`, or [`ErrorKind::UnknownBackend`].
    pub fn backend(&self, name: &str, stage: Stage) -> Result<&Arc<dyn Backend>> {
        self.inner.registry.get(name).ok_or_else(|| {
            let details = match self.inner.unconfigured.get(name) {
                Some(missing) => {
                    format!("backend `{name}` is compiled in but not configured: {missing}")
                }
                None => format!("no backend named `{name}`"),
            };
            AuthError::new(ErrorKind::UnknownBackend, stage, details).with_provider(name)
        })
    }

    /// What backend `name` may use outside a request (its settings, the shared HTTP client,
    /// the clock): for calling a backend's own helpers, such as
    /// `OidcBackend::logout_url`, on a backend the application keeps an `Arc` of.
    pub fn provider_cx<'a>(&'a self, name: &'a str) -> ProviderCx<'a> {
        ProviderCx::new(
            name,
            &self.inner.settings,
            &*self.inner.http,
            &*self.inner.clock,
        )
        .with_services(&self.inner.services)
    }

    /// Sanitizes a redirect target against this site's origin (scheme, host and port, as the
    /// request reached it) and the allow-list ([`sanitize_redirect`]).
    pub fn safe_redirect(&self, strategy: &dyn Strategy, target: &str) -> Option<String> {
        let settings = &self.inner.settings;
        if !settings.sanitize_redirects {
            return Some(target.to_owned());
        }
        sanitize_redirect(
            target,
            Some(&crate::strategy::site_origin(strategy, settings)),
            &settings.allowed_redirect_hosts,
        )
    }

    /// Starts a login with `backend`; a sanitized `next` parameter is kept for the end.
    pub async fn begin(&self, strategy: &dyn Strategy, backend: &str) -> Result<Flow> {
        let b = self.backend(backend, Stage::Begin)?;
        self.check_host(strategy, backend, Stage::Begin)?;
        match strategy
            .param("next")
            .and_then(|n| self.safe_redirect(strategy, &n))
        {
            Some(next) => strategy.session_set(NEXT_KEY, Value::String(next)).await?,
            None => {
                strategy.session_remove(NEXT_KEY).await?;
            }
        }
        let cx = BackendCx {
            provider: self.provider_cx(b.name()),
            strategy,
            storage: &*self.inner.storage,
        };
        b.start(&cx).await.map_err(|e| e.or_provider(backend))
    }

    /// Without `PUBLIC_URL`, the callback URL is built from the request's `Host`: refuse a
    /// host `ALLOWED_HOSTS` does not list, so that a forged `Host` cannot send the provider
    /// a callback on another site.
    fn check_host(&self, strategy: &dyn Strategy, backend: &str, stage: Stage) -> Result<()> {
        let settings = &self.inner.settings;
        if settings.public_url.is_some() || settings.allowed_hosts.is_empty() {
            return Ok(());
        }
        let host = strategy.host().unwrap_or_default();
        if settings
            .allowed_hosts
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(&host))
        {
            return Ok(());
        }
        Err(AuthError::new(
            ErrorKind::Forbidden,
            stage,
            format!(
                "the request reached host `{}`, which ALLOWED_HOSTS does not list",
                host.chars().take(100).collect::<String>()
            ),
        )
        .with_provider(backend))
    }

    /// Whether backend `name` only connects accounts to a logged-in user: its
    /// `ASSOCIATION_ONLY` setting, else what the backend declares. Web integrations check it
    /// before sending an anonymous user to the provider.
    pub fn association_only(&self, name: &str) -> bool {
        let declared = self
            .registry()
            .get(name)
            .is_some_and(|b| b.capabilities().association_only);
        self.settings()
            .backends
            .get(name)
            .and_then(|b| b.association_only)
            .unwrap_or(declared)
    }

    /// Completes a login at the callback of `backend`, or resumes a paused pipeline when the
    /// request carries `partial_token`. `current_user` is the logged-in user, if any: the
    /// account is then associated with them.
    pub async fn complete(
        &self,
        strategy: &dyn Strategy,
        backend: &str,
        current_user: Option<&UserId>,
    ) -> Result<Outcome> {
        let b = self.backend(backend, Stage::Callback)?;
        self.check_host(strategy, backend, Stage::Callback)?;
        refuse_polluted(strategy, backend)?;
        if let Some(token) = strategy.param(PARTIAL_TOKEN_PARAM) {
            return self.resume(strategy, backend, &token).await;
        }
        if current_user.is_none() && self.association_only(backend) {
            // Refused before the code is exchanged: nothing is fetched, nothing written.
            return Err(AuthError::new(
                ErrorKind::Forbidden,
                Stage::Callback,
                format!(
                    "{backend} only connects an account to a logged-in user (ASSOCIATION_ONLY):                      log in another way first"
                ),
            )
            .with_provider(backend));
        }
        let cx = BackendCx {
            provider: self.provider_cx(b.name()),
            strategy,
            storage: &*self.inner.storage,
        };
        let response = b.complete(&cx).await.map_err(|e| e.or_provider(backend))?;
        let state = PipelineState::new(response, current_user.cloned());
        self.run_pipeline(strategy, state, 0).await
    }

    async fn resume(&self, strategy: &dyn Strategy, backend: &str, token: &str) -> Result<Outcome> {
        let invalid = |why: &str| {
            AuthError::new(ErrorKind::PartialInvalid, Stage::Pipeline, why.to_owned())
                .with_provider(backend)
        };
        // A token resumes only in the session that paused: otherwise an attacker could pause
        // a login into their own account and have a victim's browser finish it.
        let mine = match strategy.session_get(PARTIAL_SESSION_KEY).await? {
            Some(Value::String(mine)) => mine,
            _ => return Err(invalid("this session paused no pipeline")),
        };
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            mine.as_bytes(),
            token.as_bytes(),
        )) {
            return Err(invalid("the partial token belongs to another session"));
        }
        let storage_error = |e| AuthError::storage(Stage::Pipeline, e);
        let peek = self
            .inner
            .storage
            .partial(token)
            .await
            .map_err(storage_error)?;
        if peek.is_some_and(|p| p.backend != backend) {
            return Err(invalid("the partial token belongs to another backend"));
        }
        // Taking it makes it single-use, also against a concurrent resume.
        let partial = self
            .inner
            .storage
            .take_partial(token)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| invalid("unknown or used partial token"))?;
        strategy.session_remove(PARTIAL_SESSION_KEY).await?;
        if partial.expires_at <= self.inner.clock.now() {
            return Err(invalid("the partial token expired"));
        }
        let state: PipelineState = serde_json::from_value(partial.data)
            .map_err(|_| invalid("the stored pipeline state is unreadable"))?;
        self.run_pipeline(strategy, state, partial.next_step).await
    }

    async fn run_pipeline(
        &self,
        strategy: &dyn Strategy,
        mut state: PipelineState,
        from: usize,
    ) -> Result<Outcome> {
        let inner = &*self.inner;
        let backend = state.response.backend.clone();
        let mut cx = StepCx {
            state: &mut state,
            storage: &*inner.storage,
            settings: &inner.settings,
            backend: inner.settings.backend(&backend),
            strategy,
            hooks: &*inner.hooks,
            clock: &*inner.clock,
            username_fn: inner.username_fn.as_deref(),
        };
        let end = inner
            .pipeline
            .run(&mut cx, from)
            .await
            .map_err(|e| e.or_provider(&backend))?;
        match end {
            PipelineEnd::Respond(flow) => Ok(Outcome::Respond(flow)),
            PipelineEnd::Paused { url, next_step } => {
                let token = random_token();
                let data = serde_json::to_value(&state).map_err(|e| {
                    AuthError::new(ErrorKind::Unknown, Stage::Pipeline, e.to_string())
                })?;
                let partial = Partial {
                    token: token.clone(),
                    backend: backend.clone(),
                    next_step,
                    data,
                    expires_at: inner.clock.now()
                        + i64::try_from(inner.settings.partial_max_age).unwrap_or(i64::MAX),
                };
                inner
                    .storage
                    .store_partial(partial)
                    .await
                    .map_err(|e| AuthError::storage(Stage::Pipeline, e))?;
                strategy
                    .session_set(PARTIAL_SESSION_KEY, Value::String(token.clone()))
                    .await?;
                let mut url = url.clone();
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&format!("{PARTIAL_TOKEN_PARAM}={token}&backend={backend}"));
                Ok(Outcome::Paused { url, token })
            }
            PipelineEnd::Done => self.finish(strategy, state).await,
        }
    }

    async fn finish(&self, strategy: &dyn Strategy, state: PipelineState) -> Result<Outcome> {
        let settings = &self.inner.settings;
        let backend = state.response.backend.clone();
        let user = state.user.ok_or_else(|| {
            AuthError::new(
                ErrorKind::Failed,
                Stage::Pipeline,
                "the pipeline ended without a user",
            )
            .with_provider(&backend)
        })?;
        let next = match strategy.session_remove(NEXT_KEY).await? {
            Some(Value::String(next)) => self.safe_redirect(strategy, &next),
            _ => None,
        };
        if !user.is_active {
            let redirect_url = settings
                .inactive_user_url
                .clone()
                .unwrap_or_else(|| settings.login_redirect_url.clone());
            return Ok(Outcome::Inactive { user, redirect_url });
        }
        let redirect_url = if state.is_new {
            settings.new_user_redirect_url.clone().or(next)
        } else if state.new_association {
            settings.new_association_redirect_url.clone().or(next)
        } else {
            next
        }
        .unwrap_or_else(|| settings.login_redirect_url.clone());
        let session_expires_at = if settings.session_expiration {
            state.response.tokens.as_ref().and_then(|t| t.expires_at)
        } else {
            None
        };
        Ok(Outcome::LoggedIn(Login {
            backend,
            user,
            account: state.social,
            is_new: state.is_new,
            new_association: state.new_association,
            redirect_url,
            session_expires_at,
        }))
    }

    /// Disconnects `user`'s account(s) of `backend` (only `association_id` when given).
    ///
    /// Refuses with [`ErrorKind::NotAllowedToDisconnect`] when it would leave the user no
    /// social account to log in with.
    pub async fn disconnect(
        &self,
        user: &UserId,
        backend: &str,
        association_id: Option<i64>,
    ) -> Result<()> {
        let storage = &*self.inner.storage;
        let err = |e| AuthError::storage(Stage::Disconnect, e).with_provider(backend);
        let accounts = storage.social_accounts(user).await.map_err(err)?;
        let (gone, kept): (Vec<_>, Vec<_>) = accounts
            .into_iter()
            .partition(|a| a.provider == backend && association_id.is_none_or(|id| a.id == id));
        if gone.is_empty() {
            return Err(AuthError::new(
                ErrorKind::Failed,
                Stage::Disconnect,
                "no such association",
            )
            .with_provider(backend));
        }
        if kept.is_empty() {
            return Err(AuthError::new(
                ErrorKind::NotAllowedToDisconnect,
                Stage::Disconnect,
                "it is the user's last social account",
            )
            .with_provider(backend));
        }
        for account in gone {
            if self.inner.settings.revoke_tokens_on_disconnect {
                self.revoke_quietly(&account).await;
            }
            storage
                .delete_social_account(account.id)
                .await
                .map_err(err)?;
        }
        Ok(())
    }

    /// Revokes before a disconnect: the user asked to leave, so a provider that cannot
    /// revoke (or is down) is logged and does not keep the account connected.
    async fn revoke_quietly(&self, account: &SocialAccount) {
        if account.tokens().is_none() {
            return;
        }
        match self.revoke_token(account).await {
            Ok(()) => tracing::debug!(provider = %account.provider, "tokens revoked"),
            Err(e) if e.kind() == ErrorKind::Unsupported => {}
            Err(e) => tracing::warn!(
                provider = %account.provider,
                code = e.code(),
                details = e.details(),
                "could not revoke tokens while disconnecting"
            ),
        }
    }

    /// Refreshes the access token of `account` and stores it.
    pub async fn refresh_token(&self, account: &SocialAccount) -> Result<SocialAccount> {
        let b = self.backend(&account.provider, Stage::Token)?;
        let tokens = account.tokens().ok_or_else(|| {
            AuthError::new(
                ErrorKind::TokenError,
                Stage::Token,
                "the account has no stored tokens",
            )
            .with_provider(&account.provider)
        })?;
        let fresh = b
            .refresh_token(&self.provider_cx(b.name()), &tokens)
            .await?;
        let mut account = account.clone();
        // Whatever the refresh answer leaves out belonged to the old token (the scope stays:
        // RFC 6749 section 5.1 says an omitted scope is unchanged).
        if fresh.expires_at.is_none() {
            account.extra_data.remove("expires_at");
        }
        if fresh.id_token.is_none() {
            account.extra_data.remove("id_token");
        }
        fresh.write_to(&mut account.extra_data);
        self.inner
            .storage
            .update_extra_data(account.id, &account.extra_data)
            .await
            .map_err(|e| AuthError::storage(Stage::Token, e))?;
        Ok(account)
    }

    /// Revokes the tokens of `account` at the provider.
    pub async fn revoke_token(&self, account: &SocialAccount) -> Result<()> {
        let b = self.backend(&account.provider, Stage::Token)?;
        let tokens = account.tokens().ok_or_else(|| {
            AuthError::new(
                ErrorKind::TokenError,
                Stage::Token,
                "the account has no stored tokens",
            )
            .with_provider(&account.provider)
        })?;
        b.revoke_token(&self.provider_cx(b.name()), &tokens).await
    }

    /// Deletes the nonces, paused pipelines and e-mail validation codes that can no longer
    /// be used; call it now and then (the stores never shrink on their own).
    ///
    /// - Nonces older than `state_max_age` plus 300 seconds: a callback whose state is older
    ///   is refused as expired before its nonce is checked, and OpenID response nonces are
    ///   refused once 300 seconds old, whatever `state_max_age` is.
    /// - Paused pipelines expired by now: resuming them is refused.
    /// - Codes older than `partial_max_age`. Codes have no lifetime of their own; a step that
    ///   sends one pauses the pipeline, and the code is useless once that pipeline can no
    ///   longer resume, at most `partial_max_age` after the code was made.
    ///
    /// Times come from the engine's clock.
    pub async fn purge_expired(&self) -> Result<crate::storage::Purged> {
        // How old an OpenID 2.0 response nonce may be (`openid::NONCE_MAX_AGE`).
        const OPENID_NONCE_MAX_AGE: i64 = 300;
        let storage = &*self.inner.storage;
        let settings = &self.inner.settings;
        let err = |e| AuthError::storage(Stage::Pipeline, e);
        let secs = |s: u64| i64::try_from(s).unwrap_or(i64::MAX);
        let now = self.inner.clock.now();
        let nonces_before = now
            .saturating_sub(secs(settings.state_max_age))
            .saturating_sub(OPENID_NONCE_MAX_AGE);
        let codes_before = now.saturating_sub(secs(settings.partial_max_age));
        Ok(crate::storage::Purged {
            nonces: storage.purge_nonces(nonces_before).await.map_err(err)?,
            partials: storage.purge_partials(now).await.map_err(err)?,
            codes: storage.purge_codes(codes_before).await.map_err(err)?,
        })
    }
}

/// 256 random bits, URL-safe: the partial-pipeline token.
fn random_token() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod issuer_tests {
    use super::*;
    use crate::settings::{BackendSettings, DeclaredIssuer};

    fn declaring(issuer: Option<&str>) -> BackendSettings {
        let mut settings = BackendSettings::default();
        if let Some(issuer) = issuer {
            Configure::new("x", &mut settings).keep(DeclaredIssuer(issuer.to_owned()));
        }
        settings
    }

    #[test]
    fn backends_sharing_an_issuer_are_named() {
        let mut settings = Settings::default();
        for (name, issuer) in [
            ("corp", Some("https://id.example.com")),
            ("corp-admin", Some("https://id.example.com/")),
            ("partner", Some("https://login.partner.example")),
            ("github", None),
        ] {
            settings.backends.insert(name.into(), declaring(issuer));
        }
        assert_eq!(
            shared_issuers(&settings),
            [(
                "https://id.example.com".to_owned(),
                vec!["corp".to_owned(), "corp-admin".to_owned()]
            )]
        );
        settings.backends.remove("corp-admin");
        assert!(shared_issuers(&settings).is_empty());
    }
}
