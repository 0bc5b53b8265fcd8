//! The storage conformance suite: what every [`Storage`] must do, whatever keeps the data.
//!
//! Each behaviour is a `pub async fn` that takes a fresh, empty storage and panics with a
//! message naming what went wrong. [`storage_conformance!`](crate::storage_conformance) turns
//! the whole list into one `#[tokio::test]` per behaviour, so a failure names the behaviour:
//!
//! ```text
//! social_testkit::storage_conformance!(async { social_core::MemoryStorage::new() });
//! ```
//!
//! Behaviours that race tasks against each other take an `Arc<dyn Storage>`; the others take
//! `&dyn Storage`. Beyond the trait's documentation the suite pins down a few choices every
//! store makes the same way: ids that a store never issued are simply not found (never an
//! error), deleting what is absent succeeds, and associating an account with a missing user
//! is [`StorageError::NotFound`].

use std::{
    fmt::Debug,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use serde_json::{Map, Value, json};
use social_core::{
    NewSocialAccount, NewUser, Storage, User, UserDetails, UserId,
    storage::{Code, OpenIdAssociation, Partial, StorageError, StorageResult},
};
use tokio::sync::Barrier;

/// How many tasks the concurrency behaviours race.
pub const RACERS: usize = 20;

/// Expands to one `#[tokio::test]` per behaviour of the storage conformance suite.
///
/// The argument is an expression evaluating to a future of a fresh, empty storage (any
/// `S: Storage + 'static`); it is evaluated once per test. With `optional:` in front, the
/// future yields an `Option<S>` instead and a test with `None` returns at once: for storages
/// that need a service which a developer machine may lack (the factory says what is missing,
/// and should panic instead when the service is required, as in CI).
///
/// The tests sit in a module named `storage_conformance` that sees the caller's items; each
/// runs on its own runtime ([`run`](crate::run)).
///
/// ```text
/// social_testkit::storage_conformance!(async { social_core::MemoryStorage::new() });
/// social_testkit::storage_conformance!(optional: postgres_or_skip());
/// ```
#[macro_export]
macro_rules! storage_conformance {
    (optional: $factory:expr) => {
        $crate::storage_conformance!(@tests ($factory)
            by_ref: [
                create_and_get_user,
                update_user,
                username_conflict,
                users_by_email_ignores_case,
                delete_user_removes_its_accounts,
                social_account_unique_on_provider_and_uid,
                social_account_lookup,
                social_account_and_user,
                social_accounts_oldest_first,
                social_account_needs_a_user,
                update_extra_data_round_trips_json,
                delete_social_account,
                create_user_with_account_creates_both,
                create_user_with_account_conflicting_account_leaves_no_user,
                create_user_with_account_conflicting_username_leaves_no_account,
                use_nonce_claims_once,
                purge_nonces,
                openid_associations,
                codes,
                purge_codes,
                partials_are_single_use,
                purge_partials,
            ],
            shared: [
                concurrent_create_user_with_account,
                concurrent_use_nonce,
                concurrent_take_partial,
            ]
        );
    };
    (@tests ($factory:expr) by_ref: [$($by_ref:ident),* $(,)?], shared: [$($shared:ident),* $(,)?]) => {
        /// The storage conformance suite, one test per behaviour.
        mod storage_conformance {
            // The factory expression was written in the parent module.
            #[allow(unused_imports)]
            use super::*;

            $(
                #[test]
                fn $by_ref() {
                    $crate::run(async {
                        if let Some(storage) = $crate::storage::__shared($factory.await) {
                            $crate::storage::$by_ref(&*storage).await;
                        }
                    });
                }
            )*
            $(
                #[test]
                fn $shared() {
                    $crate::run(async {
                        if let Some(storage) = $crate::storage::__shared($factory.await) {
                            $crate::storage::$shared(storage).await;
                        }
                    });
                }
            )*
        }
    };
    ($factory:expr) => {
        $crate::storage_conformance!(optional: async { ::std::option::Option::Some($factory.await) });
    };
}

#[doc(hidden)]
pub fn __shared<S: Storage + 'static>(storage: Option<S>) -> Option<Arc<dyn Storage>> {
    storage.map(|s| Arc::new(s) as Arc<dyn Storage>)
}

// --- fixtures --------------------------------------------------------------------------------

fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs).unwrap_or(i64::MAX)
}

fn new_user(username: &str, email: Option<&str>) -> NewUser {
    let details = UserDetails::new()
        .email(email)
        .email_verified(email.is_some())
        .fullname(Some("Ada Lovelace"));
    NewUser::from_details(username.to_owned(), &details)
}

fn account(provider: &str, uid: &str) -> NewSocialAccount {
    NewSocialAccount::new(provider, uid, Map::new())
}

// Core's records are `#[non_exhaustive]` without constructors: serde is the one way to build
// them outside core.
const FIXTURE: &str = "the fixture matches the record's fields";

