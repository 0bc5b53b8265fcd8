#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, Value, async_trait,
};
use social_oauth2::{OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse};

/// Gitea, on gitea.com or any self-hosted instance (`BASE_URL`): a provider that is only data.
pub const GITEA: OAuth2Spec = OAuth2Spec {
    name: "gitea",
    base_url: Some("https://gitea.com"),
    authorization_url: "{base_url}/login/oauth/authorize",
    token_url: "{base_url}/login/oauth/access_token",
    default_scope: &["read:user"],
    refresh: true,
    profile: Some(ProfileCall::get("{base_url}/api/v1/user", TokenIn::Bearer)),
    mapping: Mapping {
        username: Some("/login"),
        email: Some("/email"),
        fullname: Some("/full_name"),
        picture: Some("/avatar_url"),
        extra_data: &["login"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The Gitea backend.
pub fn gitea() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(GITEA)
}

/// Disqus: the spec says most of it; a hook adds the application keys to the profile call
/// and reads the error code Disqus puts in its answers.
pub const DISQUS: OAuth2Spec = OAuth2Spec {
    name: "disqus",
    authorization_url: "https://disqus.com/api/oauth/2.0/authorize/",
    token_url: "https://disqus.com/api/oauth/2.0/access_token/",
    default_scope: &["read", "email"],
    scope_separator: ",",
    pkce: Pkce::None,
    refresh: true,
    profile: Some(ProfileCall::get(
        "https://disqus.com/api/3.0/users/details.json",
        TokenIn::Query("access_token"),
    )),
    mapping: Mapping {
        uid: "/response/id",
        username: Some("/response/username"),
        email: Some("/response/email"),
        fullname: Some("/response/name"),
        picture: Some("/response/avatar/permalink"),
        profile_url: Some("/response/profileUrl"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Disqus with its hooks; register it with [`disqus`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Disqus;

/// The Disqus backend.
pub fn disqus() -> OAuth2Backend<Disqus> {
    OAuth2Backend::new(Disqus)
}

#[async_trait]
impl OAuth2Provider for Disqus {
    fn spec(&self) -> OAuth2Spec {
        DISQUS
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let base = cx.endpoint(
            Endpoint::API,
            "https://disqus.com/api/3.0/users/details.json",
        );
        let mut url = url::Url::parse(base).map_err(|e| cx.config_error("api_url", e))?;
        // The API wants the application's keys with the user's token on every call.
        url.query_pairs_mut()
            .append_pair("api_key", cx.key()?)
            .append_pair("api_secret", cx.secret()?);
        let answer: Value = cx
            .api_json(
                http::Method::GET,
                url.as_str(),
                token.access_token(),
                TokenIn::Query("access_token"),
            )
            .await?;
        match answer["code"].as_i64() {
            Some(0) => Ok(answer),
            // 5: invalid API key or token, 12: not authorized, 13: rate limited.
            Some(code) => Err(AuthError::new(
                if code == 13 {
                    ErrorKind::ProviderUnavailable
                } else {
                    ErrorKind::ProviderRejected
                },
                Stage::Profile,
                format!("Disqus answered error {code}: {}", answer["response"]),
            )),
            None => Err(AuthError::new(
                ErrorKind::InvalidResponse,
                Stage::Profile,
                "Disqus answered no `code`",
            )),
        }
    }
}
