//! axum integration for social-auth: routes, sessions, extractors.
