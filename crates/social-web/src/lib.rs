#![doc = include_str!("../README.md")]

mod context;
mod csrf;
mod handlers;
mod pages;
mod session;
mod strategy;
mod templates;
mod user;

pub use context::{Association, REDIRECT_FIELD_NAME, SocialContext, next_of};
pub use csrf::{CSRF_FIELD, csrf_token, verify_csrf};
pub use handlers::{RoutePaths, SocialWeb};
/// The `http` crate whose types requests and responses are.
pub use http;
pub use session::{
    ERROR_KEY, EXPIRES_AT_KEY, LoginError, SessionError, SessionResult, USER_ID_KEY, WebSession,
    logout, take_error, user_id,
};
pub use strategy::{BodyTooLarge, MAX_FORM_BYTES, WebRequest};
pub use templates::TemplateError;
pub use user::{UserError, current_user, login_location};

/// What the routes answer: a status, headers and a (possibly empty) HTML body, for the
/// integration to write back in its framework's type.
pub type Response = http::Response<String>;

/// A `303 See Other` to `location`; a location that cannot be a header value (core's
/// redirect checks keep such values out) is a `500` rather than a panic.
pub fn redirect(location: &str) -> Response {
    let mut response = Response::new(String::new());
    match http::HeaderValue::from_str(location) {
        Ok(value) => {
            *response.status_mut() = http::StatusCode::SEE_OTHER;
            response.headers_mut().insert(http::header::LOCATION, value);
        }
        Err(_) => {
            tracing::error!(location, "a redirect target is not a valid header value");
            *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    response
}