fn code(email: &str, code: &str) -> Code {
    let value = json!({ "email": email, "code": code, "verified": false, "created_at": now() });
    serde_json::from_value(value).expect(FIXTURE)
}

fn association(server_url: &str, handle: &str, secret: &str) -> OpenIdAssociation {
    let value = json!({
        "server_url": server_url,
        "handle": handle,
        "secret": secret,
        "issued": now(),
        "lifetime": 1209600,
        "assoc_type": "HMAC-SHA256",
    });
    serde_json::from_value(value).expect(FIXTURE)
}

fn partial(token: &str) -> Partial {
    let value = json!({
        "token": token,
        "backend": "github",
        "next_step": 4,
        "data": {
            "response": { "uid": "42", "details": { "email": null } },
            "list": [1, "two", 3.5, false, null],
        },
        "expires_at": now() + 600,
    });
    serde_json::from_value(value).expect(FIXTURE)
}

/// JSON exercising what a round trip through a database can lose.
fn nested_json() -> Map<String, Value> {
    json!({
        "access_token": "gho_abc",
        "expires_at": 1_900_000_000_i64,
        "nested": {
            "list": [1, 2.5, "x", null, true, { "deep": { "deeper": [] } }],
            "empty": {},
        },
        "unicode": "héllo ✓ 日本 \"quoted\" \\ back",
        "big": i64::MAX,
        "negative": -42,
    })
    .as_object()
    .cloned()
    .expect("an object literal")
}

async fn create_user(storage: &dyn Storage, username: &str, email: Option<&str>) -> User {
    storage
        .create_user(new_user(username, email))
        .await
        .unwrap_or_else(|e| panic!("create_user({username}) failed: {e}"))
}

#[track_caller]
fn assert_conflict<T: Debug>(result: StorageResult<T>, what: &str) {
    match result {
        Err(StorageError::Conflict(_)) => {}
        other => panic!("{what}: expected StorageError::Conflict, got {other:?}"),
    }
}

#[track_caller]
fn assert_not_found<T: Debug>(result: StorageResult<T>, what: &str) {
    match result {
        Err(StorageError::NotFound(_)) => {}
        other => panic!("{what}: expected StorageError::NotFound, got {other:?}"),
    }
}

#[track_caller]
fn ok<T>(result: StorageResult<T>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("{what} failed: {e}"))
}

// --- users -----------------------------------------------------------------------------------

