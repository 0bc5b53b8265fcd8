//! Social login for Rust web applications.
