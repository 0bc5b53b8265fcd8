#![doc = include_str!("../README.md")]

use serde::Deserialize;
use social_core::{
    AuthError, Configure, ErrorKind, ProviderCx, Result, Stage, Value, async_trait,
    extra_data::ExtraDataField,
};
use social_oauth2::{
    ClientAuth, Pkce, TokenResponse,
    oidc::{OidcBackend, OidcProvider, OidcSpec},
};

/// The backend name.
pub const NAME: &str = "slack";
/// Slack's OpenID Connect issuer; discovery lives under it.
pub const ISSUER: &str = "https://slack.com";
/// The claim naming the workspace (team) the user signed in with.
pub const TEAM_ID_CLAIM: &str = "https://slack.com/team_id";

/// Slack's issuer and flags: endpoints and keys come from
/// `https://slack.com/.well-known/openid-configuration`.
pub const SPEC: OidcSpec = OidcSpec {
    name: NAME,
    display_name: "Slack",
    issuer: Some(ISSUER),
    // PKCE is a per-app setting at Slack that turns the app into a public client for good;
    // the discovery document advertises no `code_challenge_methods_supported`.
    pkce: Pkce::None,
    // `openid.connect.token` documents `client_id` and `client_secret` as form arguments.
    client_auth: ClientAuth::Body,
    ..OidcSpec::DEFAULT
};

/// Sign in with Slack as an OpenID Connect provider: [`SPEC`], the `TEAM` restriction and
/// Slack's claims kept as extra data.
#[derive(Debug, Clone, Copy, Default)]
pub struct Slack;

/// The Slack backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<Slack> {
    OidcBackend::new(Slack)
}

/// The backend's own settings, as given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    team: Option<String>,
}

/// The workspace logins are restricted to, checked at start-up; `None` for any workspace.
#[derive(Debug, Clone, Default)]
struct Team(Option<String>);

/// Whether `id` looks like a Slack workspace or organization id (`T0123ABCD`, `E0123ABCD`).
fn is_team_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Refuses claims of a workspace other than `team`.
fn check_team(cx: &ProviderCx<'_>, team: &str, claims: &Value) -> Result<()> {
    let setting = cx.backend.setting_name(cx.name, "team");
    let refused = |details: String| {
        AuthError::new(ErrorKind::Forbidden, Stage::Profile, details).with_provider(cx.name)
    };
    match claims.get(TEAM_ID_CLAIM).and_then(Value::as_str) {
        Some(id) if id == team => Ok(()),
        Some(id) => Err(refused(format!(
            "the Slack workspace `{id}` is not the one {setting} allows (`{team}`)"
        ))),
        None => Err(refused(format!(
            "the claims name no Slack workspace (`{TEAM_ID_CLAIM}`), and {setting} requires `{team}`"
        ))),
    }
}

#[async_trait]
impl OidcProvider for Slack {
    fn spec(&self) -> OidcSpec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let options: Options = cx.options()?;
        let team = match options.team.as_deref().map(str::trim) {
            None => None,
            Some(id) if is_team_id(id) => Some(id.to_owned()),
            Some(id) => {
                return Err(cx.error(
                    "team",
                    format!("`{id}` is not a Slack workspace id, such as `T0123ABCD`"),
                ));
            }
        };
        cx.keep(Team(team));
        Ok(())
    }

    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        // Takes the user straight to that workspace; the claim is checked after login.
        Ok(cx
            .options::<Team>()
            .0
            .iter()
            .map(|team| ("team".to_owned(), team.clone()))
            .collect())
    }

    async fn claims(
        &self,
        cx: &ProviderCx<'_>,
        token: &TokenResponse,
        mut claims: Value,
    ) -> Result<Value> {
        let _ = token;
        // The `ok` of Slack's userinfo envelope is no claim.
        if let Some(all) = claims.as_object_mut() {
            all.remove("ok");
        }
        // The `team` parameter only preselects a workspace: the validated claim decides.
        if let Some(team) = &cx.options::<Team>().0 {
            check_team(cx, team, &claims)?;
        }
        Ok(claims)
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        vec![
            ExtraDataField::aliased(TEAM_ID_CLAIM, "team_id"),
            ExtraDataField::aliased("https://slack.com/user_id", "user_id"),
            ExtraDataField::aliased("https://slack.com/team_name", "team_name").discard_if_falsy(),
            ExtraDataField::aliased("https://slack.com/team_domain", "team_domain")
                .discard_if_falsy(),
            ExtraDataField::aliased("https://slack.com/enterprise_id", "enterprise_id")
                .discard_if_falsy(),
        ]
    }
}
