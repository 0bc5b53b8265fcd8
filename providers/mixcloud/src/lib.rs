#![doc = include_str!("../README.md")]

use social_core::{Mapping, TokenIn};
use social_oauth2::{OAuth2Backend, OAuth2Spec, Pkce, ProfileCall};

/// The backend name, as django-social-auth named it.
pub const NAME: &str = "mixcloud";

/// Mixcloud's endpoints, flags and mapping. `API_URL` moves the API root
/// (`https://api.mixcloud.com`). The uid is the username, which its owner can change: the
/// backend only connects accounts to a logged-in user (`association_only`).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Mixcloud",
    api_url: Some("https://api.mixcloud.com"),
    authorization_url: "https://www.mixcloud.com/oauth/authorize",
    token_url: "https://www.mixcloud.com/oauth/access_token",
    pkce: Pkce::None,
    // `/me/` is the shortcut to the user of the token, served over HTTPS with a token only.
    profile: Some(ProfileCall::get(
        "{api_url}/me/",
        TokenIn::Query("access_token"),
    )),
    mapping: Mapping {
        // Mixcloud has no other id: `key` is `/<username>/`.
        uid: "/username",
        username: Some("/username"),
        fullname: Some("/name"),
        picture: Some("/pictures/large"),
        profile_url: Some("/url"),
        extra_data: &["key", "url", "pictures"],
        ..Mapping::DEFAULT
    },
    association_only: true,
    ..OAuth2Spec::DEFAULT
};

/// The Mixcloud backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
