//! The default pipeline's steps and the optional ones, driven through `SocialAuth::complete`
//! with a backend that returns a fixed answer (no HTTP).

use std::sync::{Arc, Mutex};

use social_core::{
    AuthResponse, Backend, BackendCx, BackendSettings, ErrorKind, Flow, MemoryStorage,
    MemoryStrategy, NewSocialAccount, NewUser, Outcome, Protocol, Registry, Result, Settings,
    SocialAuth, Storage, User, UserDetails, UserStore, async_trait,
    hooks::Hooks,
    pipeline::{AssociateByEmail, Pipeline, Step, StepCx, StepOutcome},
};

/// Answers every callback with the account `uid` and `details`.
struct Fixed {
    name: &'static str,
    uid: Mutex<String>,
    details: Mutex<UserDetails>,
}

impl Fixed {
    fn new(name: &'static str, uid: &str, details: UserDetails) -> Arc<Self> {
        Arc::new(Self {
            name,
            uid: Mutex::new(uid.into()),
            details: Mutex::new(details),
        })
    }
    fn set(&self, uid: &str, details: UserDetails) {
        *self.uid.lock().unwrap_or_else(|e| e.into_inner()) = uid.into();
        *self.details.lock().unwrap_or_else(|e| e.into_inner()) = details;
    }
}

#[async_trait]
impl Backend for Fixed {
    fn name(&self) -> &str {
        self.name
    }
    fn protocol(&self) -> Protocol {
        Protocol::OAUTH2
    }
    fn configure(&self, _: &mut social_core::Configure<'_>) -> Result<()> {
        Ok(())
    }
    async fn start(&self, _: &BackendCx<'_>) -> Result<Flow> {
        Ok(Flow::Redirect("https://provider.test/authorize".into()))
    }
    async fn complete(&self, _: &BackendCx<'_>) -> Result<AuthResponse> {
        let uid = self.uid.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let details = self
            .details
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Ok(AuthResponse::new(
            self.name,
            uid,
            details,
            serde_json::json!({}),
            None,
        ))
    }
}

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

#[async_trait]
impl Hooks for Recorder {
    async fn pre_update(&self, backend: &str, user: &mut User, _: &UserDetails) {
        self.push(format!("pre_update {backend} {}", user.username));
    }
    async fn user_created(&self, backend: &str, user: &User) {
        self.push(format!("user_created {backend} {}", user.username));
    }
    async fn user_not_registered(&self, backend: &str, uid: &str, _: &UserDetails) {
        self.push(format!("not_registered {backend} {uid}"));
    }
}

