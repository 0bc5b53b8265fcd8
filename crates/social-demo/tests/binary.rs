//! The `social-demo` binary as a person starts it: what it prints, and that a half-configured
//! provider is skipped rather than fatal.

mod common;

use std::{
    io::{BufRead as _, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

/// The binary with a clean environment: in-memory database, a free port, no settings file.
fn demo() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_social-demo"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PORT", "0")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("RUST_LOG", "info")
        // No social-demo.toml lies in the temporary directory.
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Starts `command` and reads its output up to the line giving its address; returns the
/// running server, its URL and the lines before.
fn start(mut command: Command) -> (Running, String, String) {
    let mut child = command.spawn().expect("the binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let running = Running(child);
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let url = loop {
        let line = received
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no start-up line within 30 s; saw: {seen:#?}"));
        if let Some(rest) = line.split("social-demo on ").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
        seen.push(line);
    };
    (running, url, seen.join("\n"))
}

/// Kills the server when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A plain HTTP/1.0 GET, answer and all: no client library, no TLS to set up.
async fn http_get(base: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("the demo listens");
    let request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .await
        .expect("answer read");
    answer
}

#[tokio::test]
async fn a_key_without_a_secret_is_reported_and_skipped_and_the_demo_serves() {
    let mut command = demo();
    command.env("SOCIAL_AUTH_GITHUB_KEY", "only-a-key");
    let (running, url, all) = start(command);
    assert!(all.contains("enabled: dev, dev2, dev-oidc"), "{all}");
    assert!(all.contains("sessions: in their cookie"), "{all}");
    assert!(
        all.contains("skipped github: SOCIAL_AUTH_GITHUB_SECRET: is not set"),
        "{all}"
    );
    let unconfigured = all
        .lines()
        .find_map(|l| l.split("not configured: ").nth(1))
        .unwrap_or_default();
    assert!(
        unconfigured.contains("facebook") && unconfigured.contains("google"),
        "{all}"
    );
    assert!(!unconfigured.contains("github"), "{all}");
    assert!(
        !all.contains('\u{1b}'),
        "no colour codes off a terminal: {all}"
    );

    let home = http_get(&url, "/").await;
    assert!(home.starts_with("HTTP/1.0 200"), "{home}");
    assert!(home.contains(r#"href="/login/dev/""#));
    drop(running);
}

/// What the binary prints on stderr when it stops at start-up with `vars` set.
fn refused(vars: &[(&str, &str)]) -> String {
    let output = demo()
        .envs(vars.iter().copied())
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "it started with {vars:?}: {stderr}"
    );
    stderr
}

#[test]
fn a_bad_setting_stops_it_with_the_setting_named() {
    let stderr = refused(&[("SESSION_STORE", "mongo")]);
    assert!(
        stderr.contains("SESSION_STORE: `mongo` is not `cookie`, `memory`, `db` or `redis`"),
        "{stderr}"
    );

    let stderr = refused(&[("DATABASE_URL", "mysql://localhost/db")]);
    assert!(stderr.contains("DATABASE_URL: "), "{stderr}");

    for seconds in ["0", "61", "soon"] {
        let stderr = refused(&[("STORE_TIMEOUT", seconds)]);
        assert!(
            stderr.contains(&format!(
                "STORE_TIMEOUT: `{seconds}` is not a number of seconds from 1 to 60"
            )),
            "{stderr}"
        );
    }
}

#[test]
fn a_session_key_must_be_64_bytes_of_base64_for_cookie_sessions() {
    let stderr = refused(&[("SESSION_KEY", "not base64!")]);
    assert!(
        stderr.contains("SESSION_KEY: is not base64; make a key with `openssl rand -base64 64`"),
        "{stderr}"
    );
    let stderr = refused(&[("SESSION_KEY", "c2hvcnQ=")]);
    assert!(
        stderr.contains("SESSION_KEY: holds 5 bytes, and a key is 64"),
        "{stderr}"
    );
    let key = format!("{}-w", "-_".repeat(42));
    let stderr = refused(&[("SESSION_STORE", "memory"), ("SESSION_KEY", &key)]);
    assert!(
        stderr.contains("SESSION_KEY: is only used with SESSION_STORE=cookie"),
        "{stderr}"
    );
}

#[test]
fn with_a_session_key_start_up_says_so() {
    // 64 bytes, URL-safe and unpadded, as some generators print them.
    let key = format!("{}-w", "-_".repeat(42));
    let mut command = demo();
    command.env("SESSION_KEY", key);
    let (running, _url, all) = start(command);
    assert!(
        all.contains("sessions: in their cookie, sealed with SESSION_KEY"),
        "{all}"
    );
    drop(running);
}

#[test]
fn redis_sessions_need_a_usable_redis_url() {
    let stderr = refused(&[("SESSION_STORE", "redis")]);
    assert!(stderr.contains("REDIS_URL: is not set"), "{stderr}");

    for url in [
        "127.0.0.1:6379",
        "http://127.0.0.1:6379",
        "rediss://127.0.0.1:6379",
    ] {
        let stderr = refused(&[("SESSION_STORE", "redis"), ("REDIS_URL", url)]);
        assert!(
            stderr.contains(&format!("REDIS_URL: `{url}` is not a redis:// URL")),
            "{stderr}"
        );
    }

    let stderr = refused(&[
        ("SESSION_STORE", "redis"),
        ("REDIS_URL", "redis://127.0.0.1:6379/x"),
    ]);
    assert!(
        stderr.contains("REDIS_URL: `redis://127.0.0.1:6379/x` "),
        "{stderr}"
    );

    // Nothing listens on port 1: start-up stops rather than serving without sessions.
    let stderr = refused(&[
        ("SESSION_STORE", "redis"),
        ("REDIS_URL", "redis://:hunter2@127.0.0.1:1"),
    ]);
    assert!(
        stderr.contains("REDIS_URL redis://:***@127.0.0.1:1"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[tokio::test]
async fn with_sessions_in_redis_it_says_so_and_serves() {
    let Some(redis_url) = common::service_url("TEST_REDIS_URL", "Redis", "redis://127.0.0.1:6379")
    else {
        return;
    };
    let mut command = demo();
    command
        .env("SESSION_STORE", "redis")
        .env("REDIS_URL", &redis_url);
    let (running, url, all) = start(command);
    assert!(all.contains("sessions: in Redis redis://"), "{all}");
    let home = http_get(&url, "/").await;
    assert!(home.starts_with("HTTP/1.0 200"), "{home}");
    drop(running);
}

#[test]
fn start_up_says_while_the_dev_providers_key_is_made() {
    let (running, _url, all) = start(demo());
    let position = |text: &str| {
        all.find(text)
            .unwrap_or_else(|| panic!("no `{text}` in the start-up lines: {all}"))
    };
    let making =
        position("making the dev provider's signing key (takes a few seconds in debug builds)");
    let made = position("made the dev provider's signing key in ");
    let mounted = position("dev provider mounted");
    assert!(making < made && made < mounted, "{all}");
    drop(running);

    // No dev provider, no key.
    let mut command = demo();
    command.env("DEV_PROVIDER", "off");
    let (running, _url, all) = start(command);
    assert!(!all.contains("signing key"), "{all}");
    drop(running);
}
