//! `PostgresStorage`: the storage conformance suite and the real pipeline under concurrent
//! logins, each test in a schema of its own.
//!
//! The database comes from `TEST_POSTGRES_URL`. Without it a test prints what is missing and
//! passes, except in CI (`CI=true`), where it fails.

mod common;

use std::{
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use social_sqlx::{
    PostgresStorage,
    sqlx::{
        self, Executor as _, PgPool,
        postgres::{PgConnectOptions, PgPoolOptions},
    },
};

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Tells once per test binary what is missing; libtest does not capture direct writes.
fn report_missing(what: &str) {
    use std::io::Write as _;
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "social-sqlx: PostgreSQL tests skipped: {what}"
        );
    });
}

const SCHEMA_PREFIX: &str = "social_sqlx_test_";

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A store in a new, empty schema; `None` (after saying why) when no PostgreSQL is set up
/// outside CI.
async fn postgres_storage() -> Option<PostgresStorage> {
    let storage = PostgresStorage::from_pool(postgres_pool().await?);
    storage.migrate().await.expect("migrate");
    Some(storage)
}

/// A pool whose connections use a fresh schema of their own, with nothing in it.
async fn postgres_pool() -> Option<PgPool> {
    let url = match std::env::var("TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let what = "TEST_POSTGRES_URL is not set \
                        (e.g. postgres://postgres:postgres@127.0.0.1:5432/postgres)";
            assert!(!ci(), "PostgreSQL is missing in CI: {what}");
            report_missing(what);
            return None;
        }
    };
    let admin = PgPool::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to TEST_POSTGRES_URL: {e}"));
    drop_stale_schemas(&admin).await;
    // The creation time in the name lets a later run drop what a failed run left.
    let schema = format!(
        "{SCHEMA_PREFIX}{}_{}",
        unix_now(),
        uuid::Uuid::new_v4().simple()
    );
    admin
        .execute(format!("CREATE SCHEMA {schema}").as_str())
        .await
        .expect("create the test schema");
    admin.close().await;

    let options = PgConnectOptions::from_str(&url)
        .expect("TEST_POSTGRES_URL parses")
        .options([("search_path", schema.as_str())]);
    let pool = PgPoolOptions::new()
        .max_connections(5)
        .connect_with(options)
        .await
        .expect("connect with the test schema");
    Some(pool)
}

/// Drops, once per test binary, the schemas of runs more than an hour old; younger ones
/// may belong to a run still going.
async fn drop_stale_schemas(admin: &PgPool) {
    static DONE: AtomicBool = AtomicBool::new(false);
    if DONE.swap(true, Ordering::SeqCst) {
        return;
    }
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE $1")
            .bind(format!("{SCHEMA_PREFIX}%"))
            .fetch_all(admin)
            .await
            .unwrap_or_default();
    let cutoff = unix_now().saturating_sub(3600);
    for name in names {
        let created = name
            .strip_prefix(SCHEMA_PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if created.is_some_and(|secs| secs < cutoff) {
            let _ = admin
                .execute(format!("DROP SCHEMA IF EXISTS {name} CASCADE").as_str())
                .await;
        }
    }
}

social_testkit::storage_conformance!(optional: postgres_storage());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_logins_create_one_user() {
    if let Some(storage) = postgres_storage().await {
        common::concurrent_logins_create_one_user(Arc::new(storage)).await;
    }
}

/// A database made by the first release, with nonces in it, upgrades to the nonce key led by
/// time: what was claimed stays claimed, and purging by age still works.
#[tokio::test]
async fn an_old_nonce_table_upgrades_with_its_claims() {
    let Some(pool) = postgres_pool().await else {
        return;
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut first = sqlx::migrate::Migrator::new(dir).await.expect("migrations");
    first.migrations = first.migrations[..1].to_vec().into();
    first.run(&pool).await.expect("the first migration");
    sqlx::query(
        "INSERT INTO social_nonces (server_url, timestamp, salt) \
         VALUES ('https://op', 7, 'old'), ('https://op', 1000, 'kept')",
    )
    .execute(&pool)
    .await
    .expect("nonces of the old table");

    let storage = PostgresStorage::from_pool(pool);
    storage.migrate().await.expect("upgrade");
    common::old_claims_survive_the_upgrade(&storage).await;
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE tablename = 'social_nonces' \
         AND schemaname = current_schema() ORDER BY 1",
    )
    .fetch_all(storage.pool())
    .await
    .expect("indexes");
    assert_eq!(indexes, ["social_nonces_pkey"]);
}

#[tokio::test]
async fn user_ids_are_never_reused() {
    if let Some(storage) = postgres_storage().await {
        common::user_ids_are_never_reused(&storage).await;
    }
}

#[tokio::test]
async fn schemas_keep_tests_apart() {
    let (Some(a), Some(b)) = (postgres_storage().await, postgres_storage().await) else {
        return;
    };
    use social_core::UserStore as _;
    let details = social_core::UserDetails::new();
    a.create_user(social_core::NewUser::from_details("ada".into(), &details))
        .await
        .expect("create_user");
    assert!(!b.username_exists("ada").await.expect("username_exists"));
}
