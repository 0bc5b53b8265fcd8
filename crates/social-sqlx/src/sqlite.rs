//! [`SqliteStorage`]: the embedded default.

use std::{
    fmt,
    ops::{Deref, DerefMut},
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use sqlx::{
    ConnectOptions, Connection, Sqlite, SqliteConnection, SqlitePool, Transaction,
    pool::PoolConnection,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
};
use tokio::sync::{Mutex, MutexGuard, OwnedMutexGuard};

use crate::{
    common::{Work, backend, impl_storage, migrator},
    writes::WriteQueue,
};

/// How long a writer waits for another one to finish before giving up with `database is
/// locked`; writers take turns, so this bounds a burst of concurrent logins.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many connections read a database file at once.
const READERS: usize = 4;

/// A [`Storage`](social_core::Storage) in a SQLite database.
///
/// Cheap to clone: clones share the connections.
#[derive(Clone)]
pub struct SqliteStorage {
    /// A pool on the database: it runs every statement of a storage made by
    /// [`from_pool`](Self::from_pool); for one made by [`connect`](Self::connect) on a file it
    /// serves only [`pool`](Self::pool) and opens its connections on first use.
    pool: SqlitePool,
    /// The storage's own connections, for a database file opened by `connect`.
    own: Option<Arc<Own>>,
}

/// Connections held outside a pool: a pool pings each connection as it goes back, one more
/// round trip to the connection's thread per statement.
struct Own {
    /// Every write: one connection, so that the process's writers queue for it in turn instead
    /// of sleeping in SQLite's busy handler, which makes the slow tail of concurrent logins.
    /// Other processes' writers still meet the busy timeout.
    writer: Arc<Mutex<SqliteConnection>>,
    /// Reads, which WAL lets run beside the writer.
    readers: Box<[Mutex<SqliteConnection>]>,
    /// Where the next read starts looking for a free connection.
    next: AtomicUsize,
    /// Writes waiting for the writer, made together.
    queue: WriteQueue,
}

/// A connection of the storage for the span of one statement or transaction.
pub(crate) enum Conn<'a> {
    Own(MutexGuard<'a, SqliteConnection>),
    Pooled(PoolConnection<Sqlite>),
}

impl Deref for Conn<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        match self {
            Conn::Own(conn) => conn,
            Conn::Pooled(conn) => conn,
        }
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        match self {
            Conn::Own(conn) => conn,
            Conn::Pooled(conn) => conn,
        }
    }
}

impl fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("SqliteStorage");
        match &self.own {
            Some(own) => out
                .field("writers", &1)
                .field("readers", &own.readers.len()),
            None => out.field("pool", &self.pool),
        }
        .finish()
    }
}

/// Waits for `conn` at most as long as a pool would.
pub(crate) async fn lock(conn: &Mutex<SqliteConnection>) -> Result<Conn<'_>, sqlx::Error> {
    tokio::time::timeout(crate::ACQUIRE_TIMEOUT, conn.lock())
        .await
        .map(Conn::Own)
        .map_err(|_| sqlx::Error::PoolTimedOut)
}

/// [`lock`], for a guard that outlives the borrow.
pub(crate) async fn lock_owned(
    conn: &Arc<Mutex<SqliteConnection>>,
) -> Result<OwnedMutexGuard<SqliteConnection>, sqlx::Error> {
    tokio::time::timeout(crate::ACQUIRE_TIMEOUT, Arc::clone(conn).lock_owned())
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)
}

