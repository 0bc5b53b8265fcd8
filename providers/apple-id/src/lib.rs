#![doc = include_str!("../README.md")]

use std::sync::Arc;

use serde::Deserialize;
use social_core::{Configure, ProviderCx, Result, Value, async_trait, serde_json};
use social_oauth2::{
    ClientAuth, Pkce, TokenResponse,
    client_jwt::{GeneratedSecret, SigningKey},
    oidc::{OidcBackend, OidcProvider, OidcSpec},
};

/// The backend name.
pub const NAME: &str = "apple-id";

/// The audience of Apple's client secrets, and its issuer.
pub const APPLE_ISSUER: &str = "https://appleid.apple.com";

/// The longest a client secret may live: Apple refuses one valid for more than six months.
pub const MAX_SECRET_TTL: u64 = 15_777_000;

/// Sign in with Apple: its issuer and flags. Endpoints and keys are discovered from
/// `https://appleid.apple.com/.well-known/openid-configuration`; the hooks of [`Apple`] add
/// the generated client secret, the `form_post` callback and the names of the first login.
pub const SPEC: OidcSpec = OidcSpec {
    name: NAME,
    display_name: "Apple",
    issuer: Some(APPLE_ISSUER),
    default_scope: &["openid", "name", "email"],
    // Apple's discovery document advertises no PKCE.
    pkce: Pkce::None,
    client_auth: ClientAuth::Body,
    refresh: true,
    revoke: true,
    callback_params: &["user"],
    ..OidcSpec::DEFAULT
};

/// Sign in with Apple as an OpenID Connect provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Apple;

/// The Sign in with Apple backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<Apple> {
    OidcBackend::new(Apple)
}

/// Apple's own settings (`SOCIAL_AUTH_APPLE_ID_*`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    /// The ten-character Team ID of the Apple developer account.
    team_id: Option<String>,
    /// The key id of `PRIVATE_KEY` (read here to require it; the OIDC base signs with it).
    private_key_id: Option<String>,
    /// How long each generated client secret is valid, in seconds.
    client_secret_ttl: Option<u64>,
}

#[async_trait]
impl OidcProvider for Apple {
    fn spec(&self) -> OidcSpec {
        SPEC
    }

    /// Apple posts the callback (`response_mode=form_post`) whenever a scope is asked for.
    fn auth_params(&self, _cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        Ok(vec![("response_mode".to_owned(), "form_post".to_owned())])
    }

    /// Builds the client secret generator from `TEAM_ID`, `PRIVATE_KEY` and
    /// `PRIVATE_KEY_ID` (the base has read the key).
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let options: Options = cx.options()?;
        let team = options
            .team_id
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| cx.error("team_id", "is not set: the client secret is issued by it"))?;
        if options.private_key_id.is_none_or(|k| k.trim().is_empty()) {
            return Err(cx.error(
                "private_key_id",
                "is not set: give the Key ID Apple shows beside the downloaded .p8 key",
            ));
        }
        let Some(key) = cx.settings().typed::<SigningKey>().cloned() else {
            return Err(cx.error(
                "private_key",
                "is not set: give the text of the .p8 key downloaded from Apple",
            ));
        };
        let ttl = options.client_secret_ttl.unwrap_or(MAX_SECRET_TTL);
        if ttl == 0 || ttl > MAX_SECRET_TTL {
            return Err(cx.error(
                "client_secret_ttl",
                format!("{ttl} seconds is outside 1 to {MAX_SECRET_TTL} (six months)"),
            ));
        }
        cx.keep(Arc::new(GeneratedSecret::new(
            key,
            team.trim(),
            APPLE_ISSUER,
            ttl,
        )));
        Ok(())
    }

    /// Adds the names of the `user` field Apple posts at the first login only. The field is
    /// not signed: it never replaces a claim of the ID token, and its e-mail is ignored.
    async fn claims(
        &self,
        _cx: &ProviderCx<'_>,
        token: &TokenResponse,
        mut claims: Value,
    ) -> Result<Value> {
        let user: Option<Value> = token
            .callback_param("user")
            .and_then(|text| serde_json::from_str(text).ok());
        let name = |field: &str| {
            user.as_ref()
                .and_then(|u| u.pointer(&format!("/name/{field}")))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().take(150).collect::<String>())
        };
        let (given, family) = (name("firstName"), name("lastName"));
        if let Some(all) = claims.as_object_mut() {
            let full = match (&given, &family) {
                (Some(g), Some(f)) => Some(format!("{g} {f}")),
                (Some(one), None) | (None, Some(one)) => Some(one.clone()),
                (None, None) => None,
            };
            for (claim, value) in [
                ("given_name", given),
                ("family_name", family),
                ("name", full),
            ] {
                if let Some(value) = value {
                    all.entry(claim).or_insert(Value::String(value));
                }
            }
        }
        Ok(claims)
    }
}
