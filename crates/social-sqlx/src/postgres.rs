//! [`PostgresStorage`].

use sqlx::{PgPool, Postgres, Transaction};

use crate::common::{impl_storage, migrator};

/// A [`Storage`](social_core::Storage) in a PostgreSQL database.
///
/// Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct PostgresStorage {
    pool: PgPool,
    /// The same pool: PostgreSQL takes concurrent writers.
    writer: PgPool,
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
        Self {
            writer: pool.clone(),
            pool,
        }
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

    /// Read committed is enough: the unique indexes decide between racing writers, and the
    /// loser waits for the winner's commit before it sees the conflict.
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

impl_storage!(PostgresStorage, Postgres);
