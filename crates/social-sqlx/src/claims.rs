//! Group commit of nonce claims: the claims that queue for the SQLite writer while it is busy
//! go in together, as one statement and one transaction, so that concurrent logins share one
//! `fsync` instead of waiting for one each.

use std::{
    fmt::Write as _,
    sync::{Arc, Mutex as SyncMutex, PoisonError},
};

use social_core::storage::{StorageError, StorageResult};
use sqlx::SqliteConnection;
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use crate::sqlite::lock_owned;

/// At most this many claims share a statement (three parameters each).
const MAX_BATCH: usize = 64;

/// What a claim is answered with: whether it was the first, or why the batch failed.
type Answer = Result<bool, Arc<sqlx::Error>>;

/// A nonce waiting to be claimed.
pub(crate) struct Claim {
    server_url: String,
    timestamp: i64,
    salt: String,
    answer: oneshot::Sender<Answer>,
}

/// The claims waiting for the writer.
#[derive(Default)]
pub(crate) struct ClaimQueue {
    pub(crate) pending: SyncMutex<Vec<Claim>>,
    /// How many statements claimed nonces, for tests.
    #[cfg(test)]
    pub(crate) batches: std::sync::atomic::AtomicUsize,
}

impl ClaimQueue {
    /// Claims `(server_url, timestamp, salt)` through `writer`: `true` the first time.
    ///
    /// The claim is queued; whoever holds the writer next claims everything queued at once and
    /// answers each. Of two equal claims in one batch only the first gets `true`.
    pub(crate) async fn claim(
        &self,
        writer: &Arc<Mutex<SqliteConnection>>,
        server_url: &str,
        timestamp: i64,
        salt: &str,
    ) -> StorageResult<bool> {
        let (answer, mut answered) = oneshot::channel();
        self.lock_pending().push(Claim {
            server_url: server_url.to_owned(),
            timestamp,
            salt: salt.to_owned(),
            answer,
        });
        loop {
            tokio::select! {
                // An answer wins over the writer coming free: the batch that answered us has
                // just let it go.
                biased;
                answer = &mut answered => return settle(answer.ok()),
                conn = lock_owned(writer) => {
                    let conn = conn.map_err(StorageError::backend)?;
                    let batch = self.take_batch();
                    if batch.is_empty() {
                        continue;
                    }
                    #[cfg(test)]
                    self.batches
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    // A task of its own: a login that is dropped half-way (its browser went
                    // away) must not leave the other claims of its batch unanswered.
                    tokio::spawn(run(conn, batch));
                }
            }
        }
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Vec<Claim>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The oldest waiting claims, without those whose caller has gone.
    fn take_batch(&self) -> Vec<Claim> {
        let mut pending = self.lock_pending();
        pending.retain(|claim| !claim.answer.is_closed());
        let take = pending.len().min(MAX_BATCH);
        pending.drain(..take).collect()
    }
}

/// Inserts the batch in one statement on the writer and answers each claim.
async fn run(mut conn: OwnedMutexGuard<SqliteConnection>, batch: Vec<Claim>) {
    let mut sql = String::from("INSERT INTO social_nonces (server_url, timestamp, salt) VALUES ");
    for i in 0..batch.len() {
        let first = 3 * i + 1;
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(sql, "{sep}(${first}, ${}, ${})", first + 1, first + 2);
    }
    // The primary key decides between racing claims: only one insert lands, and only the
    // rows that landed come back.
    sql.push_str(" ON CONFLICT DO NOTHING RETURNING server_url, timestamp, salt");
    let mut query = sqlx::query_as::<_, (String, i64, String)>(&sql);
    for claim in &batch {
        query = query
            .bind(&claim.server_url)
            .bind(claim.timestamp)
            .bind(&claim.salt);
    }
    match query.fetch_all(&mut *conn).await {
        Ok(mut landed) => {
            for claim in batch {
                let first = landed.iter().position(|(server_url, timestamp, salt)| {
                    *server_url == claim.server_url
                        && *timestamp == claim.timestamp
                        && *salt == claim.salt
                });
                if let Some(at) = first {
                    landed.swap_remove(at);
                }
                let _ = claim.answer.send(Ok(first.is_some()));
            }
        }
        Err(error) => {
            let error = Arc::new(error);
            for claim in batch {
                let _ = claim.answer.send(Err(Arc::clone(&error)));
            }
        }
    }
}

/// A claim's answer; `None` when the task running its batch ended without answering (it
/// panicked), so whether it landed is unknown.
fn settle(answer: Option<Answer>) -> StorageResult<bool> {
    match answer {
        Some(Ok(first)) => Ok(first),
        Some(Err(error)) => Err(StorageError::backend(error)),
        None => Err(StorageError::backend(std::io::Error::other(
            "the nonce claim was interrupted before it was answered; the login must start again",
        ))),
    }
}
