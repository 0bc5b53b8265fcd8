//! What the SQLite and PostgreSQL tests share: the real pipeline raced against a store, and
//! what an upgraded nonce table must still do.

use std::sync::Arc;

use social_core::{
    AuthResponse, Backend, BackendCx, Flow, MemoryStrategy, Outcome, Protocol, Registry, Settings,
    SocialAuth, Storage, Tokens, UserDetails, UserId,
    http::{HttpError, HttpRequest, HttpResponse},
    serde_json::json,
};
use tokio::sync::Barrier;

/// How many logins race.
const RACERS: usize = 20;

/// A provider that always authenticates the same account, uid `42`, without any HTTP.
struct FixedBackend;

#[social_core::async_trait]
impl Backend for FixedBackend {
    fn name(&self) -> &str {
        "fixed"
    }

    fn protocol(&self) -> Protocol {
        Protocol::OAUTH2
    }

    fn configure(&self, _: &mut social_core::Configure<'_>) -> social_core::Result<()> {
        // No key or secret: nothing is sent anywhere.
        Ok(())
    }

    async fn start(&self, _: &BackendCx<'_>) -> social_core::Result<Flow> {
        Ok(Flow::Redirect("https://provider.example/authorize".into()))
    }

    async fn complete(&self, _: &BackendCx<'_>) -> social_core::Result<AuthResponse> {
        let details = UserDetails::new()
            .username(Some("racer"))
            .email(Some("racer@example.com"))
            .email_verified(true)
            .fullname(Some("Race Condition"));
        let mut response = AuthResponse::new(
            "fixed",
            "42".into(),
            details,
            json!({ "id": 42, "login": "racer" }),
            Some(Tokens::new("token-42")),
        );
        response.extra_data.insert("login".into(), json!("racer"));
        Ok(response)
    }
}

/// Twenty concurrent callbacks of the same new account all log in one user; one user and one
/// social account exist afterwards.
pub(crate) async fn concurrent_logins_create_one_user(storage: Arc<dyn Storage>) {
    let offline =
        |_: HttpRequest| async { Err::<HttpResponse, _>(HttpError::Other("offline".into())) };
    let auth = SocialAuth::builder(Registry::new().with(FixedBackend))
        .settings(Settings::default())
        .storage(Arc::clone(&storage))
        .http_client(Arc::new(offline))
        .build()
        .expect("the test backend needs no settings");

    let start = Arc::new(Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|_| {
            let auth = auth.clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                let browser = MemoryStrategy::new("http://testserver");
                start.wait().await;
                auth.complete(&browser, "fixed", None).await
            })
        })
        .collect();

    let mut users: Vec<UserId> = Vec::new();
    let mut created = 0;
    for task in tasks {
        match task.await.expect("a login task panicked") {
            Ok(Outcome::LoggedIn(login)) => {
                created += usize::from(login.is_new);
                let account = login.account.expect("a login has its social account");
                assert_eq!(account.user_id, login.user.id);
                assert_eq!(account.uid, "42");
                users.push(login.user.id);
            }
            Ok(other) => panic!("a login did not log in: {other:?}"),
            Err(error) => panic!("a login failed: {error:?}"),
        }
    }
    assert_eq!(users.len(), RACERS);
    let first = users[0].clone();
    assert!(
        users.iter().all(|id| id == &first),
        "the logins reached several users: {users:?}"
    );
    assert_eq!(created, 1, "{created} logins say they created the user");

    let stored = storage
        .users_by_email("racer@example.com")
        .await
        .expect("users_by_email");
    assert_eq!(stored.len(), 1, "{} users exist: {stored:?}", stored.len());
    assert_eq!(stored[0].id, first);
    let account = storage
        .social_account("fixed", "42")
        .await
        .expect("social_account")
        .expect("the account exists");
    assert_eq!(account.user_id, first);
    let accounts = storage
        .social_accounts(&first)
        .await
        .expect("social_accounts");
    assert_eq!(accounts.len(), 1, "{} accounts exist", accounts.len());
    assert_eq!(
        account.extra_data.get("access_token"),
        Some(&json!("token-42")),
        "load_extra_data stored the token"
    );
}

/// A deleted user's id is never handed to a new user: their sessions would log in as them.
pub(crate) async fn user_ids_are_never_reused(storage: &dyn Storage) {
    let details = UserDetails::new();
    let first = storage
        .create_user(social_core::NewUser::from_details("first".into(), &details))
        .await
        .expect("create_user");
    let second = storage
        .create_user(social_core::NewUser::from_details(
            "second".into(),
            &details,
        ))
        .await
        .expect("create_user");
    storage.delete_user(&second.id).await.expect("delete_user");
    let third = storage
        .create_user(social_core::NewUser::from_details("third".into(), &details))
        .await
        .expect("create_user");
    assert_ne!(third.id, second.id, "a deleted user's id was reused");
    assert_ne!(third.id, first.id);

    // Ids are integers in canonical form; other spellings of the same number are not ids.
    let n: i64 = first.id.0.parse().expect("user ids are integers");
    for alias in [format!("0{n}"), format!("+{n}"), format!(" {n}")] {
        let found = storage.user(&UserId(alias.clone())).await.expect("user");
        assert_eq!(found, None, "`{alias}` found user {n}");
    }
}

/// The old rows `('https://op', 7, 'old')` and `('https://op', 1000, 'kept')`, put in before the
/// nonce migration, are still claimed after it, and purging by age still cuts at the time.
pub(crate) async fn old_claims_survive_the_upgrade(storage: &dyn Storage) {
    assert!(
        !storage
            .use_nonce("https://op", 7, "old")
            .await
            .expect("claim")
    );
    assert!(
        storage
            .use_nonce("https://op", 7, "new")
            .await
            .expect("claim")
    );
    assert_eq!(storage.purge_nonces(8).await.expect("purge"), 2);
    assert!(
        !storage
            .use_nonce("https://op", 1000, "kept")
            .await
            .expect("claim")
    );
}
