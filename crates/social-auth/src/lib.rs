#![doc = include_str!("../README.md")]

pub use social_core::*;

#[cfg(feature = "axum")]
pub use social_axum as axum;
#[cfg(feature = "facebook")]
pub use social_facebook as facebook;
#[cfg(feature = "github")]
pub use social_github as github;
#[cfg(feature = "google")]
pub use social_google as google;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use social_sqlx as sqlx;

/// Every provider compiled in through Cargo features, under its default name.
pub fn registry() -> Registry {
    #[allow(unused_mut)] // without provider features the registry stays empty
    let mut registry = Registry::new();
    #[cfg(feature = "github")]
    registry.insert(std::sync::Arc::new(social_github::backend()));
    #[cfg(feature = "google")]
    registry.insert(std::sync::Arc::new(social_google::backend()));
    #[cfg(feature = "facebook")]
    registry.insert(std::sync::Arc::new(social_facebook::backend()));
    registry
}

/// The compiled-in providers that have a `KEY` in `settings`: the ones an application can
/// offer. Settings are validated when [`SocialAuth`] is built.
pub fn registry_for(settings: &Settings) -> Registry {
    let mut registry = registry();
    registry.retain(|name| settings.backend(name).key.is_some());
    registry
}

/// The names of the compiled-in providers, for [`Settings::with_env`].
pub fn provider_names() -> Vec<String> {
    registry().names().map(str::to_owned).collect()
}
