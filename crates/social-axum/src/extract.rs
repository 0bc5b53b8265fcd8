//! Extractors for the logged-in user, and the login-required middleware.

use axum::{
    extract::{FromRef, FromRequestParts, OriginalUri, Request, State},
    http::{StatusCode, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use social_core::{SocialAuth, User};
use tower_sessions::Session;

use crate::session::TowerSession;

/// The logged-in, active user; requests without one are rejected with [`AuthRejection`].
///
/// Needs `SocialAuth: FromRef<S>` for the router state `S` (true when the state *is* the
/// [`SocialAuth`]) and tower-sessions' `SessionManagerLayer` around the router.
///
/// ```
/// use social_axum::AuthUser;
///
/// async fn profile(AuthUser(user): AuthUser) -> String {
///     format!("Hello, {}", user.username)
/// }
/// ```
#[derive(Debug, Clone)]
pub struct AuthUser(pub User);

/// The logged-in, active user if there is one; never rejects anonymous requests.
///
/// Same requirements as [`AuthUser`].
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<User>);

/// Why [`AuthUser`] (or [`MaybeUser`]) refused a request.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No active user is logged in: a `303` redirect to `LOGIN_URL` with `next` set to the
    /// requested path, so that the user comes back after logging in.
    LoginRequired {
        /// Where the response redirects.
        location: String,
    },
    /// No `Session` in the request: `SessionManagerLayer` is not around this route (500).
    MissingSessionLayer,
    /// The session store or the user storage failed; the cause is logged (500).
    Unavailable,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            Self::LoginRequired { location } => Redirect::to(&location).into_response(),
            Self::MissingSessionLayer => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "no session: add tower_sessions::SessionManagerLayer around the router",
            )
                .into_response(),
            Self::Unavailable => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side. Please try again later.",
            )
                .into_response(),
        }
    }
}

/// The user of this request, once loaded, so that several extractors load it once.
#[derive(Debug, Clone)]
struct Loaded(Option<User>);

async fn current_user(parts: &mut Parts, auth: &SocialAuth) -> Result<Option<User>, AuthRejection> {
    if let Some(Loaded(user)) = parts.extensions.get::<Loaded>() {
        return Ok(user.clone());
    }
    let session = parts
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or(AuthRejection::MissingSessionLayer)?;
    let user = social_web::current_user(auth, &TowerSession(&session))
        .await
        .map_err(|error| {
            tracing::error!(%error, "could not load the logged-in user");
            AuthRejection::Unavailable
        })?;
    parts.extensions.insert(Loaded(user.clone()));
    Ok(user)
}

fn login_location(parts: &Parts, auth: &SocialAuth) -> String {
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let here = uri.path_and_query().map_or("/", |pq| pq.as_str());
    social_web::login_location(auth, here)
}

impl<S> FromRequestParts<S> for MaybeUser
where
    SocialAuth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = SocialAuth::from_ref(state);
        current_user(parts, &auth).await.map(Self)
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    SocialAuth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth = SocialAuth::from_ref(state);
        match current_user(parts, &auth).await? {
            Some(user) => Ok(Self(user)),
            None => Err(AuthRejection::LoginRequired {
                location: login_location(parts, &auth),
            }),
        }
    }
}

/// Middleware that sends anonymous users to `LOGIN_URL?next=<path>`; use it with
/// [`axum::middleware::from_fn_with_state`]:
///
/// ```
/// # use axum::{Router, middleware, routing::get};
/// # fn app(auth: social_core::SocialAuth) -> Router {
/// Router::new()
///     .route("/settings", get(|| async { "only for users" }))
///     .route_layer(middleware::from_fn_with_state(auth, social_axum::login_required))
/// # }
/// ```
///
/// The user it loads is reused by [`AuthUser`] and [`MaybeUser`] in the handler.
pub async fn login_required(
    State(auth): State<SocialAuth>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match AuthUser::from_request_parts(&mut parts, &auth).await {
        Ok(_) => next.run(Request::from_parts(parts, body)).await,
        Err(rejection) => rejection.into_response(),
    }
}
