#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, BackendSettings, Configure, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage,
    TokenIn, UserDetails, Value, async_trait,
    http::{check_status, parse_json},
    profile::text_at,
};
use social_oauth2::{
    Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, ProfileCall, TokenResponse,
};

/// The backend name.
pub const NAME: &str = "microsoft-graph";

/// python-social-auth's name for the same provider (Windows Live), kept for sites that stored accounts
/// under it: [`live`].
pub const LIVE: &str = "live";

/// The tenant used when `TENANT` is unset: work, school and personal accounts alike.
pub const DEFAULT_TENANT: &str = "common";

/// The Microsoft identity platform's sign-in host.
const LOGIN_HOST: &str = "https://login.microsoftonline.com";

/// Microsoft identity platform (v2.0) endpoints for Microsoft Graph, with the `common` tenant;
/// [`MicrosoftGraph`] puts the `TENANT` setting in their place and adds the user mapping.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Microsoft",
    api_url: Some("https://graph.microsoft.com/v1.0"),
    authorization_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
    token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
    // `offline_access` is what makes the token endpoint issue a refresh token.
    default_scope: &["User.Read", "offline_access"],
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/me", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/id",
        fullname: Some("/displayName"),
        first_name: Some("/givenName"),
        last_name: Some("/surname"),
        locale: Some("/preferredLanguage"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Microsoft Graph as an OAuth 2.0 provider, under the backend name it was created with;
/// register it with [`backend`] (or [`live`]).
#[derive(Debug, Clone, Copy)]
pub struct MicrosoftGraph {
    name: &'static str,
}

impl MicrosoftGraph {
    /// The provider under the backend name `name`.
    pub const fn named(name: &'static str) -> Self {
        Self { name }
    }
}

impl Default for MicrosoftGraph {
    fn default() -> Self {
        Self::named(NAME)
    }
}

/// The `microsoft-graph` backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<MicrosoftGraph> {
    OAuth2Backend::new(MicrosoftGraph::named(NAME))
}

/// The same provider under python-social-auth's backend name `live` (settings `SOCIAL_AUTH_LIVE_*`,
/// callback `/complete/live/`), for sites whose users signed in with Windows Live.
pub fn live() -> OAuth2Backend<MicrosoftGraph> {
    OAuth2Backend::new(MicrosoftGraph::named(LIVE))
}

/// The backend's own settings.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct Options {
    /// `TENANT`: `common`, `organizations`, `consumers`, a tenant id or a tenant domain.
    tenant: Option<String>,
}

impl Options {
    fn tenant(&self) -> &str {
        self.tenant
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(DEFAULT_TENANT)
    }
}

/// Whether `tenant` can stand in a path segment of the sign-in URLs: a tenant name
/// (`common`, ...), a GUID or a domain name.
fn is_tenant(tenant: &str) -> bool {
    !tenant.is_empty()
        && !tenant.starts_with(['.', '-'])
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// The local part of an e-mail-like `text` (`ada` of `ada@example.com`).
fn local_part(text: &str) -> Option<&str> {
    text.split_once('@')
        .map(|(local, _)| local)
        .filter(|l| !l.is_empty())
}

#[async_trait]
impl OAuth2Provider for MicrosoftGraph {
    fn spec(&self) -> OAuth2Spec {
        OAuth2Spec {
            name: self.name,
            ..SPEC
        }
    }

    /// The sign-in endpoints of the `TENANT` setting (`common` by default), unless an
    /// endpoint setting moves them.
    fn endpoint(&self, settings: &BackendSettings, endpoint: Endpoint, default: &str) -> String {
        if let Some(url) = settings.endpoint_override(endpoint) {
            return url.to_owned();
        }
        let tenant = settings.typed_or_default::<Options>();
        let tenant = tenant.tenant();
        match endpoint {
            Endpoint::AUTHORIZATION => format!("{LOGIN_HOST}/{tenant}/oauth2/v2.0/authorize"),
            Endpoint::ACCESS_TOKEN | Endpoint::REFRESH_TOKEN => {
                format!("{LOGIN_HOST}/{tenant}/oauth2/v2.0/token")
            }
            _ => SPEC.expand(settings, default),
        }
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let options: Options = cx.options()?;
        let tenant = options.tenant();
        if !is_tenant(tenant) {
            return Err(cx.error(
                "tenant",
                format!(
                    "`{tenant}` is not a tenant: give `common`, `organizations`, `consumers`, \
                     a tenant id or a tenant domain such as `contoso.onmicrosoft.com`"
                ),
            ));
        }
        Ok(())
    }

    /// `GET {api_url}/me` with the token as bearer. Graph answers `429 Too Many Requests`
    /// when it throttles: the provider is busy, the login is not refused.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let what = "Microsoft Graph /me";
        let url = SPEC.expand(cx.backend, "{api_url}/me");
        let request =
            ProviderCx::api_request(Method::GET, &url, token.access_token(), TokenIn::Bearer)
                .body(Vec::new())
                .map_err(|e| cx.config_error("api_url", format!("not a valid URL: {e}")))?;
        let response = cx.send(request, Stage::Profile, what).await?;
        if response.status().as_u16() == 429 {
            return Err(AuthError::new(
                ErrorKind::ProviderUnavailable,
                Stage::Profile,
                format!("{what} answered 429 Too Many Requests: Graph is throttling"),
            ));
        }
        check_status(&response, Stage::Profile, what, ErrorKind::ProviderRejected)?;
        parse_json(response.body(), Stage::Profile, what)
    }

    /// Names from the mapping; the e-mail address is `mail`, else the user principal name
    /// when it looks like an address (not a guest's `#EXT#` name). Graph does not say that
    /// either was verified, so neither is marked so.
    fn user_details(&self, user: &Value) -> UserDetails {
        let details = SPEC.mapping.user_details(user);
        let upn = text_at(user, "/userPrincipalName");
        let upn_address = upn
            .as_deref()
            .filter(|u| local_part(u).is_some() && !u.contains("#EXT#"));
        let email = text_at(user, "/mail").or_else(|| upn_address.map(str::to_owned));
        let username = upn_address
            .or(email.as_deref())
            .and_then(local_part)
            .map(str::to_owned);
        details
            .email(email.as_deref())
            .email_verified(false)
            .username(username.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::is_tenant;

    #[test]
    fn tenants() {
        for good in [
            "common",
            "organizations",
            "consumers",
            "9188040d-6c67-4c5b-b112-36a304b66dad",
            "contoso.onmicrosoft.com",
        ] {
            assert!(is_tenant(good), "{good}");
        }
        for bad in [
            "",
            "https://evil.example",
            "a/b",
            "common?x=1",
            ".hidden",
            "te nant",
        ] {
            assert!(!is_tenant(bad), "{bad}");
        }
    }
}
