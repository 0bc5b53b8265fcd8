//! The social-auth demo application.
fn main() {}
