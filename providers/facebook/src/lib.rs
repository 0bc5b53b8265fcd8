#![doc = include_str!("../README.md")]

pub mod signed_request;

use hmac::{Hmac, Mac};
use http::Method;
use sha2::Sha256;
use social_core::{
    AuthError, BackendSettings, Configure, Endpoint, ErrorKind, ProviderCx, Result, Secret, Stage,
    UserDetails, Value, async_trait,
    extra_data::ExtraDataField,
    settings::{TomlValue, env_name},
};
use social_oauth2::{OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, TokenResponse};

pub use signed_request::{SignedRequest, SignedRequestError};

/// The backend name.
pub const NAME: &str = "facebook";

// One literal for the constant and the spec's URLs, so they cannot drift apart.
macro_rules! default_api_version {
    () => {
        "v25.0"
    };
}

/// The Graph API version used when `SOCIAL_AUTH_FACEBOOK_API_VERSION` is unset.
pub const DEFAULT_API_VERSION: &str = default_api_version!();

/// The `/me` fields read by default; `SOCIAL_AUTH_FACEBOOK_PROFILE_EXTRA_PARAMS` adds to them.
pub const DEFAULT_FIELDS: &[&str] = &["id", "name", "email", "first_name", "last_name", "picture"];

/// How old a `signed_request` may be for [`verify_signed_request`], in seconds.
pub const SIGNED_REQUEST_MAX_AGE: i64 = 600;

const GRAPH_HOST: &str = "https://graph.facebook.com";
const DIALOG_HOST: &str = "https://www.facebook.com";
/// Where the backend records, in the user data, whether the e-mail is trusted as verified.
const EMAIL_VERIFIED_KEY: &str = "email_verified";

/// Facebook Login as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Facebook;

/// The Facebook backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Facebook> {
    OAuth2Backend::new(Facebook)
}

/// The `appsecret_proof` of a Graph API call: HMAC-SHA256 of `access_token` keyed with the app
/// secret, in lower-case hex. Apps calling the Graph API with stored tokens send it too.
pub fn appsecret_proof(app_secret: &str, access_token: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else {
        unreachable!("HMAC takes keys of every length")
    };
    mac.update(access_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Verifies a `signed_request` (canvas and page-tab loads, deauthorize and data-deletion
/// callbacks) with the app secret of `settings`, at `now` (Unix seconds), accepting requests
/// issued up to [`SIGNED_REQUEST_MAX_AGE`] ago.
///
/// Pass the backend's settings and clock, as in
/// `verify_signed_request(auth.settings().backend("facebook"), &value, auth.clock().now())`.
/// For another age limit use [`signed_request::parse_signed_request`].
///
/// # Errors
///
/// [`ErrorKind::Config`] when the app secret is not set, [`ErrorKind::MissingParameter`] when
/// `value` is empty, and [`ErrorKind::Failed`] when the value is malformed, badly signed, of
/// another algorithm, expired or issued in the future (the details say which).
pub fn verify_signed_request(
    settings: &BackendSettings,
    value: &str,
    now: i64,
) -> Result<SignedRequest> {
    let secret = settings
        .secret
        .as_ref()
        .map(Secret::secret)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            AuthError::config(
                &env_name(Some(NAME), "secret"),
                "is not set: it is the key that signs `signed_request`",
            )
        })?;
    if value.is_empty() {
        return Err(
            AuthError::missing_parameter(Stage::Callback, "signed_request").with_provider(NAME),
        );
    }
    signed_request::parse_signed_request(value, secret.as_bytes(), now, SIGNED_REQUEST_MAX_AGE)
        .map_err(|e| {
            AuthError::new(ErrorKind::Failed, Stage::Callback, e.to_string())
                .with_source(e)
                .with_provider(NAME)
        })
}

/// The configured Graph API version, unchecked (`validate` checks it at start-up).
fn api_version(settings: &BackendSettings) -> String {
    settings
        .option("api_version")
        .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned())
}

/// `v` followed by a major and a minor number: `v25.0`.
fn is_api_version(version: &str) -> bool {
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(major, minor)| digits(major, 3) && digits(minor, 2))
}

/// The field a `/me` field expression reads: `picture` for `picture.type(large)`.
fn field_name(expression: &str) -> &str {
    let end = expression.find(['.', '{', '(']).unwrap_or(expression.len());
    &expression[..end]
}

