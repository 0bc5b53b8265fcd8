#![doc = include_str!("../README.md")]

use social_core::{Mapping, TokenIn, UserDetails, Value, async_trait, profile::text_at};
use social_oauth2::{OAuth2Backend, OAuth2Provider, OAuth2Spec, ProfileCall};

/// The backend name, as django-social-auth named it.
pub const NAME: &str = "yandex-oauth2";

/// Yandex ID's endpoints, flags and mapping. `API_URL` moves the Yandex ID API root
/// (`https://login.yandex.ru`), where the user call `/info` lives; the hooks of [`Yandex`]
/// add the fallbacks of the details.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Yandex ID",
    api_url: Some("https://login.yandex.ru"),
    authorization_url: "https://oauth.yandex.com/authorize",
    token_url: "https://oauth.yandex.com/token",
    refresh: true,
    // Yandex documents `Authorization: OAuth <token>` as the safe way; the token in the
    // `oauth_token` query parameter would end up in logs.
    profile: Some(ProfileCall::get(
        "{api_url}/info?format=json",
        TokenIn::Header {
            name: "Authorization",
            prefix: "OAuth ",
        },
    )),
    mapping: Mapping {
        username: Some("/display_name"),
        email: Some("/default_email"),
        fullname: Some("/real_name"),
        first_name: Some("/first_name"),
        last_name: Some("/last_name"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Yandex ID as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Yandex;

/// The `yandex-oauth2` backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Yandex> {
    OAuth2Backend::new(Yandex)
}

/// Where Yandex serves a user's avatar of id `id`, 200 pixels square.
fn avatar_url(id: &str) -> String {
    format!("https://avatars.yandex.net/get-yapic/{id}/islands-200")
}

#[async_trait]
impl OAuth2Provider for Yandex {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let text = |pointer: &str| text_at(user, pointer);
        // The first of the addresses when no default one is set; the login when no display
        // name is; the display name when the account has no real name.
        let email = text("/default_email")
            .filter(|e| !e.trim().is_empty())
            .or_else(|| text("/emails/0"));
        let username = text("/display_name")
            .filter(|n| !n.trim().is_empty())
            .or_else(|| text("/login"));
        let fullname = text("/real_name")
            .filter(|n| !n.trim().is_empty())
            .or_else(|| text("/display_name"));
        let picture = match (text("/default_avatar_id"), user.get("is_avatar_empty")) {
            (Some(id), Some(Value::Bool(false)) | None) if !id.trim().is_empty() => {
                Some(avatar_url(&id))
            }
            _ => None,
        };
        UserDetails::new()
            .username(username.as_deref())
            .email(email.as_deref())
            .names(
                text("/first_name").as_deref(),
                text("/last_name").as_deref(),
            )
            .fullname(fullname.as_deref())
            .picture(picture.as_deref())
    }
}
