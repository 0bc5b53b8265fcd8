#![doc = include_str!("../README.md")]

mod context;
mod cookie_session;
mod extract;
mod memory;
mod routes;
mod session;

pub use context::SocialContext;
pub use cookie::Key;
pub use cookie_session::{CookieSessionLayer, CookieSessions};
pub use extract::{AuthRejection, AuthUser, MaybeUser, login_required};
pub use memory::MemorySessionStore;
pub use routes::{SocialRoutes, routes};
pub use session::{csrf_token, logout, session_layer, take_error, verify_csrf};
pub use social_web::{
    Association, CSRF_FIELD, ERROR_KEY, LoginError, SessionError, TemplateError, USER_ID_KEY,
};
/// The session crate these routes work with, re-exported so that an application uses the same
/// version: its stores (`tower_sessions::MemoryStore`) and layer.
pub use tower_sessions;
