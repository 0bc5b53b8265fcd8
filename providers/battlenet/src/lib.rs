#![doc = include_str!("../README.md")]

use serde::Deserialize;
use social_core::{
    Configure, ProviderCx, Result, UserDetails, Value, async_trait, extra_data::ExtraDataField,
};
use social_oauth2::{
    TokenResponse,
    oidc::{OidcBackend, OidcProvider, OidcSpec, standard_details},
};

/// The backend name.
pub const NAME: &str = "battlenet";
/// The issuer of Battle.net accounts outside China (the Americas, Europe, Korea, Taiwan).
pub const ISSUER: &str = "https://oauth.battle.net";
/// The issuer of Battle.net accounts in China.
pub const CHINA_ISSUER: &str = "https://oauth.battlenet.com.cn";
/// The claim of the ID token that holds the BattleTag (`Name#1234`).
pub const BATTLE_TAG_CLAIM: &str = "battle_tag";

/// Where a Battle.net account lives, which decides the issuer: the `REGION` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Region {
    /// `global`: [`ISSUER`], for every account outside China (the default).
    #[default]
    Global,
    /// `cn`: [`CHINA_ISSUER`].
    China,
}

impl Region {
    /// The region of the setting's text, `global` or `cn` (any case), if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "global" => Some(Self::Global),
            "cn" => Some(Self::China),
            _ => None,
        }
    }

    /// The issuer discovery starts from.
    pub const fn issuer(self) -> &'static str {
        match self {
            Self::Global => ISSUER,
            Self::China => CHINA_ISSUER,
        }
    }
}

/// Battle.net's flags; the issuer is the one `REGION` picks ([`BattleNet::issuer`]),
/// [`ISSUER`] by default, and endpoints and keys come from
/// `<issuer>/.well-known/openid-configuration`.
pub const SPEC: OidcSpec = OidcSpec {
    name: NAME,
    display_name: "Battle.net",
    issuer: Some(ISSUER),
    // Battle.net shares no e-mail address or name: `openid` gives the id and BattleTag;
    // game scopes (`wow.profile`, `sc2.profile`, `d3.profile`) go in EXTRA_SCOPE.
    default_scope: &["openid"],
    // Its token answers carry no refresh token: access tokens live a day.
    refresh: false,
    // The discovery document lists `revocation_endpoint`.
    revoke: true,
    ..OidcSpec::DEFAULT
};

/// Battle.net as an OpenID Connect provider: [`SPEC`], the issuer of the `REGION` setting,
/// and the BattleTag as the username.
#[derive(Debug, Clone, Copy, Default)]
pub struct BattleNet;

/// The Battle.net backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<BattleNet> {
    OidcBackend::new(BattleNet)
}

/// The backend's own settings, as given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    region: Option<String>,
}

/// The BattleTag of `claims`: the ID token's `battle_tag`, else userinfo's `battletag`.
fn battle_tag(claims: &Value) -> Option<&str> {
    [BATTLE_TAG_CLAIM, "battletag"]
        .iter()
        .find_map(|name| claims.get(name).and_then(Value::as_str))
        .filter(|tag| !tag.trim().is_empty())
}

#[async_trait]
impl OidcProvider for BattleNet {
    fn spec(&self) -> OidcSpec {
        SPEC
    }

    /// The issuer of the `REGION` setting (`global`, the default, or `cn`); none when
    /// `OIDC_ENDPOINT` names the issuer, which `REGION` may then not be set beside.
    fn issuer(&self, cx: &mut Configure<'_>) -> Result<Option<String>> {
        let options: Options = cx.options()?;
        let region = match options.region.as_deref() {
            None => Region::Global,
            Some(text) => Region::parse(text).ok_or_else(|| {
                cx.error(
                    "region",
                    format!(
                        "`{text}` is not `global` or `cn` (accounts of the Americas, Europe, \
                         Korea and Taiwan all sign in at `global`)"
                    ),
                )
            })?,
        };
        let settings = cx.settings();
        let whole = settings
            .option("oidc_endpoint")
            .or_else(|| settings.endpoints.get("oidc_endpoint").cloned())
            .is_some_and(|issuer| !issuer.trim().is_empty());
        if !whole {
            return Ok(Some(region.issuer().to_owned()));
        }
        if options.region.is_some() {
            return Err(cx.error(
                "region",
                format!(
                    "is not used when {} names the issuer: set one or the other",
                    cx.setting_name("oidc_endpoint")
                ),
            ));
        }
        Ok(None)
    }

    async fn claims(
        &self,
        cx: &ProviderCx<'_>,
        token: &TokenResponse,
        mut claims: Value,
    ) -> Result<Value> {
        let _ = (cx, token);
        // One spelling for what follows, whichever answer carried the BattleTag.
        let tag = battle_tag(&claims).map(str::to_owned);
        if let (Some(tag), Some(all)) = (tag, claims.as_object_mut()) {
            all.insert(BATTLE_TAG_CLAIM.to_owned(), Value::String(tag));
        }
        Ok(claims)
    }

    fn user_details(&self, claims: &Value) -> UserDetails {
        // BattleTags hold a `#`: `AdaLovelace#1815`.
        standard_details(claims).username(battle_tag(claims))
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        vec![ExtraDataField::new(BATTLE_TAG_CLAIM).discard_if_falsy()]
    }
}
