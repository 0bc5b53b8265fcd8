//! Headless Chromium through chromedriver, for the demos' browser tests (feature `chromium`).

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// chromedriver and Chromium, or `None` (after saying why) when a browser test cannot run
/// here: `$CHROMEDRIVER` (default `chromedriver` on `PATH`) and `$CHROMIUM` (default
/// `/usr/bin/chromium`). Under `CI=true` a missing one is a failure.
pub fn tools() -> Option<(PathBuf, PathBuf)> {
    let driver = std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .or_else(|| on_path("chromedriver"));
    let chromium =
        PathBuf::from(std::env::var_os("CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()));
    let mut missing = Vec::new();
    match &driver {
        Some(path) if path.is_file() => {}
        Some(path) => missing.push(format!(
            "chromedriver at {} ($CHROMEDRIVER)",
            path.display()
        )),
        None => missing.push("chromedriver on PATH (or set $CHROMEDRIVER)".to_owned()),
    }
    if !chromium.is_file() {
        missing.push(format!("Chromium at {} ($CHROMIUM)", chromium.display()));
    }
    if missing.is_empty() {
        return driver.map(|d| (d, chromium));
    }
    let message = format!(
        "missing {}; on Debian: apt-get install chromium chromium-driver",
        missing.join(" and ")
    );
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true"),
        "the browser test cannot run under CI=true: {message}"
    );
    eprintln!("skipped: {message}");
    None
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("a free loopback port: {e}"))
}

/// A running chromedriver on loopback, killed when dropped, and the browser profile
/// directory, removed then.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

impl Driver {
    /// Starts the chromedriver at `path` on a free loopback port and waits until it listens.
    pub async fn start(path: &Path) -> Self {
        let port = free_port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .arg("--silent")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let profile = std::env::temp_dir().join(format!(
            "social-auth-chromium-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let driver = Self {
            child,
            port,
            profile,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not listen on port {port} within 10 s");
    }

    /// A headless Chromium (the binary at `chromium`) with a fresh profile, driven through
    /// this chromedriver.
    pub async fn open(&self, chromium: &Path) -> Client {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1000,900",
        ]
        .into_iter()
        .map(str::to_owned)
        .chain([format!("--user-data-dir={}", self.profile.display())])
        .collect::<Vec<_>>();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({"binary": chromium, "args": args}),
        );
        let url = format!("http://127.0.0.1:{}", self.port);
        let mut last = None;
        // chromedriver listens a moment before it answers.
        for _ in 0..50 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return client,
                Err(error) => last = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("chromedriver could not start Chromium: {last:?}");
    }
}
