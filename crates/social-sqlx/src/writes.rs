//! Group commit on the SQLite writer: the writes that queue while it is busy (nonce claims and
//! the login's user and account writes) go in together, in one transaction, so that concurrent
//! logins share one `fsync` instead of waiting for one each.
//!
//! Each write is answered only once the transaction holding it has committed, so a claimed
//! nonce is as durable, and as single-use, as when it had a transaction of its own. A write
//! that fails is undone alone (it runs inside a savepoint) and the others still commit.

use std::{
    fmt::Write as _,
    sync::{Arc, Mutex as SyncMutex, PoisonError},
};

use social_core::storage::{StorageError, StorageResult};
use sqlx::{Connection as _, SqliteConnection};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use crate::{
    common::{BoxFuture, Work},
    sqlite::lock_owned,
};

/// At most this many claims share a statement (three parameters each), and at most this many
/// other writes share a transaction.
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

/// A write other than a claim, its result type erased.
trait Queued: Send {
    /// Whether whoever waits for it has gone: it is then not made.
    fn abandoned(&self) -> bool;
    /// Whether it must be atomic when it runs alone: several statements.
    fn atomic(&self) -> bool;
    /// Runs it; its answer waits for the commit.
    fn run<'c>(self: Box<Self>, conn: &'c mut SqliteConnection) -> BoxFuture<'c, Box<dyn Ran>>;
    /// Answers without running it: its batch failed with `error` first.
    fn refuse(self: Box<Self>, error: &Arc<sqlx::Error>);
}

/// A write that has run, with its answer held back.
trait Ran: Send {
    fn succeeded(&self) -> bool;
    /// Answers with its own result, or with `failed` when its transaction did not commit.
    fn answer(self: Box<Self>, failed: Option<&Arc<sqlx::Error>>);
}

struct Job<T> {
    atomic: bool,
    work: Work<SqliteConnection, T>,
    answer: oneshot::Sender<StorageResult<T>>,
}

struct Done<T> {
    result: StorageResult<T>,
    answer: oneshot::Sender<StorageResult<T>>,
}

impl<T: Send + 'static> Queued for Job<T> {
    fn abandoned(&self) -> bool {
        self.answer.is_closed()
    }

    fn atomic(&self) -> bool {
        self.atomic
    }

    fn run<'c>(self: Box<Self>, conn: &'c mut SqliteConnection) -> BoxFuture<'c, Box<dyn Ran>> {
        let Job { work, answer, .. } = *self;
        Box::pin(async move {
            let result = work(conn).await;
            Box::new(Done { result, answer }) as Box<dyn Ran>
        })
    }

    fn refuse(self: Box<Self>, error: &Arc<sqlx::Error>) {
        let _ = self
            .answer
            .send(Err(StorageError::backend(Arc::clone(error))));
    }
}

impl<T: Send + 'static> Ran for Done<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn answer(self: Box<Self>, failed: Option<&Arc<sqlx::Error>>) {
        let result = match failed {
            Some(error) => Err(StorageError::backend(Arc::clone(error))),
            None => self.result,
        };
        let _ = self.answer.send(result);
    }
}

/// The writes waiting for the writer.
#[derive(Default)]
struct Pending {
    claims: Vec<Claim>,
    jobs: Vec<Box<dyn Queued>>,
}

/// The writes waiting for the SQLite writer.
#[derive(Default)]
pub(crate) struct WriteQueue {
    pending: SyncMutex<Pending>,
    /// How many batches ran, for tests.
    #[cfg(test)]
    pub(crate) batches: std::sync::atomic::AtomicUsize,
}