impl SqliteStorage {
    /// Opens the database at `url`, creating it when missing, and runs the migrations.
    ///
    /// `url` is an sqlx SQLite URL such as `sqlite://social.db` or `sqlite::memory:`.
    /// Connections use WAL (readers do not block the writer), enforce foreign keys and wait up
    /// to 5 seconds for a busy database. A database file is read through 4 connections and
    /// written through one, so that concurrent logins take turns to write rather than retry;
    /// the storage holds them itself rather than in a pool, which would ping each connection
    /// after every statement. An in-memory database lives in one connection that is never
    /// closed, since each connection would otherwise see a database of its own.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let storage = if url.contains(":memory:") || url.contains("mode=memory") {
            Self::from_pool(
                SqlitePoolOptions::new()
                    .acquire_timeout(crate::ACQUIRE_TIMEOUT)
                    .test_before_acquire(false)
                    .max_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(options)
                    .await?,
            )
        } else {
            let options = options.journal_mode(SqliteJournalMode::Wal);
            // The writer first: it creates the file and switches it to WAL.
            let writer = options.connect().await?;
            let mut readers = Vec::with_capacity(READERS);
            for _ in 0..READERS {
                readers.push(Mutex::new(options.connect().await?));
            }
            let pool = SqlitePoolOptions::new()
                .acquire_timeout(crate::ACQUIRE_TIMEOUT)
                .test_before_acquire(false)
                .connect_lazy_with(options);
            Self {
                pool,
                own: Some(Arc::new(Own {
                    writer: Arc::new(Mutex::new(writer)),
                    readers: readers.into(),
                    next: AtomicUsize::new(0),
                    queue: WriteQueue::default(),
                })),
            }
        };
        storage.migrate().await?;
        Ok(storage)
    }

    /// Uses an existing pool for reads and writes, such as one shared with a session store;
    /// does not migrate.
    ///
    /// Call [`migrate`](Self::migrate) once at start-up. For concurrent logins the pool's
    /// connections should have a busy timeout and, for a file database, WAL.
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self { pool, own: None }
    }

    /// Creates or updates the tables; safe to run at every start.
    ///
    /// The migrations share sqlx's `_sqlx_migrations` table with the application's own and
    /// ignore versions they do not know.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        let mut conn = self.write().await?;
        migrator(sqlx::migrate!("migrations/sqlite"))
            .run(&mut *conn)
            .await?;
        Ok(())
    }

    /// A pool on the same database, with the same settings, for an application's own queries
    /// or a session store. A storage made by [`connect`](Self::connect) runs its own statements
    /// on connections of its own; one made by [`from_pool`](Self::from_pool) runs them here.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// A connection to read with.
    pub(crate) async fn read(&self) -> Result<Conn<'_>, sqlx::Error> {
        let Some(own) = &self.own else {
            return Ok(Conn::Pooled(self.pool.acquire().await?));
        };
        let count = own.readers.len();
        let start = own.next.fetch_add(1, Ordering::Relaxed) % count;
        for i in 0..count {
            if let Ok(conn) = own.readers[(start + i) % count].try_lock() {
                return Ok(Conn::Own(conn));
            }
        }
        lock(&own.readers[start]).await
    }

    /// The connection to write with.
    pub(crate) async fn write(&self) -> Result<Conn<'_>, sqlx::Error> {
        match &self.own {
            Some(own) => lock(&own.writer).await,
            None => Ok(Conn::Pooled(self.pool.acquire().await?)),
        }
    }

    /// Claims a nonce; on a file, together with the claims of concurrent logins (one
    /// transaction, one `fsync` for all).
    async fn claim_nonce(
        &self,
        server_url: &str,
        timestamp: i64,
        salt: &str,
    ) -> social_core::storage::StorageResult<bool> {
        match &self.own {
            Some(own) => {
                own.queue
                    .claim(&own.writer, server_url, timestamp, salt)
                    .await
            }
            None => {
                let mut conn = self.write().await.map_err(crate::common::backend)?;
                Self::insert_nonce(&mut conn, server_url, timestamp, salt).await
            }
        }
    }

    /// Runs `work` on the writer; atomic when it is `atomic`. On a file, together with the
    /// writes of concurrent logins (one transaction, one `fsync` for all).
    async fn write_job<T: Send + 'static>(
        &self,
        atomic: bool,
        work: Work<SqliteConnection, T>,
    ) -> social_core::storage::StorageResult<T> {
        if let Some(own) = &self.own {
            return own.queue.write(&own.writer, atomic, work).await;
        }
        let mut conn = self.write().await.map_err(backend)?;
        Self::run_job(&mut conn, atomic, work).await
    }

    /// `BEGIN IMMEDIATE` takes the write lock at once, so a second writer waits out the busy
    /// timeout; a deferred transaction that reads first may instead fail at its first write.
    async fn begin_write(
        conn: &mut SqliteConnection,
    ) -> Result<Transaction<'_, Sqlite>, sqlx::Error> {
        conn.begin_with("BEGIN IMMEDIATE").await
    }
}

