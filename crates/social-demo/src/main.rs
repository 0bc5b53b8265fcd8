//! `cargo run -p social-demo [-- --port 8000]`: the demo on http://127.0.0.1:8000.

use std::{io::IsTerminal as _, net::SocketAddr, process::ExitCode};

use social_demo::{Config, build};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: social-demo [--port PORT]

Serves the social-auth demo on http://127.0.0.1:PORT (default 8000, or $PORT).
Environment: DATABASE_URL, SESSION_STORE (cookie|memory|db|redis), SESSION_KEY,
REDIS_URL,
DEV_PROVIDER (on|off|issuer URL), PUBLIC_URL, SOCIAL_AUTH_CONFIG (TOML file),
SOCIAL_AUTH_* settings, RUST_LOG.
See crates/social-demo/README.md.";

/// The port from `--port N`, `--port=N` or `$PORT`; 8000 otherwise.
fn port(args: &[String]) -> Result<u16, String> {
    let mut given = std::env::var("PORT").ok().filter(|p| !p.is_empty());
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Err(USAGE.to_owned()),
            "--port" => given = Some(args.next().cloned().ok_or("--port needs a value")?),
            other => match other.strip_prefix("--port=") {
                Some(value) => given = Some(value.to_owned()),
                None => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
            },
        }
    }
    match given {
        None => Ok(8000),
        Some(p) => p
            .trim()
            .parse()
            .map_err(|_| format!("--port / PORT: `{p}` is not a port number")),
    }
}

/// Deletes expired nonces, paused pipelines and validation codes every ten minutes.
async fn purge_expired(auth: social_core::SocialAuth) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        match auth.purge_expired().await {
            Ok(purged) => tracing::debug!(
                nonces = purged.nonces,
                partials = purged.partials,
                codes = purged.codes,
                "purged expired login state"
            ),
            Err(error) => tracing::warn!(%error, "could not purge expired login state"),
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn")),
        )
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = match port(&args) {
        Ok(port) => port,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    // Loopback only: the dev provider lets anyone log in as anyone.
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("social-demo: cannot listen on {addr}: {error} (try --port)");
            return ExitCode::FAILURE;
        }
    };
    // The bound address, not the asked one: `--port 0` picks a free port.
    let addr = listener.local_addr().unwrap_or(addr);
    let public_url = std::env::var("PUBLIC_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("http://{addr}"));
    let demo = match Config::from_env(&public_url) {
        Ok(config) => build(config).await,
        Err(error) => Err(error),
    };
    let demo = match demo {
        Ok(demo) => demo,
        Err(error) => {
            eprintln!("social-demo: {error}");
            return ExitCode::FAILURE;
        }
    };
    tokio::spawn(purge_expired(demo.auth.clone()));
    tracing::info!("social-demo on {public_url} (Ctrl-C stops it)");
    let shutdown = async {
        // Without a signal handler the server just runs until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    match axum::serve(listener, demo.router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("social-demo: {error}");
            ExitCode::FAILURE
        }
    }
}
