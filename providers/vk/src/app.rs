//! The VK iframe application (`vk-app`): not OAuth. VK opens the application's page with
//! launch parameters; `auth_key` signs the viewer's id with the application secret, and the
//! viewer's profile is fetched again with the access token VK passed.

use social_core::{
    AuthError, AuthResponse, Backend, BackendCx, Capabilities, Configure, Endpoint, ErrorKind,
    Flow, Protocol, Result, Stage, TokenIn, Tokens, async_trait, extra_data,
    strategy::required_param,
};

use crate::{
    APP_NAME,
    api::{self, ApiOptions, is_digits},
    sign,
};

/// The VK iframe application check; register it with [`crate::app`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VkApp;

fn failed(details: impl Into<String>) -> AuthError {
    AuthError::new(ErrorKind::Failed, Stage::Callback, details)
}

#[async_trait]
impl Backend for VkApp {
    fn name(&self) -> &str {
        APP_NAME
    }

    fn display_name(&self) -> &str {
        "VK iframe app"
    }

    fn protocol(&self) -> Protocol {
        Protocol::new("vk-app", "VK iframe application")
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new().token_in(TokenIn::Query("access_token"))
    }

    /// Needs the application id (`KEY`) and secret key (`SECRET`); reads `API_VERSION` and
    /// `API_URL`.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.require_key_and_secret()?;
        cx.endpoints(&[Endpoint::API]);
        ApiOptions::configure(cx).map(|_| ())
    }

    /// No provider redirect: VK opens the application with its launch parameters, which
    /// the callback checks.
    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        Ok(Flow::Redirect(cx.redirect_uri()))
    }

    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let pcx = &cx.provider;
        let (key, secret) = (pcx.key()?, pcx.secret()?);
        let viewer_id = required_param(cx.strategy, "viewer_id", Stage::Callback)?;
        let auth_key = required_param(cx.strategy, "auth_key", Stage::Callback)?;
        let access_token = required_param(cx.strategy, "access_token", Stage::Callback)?;
        if !is_digits(&viewer_id) || viewer_id.starts_with('0') {
            return Err(failed("`viewer_id` is not a VK user id"));
        }
        if cx.strategy.param("api_id").is_some_and(|id| id != key) {
            return Err(failed("the launch parameters are for another application"));
        }
        let expected = sign::app_auth_key(key, &viewer_id, secret);
        if !sign::same_signature(&auth_key, &expected) {
            return Err(failed("`auth_key` is not VK's signature of `viewer_id`"));
        }
        // The browser's `api_result` is not signed: the profile comes from VK again, and must
        // be the signed viewer's.
        let options = pcx.options::<ApiOptions>();
        let root = pcx.backend.endpoint(Endpoint::API, api::API_ROOT);
        let user = api::users_get(pcx, root, options.version(), &access_token).await?;
        let uid = api::user_id_of(user.get("id")).unwrap_or_default();
        if uid != viewer_id {
            return Err(failed(
                "the access token belongs to another user than `viewer_id`",
            ));
        }
        let details = api::USER_MAPPING.user_details(&user);
        let mut fields = api::USER_MAPPING.extra_data();
        fields.extend(pcx.backend.extra_data.iter().cloned());
        let mut response = AuthResponse::new(
            APP_NAME,
            uid,
            details,
            user,
            Some(Tokens::new(access_token)),
        );
        extra_data::select(
            &fields,
            &response.data,
            &social_core::Value::Null,
            &mut response.extra_data,
        );
        Ok(response)
    }
}
