#![doc = include_str!("../README.md")]

mod backend;
mod page;
mod provider;
mod server;

pub use backend::Mock;
pub use provider::{
    ACCESS_TOKEN_TTL, Answer, Authorization, CODE_TTL, KeyError, MockClient, MockKey, MockProvider,
    MockUser, presets,
};
pub use server::{MockBuilder, Registration, RunningMock, StartError};
