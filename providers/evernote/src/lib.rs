#![doc = include_str!("../README.md")]

use http::Method;
use social_core::{
    BackendSettings, Configure, Endpoint, ProviderCx, Result, UserDetails, Value, async_trait,
    extra_data::ExtraDataField,
    serde_json::{Map, json},
};
use social_oauth1::{
    AccessToken, OAuth1Backend, OAuth1Provider, OAuth1Spec, Placement, required_id,
};

/// The backend name.
pub const NAME: &str = "evernote";
/// The production service.
pub const PRODUCTION: &str = "https://www.evernote.com";
/// The developer sandbox, used when `SOCIAL_AUTH_EVERNOTE_SANDBOX` is true.
pub const SANDBOX: &str = "https://sandbox.evernote.com";
/// The fields of the access-token answer that describe the account.
const EDAM_FIELDS: [&str; 5] = [
    "edam_userId",
    "edam_shard",
    "edam_noteStoreUrl",
    "edam_webApiUrlPrefix",
    "edam_expires",
];

/// Evernote as an OAuth 1.0a provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Evernote;

/// The Evernote backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth1Backend<Evernote> {
    OAuth1Backend::new(Evernote)
}

/// `SANDBOX`: use Evernote's sandbox service.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct Options {
    sandbox: bool,
}

#[async_trait]
impl OAuth1Provider for Evernote {
    fn spec(&self) -> OAuth1Spec {
        // Evernote documents its token calls as signed GETs with the parameters in the query;
        // one endpoint issues both tokens.
        OAuth1Spec {
            name: NAME,
            display_name: "Evernote",
            request_token_url: "https://www.evernote.com/oauth",
            authorization_url: "https://www.evernote.com/OAuth.action",
            access_token_url: "https://www.evernote.com/oauth",
            request_token_method: Method::GET,
            access_token_method: Method::GET,
            placement: Placement::Query,
            ..OAuth1Spec::DEFAULT
        }
    }

    fn endpoint(&self, settings: &BackendSettings, endpoint: Endpoint, default: &str) -> String {
        if let Some(url) = settings.endpoint_override(endpoint) {
            return url.to_owned();
        }
        match default.strip_prefix(PRODUCTION) {
            Some(path) if settings.typed_or_default::<Options>().sandbox => {
                format!("{SANDBOX}{path}")
            }
            _ => default.to_owned(),
        }
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.options::<Options>().map(drop)
    }

    async fn user_data(&self, _cx: &ProviderCx<'_>, token: &AccessToken) -> Result<Value> {
        // The access-token answer describes the account; names and e-mail would need the
        // Thrift UserStore API.
        let user: Map<String, Value> = EDAM_FIELDS
            .into_iter()
            .filter_map(|k| Some((k.to_owned(), json!(token.field(k)?))))
            .collect();
        Ok(Value::Object(user))
    }

    fn user_id(&self, user: &Value) -> Result<String> {
        required_id(user, "edam_userId")
    }

    fn user_details(&self, _user: &Value) -> UserDetails {
        UserDetails::new()
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        EDAM_FIELDS.into_iter().map(ExtraDataField::new).collect()
    }

    fn expires_at(&self, token: &AccessToken) -> Option<i64> {
        // Milliseconds since the epoch.
        let millis: i64 = token.field("edam_expires")?.parse().ok()?;
        Some(millis / 1000)
    }
}
