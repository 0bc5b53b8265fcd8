#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, BackendSettings, Configure, EmailVerified, Endpoint, ErrorKind, Mapping, ProviderCx,
    Result, Stage, TokenIn, Value, async_trait, profile::text_at,
};
use social_oauth2::{Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, TokenResponse};

/// The backend name.
pub const NAME: &str = "salesforce";

/// The production login host (`{base_url}`).
pub const PRODUCTION_BASE_URL: &str = "https://login.salesforce.com";
/// The sandbox login host, used when `SOCIAL_AUTH_SALESFORCE_SANDBOX` is true.
pub const SANDBOX_BASE_URL: &str = "https://test.salesforce.com";

/// Salesforce's endpoints, flags and mapping on the production login host. `BASE_URL` moves
/// them all to a My Domain (`https://<name>.my.salesforce.com`). The user's data comes from
/// the identity URL the token answer names (`id`), which [`Salesforce`] calls.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Salesforce",
    base_url: Some(PRODUCTION_BASE_URL),
    authorization_url: "{base_url}/services/oauth2/authorize",
    token_url: "{base_url}/services/oauth2/token",
    revoke_url: Some("{base_url}/services/oauth2/revoke"),
    // `id` grants the identity URL; `refresh_token` (or `offline_access`) a refresh token.
    default_scope: &["id"],
    refresh: true,
    profile: None,
    mapping: Mapping {
        // Read with the organization id by `Salesforce::user_id`.
        uid: "/user_id",
        username: Some("/username"),
        email: Some("/email"),
        email_verified: EmailVerified::At("/email_verified"),
        fullname: Some("/display_name"),
        first_name: Some("/first_name"),
        last_name: Some("/last_name"),
        picture: Some("/photos/picture"),
        locale: Some("/locale"),
        extra_data: &["instance_url", "organization_id"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// [`SPEC`] on the sandbox login host.
pub const SANDBOX_SPEC: OAuth2Spec = OAuth2Spec {
    base_url: Some(SANDBOX_BASE_URL),
    ..SPEC
};

/// Host suffixes of Salesforce's own services, where an identity URL may point.
const SALESFORCE_DOMAINS: &[&str] = &["salesforce.com", "force.com"];

/// `SANDBOX`: log in on `test.salesforce.com` instead of `login.salesforce.com`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct Options {
    sandbox: bool,
}

/// The spec of the login host `settings` choose: production, or the sandbox.
fn spec_for(settings: &BackendSettings) -> &'static OAuth2Spec {
    if settings.typed_or_default::<Options>().sandbox {
        &SANDBOX_SPEC
    } else {
        &SPEC
    }
}

/// Salesforce as an OAuth 2.0 provider: [`SPEC`] or [`SANDBOX_SPEC`], the user read from the
/// identity URL of the token answer, the uid made of the organization and user ids; register
/// it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Salesforce;

/// The Salesforce backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Salesforce> {
    OAuth2Backend::new(Salesforce)
}

/// Checks the identity URL `id` the token answer gave before the access token is sent to it:
/// `https`, a path under `/id/`, and a host of Salesforce's (`*.salesforce.com`,
/// `*.force.com`) or the token endpoint's own host (a custom domain). Returns the parsed URL,
/// or what is wrong with it.
pub fn check_identity_url(id: &str, token_url: &str) -> std::result::Result<url::Url, String> {
    let url = url::Url::parse(id).map_err(|e| format!("not a URL ({e})"))?;
    if url.scheme() != "https" {
        return Err("not an https URL".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("it carries credentials".to_owned());
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let salesforce = SALESFORCE_DOMAINS
        .iter()
        .any(|d| host == *d || host.ends_with(&format!(".{d}")));
    let token_host = url::Url::parse(token_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if !salesforce && token_host.as_deref() != Some(host.as_str()) {
        return Err(format!(
            "host `{host}` is neither Salesforce's (`*.salesforce.com`, `*.force.com`) nor \
             the token endpoint's"
        ));
    }
    if !url.path().starts_with("/id/") {
        return Err("its path is not under `/id/`".to_owned());
    }
    Ok(url)
}

#[async_trait]
impl OAuth2Provider for Salesforce {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// Reads `SANDBOX`, refused together with `BASE_URL` (which names the login host itself),
    /// and declares `API_URL`, which moves the identity call.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.endpoints(&[Endpoint::API]);
        let options: Options = cx.options()?;
        if options.sandbox && cx.settings().endpoint_override(Endpoint::BASE).is_some() {
            let base = cx.setting_name(Endpoint::BASE.setting());
            return Err(cx.error(
                "sandbox",
                format!(
                    "cannot be used together with {base}: set {base} to the sandbox's My \
                     Domain (`https://<name>--<sandbox>.sandbox.my.salesforce.com`) alone, or \
                     SANDBOX alone for `test.salesforce.com`"
                ),
            ));
        }
        Ok(())
    }

    /// The endpoint's setting when set, else the template on the production or sandbox host.
    fn endpoint(&self, settings: &BackendSettings, endpoint: Endpoint, default: &str) -> String {
        match settings.endpoint_override(endpoint) {
            Some(url) => url.to_owned(),
            None => spec_for(settings).expand(settings, default),
        }
    }

    /// `GET` the identity URL the token answer names (`id`) with the access token as a bearer
    /// token, once [`check_identity_url`] accepts it. `API_URL`, when set, replaces the
    /// identity URL's scheme and host (the path is kept): for a proxy, or tests.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let invalid =
            |details: String| AuthError::new(ErrorKind::InvalidResponse, Stage::Profile, details);
        let Some(id) = token
            .raw
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.trim().is_empty())
        else {
            return Err(invalid(
                "the token answer has no identity URL `id` (does the app have the `id` scope?)"
                    .to_owned(),
            ));
        };
        let token_url = self.endpoint(cx.backend, Endpoint::ACCESS_TOKEN, SPEC.token_url);
        let identity = check_identity_url(id, &token_url).map_err(|problem| {
            let shown: String = id.chars().take(200).collect();
            invalid(format!(
                "refused the token answer's identity URL `{shown}`: {problem}; the access \
                 token is not sent there"
            ))
        })?;
        let url = match cx.backend.endpoint_override(Endpoint::API) {
            Some(api) => {
                let mut url = format!("{}{}", api.trim_end_matches('/'), identity.path());
                if let Some(query) = identity.query() {
                    url.push('?');
                    url.push_str(query);
                }
                url
            }
            None => identity.into(),
        };
        let request =
            ProviderCx::api_request(Method::GET, &url, token.access_token(), TokenIn::Bearer)
                .body(Vec::new())
                .map_err(|e| cx.config_error("api_url", format!("not a valid request: {e}")))?;
        cx.json(request, Stage::Profile, "identity URL").await
    }

    /// `<organization_id>/<user_id>`: the user id repeats in a sandbox copied from
    /// production, the pair does not; and unlike the identity URL it does not change with the
    /// login host.
    fn user_id(&self, user: &Value) -> Result<String> {
        let part = |pointer: &str| {
            text_at(user, pointer)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| {
                    AuthError::new(
                        ErrorKind::InvalidResponse,
                        Stage::Profile,
                        format!("the identity URL's answer has no `{}`", &pointer[1..]),
                    )
                })
        };
        Ok(format!(
            "{}/{}",
            part("/organization_id")?,
            part("/user_id")?
        ))
    }
}
