#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, BackendCx, BackendSettings, Configure, Endpoint, ErrorKind, ProviderCx, Result,
    Stage, UserDetails, Value, async_trait, extra_data::ExtraDataField,
};
use social_openid::{Assertion, Attributes, OpenIdBackend, OpenIdProvider, OpenIdSpec};

/// The backend name.
pub const NAME: &str = "steam";
/// Steam's OP identifier (setting `OPENID_URL`).
pub const OPENID_URL: &str = "https://steamcommunity.com/openid";
/// The Steam Web API's player summaries (setting `API_URL`).
pub const API_URL: &str = "https://api.steampowered.com/ISteamUser/GetPlayerSummaries/v0002/";
const STEAM_ID_DIGITS: usize = 17;
/// The setting that moves Steam's OP identifier.
const OPENID: Endpoint = Endpoint::new("openid_url");

/// Steam as an OpenID 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Steam;

/// The Steam backend, ready for a [`social_core::Registry`].
pub fn backend() -> OpenIdBackend<Steam> {
    OpenIdBackend::new(Steam)
}

impl Steam {
    /// The SteamID64 in a claimed identifier `<OPENID_URL>/id/<17 digits>`, if it is one.
    pub fn steam_id<'a>(&self, settings: &BackendSettings, claimed_id: &'a str) -> Option<&'a str> {
        let base = settings.endpoint(OPENID, OPENID_URL).trim_end_matches('/');
        let id = claimed_id.strip_prefix(base)?.strip_prefix("/id/")?;
        (id.len() == STEAM_ID_DIGITS && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
    }
}

#[async_trait]
impl OpenIdProvider for Steam {
    fn spec(&self) -> OpenIdSpec {
        OpenIdSpec {
            name: NAME,
            display_name: "Steam",
            ..OpenIdSpec::DEFAULT
        }
    }

    fn identifier(&self, cx: &BackendCx<'_>) -> Result<String> {
        Ok(cx.provider.endpoint(OPENID, OPENID_URL).to_owned())
    }

    fn attributes(&self) -> Attributes {
        // Steam answers no SREG or AX: the profile comes from the Web API.
        Attributes::none()
    }

    fn user_id(&self, cx: &ProviderCx<'_>, assertion: &Assertion) -> Result<String> {
        self.steam_id(cx.backend, &assertion.claimed_id)
            .map(str::to_owned)
            .ok_or_else(|| {
                AuthError::new(
                    ErrorKind::Failed,
                    Stage::Callback,
                    "the claimed identifier is not a Steam identity URL",
                )
            })
    }

    async fn user_data(
        &self,
        cx: &ProviderCx<'_>,
        assertion: &Assertion,
        uid: &str,
    ) -> Result<Value> {
        let key = api_key(cx.name, cx.backend)?;
        let url = format!(
            "{}?key={key}&steamids={uid}",
            cx.endpoint(Endpoint::API, API_URL)
        );
        // Built here rather than with `get_json`, whose errors would quote the URL and its key.
        let request = http::Request::get(&url)
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|_| cx.config_error(Endpoint::API.setting(), "is not a valid URL"))?;
        let summaries: Value = cx
            .json(request, Stage::Profile, "Steam GetPlayerSummaries")
            .await?;
        let players = summaries["response"]["players"].as_array().ok_or_else(|| {
            AuthError::new(
                ErrorKind::InvalidResponse,
                Stage::Profile,
                "Steam GetPlayerSummaries answered no `response.players`",
            )
        })?;
        // A verified Steam id without a summary still logs in, with empty details.
        let player = players
            .iter()
            .find(|p| p["steamid"] == uid)
            .cloned()
            .unwrap_or(Value::Null);
        Ok(social_core::serde_json::json!({
            "steamid": uid,
            "claimed_id": assertion.claimed_id,
            "player": player,
        }))
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let player = &user["player"];
        UserDetails::new()
            .username(player["personaname"].as_str())
            .fullname(player["realname"].as_str())
            .picture(player["avatarfull"].as_str())
            .profile_url(player["profileurl"].as_str())
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        vec![ExtraDataField::new("player")]
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.endpoints(&[OPENID, Endpoint::API]).declare(&["api_key"]);
        api_key(cx.name(), cx.settings()).map(drop)
    }
}

/// The Web API key (`SOCIAL_AUTH_STEAM_API_KEY`): required, and plain ASCII letters and digits
/// as Steam issues them, so that it goes into the query string as is.
fn api_key(name: &str, settings: &BackendSettings) -> Result<String> {
    let setting = || settings.setting_name(name, "api_key");
    let key = settings
        .option("api_key")
        .filter(|k| !k.is_empty())
        .ok_or_else(|| AuthError::config(&setting(), "is not set: the Steam Web API needs it"))?;
    if !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(AuthError::config(
            &setting(),
            "must hold only letters and digits",
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steam_ids_are_17_digits_under_the_openid_url() {
        let settings = BackendSettings::default();
        let id = |claimed: &'static str| Steam.steam_id(&settings, claimed);
        assert_eq!(
            id("https://steamcommunity.com/openid/id/76561198000000042"),
            Some("76561198000000042")
        );
        for bad in [
            "https://steamcommunity.com/openid/id/7656119800000004",
            "https://steamcommunity.com/openid/id/765611980000000421",
            "https://steamcommunity.com/openid/id/7656119800000004x",
            "https://steamcommunity.com/openid/id/76561198000000042/",
            "https://steamcommunity.com/openid/id/76561198000000042#x",
            "https://steamcommunity.com/profiles/76561198000000042",
            "http://steamcommunity.com/openid/id/76561198000000042",
            "https://steamcommunity.com.evil.example/openid/id/76561198000000042",
            "https://evil.example/?https://steamcommunity.com/openid/id/76561198000000042",
        ] {
            assert_eq!(id(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_api_key_is_required_and_plain() {
        let mut settings = BackendSettings::default();
        let err = api_key(NAME, &settings).expect_err("unset");
        assert!(err.details().contains("SOCIAL_AUTH_STEAM_API_KEY"), "{err}");
        settings.options.insert(
            "api_key".into(),
            social_core::settings::TomlValue::String("abc&steamids=1".into()),
        );
        let err = api_key(NAME, &settings).expect_err("not plain");
        assert!(err.details().contains("SOCIAL_AUTH_STEAM_API_KEY"), "{err}");
    }
}
