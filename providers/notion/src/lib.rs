#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, Tokens, Value, async_trait,
    http::check_status,
};
use social_oauth2::{
    ClientAuth, Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, TokenBody, TokenResponse,
    client_request,
};

/// The backend name.
pub const NAME: &str = "notion";

/// The `Notion-Version` this backend sends to Notion's revocation endpoint.
pub const NOTION_VERSION: &str = "2025-09-03";

/// Notion's endpoints, flags and mapping. Notion has no user-info call for this: the token
/// answer names the user who authorized the integration (`owner.user`), and the mapping
/// reads it there. `BASE_URL` moves every endpoint (`https://api.notion.com` by default).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Notion",
    base_url: Some("https://api.notion.com"),
    authorization_url: "{base_url}/v1/oauth/authorize",
    token_url: "{base_url}/v1/oauth/token",
    revoke_url: Some("{base_url}/v1/oauth/revoke"),
    // Capabilities are chosen on the integration, not asked for with scopes.
    default_scope: &[],
    // Ask for an authorization owned by the user, the only kind that names one.
    auth_params: &[("owner", "user")],
    pkce: Pkce::None,
    client_auth: ClientAuth::Basic,
    token_body: TokenBody::Json,
    refresh: true,
    profile: None,
    mapping: Mapping {
        uid: "/owner/user/id",
        email: Some("/owner/user/person/email"),
        fullname: Some("/owner/user/name"),
        picture: Some("/owner/user/avatar_url"),
        extra_data: &["workspace_id", "workspace_name", "bot_id"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Fields of the token answer that are secrets, left out of the user data.
const SECRETS: &[&str] = &["access_token", "refresh_token", "id_token"];

/// Notion as an OAuth 2.0 provider: [`SPEC`], the user read from the token answer, and
/// Notion's JSON revocation; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Notion;

/// The Notion backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Notion> {
    OAuth2Backend::new(Notion)
}

#[async_trait]
impl OAuth2Provider for Notion {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    /// The token answer itself, without its tokens: it holds the user (`owner.user`) and the
    /// workspace. No request is made. An authorization owned by the workspace names no user
    /// and is refused.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let _ = cx;
        let owner_type = token
            .raw
            .get("owner")
            .and_then(|owner| owner.get("type"))
            .and_then(Value::as_str);
        if owner_type != Some("user") {
            let said = owner_type.map_or_else(
                || "no `owner.type`".to_owned(),
                |t| {
                    format!(
                        "`owner.type` = {:?}",
                        t.chars().take(40).collect::<String>()
                    )
                },
            );
            return Err(AuthError::new(
                ErrorKind::Failed,
                Stage::Profile,
                format!(
                    "Notion's token answer has {said}: the authorization is not owned by a \
                     user, so it names nobody to log in (only `owner=user` authorizations do)"
                ),
            ));
        }
        let mut user = token.raw.clone();
        user.retain(|key, _| !SECRETS.contains(&key.as_str()));
        Ok(Value::Object(user))
    }

    /// `POST /v1/oauth/revoke` with `{"token": ...}` as JSON, the client credentials as HTTP
    /// Basic and the `Notion-Version` header, as Notion's API reference gives it.
    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        let default = SPEC.revoke_url.unwrap_or_default();
        let url = self.endpoint(cx.backend, Endpoint::REVOKE_TOKEN, default);
        let mut body = vec![("token", tokens.access_token.secret().to_owned())];
        let mut request = client_request(
            cx,
            ClientAuth::Basic,
            TokenBody::Json,
            Method::POST,
            &url,
            &mut body,
        )?;
        request.headers_mut().insert(
            "notion-version",
            http::HeaderValue::from_static(NOTION_VERSION),
        );
        let what = "revocation endpoint";
        let response = cx.send(request, Stage::Token, what).await?;
        check_status(&response, Stage::Token, what, ErrorKind::TokenError)
    }
}
