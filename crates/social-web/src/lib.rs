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

/// Writes the route builder of an integration's routes type — `new(auth)`, `login_path`,
/// `complete_path`, `disconnect_path`, `template`, `templates` — for a struct whose one field
/// `web` is a [`SocialWeb`]: every integration offers the same builder, written once here.
///
/// ```
/// /// An integration's routes.
/// #[derive(Debug)]
/// pub struct SocialRoutes {
///     web: social_web::SocialWeb,
/// }
///
/// impl SocialRoutes {
///     social_web::routes_builder!();
/// }
/// # fn check(auth: social_core::SocialAuth) {
/// # let _ = SocialRoutes::new(auth).login_path("/auth/{backend}/");
/// # }
/// ```
#[macro_export]
macro_rules! routes_builder {
    () => {
        /// The routes of `auth` at the default paths.
        pub fn new(auth: $crate::__private::SocialAuth) -> Self {
            Self {
                web: $crate::SocialWeb::new(auth),
            }
        }

        /// Where logins start; default `/login/{backend}/`.
        #[must_use]
        pub fn login_path(mut self, path: impl Into<String>) -> Self {
            self.web = self.web.login_path(path);
            self
        }

        /// The provider callback; default `/complete/{backend}/`. Register the resulting URL
        /// with each provider (under the prefix, when the routes are mounted under one).
        #[must_use]
        pub fn complete_path(mut self, path: impl Into<String>) -> Self {
            self.web = self.web.complete_path(path);
            self
        }

        /// Where accounts are disconnected; default `/disconnect/{backend}/`. The route for one
        /// association adds `{association_id}/` to it.
        #[must_use]
        pub fn disconnect_path(mut self, path: impl Into<String>) -> Self {
            self.web = self.web.disconnect_path(path);
            self
        }

        /// Replaces the page template `name` with the minijinja `source`; see `templates`.
        ///
        /// # Errors
        ///
        /// A [`TemplateError`]($crate::TemplateError) naming the template when `name` is not a
        /// page template, when `source` does not compile, or when a page fails to render with
        /// it.
        pub fn template(
            self,
            name: &str,
            source: impl Into<String>,
        ) -> Result<Self, $crate::TemplateError> {
            self.templates([(name, source)])
        }

        /// Replaces page templates, given as (name, minijinja source) pairs: the application's
        /// look without copying code. The templates, their variables and the checks made when
        /// they are set are those of
        /// [`SocialWeb::templates`]($crate::SocialWeb::templates).
        ///
        /// # Errors
        ///
        /// A [`TemplateError`]($crate::TemplateError) naming the template when a name is not a
        /// page template, when a source does not compile, or when a page fails to render with
        /// the new templates.
        pub fn templates<N, S>(
            mut self,
            templates: impl IntoIterator<Item = (N, S)>,
        ) -> Result<Self, $crate::TemplateError>
        where
            N: Into<String>,
            S: Into<String>,
        {
            self.web = self.web.templates(templates)?;
            Ok(self)
        }
    };
}

#[doc(hidden)]
pub mod __private {
    pub use social_core::SocialAuth;
}
