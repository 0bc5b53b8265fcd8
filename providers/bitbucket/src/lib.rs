#![doc = include_str!("../README.md")]

use serde::Deserialize;
use social_core::{
    AuthError, Configure, EmailVerified, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn,
    UserDetails, Value, async_trait,
};
use social_oauth2::{
    ClientAuth, Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse,
};

/// The backend name, as django-social-auth named it.
pub const NAME: &str = "bitbucket-oauth2";

/// The user call.
const USER_URL: &str = "{api_url}/user";
/// The user's e-mail addresses, confirmed or not (a paginated list).
const EMAILS_URL: &str = "{api_url}/user/emails";
/// How many pages of addresses are read at most.
const MAX_EMAIL_PAGES: usize = 10;

/// Bitbucket Cloud's endpoints, flags and mapping. `API_URL` moves the REST API root
/// (`https://api.bitbucket.org/2.0`); the user-data hook of [`Bitbucket`] adds the e-mail
/// address from a second call.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Bitbucket",
    api_url: Some("https://api.bitbucket.org/2.0"),
    authorization_url: "https://bitbucket.org/site/oauth2/authorize",
    token_url: "https://bitbucket.org/site/oauth2/access_token",
    pkce: Pkce::None,
    client_auth: ClientAuth::Basic,
    refresh: true,
    profile: Some(ProfileCall::get(USER_URL, TokenIn::Bearer)),
    mapping: Mapping {
        uid: "/uuid",
        username: Some("/username"),
        // Both set by `Bitbucket::user_data` from the address list.
        email: Some("/email"),
        email_verified: EmailVerified::At("/email_verified"),
        fullname: Some("/display_name"),
        picture: Some("/links/avatar/href"),
        profile_url: Some("/links/html/href"),
        extra_data: &["account_id", "nickname", "scopes"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Bitbucket Cloud as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Bitbucket;

/// The `bitbucket-oauth2` backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<Bitbucket> {
    OAuth2Backend::new(Bitbucket)
}

/// Bitbucket's own setting: `VERIFIED_EMAILS_ONLY`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    /// Refuse an account without a confirmed address (django-social-auth's setting).
    verified_emails_only: bool,
}

fn profile_error(kind: ErrorKind, details: impl Into<String>) -> AuthError {
    AuthError::new(kind, Stage::Profile, details)
}

/// `GET url` with the bearer token, parsed as a JSON object. Rate limits (429) and server
/// errors make Bitbucket unavailable, other 4xx answers are refusals; `hint` ends the message
/// of a 401 or 403.
async fn get_object(
    cx: &ProviderCx<'_>,
    url: &str,
    token: &str,
    what: &str,
    hint: &str,
) -> Result<Value> {
    let request = ProviderCx::api_request(Method::GET, url, token, TokenIn::Bearer)
        .body(Vec::new())
        .map_err(|e| cx.config_error("api_url", format!("not a valid URL: {e}")))?;
    let response = cx.send(request, Stage::Profile, what).await?;
    let status = response.status();
    if !status.is_success() {
        let kind = if status.as_u16() == 429 || status.is_server_error() {
            ErrorKind::ProviderUnavailable
        } else {
            ErrorKind::ProviderRejected
        };
        let hint = if matches!(status.as_u16(), 401 | 403) {
            hint
        } else {
            ""
        };
        return Err(profile_error(
            kind,
            format!(
                "{what} answered {status}: {}{hint}",
                social_core::http::body_excerpt(response.body())
            ),
        ));
    }
    let value: Value = social_core::http::parse_json(response.body(), Stage::Profile, what)?;
    if !value.is_object() {
        return Err(profile_error(
            ErrorKind::InvalidResponse,
            format!("{what} did not answer a JSON object"),
        ));
    }
    Ok(value)
}

