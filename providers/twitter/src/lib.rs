//! twitter login for social-auth.
