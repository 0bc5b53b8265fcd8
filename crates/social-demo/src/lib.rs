#![doc = include_str!("../README.md")]

mod account_data;
mod app;
mod around_social_routes;
mod config;
mod flash;
mod html;
mod pages;

pub use app::{DEV_BACKENDS, DEV_PROVIDER_PATH, Demo, EMAIL_FORM_PATH, Startup, app, build};
pub use config::{
    Config, DEFAULT_DATABASE_URL, DEFAULT_SETTINGS_FILE, DEFAULT_STORE_TIMEOUT, DevProviderMode,
    SessionBackend, SessionKey, StartError,
};
