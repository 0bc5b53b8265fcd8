//! The README's quick starts, as built (`examples/quickstart.rs` on axum,
//! `examples/quickstart_actix.rs` on actix-web), each started as a process and logged in with: its settings come from the environment, as a user's would, with a generic
//! OpenID Connect backend pointed at social-mock instead of GitHub (the example offers every
//! backend its settings configure).

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use social_mock::{MockProvider, MockUser};

/// The example `name`'s executable, built by `cargo test` beside this test's.
fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: `cargo test --workspace` builds it; alone, run `cargo build -p \
         social-auth --examples --features github,axum,actix,sqlite,oidc` first",
        binary.display()
    );
    binary
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test]
async fn the_axum_quick_start_logs_a_user_in() {
    logs_a_user_in("quickstart").await;
}

#[tokio::test]
async fn the_actix_quick_start_logs_a_user_in() {
    logs_a_user_in("quickstart_actix").await;
}

async fn logs_a_user_in(example: &str) {
    let alice = MockUser::new("alice").email("alice@example.com");
    let mock = MockProvider::builder()
        .login_as(alice)
        .start()
        .await
        .expect("the mock starts");
    let addr = format!("127.0.0.1:{}", free_port());
    let app_url = format!("http://{addr}");
    let registration = mock.register_oidc_backend("mock", &app_url);
    let dir = std::env::temp_dir().join(format!("{example}-{}", free_port()));
    std::fs::create_dir_all(&dir).expect("a working directory");
    let mut command = Command::new(example_binary(example));
    command
        .current_dir(&dir)
        .env_clear()
        .env("ADDR", &addr)
        .envs(registration.env())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let _app = Running(command.spawn().expect("the example starts"));

    // reqwest is built without a default crypto provider; plain http needs none, but the
    // builder asks for one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    // Wait for the app to listen.
    let mut home = None;
    for _ in 0..100 {
        if let Ok(answer) = http.get(format!("{app_url}/")).send().await {
            home = Some(answer.text().await.expect("a page"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let home = home.expect("the example answers within 10 s");
    assert!(home.contains(r#"<a href="/login/github/">"#), "{home}");

    // /login/mock/ → the mock's /authorize → /complete/mock/ → `/`, hop by hop; the session
    // cookie goes to the app only.
    let (mut url, mut cookie) = (format!("{app_url}/login/mock/"), String::new());
    for hop in ["login", "authorize", "callback"] {
        let request = http.get(&url);
        let request = if url.starts_with(&app_url) {
            request.header("cookie", &cookie)
        } else {
            request
        };
        let answer = request.send().await.expect("an answer");
        assert!(
            answer.status().is_redirection(),
            "{hop}: {}",
            answer.status()
        );
        if let Some(set) = answer.headers().get("set-cookie") {
            let set = set.to_str().expect("ascii");
            cookie = set.split(';').next().unwrap_or_default().to_owned();
        }
        let location = answer.headers()["location"].to_str().expect("ascii");
        url = url::Url::parse(&url)
            .and_then(|base| base.join(location))
            .expect("a URL")
            .into();
    }
    assert_eq!(url, format!("{app_url}/"));
    let page = http
        .get(&url)
        .header("cookie", &cookie)
        .send()
        .await
        .expect("the home page")
        .text()
        .await
        .expect("a page");
    assert_eq!(page, "<p>Hello, alice!</p>");
    // The user and the account are in the example's SQLite file.
    assert!(dir.join("app.db").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
