//! The OpenID Connect protocol base (feature `oidc`).
