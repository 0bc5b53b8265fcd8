#![doc = include_str!("../README.md")]

use serde::Deserialize;
use social_core::{
    AuthError, Configure, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, Value,
    async_trait,
};
use social_oauth2::{
    ClientAuth, Method, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse,
};

/// The backend name.
pub const NAME: &str = "wechat";

/// Where [`WeChat::user_data`] puts the id it chose (`openid` or `unionid`, as the `UID`
/// setting says) in the user data, for the mapping to read.
pub const UID_KEY: &str = "social_auth_uid";

/// The user-info call: `openid` is added from the token answer, the access token goes in the
/// query as `access_token`.
const USERINFO: &str = "{api_url}/sns/userinfo";

/// WeChat website login (QR code): endpoints, flags and mapping. `API_URL` moves the API host
/// (the token and user-info calls); the hooks of [`WeChat`] add what data cannot say.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "WeChat",
    api_url: Some("https://api.weixin.qq.com"),
    // The base puts the query before the fragment, which WeChat requires.
    authorization_url: "https://open.weixin.qq.com/connect/qrconnect#wechat_redirect",
    token_url: "{api_url}/sns/oauth2/access_token",
    default_scope: &["snsapi_login"],
    scope_separator: ",",
    pkce: Pkce::None,
    client_auth: ClientAuth::BodyAs {
        id: "appid",
        secret: "secret",
    },
    token_method: Method::GET,
    // WeChat refreshes with a GET; the base refreshes with a POST body.
    refresh: false,
    profile: Some(ProfileCall::get(USERINFO, TokenIn::Query("access_token"))),
    mapping: Mapping {
        uid: "/social_auth_uid",
        username: Some("/nickname"),
        picture: Some("/headimgurl"),
        extra_data: &["openid", "unionid"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// Which WeChat id becomes the account's uid (setting `UID`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub enum Uid {
    /// `openid`: the user's id within this one application (the default).
    #[default]
    #[serde(rename = "openid")]
    OpenId,
    /// `unionid`: the user's id across the applications of one Open Platform account; WeChat
    /// gives it only to applications bound to such an account.
    #[serde(rename = "unionid")]
    UnionId,
}

impl Uid {
    /// The field of WeChat's answers that holds this id.
    pub fn field(self) -> &'static str {
        match self {
            Self::OpenId => "openid",
            Self::UnionId => "unionid",
        }
    }
}

/// WeChat's own settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct Options {
    /// `openid` (default) or `unionid`.
    uid: Uid,
}

/// WeChat as an OAuth 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct WeChat;

/// The WeChat backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<WeChat> {
    OAuth2Backend::new(WeChat)
}

/// The error WeChat put in an answer with status 200 (`errcode` other than 0), if any.
fn wechat_error(answer: &Value) -> Option<String> {
    let code = answer.get("errcode")?;
    if code.as_i64() == Some(0) {
        return None;
    }
    let message: String = answer["errmsg"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    Some(format!("errcode {code}: {message}"))
}

/// The non-empty text at `key` of `object`.
fn text<'v>(object: &'v Value, key: &str) -> Option<&'v str> {
    object[key].as_str().filter(|s| !s.trim().is_empty())
}

fn invalid(details: String) -> AuthError {
    AuthError::new(ErrorKind::InvalidResponse, Stage::Profile, details)
}

#[async_trait]
impl OAuth2Provider for WeChat {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        let _: Options = cx.options()?;
        Ok(())
    }

    /// `GET /sns/userinfo?openid=...&access_token=...`, the `openid` coming from the token
    /// answer. WeChat answers errors with status 200 and `errcode`; they refuse the login.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let raw = Value::Object(token.raw.clone());
        let Some(openid) = text(&raw, "openid") else {
            return Err(invalid("the token answer has no `openid`".into()));
        };
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("openid", openid)
            .finish();
        let url = format!("{}?{query}", SPEC.expand(cx.backend, USERINFO));
        let mut user: Value = cx
            .api_json(
                Method::GET,
                &url,
                token.access_token(),
                TokenIn::Query("access_token"),
            )
            .await?;
        if let Some(error) = wechat_error(&user) {
            return Err(AuthError::new(
                ErrorKind::ProviderRejected,
                Stage::Profile,
                format!("WeChat refused the user-info call: {error}"),
            ));
        }
        if text(&user, "openid").is_some_and(|id| id != openid) {
            return Err(invalid(
                "the user info is about another `openid` than the token".into(),
            ));
        }
        let field = cx.options::<Options>().uid.field();
        let uid = text(&user, field)
            .or_else(|| text(&raw, field))
            .map(str::to_owned);
        let Some(uid) = uid else {
            return Err(invalid(format!(
                "WeChat gave no `{field}`, which the `UID` setting makes the uid \
                 (WeChat gives `unionid` only to applications bound to an Open Platform account)"
            )));
        };
        if let Some(object) = user.as_object_mut() {
            object.insert(UID_KEY.into(), Value::String(uid));
        }
        Ok(user)
    }
}
