//! The template context as an extractor.

use std::ops::{Deref, DerefMut};

use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};
use serde::Serialize;
use social_core::SocialAuth;

use crate::extract::{AuthRejection, MaybeUser};

/// What templates need to render login buttons and the connected-accounts page: the
/// registered backends, the user's associations, and the `next` parameter to carry into login
/// links (a [`social_web::SocialContext`], which it derefs to and serializes as).
///
/// As an extractor it loads the current user (see [`MaybeUser`] for its requirements) and
/// takes `next` from the query string.
#[derive(Debug, Clone, Serialize)]
#[serde(transparent)]
pub struct SocialContext(pub social_web::SocialContext);

impl Deref for SocialContext {
    type Target = social_web::SocialContext;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for SocialContext {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl<S> FromRequestParts<S> for SocialContext
where
    SocialAuth: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let MaybeUser(user) = MaybeUser::from_request_parts(parts, state).await?;
        let auth = SocialAuth::from_ref(state);
        let next = social_web::next_of(parts.uri.query());
        let context = social_web::SocialContext::load(&auth, user.as_ref())
            .await
            .map_err(|error| {
                tracing::error!(%error, "could not load the social login context");
                AuthRejection::Unavailable
            })?;
        Ok(Self(context.with_next(next.as_deref())))
    }
}
