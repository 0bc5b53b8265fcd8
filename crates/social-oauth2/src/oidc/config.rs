//! The OpenID Connect settings of one backend, read and checked once per use.

use std::str::FromStr;

use jsonwebtoken::{Algorithm, AlgorithmFamily};

use super::OidcSpec;
use crate::{ClientAuth, client_jwt::SigningKey};

use serde::Deserialize;
use social_core::{
    Configure,
    error::{AuthError, Result},
    settings::BackendSettings,
};

/// Clock skew beyond this is a misconfigured server, not a tolerance.
const MAX_LEEWAY: u64 = 300;
const DEFAULT_LEEWAY: u64 = 30;
/// python-social-auth's default: an ID token older than ten minutes is refused.
const DEFAULT_MAX_AGE: u64 = 600;

/// The OpenID Connect settings of one backend.
#[derive(Debug, Clone)]
pub(crate) struct OidcConfig {
    /// The issuer URL discovery starts from (`OIDC_ENDPOINT`).
    pub(crate) issuer: String,
    /// The signature algorithms accepted (`JWT_ALGORITHMS`).
    pub(crate) algorithms: Vec<Algorithm>,
    /// Tolerated clock skew in seconds (`JWT_LEEWAY`).
    pub(crate) leeway: i64,
    /// How old an ID token may be, by its `iat`, in seconds (`ID_TOKEN_MAX_AGE`).
    pub(crate) max_age: i64,
    /// Whether the discovered issuer may hold a `{tenantid}` placeholder (`MULTI_TENANT`).
    pub(crate) multi_tenant: bool,
    /// Client authentication at the token endpoint (`TOKEN_ENDPOINT_AUTH_METHOD`).
    pub(crate) client_auth: ClientAuth,
    /// Audiences an ID token may name besides our client id (`TRUSTED_AUDIENCES`).
    pub(crate) trusted_audiences: Vec<String>,
}

/// The OpenID Connect options as given, read once by [`Configure::options`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct OidcOptions {
    oidc_endpoint: Option<String>,
    jwt_algorithms: Option<Vec<String>>,
    jwt_leeway: Option<u64>,
    id_token_max_age: Option<u64>,
    multi_tenant: Option<bool>,
    token_endpoint_auth_method: Option<String>,
    private_key: Option<String>,
    private_key_id: Option<String>,
    trusted_audiences: Vec<String>,
}

impl OidcConfig {
    /// Reads backend `name`'s settings; `spec` gives the provider's defaults.
    #[cfg(test)]
    pub(crate) fn read(name: &str, settings: &BackendSettings, spec: &OidcSpec) -> Result<Self> {
        let mut settings = settings.clone();
        let mut cx = Configure::new(name, &mut settings);
        Self::configure(&mut cx, spec, None)
    }

