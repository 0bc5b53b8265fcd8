//! The template context as an extractor.

use std::ops::{Deref, DerefMut};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use serde::Serialize;

use crate::extract::{AuthRejection, maybe_user, social_auth};

/// What templates need to render login buttons and the connected-accounts page: the
/// registered backends, the user's associations, and the `next` parameter to carry into login
/// links (a [`social_web::SocialContext`], which it derefs to and serializes as).
///
/// As an extractor it loads the current user (see [`MaybeUser`](crate::MaybeUser) for its
/// requirements) and takes `next` from the query string.
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

impl FromRequest for SocialContext {
    type Error = AuthRejection;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self, AuthRejection>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request = request.clone();
        Box::pin(async move {
            let user = maybe_user(&request).await?;
            let auth = social_auth(&request)?;
            let next = social_web::next_of(request.uri().query());
            let context = social_web::SocialContext::load(&auth, user.as_ref())
                .await
                .map_err(|error| {
                    tracing::error!(%error, "could not load the social login context");
                    AuthRejection::Unavailable
                })?;
            Ok(Self(context.with_next(next.as_deref())))
        })
    }
}
