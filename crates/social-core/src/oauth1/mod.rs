//! The OAuth 1.0a protocol base (feature `oauth1`).
