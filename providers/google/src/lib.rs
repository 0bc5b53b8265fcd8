//! Google login for social-auth.
