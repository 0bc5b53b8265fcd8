#![doc = include_str!("../README.md")]

mod context;
mod extract;
mod routes;
mod session;

/// The session crate these routes work with, re-exported so that an application uses the same
/// version: its `Session`, stores (`actix_session::storage::CookieSessionStore`) and
/// middleware.
pub use actix_session;
pub use context::SocialContext;
pub use extract::{AuthRejection, AuthUser, MaybeUser, login_required};
pub use routes::{SocialRoutes, routes};
#[cfg(feature = "cookie-session")]
pub use session::cookie_sessions;
pub use session::{csrf_token, logout, session_middleware, take_error, verify_csrf};
pub use social_web::{
    Association, CSRF_FIELD, ERROR_KEY, LoginError, SessionError, TemplateError, USER_ID_KEY,
};
