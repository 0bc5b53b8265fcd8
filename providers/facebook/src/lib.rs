//! Facebook login for social-auth.
