//! linkedin login for social-auth.
