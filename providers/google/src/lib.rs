#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, BackendSettings, ErrorKind, ProviderCx, Result, Stage, Tokens, UserDetails, Value,
    async_trait,
    extra_data::ExtraDataField,
    oauth2::{ClientAuth, TokenResponse},
    oidc::{OidcBackend, OidcProvider},
    settings::{TomlValue, env_name},
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
fn hosted_domains(backend: &str, settings: &BackendSettings) -> Result<Vec<String>> {
    let bad =
        |problem: String| AuthError::config(&env_name(Some(backend), "hosted_domain"), problem);
    let listed: Vec<&str> = match settings.options.get("hosted_domain") {
        None => return Ok(Vec::new()),
        Some(TomlValue::String(text)) => text.split(',').collect(),
        Some(TomlValue::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .ok_or_else(|| bad(format!("`{item}` is not text")))
            })
            .collect::<Result<_>>()?,
        Some(other) => return Err(bad(format!("`{other}` is not a domain or a list of them"))),
    };
    let mut domains = Vec::new();
    for domain in listed.into_iter().map(str::trim).filter(|d| !d.is_empty()) {
        if !is_domain(domain) {
            return Err(bad(format!(
                "`{domain}` is not a domain name (write it in ASCII, without `*` or `@`)"
            )));
        }
        domains.push(domain.to_ascii_lowercase());
    }
    // Set but empty would silently let every account in: refuse it.
    if domains.is_empty() {
        return Err(bad("names no domain".into()));
    }
    Ok(domains)
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
fn access_type(backend: &str, settings: &BackendSettings) -> Result<Option<&'static str>> {
    let Some(value) = settings.option("access_type") else {
        return Ok(None);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "online" => Ok(Some("online")),
        "offline" => Ok(Some("offline")),
        _ => Err(AuthError::config(
            &env_name(Some(backend), "access_type"),
            format!("`{value}` is not `online` or `offline`"),
        )),
    }
}

/// Google sends `email_verified` as a boolean, but some of its endpoints (and older ID tokens)
/// spell it as the text `"true"`.
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
    const NAME: &'static str = NAME;

    fn issuer(&self) -> Option<&'static str> {
        Some(ISSUER)
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

    fn default_scope(&self) -> &'static [&'static str] {
        &["openid", "email", "profile"]
    }

    fn client_auth(&self) -> ClientAuth {
        // Google takes both; the secret in the body is what its own guides send.
        ClientAuth::Body
    }

    fn revoke(&self) -> bool {
        true
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
            .map_err(|e| {
                AuthError::config(
                    &env_name(Some(cx.name), "revoke_token_url"),
                    format!("`{endpoint}`: {e}"),
                )
            })?;
        let what = "revocation endpoint";
        let response = cx.send(request, Stage::Token, what).await?;
        social_core::http::check_status(&response, Stage::Token, what, ErrorKind::TokenError)
    }

    fn validate(&self, name: &str, settings: &BackendSettings) -> Result<()> {
        if settings.endpoints.contains_key("api_url") {
            // The OAuth 2.0 backend read userinfo from `API_URL`; silently ignoring it now
            // would send an enterprise or test setup to Google itself.
            return Err(AuthError::config(
                &env_name(Some(name), "api_url"),
                format!(
                    "is no longer read: set {} (the userinfo endpoint) instead",
                    env_name(Some(name), "userinfo_url")
                ),
            ));
        }
        hosted_domains(name, settings)?;
        access_type(name, settings)?;
        settings.flag(name, "include_granted_scopes")?;
        Ok(())
    }

    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        let mut params = Vec::new();
        match hosted_domains(cx.name, cx.backend)?.as_slice() {
            [] => {}
            [domain] => params.push(("hd".into(), domain.clone())),
            // Google's hint takes one domain; `*` at least steers the chooser to Workspace
            // accounts. The real check happens after login either way.
            _ => params.push(("hd".into(), "*".into())),
        }
        if let Some(access) = access_type(cx.name, cx.backend)? {
            params.push(("access_type".into(), access.into()));
            if access == "offline" {
                // Google issues a refresh token only when the user consents, which it skips
                // for returning users unless asked to show the consent screen again.
                params.push(("prompt".into(), "consent".into()));
            }
        }
        if cx.backend.flag(cx.name, "include_granted_scopes")? == Some(true) {
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
        check_hosted_domain(&hosted_domains(cx.name, cx.backend)?, &claims)?;
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
