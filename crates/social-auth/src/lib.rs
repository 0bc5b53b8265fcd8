// The README's quick start is compiled as a doctest where its features are on (docs.rs builds
// with all features).
#![cfg_attr(
    all(feature = "github", feature = "axum", feature = "sqlite"),
    doc = include_str!("../README.md")
)]
#![cfg_attr(
    not(all(feature = "github", feature = "axum", feature = "sqlite")),
    doc = "Social login for Rust web applications. The quick start and the feature list are \
           in README.md, shown here when the documentation is built with the `github`, `axum` \
           and `sqlite` features (docs.rs builds with all features)."
)]
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::sync::Arc;

pub use social_core::*;
#[cfg(feature = "oauth1")]
pub use social_oauth1 as oauth1;
#[cfg(feature = "oauth2")]
pub use social_oauth2 as oauth2;
#[cfg(feature = "openid")]
pub use social_openid as openid;

#[cfg(feature = "actix")]
pub use social_actix as actix;
#[cfg(feature = "amazon")]
pub use social_amazon as amazon;
#[cfg(feature = "apple-id")]
pub use social_apple_id as apple_id;
#[cfg(feature = "atlassian")]
pub use social_atlassian as atlassian;
#[cfg(feature = "auth0")]
pub use social_auth0 as auth0;
#[cfg(feature = "axum")]
pub use social_axum as axum;
#[cfg(feature = "battlenet")]
pub use social_battlenet as battlenet;
#[cfg(feature = "bitbucket")]
pub use social_bitbucket as bitbucket;
#[cfg(feature = "box")]
pub use social_box as box_;
#[cfg(feature = "browserid")]
pub use social_browserid as browserid;
#[cfg(feature = "coinbase")]
pub use social_coinbase as coinbase;
#[cfg(feature = "digitalocean")]
pub use social_digitalocean as digitalocean;
#[cfg(feature = "discord")]
pub use social_discord as discord;
#[cfg(feature = "dropbox")]
pub use social_dropbox as dropbox;
#[cfg(feature = "evernote")]
pub use social_evernote as evernote;
#[cfg(feature = "facebook")]
pub use social_facebook as facebook;
#[cfg(feature = "figma")]
pub use social_figma as figma;
#[cfg(feature = "flickr")]
pub use social_flickr as flickr;
#[cfg(feature = "foursquare")]
pub use social_foursquare as foursquare;
#[cfg(feature = "github")]
pub use social_github as github;
#[cfg(feature = "gitlab")]
pub use social_gitlab as gitlab;
#[cfg(feature = "google")]
pub use social_google as google;
#[cfg(feature = "instagram")]
pub use social_instagram as instagram;
#[cfg(feature = "kakao")]
pub use social_kakao as kakao;
#[cfg(feature = "keycloak")]
pub use social_keycloak as keycloak;
#[cfg(feature = "line")]
pub use social_line as line;
#[cfg(feature = "linkedin")]
pub use social_linkedin as linkedin;
#[cfg(feature = "livejournal")]
pub use social_livejournal as livejournal;
#[cfg(feature = "mailru")]
pub use social_mailru as mailru;
#[cfg(feature = "microsoft")]
pub use social_microsoft as microsoft;
#[cfg(feature = "microsoft-graph")]
pub use social_microsoft_graph as microsoft_graph;
#[cfg(feature = "mixcloud")]
pub use social_mixcloud as mixcloud;
#[cfg(feature = "naver")]
pub use social_naver as naver;
#[cfg(feature = "notion")]
pub use social_notion as notion;
#[cfg(feature = "odnoklassniki")]
pub use social_odnoklassniki as odnoklassniki;
#[cfg(feature = "okta")]
pub use social_okta as okta;
#[cfg(feature = "patreon")]
pub use social_patreon as patreon;
#[cfg(feature = "paypal")]
pub use social_paypal as paypal;
#[cfg(feature = "reddit")]
pub use social_reddit as reddit;
#[cfg(feature = "salesforce")]
pub use social_salesforce as salesforce;
#[cfg(feature = "skyrock")]
pub use social_skyrock as skyrock;
#[cfg(feature = "slack")]
pub use social_slack as slack;
#[cfg(feature = "spotify")]
pub use social_spotify as spotify;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use social_sqlx as sqlx;
#[cfg(feature = "stackoverflow")]
pub use social_stackoverflow as stackoverflow;
#[cfg(feature = "steam")]
pub use social_steam as steam;
#[cfg(feature = "strava")]
pub use social_strava as strava;
#[cfg(feature = "tiktok")]
pub use social_tiktok as tiktok;
#[cfg(feature = "twitch")]
pub use social_twitch as twitch;
#[cfg(feature = "twitter")]
pub use social_twitter as twitter;
#[cfg(feature = "vk")]
pub use social_vk as vk;
#[cfg(feature = "wechat")]
pub use social_wechat as wechat;
#[cfg(feature = "weibo")]
pub use social_weibo as weibo;
#[cfg(feature = "yahoo")]
pub use social_yahoo as yahoo;
#[cfg(feature = "yandex")]
pub use social_yandex as yandex;
#[cfg(feature = "zoom")]
pub use social_zoom as zoom;

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
    #[cfg(feature = "discord")]
    add(Arc::new(social_discord::backend()));
    #[cfg(feature = "gitlab")]
    add(Arc::new(social_gitlab::backend()));
    #[cfg(feature = "reddit")]
    add(Arc::new(social_reddit::backend()));
    #[cfg(feature = "spotify")]
    add(Arc::new(social_spotify::backend()));
    #[cfg(feature = "amazon")]
    add(Arc::new(social_amazon::backend()));
    #[cfg(feature = "patreon")]
    add(Arc::new(social_patreon::backend()));
    #[cfg(feature = "strava")]
    add(Arc::new(social_strava::backend()));
    #[cfg(feature = "digitalocean")]
    add(Arc::new(social_digitalocean::backend()));
    #[cfg(feature = "zoom")]
    add(Arc::new(social_zoom::backend()));
    #[cfg(feature = "figma")]
    add(Arc::new(social_figma::backend()));
    #[cfg(feature = "kakao")]
    add(Arc::new(social_kakao::backend()));
    #[cfg(feature = "naver")]
    add(Arc::new(social_naver::backend()));
    #[cfg(feature = "line")]
    add(Arc::new(social_line::backend()));
    #[cfg(feature = "okta")]
    add(Arc::new(social_okta::backend()));
    #[cfg(feature = "auth0")]
    add(Arc::new(social_auth0::backend()));
    #[cfg(feature = "keycloak")]
    add(Arc::new(social_keycloak::backend()));
    #[cfg(feature = "apple-id")]
    add(Arc::new(social_apple_id::backend()));
    #[cfg(feature = "microsoft")]
    add(Arc::new(social_microsoft::backend()));
    #[cfg(feature = "slack")]
    add(Arc::new(social_slack::backend()));
    #[cfg(feature = "twitch")]
    add(Arc::new(social_twitch::backend()));
    #[cfg(feature = "battlenet")]
    add(Arc::new(social_battlenet::backend()));
    #[cfg(feature = "notion")]
    add(Arc::new(social_notion::backend()));
    #[cfg(feature = "salesforce")]
    add(Arc::new(social_salesforce::backend()));
    #[cfg(feature = "atlassian")]
    add(Arc::new(social_atlassian::backend()));
    #[cfg(feature = "wechat")]
    add(Arc::new(social_wechat::backend()));
    #[cfg(feature = "tiktok")]
    add(Arc::new(social_tiktok::backend()));
    #[cfg(feature = "stackoverflow")]
    add(Arc::new(social_stackoverflow::backend()));
    #[cfg(feature = "paypal")]
    add(Arc::new(social_paypal::backend()));
    #[cfg(feature = "coinbase")]
    add(Arc::new(social_coinbase::backend()));
    #[cfg(feature = "box")]
    add(Arc::new(social_box::backend()));
    #[cfg(feature = "vk")]
    add(Arc::new(social_vk::backend()));
    #[cfg(feature = "vk")]
    add(Arc::new(social_vk::vk_id()));
    #[cfg(feature = "vk")]
    add(Arc::new(social_vk::openapi()));
    #[cfg(feature = "vk")]
    add(Arc::new(social_vk::app()));
    #[cfg(feature = "weibo")]
    add(Arc::new(social_weibo::backend()));
    #[cfg(feature = "yandex")]
    add(Arc::new(social_yandex::backend()));
    #[cfg(feature = "mailru")]
    add(Arc::new(social_mailru::backend()));
    #[cfg(feature = "mailru")]
    add(Arc::new(social_mailru::legacy()));
    #[cfg(feature = "odnoklassniki")]
    add(Arc::new(social_odnoklassniki::backend()));
    #[cfg(feature = "odnoklassniki")]
    add(Arc::new(social_odnoklassniki::app()));
    #[cfg(feature = "mixcloud")]
    add(Arc::new(social_mixcloud::backend()));
    #[cfg(feature = "instagram")]
    add(Arc::new(social_instagram::backend()));
    #[cfg(feature = "dropbox")]
    add(Arc::new(social_dropbox::backend()));
    #[cfg(feature = "bitbucket")]
    add(Arc::new(social_bitbucket::backend()));
    #[cfg(feature = "microsoft-graph")]
    add(Arc::new(social_microsoft_graph::backend()));
    #[cfg(feature = "microsoft-graph")]
    add(Arc::new(social_microsoft_graph::live()));
    #[cfg(feature = "yahoo")]
    add(Arc::new(social_yahoo::backend()));
    #[cfg(feature = "foursquare")]
    add(Arc::new(social_foursquare::backend()));
    #[cfg(feature = "skyrock")]
    add(Arc::new(social_skyrock::backend()));
    #[cfg(feature = "browserid")]
    add(Arc::new(social_browserid::backend()));
    #[cfg(feature = "openid")]
    add(Arc::new(social_openid::backend()));
    let _ = &mut add;
    registry
}