impl WriteQueue {
    /// Claims `(server_url, timestamp, salt)` through `writer`: `true` the first time.
    ///
    /// Of two equal claims in one batch only the first gets `true`.
    pub(crate) async fn claim(
        &self,
        writer: &Arc<Mutex<SqliteConnection>>,
        server_url: &str,
        timestamp: i64,
        salt: &str,
    ) -> StorageResult<bool> {
        let (answer, answered) = oneshot::channel();
        self.lock_pending().claims.push(Claim {
            server_url: server_url.to_owned(),
            timestamp,
            salt: salt.to_owned(),
            answer,
        });
        match self.wait(writer, answered).await? {
            Some(Ok(first)) => Ok(first),
            Some(Err(error)) => Err(StorageError::backend(error)),
            None => Err(interrupted()),
        }
    }

    /// Runs `work` on `writer` in a transaction shared with the other writes queued beside it;
    /// `atomic` when it is more than one statement.
    pub(crate) async fn write<T: Send + 'static>(
        &self,
        writer: &Arc<Mutex<SqliteConnection>>,
        atomic: bool,
        work: Work<SqliteConnection, T>,
    ) -> StorageResult<T> {
        let (answer, answered) = oneshot::channel();
        self.lock_pending().jobs.push(Box::new(Job {
            atomic,
            work,
            answer,
        }));
        self.wait(writer, answered)
            .await?
            .unwrap_or_else(|| Err(interrupted()))
    }

    /// Waits for `answered`; whoever holds the writer next runs everything queued, and
    /// answers each write once its transaction has committed. `None` when the batch ended
    /// without answering (it panicked).
    async fn wait<R>(
        &self,
        writer: &Arc<Mutex<SqliteConnection>>,
        mut answered: oneshot::Receiver<R>,
    ) -> StorageResult<Option<R>> {
        loop {
            tokio::select! {
                // An answer wins over the writer coming free: the batch that answered us has
                // just let it go.
                biased;
                answer = &mut answered => return Ok(answer.ok()),
                conn = lock_owned(writer) => {
                    let conn = conn.map_err(StorageError::backend)?;
                    let batch = self.take_batch();
                    if batch.claims.is_empty() && batch.jobs.is_empty() {
                        continue;
                    }
                    #[cfg(test)]
                    self.batches
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    // A task of its own: a login that is dropped half-way (its browser went
                    // away) must not leave the other writes of its batch unanswered.
                    tokio::spawn(run(conn, batch));
                }
            }
        }
    }

    /// How many writes wait, for tests.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        let pending = self.lock_pending();
        pending.claims.len() + pending.jobs.len()
    }

    fn lock_pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The oldest waiting writes, without those whose caller has gone.
    fn take_batch(&self) -> Pending {
        let mut pending = self.lock_pending();
        pending.claims.retain(|claim| !claim.answer.is_closed());
        pending.jobs.retain(|job| !job.abandoned());
        let claims = pending.claims.len().min(MAX_BATCH);
        let jobs = pending.jobs.len().min(MAX_BATCH);
        Pending {
            claims: pending.claims.drain(..claims).collect(),
            jobs: pending.jobs.drain(..jobs).collect(),
        }
    }
}

/// The error of a write whose batch ended without answering, so whether it landed is
/// unknown.
fn interrupted() -> StorageError {
    StorageError::backend(std::io::Error::other(
        "the write was interrupted before it was answered; the login must start again",
    ))
}