impl Recorder {
    fn push(&self, event: String) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }
    fn events(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

struct App {
    auth: SocialAuth,
    storage: Arc<MemoryStorage>,
    backend: Arc<Fixed>,
    hooks: Arc<Recorder>,
}

fn build(settings: Settings, pipeline: Pipeline, details: UserDetails) -> App {
    let backend = Fixed::new("fixed", "1001", details);
    let storage = Arc::new(MemoryStorage::new());
    let hooks = Arc::new(Recorder::default());
    let offline = |_req| async { Err(social_core::http::HttpError::Other("offline".into())) };
    let auth = SocialAuth::builder(Registry::new().with_arc(backend.clone()))
        .settings(settings)
        .storage(storage.clone())
        .http_client(Arc::new(offline))
        .pipeline(pipeline)
        .hooks(hooks.clone())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    App {
        auth,
        storage,
        backend,
        hooks,
    }
}

impl App {
    async fn login(&self) -> Result<Outcome> {
        self.auth
            .complete(&MemoryStrategy::new("http://app.test"), "fixed", None)
            .await
    }
    async fn user(&self) -> User {
        match self.login().await {
            Ok(Outcome::LoggedIn(login)) => login.user,
            other => panic!("expected a login: {other:?}"),
        }
    }
}

fn octo() -> UserDetails {
    UserDetails::new()
        .username(Some("Octo Cat!"))
        .email(Some("octo@example.com"))
        .email_verified(true)
        .fullname(Some("Octo Cat"))
}

#[tokio::test]
async fn usernames_are_cleaned_truncated_and_made_unique() {
    let mut settings = Settings::default();
    settings.username.max_length = 8;
    settings.username.uuid_length = 3;
    let app = build(settings, Pipeline::default(), octo());
    assert_eq!(app.user().await.username, "OctoCat");
    app.backend.set("1002", octo());
    let second = app.user().await.username;
    assert_eq!(second.len(), 8, "{second}");
    assert!(
        second.starts_with("Octo") && second != "OctoCat",
        "{second}"
    );
    app.backend.set("1003", UserDetails::new());
    assert_eq!(
        app.user().await.username,
        "user",
        "the default base when nothing is given"
    );
}

#[tokio::test]
async fn slugify_email_as_username_and_username_function() {
    let mut settings = Settings::default();
    settings.username.slugify = true;
    let app = build(settings, Pipeline::default(), octo());
    assert_eq!(app.user().await.username, "octo-cat");

    let mut settings = Settings::default();
    settings.username.is_full_email = true;
    let app = build(settings, Pipeline::default(), octo());
    assert_eq!(app.user().await.username, "octo@example.com");

    let backend = Fixed::new("fixed", "1", octo());
    let storage = Arc::new(MemoryStorage::new());
    let offline = |_req| async { Err(social_core::http::HttpError::Other("offline".into())) };
    let auth = SocialAuth::builder(Registry::new().with_arc(backend))
        .storage(storage)
        .http_client(Arc::new(offline))
        .username_fn(|d| d.email.as_ref().map(|e| format!("gh_{}", e.len())))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let outcome = auth
        .complete(&MemoryStrategy::new("http://a.test"), "fixed", None)
        .await;
    let Ok(Outcome::LoggedIn(login)) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(login.user.username, "gh_16");
}

#[tokio::test]
async fn allow_lists_need_a_listed_and_verified_address() {
    let mut settings = Settings::default();
    settings.whitelisted_domains = vec!["example.com".into()];
    let app = build(settings.clone(), Pipeline::default(), octo());
    assert!(matches!(app.login().await, Ok(Outcome::LoggedIn(_))));

    app.backend.set("2", octo().email(Some("octo@evil.com")));
    let refused = app.login().await.map_err(|e| e.kind());
    assert_eq!(refused.err(), Some(ErrorKind::Forbidden));
    app.backend.set("3", octo().email_verified(false));
    let refused = app.login().await.map_err(|e| e.kind());
    assert_eq!(
        refused.err(),
        Some(ErrorKind::Forbidden),
        "unverified address"
    );
    assert_eq!(app.storage.counts(), (1, 1));

    // The backend's own list wins over the global one.
    let mut backend = BackendSettings::default();
    backend.whitelisted_emails = vec!["octo@evil.com".into()];
    settings.backends.insert("fixed".into(), backend);
    let app = build(
        settings,
        Pipeline::default(),
        octo().email(Some("OCTO@evil.com")),
    );
    assert!(matches!(app.login().await, Ok(Outcome::LoggedIn(_))));
}

#[tokio::test]
async fn user_creation_can_be_disabled() {
    let mut settings = Settings::default();
    settings.create_users = false;
    let app = build(settings, Pipeline::default(), octo());
    let refused = app.login().await.map_err(|e| e.code());
    assert_eq!(refused.err(), Some("not_registered"));
    assert_eq!(app.hooks.events(), ["not_registered fixed 1001"]);
    assert_eq!(app.storage.counts(), (0, 0));
}

#[tokio::test]
async fn by_default_logins_fill_names_and_never_rename_the_user() {
    let app = build(Settings::default(), Pipeline::default(), octo());
    let created = app.user().await;
    assert_eq!(created.fullname.as_deref(), Some("Octo Cat"));
    // The same account now carries other names (or another account was linked): kept.
    app.backend.set(
        "1001",
        UserDetails::new()
            .names(Some("Bob"), Some("Tables"))
            .fullname(Some("Bob Tables")),
    );
    let again = app.user().await;
    assert_eq!(again.id, created.id);
    assert_eq!(again.fullname.as_deref(), Some("Octo Cat"));
    assert_eq!(again.first_name.as_deref(), Some("Octo"));
    assert_eq!(again.last_name.as_deref(), Some("Cat"));
    // From TOML and the environment alike, `always` restores updating.
    for settings in [
        Settings::from_toml_str("user_details_update = \"always\"").expect("valid"),
        Settings::default()
            .with_vars([("SOCIAL_AUTH_USER_DETAILS_UPDATE".into(), "Always".into())])
            .expect("valid"),
    ] {
        assert_eq!(
            settings.user_details_update,
            social_core::settings::DetailsUpdate::Always
        );
    }
    let wrong = Settings::default()
        .with_vars([("SOCIAL_AUTH_USER_DETAILS_UPDATE".into(), "sometimes".into())])
        .expect_err("refused");
    assert!(
        wrong.details().contains("SOCIAL_AUTH_USER_DETAILS_UPDATE"),
        "{wrong}"
    );
}

#[tokio::test]
async fn details_update_respects_protected_and_immutable_fields() {
    let mut settings = Settings::default();
    settings.user_details_update = social_core::settings::DetailsUpdate::Always;
    settings.protected_user_fields = vec!["last_name".into()];
    settings.immutable_user_fields = vec!["first_name".into()];
    let app = build(settings, Pipeline::default(), octo());
    let created = app.user().await;
    assert_eq!(created.first_name.as_deref(), Some("Octo"));
    app.backend.set(
        "1001",
        UserDetails::new()
            .email(Some("new@example.com"))
            .names(Some("Renamed"), Some("Person"))
            .fullname(Some("Renamed Person")),
    );
    let updated = app.user().await;
    assert_eq!(updated.id, created.id);
    assert_eq!(
        updated.first_name.as_deref(),
        Some("Octo"),
        "immutable once set"
    );
    assert_eq!(updated.last_name.as_deref(), Some("Cat"), "protected");
    assert_eq!(
        updated.fullname.as_deref(),
        Some("Renamed Person"),
        "updated"
    );
    assert_eq!(
        updated.email.as_deref(),
        Some("octo@example.com"),
        "e-mail is never overwritten"
    );
    assert_eq!(
        updated.username, created.username,
        "username is never overwritten"
    );
    let events = app.hooks.events();
    assert_eq!(events[0], "user_created fixed OctoCat");
    assert!(
        events
            .iter()
            .filter(|e| e.starts_with("pre_update"))
            .count()
            == 2,
        "{events:?}"
    );
}

#[tokio::test]
async fn associate_by_email_only_with_one_verified_match() {
    let pipeline = || {
        Pipeline::default()
            .insert_before("create_user", AssociateByEmail)
            .unwrap_or_else(|| panic!("create_user is in the default pipeline"))
    };
    let app = build(Settings::default(), pipeline(), octo());
    let existing = app
        .storage
        .create_user(NewUser::from_details("existing".into(), &octo()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let user = app.user().await;
    assert_eq!(
        user.id, existing.id,
        "linked to the user with the same verified e-mail"
    );
    assert_eq!(app.storage.counts(), (1, 1));

    app.backend.set("2", octo().email_verified(false));
    let other = app.user().await;
    assert_ne!(
        other.id, existing.id,
        "an unverified e-mail creates a new user"
    );

    app.storage
        .create_user(NewUser::from_details("twin".into(), &octo()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    app.backend.set("3", octo());
    let refused = app.login().await.map_err(|e| e.kind());
    assert_eq!(
        refused.err(),
        Some(ErrorKind::Forbidden),
        "two users share the e-mail"
    );
}

struct StopHere;

#[async_trait]
impl Step for StopHere {
    fn name(&self) -> &str {
        "stop_here"
    }
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        if cx.state.details.email.as_deref() == Some("respond@example.com") {
            return Ok(StepOutcome::Respond(Flow::Redirect("/custom".into())));
        }
        cx.state.data.insert("seen".into(), serde_json::json!(true));
        Ok(StepOutcome::Continue)
    }
}

#[tokio::test]
async fn custom_steps_continue_or_cut_the_pipeline() {
    let pipeline = Pipeline::default()
        .insert_after("social_details", StopHere)
        .unwrap_or_else(|| panic!("social_details exists"));
    assert_eq!(pipeline.names()[1], "stop_here");
    let app = build(Settings::default(), pipeline, octo());
    assert!(matches!(app.login().await, Ok(Outcome::LoggedIn(_))));
    app.backend
        .set("9", octo().email(Some("respond@example.com")));
    match app.login().await {
        Ok(Outcome::Respond(Flow::Redirect(url))) => assert_eq!(url, "/custom"),
        other => panic!("expected the step's response: {other:?}"),
    }
    assert_eq!(
        app.storage.counts(),
        (1, 1),
        "the cut pipeline wrote nothing"
    );
}

#[tokio::test]
async fn inactive_users_are_not_logged_in() {
    let mut settings = Settings::default();
    settings.inactive_user_url = Some("/inactive".into());
    let app = build(settings, Pipeline::default(), octo());
    let mut user = app.user().await;
    user.is_active = false;
    app.storage
        .update_user(&user)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    match app.login().await {
        Ok(Outcome::Inactive { redirect_url, .. }) => assert_eq!(redirect_url, "/inactive"),
        other => panic!("expected inactive: {other:?}"),
    }
}

#[tokio::test]
async fn racing_first_logins_create_one_user() {
    let app = Arc::new(build(Settings::default(), Pipeline::default(), octo()));
    let logins = (0..20).map(|_| {
        let app = app.clone();
        tokio::spawn(async move { app.user().await.id })
    });
    let mut ids = Vec::new();
    for login in logins {
        ids.push(login.await.unwrap_or_else(|e| panic!("{e}")));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every login got the same user");
    assert_eq!(app.storage.counts(), (1, 1));
    // An account that already exists cannot be created again.
    let again = app
        .storage
        .create_social_account(
            &ids[0],
            NewSocialAccount::new("fixed", "1001", Default::default()),
        )
        .await;
    assert!(again.is_err());
}
