#![doc = include_str!("../README.md")]

pub mod backend;
pub mod clock;
mod engine;
pub mod error;
pub mod extra_data;
pub mod hooks;
pub mod http;
pub mod model;
pub mod pipeline;
pub mod profile;
pub mod redirect;
pub mod settings;
pub mod storage;
pub mod strategy;

pub use async_trait::async_trait;
pub use backend::{
    Backend, BackendCx, Capabilities, Flow, Protocol, ProviderCx, Registry, Services,
};
pub use engine::{
    Login, NEXT_KEY, Outcome, PARTIAL_SESSION_KEY, PARTIAL_TOKEN_PARAM, SocialAuth,
    SocialAuthBuilder,
};
pub use error::{AuthError, ErrorKind, Result, Stage};
pub use model::{
    AuthResponse, NewSocialAccount, NewUser, SocialAccount, Tokens, User, UserDetails, UserId,
};
pub use profile::{EmailVerified, Mapping, TokenIn};
pub use serde_json::{self, Value};
pub use settings::{BackendSettings, Configure, Endpoint, Secret, Settings};
pub use storage::{MemoryStorage, Purged, Storage, UserStore};
pub use strategy::{MemoryStrategy, Strategy};
