//! Social login for an application that offers GitHub, built into social-auth, beside Gitea
//! and Disqus from the third-party crate social-forge.

use std::sync::Arc;

use social_auth::{MemoryStorage, Result, Settings, SocialAuth};

/// Social login over `settings`: every provider they configure, built in or not.
///
/// No list of names and no filtering by hand: the built-in providers come from
/// `registry_for`, the others are offered where settings configure them, and each gets its
/// `SOCIAL_AUTH_<NAME>_*` variables when the engine is built.
pub fn social_auth(settings: Settings) -> Result<SocialAuth> {
    let registry = social_auth::registry_for(&settings)
        .with_configured(social_forge::gitea(), &settings)
        .with_configured(social_forge::disqus(), &settings);
    SocialAuth::builder(registry)
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .build()
}
