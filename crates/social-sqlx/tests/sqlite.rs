//! `SqliteStorage`: the storage conformance suite, the real pipeline under concurrent logins,
//! and what is particular to SQLite (connecting, migrating, in-memory databases).

mod common;

use std::{path::PathBuf, sync::Arc};

use social_core::{NewUser, Storage, UserDetails, UserStore};
use social_sqlx::{SqliteStorage, sqlx};

/// A fresh database file: WAL and concurrent writers need a file, not a shared-cache memory
/// database.
fn fresh_path() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("social-sqlx-{}.db", uuid::Uuid::new_v4().simple()))
}

fn url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}

async fn sqlite_storage() -> SqliteStorage {
    SqliteStorage::connect(&url(&fresh_path()))
        .await
        .expect("a fresh SQLite database opens")
}

social_testkit::storage_conformance!(sqlite_storage());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_logins_create_one_user() {
    common::concurrent_logins_create_one_user(Arc::new(sqlite_storage().await)).await;
}

#[tokio::test]
async fn user_ids_are_never_reused() {
    common::user_ids_are_never_reused(&sqlite_storage().await).await;
}

fn new_user(username: &str) -> NewUser {
    NewUser::from_details(username.into(), &UserDetails::new())
}

#[tokio::test]
async fn connect_sets_wal_and_foreign_keys() {
    let storage = sqlite_storage().await;
    let mut conn = storage.pool().acquire().await.expect("a connection");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .expect("journal_mode");
    assert_eq!(mode, "wal");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await
        .expect("foreign_keys");
    assert_eq!(foreign_keys, 1);
    let busy_timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(&mut *conn)
        .await
        .expect("busy_timeout");
    assert!(busy_timeout >= 1000, "busy_timeout is {busy_timeout} ms");
}

#[tokio::test]
async fn reconnecting_keeps_data_and_migrations() {
    let path = fresh_path();
    let storage = SqliteStorage::connect(&url(&path)).await.expect("connect");
    let ada = storage
        .create_user(new_user("ada"))
        .await
        .expect("create_user");
    storage.pool().close().await;

    let again = SqliteStorage::connect(&url(&path))
        .await
        .expect("connecting again re-runs the migrations harmlessly");
    assert_eq!(again.user(&ada.id).await.expect("user"), Some(ada));
}

#[tokio::test]
async fn migrations_ignore_the_applications_own() {
    let path = fresh_path();
    let storage = SqliteStorage::connect(&url(&path)).await.expect("connect");
    // As if the application's own `sqlx::migrate!` had recorded a version we do not know.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (1, 'the application''s users', TRUE, x'00', 0)",
    )
    .execute(storage.pool())
    .await
    .expect("record a foreign migration");
    storage
        .migrate()
        .await
        .expect("an unknown applied version does not stop our migrations");
}

/// A database made by the first release, with nonces in it, upgrades to the nonce table keyed
/// by time: what was claimed stays claimed, and purging by age still works.
#[tokio::test]
async fn an_old_nonce_table_upgrades_with_its_claims() {
    use sqlx::Connection as _;

    let path = fresh_path();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let mut conn = sqlx::SqliteConnection::connect_with(&options)
        .await
        .expect("open");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut first = sqlx::migrate::Migrator::new(dir).await.expect("migrations");
    first.migrations = first.migrations[..1].to_vec().into();
    first.run(&mut conn).await.expect("the first migration");
    sqlx::query(
        "INSERT INTO social_nonces (server_url, timestamp, salt) \
         VALUES ('https://op', 7, 'old'), ('https://op', 1000, 'kept')",
    )
    .execute(&mut conn)
    .await
    .expect("nonces of the old table");
    conn.close().await.expect("close");

    let storage = SqliteStorage::connect(&url(&path)).await.expect("upgrade");
    common::old_claims_survive_the_upgrade(&storage).await;
    let without_rowid: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE name = 'social_nonces'")
            .fetch_one(storage.pool())
            .await
            .expect("schema");
    assert!(without_rowid.contains("WITHOUT ROWID"), "{without_rowid}");
}

#[tokio::test]
async fn from_pool_then_migrate() {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(fresh_path())
                .create_if_missing(true),
        )
        .await
        .expect("pool");
    let storage = SqliteStorage::from_pool(pool);
    assert!(
        storage.username_exists("ada").await.is_err(),
        "from_pool must not migrate: the users table exists"
    );
    storage.migrate().await.expect("migrate");
    storage
        .create_user(new_user("ada"))
        .await
        .expect("create_user");
}

#[tokio::test]
async fn in_memory_database_keeps_its_data() {
    let storage = SqliteStorage::connect("sqlite::memory:")
        .await
        .expect("an in-memory database opens");
    let ada = storage
        .create_user(new_user("ada"))
        .await
        .expect("create_user");
    for _ in 0..5 {
        assert_eq!(
            storage.user(&ada.id).await.expect("user"),
            Some(ada.clone())
        );
    }
    let (user, account) = storage
        .create_user_with_account(
            new_user("bob"),
            social_core::NewSocialAccount::new("github", "1", Default::default()),
        )
        .await
        .expect("create_user_with_account");
    assert_eq!(account.user_id, user.id);
}

#[tokio::test]
async fn no_orphans_with_foreign_keys_off() {
    // A pool handed over by an application may have SQLite's default: foreign keys off.
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(fresh_path())
                .create_if_missing(true)
                .foreign_keys(false),
        )
        .await
        .expect("pool");
    let storage = SqliteStorage::from_pool(pool);
    storage.migrate().await.expect("migrate");

    let (ada, account) = storage
        .create_user_with_account(
            new_user("ada"),
            social_core::NewSocialAccount::new("github", "1", Default::default()),
        )
        .await
        .expect("create_user_with_account");
    storage.delete_user(&ada.id).await.expect("delete_user");
    assert_eq!(
        storage
            .social_account_by_id(account.id)
            .await
            .expect("social_account_by_id"),
        None,
        "the deleted user's account is left"
    );
    let orphan = storage
        .create_social_account(
            &ada.id,
            social_core::NewSocialAccount::new("github", "2", Default::default()),
        )
        .await;
    assert!(
        matches!(orphan, Err(social_core::storage::StorageError::NotFound(_))),
        "an account for a missing user: {orphan:?}"
    );
}
