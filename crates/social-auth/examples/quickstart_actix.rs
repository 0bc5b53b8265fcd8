//! The README's quick start on actix-web: "Log in with GitHub" and SQLite.
//! Run: SOCIAL_AUTH_GITHUB_KEY=... SOCIAL_AUTH_GITHUB_SECRET=... cargo run --example quickstart_actix
use actix_web::{App, HttpServer, cookie::Key, web};
use social_auth::actix::{MaybeUser, cookie_sessions};
use social_auth::{backend::html_escape, sqlx::SqliteStorage};

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SOCIAL_AUTH_GITHUB_KEY and SOCIAL_AUTH_GITHUB_SECRET come from the environment.
    let storage = SqliteStorage::connect("sqlite://app.db").await?; // created and migrated
    let auth = social_auth::from_env(storage)?; // checks every setting, naming the one at fault
    let key = Key::generate(); // signs the session cookie; in production, load a kept one
    let app = move || {
        App::new()
            .app_data(web::Data::new(auth.clone()))
            .route("/", web::get().to(home))
            .configure(social_auth::actix::routes(auth.clone())) // /login/github/, /complete/github/
            .wrap(cookie_sessions(key.clone()))
    };
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:8000".into());
    HttpServer::new(app).bind(addr)?.run().await?;
    Ok(())
}

async fn home(MaybeUser(user): MaybeUser) -> web::Html {
    web::Html::new(match user {
        Some(user) => format!("<p>Hello, {}!</p>", html_escape(&user.username)),
        None => r#"<a href="/login/github/">Log in with GitHub</a>"#.to_owned(),
    })
}