    /// Parses and checks the OpenID Connect options at start-up; `computed` is the issuer
    /// the provider built from its own settings, if it did.
    pub(crate) fn configure(
        cx: &mut Configure<'_>,
        spec: &OidcSpec,
        computed: Option<String>,
    ) -> Result<Self> {
        let client_auth = spec.client_auth;
        let issuer = spec.issuer;
        let options: OidcOptions = cx.options()?;
        // The issuer can also sit with the other endpoints, where TOML users look for it.
        let configured = options
            .oidc_endpoint
            .clone()
            .or_else(|| cx.settings().endpoints.get("oidc_endpoint").cloned())
            .filter(|s| !s.trim().is_empty());
        let issuer = match (configured, issuer) {
            (None, _) if computed.is_some() => computed.unwrap_or_default(),
            (Some(issuer), template) => {
                // The issuer is given whole: a template's settings would be read nowhere.
                let names = template.map(crate::template_names).unwrap_or_default();
                cx.declare(&names);
                if let Some(name) = names
                    .iter()
                    .find(|name| setting_value(cx.settings(), name).is_some())
                {
                    return Err(cx.error(
                        name,
                        format!(
                            "is not used when {} names the issuer: set one or the other",
                            cx.setting_name("oidc_endpoint")
                        ),
                    ));
                }
                issuer.trim().to_owned()
            }
            // The provider's issuer is a template of the backend's settings:
            // `https://{domain}`, `{base_url}/realms/{realm}`.
            (None, Some(template)) => {
                let names = crate::template_names(template);
                cx.declare(&names);
                for name in &names {
                    if setting_value(cx.settings(), name).is_none() {
                        return Err(cx.error(name, "is not set: the issuer URL is built from it"));
                    }
                }
                let value = |name: &str| setting_value(cx.settings(), name);
                crate::check_host_values(template, value)
                    .map_err(|(name, problem)| cx.error(&name, problem))?;
                crate::expand_template(template, value)
            }
            (None, None) => {
                return Err(cx.error(
                    "oidc_endpoint",
                    "is not set: give the issuer URL, such as `https://login.example.com`",
                ));
            }
        };
        check_url(&cx.setting_name("oidc_endpoint"), &issuer)?;

        let algorithms = match options.jwt_algorithms {
            None => vec![Algorithm::RS256],
            Some(names) => {
                let setting = cx.setting_name("jwt_algorithms");
                let mut algorithms = Vec::new();
                for alg in names {
                    algorithms.push(parse_algorithm(&setting, &alg)?);
                }
                if algorithms.is_empty() {
                    return Err(cx.error("jwt_algorithms", "names no algorithm"));
                }
                algorithms
            }
        };
        let leeway = options.jwt_leeway.unwrap_or(DEFAULT_LEEWAY);
        if leeway > MAX_LEEWAY {
            return Err(cx.error(
                "jwt_leeway",
                format!("{leeway} seconds is more clock skew than {MAX_LEEWAY} allowed"),
            ));
        }
        let max_age = options.id_token_max_age.unwrap_or(DEFAULT_MAX_AGE);
        if max_age == 0 {
            return Err(cx.error("id_token_max_age", "must be at least 1 second"));
        }
        let client_auth = match options.token_endpoint_auth_method.as_deref() {
            None => client_auth,
            Some("client_secret_basic") => ClientAuth::Basic,
            Some("client_secret_post") => ClientAuth::Body,
            Some("client_secret_jwt") => ClientAuth::SecretJwt,
            Some("private_key_jwt") => ClientAuth::PrivateKeyJwt,
            Some(other) => {
                return Err(cx.error(
                    "token_endpoint_auth_method",
                    format!(
                        "`{other}` is not `client_secret_basic`, `client_secret_post`, \
                         `client_secret_jwt` or `private_key_jwt`"
                    ),
                ));
            }
        };
        match options
            .private_key
            .as_deref()
            .filter(|k| !k.trim().is_empty())
        {
            Some(pem) => {
                let key = SigningKey::from_pem(pem, options.private_key_id.as_deref())
                    .map_err(|why| cx.error("private_key", why))?;
                cx.keep(key);
            }
            None if client_auth == ClientAuth::PrivateKeyJwt => {
                return Err(cx.error(
                    "private_key",
                    "is not set: `private_key_jwt` signs with the client's private key (PEM)",
                ));
            }
            None if options.private_key_id.is_some() => {
                return Err(cx.error("private_key_id", "is set but PRIVATE_KEY is not"));
            }
            None => {}
        }
        let config = Self {
            issuer,
            algorithms,
            leeway: i64::try_from(leeway).unwrap_or(i64::MAX),
            max_age: i64::try_from(max_age).unwrap_or(i64::MAX),
            multi_tenant: options.multi_tenant.unwrap_or(spec.multi_tenant),
            client_auth,
            trusted_audiences: options.trusted_audiences,
        };
        cx.keep(config.clone());
        cx.keep(social_core::settings::DeclaredIssuer(config.issuer.clone()));
        Ok(config)
    }
}

/// The value of setting `name` of a backend: an endpoint (`base_url`) or an option (`realm`).
fn setting_value(settings: &BackendSettings, name: &str) -> Option<String> {
    settings
        .endpoints
        .get(name)
        .map(|url| url.trim_end_matches('/').to_owned())
        .or_else(|| settings.option(name))
        .filter(|v| !v.trim().is_empty())
}

/// An accepted ID-token algorithm: `none` and HMAC are refused, since keys come from a public
/// JWKS and an HMAC "secret" there would be the public key itself (algorithm confusion).
fn parse_algorithm(setting: &str, name: &str) -> Result<Algorithm> {
    if name.eq_ignore_ascii_case("none") {
        return Err(AuthError::config(setting, "`none` is never accepted"));
    }
    let alg = Algorithm::from_str(name)
        .map_err(|_| AuthError::config(setting, format!("`{name}` is not a JWS algorithm")))?;
    if alg.family() == AlgorithmFamily::Hmac {
        return Err(AuthError::config(
            setting,
            format!(
                "`{name}` is a shared-secret algorithm: ID tokens are checked with public keys"
            ),
        ));
    }
    Ok(alg)
}

