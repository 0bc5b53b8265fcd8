//! `SocialAuth::purge_expired`: which records go, on the engine's clock and settings.

// A failing storage call is the test failing; its panic says which call.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use serde_json::json;
use social_core::{
    MemoryStorage, Registry, Settings, SocialAuth, Storage,
    clock::FixedClock,
    storage::{Code, Partial},
};

const NOW: i64 = 1_800_000_000;

#[tokio::test]
async fn purge_expired_removes_what_can_no_longer_be_used() {
    let clock = Arc::new(FixedClock::new(NOW));
    let storage = Arc::new(MemoryStorage::new());
    let mut settings = Settings::default();
    settings.state_max_age = 600;
    settings.partial_max_age = 3600;
    let offline = |_req| async { Err(social_core::http::HttpError::Other("offline".into())) };
    let auth = SocialAuth::builder(Registry::new())
        .settings(settings)
        .storage(storage.clone())
        .http_client(Arc::new(offline))
        .clock(clock.clone())
        .build()
        .unwrap_or_else(|e| panic!("{e}"));

    // Nonces go when older than state_max_age + 300 s: here, before NOW - 900.
    for timestamp in [NOW - 901, NOW - 900, NOW] {
        assert!(storage.use_nonce("op", timestamp, "s").await.unwrap());
    }
    // Partials go once expired.
    for (token, expires_at) in [("expired", NOW - 1), ("now", NOW), ("live", NOW + 1)] {
        let partial = Partial::new(token, "fixed", 0, json!({}), expires_at);
        storage.store_partial(partial).await.unwrap();
    }
    // Codes go when older than partial_max_age: here, before NOW - 3600.
    for (code, created_at) in [("old", NOW - 3601), ("edge", NOW - 3600), ("new", NOW)] {
        let code = Code::new("octo@example.com", code, created_at);
        storage.store_code(code).await.unwrap();
    }

    let purged = auth.purge_expired().await.unwrap();
    assert_eq!((purged.nonces, purged.partials, purged.codes), (1, 2, 1));
    assert!(!storage.use_nonce("op", NOW - 900, "s").await.unwrap());
    assert!(storage.use_nonce("op", NOW - 901, "s").await.unwrap());
    assert!(storage.partial("expired").await.unwrap().is_none());
    assert!(storage.partial("now").await.unwrap().is_none());
    assert!(storage.partial("live").await.unwrap().is_some());
    assert!(storage.code("old").await.unwrap().is_none());
    assert!(storage.code("edge").await.unwrap().is_some());
    assert!(storage.code("new").await.unwrap().is_some());

    // The cut-offs follow the engine's clock, not the system's.
    clock.advance(1);
    let purged = auth.purge_expired().await.unwrap();
    // The nonce at NOW - 901 was claimed again above.
    assert_eq!((purged.nonces, purged.partials, purged.codes), (2, 1, 1));
    assert!(storage.code("new").await.unwrap().is_some());
}
