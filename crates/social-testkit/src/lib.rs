//! Conformance suites and helpers for testing social-auth providers and storages.
//!
//! - [`provider`]: the provider conformance suite, run by every provider crate over its
//!   recorded fixtures with [`conformance!`].
//! - [`storage`]: the storage conformance suite, run against every [`social_core::Storage`].

pub mod provider;
pub mod storage;
