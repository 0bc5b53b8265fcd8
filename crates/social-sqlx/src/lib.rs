//! SQLite and PostgreSQL storage for social-auth, on sqlx.
