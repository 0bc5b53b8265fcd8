#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, Value, async_trait,
    serde_json::Map,
};
use social_oauth2::{
    Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse,
};

/// The backend name.
pub const NAME: &str = "atlassian";

/// The call listing the sites (cloud ids) the access token may reach; `API_URL` moves it with
/// the user call.
pub const ACCESSIBLE_RESOURCES_URL: &str = "{api_url}/oauth/token/accessible-resources";

/// The key of the user data under which the sites of [`ACCESSIBLE_RESOURCES_URL`] are kept.
pub const ACCESSIBLE_RESOURCES: &str = "accessible_resources";

/// Atlassian's OAuth 2.0 (3LO) endpoints, flags and mapping. The user is the Atlassian
/// account of `GET https://api.atlassian.com/me`; [`Atlassian`] adds the sites the token may
/// reach. `API_URL` moves the API root (`https://api.atlassian.com`).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Atlassian",
    api_url: Some("https://api.atlassian.com"),
    authorization_url: "https://auth.atlassian.com/authorize",
    token_url: "https://auth.atlassian.com/oauth/token",
    // `read:me` for the account; `offline_access` for (rotating) refresh tokens.
    default_scope: &["read:me", "offline_access"],
    auth_params: &[("audience", "api.atlassian.com"), ("prompt", "consent")],
    pkce: Pkce::None,
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/me", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/account_id",
        username: Some("/nickname"),
        email: Some("/email"),
        fullname: Some("/name"),
        picture: Some("/picture"),
        locale: Some("/locale"),
        extra_data: &[ACCESSIBLE_RESOURCES],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The fields kept of each accessible resource (site).
const RESOURCE_FIELDS: &[&str] = &["id", "name", "url", "scopes"];

/// Atlassian as an OAuth 2.0 provider: [`SPEC`], whose user data is the account with the
/// sites the token may reach under [`ACCESSIBLE_RESOURCES`]; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Atlassian;

/// The Atlassian backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Atlassian> {
    OAuth2Backend::new(Atlassian)
}

#[async_trait]
impl OAuth2Provider for Atlassian {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// Two calls with the access token as a bearer token: the account (`GET /me`), then the
    /// sites it may reach (`GET /oauth/token/accessible-resources`), kept as `id`, `name`,
    /// `url` and `scopes` under [`ACCESSIBLE_RESOURCES`]. Either failing fails the login.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let invalid =
            |details: &str| AuthError::new(ErrorKind::InvalidResponse, Stage::Profile, details);
        let account = social_oauth2::profile(cx, &SPEC, token).await?;
        let Value::Object(mut account) = account else {
            return Err(invalid("the user API did not answer a JSON object"));
        };
        let url = SPEC.expand(cx.backend, ACCESSIBLE_RESOURCES_URL);
        let request =
            ProviderCx::api_request(Method::GET, &url, token.access_token(), TokenIn::Bearer)
                .body(Vec::new())
                .map_err(|e| cx.config_error("api_url", format!("not a valid request: {e}")))?;
        let what = "accessible-resources API";
        let resources: Value = cx.json(request, Stage::Profile, what).await?;
        let Value::Array(resources) = resources else {
            return Err(invalid(
                "the accessible-resources API did not answer a JSON array of sites",
            ));
        };
        let sites: Vec<Value> = resources
            .iter()
            .filter_map(Value::as_object)
            .map(|site| {
                let kept: Map<String, Value> = RESOURCE_FIELDS
                    .iter()
                    .filter_map(|k| site.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                    .collect();
                Value::Object(kept)
            })
            .collect();
        account.insert(ACCESSIBLE_RESOURCES.to_owned(), Value::Array(sites));
        Ok(Value::Object(account))
    }
}
