//! The OpenID 2.0 protocol base (feature `openid`).
