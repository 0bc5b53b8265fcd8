//! Conformance suites and helpers for testing social-auth providers and storages.
//!
//! - [`provider`]: the provider conformance suite, run by every provider crate over its
//!   recorded fixtures with [`conformance!`].
//! - [`storage`]: the storage conformance suite, run against every [`social_core::Storage`].
//! - [`oauth1`]: the OAuth 1.0a conformance suite, run with
//!   [`oauth1_conformance!`](crate::oauth1_conformance).
//! - [`oidc`]: OpenID Connect checks with signing keys minted at run time.
//! - [`openid`]: OpenID 2.0 checks against a fake OP.

pub mod oauth1;
pub mod oidc;
pub mod openid;
pub mod provider;
pub mod storage;
