#![doc = include_str!("../README.md")]

use serde::Deserialize;
use social_core::{
    AuthError, Configure, Endpoint, ErrorKind, ProviderCx, Result, Stage, Tokens, UserDetails,
    Value, async_trait, extra_data::ExtraDataField,
};
use social_oauth2::{
    ClientAuth, TokenResponse,
    oidc::{OidcBackend, OidcProvider, OidcSpec},
};

/// The backend name.
pub const NAME: &str = "google";
/// Google's OpenID Connect issuer; discovery lives under it.
pub const ISSUER: &str = "https://accounts.google.com";
/// The other spelling of [`ISSUER`] Google documents for the `iss` of its ID tokens.
pub const LEGACY_ISSUER: &str = "accounts.google.com";

/// Google as an OpenID Connect provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Google;

/// The Google backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<Google> {
    OidcBackend::new(Google)
}

/// The allowed Workspace domains of `hosted_domain`, lower-cased; empty when unrestricted.
/// What the backend reads of its own settings, as given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    hosted_domain: Option<Vec<String>>,
    access_type: Option<String>,
    include_granted_scopes: bool,
}

/// The settings, checked once at start-up.
#[derive(Debug, Clone, Default)]
struct Config {
    /// Allowed Workspace domains, lower-cased; empty for any account.
    domains: Vec<String>,
    access_type: Option<&'static str>,
    include_granted_scopes: bool,
}

impl Config {
    fn read(cx: &mut Configure<'_>) -> Result<Self> {
        let options: Options = cx.options()?;
        let mut domains = Vec::new();
        if let Some(listed) = &options.hosted_domain {
            for domain in listed.iter().map(|d| d.trim()).filter(|d| !d.is_empty()) {
                if !is_domain(domain) {
                    return Err(cx.error(
                        "hosted_domain",
                        format!(
                            "`{domain}` is not a domain name (write it in ASCII, without `*` or `@`)"
                        ),
                    ));
                }
                domains.push(domain.to_ascii_lowercase());
            }
            if domains.is_empty() {
                return Err(cx.error("hosted_domain", "names no domain"));
            }
        }
        let access_type = match options.access_type.as_deref().map(str::trim) {
            None => None,
            Some(v) if v.eq_ignore_ascii_case("online") => Some("online"),
            Some(v) if v.eq_ignore_ascii_case("offline") => Some("offline"),
            Some(v) => {
                return Err(cx.error("access_type", format!("`{v}` is not `online` or `offline`")));
            }
        };
        let config = Self {
            domains,
            access_type,
            include_granted_scopes: options.include_granted_scopes,
        };
        cx.keep(config.clone());
        Ok(config)
    }
}

fn is_domain(text: &str) -> bool {
    text.contains('.')
        && text.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `access_type`: `online` (Google's default) or `offline` (issue a refresh token).
fn claim_is_true(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.trim().eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Refuses accounts outside the configured Workspace domains, by the `hd` claim.
fn check_hosted_domain(allowed: &[String], claims: &Value) -> Result<()> {
    if allowed.is_empty() {
        return Ok(());
    }
    let forbidden = |details: String| AuthError::new(ErrorKind::Forbidden, Stage::Profile, details);
    match claims.get("hd").and_then(Value::as_str) {
        None => Err(forbidden(
            "the account belongs to no Google Workspace domain (no `hd` claim)".into(),
        )),
        Some(hd) if allowed.iter().any(|d| d.eq_ignore_ascii_case(hd)) => Ok(()),
        Some(hd) => Err(forbidden(format!(
            "the account's Workspace domain `{hd}` is not allowed"
        ))),
    }
}

#[async_trait]
impl OidcProvider for Google {
    fn spec(&self) -> OidcSpec {
        OidcSpec {
            name: NAME,
            display_name: "Google",
            issuer: Some(ISSUER),
            default_scope: &["openid", "email", "profile"],
            // Google takes both; the secret in the body is what its own guides send.
            client_auth: ClientAuth::Body,
            revoke: true,
            ..OidcSpec::DEFAULT
        }
    }

    fn issuer_aliases(&self, discovered: &str) -> Vec<String> {
        // Google documents both spellings for `iss`. Only its own issuer has the second one:
        // an `OIDC_ENDPOINT` pointed elsewhere keeps the exact check.
        if discovered == ISSUER {
            vec![LEGACY_ISSUER.to_owned()]
        } else {
            Vec::new()
        }
    }

    async fn revoke_tokens(
        &self,
        cx: &ProviderCx<'_>,
        endpoint: &str,
        auth: ClientAuth,
        tokens: &Tokens,
    ) -> Result<()> {
        // Google's revocation endpoint wants the token alone: no client authentication.
        let _ = auth;
        // Revoking either token ends the whole grant, but an expired access token can no
        // longer be revoked: then only the refresh token still reaches the grant.
        let token = match &tokens.refresh_token {
            Some(refresh) if tokens.is_expired(cx.clock.now(), 0) => refresh,
            _ => &tokens.access_token,
        };
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token.secret())
            .finish();
        let request = http::Request::post(endpoint)
            .header(http::header::ACCEPT, "application/json")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body.into_bytes())
            .map_err(|e| cx.config_error("revoke_token_url", format!("`{endpoint}`: {e}")))?;
        let what = "revocation endpoint";
        let response = cx.send(request, Stage::Token, what).await?;
        social_core::http::check_status(&response, Stage::Token, what, ErrorKind::TokenError)
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        if cx.settings().endpoint_override(Endpoint::API).is_some() {
            return Err(cx.error(
                "api_url",
                format!(
                    "is no longer read: set {} (the userinfo endpoint) instead",
                    cx.setting_name("userinfo_url")
                ),
            ));
        }
        Config::read(cx).map(drop)
    }

    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        let config = cx.options::<Config>();
        let mut params = Vec::new();
        match config.domains.as_slice() {
            [] => {}
            [domain] => params.push(("hd".into(), domain.clone())),
            _ => params.push(("hd".into(), "*".into())),
        }
        if let Some(access) = config.access_type {
            params.push(("access_type".into(), access.into()));
            if access == "offline" {
                params.push(("prompt".into(), "consent".into()));
            }
        }
        if config.include_granted_scopes {
            params.push(("include_granted_scopes".into(), "true".into()));
        }
        Ok(params)
    }

    async fn claims(
        &self,
        cx: &ProviderCx<'_>,
        token: &TokenResponse,
        claims: Value,
    ) -> Result<Value> {
        let _ = token;
        // The `hd` authorize parameter is only a hint the user can edit; the `hd` claim of
        // the validated ID token (with userinfo merged in) is what Google vouches for.
        check_hosted_domain(&cx.options::<Config>().domains, &claims)?;
        Ok(claims)
    }

    fn user_details(&self, claims: &Value) -> UserDetails {
        let text = |key: &str| claims.get(key).and_then(Value::as_str);
        // Google has no user name: leaving it unset lets the pipeline derive one from the
        // e-mail address and honour SOCIAL_AUTH_USERNAME_IS_FULL_EMAIL.
        let mut details = UserDetails::new()
            .email(text("email"))
            .email_verified(claim_is_true(claims.get("email_verified")))
            .names(text("given_name"), text("family_name"))
            .picture(text("picture"))
            .locale(text("locale"));
        // `fullname(None)` would drop the name `names` built from the parts.
        if text("name").is_some() {
            details = details.fullname(text("name"));
        }
        details
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        vec![ExtraDataField::new("hd").discard_if_falsy()]
    }
}
