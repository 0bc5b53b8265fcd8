//! Classic VK OAuth 2.0 (`vk-oauth2`): `oauth.vk.com`, then `users.get` of the VK API.

use social_core::{
    AuthError, Configure, ErrorKind, Mapping, ProviderCx, Result, Stage, TokenIn, UserDetails,
    Value, async_trait,
};
use social_oauth2::{Method, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse};

use crate::api::{self, ApiOptions};

/// Classic VK OAuth 2.0: endpoints, flags and mapping. The hooks of [`VkOAuth2`] make the
/// `users.get` call with the API version and merge the e-mail address of the token response.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: crate::NAME,
    display_name: "VK",
    api_url: Some(api::API_ROOT),
    authorization_url: "https://oauth.vk.com/authorize",
    token_url: "https://oauth.vk.com/access_token",
    default_scope: &["email"],
    scope_separator: ",",
    pkce: Pkce::None,
    // VK documents the code exchange as a GET with the parameters in the query.
    token_method: Method::GET,
    profile: Some(ProfileCall::get(
        "{api_url}/users.get",
        TokenIn::Query("access_token"),
    )),
    mapping: Mapping {
        extra_data: &["id", "expires_in"],
        ..api::USER_MAPPING
    },
    ..OAuth2Spec::DEFAULT
};

/// Classic VK OAuth 2.0 as an OAuth 2.0 provider; register it with [`crate::backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct VkOAuth2;

#[async_trait]
impl OAuth2Provider for VkOAuth2 {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        ApiOptions::configure(cx).map(|_| ())
    }

    /// The API version, which VK's authorization dialog takes too.
    fn auth_params(&self, cx: &ProviderCx<'_>) -> Result<Vec<(String, String)>> {
        let options = cx.options::<ApiOptions>();
        Ok(vec![("v".to_owned(), options.version().to_owned())])
    }

    /// `users.get` of the token's owner, with the token response's `email` added: VK gives
    /// the address only there. The token response's `user_id`, when given, must be the
    /// profile's `id`.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        let options = cx.options::<ApiOptions>();
        let root = SPEC.expand(cx.backend, "{api_url}");
        let mut user = api::users_get(cx, &root, options.version(), token.access_token()).await?;
        if let Some(owner) = token.raw.get("user_id") {
            let owner = api::user_id_of(Some(owner));
            if owner.is_none() || owner != api::user_id_of(user.get("id")) {
                return Err(AuthError::new(
                    ErrorKind::InvalidResponse,
                    Stage::Profile,
                    "the token response's `user_id` is not the id users.get answered",
                )
                .with_provider(cx.name));
            }
        }
        // The address comes from the token response alone, never from the profile.
        let email = token
            .raw
            .get("email")
            .and_then(Value::as_str)
            .filter(|e| !e.trim().is_empty());
        if let Some(fields) = user.as_object_mut() {
            fields.remove("email");
            if let Some(email) = email {
                fields.insert("email".to_owned(), Value::String(email.to_owned()));
            }
        }
        Ok(user)
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        SPEC.mapping.user_details(user)
    }
}
