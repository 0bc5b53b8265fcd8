//! The storage conformance suite against the in-memory store of social-core.

social_testkit::storage_conformance!(async { social_core::MemoryStorage::new() });
