//! Headless Chromium through chromedriver, for the demos' browser tests (feature `chromium`).

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
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

/// The browser, with helpers that wait for what they look for.
#[derive(Debug)]
pub struct Tab {
    client: Client,
    base: String,
    shots: Option<PathBuf>,
}

impl Tab {
    /// A tab of `client` on the site at `base` (`http://127.0.0.1:8000`); with `shots`, a PNG
    /// of each step named in [`Tab::shot`] is kept in that folder.
    pub fn new(client: Client, base: impl Into<String>, shots: Option<PathBuf>) -> Self {
        Self {
            client,
            base: base.into(),
            shots,
        }
    }

    /// The WebDriver client, to close it at the end.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens `path` of the site.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("goto {path}: {e}"));
    }

    /// The element `css` selects, waiting up to 10 s for it to appear.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let found = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element,
            Err(e) => panic!("no `{css}` on {}: {e}", self.path().await),
        }
    }

    /// Clicks the element `css` selects, once it appears.
    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// Types `text` into the element `css` selects.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into `{css}`: {e}"));
    }

    /// The text of the element `css` selects.
    pub async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        element.text().await.unwrap_or_default()
    }

    /// Empties the input `css` selects.
    pub async fn clear(&self, css: &str) {
        let element = self.find(css).await;
        element
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear `{css}`: {e}"));
    }

    /// The `name` property of the element `css` selects (`value` of an input, as typed).
    pub async fn prop(&self, css: &str, name: &str) -> Option<String> {
        let element = self.find(css).await;
        element.prop(name).await.unwrap_or_default()
    }

    /// The `name` attribute of the element `css` selects.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        let element = self.find(css).await;
        element.attr(name).await.unwrap_or_default()
    }

    /// Whether the page has an element `css` selects, now.
    pub async fn has(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// The path (and query) the browser shows now; the whole URL on another site.
    pub async fn path(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        url.strip_prefix(&self.base).unwrap_or(&url).to_owned()
    }

    /// Waits up to 10 s for the browser to reach a path starting with `prefix`.
    pub async fn until_path(&self, prefix: &str) {
        self.until(|path| path.starts_with(prefix), prefix).await;
    }

    /// Waits up to 10 s for the browser to be at exactly `path`.
    pub async fn until_at(&self, path: &str) {
        self.until(|p| p == path, path).await;
    }

    /// Waits up to 10 s for the browser's path to satisfy `reached`; `what` names it.
    pub async fn until(&self, reached: impl Fn(&str) -> bool, what: &str) {
        for _ in 0..100 {
            if reached(&self.path().await) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected to reach {what}, still at {}", self.path().await);
    }

    /// Keeps a PNG of the page as `name.png` when the tab was given a folder.
    pub async fn shot(&self, name: &str) {
        let Some(dir) = &self.shots else { return };
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
    }
}
