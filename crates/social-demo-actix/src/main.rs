//! `cargo run -p social-demo-actix [-- --port 8000]`: the demo on http://127.0.0.1:8000.

use std::{io::IsTerminal as _, net::TcpListener, process::ExitCode};

use social_demo_actix::{Config, Demo};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: social-demo-actix [--port PORT]

Serves the social-auth actix-web demo on http://127.0.0.1:PORT (default 8000, or $PORT), with
its dev provider on a loopback port of its own.
Environment: DATABASE_URL (sqlite:...), SOCIAL_AUTH_* settings, RUST_LOG.";

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

#[actix_web::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_ansi(std::io::stdout().is_terminal())
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
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
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("social-demo-actix: cannot listen on 127.0.0.1:{port}: {error} (try --port)");
            return ExitCode::FAILURE;
        }
    };
    let public_url = match listener.local_addr() {
        Ok(addr) => format!("http://{addr}"),
        Err(error) => {
            eprintln!("social-demo-actix: {error}");
            return ExitCode::FAILURE;
        }
    };
    let demo = match Config::from_env(&public_url) {
        Ok(config) => Demo::start(config).await,
        Err(error) => Err(error),
    };
    let demo = match demo {
        Ok(demo) => demo,
        Err(error) => {
            eprintln!("social-demo-actix: {error}");
            return ExitCode::FAILURE;
        }
    };
    let server = match demo.server(listener, 2) {
        Ok(server) => server,
        Err(error) => {
            eprintln!("social-demo-actix: {error}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!("social-demo-actix on {public_url} (Ctrl-C stops it)");
    match server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("social-demo-actix: {error}");
            ExitCode::FAILURE
        }
    }
}
