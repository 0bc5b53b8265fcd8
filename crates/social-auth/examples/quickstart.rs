//! The README's quick start: an axum app with "Log in with GitHub" and SQLite.
//! Run: SOCIAL_AUTH_GITHUB_KEY=... SOCIAL_AUTH_GITHUB_SECRET=... cargo run --example quickstart
use axum::{Router, response::Html, routing::get};
use social_auth::axum::{MaybeUser, MemorySessionStore, session_layer};
use social_auth::{backend::html_escape, sqlx::SqliteStorage};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SOCIAL_AUTH_GITHUB_KEY and SOCIAL_AUTH_GITHUB_SECRET come from the environment.
    let storage = SqliteStorage::connect("sqlite://app.db").await?; // created and migrated
    let auth = social_auth::from_env(storage)?; // checks every setting, naming the one at fault
    let app = Router::new()
        .route("/", get(home))
        .merge(social_auth::axum::routes(auth.clone())) // /login/github/, /complete/github/
        .layer(session_layer(MemorySessionStore::new()))
        .with_state(auth);
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:8000".into());
    axum::serve(tokio::net::TcpListener::bind(addr).await?, app).await?;
    Ok(())
}

async fn home(MaybeUser(user): MaybeUser) -> Html<String> {
    Html(match user {
        Some(user) => format!("<p>Hello, {}!</p>", html_escape(&user.username)),
        None => r#"<a href="/login/github/">Log in with GitHub</a>"#.to_owned(),
    })
}