impl_storage!(SqliteStorage, Sqlite);

#[cfg(test)]
mod tests {
    use super::*;

    /// A database file that is deleted with its WAL when the test ends.
    struct TempDb(std::path::PathBuf);

    impl TempDb {
        fn new() -> Self {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let name = format!("social-sqlx-{}-{nanos}.db", std::process::id());
            Self(std::env::temp_dir().join(name))
        }

        fn url(&self) -> String {
            format!("sqlite://{}", self.0.display())
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
            }
        }
    }

    /// Every connection the storage writes or reads with has WAL, foreign keys and a busy
    /// timeout.
    #[tokio::test]
    async fn own_connections_have_the_settings() {
        let db = TempDb::new();
        let storage = SqliteStorage::connect(&db.url()).await.expect("connect");
        let own = storage
            .own
            .as_ref()
            .expect("a file has connections of its own");
        assert_eq!(own.readers.len(), READERS);
        let mut conns = vec![lock(&own.writer).await.expect("writer")];
        for reader in own.readers.iter() {
            conns.push(lock(reader).await.expect("reader"));
        }
        for conn in &mut conns {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut **conn)
                .await
                .expect("journal_mode");
            assert_eq!(mode, "wal");
            let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(&mut **conn)
                .await
                .expect("foreign_keys");
            assert_eq!(foreign_keys, 1);
            let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
                .fetch_one(&mut **conn)
                .await
                .expect("busy_timeout");
            assert_eq!(busy, 5000);
        }
        drop(conns);
    }

    /// A read finds a free connection while others are held, and waits when all are.
    #[tokio::test]
    async fn reads_take_a_free_connection() {
        let db = TempDb::new();
        let storage = SqliteStorage::connect(&db.url()).await.expect("connect");
        let mut held = Vec::new();
        for _ in 0..READERS {
            held.push(storage.read().await.expect("a free reader"));
        }
        let waiting = tokio::time::timeout(Duration::from_millis(50), storage.read()).await;
        assert!(waiting.is_err(), "every reader is held: a read waits");
        held.pop();
        let mut conn = tokio::time::timeout(Duration::from_secs(5), storage.read())
            .await
            .expect("a reader came free")
            .expect("read");
        let one: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut *conn)
            .await
            .expect("select");
        assert_eq!(one, 1);
        drop((conn, held));
    }

    /// Claims that queue while the writer is busy go in as one statement; of two equal claims
    /// one wins; each claim lands once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_claims_share_one_statement() {
        use social_core::Storage as _;

        let db = TempDb::new();
        let storage = SqliteStorage::connect(&db.url()).await.expect("connect");
        let own = Arc::clone(storage.own.as_ref().expect("own connections"));
        let held = own.writer.lock().await;
        let salts = ["a", "b", "c", "d", "e", "f", "g", "h", "dup", "dup"];
        let tasks: Vec<_> = salts
            .iter()
            .map(|&salt| {
                let storage = storage.clone();
                tokio::spawn(async move { storage.use_nonce("https://op", 7, salt).await })
            })
            .collect();
        while own.queue.queued() < salts.len() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(held);
        let mut won = Vec::new();
        for task in tasks {
            won.push(task.await.expect("task").expect("claim"));
        }
        assert_eq!(won[..8], [true; 8], "every distinct claim is first");
        assert_eq!(
            won[8..].iter().filter(|w| **w).count(),
            1,
            "of two equal claims exactly one wins: {won:?}"
        );
        assert_eq!(own.queue.batches.load(Ordering::Relaxed), 1);
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM social_nonces")
            .fetch_one(&mut *storage.read().await.expect("read"))
            .await
            .expect("count");
        assert_eq!(rows, 9);
        for salt in ["a", "dup"] {
            assert!(
                !storage
                    .use_nonce("https://op", 7, salt)
                    .await
                    .expect("claim"),
                "{salt} was claimed already"
            );
        }
    }

    /// Writes of several logins that queue for the writer share one transaction; one that
    /// fails is undone alone, half-made user included, and the others commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_writes_share_one_transaction_and_fail_alone() {
        use social_core::{
            NewSocialAccount, NewUser, Storage as _, UserDetails,
            storage::{StorageError, UserStore as _},
        };

        let db = TempDb::new();
        let storage = SqliteStorage::connect(&db.url()).await.expect("connect");
        let own = Arc::clone(storage.own.as_ref().expect("own connections"));
        let existing = storage
            .create_user_with_account(
                NewUser::from_details("taken".into(), &UserDetails::new()),
                NewSocialAccount::new("github", "1", serde_json::Map::new()),
            )
            .await
            .expect("first user");
        let before = own.queue.batches.load(Ordering::Relaxed);

        let held = own.writer.lock().await;
        let create = |username: &str, uid: &str| {
            let storage = storage.clone();
            let user = NewUser::from_details(username.into(), &UserDetails::new());
            let account = NewSocialAccount::new("github", uid, serde_json::Map::new());
            tokio::spawn(async move { storage.create_user_with_account(user, account).await })
        };
        let alice = create("alice", "2");
        let username_taken = create("taken", "3");
        // The user insert lands, the account insert fails: the user must go too.
        let account_taken = create("carol", "1");
        let claim = {
            let storage = storage.clone();
            tokio::spawn(async move { storage.use_nonce("https://op", 7, "s").await })
        };
        let extra = {
            let storage = storage.clone();
            let id = existing.1.id;
            let mut data = serde_json::Map::new();
            data.insert("login".into(), "new".into());
            tokio::spawn(async move { storage.update_extra_data(id, &data).await })
        };
        while own.queue.queued() < 5 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        drop(held);

        let alice = alice.await.expect("task").expect("alice is made");
        assert_eq!(alice.0.username, "alice");
        assert!(matches!(
            username_taken.await.expect("task"),
            Err(StorageError::Conflict(_))
        ));
        assert!(matches!(
            account_taken.await.expect("task"),
            Err(StorageError::Conflict(_))
        ));
        assert!(claim.await.expect("task").expect("claim"));
        extra.await.expect("task").expect("extra data");
        assert_eq!(
            own.queue.batches.load(Ordering::Relaxed) - before,
            1,
            "one batch"
        );

        assert!(storage.username_exists("alice").await.expect("read"));
        assert!(
            !storage.username_exists("carol").await.expect("read"),
            "the half-made user was undone"
        );
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *storage.read().await.expect("read"))
            .await
            .expect("count");
        assert_eq!(users, 2, "taken and alice");
        let account = storage
            .social_account("github", "1")
            .await
            .expect("read")
            .expect("account");
        assert_eq!(account.extra_data.get("login"), Some(&"new".into()));
        assert!(
            !storage
                .use_nonce("https://op", 7, "s")
                .await
                .expect("claim")
        );
    }

    /// A claim whose login went away while it waited is not made, and does not hold up the
    /// next one.
    #[tokio::test]
    async fn abandoned_claims_are_not_made() {
        use social_core::Storage as _;

        let db = TempDb::new();
        let storage = SqliteStorage::connect(&db.url()).await.expect("connect");
        let own = Arc::clone(storage.own.as_ref().expect("own connections"));
        let held = own.writer.lock().await;
        let gone = tokio::time::timeout(
            Duration::from_millis(20),
            storage.use_nonce("https://op", 7, "gone"),
        )
        .await;
        assert!(gone.is_err(), "the claim waits for the writer");
        drop(held);
        assert!(
            storage
                .use_nonce("https://op", 7, "next")
                .await
                .expect("claim")
        );
        assert!(
            storage
                .use_nonce("https://op", 7, "gone")
                .await
                .expect("claim"),
            "the abandoned claim was made anyway"
        );
    }
}