/// Splits a field list on the commas outside `{}` and `()`, so that field expansions such as
/// `albums.limit(5){name,id}` stay whole, and checks each field.
fn split_fields(list: &str) -> std::result::Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut depth: usize = 0;
    let mut start = 0;
    for (i, c) in list.char_indices() {
        match c {
            '{' | '(' => depth += 1,
            '}' | ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| format!("unbalanced `{c}` in `{list}`"))?;
            }
            ',' if depth == 0 => {
                fields.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("unclosed bracket in `{list}`"));
    }
    fields.push(&list[start..]);
    fields
        .into_iter()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|field| {
            let name = field_name(field);
            let name_ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            // `=`, `&` and spaces mean a query string or a typo, not a field.
            let rest_ok =
                !field.contains(['=', '&', '?', '#']) && !field.contains(char::is_whitespace);
            if name_ok && rest_ok {
                Ok(field.to_owned())
            } else {
                Err(format!(
                    "`{field}` is not a Graph API field such as `locale`"
                ))
            }
        })
        .collect()
}

/// The extra `/me` fields of `SOCIAL_AUTH_FACEBOOK_PROFILE_EXTRA_PARAMS`: a comma-separated
/// text, or a TOML array of fields.
fn extra_fields(name: &str, settings: &BackendSettings) -> Result<Vec<String>> {
    let setting = || settings.setting_name(name, "profile_extra_params");
    let bad = |problem: String| AuthError::config(&setting(), problem);
    match settings.options.get("profile_extra_params") {
        None => Ok(Vec::new()),
        Some(TomlValue::String(list)) => split_fields(list).map_err(bad),
        Some(TomlValue::Array(items)) => {
            let mut fields = Vec::new();
            for item in items {
                let TomlValue::String(list) = item else {
                    return Err(bad(format!("`{item}` is not a field name")));
                };
                fields.extend(split_fields(list).map_err(bad)?);
            }
            Ok(fields)
        }
        Some(other) => Err(bad(format!(
            "`{other}` is not a comma-separated list of fields such as `locale,link`"
        ))),
    }
}

/// The `fields` query of `/me`: the defaults, each replaced by an extra expression of the same
/// field (`picture.type(large)` replaces `picture`), then the other extras in order.
fn profile_fields(name: &str, settings: &BackendSettings) -> Result<String> {
    let mut fields: Vec<String> = DEFAULT_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    for extra in extra_fields(name, settings)? {
        match fields
            .iter_mut()
            .find(|f| field_name(f) == field_name(&extra))
        {
            Some(field) => *field = extra,
            None => fields.push(extra),
        }
    }
    Ok(fields.join(","))
}

/// The flags the backend reads, as given.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct Flags {
    appsecret_proof: Option<bool>,
    trust_email: bool,
}

/// The settings, read and checked once at start-up.
#[derive(Debug, Clone, Default)]
struct Config {
    /// The `fields` query of `/me`.
    fields: String,
    /// Send `appsecret_proof` with API calls (on unless `APPSECRET_PROOF` is false).
    appsecret_proof: bool,
    /// Take the profile's e-mail as verified (`TRUST_EMAIL`).
    trust_email: bool,
}

impl Config {
    /// The configuration of backend `name`: kept at start-up, or read now for settings built
    /// by hand.
    fn of(name: &str, settings: &BackendSettings) -> Result<Self> {
        if let Some(config) = settings.typed::<Self>() {
            return Ok(config.clone());
        }
        let mut settings = settings.clone();
        Self::read(&mut Configure::new(name, &mut settings))
    }

    fn read(cx: &mut Configure<'_>) -> Result<Self> {
        let flags: Flags = cx.options()?;
        cx.declare(&["api_version", "profile_extra_params"]);
        if let Some(version) = cx.settings().option("api_version")
            && !is_api_version(&version)
        {
            return Err(cx.error(
                "api_version",
                format!("`{version}` is not a Graph API version such as `{DEFAULT_API_VERSION}`"),
            ));
        }
        let config = Self {
            fields: profile_fields(cx.name(), cx.settings())?,
            appsecret_proof: flags.appsecret_proof.unwrap_or(true),
            trust_email: flags.trust_email,
        };
        cx.keep(config.clone());
        Ok(config)
    }
}

/// A non-blank text field of the user data.
fn text<'a>(user: &'a Value, field: &str) -> Option<&'a str> {
    user[field].as_str().filter(|s| !s.trim().is_empty())
}

#[async_trait]
impl OAuth2Provider for Facebook {
    fn spec(&self) -> OAuth2Spec {
        OAuth2Spec {
            name: NAME,
            display_name: "Facebook",
            authorization_url: concat!(
                "https://www.facebook.com/",
                default_api_version!(),
                "/dialog/oauth"
            ),
            token_url: concat!(
                "https://graph.facebook.com/",
                default_api_version!(),
                "/oauth/access_token"
            ),
            default_scope: &["email"],
            scope_separator: ",",
            // Facebook documents PKCE only for its OIDC flow, which it marks "still in
            // testing"; the README explains why it stays off here.
            pkce: Pkce::None,
            // "Manually Build a Login Flow" exchanges the code with a GET and a query string.
            token_method: Method::GET,
            ..OAuth2Spec::DEFAULT
        }
    }

