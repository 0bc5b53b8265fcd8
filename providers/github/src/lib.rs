#![doc = include_str!("../README.md")]

use serde::Deserialize;
use social_core::{
    AuthError, Configure, EmailVerified, Endpoint, ErrorKind, Mapping, ProviderCx, Result, Stage,
    TokenIn, Tokens, Value, async_trait,
};
use social_oauth2::{OAuth2Backend, OAuth2Provider, OAuth2Spec, ProfileCall, TokenResponse};

/// The backend name.
pub const NAME: &str = "github";

/// The setting that moves every endpoint to a GitHub Enterprise Server: `ENTERPRISE_URL`.
pub const ENTERPRISE_URL: Endpoint = Endpoint::new("enterprise_url");

/// GitHub's endpoints, flags and mapping. The user-data hook adds the verified e-mail.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "GitHub",
    base_url: Some("https://github.com"),
    base_setting: ENTERPRISE_URL,
    api_url: Some("https://api.github.com"),
    hosted_api_url: Some("{base_url}/api/v3"),
    authorization_url: "{base_url}/login/oauth/authorize",
    token_url: "{base_url}/login/oauth/access_token",
    revoke_url: Some("{api_url}/applications/{client_id}/token"),
    default_scope: &["read:user", "user:email"],
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/user", TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/id",
        username: Some("/login"),
        email: Some("/email"),
        email_verified: EmailVerified::At("/email_verified"),
        fullname: Some("/name"),
        picture: Some("/avatar_url"),
        profile_url: Some("/html_url"),
        extra_data: &["login", "id"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// GitHub as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GitHub;

/// The GitHub backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<GitHub> {
    OAuth2Backend::new(GitHub)
}

/// Who may log in: `ORGANIZATION` and `TEAM_ID`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    organization: Option<String>,
    team_id: Option<u64>,
}

impl GitHub {
    async fn check_membership(
        &self,
        cx: &ProviderCx<'_>,
        options: &Options,
        token: &str,
        login: &str,
    ) -> Result<()> {
        let api = SPEC.expand(cx.backend, "{api_url}");
        let forbidden = |what: String| AuthError::new(ErrorKind::Forbidden, Stage::Profile, what);
        if let Some(org) = &options.organization {
            // 204: member; 302 or 404: not a member (or not visible to this token).
            let url = format!("{api}/orgs/{org}/members/{login}");
            let response = api_get(cx, &url, token, "organization membership").await?;
            match response.status().as_u16() {
                204 => {}
                302 | 404 => {
                    return Err(forbidden(format!("`{login}` is not a member of `{org}`")));
                }
                _ => {
                    social_core::http::check_status(
                        &response,
                        Stage::Profile,
                        "organization membership",
                        ErrorKind::ProviderRejected,
                    )?;
                    return Err(forbidden(format!(
                        "unexpected membership answer {}",
                        response.status()
                    )));
                }
            }
        }
        if let Some(team) = options.team_id {
            let url = format!("{api}/teams/{team}/memberships/{login}");
            let response = api_get(cx, &url, token, "team membership").await?;
            if response.status().as_u16() == 404 {
                return Err(forbidden(format!(
                    "`{login}` is not a member of team {team}"
                )));
            }
            social_core::http::check_status(
                &response,
                Stage::Profile,
                "team membership",
                ErrorKind::ProviderRejected,
            )?;
            let membership: Value =
                social_core::http::parse_json(response.body(), Stage::Profile, "team membership")?;
            if membership["state"] != "active" {
                return Err(forbidden(format!(
                    "`{login}`'s membership of team {team} is not active"
                )));
            }
        }
        Ok(())
    }
}

/// A GET of the REST API whose status the caller reads itself (membership answers 204/404).
async fn api_get(
    cx: &ProviderCx<'_>,
    url: &str,
    token: &str,
    what: &str,
) -> Result<social_core::http::HttpResponse> {
    let request = http::Request::get(url)
        .header(http::header::ACCEPT, "application/vnd.github+json")
        .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Vec::new())
        .map_err(|e| cx.config_error(ENTERPRISE_URL.setting(), e))?;
    cx.send(request, Stage::Profile, what).await
}

#[async_trait]
impl OAuth2Provider for GitHub {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.options::<Options>().map(drop)
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let mut user = social_oauth2::profile(cx, &SPEC, token).await?;
        let access = token.access_token();
        // The profile shows only a public e-mail, unverified as far as it says: ask for the
        // account's addresses (needs `user:email`; without it, keep the profile as is).
        let url = SPEC.expand(cx.backend, "{api_url}/user/emails");
        let emails: Vec<Value> = match cx
            .api_json::<Vec<Value>>(http::Method::GET, &url, access, TokenIn::Bearer)
            .await
        {
            Ok(emails) => emails,
            Err(e) if e.kind() == ErrorKind::ProviderRejected => Vec::new(),
            Err(e) => return Err(e),
        };
        let verified = |e: &&Value| e["verified"] == true;
        let chosen = match user["email"].as_str() {
            Some(email) => emails
                .iter()
                .filter(verified)
                .find(|e| e["email"] == email)
                .map(|_| email.to_owned()),
            None => None,
        }
        .or_else(|| {
            emails
                .iter()
                .filter(verified)
                .find(|e| e["primary"] == true)
                .and_then(|e| e["email"].as_str().map(str::to_owned))
        });
        if let Some(object) = user.as_object_mut() {
            if let Some(email) = chosen {
                object.insert("email".into(), Value::String(email));
                object.insert("email_verified".into(), Value::Bool(true));
            } else {
                object.insert("email_verified".into(), Value::Bool(false));
            }
        }
        let options = cx.options::<Options>();
        if options.organization.is_some() || options.team_id.is_some() {
            let login = user["login"].as_str().unwrap_or_default().to_owned();
            self.check_membership(cx, &options, access, &login).await?;
        }
        Ok(user)
    }

    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        use base64::Engine as _;
        let (key, secret) = (cx.key()?, cx.secret()?);
        let url = self.endpoint(
            cx.backend,
            Endpoint::REVOKE_TOKEN,
            SPEC.revoke_url.unwrap_or_default(),
        );
        let url = url.replace("{client_id}", key);
        let body = serde_json::json!({ "access_token": tokens.access_token.secret() }).to_string();
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"));
        let request = http::Request::delete(&url)
            .header(http::header::ACCEPT, "application/vnd.github+json")
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::AUTHORIZATION, format!("Basic {credentials}"))
            .body(body.into_bytes())
            .map_err(|e| cx.config_error(Endpoint::REVOKE_TOKEN.setting(), e))?;
        let response = cx.send(request, Stage::Token, "token revocation").await?;
        social_core::http::check_status(
            &response,
            Stage::Token,
            "token revocation",
            ErrorKind::TokenError,
        )
    }
}
