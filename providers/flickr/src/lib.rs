#![doc = include_str!("../README.md")]

use http::Method;
use social_core::{
    Configure, ProviderCx, Result, UserDetails, Value, async_trait,
    extra_data::ExtraDataField,
    serde_json::{Map, json},
};
use social_oauth1::{
    AccessToken, OAuth1Backend, OAuth1Provider, OAuth1Spec, Placement, required_id,
};

/// The backend name.
pub const NAME: &str = "flickr";
/// The permission asked for when `SOCIAL_AUTH_FLICKR_PERMS` is unset.
pub const DEFAULT_PERMS: &str = "read";
const PERMS: [&str; 3] = ["read", "write", "delete"];

/// Flickr as an OAuth 1.0a provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Flickr;

/// The Flickr backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth1Backend<Flickr> {
    OAuth1Backend::new(Flickr)
}

/// The access asked for: `PERMS`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct Options {
    perms: Option<String>,
}

#[async_trait]
impl OAuth1Provider for Flickr {
    fn spec(&self) -> OAuth1Spec {
        // Flickr documents its token calls as signed GETs with the parameters in the query.
        OAuth1Spec {
            name: NAME,
            display_name: "Flickr",
            request_token_url: "https://www.flickr.com/services/oauth/request_token",
            authorization_url: "https://www.flickr.com/services/oauth/authorize",
            access_token_url: "https://www.flickr.com/services/oauth/access_token",
            request_token_method: Method::GET,
            access_token_method: Method::GET,
            placement: Placement::Query,
            ..OAuth1Spec::DEFAULT
        }
    }

    async fn user_data(&self, _cx: &ProviderCx<'_>, token: &AccessToken) -> Result<Value> {
        // The access-token answer names the user: no API call is needed.
        let user: Map<String, Value> = ["user_nsid", "username", "fullname"]
            .into_iter()
            .filter_map(|k| Some((k.to_owned(), json!(token.field(k)?))))
            .collect();
        Ok(Value::Object(user))
    }

    fn user_id(&self, user: &Value) -> Result<String> {
        required_id(user, "user_nsid")
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let nsid = user["user_nsid"].as_str();
        UserDetails::new()
            .username(user["username"].as_str())
            .fullname(user["fullname"].as_str())
            .profile_url(
                nsid.map(|id| format!("https://www.flickr.com/people/{id}/"))
                    .as_deref(),
            )
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        vec![ExtraDataField::new("username")]
    }

    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        let perms = cx.options::<Options>().perms.clone();
        Ok(vec![(
            "perms".into(),
            perms.unwrap_or_else(|| DEFAULT_PERMS.to_owned()),
        )])
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let options: Options = cx.options()?;
        match options.perms {
            Some(perms) if !PERMS.contains(&perms.as_str()) => Err(cx.error(
                "perms",
                format!("`{perms}` is not one of read, write, delete"),
            )),
            _ => Ok(()),
        }
    }
}
