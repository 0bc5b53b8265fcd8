#![doc = include_str!("../README.md")]

use serde::Deserialize;
use social_core::{
    Configure, ErrorKind, ProviderCx, Result, Stage, Value, async_trait, extra_data::ExtraDataField,
};
use social_oauth2::{
    ClientAuth, TokenResponse,
    oidc::{OidcBackend, OidcProvider, OidcSpec},
};

/// The backend name.
pub const NAME: &str = "microsoft";

/// The global cloud's sign-in host.
pub const DEFAULT_AUTHORITY_HOST: &str = "login.microsoftonline.com";

/// The tenant of personal Microsoft accounts: what `consumers` stands for.
pub const CONSUMERS_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Microsoft identity platform (v2.0 endpoints): the flags. The issuer is built from the
/// `TENANT` and `AUTHORITY_HOST` settings by [`Microsoft`]; endpoints and keys are
/// discovered from it.
pub const SPEC: OidcSpec = OidcSpec {
    name: NAME,
    display_name: "Microsoft",
    default_scope: &["openid", "profile", "email", "offline_access"],
    client_auth: ClientAuth::Body,
    // `common` and `organizations` publish the issuer `.../{tenantid}/v2.0`: each token is
    // held to the tenant its `tid` names.
    multi_tenant: true,
    ..OidcSpec::DEFAULT
};

/// Microsoft as an OpenID Connect provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Microsoft;

/// The Microsoft backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<Microsoft> {
    OidcBackend::new(Microsoft)
}

/// Who may sign in, from the `TENANT` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// Work, school and personal accounts (`common`).
    Any,
    /// Work and school accounts of any organization (`organizations`).
    Organizations,
    /// Personal accounts (`consumers`).
    Consumers,
    /// One organization, by tenant id.
    Tenant,
}

/// Microsoft's own settings (`SOCIAL_AUTH_MICROSOFT_*`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    tenant: Option<String>,
    authority_host: Option<String>,
}

impl Options {
    fn audience(&self) -> Audience {
        match self.tenant.as_deref().map(str::trim) {
            None | Some("" | "common") => Audience::Any,
            Some("organizations") => Audience::Organizations,
            Some("consumers") => Audience::Consumers,
            Some(_) => Audience::Tenant,
        }
    }
}

/// Whether `text` is a GUID as Microsoft writes tenant ids.
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[async_trait]
impl OidcProvider for Microsoft {
    fn spec(&self) -> OidcSpec {
        SPEC
    }

    /// `https://<AUTHORITY_HOST>/<tenant>/v2.0`, `consumers` written as its tenant id (the
    /// issuer its discovery document names).
    fn issuer(&self, cx: &mut Configure<'_>) -> Result<Option<String>> {
        let options: Options = cx.options()?;
        let whole = cx.settings().option("oidc_endpoint").is_some()
            || cx.settings().endpoints.contains_key("oidc_endpoint");
        if whole {
            if let Some(name) = [
                ("tenant", &options.tenant),
                ("authority_host", &options.authority_host),
            ]
            .iter()
            .find(|(_, v)| v.is_some())
            .map(|(n, _)| *n)
            {
                return Err(cx.error(
                    name,
                    format!(
                        "is not used when {} names the issuer: set one or the other",
                        cx.setting_name("oidc_endpoint")
                    ),
                ));
            }
            return Ok(None);
        }
        let host = options
            .authority_host
            .as_deref()
            .map(str::trim)
            .unwrap_or(DEFAULT_AUTHORITY_HOST);
        if host.is_empty()
            || !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        {
            return Err(cx.error(
                "authority_host",
                format!(
                    "`{host}` is not a host name: give it alone, such as `login.microsoftonline.us`"
                ),
            ));
        }
        let tenant = match (options.audience(), options.tenant.as_deref().map(str::trim)) {
            (Audience::Any, _) => "common",
            (Audience::Organizations, _) => "organizations",
            (Audience::Consumers, _) => CONSUMERS_TENANT_ID,
            (Audience::Tenant, Some(id)) if is_guid(id) => id,
            (Audience::Tenant, other) => {
                return Err(cx.error(
                    "tenant",
                    format!(
                        "`{}` is not `common`, `organizations`, `consumers` or a tenant id: give \
                         the Directory (tenant) ID, a GUID, from the app's overview page",
                        other.unwrap_or_default()
                    ),
                ));
            }
        };
        Ok(Some(format!(
            "https://{host}/{}/v2.0",
            tenant.to_ascii_lowercase()
        )))
    }

    /// The tenant and the user's object id in it (stable across the tenant's apps, unlike
    /// the per-app `sub`), for calls to Microsoft Graph.
    fn extra_data(&self) -> Vec<ExtraDataField> {
        vec![ExtraDataField::new("tid"), ExtraDataField::new("oid")]
    }

    /// `organizations` admits work and school accounts only: a token of the personal
    /// accounts' tenant is refused.
    async fn claims(
        &self,
        cx: &ProviderCx<'_>,
        _token: &TokenResponse,
        claims: Value,
    ) -> Result<Value> {
        let audience = cx.options::<Options>().audience();
        let tid = claims.get("tid").and_then(Value::as_str);
        if audience == Audience::Organizations && tid == Some(CONSUMERS_TENANT_ID) {
            return Err(social_core::AuthError::new(
                ErrorKind::Forbidden,
                Stage::Profile,
                "a personal Microsoft account signed in, but TENANT is `organizations`: only \
                 work and school accounts may",
            )
            .with_provider(cx.name));
        }
        Ok(claims)
    }
}