    fn endpoint(&self, settings: &BackendSettings, endpoint: Endpoint, default: &str) -> String {
        if let Some(url) = settings.endpoint_override(endpoint) {
            return url.to_owned();
        }
        let version = api_version(settings);
        match endpoint {
            Endpoint::AUTHORIZATION => format!("{DIALOG_HOST}/{version}/dialog/oauth"),
            Endpoint::ACCESS_TOKEN => format!("{GRAPH_HOST}/{version}/oauth/access_token"),
            Endpoint::API => format!("{GRAPH_HOST}/{version}"),
            _ => default.to_owned(),
        }
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.endpoints(&[Endpoint::API]);
        Config::read(cx).map(drop)
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let config = Config::of(cx.name, cx.backend)?;
        let api = self.endpoint(cx.backend, Endpoint::API, GRAPH_HOST);
        let mut url = url::Url::parse(&format!("{}/me", api.trim_end_matches('/')))
            .map_err(|e| cx.config_error(Endpoint::API.setting(), e))?;
        url.query_pairs_mut().append_pair("fields", &config.fields);
        if config.appsecret_proof {
            url.query_pairs_mut().append_pair(
                "appsecret_proof",
                &appsecret_proof(cx.secret()?, token.access_token()),
            );
        }
        // The token goes in the Authorization header rather than the query string, where
        // proxies and access logs would keep it.
        let mut user: Value = cx
            .get_json(url.as_str(), Some(token.access_token()))
            .await?;
        // The Graph API says only that `email` is left out when no valid address is
        // available, not that it was confirmed: the app decides (`TRUST_EMAIL`).
        let verified = config.trust_email && text(&user, "email").is_some();
        if let Some(object) = user.as_object_mut() {
            object.insert(EMAIL_VERIFIED_KEY.into(), Value::Bool(verified));
        }
        Ok(user)
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let picture = &user["picture"]["data"];
        // The silhouette is Facebook's placeholder, not the user's picture.
        let picture = if picture["is_silhouette"] == true {
            None
        } else {
            picture["url"].as_str()
        };
        // Facebook has no username: the pipeline derives one from the e-mail or the name.
        let mut details = UserDetails::new()
            .email(text(user, "email"))
            .email_verified(user[EMAIL_VERIFIED_KEY] == true)
            .names(text(user, "first_name"), text(user, "last_name"))
            .picture(picture)
            .profile_url(text(user, "link"))
            .locale(text(user, "locale"));
        if let Some(name) = text(user, "name") {
            details = details.fullname(Some(name));
        }
        details
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        vec![ExtraDataField::new("id")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(options: &[(&str, &str)]) -> BackendSettings {
        let mut settings = BackendSettings::default();
        for (name, value) in options {
            settings
                .options
                .insert((*name).to_owned(), TomlValue::String((*value).to_owned()));
        }
        settings
    }

    #[test]
    fn appsecret_proof_is_hex_hmac_sha256() {
        // The widely published HMAC-SHA256 example, cross-checked with Python's `hmac` module.
        assert_eq!(
            appsecret_proof("key", "The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }

    #[test]
    fn api_versions_have_the_documented_shape() {
        for good in ["v25.0", "v2.12", "v9.0", "v100.0", DEFAULT_API_VERSION] {
            assert!(is_api_version(good), "{good}");
        }
        for bad in [
            "", "v", "25.0", "v25", "v25.", "v.0", "V25.0", "v25.0.1", "v25.0/", " v25.0",
            "v1234.0", "v25.123", "latest", "v2x.0",
        ] {
            assert!(!is_api_version(bad), "{bad:?}");
        }
    }

    #[test]
    fn field_lists_split_on_top_level_commas() {
        assert_eq!(
            split_fields("locale, link,albums.limit(5){name,id},picture.type(large)"),
            Ok(vec![
                "locale".to_owned(),
                "link".to_owned(),
                "albums.limit(5){name,id}".to_owned(),
                "picture.type(large)".to_owned(),
            ])
        );
        assert_eq!(split_fields(""), Ok(Vec::new()));
        assert_eq!(split_fields(" , "), Ok(Vec::new()));
        for bad in [
            "fields=id,name",
            "locale&x=1",
            "Locale",
            "first name",
            "a{b",
            "a}b",
            "(x)",
            "a.b(c",
        ] {
            assert!(split_fields(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn extra_fields_extend_and_replace_the_defaults() {
        assert_eq!(
            profile_fields(NAME, &settings(&[])).ok().as_deref(),
            Some("id,name,email,first_name,last_name,picture")
        );
        let extended = settings(&[("profile_extra_params", "locale,picture.type(large),id")]);
        assert_eq!(
            profile_fields(NAME, &extended).ok().as_deref(),
            Some("id,name,email,first_name,last_name,picture.type(large),locale")
        );
        let mut array = BackendSettings::default();
        array.options.insert(
            "profile_extra_params".into(),
            TomlValue::Array(vec![
                TomlValue::String("link".into()),
                TomlValue::String("locale,birthday".into()),
            ]),
        );
        assert_eq!(
            profile_fields(NAME, &array).ok().as_deref(),
            Some("id,name,email,first_name,last_name,picture,link,locale,birthday")
        );
        array.options.insert(
            "profile_extra_params".into(),
            TomlValue::Array(vec![TomlValue::Integer(1)]),
        );
        let err = profile_fields(NAME, &array)
            .err()
            .map(|e| e.details().to_owned());
        assert!(
            err.as_deref()
                .is_some_and(|d| d.contains("SOCIAL_AUTH_FACEBOOK_PROFILE_EXTRA_PARAMS")),
            "{err:?}"
        );
    }

    #[test]
    fn endpoints_follow_the_version_unless_overridden() {
        let fb = Facebook;
        let default = settings(&[]);
        assert_eq!(
            fb.endpoint(&default, social_core::Endpoint::AUTHORIZATION, "x"),
            fb.spec().authorization_url,
            "the spec's URL and the default version agree"
        );
        assert_eq!(
            fb.endpoint(&default, social_core::Endpoint::ACCESS_TOKEN, "x"),
            fb.spec().token_url
        );
        let pinned = settings(&[("api_version", "v19.0")]);
        assert_eq!(
            fb.endpoint(&pinned, social_core::Endpoint::AUTHORIZATION, "x"),
            "https://www.facebook.com/v19.0/dialog/oauth"
        );
        assert_eq!(
            fb.endpoint(&pinned, social_core::Endpoint::ACCESS_TOKEN, "x"),
            "https://graph.facebook.com/v19.0/oauth/access_token"
        );
        assert_eq!(
            fb.endpoint(&pinned, social_core::Endpoint::API, "x"),
            "https://graph.facebook.com/v19.0"
        );
        assert_eq!(
            fb.endpoint(&pinned, social_core::Endpoint::REVOKE_TOKEN, "x"),
            "x"
        );
        let mut overridden = pinned;
        overridden
            .endpoints
            .insert("api_url".into(), "http://127.0.0.1:1/graph".into());
        assert_eq!(
            fb.endpoint(&overridden, social_core::Endpoint::API, "x"),
            "http://127.0.0.1:1/graph"
        );
    }

    #[test]
    fn maps_the_profile() {
        let user = json!({
            "id": "10158422951234567",
            "name": "Jordan Q. Example",
            "first_name": "Jordan",
            "last_name": "Example",
            "email": "jordan@example.com",
            "email_verified": false,
            "link": "https://www.facebook.com/app_scoped_user_id/10158422951234567/",
            "picture": {"data": {"is_silhouette": false, "url": "https://example.com/p.jpg"}},
        });
        let details = Facebook.user_details(&user);
        assert_eq!(details.username, None, "Facebook has no username");
        assert_eq!(details.email.as_deref(), Some("jordan@example.com"));
        assert!(!details.email_verified);
        assert_eq!(details.fullname.as_deref(), Some("Jordan Q. Example"));
        assert_eq!(details.first_name.as_deref(), Some("Jordan"));
        assert_eq!(details.last_name.as_deref(), Some("Example"));
        assert_eq!(
            details.picture.as_deref(),
            Some("https://example.com/p.jpg")
        );
        assert!(details.profile_url.is_some());
        assert_eq!(
            Facebook.user_id(&user).ok().as_deref(),
            Some("10158422951234567")
        );

        let sparse = json!({
            "id": "1",
            "name": "Mononym",
            "email": "",
            "picture": {"data": {"is_silhouette": true, "url": "https://example.com/s.jpg"}},
        });
        let details = Facebook.user_details(&sparse);
        assert_eq!(details.email, None);
        assert_eq!(details.fullname.as_deref(), Some("Mononym"));
        assert_eq!(details.first_name.as_deref(), Some("Mononym"));
        assert_eq!(
            details.picture, None,
            "the placeholder silhouette is no picture"
        );
    }
}
