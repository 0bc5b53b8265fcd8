//! [`PostgresStorage`].

use sqlx::{Connection, PgConnection, PgPool, Postgres, Transaction, pool::PoolConnection};

use crate::common::{Work, backend, impl_storage, migrator};

/// A [`Storage`](social_core::Storage) in a PostgreSQL database.
///
/// Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct PostgresStorage {
    pool: PgPool,
}

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://user:password@host/db`) and runs the
    /// migrations.
    ///
    /// The tables go into the first schema of the connection's `search_path`.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        // A database that is down must fail a login in seconds, not hold it for the pool's
        // default half minute.
        let pool = sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(crate::ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        let storage = Self::from_pool(pool);
        storage.migrate().await?;
        Ok(storage)
    }

    /// Uses an existing pool, such as one shared with a session store; does not migrate.
    ///
    /// Call [`migrate`](Self::migrate) once at start-up.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Creates or updates the tables; safe to run at every start, also from several
    /// processes at once (sqlx serializes them with an advisory lock).
    ///
    /// The migrations share sqlx's `_sqlx_migrations` table with the application's own and
    /// ignore versions they do not know.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        migrator(sqlx::migrate!("migrations/postgres"))
            .run(&self.pool)
            .await?;
        Ok(())
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// A connection to read with.
    async fn read(&self) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        self.pool.acquire().await
    }

    /// A connection to write with: any, PostgreSQL takes concurrent writers.
    async fn write(&self) -> Result<PoolConnection<Postgres>, sqlx::Error> {
        self.pool.acquire().await
    }

    /// Claims a nonce with one insert: PostgreSQL commits concurrent claims side by side.
    async fn claim_nonce(
        &self,
        server_url: &str,
        timestamp: i64,
        salt: &str,
    ) -> social_core::storage::StorageResult<bool> {
        let mut conn = self.write().await.map_err(crate::common::backend)?;
        Self::insert_nonce(&mut conn, server_url, timestamp, salt).await
    }

    /// Runs `work` on a connection; in a transaction when it is `atomic`.
    async fn write_job<T>(
        &self,
        atomic: bool,
        work: Work<PgConnection, T>,
    ) -> social_core::storage::StorageResult<T> {
        let mut conn = self.write().await.map_err(backend)?;
        Self::run_job(&mut conn, atomic, work).await
    }

    /// Read committed is enough: the unique indexes decide between racing writers, and the
    /// loser waits for the winner's commit before it sees the conflict.
    async fn begin_write(
        conn: &mut PgConnection,
    ) -> Result<Transaction<'_, Postgres>, sqlx::Error> {
        conn.begin().await
    }
}

impl_storage!(PostgresStorage, Postgres);
