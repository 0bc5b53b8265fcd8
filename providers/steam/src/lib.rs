//! steam login for social-auth.
