//! Extractors for the logged-in user, and the login-required middleware.

use std::{fmt, future::Future, pin::Pin};

use actix_session::SessionExt as _;
use actix_web::{
    FromRequest, HttpMessage as _, HttpRequest, HttpResponse, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{StatusCode, header},
    middleware::Next,
    web,
};
use social_core::{SocialAuth, User};

use crate::session::ActixSession;

/// The logged-in, active user; requests without one are rejected with [`AuthRejection`].
///
/// Needs the [`SocialAuth`] as app data, `App::app_data(web::Data::new(auth))`, and the
/// session middleware ([`session_middleware`](crate::session_middleware)) around the route.
///
/// ```
/// use social_actix::AuthUser;
///
/// async fn profile(AuthUser(user): AuthUser) -> String {
///     format!("Hello, {}", user.username)
/// }
/// # actix_web::web::get().to(profile);
/// ```
#[derive(Debug, Clone)]
pub struct AuthUser(pub User);

/// The logged-in, active user if there is one; never rejects anonymous requests.
///
/// Same requirements as [`AuthUser`].
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<User>);

/// Why [`AuthUser`] (or [`MaybeUser`], [`SocialContext`](crate::SocialContext)) refused a
/// request; its response is the one described for each case.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No active user is logged in: a `303` redirect to `LOGIN_URL` with `next` set to the
    /// requested path, so that the user comes back after logging in.
    LoginRequired {
        /// Where the response redirects.
        location: String,
    },
    /// No `web::Data<SocialAuth>` in the app data (500).
    MissingSocialAuth,
    /// The session store or the user storage failed; the cause is logged (500).
    Unavailable,
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LoginRequired { location } => write!(f, "login required: see {location}"),
            Self::MissingSocialAuth => f.write_str(
                "no SocialAuth: add `.app_data(actix_web::web::Data::new(auth))` to the App",
            ),
            Self::Unavailable => {
                f.write_str("Something went wrong on our side. Please try again later.")
            }
        }
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::MissingSocialAuth | Self::Unavailable => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::LoginRequired { location } => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location.as_str()))
                .finish(),
            other => HttpResponse::build(other.status_code())
                .content_type("text/plain; charset=utf-8")
                .body(other.to_string()),
        }
    }
}

/// The user of this request, once loaded, so that several extractors load it once.
#[derive(Debug, Clone)]
struct Loaded(Option<User>);

/// The [`SocialAuth`] of the app data.
pub(crate) fn social_auth(request: &HttpRequest) -> Result<SocialAuth, AuthRejection> {
    match request.app_data::<web::Data<SocialAuth>>() {
        Some(auth) => Ok(SocialAuth::clone(auth)),
        None => {
            tracing::error!("{}", AuthRejection::MissingSocialAuth);
            Err(AuthRejection::MissingSocialAuth)
        }
    }
}

async fn current_user(
    request: &HttpRequest,
    auth: &SocialAuth,
) -> Result<Option<User>, AuthRejection> {
    if let Some(Loaded(user)) = request.extensions().get::<Loaded>() {
        return Ok(user.clone());
    }
    // Reading the user writes nothing: the copy need not be handed back.
    let session = ActixSession::new(&request.get_session());
    let user = social_web::current_user(auth, &session)
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not load the logged-in user");
            AuthRejection::Unavailable
        })?;
    request.extensions_mut().insert(Loaded(user.clone()));
    Ok(user)
}

/// The logged-in user, or the redirect to the login page for this request.
async fn required_user(request: &HttpRequest) -> Result<User, AuthRejection> {
    let auth = social_auth(request)?;
    match current_user(request, &auth).await? {
        Some(user) => Ok(user),
        None => {
            let here = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
            Err(AuthRejection::LoginRequired {
                location: social_web::login_location(&auth, here),
            })
        }
    }
}

pub(crate) async fn maybe_user(request: &HttpRequest) -> Result<Option<User>, AuthRejection> {
    let auth = social_auth(request)?;
    current_user(request, &auth).await
}

/// What the extractors' futures are: they hold the request, which lives on one thread.
type Extracting<T> = Pin<Box<dyn Future<Output = Result<T, AuthRejection>>>>;

impl FromRequest for MaybeUser {
    type Error = AuthRejection;
    type Future = Extracting<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { maybe_user(&request).await.map(Self) })
    }
}

impl FromRequest for AuthUser {
    type Error = AuthRejection;
    type Future = Extracting<Self>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move { required_user(&request).await.map(Self) })
    }
}

/// Middleware that sends anonymous users to `LOGIN_URL?next=<path>`; use it with
/// [`actix_web::middleware::from_fn`], inside the session middleware:
///
/// ```
/// use actix_web::{middleware::from_fn, web};
///
/// let settings = web::scope("/settings")
///     .wrap(from_fn(social_actix::login_required))
///     .route("", web::get().to(|| async { "only for users" }));
/// # drop(settings);
/// ```
///
/// The user it loads is reused by [`AuthUser`] and [`MaybeUser`] in the handler.
///
/// # Errors
///
/// Those of the services it wraps; its own refusals are responses (`303`, or `500` as
/// [`AuthRejection`] says).
pub async fn login_required<B: MessageBody>(
    mut request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    match request.extract::<AuthUser>().await {
        Ok(_) => next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body),
        // An answer, not an error: the middlewares around it (the session's) still run.
        Err(rejection) => Ok(request
            .into_response(rejection.error_response())
            .map_into_right_body()),
    }
}
