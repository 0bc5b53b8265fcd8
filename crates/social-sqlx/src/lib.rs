#![doc = include_str!("../README.md")]

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod common;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod writes;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStorage;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStorage;
/// The sqlx this crate is built on, for naming pools and options at the same version.
pub use sqlx;

/// How long a storage call waits for a connection (pooled, or one of a SQLite storage's own)
/// before failing: with the database down or stuck, a login answers with an error in seconds
/// rather than hanging.
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);