/// The backends `settings` configure: every compiled-in provider that has settings (a
/// `[backends.<name>]` table or `SOCIAL_AUTH_<NAME>_*` variables), plus a generic OpenID
/// Connect backend for every other name with an `OIDC_ENDPOINT` (feature `oidc`), a generic
/// OAuth 1.0a backend for every other name with a `REQUEST_TOKEN_URL` (feature `oauth1`) and a
/// generic OpenID 2.0 backend for every other name with an `OPENID_IDENTIFIER` (feature
/// `openid`).
///
/// Add backends of other crates to the result with [`Registry::with`]: their settings and
/// variables are given to them when [`SocialAuth`] is built, where whether each backend's
/// settings are complete is checked too.
pub fn registry_for(settings: &Settings) -> Registry {
    let mut registry = registry();
    let names: Vec<String> = registry.names().map(str::to_owned).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    registry.keep_configured(|name| settings.configures(name, &names));
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
        #[cfg(feature = "oauth1")]
        if backend.endpoints.contains_key("request_token_url") {
            registry.insert(Arc::new(social_oauth1::OAuth1Backend::generic(name)));
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

/// The common case in one call: [`Settings`] from the `SOCIAL_AUTH_*` environment variables,
/// the compiled-in backends they configure ([`registry_for`]), and `storage`. For a settings
/// file, a pipeline of your own or hooks, use [`SocialAuth::builder`].
///
/// # Errors
///
/// An [`AuthError`] naming the setting at fault: malformed, missing, or read by no backend.
pub fn from_env(storage: impl Storage + 'static) -> Result<SocialAuth> {
    let settings = Settings::default().with_env()?;
    SocialAuth::builder(registry_for(&settings))
        .settings(settings)
        .storage(Arc::new(storage))
        .build()
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
            [backends.legacy]
            request_token_url = "https://legacy.example/oauth/request_token"
            "#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let registry = registry_for(&settings);
        let names: Vec<&str> = registry.names().collect();
        assert_eq!(names, ["corp", "github", "legacy", "myop", "partner"]);
        let protocols: Vec<Protocol> = registry.iter().map(|b| b.protocol()).collect();
        assert_eq!(
            protocols,
            [
                Protocol::OPENID_CONNECT,
                Protocol::OAUTH2,
                Protocol::OAUTH1,
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
