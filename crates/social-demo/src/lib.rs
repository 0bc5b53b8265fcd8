#![doc = include_str!("../README.md")]

mod app;
mod config;
pub mod dev_backend;
pub mod dev_provider;
mod html;
mod pages;

pub use app::{DEV_BACKENDS, Demo, EMAIL_FORM_PATH, Startup, app, build};
pub use config::{
    Config, DEFAULT_DATABASE_URL, DEFAULT_SETTINGS_FILE, DevProviderMode, SessionBackend,
    StartError,
};
