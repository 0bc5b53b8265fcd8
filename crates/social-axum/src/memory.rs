//! An in-memory session store that forgets what expired and keeps each session small.

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, PoisonError},
};

use social_core::async_trait;
use tower_sessions::{
    SessionStore,
    cookie::time::OffsetDateTime,
    session::{Id, Record},
    session_store,
};

/// How often, in seconds, saving a session also deletes the expired ones.
const SWEEP_EVERY: i64 = 60;

/// A tower-sessions store in this process's memory, for one instance of an application: its
/// sessions are lost at restart and not shared with other instances.
///
/// Unlike tower-sessions' `MemoryStore`, which keeps every session it was ever given, it
/// deletes expired sessions (a sweep at most once a minute, when a session is saved) and holds
/// each session's data as compact JSON rather than a map of values, about a fifth of the
/// memory. Sessions the layer replaces (a login cycles the id) are deleted by the layer.
#[derive(Clone, Default)]
pub struct MemorySessionStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Default)]
struct Inner {
    sessions: HashMap<Id, Stored>,
    /// When the next sweep is due, in Unix seconds.
    next_sweep: i64,
}

struct Stored {
    /// When it expires, in Unix seconds.
    expires: i64,
    data: Box<[u8]>,
}

impl fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySessionStore")
            .field("sessions", &self.len())
            .finish()
    }
}

impl MemorySessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many sessions it holds, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.lock().sessions.len()
    }

    /// Whether it holds no session.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Deletes every expired session now; returns how many.
    pub fn delete_expired(&self) -> usize {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut inner = self.lock();
        let before = inner.sessions.len();
        inner.sessions.retain(|_, stored| stored.expires > now);
        inner.next_sweep = now + SWEEP_EVERY;
        before - inner.sessions.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn encode(record: &Record) -> session_store::Result<Stored> {
        let data = serde_json::to_vec(&record.data)
            .map_err(|e| session_store::Error::Encode(e.to_string()))?;
        Ok(Stored {
            expires: record.expiry_date.unix_timestamp(),
            data: data.into_boxed_slice(),
        })
    }
}

impl Inner {
    fn sweep_if_due(&mut self, now: i64) {
        if now >= self.next_sweep {
            self.sessions.retain(|_, stored| stored.expires > now);
            self.next_sweep = now + SWEEP_EVERY;
        }
    }
}

#[async_trait]
impl SessionStore for MemorySessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let stored = Self::encode(record)?;
        let mut inner = self.lock();
        while inner.sessions.contains_key(&record.id) {
            // Two random 128-bit ids colliding: draw again rather than overwrite.
            record.id = Id::default();
        }
        inner.sessions.insert(record.id, stored);
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let stored = Self::encode(record)?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut inner = self.lock();
        inner.sweep_if_due(now);
        inner.sessions.insert(record.id, stored);
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc();
        let (expires, data) = {
            let mut inner = self.lock();
            match inner.sessions.get(id) {
                Some(stored) if stored.expires > now.unix_timestamp() => {
                    (stored.expires, stored.data.clone())
                }
                Some(_) => {
                    inner.sessions.remove(id);
                    return Ok(None);
                }
                None => return Ok(None),
            }
        };
        let data = serde_json::from_slice(&data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(expires)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.lock().sessions.remove(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde_json::json;
    use tower_sessions::cookie::time::Duration;

    use super::*;

    fn record(expires_in: Duration) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::from([("social_auth.user_id".to_owned(), json!("1"))]),
            expiry_date: OffsetDateTime::now_utc() + expires_in,
        }
    }

    #[tokio::test]
    async fn sessions_round_trip_and_are_deleted() {
        let store = MemorySessionStore::new();
        let mut session = record(Duration::hours(1));
        store
            .create(&mut session)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let loaded = store
            .load(&session.id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let loaded = loaded.unwrap_or_else(|| panic!("the session is there"));
        assert_eq!(loaded.data, session.data);
        assert_eq!(
            loaded.expiry_date.unix_timestamp(),
            session.expiry_date.unix_timestamp()
        );
        store
            .delete(&session.id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(store.is_empty());
        assert!(
            store
                .load(&session.id)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none()
        );
    }

    #[tokio::test]
    async fn expired_sessions_are_not_loaded_and_are_swept() {
        let store = MemorySessionStore::new();
        let mut live = record(Duration::hours(1));
        store
            .create(&mut live)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..3 {
            let mut gone = record(Duration::seconds(-1));
            store
                .create(&mut gone)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut expired = record(Duration::seconds(-1));
        store
            .create(&mut expired)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.len(), 5);
        assert!(
            store
                .load(&expired.id)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .is_none(),
            "an expired session is not loaded"
        );
        assert_eq!(store.len(), 4, "and is dropped when asked for");
        // The first save sweeps (none has been due yet); the next minute's saves do not.
        store.save(&live).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.len(), 1, "the expired ones are swept at a save");
        let mut late = record(Duration::seconds(-1));
        store
            .create(&mut late)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store.save(&live).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.len(), 2, "one sweep a minute");
        assert_eq!(store.delete_expired(), 1);
        assert_eq!(store.len(), 1);
    }
}
