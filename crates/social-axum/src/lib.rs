#![doc = include_str!("../README.md")]

mod context;
mod csrf;
mod extract;
mod pages;
mod routes;
mod session;
mod strategy;
mod templates;

pub use context::{Association, SocialContext};
pub use csrf::{CSRF_FIELD, csrf_token, verify_csrf};
pub use extract::{AuthRejection, AuthUser, MaybeUser, login_required};
pub use routes::{SocialRoutes, routes};
pub use session::{ERROR_KEY, LoginError, USER_ID_KEY, logout, session_layer, take_error};
pub use templates::TemplateError;
/// The session crate these routes work with, re-exported so that an application uses the same
/// version: its stores (`tower_sessions::MemoryStore`) and layer.
pub use tower_sessions;