/// Checks an issuer or endpoint URL: https, or http on a loopback host (local tests).
pub(crate) fn check_url(setting: &str, value: &str) -> Result<()> {
    let url = url::Url::parse(value)
        .map_err(|e| AuthError::config(setting, format!("`{value}`: {e}")))?;
    if url.scheme() == "https" || (url.scheme() == "http" && is_loopback(&url)) {
        Ok(())
    } else {
        Err(AuthError::config(
            setting,
            format!("`{value}` must be an https URL (http only on a loopback address)"),
        ))
    }
}

pub(crate) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Settings of backend `corp` from `SOCIAL_AUTH_CORP_*` variables.
    fn settings(pairs: &[(&str, &str)]) -> BackendSettings {
        let vars = pairs.iter().map(|(k, v)| {
            (
                format!("SOCIAL_AUTH_CORP_{}", k.to_ascii_uppercase()),
                (*v).to_owned(),
            )
        });
        let mut settings = social_core::Settings::default()
            .with_vars(vars)
            .expect("valid variables");
        settings.resolve_env(&["corp"]).expect("valid variables");
        settings.backend("corp").clone()
    }

    #[test]
    fn defaults_and_overrides() {
        let c = OidcConfig::read(
            "corp",
            &settings(&[("oidc_endpoint", "https://id.example.com")]),
            &super::super::GENERIC,
        )
        .expect("valid");
        assert_eq!(c.algorithms, vec![Algorithm::RS256]);
        assert_eq!((c.leeway, c.max_age, c.multi_tenant), (30, 600, false));
        let c = OidcConfig::read(
            "corp",
            &settings(&[
                ("oidc_endpoint", "http://127.0.0.1:9/realms/x"),
                ("jwt_algorithms", "RS256, ES256,PS256"),
                ("jwt_leeway", "5"),
                ("multi_tenant", "true"),
                ("token_endpoint_auth_method", "client_secret_post"),
                ("trusted_audiences", "https://api.example.com, other-client"),
            ]),
            &super::super::GENERIC,
        )
        .expect("valid");
        assert_eq!(
            c.trusted_audiences,
            ["https://api.example.com", "other-client"]
        );
        assert_eq!(
            c.algorithms,
            vec![Algorithm::RS256, Algorithm::ES256, Algorithm::PS256]
        );
        assert_eq!((c.leeway, c.multi_tenant), (5, true));
        assert_eq!(c.client_auth, ClientAuth::Body);
    }

    #[test]
    fn errors_name_the_setting() {
        for (pairs, setting) in [
            (vec![], "SOCIAL_AUTH_CORP_OIDC_ENDPOINT"),
            (
                vec![("oidc_endpoint", "http://id.example.com")],
                "SOCIAL_AUTH_CORP_OIDC_ENDPOINT",
            ),
            (
                vec![
                    ("oidc_endpoint", "https://id.example.com"),
                    ("jwt_algorithms", "none"),
                ],
                "SOCIAL_AUTH_CORP_JWT_ALGORITHMS",
            ),
            (
                vec![
                    ("oidc_endpoint", "https://id.example.com"),
                    ("jwt_algorithms", "RS256,HS256"),
                ],
                "SOCIAL_AUTH_CORP_JWT_ALGORITHMS",
            ),
            (
                vec![
                    ("oidc_endpoint", "https://id.example.com"),
                    ("jwt_leeway", "3600"),
                ],
                "SOCIAL_AUTH_CORP_JWT_LEEWAY",
            ),
            (
                vec![
                    ("oidc_endpoint", "https://id.example.com"),
                    ("multi_tenant", "maybe"),
                ],
                "SOCIAL_AUTH_CORP_MULTI_TENANT",
            ),
            (
                vec![
                    ("oidc_endpoint", "https://id.example.com"),
                    ("token_endpoint_auth_method", "private_key_jwt"),
                ],
                "SOCIAL_AUTH_CORP_PRIVATE_KEY",
            ),
            (
                vec![
                    ("oidc_endpoint", "https://id.example.com"),
                    (
                        "private_key",
                        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
                    ),
                ],
                "SOCIAL_AUTH_CORP_PRIVATE_KEY",
            ),
            (
                vec![
                    ("oidc_endpoint", "https://id.example.com"),
                    ("token_endpoint_auth_method", "tls_client_auth"),
                ],
                "SOCIAL_AUTH_CORP_TOKEN_ENDPOINT_AUTH_METHOD",
            ),
        ] {
            let err = OidcConfig::read("corp", &settings(&pairs), &super::super::GENERIC)
                .expect_err("invalid");
            assert!(err.details().starts_with(setting), "{pairs:?}: {err}");
        }
    }
}