/// A created user has the given fields, is active, and reads back by id; unknown ids (also
/// ones that are not numbers) are not found.
pub async fn create_and_get_user(storage: &dyn Storage) {
    let new = new_user("ada", Some("ada@example.com"));
    let user = create_user(storage, "ada", Some("ada@example.com")).await;
    assert_eq!(user.username, new.username);
    assert_eq!(user.email, new.email);
    assert_eq!(user.email_verified, new.email_verified);
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(user.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(user.fullname.as_deref(), Some("Ada Lovelace"));
    assert!(user.is_active, "new users are active");

    let read = ok(storage.user(&user.id).await, "user(id)");
    assert_eq!(read.as_ref(), Some(&user), "the user reads back as created");

    let other = create_user(storage, "grace", None).await;
    assert_ne!(other.id, user.id, "two users got the same id");
    assert_eq!(other.email, None);
    assert!(!other.email_verified);

    let gone = create_user(storage, "gone", None).await;
    ok(storage.delete_user(&gone.id).await, "delete_user");
    let read = ok(storage.user(&gone.id).await, "user(deleted id)");
    assert_eq!(read, None, "a deleted user is not found");
    let read = ok(
        storage.user(&UserId("not-a-user-id".into())).await,
        "user(malformed id)",
    );
    assert_eq!(read, None, "an id the store never issued is not found");
}

/// Every field of a user is saved by `update_user`; a taken username is a conflict that
/// changes nothing; updating a missing user is not found.
pub async fn update_user(storage: &dyn Storage) {
    let mut user = create_user(storage, "ada", Some("ada@example.com")).await;
    let bob = create_user(storage, "bob", None).await;

    user.username = "countess".into();
    user.email = Some("countess@example.com".into());
    user.email_verified = false;
    user.first_name = Some("Augusta".into());
    user.last_name = None;
    user.fullname = Some("Augusta Ada King".into());
    user.is_active = false;
    ok(storage.update_user(&user).await, "update_user");
    let read = ok(storage.user(&user.id).await, "user(id)");
    assert_eq!(read.as_ref(), Some(&user), "every field is saved");
    assert!(!ok(storage.username_exists("ada").await, "username_exists"));
    assert!(ok(
        storage.username_exists("countess").await,
        "username_exists"
    ));

    let mut stolen = user.clone();
    stolen.username = bob.username.clone();
    stolen.fullname = Some("changed".into());
    assert_conflict(
        storage.update_user(&stolen).await,
        "update_user to a taken username",
    );
    let read = ok(storage.user(&user.id).await, "user(id)");
    assert_eq!(
        read.as_ref(),
        Some(&user),
        "a refused update changes nothing"
    );

    let ghost = create_user(storage, "ghost", None).await;
    ok(storage.delete_user(&ghost.id).await, "delete_user");
    assert_not_found(
        storage.update_user(&ghost).await,
        "update_user of a deleted user",
    );
}

/// Usernames are unique: creating a taken one is a conflict and stores nothing.
pub async fn username_conflict(storage: &dyn Storage) {
    create_user(storage, "ada", Some("ada@example.com")).await;
    assert!(ok(storage.username_exists("ada").await, "username_exists"));
    assert!(!ok(storage.username_exists("bob").await, "username_exists"));

    assert_conflict(
        storage
            .create_user(new_user("ada", Some("other@example.com")))
            .await,
        "create_user with a taken username",
    );
    let users = ok(
        storage.users_by_email("other@example.com").await,
        "users_by_email",
    );
    assert!(users.is_empty(), "a refused user was stored: {users:?}");
}

/// `users_by_email` matches regardless of case and only on the e-mail address.
pub async fn users_by_email_ignores_case(storage: &dyn Storage) {
    let ada = create_user(storage, "ada", Some("Ada@Example.COM")).await;
    create_user(storage, "bob", Some("bob@example.com")).await;
    create_user(storage, "nobody", None).await;
    let twin = create_user(storage, "twin", Some("ADA@EXAMPLE.COM")).await;

    let mut found = ok(
        storage.users_by_email("ada@example.com").await,
        "users_by_email",
    );
    found.sort_by(|a, b| a.username.cmp(&b.username));
    assert_eq!(found, vec![ada, twin], "both spellings of ada's address");

    let none = ok(
        storage.users_by_email("ada@example.co").await,
        "users_by_email",
    );
    assert!(none.is_empty(), "a prefix matched: {none:?}");
    let none = ok(storage.users_by_email("").await, "users_by_email");
    assert!(none.is_empty(), "the empty address matched: {none:?}");
}

/// Deleting a user removes their social accounts and nobody else's; deleting again succeeds.
pub async fn delete_user_removes_its_accounts(storage: &dyn Storage) {
    let ada = create_user(storage, "ada", None).await;
    let bob = create_user(storage, "bob", None).await;
    let a1 = ok(
        storage
            .create_social_account(&ada.id, account("github", "1"))
            .await,
        "create_social_account",
    );
    let a2 = ok(
        storage
            .create_social_account(&ada.id, account("google", "1"))
            .await,
        "create_social_account",
    );
    let b1 = ok(
        storage
            .create_social_account(&bob.id, account("github", "2"))
            .await,
        "create_social_account",
    );

    ok(storage.delete_user(&ada.id).await, "delete_user");
    assert_eq!(ok(storage.user(&ada.id).await, "user"), None);
    for id in [a1.id, a2.id] {
        let left = ok(
            storage.social_account_by_id(id).await,
            "social_account_by_id",
        );
        assert_eq!(left, None, "the deleted user's account {id} is still there");
    }
    let left = ok(
        storage.social_account("github", "1").await,
        "social_account",
    );
    assert_eq!(left, None, "the deleted user's account is still found");
    let left = ok(storage.social_accounts(&ada.id).await, "social_accounts");
    assert!(left.is_empty(), "the deleted user still has accounts");

    assert_eq!(ok(storage.user(&bob.id).await, "user"), Some(bob.clone()));
    let kept = ok(
        storage.social_account_by_id(b1.id).await,
        "social_account_by_id",
    );
    assert_eq!(kept, Some(b1), "another user's account was deleted");

    ok(
        storage.delete_user(&ada.id).await,
        "delete_user of a deleted user",
    );
}

// --- social accounts -------------------------------------------------------------------------

/// `(provider, uid)` is unique and case-sensitive: `ABC` and `abc` are two accounts.
pub async fn social_account_unique_on_provider_and_uid(storage: &dyn Storage) {
    let ada = create_user(storage, "ada", None).await;
    let bob = create_user(storage, "bob", None).await;

    let upper = ok(
        storage
            .create_social_account(&ada.id, account("github", "ABC"))
            .await,
        "create_social_account(ABC)",
    );
    let lower = ok(
        storage
            .create_social_account(&bob.id, account("github", "abc"))
            .await,
        "create_social_account(abc): uids are case-sensitive",
    );
    let other_provider = ok(
        storage
            .create_social_account(&bob.id, account("google", "ABC"))
            .await,
        "create_social_account(google, ABC)",
    );
    assert_ne!(upper.id, lower.id);
    assert_ne!(upper.id, other_provider.id);

    assert_conflict(
        storage
            .create_social_account(&bob.id, account("github", "ABC"))
            .await,
        "create_social_account of a taken (provider, uid) for another user",
    );
    assert_conflict(
        storage
            .create_social_account(&ada.id, account("github", "ABC"))
            .await,
        "create_social_account of a taken (provider, uid) for the same user",
    );

    let found = ok(
        storage.social_account("github", "abc").await,
        "social_account",
    );
    assert_eq!(found.map(|a| a.user_id), Some(bob.id.clone()));
    let found = ok(
        storage.social_account("github", "ABC").await,
        "social_account",
    );
    assert_eq!(found.map(|a| a.user_id), Some(ada.id.clone()));
    let found = ok(
        storage.social_account("github", "Abc").await,
        "social_account",
    );
    assert_eq!(found, None, "a uid matched in another case");
    let found = ok(
        storage.social_account("GitHub", "ABC").await,
        "social_account",
    );
    assert_eq!(found, None, "a provider matched in another case");
    let ada_accounts = ok(storage.social_accounts(&ada.id).await, "social_accounts");
    assert_eq!(ada_accounts, vec![upper], "a refused account was stored");

    // Uids longer than 255 characters (some providers' `sub`) are kept whole: a cut uid
    // could name another user.
    let long = format!("{}-{}", "s".repeat(300), "end");
    ok(
        storage
            .create_social_account(&bob.id, account("oidc", &long))
            .await,
        "create_social_account(300-character uid)",
    );
    let found = ok(
        storage.social_account("oidc", &long).await,
        "social_account",
    );
    assert_eq!(found.map(|a| a.uid), Some(long.clone()));
    let cut = &long[..255];
    let found = ok(storage.social_account("oidc", cut).await, "social_account");
    assert_eq!(found, None, "a prefix of a uid is another uid");
}

/// `social_account_and_user` finds an account with its user's current fields, by the exact
/// provider and uid, and nothing else.
pub async fn social_account_and_user(storage: &dyn Storage) {
    let ada = create_user(storage, "ada", Some("ada@example.com")).await;
    let bob = create_user(storage, "bob", None).await;
    let mut extra = Map::new();
    extra.insert("access_token".into(), json!("token"));
    let created = ok(
        storage
            .create_social_account(&ada.id, NewSocialAccount::new("github", "42", extra))
            .await,
        "create_social_account",
    );
    ok(
        storage
            .create_social_account(&bob.id, account("github", "43"))
            .await,
        "create_social_account",
    );
    let mut changed = ada.clone();
    changed.fullname = Some("Ada Lovelace".into());
    changed.first_name = Some("Ada".into());
    changed.email_verified = true;
    changed.is_active = false;
    ok(storage.update_user(&changed).await, "update_user");

    let found = ok(
        storage.social_account_and_user("github", "42").await,
        "social_account_and_user",
    );
    assert_eq!(
        found,
        Some((created, Some(changed))),
        "the account of github 42 with its user as last saved"
    );
    for (provider, uid) in [
        ("github", "4"),
        ("github", "420"),
        ("google", "42"),
        ("GitHub", "42"),
    ] {
        assert_eq!(
            ok(
                storage.social_account_and_user(provider, uid).await,
                "social_account_and_user"
            ),
            None,
            "{provider} {uid} is no account"
        );
    }
}

/// An account reads back, by id and by `(provider, uid)`, as it was created.
pub async fn social_account_lookup(storage: &dyn Storage) {
    let before = now();
    let ada = create_user(storage, "ada", None).await;
    let mut extra = Map::new();
    extra.insert("access_token".into(), json!("token"));
    let created = ok(
        storage
            .create_social_account(
                &ada.id,
                NewSocialAccount::new("github", "42", extra.clone()),
            )
            .await,
        "create_social_account",
    );
    let after = now();
    assert_eq!(created.user_id, ada.id);
    assert_eq!(created.provider, "github");
    assert_eq!(created.uid, "42");
    assert_eq!(created.extra_data, extra);
    assert!(
        (before - 1..=after + 1).contains(&created.created_at),
        "created_at {} is not now ({before}..={after}), in Unix seconds",
        created.created_at
    );
    assert!(created.modified_at >= created.created_at);

    let by_id = ok(
        storage.social_account_by_id(created.id).await,
        "social_account_by_id",
    );
    assert_eq!(by_id.as_ref(), Some(&created));
    let by_uid = ok(
        storage.social_account("github", "42").await,
        "social_account",
    );
    assert_eq!(by_uid.as_ref(), Some(&created));

    assert_eq!(
        ok(
            storage.social_account("github", "43").await,
            "social_account"
        ),
        None
    );
    assert_eq!(
        ok(
            storage.social_account("google", "42").await,
            "social_account"
        ),
        None
    );
    ok(
        storage.delete_social_account(created.id).await,
        "delete_social_account",
    );
    assert_eq!(
        ok(
            storage.social_account_by_id(created.id).await,
            "social_account_by_id"
        ),
        None,
        "an id that is gone is not found"
    );
}

/// A user's accounts list oldest first and only theirs.
pub async fn social_accounts_oldest_first(storage: &dyn Storage) {
    let ada = create_user(storage, "ada", None).await;
    let bob = create_user(storage, "bob", None).await;
    let mut mine = Vec::new();
    let mut theirs = Vec::new();
    for (i, provider) in ["github", "google", "facebook", "twitter"]
        .iter()
        .enumerate()
    {
        let created = ok(
            storage
                .create_social_account(&ada.id, account(provider, &format!("ada-{i}")))
                .await,
            "create_social_account",
        );
        mine.push(created);
        let created = ok(
            storage
                .create_social_account(&bob.id, account(provider, &format!("bob-{i}")))
                .await,
            "create_social_account",
        );
        theirs.push(created);
    }
    assert_eq!(
        ok(storage.social_accounts(&ada.id).await, "social_accounts"),
        mine
    );
    assert_eq!(
        ok(storage.social_accounts(&bob.id).await, "social_accounts"),
        theirs
    );
    let none = ok(
        storage
            .social_accounts(&UserId("not-a-user-id".into()))
            .await,
        "social_accounts",
    );
    assert!(none.is_empty());
}

/// An account cannot be associated with a user that does not exist.
pub async fn social_account_needs_a_user(storage: &dyn Storage) {
    let gone = create_user(storage, "gone", None).await;
    ok(storage.delete_user(&gone.id).await, "delete_user");
    assert_not_found(
        storage
            .create_social_account(&gone.id, account("github", "1"))
            .await,
        "create_social_account for a deleted user",
    );
    assert_not_found(
        storage
            .create_social_account(&UserId("not-a-user-id".into()), account("github", "1"))
            .await,
        "create_social_account for a malformed user id",
    );
    assert_eq!(
        ok(
            storage.social_account("github", "1").await,
            "social_account"
        ),
        None
    );
}

/// `update_extra_data` replaces the extra data with nested JSON that reads back unchanged.
pub async fn update_extra_data_round_trips_json(storage: &dyn Storage) {
    let ada = create_user(storage, "ada", None).await;
    let mut first = Map::new();
    first.insert("stale".into(), json!("dropped by the replacement"));
    let created = ok(
        storage
            .create_social_account(&ada.id, NewSocialAccount::new("github", "42", first))
            .await,
        "create_social_account",
    );

    let extra = nested_json();
    ok(
        storage.update_extra_data(created.id, &extra).await,
        "update_extra_data",
    );
    let read = ok(
        storage.social_account_by_id(created.id).await,
        "social_account_by_id",
    )
    .expect("the account exists");
    assert_eq!(read.extra_data, extra, "extra data did not round-trip");
    assert!(read.modified_at >= created.modified_at);
    assert_eq!(read.created_at, created.created_at);
    let tokens = read.tokens().expect("tokens read back from extra data");
    assert_eq!(tokens.access_token.secret(), "gho_abc");
    assert_eq!(read.access_token_expires_at(), Some(1_900_000_000));

    ok(
        storage.update_extra_data(created.id, &Map::new()).await,
        "update_extra_data(empty)",
    );
    let read = ok(
        storage.social_account("github", "42").await,
        "social_account",
    )
    .expect("the account exists");
    assert!(
        read.extra_data.is_empty(),
        "extra data was merged, not replaced"
    );

    ok(
        storage.delete_social_account(created.id).await,
        "delete_social_account",
    );
    assert_not_found(
        storage.update_extra_data(created.id, &extra).await,
        "update_extra_data of a deleted account",
    );
}

/// Deleting an account keeps its user and other accounts; deleting again succeeds.
pub async fn delete_social_account(storage: &dyn Storage) {
    let ada = create_user(storage, "ada", None).await;
    let github = ok(
        storage
            .create_social_account(&ada.id, account("github", "1"))
            .await,
        "create_social_account",
    );
    let google = ok(
        storage
            .create_social_account(&ada.id, account("google", "1"))
            .await,
        "create_social_account",
    );
    ok(
        storage.delete_social_account(github.id).await,
        "delete_social_account",
    );
    assert_eq!(
        ok(
            storage.social_account_by_id(github.id).await,
            "social_account_by_id"
        ),
        None
    );
    assert_eq!(
        ok(
            storage.social_account("github", "1").await,
            "social_account"
        ),
        None
    );
    assert_eq!(
        ok(storage.social_accounts(&ada.id).await, "social_accounts"),
        vec![google]
    );
    assert_eq!(ok(storage.user(&ada.id).await, "user"), Some(ada.clone()));
    ok(
        storage.delete_social_account(github.id).await,
        "delete_social_account of a deleted account",
    );
    let again = ok(
        storage
            .create_social_account(&ada.id, account("github", "1"))
            .await,
        "create_social_account after deleting the same account",
    );
    assert_eq!(again.uid, "1");
}

// --- create_user_with_account ------------------------------------------------------------------

/// `create_user_with_account` creates both, linked, and both read back.
pub async fn create_user_with_account_creates_both(storage: &dyn Storage) {
    let extra = nested_json();
    let (user, created) = ok(
        storage
            .create_user_with_account(
                new_user("ada", Some("ada@example.com")),
                NewSocialAccount::new("github", "42", extra.clone()),
            )
            .await,
        "create_user_with_account",
    );
    assert_eq!(user.username, "ada");
    assert!(user.is_active);
    assert_eq!(created.user_id, user.id);
    assert_eq!(created.provider, "github");
    assert_eq!(created.uid, "42");
    assert_eq!(created.extra_data, extra);

    assert_eq!(ok(storage.user(&user.id).await, "user"), Some(user.clone()));
    assert_eq!(
        ok(
            storage.social_account("github", "42").await,
            "social_account"
        ),
        Some(created.clone())
    );
    assert_eq!(
        ok(storage.social_accounts(&user.id).await, "social_accounts"),
        vec![created]
    );
}

/// A taken `(provider, uid)` fails the whole call: no user is left behind.
pub async fn create_user_with_account_conflicting_account_leaves_no_user(storage: &dyn Storage) {
    let ada = create_user(storage, "ada", None).await;
    let taken = ok(
        storage
            .create_social_account(&ada.id, account("github", "42"))
            .await,
        "create_social_account",
    );
    assert_conflict(
        storage
            .create_user_with_account(
                new_user("ghost", Some("ghost@example.com")),
                account("github", "42"),
            )
            .await,
        "create_user_with_account with a taken account",
    );
    assert!(
        !ok(storage.username_exists("ghost").await, "username_exists"),
        "the user of a refused account was left behind"
    );
    let ghosts = ok(
        storage.users_by_email("ghost@example.com").await,
        "users_by_email",
    );
    assert!(
        ghosts.is_empty(),
        "the user of a refused account was left behind"
    );
    assert_eq!(
        ok(
            storage.social_account("github", "42").await,
            "social_account"
        ),
        Some(taken),
        "the existing account changed"
    );
}

/// A taken username fails the whole call: no account is left behind.
pub async fn create_user_with_account_conflicting_username_leaves_no_account(
    storage: &dyn Storage,
) {
    let ada = create_user(storage, "ada", None).await;
    assert_conflict(
        storage
            .create_user_with_account(new_user("ada", None), account("github", "42"))
            .await,
        "create_user_with_account with a taken username",
    );
    assert_eq!(
        ok(
            storage.social_account("github", "42").await,
            "social_account"
        ),
        None,
        "the account of a refused user was left behind"
    );
    let accounts = ok(storage.social_accounts(&ada.id).await, "social_accounts");
    assert!(
        accounts.is_empty(),
        "the account went to the user who had the name"
    );
    let (user, created) = ok(
        storage
            .create_user_with_account(new_user("ada2", None), account("github", "42"))
            .await,
        "create_user_with_account after a refused one",
    );
    assert_eq!(created.user_id, user.id);
}

/// [`RACERS`] tasks create a user with the same new account at once: exactly one wins, the
/// others get a conflict, and one user and one account exist afterwards.
pub async fn concurrent_create_user_with_account(storage: Arc<dyn Storage>) {
    let start = Arc::new(Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let storage = Arc::clone(&storage);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                // Distinct usernames: only the account can collide, so a loser that kept its
                // user would show.
                let user = new_user(&format!("racer-{i}"), Some("racers@example.com"));
                start.wait().await;
                storage
                    .create_user_with_account(user, account("github", "race"))
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.expect("the racing task panicked") {
            Ok(won) => winners.push(won),
            Err(StorageError::Conflict(_)) => {}
            Err(other) => panic!("a racer failed with something else than a conflict: {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "{} racers won", winners.len());
    let (user, created) = winners.remove(0);

    let users = ok(
        storage.users_by_email("racers@example.com").await,
        "users_by_email",
    );
    assert_eq!(users, vec![user.clone()], "exactly the winner exists");
    for i in 0..RACERS {
        let name = format!("racer-{i}");
        let exists = ok(storage.username_exists(&name).await, "username_exists");
        assert_eq!(
            exists,
            name == user.username,
            "user {name} exists: {exists}"
        );
    }
    assert_eq!(
        ok(
            storage.social_account("github", "race").await,
            "social_account"
        ),
        Some(created.clone())
    );
    assert_eq!(
        ok(storage.social_accounts(&user.id).await, "social_accounts"),
        vec![created]
    );
}

// --- nonces ----------------------------------------------------------------------------------

/// A nonce is claimed once; any other server, timestamp or salt (case counts) is a new one.
pub async fn use_nonce_claims_once(storage: &dyn Storage) {
    let server = "https://op.example/openid";
    let claim = |server: &'static str, timestamp: i64, salt: &'static str| async move {
        ok(
            storage.use_nonce(server, timestamp, salt).await,
            "use_nonce",
        )
    };
    assert!(claim(server, 1000, "salt").await, "the first claim");
    assert!(!claim(server, 1000, "salt").await, "a replayed nonce");
    assert!(!claim(server, 1000, "salt").await, "a replayed nonce");
    assert!(claim(server, 1000, "SALT").await, "another salt");
    assert!(claim(server, 1001, "salt").await, "another timestamp");
    assert!(
        claim("https://other.example/openid", 1000, "salt").await,
        "another server"
    );
}

/// [`RACERS`] tasks claim the same nonce at once: exactly one gets `true`.
pub async fn concurrent_use_nonce(storage: Arc<dyn Storage>) {
    let start = Arc::new(Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|_| {
            let storage = Arc::clone(&storage);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                storage
                    .use_nonce("https://op.example/openid", 1000, "raced")
                    .await
            })
        })
        .collect();
    let mut claimed = 0;
    for task in tasks {
        if ok(task.await.expect("the racing task panicked"), "use_nonce") {
            claimed += 1;
        }
    }
    assert_eq!(claimed, 1, "{claimed} tasks claimed the same nonce");
}

/// `purge_nonces` forgets nonces strictly older than the cut-off, and counts them.
pub async fn purge_nonces(storage: &dyn Storage) {
    let a = "https://a.example/openid";
    let b = "https://b.example/openid";
    for (server, timestamp) in [(a, 100), (a, 200), (a, 300), (b, 150)] {
        assert!(ok(
            storage.use_nonce(server, timestamp, "s").await,
            "use_nonce"
        ));
    }
    assert_eq!(ok(storage.purge_nonces(200).await, "purge_nonces"), 2);
    assert!(
        ok(storage.use_nonce(a, 100, "s").await, "use_nonce"),
        "a purged nonce is forgotten"
    );
    assert!(
        ok(storage.use_nonce(b, 150, "s").await, "use_nonce"),
        "a purged nonce is forgotten"
    );
    assert!(
        !ok(storage.use_nonce(a, 200, "s").await, "use_nonce"),
        "a nonce at the cut-off is kept"
    );
    assert!(
        !ok(storage.use_nonce(a, 300, "s").await, "use_nonce"),
        "a newer nonce is kept"
    );
    assert_eq!(ok(storage.purge_nonces(0).await, "purge_nonces"), 0);
}

// --- OpenID associations ---------------------------------------------------------------------

/// Associations are stored per server and handle, replaced by handle, listed and removed.
pub async fn openid_associations(storage: &dyn Storage) {
    let a = "https://a.example/openid";
    let b = "https://b.example/openid";
    let list = |server: &'static str, handle: Option<&'static str>| async move {
        let mut found = ok(storage.associations(server, handle).await, "associations");
        found.sort_by(|x, y| x.handle.cmp(&y.handle));
        found
    };
    let a1 = association(a, "h1", "c2VjcmV0MQ==");
    let a2 = association(a, "h2", "c2VjcmV0Mg==");
    let b1 = association(b, "h1", "b3RoZXI=");
    for assoc in [&a1, &a2, &b1] {
        ok(
            storage.store_association(assoc.clone()).await,
            "store_association",
        );
    }
    assert_eq!(list(a, None).await, vec![a1.clone(), a2.clone()]);
    assert_eq!(list(a, Some("h1")).await, vec![a1.clone()]);
    assert_eq!(list(b, None).await, vec![b1.clone()]);
    assert!(list(a, Some("h3")).await.is_empty());
    assert!(list("https://c.example/openid", None).await.is_empty());

    let mut renewed = association(a, "h1", "cmVuZXdlZA==");
    renewed.assoc_type = "HMAC-SHA1".into();
    renewed.lifetime = 60;
    ok(
        storage.store_association(renewed.clone()).await,
        "store_association(same handle)",
    );
    assert_eq!(
        list(a, None).await,
        vec![renewed.clone(), a2.clone()],
        "storing the same handle replaces it"
    );
    assert_eq!(
        list(b, None).await,
        vec![b1.clone()],
        "another server's handle was touched"
    );

    ok(
        storage.remove_association(a, "h1").await,
        "remove_association",
    );
    assert_eq!(list(a, None).await, vec![a2]);
    assert_eq!(
        list(b, None).await,
        vec![b1],
        "removal reached another server"
    );
    ok(
        storage.remove_association(a, "h1").await,
        "remove_association of a removed one",
    );
}

// --- codes -----------------------------------------------------------------------------------

/// A code reads back as stored; `verify_code` marks it used; unknown codes are not found.
pub async fn codes(storage: &dyn Storage) {
    let stored = code("ada@example.com", "c0de");
    let other = code("bob@example.com", "0ther");
    ok(storage.store_code(stored.clone()).await, "store_code");
    ok(storage.store_code(other.clone()).await, "store_code");
    assert_eq!(ok(storage.code("c0de").await, "code"), Some(stored.clone()));
    assert_eq!(
        ok(storage.code("C0DE").await, "code"),
        None,
        "codes are exact"
    );
    assert_eq!(ok(storage.code("missing").await, "code"), None);

    ok(storage.verify_code("c0de").await, "verify_code");
    let verified = ok(storage.code("c0de").await, "code").expect("the code exists");
    assert!(verified.verified, "verify_code did not mark the code");
    assert_eq!(verified.email, stored.email);
    assert_eq!(verified.created_at, stored.created_at);
    assert_eq!(
        ok(storage.code("0ther").await, "code"),
        Some(other),
        "verify_code reached another code"
    );
    assert_not_found(
        storage.verify_code("missing").await,
        "verify_code of an unknown code",
    );
}

/// `purge_codes` forgets codes created strictly before the cut-off, used or not, and counts
/// them.
pub async fn purge_codes(storage: &dyn Storage) {
    for (name, created_at) in [("old", 100), ("older", 50), ("edge", 200), ("new", 300)] {
        let mut stored = code("ada@example.com", name);
        stored.created_at = created_at;
        ok(storage.store_code(stored).await, "store_code");
    }
    ok(storage.verify_code("older").await, "verify_code");
    assert_eq!(ok(storage.purge_codes(200).await, "purge_codes"), 2);
    assert_eq!(
        ok(storage.code("old").await, "code"),
        None,
        "an old code was kept"
    );
    assert_eq!(
        ok(storage.code("older").await, "code"),
        None,
        "a used old code was kept"
    );
    for kept in ["edge", "new"] {
        let found = ok(storage.code(kept).await, "code");
        assert!(found.is_some(), "code `{kept}` was purged");
    }
    assert_eq!(ok(storage.purge_codes(200).await, "purge_codes"), 0);
}

// --- partial pipelines -----------------------------------------------------------------------

/// A paused pipeline reads back as stored, stays for `partial` and goes with `take_partial`.
pub async fn partials_are_single_use(storage: &dyn Storage) {
    let first = partial("token-1");
    let second = partial("token-2");
    ok(storage.store_partial(first.clone()).await, "store_partial");
    ok(storage.store_partial(second.clone()).await, "store_partial");

    assert_eq!(
        ok(storage.partial("token-1").await, "partial"),
        Some(first.clone())
    );
    assert_eq!(
        ok(storage.partial("token-1").await, "partial"),
        Some(first.clone()),
        "partial() must leave the partial in place"
    );
    assert_eq!(
        ok(storage.take_partial("token-1").await, "take_partial"),
        Some(first)
    );
    assert_eq!(
        ok(storage.take_partial("token-1").await, "take_partial"),
        None,
        "a partial was taken twice"
    );
    assert_eq!(ok(storage.partial("token-1").await, "partial"), None);
    assert_eq!(
        ok(storage.partial("TOKEN-2").await, "partial"),
        None,
        "tokens are exact"
    );
    assert_eq!(
        ok(storage.partial("token-2").await, "partial"),
        Some(second),
        "taking one partial reached another"
    );
}

/// `purge_partials` forgets paused pipelines expiring at or before the cut-off, and counts
/// them.
pub async fn purge_partials(storage: &dyn Storage) {
    for (token, expires_at) in [("past", 100), ("edge", 200), ("future", 201)] {
        let mut stored = partial(token);
        stored.expires_at = expires_at;
        ok(storage.store_partial(stored).await, "store_partial");
    }
    assert_eq!(ok(storage.purge_partials(200).await, "purge_partials"), 2);
    for gone in ["past", "edge"] {
        let found = ok(storage.partial(gone).await, "partial");
        assert_eq!(found, None, "the expired partial `{gone}` was kept");
    }
    let future = ok(storage.partial("future").await, "partial");
    assert!(future.is_some(), "an unexpired partial was purged");
    assert_eq!(ok(storage.purge_partials(200).await, "purge_partials"), 0);
}

/// [`RACERS`] tasks take the same paused pipeline at once: exactly one gets it.
pub async fn concurrent_take_partial(storage: Arc<dyn Storage>) {
    let stored = partial("raced");
    ok(storage.store_partial(stored.clone()).await, "store_partial");
    let start = Arc::new(Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|_| {
            let storage = Arc::clone(&storage);
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                storage.take_partial("raced").await
            })
        })
        .collect();
    let mut taken = Vec::new();
    for task in tasks {
        if let Some(partial) = ok(
            task.await.expect("the racing task panicked"),
            "take_partial",
        ) {
            taken.push(partial);
        }
    }
    assert_eq!(taken, vec![stored], "a partial must be taken exactly once");
}
