//! The `Mock` backend: the mock provider as a plain OAuth 2.0 provider of social-core.

use social_core::{
    BackendSettings, Configure, Endpoint, ProviderCx, Result, UserDetails, Value, async_trait,
    extra_data::ExtraDataField,
};
use social_oauth2::{
    ClientAuth, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, TokenResponse, required_id,
};

/// The mock provider at `issuer`, seen as an OAuth 2.0 provider: the user comes from the
/// userinfo endpoint (no ID token is asked for). For OpenID Connect, point social-oauth2's
/// generic `OidcBackend` at the issuer instead ([`MockProvider::oidc_backend`]).
///
/// Its endpoints are `{issuer}/authorize`, `/token` and `/userinfo`, each movable by settings
/// (`AUTHORIZATION_URL`, `ACCESS_TOKEN_URL`, `USERINFO_URL`). It asks for `profile email`
/// with PKCE S256 and authenticates with HTTP Basic; refresh works. The uid is `sub`; the
/// details are `preferred_username`, `email`, `email_verified` and `name`.
///
/// [`MockProvider::oidc_backend`]: crate::MockProvider::oidc_backend
#[derive(Debug, Clone)]
pub struct Mock {
    issuer: String,
}

impl Mock {
    /// The provider whose endpoints live under `issuer`.
    pub fn new(issuer: &str) -> Self {
        Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
        }
    }

    /// A backend named `name` for it (`dev`, `dev2`: one provider, several clients).
    pub fn backend(name: &str, issuer: &str) -> OAuth2Backend<Self> {
        OAuth2Backend::named(name, Self::new(issuer))
    }
}

#[async_trait]
impl OAuth2Provider for Mock {
    fn spec(&self) -> OAuth2Spec {
        OAuth2Spec {
            name: "mock",
            // The real defaults depend on the issuer: see `endpoint`.
            default_scope: &["profile", "email"],
            pkce: Pkce::S256,
            client_auth: ClientAuth::Basic,
            refresh: true,
            ..OAuth2Spec::DEFAULT
        }
    }

    fn endpoint(&self, settings: &BackendSettings, endpoint: Endpoint, default: &str) -> String {
        if let Some(url) = settings.endpoint_override(endpoint) {
            return url.to_owned();
        }
        let path = match endpoint {
            Endpoint::AUTHORIZATION => "/authorize",
            Endpoint::ACCESS_TOKEN => "/token",
            Endpoint::USERINFO => "/userinfo",
            _ => return default.to_owned(),
        };
        format!("{}{path}", self.issuer)
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.endpoints(&[Endpoint::USERINFO]);
        Ok(())
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let url = self.endpoint(cx.backend, Endpoint::USERINFO, "");
        cx.get_json(&url, Some(token.access_token())).await
    }

    fn user_id(&self, user: &Value) -> Result<String> {
        required_id(user, "sub")
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let text = |k: &str| user.get(k).and_then(Value::as_str);
        UserDetails::new()
            .username(text("preferred_username"))
            .email(text("email"))
            .email_verified(user.get("email_verified").and_then(Value::as_bool) == Some(true))
            .fullname(text("name"))
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        vec![
            ExtraDataField::aliased("preferred_username", "login"),
            ExtraDataField::new("email_verified").discard_if_falsy(),
        ]
    }
}
