//! HTTP-level tests of social-axum over a real app: the routes, MemoryStore sessions,
//! social-core's MemoryStorage and social-github talking to a wiremock GitHub.

mod csrf;
mod disconnect;
mod extractors;
mod form_post;
mod login;
mod pages;
mod partial;
mod support;
