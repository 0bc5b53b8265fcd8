#![doc = include_str!("../README.md")]

pub mod dev_backend;
pub mod dev_provider;
mod html;
