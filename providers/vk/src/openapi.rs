//! The VK Open API session (`vk-openapi`): not OAuth. VK's JavaScript Open API logs the user
//! in in the browser and keeps a session signed with the application secret in the cookie
//! `vk_app_<app id>`; the server checks the signature.

use std::collections::BTreeMap;

use social_core::{
    AuthError, AuthResponse, Backend, BackendCx, Capabilities, Configure, ErrorKind, Flow,
    Protocol, Result, Stage, UserDetails, Value, async_trait, extra_data, serde_json::json,
    strategy::required_param,
};

use crate::{OPENAPI_NAME, api::is_digits, sign};

/// The session fields VK signs, in the order of the signed string.
const SIGNED: [&str; 4] = ["expire", "mid", "secret", "sid"];

/// The VK Open API session check; register it with [`crate::openapi`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VkOpenApi;

/// The cookie (and request parameter) holding the session of application `app_id`.
fn session_name(app_id: &str) -> String {
    format!("vk_app_{app_id}")
}

fn failed(details: impl Into<String>) -> AuthError {
    AuthError::new(ErrorKind::Failed, Stage::Callback, details)
}

/// The session's fields (`expire`, `mid`, `secret`, `sid`, `sig`), URL-decoded; each once.
fn parse_session(name: &str, value: &str) -> Result<BTreeMap<String, String>> {
    let mut fields = BTreeMap::new();
    for (key, value) in url::form_urlencoded::parse(value.as_bytes()) {
        if fields
            .insert(key.clone().into_owned(), value.into_owned())
            .is_some()
        {
            return Err(failed(format!("`{name}` gives `{key}` twice")));
        }
    }
    for key in SIGNED.iter().chain(&["sig"]) {
        if fields.get(*key).is_none_or(String::is_empty) {
            return Err(AuthError::missing_parameter(
                Stage::Callback,
                &format!("{name}: {key}"),
            ));
        }
    }
    Ok(fields)
}

#[async_trait]
impl Backend for VkOpenApi {
    fn name(&self) -> &str {
        OPENAPI_NAME
    }

    fn display_name(&self) -> &str {
        "VK Open API"
    }

    fn protocol(&self) -> Protocol {
        Protocol::new("vk-openapi", "VK Open API session")
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
    }

    /// Needs the application id (`KEY`, digits: it names the cookie) and its secret key
    /// (`SECRET`), which signs the session.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.require_key_and_secret()?;
        let key = cx.settings().key.clone().unwrap_or_default();
        if !is_digits(&key) {
            return Err(cx.error("key", "is not a VK application id (digits)"));
        }
        Ok(())
    }

    /// No provider redirect: the browser already holds the session, so it goes straight to
    /// the callback, which checks it.
    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        Ok(Flow::Redirect(cx.redirect_uri()))
    }

    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let pcx = &cx.provider;
        let name = session_name(pcx.key()?);
        // Strategies offer no cookies: the page forwards the cookie's value under its name.
        let raw = required_param(cx.strategy, &name, Stage::Callback)?;
        let session = parse_session(&name, &raw)?;
        let field = |key: &str| session.get(key).map_or("", String::as_str);
        let expected = sign::openapi_sig(
            field("expire"),
            field("mid"),
            field("secret"),
            field("sid"),
            pcx.secret()?,
        );
        if !sign::same_signature(field("sig"), &expected) {
            return Err(failed(format!(
                "`{name}` is not signed by VK for this application"
            )));
        }
        let expire = field("expire")
            .parse::<i64>()
            .map_err(|_| failed(format!("`{name}`: `expire` is not a time")))?;
        if expire <= pcx.clock.now() {
            return Err(failed(format!("`{name}` expired")));
        }
        let mid = field("mid");
        if !is_digits(mid) || mid.starts_with('0') {
            return Err(failed(format!("`{name}`: `mid` is not a VK user id")));
        }
        // Names the page may add are not signed: they shape the profile, never the identity.
        let unsigned = |key: &str| cx.strategy.param(key).filter(|v| !v.trim().is_empty());
        let (first, last, nickname) = (
            unsigned("first_name"),
            unsigned("last_name"),
            unsigned("nickname"),
        );
        let details = UserDetails::new()
            .username(Some(nickname.as_deref().unwrap_or(mid)))
            .names(first.as_deref(), last.as_deref());
        let data = json!({
            "mid": mid,
            "expire": expire,
            "first_name": first,
            "last_name": last,
            "nickname": nickname,
        });
        let mut response = AuthResponse::new(OPENAPI_NAME, mid.to_owned(), details, data, None);
        response
            .extra_data
            .insert("expire".to_owned(), Value::from(expire));
        extra_data::select(
            &pcx.backend.extra_data,
            &response.data,
            &Value::Null,
            &mut response.extra_data,
        );
        Ok(response)
    }
}
