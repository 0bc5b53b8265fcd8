#![doc = include_str!("../README.md")]

mod api;
mod app;
mod id;
mod oauth2;
mod openapi;
mod sign;

pub use app::VkApp;
pub use id::{VkId, VkIdRefresh};
pub use oauth2::{SPEC, VkOAuth2};
pub use openapi::VkOpenApi;

/// The name of the classic VK OAuth 2.0 backend ([`backend`]).
pub const NAME: &str = "vk-oauth2";
/// The name of the VK ID backend ([`vk_id`]).
pub const VK_ID_NAME: &str = "vk-id";
/// The name of the VK Open API session backend ([`openapi`]).
pub const OPENAPI_NAME: &str = "vk-openapi";
/// The name of the VK iframe application backend ([`app`]).
pub const APP_NAME: &str = "vk-app";

/// The VK API version sent as `v` when `API_VERSION` is not set.
pub const DEFAULT_API_VERSION: &str = "5.199";

/// Classic VK OAuth 2.0 (`vk-oauth2`), ready for a [`social_core::Registry`].
pub fn backend() -> social_oauth2::OAuth2Backend<VkOAuth2> {
    social_oauth2::OAuth2Backend::new(VkOAuth2)
}

/// VK ID (`vk-id`), OAuth 2.1 with PKCE, ready for a [`social_core::Registry`].
pub fn vk_id() -> VkId {
    VkId
}

/// The VK Open API session check (`vk-openapi`), ready for a [`social_core::Registry`].
pub fn openapi() -> VkOpenApi {
    VkOpenApi
}

/// The VK iframe application check (`vk-app`), ready for a [`social_core::Registry`].
pub fn app() -> VkApp {
    VkApp
}
