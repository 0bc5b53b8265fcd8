#![doc = include_str!("../README.md")]

mod context;
mod csrf;
mod extract;
mod pages;
mod routes;
mod session;
mod strategy;

pub use context::{Association, SocialContext};
pub use csrf::{CSRF_FIELD, csrf_token, verify_csrf};
pub use extract::{AuthRejection, AuthUser, MaybeUser, login_required};
pub use routes::{SocialRoutes, routes};
pub use session::{ERROR_KEY, LoginError, USER_ID_KEY, logout, take_error};
