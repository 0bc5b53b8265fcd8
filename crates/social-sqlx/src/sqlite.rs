//! [`SqliteStorage`]: the embedded default.

use std::{str::FromStr, time::Duration};

use sqlx::{
    Sqlite, SqlitePool, Transaction,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
};

use crate::common::{impl_storage, migrator};

/// How long a writer waits for another one to finish before giving up with `database is
/// locked`; writers take turns, so this bounds a burst of concurrent logins.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`Storage`](social_core::Storage) in a SQLite database.
///
/// Cheap to clone: clones share the connection pools.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    /// Reads.
    pool: SqlitePool,
    /// Writes: one connection for a database file, so that the process's writers queue for it
    /// in turn instead of sleeping in SQLite's busy handler, which makes the slow tail of
    /// concurrent logins. Other processes' writers still meet the busy timeout.
    writer: SqlitePool,
}

impl SqliteStorage {
    /// Opens the database at `url`, creating it when missing, and runs the migrations.
    ///
    /// `url` is an sqlx SQLite URL such as `sqlite://social.db` or `sqlite::memory:`.
    /// Connections use WAL (readers do not block the writer), enforce foreign keys and wait up
    /// to 5 seconds for a busy database. Reads go through a pool of connections, writes through
    /// one connection of their own, so that concurrent logins take turns to write rather than
    /// retry. Connections are not pinged before each use (a file does not drop a connection;
    /// the ping is a round trip to the connection's thread per statement). An in-memory database lives in one connection that is never closed, since each
    /// connection would otherwise see a database of its own.
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
            let writer = SqlitePoolOptions::new()
                .acquire_timeout(crate::ACQUIRE_TIMEOUT)
                .test_before_acquire(false)
                .max_connections(1)
                .connect_with(options.clone())
                .await?;
            let pool = SqlitePoolOptions::new()
                .acquire_timeout(crate::ACQUIRE_TIMEOUT)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            Self { pool, writer }
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
        Self {
            writer: pool.clone(),
            pool,
        }
    }

    /// Creates or updates the tables; safe to run at every start.
    ///
    /// The migrations share sqlx's `_sqlx_migrations` table with the application's own and
    /// ignore versions they do not know.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        migrator(sqlx::migrate!("migrations/sqlite"))
            .run(&self.writer)
            .await?;
        Ok(())
    }

    /// The connection pool of reads (of every statement, for a storage made by
    /// [`from_pool`](Self::from_pool)).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// `BEGIN IMMEDIATE` takes the write lock at once, so a second writer waits out the busy
    /// timeout; a deferred transaction that reads first may instead fail at its first write.
    async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }
}

impl_storage!(SqliteStorage, Sqlite);
