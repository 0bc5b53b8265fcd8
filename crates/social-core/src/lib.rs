#![doc = include_str!("../README.md")]

pub mod backend;
pub mod clock;
mod engine;
pub mod error;
pub mod extra_data;
pub mod hooks;
pub mod http;
pub mod model;
#[cfg(feature = "oauth1")]
pub mod oauth1;
#[cfg(feature = "oauth2")]
pub mod oauth2;
#[cfg(feature = "oidc")]
pub mod oidc;
#[cfg(feature = "openid")]
pub mod openid;
pub mod pipeline;
pub mod redirect;
pub mod settings;
pub mod storage;
pub mod strategy;

pub use async_trait::async_trait;
pub use backend::{Backend, BackendCx, Capabilities, Flow, Protocol, ProviderCx, Registry};
pub use engine::{
    Login, NEXT_KEY, Outcome, PARTIAL_SESSION_KEY, PARTIAL_TOKEN_PARAM, SocialAuth,
    SocialAuthBuilder,
};
pub use error::{AuthError, ErrorKind, Result, Stage};
pub use model::{
    AuthResponse, NewSocialAccount, NewUser, SocialAccount, Tokens, User, UserDetails, UserId,
};
pub use serde_json::{self, Value};
pub use settings::{BackendSettings, Secret, Settings};
pub use storage::{MemoryStorage, Purged, Storage, UserStore};
pub use strategy::{MemoryStrategy, Strategy};
