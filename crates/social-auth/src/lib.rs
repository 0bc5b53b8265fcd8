#![doc = include_str!("../README.md")]

use std::sync::Arc;

pub use social_core::*;
#[cfg(feature = "oauth1")]
pub use social_oauth1 as oauth1;
#[cfg(feature = "oauth2")]
pub use social_oauth2 as oauth2;
#[cfg(feature = "openid")]
pub use social_openid as openid;

#[cfg(feature = "axum")]
pub use social_axum as axum;
#[cfg(feature = "evernote")]
pub use social_evernote as evernote;
#[cfg(feature = "facebook")]
pub use social_facebook as facebook;
#[cfg(feature = "flickr")]
pub use social_flickr as flickr;
#[cfg(feature = "github")]
pub use social_github as github;
#[cfg(feature = "google")]
pub use social_google as google;
#[cfg(feature = "linkedin")]
pub use social_linkedin as linkedin;
#[cfg(feature = "livejournal")]
pub use social_livejournal as livejournal;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use social_sqlx as sqlx;
#[cfg(feature = "steam")]
pub use social_steam as steam;
#[cfg(feature = "twitter")]
pub use social_twitter as twitter;

/// Every provider compiled in through Cargo features, under its default name, plus the
/// generic `openid` backend (feature `openid`).
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    let mut add = |backend: Arc<dyn Backend>| registry.insert(backend);
    #[cfg(feature = "github")]
    add(Arc::new(social_github::backend()));
    #[cfg(feature = "google")]
    add(Arc::new(social_google::backend()));
    #[cfg(feature = "facebook")]
    add(Arc::new(social_facebook::backend()));
    #[cfg(feature = "twitter")]
    add(Arc::new(social_twitter::backend()));
    #[cfg(feature = "flickr")]
    add(Arc::new(social_flickr::backend()));
    #[cfg(feature = "evernote")]
    add(Arc::new(social_evernote::backend()));
    #[cfg(feature = "linkedin")]
    add(Arc::new(social_linkedin::backend()));
    #[cfg(feature = "steam")]
    add(Arc::new(social_steam::backend()));
    #[cfg(feature = "livejournal")]
    add(Arc::new(social_livejournal::backend()));
    #[cfg(feature = "openid")]
    add(Arc::new(social_openid::backend()));
    let _ = &mut add;
    registry
}

/// The backends `settings` configure: every compiled-in provider that has settings (a
/// `[backends.<name>]` table or `SOCIAL_AUTH_<NAME>_*` variables), plus a generic OpenID
/// Connect backend for every other name with an `OIDC_ENDPOINT` (feature `oidc`) and a generic
/// OpenID 2.0 backend for every other name with an `OPENID_IDENTIFIER` (feature `openid`).
///
/// Add backends of other crates to the result with [`Registry::with`]: their settings and
/// variables are given to them when [`SocialAuth`] is built, where whether each backend's
/// settings are complete is checked too.
pub fn registry_for(settings: &Settings) -> Registry {
    let mut registry = registry();
    let names: Vec<String> = registry.names().map(str::to_owned).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    registry.retain(|name| settings.configures(name, &names));
    for (name, backend) in &settings.backends {
        if registry.get(name).is_some() {
            continue;
        }
        #[cfg(feature = "oidc")]
        if backend.option("oidc_endpoint").is_some()
            || backend.endpoints.contains_key("oidc_endpoint")
        {
            registry.insert(Arc::new(social_oauth2::oidc::OidcBackend::generic(name)));
            continue;
        }
        #[cfg(feature = "openid")]
        if backend.option(social_openid::IDENTIFIER_PARAM).is_some() {
            registry.insert(Arc::new(social_openid::OpenIdBackend::named(
                name,
                social_openid::OpenId,
            )));
            continue;
        }
        let _ = (name, backend);
    }
    registry
}

/// The names of the compiled-in providers.
pub fn provider_names() -> Vec<String> {
    registry().names().map(str::to_owned).collect()
}

#[cfg(all(test, feature = "full"))]
mod tests {
    use super::*;

    #[test]
    fn settings_choose_providers_and_name_generic_backends() {
        let settings = Settings::from_toml_str(
            r#"
            [backends.github]
            key = "k"
            [backends.corp]
            oidc_endpoint = "https://id.corp.example"
            [backends.partner]
            oidc_endpoint = "https://login.partner.example"
            [backends.myop]
            openid_identifier = "https://op.example/"
            "#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let registry = registry_for(&settings);
        let names: Vec<&str> = registry.names().collect();
        assert_eq!(names, ["corp", "github", "myop", "partner"]);
        let protocols: Vec<Protocol> = registry.iter().map(|b| b.protocol()).collect();
        assert_eq!(
            protocols,
            [
                Protocol::OPENID_CONNECT,
                Protocol::OAUTH2,
                Protocol::OPENID,
                Protocol::OPENID_CONNECT
            ]
        );
        assert!(
            provider_names().len() >= 10,
            "every provider of `full` is registered"
        );
    }
}