/// Whether `next` (a page link Bitbucket gave) is on the same origin as `first`: the token
/// goes nowhere else.
fn same_origin(first: &str, next: &str) -> bool {
    match (url::Url::parse(first), url::Url::parse(next)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// The address to keep and whether it is confirmed: the primary one when confirmed, else the
/// first confirmed one, else the unconfirmed primary one.
fn choose_email(addresses: &[Value]) -> Option<(String, bool)> {
    let text = |a: &Value| {
        a["email"]
            .as_str()
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
    };
    let confirmed = |a: &&Value| a["is_confirmed"] == true && text(a).is_some();
    let primary = addresses
        .iter()
        .find(|a| a["is_primary"] == true && text(a).is_some());
    match primary {
        Some(p) if confirmed(&p) => text(p).map(|e| (e, true)),
        _ => addresses
            .iter()
            .find(confirmed)
            .and_then(|a| text(a).map(|e| (e, true)))
            .or_else(|| primary.and_then(text).map(|e| (e, false))),
    }
}

impl Bitbucket {
    /// Every address of the user, following the `next` links of the list on its own origin.
    async fn addresses(&self, cx: &ProviderCx<'_>, token: &str) -> Result<Vec<Value>> {
        let what = "e-mail address list";
        let first = SPEC.expand(cx.backend, EMAILS_URL);
        let mut next = Some(first.clone());
        let mut all = Vec::new();
        for _ in 0..MAX_EMAIL_PAGES {
            let Some(url) = next.take() else { break };
            let page = get_object(
                cx,
                &url,
                token,
                what,
                " (the OAuth consumer needs the Email permission)",
            )
            .await?;
            let Some(values) = page["values"].as_array() else {
                return Err(profile_error(
                    ErrorKind::InvalidResponse,
                    format!("{what} has no `values`"),
                ));
            };
            all.extend(values.iter().cloned());
            next = page["next"]
                .as_str()
                .filter(|link| same_origin(&first, link))
                .map(str::to_owned);
        }
        Ok(all)
    }
}

#[async_trait]
impl OAuth2Provider for Bitbucket {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.options::<Options>().map(drop)
    }

    /// `GET /user`, then `GET /user/emails`: the chosen address and whether it is confirmed
    /// become `email` and `email_verified` of the user data. Either call failing fails the
    /// login.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let access = token.access_token();
        let url = SPEC.expand(cx.backend, USER_URL);
        let mut user = get_object(
            cx,
            &url,
            access,
            "user API",
            " (the OAuth consumer needs the Account permission)",
        )
        .await?;
        let chosen = choose_email(&self.addresses(cx, access).await?);
        if cx.options::<Options>().verified_emails_only && !chosen.as_ref().is_some_and(|c| c.1) {
            return Err(profile_error(
                ErrorKind::Forbidden,
                "the Bitbucket account has no confirmed e-mail address (VERIFIED_EMAILS_ONLY)",
            ));
        }
        if let Some(object) = user.as_object_mut() {
            object.remove("email");
            object.insert("email_verified".into(), Value::Bool(false));
            if let Some((email, confirmed)) = chosen {
                object.insert("email".into(), Value::String(email));
                object.insert("email_verified".into(), Value::Bool(confirmed));
            }
        }
        Ok(user)
    }

    /// The mapping's details; the `nickname` is the username when the user data has no
    /// `username` (Bitbucket stopped giving it in many answers).
    fn user_details(&self, user: &Value) -> UserDetails {
        let details = SPEC.mapping.user_details(user);
        if details.username.is_some() {
            return details;
        }
        let nickname = user["nickname"].as_str();
        details.username(nickname)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use social_core::serde_json;

    fn address(email: &str, primary: bool, confirmed: bool) -> Value {
        serde_json::json!({"email": email, "is_primary": primary, "is_confirmed": confirmed})
    }

    #[test]
    fn the_confirmed_primary_address_wins() {
        let list = [
            address("old@example.com", false, true),
            address("main@example.com", true, true),
        ];
        assert_eq!(choose_email(&list), Some(("main@example.com".into(), true)));
    }

    #[test]
    fn a_confirmed_address_wins_over_an_unconfirmed_primary_one() {
        let list = [
            address("new@example.com", true, false),
            address("old@example.com", false, true),
        ];
        assert_eq!(choose_email(&list), Some(("old@example.com".into(), true)));
    }

    #[test]
    fn without_a_confirmed_address_the_primary_one_is_unverified() {
        let list = [
            address("other@example.com", false, false),
            address("main@example.com", true, false),
        ];
        assert_eq!(
            choose_email(&list),
            Some(("main@example.com".into(), false))
        );
        assert_eq!(
            choose_email(&[address("x@example.com", false, false)]),
            None
        );
        assert_eq!(choose_email(&[]), None);
    }

    #[test]
    fn page_links_are_followed_on_the_same_origin_only() {
        let first = "https://api.bitbucket.org/2.0/user/emails";
        assert!(same_origin(
            first,
            "https://api.bitbucket.org/2.0/user/emails?page=2"
        ));
        assert!(!same_origin(
            first,
            "https://evil.example/2.0/user/emails?page=2"
        ));
        assert!(!same_origin(
            first,
            "http://api.bitbucket.org/2.0/user/emails?page=2"
        ));
        assert!(!same_origin(first, "not a URL"));
    }
}