/// Runs `batch` on the writer: claims alone in one statement; otherwise one transaction, a
/// savepoint for each write when there are several.
async fn run(mut conn: OwnedMutexGuard<SqliteConnection>, batch: Pending) {
    let Pending { claims, jobs } = batch;
    if jobs.is_empty() {
        let claimed = insert_claims(&mut conn, &claims).await;
        answer_claims(claims, claimed.map_err(Arc::new));
        return;
    }
    if claims.is_empty() && jobs.len() == 1 && !jobs.iter().any(|job| job.atomic()) {
        for job in jobs {
            job.run(&mut conn).await.answer(None);
        }
        return;
    }
    let alone = claims.is_empty() && jobs.len() == 1;
    let mut tx = match conn.begin_with("BEGIN IMMEDIATE").await {
        Ok(tx) => tx,
        Err(error) => return fail(claims, Vec::new(), jobs, error),
    };
    let claimed = if claims.is_empty() {
        Vec::new()
    } else {
        match insert_claims(&mut tx, &claims).await {
            Ok(claimed) => claimed,
            Err(error) => return fail(claims, Vec::new(), jobs, error),
        }
    };
    let mut ran = Vec::with_capacity(jobs.len());
    let mut jobs = jobs.into_iter();
    while let Some(job) = jobs.next() {
        if alone {
            ran.push(job.run(&mut tx).await);
            continue;
        }
        let mut savepoint = match tx.begin().await {
            Ok(savepoint) => savepoint,
            Err(error) => return fail(claims, ran, jobs.collect(), error),
        };
        let done = job.run(&mut savepoint).await;
        let ended = if done.succeeded() {
            savepoint.commit().await
        } else {
            savepoint.rollback().await
        };
        ran.push(done);
        if let Err(error) = ended {
            return fail(claims, ran, jobs.collect(), error);
        }
    }
    if alone && !ran.iter().all(|done| done.succeeded()) {
        // As its own transaction would: undone whole, answered with its own error.
        let _ = tx.rollback().await;
        for done in ran {
            done.answer(None);
        }
        return;
    }
    match tx.commit().await {
        Ok(()) => {
            answer_claims(claims, Ok(claimed));
            for done in ran {
                done.answer(None);
            }
        }
        Err(error) => fail(claims, ran, Vec::new(), error),
    }
}

/// Answers every write of a batch whose transaction failed with `error`; nothing of it was
/// committed.
fn fail(
    claims: Vec<Claim>,
    ran: Vec<Box<dyn Ran>>,
    waiting: Vec<Box<dyn Queued>>,
    error: sqlx::Error,
) {
    let error = Arc::new(error);
    answer_claims(claims, Err(Arc::clone(&error)));
    for done in ran {
        done.answer(Some(&error));
    }
    for job in waiting {
        job.refuse(&error);
    }
}

/// Inserts the claims in one statement; for each, whether it landed.
async fn insert_claims(
    conn: &mut SqliteConnection,
    claims: &[Claim],
) -> Result<Vec<bool>, sqlx::Error> {
    let mut sql = String::from("INSERT INTO social_nonces (server_url, timestamp, salt) VALUES ");
    for i in 0..claims.len() {
        let first = 3 * i + 1;
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(sql, "{sep}(${first}, ${}, ${})", first + 1, first + 2);
    }
    // The primary key decides between racing claims: only one insert lands, and only the
    // rows that landed come back.
    sql.push_str(" ON CONFLICT DO NOTHING RETURNING server_url, timestamp, salt");
    let mut query = sqlx::query_as::<_, (String, i64, String)>(&sql);
    for claim in claims {
        query = query
            .bind(&claim.server_url)
            .bind(claim.timestamp)
            .bind(&claim.salt);
    }
    let mut landed = query.fetch_all(conn).await?;
    Ok(claims
        .iter()
        .map(|claim| {
            let first = landed.iter().position(|(server_url, timestamp, salt)| {
                *server_url == claim.server_url
                    && *timestamp == claim.timestamp
                    && *salt == claim.salt
            });
            if let Some(at) = first {
                landed.swap_remove(at);
            }
            first.is_some()
        })
        .collect())
}

fn answer_claims(claims: Vec<Claim>, claimed: Result<Vec<bool>, Arc<sqlx::Error>>) {
    match claimed {
        Ok(claimed) => {
            for (claim, first) in claims.into_iter().zip(claimed) {
                let _ = claim.answer.send(Ok(first));
            }
        }
        Err(error) => {
            for claim in claims {
                let _ = claim.answer.send(Err(Arc::clone(&error)));
            }
        }
    }
}
