//! livejournal login for social-auth.
