//! GitHub login for social-auth.
