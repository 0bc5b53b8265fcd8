#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, BackendSettings, ErrorKind, ProviderCx, Result, Stage, Tokens, UserDetails, Value,
    async_trait,
    extra_data::ExtraDataField,
    oauth2::{OAuth2Backend, OAuth2Provider, OAuth2Spec, TokenResponse},
};

/// The backend name.
pub const NAME: &str = "github";
const API_URL: &str = "https://api.github.com";

/// GitHub as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GitHub;

/// The GitHub backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<GitHub> {
    OAuth2Backend::new(GitHub)
}

fn enterprise(settings: &BackendSettings) -> Option<String> {
    settings
        .option("enterprise_url")
        .map(|u| u.trim_end_matches('/').to_owned())
}

impl GitHub {
    fn api(&self, settings: &BackendSettings) -> String {
        let default = enterprise(settings)
            .map_or_else(|| API_URL.to_owned(), |base| format!("{base}/api/v3"));
        self.endpoint(settings, "api_url", &default)
            .trim_end_matches('/')
            .to_owned()
    }

    async fn check_membership(&self, cx: &ProviderCx<'_>, token: &str, login: &str) -> Result<()> {
        let api = self.api(cx.backend);
        let forbidden = |what: String| AuthError::new(ErrorKind::Forbidden, Stage::Profile, what);
        if let Some(org) = cx.backend.option("organization") {
            // 204: member; 302 or 404: not a member (or not visible to this token).
            let url = format!("{api}/orgs/{org}/members/{login}");
            let response =
                api_get(cx, &url, token, "organization", "organization membership").await?;
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
        if let Some(team) = cx.backend.option("team_id") {
            let url = format!("{api}/teams/{team}/memberships/{login}");
            let response = api_get(cx, &url, token, "team_id", "team membership").await?;
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

/// A GET of the REST API whose status the caller reads itself (membership answers 204/404);
/// `setting` names what built the URL when it is not a valid one.
async fn api_get(
    cx: &ProviderCx<'_>,
    url: &str,
    token: &str,
    setting: &str,
    what: &str,
) -> Result<social_core::http::HttpResponse> {
    let request = http::Request::get(url)
        .header(http::header::ACCEPT, "application/vnd.github+json")
        .header(http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Vec::new())
        .map_err(|e| {
            AuthError::config(&social_core::settings::env_name(Some(cx.name), setting), e)
        })?;
    cx.send(request, Stage::Profile, what).await
}

#[async_trait]
impl OAuth2Provider for GitHub {
    const NAME: &'static str = NAME;

    fn spec(&self) -> OAuth2Spec {
        OAuth2Spec {
            authorization_url: "https://github.com/login/oauth/authorize",
            token_url: "https://github.com/login/oauth/access_token",
            revoke_url: Some("https://api.github.com/applications/{client_id}/token"),
            default_scope: &["read:user", "user:email"],
            refresh: true,
            ..OAuth2Spec::DEFAULT
        }
    }

    fn endpoint(&self, settings: &BackendSettings, name: &str, default: &str) -> String {
        if let Some(url) = settings.endpoints.get(name) {
            return url.clone();
        }
        match (enterprise(settings), name) {
            (Some(base), "authorization_url") => format!("{base}/login/oauth/authorize"),
            (Some(base), "access_token_url") => format!("{base}/login/oauth/access_token"),
            (Some(base), "revoke_token_url") => {
                format!("{base}/api/v3/applications/{{client_id}}/token")
            }
            _ => default.to_owned(),
        }
    }

    fn validate(&self, name: &str, settings: &BackendSettings) -> Result<()> {
        if let Some(team) = settings.option("team_id")
            && team.parse::<u64>().is_err()
        {
            return Err(AuthError::config(
                &social_core::settings::env_name(Some(name), "team_id"),
                format!("`{team}` is not a numeric team id"),
            ));
        }
        Ok(())
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let api = self.api(cx.backend);
        let access = token.access_token();
        let mut user: Value = cx.get_json(&format!("{api}/user"), Some(access)).await?;
        // The profile shows only a public e-mail, unverified as far as it says: ask for the
        // account's addresses (needs `user:email`; without it, keep the profile as is).
        let emails: Vec<Value> = match cx
            .get_json::<Vec<Value>>(&format!("{api}/user/emails"), Some(access))
            .await
        {
            Ok(emails) => emails,
            Err(e) if e.kind() == ErrorKind::ProviderRejected => Vec::new(),
            Err(e) => return Err(e),
        };
        let verified = |e: &&Value| e["verified"] == true;
        let profile_email = user["email"].as_str().map(str::to_owned);
        let chosen = match profile_email {
            Some(email) => emails
                .iter()
                .filter(verified)
                .find(|e| e["email"] == email.as_str())
                .map(|_| email),
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
        if cx.backend.option("organization").is_some() || cx.backend.option("team_id").is_some() {
            let login = user["login"].as_str().unwrap_or_default().to_owned();
            self.check_membership(cx, access, &login).await?;
        }
        Ok(user)
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        UserDetails::new()
            .username(user["login"].as_str())
            .email(user["email"].as_str())
            .email_verified(user["email_verified"] == true)
            .fullname(user["name"].as_str())
            .picture(user["avatar_url"].as_str())
            .profile_url(user["html_url"].as_str())
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        vec![ExtraDataField::new("login"), ExtraDataField::new("id")]
    }

    async fn revoke(&self, cx: &ProviderCx<'_>, tokens: &Tokens) -> Result<()> {
        use base64::Engine as _;
        let (key, secret) = (cx.key()?, cx.secret()?);
        let default = format!("{API_URL}/applications/{{client_id}}/token");
        let url = self
            .endpoint(cx.backend, "revoke_token_url", &default)
            .replace("{client_id}", key);
        let body = serde_json::json!({ "access_token": tokens.access_token.secret() }).to_string();
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"));
        let request = http::Request::delete(&url)
            .header(http::header::ACCEPT, "application/vnd.github+json")
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::AUTHORIZATION, format!("Basic {credentials}"))
            .body(body.into_bytes())
            .map_err(|e| AuthError::config("SOCIAL_AUTH_GITHUB_REVOKE_TOKEN_URL", e))?;
        let response = cx.send(request, Stage::Token, "token revocation").await?;
        social_core::http::check_status(
            &response,
            Stage::Token,
            "token revocation",
            ErrorKind::TokenError,
        )
    }
}
