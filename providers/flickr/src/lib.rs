//! flickr login for social-auth.
