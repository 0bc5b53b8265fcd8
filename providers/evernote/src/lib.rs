//! evernote login for social-auth.
