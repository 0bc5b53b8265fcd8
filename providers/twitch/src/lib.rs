#![doc = include_str!("../README.md")]

use social_core::{
    Configure, Endpoint, ErrorKind, ProviderCx, Result, Stage, TokenIn, Tokens, Value, async_trait,
    http::HttpRequest,
};
use social_oauth2::{
    ClientAuth, Method, Pkce, TokenBody, client_request,
    oidc::{OidcBackend, OidcProvider, OidcSpec},
};

/// The backend name.
pub const NAME: &str = "twitch";
/// Twitch's OpenID Connect issuer; discovery lives under it.
pub const ISSUER: &str = "https://id.twitch.tv/oauth2";
/// Twitch's documented revocation endpoint, which its discovery document does not list; the
/// `REVOKE_TOKEN_URL` setting replaces it.
pub const REVOKE_URL: &str = "https://id.twitch.tv/oauth2/revoke";
/// The root of the Twitch API ("Helix"), the default of `SOCIAL_AUTH_TWITCH_API_URL`.
pub const HELIX_URL: &str = "https://api.twitch.tv/helix";
/// The `claims` authorization parameter (OpenID Connect Core 1.0 section 5.5): Twitch puts the
/// e-mail address, its verification and the login name in the ID token and the userinfo
/// answer only when they are asked for by name.
pub const CLAIMS: &str = concat!(
    r#"{"id_token":{"email":null,"email_verified":null,"preferred_username":null},"#,
    r#""userinfo":{"email":null,"email_verified":null,"picture":null,"#,
    r#""preferred_username":null,"updated_at":null}}"#,
);

/// Twitch's issuer and flags: endpoints and keys come from
/// `https://id.twitch.tv/oauth2/.well-known/openid-configuration`.
pub const SPEC: OidcSpec = OidcSpec {
    name: NAME,
    display_name: "Twitch",
    issuer: Some(ISSUER),
    // `user:read:email` lets the `email` claim through.
    default_scope: &["openid", "user:read:email"],
    // Twitch takes no PKCE, and its discovery document advertises none.
    pkce: Pkce::None,
    // The only method the discovery document lists: `client_secret_post`.
    client_auth: ClientAuth::Body,
    // The discovery document lists no revocation endpoint: Twitch's documented one serves.
    revoke: true,
    revoke_url: Some(REVOKE_URL),
    ..OidcSpec::DEFAULT
};

/// Twitch as an OpenID Connect provider: [`SPEC`], the `claims` parameter and Twitch's
/// revocation request.
#[derive(Debug, Clone, Copy, Default)]
pub struct Twitch;

/// The Twitch backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<Twitch> {
    OidcBackend::new(Twitch)
}

#[async_trait]
impl OidcProvider for Twitch {
    fn spec(&self) -> OidcSpec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        // The Helix root `helix_request` builds on, movable like every endpoint.
        cx.endpoints(&[Endpoint::API]);
        Ok(())
    }

    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        let _ = cx;
        Ok(vec![("claims".to_owned(), CLAIMS.to_owned())])
    }

    async fn revoke_tokens(
        &self,
        cx: &ProviderCx<'_>,
        endpoint: &str,
        auth: ClientAuth,
        tokens: &Tokens,
    ) -> Result<()> {
        // `/oauth2/revoke` takes the client id and the access token, and no secret.
        let _ = auth;
        let mut form = vec![
            ("client_id", cx.key()?.to_owned()),
            ("token", tokens.access_token.secret().to_owned()),
        ];
        let request = client_request(
            cx,
            ClientAuth::None,
            TokenBody::Form,
            Method::POST,
            endpoint,
            &mut form,
        )?;
        let what = "revocation endpoint";
        let response = cx.send(request, Stage::Token, what).await?;
        social_core::http::check_status(&response, Stage::Token, what, ErrorKind::TokenError)
    }
}

/// The Helix root of this backend: the `API_URL` setting, else [`HELIX_URL`].
pub fn helix_url<'a>(cx: &ProviderCx<'a>) -> &'a str {
    cx.endpoint(Endpoint::API, HELIX_URL)
}

/// A request to the Twitch API ("Helix") with both headers Helix requires: the user's
/// `access_token` as `Authorization: Bearer` and the backend's client id as `Client-Id`.
///
/// `path` is relative to [`helix_url`] (`users`, `/channels/followed?user_id=141981764`) or a
/// whole URL. Get `cx` with [`SocialAuth::provider_cx`](social_core::SocialAuth::provider_cx)
/// and the token from the stored account's extra data; send the request with
/// [`ProviderCx::json`] or [`helix_json`].
pub fn helix_request(
    cx: &ProviderCx<'_>,
    method: Method,
    path: &str,
    access_token: &str,
) -> Result<HttpRequest> {
    let url = if path.starts_with("https://") || path.starts_with("http://") {
        path.to_owned()
    } else {
        format!(
            "{}/{}",
            helix_url(cx).trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    };
    ProviderCx::api_request(method, &url, access_token, TokenIn::Bearer)
        .header("Client-Id", cx.key()?)
        .body(Vec::new())
        .map_err(|e| cx.config_error("api_url", format!("`{url}` is no Helix request URL: {e}")))
}

/// Sends [`helix_request`] and parses its JSON answer (Helix wraps results in `data`); a 4xx
/// answer is [`ErrorKind::ProviderRejected`].
pub async fn helix_json(
    cx: &ProviderCx<'_>,
    method: Method,
    path: &str,
    access_token: &str,
) -> Result<Value> {
    let request = helix_request(cx, method, path, access_token)?;
    cx.json(request, Stage::Profile, "Twitch API").await
}
