//! Prints the login methods the environment configures, or what is wrong with the settings.
//!
//! ```sh
//! SOCIAL_AUTH_GITEA_KEY=id SOCIAL_AUTH_GITEA_SECRET=s \
//! SOCIAL_AUTH_GITEA_BASE_URL=https://git.example.com cargo run -p forge-app
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let auth = social_auth::Settings::default()
        .with_env()
        .and_then(forge_app::social_auth);
    match auth {
        Ok(auth) => {
            for name in auth.registry().names() {
                println!("login with {name}: /login/{name}/");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("settings: {}", error.details());
            ExitCode::FAILURE
        }
    }
}
