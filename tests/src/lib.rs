//! End-to-end tests across the social-auth crates live in `tests/`.
