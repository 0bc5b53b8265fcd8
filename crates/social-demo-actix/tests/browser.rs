//! The demo in a real browser: headless Chromium driven through chromedriver logs in through
//! the dev provider, sees the user, connects and disconnects a second account, and logs out.
//!
//! Needs chromedriver (`$CHROMEDRIVER`, default `chromedriver` on `PATH`) and Chromium
//! (`$CHROMIUM`, default `/usr/bin/chromium`). Under `CI=true` a missing one is a failure;
//! elsewhere the test says what is missing and passes.

use std::time::Duration;

use actix_web::rt::time::sleep;
use social_demo_actix::{Config, Demo};
use social_web_suite::chromium::{self, Driver, Tab};

/// What a person does: log in through the dev provider as Alice, see her profile, connect
/// and disconnect a second account, log out.
async fn scenario(tab: Tab, dev_provider: String) {
    tab.goto("/").await;
    tab.click(r#"a[data-backend="dev"]"#).await;
    tab.until(
        |p| p.starts_with(&format!("{dev_provider}/authorize?")),
        "the dev provider's form",
    )
    .await;
    tab.click(r#"button[name="preset"][value="alice"]"#).await;
    tab.until(|p| p == "/profile/", "the profile").await;
    assert_eq!(tab.text("#username").await, "alice");
    assert!(
        tab.has(r#"section[data-provider="dev"][data-uid="alice"]"#)
            .await
    );

    // A second account through the second client, then disconnected with its form.
    tab.click(r#"a[data-backend="dev2"]"#).await;
    tab.until(
        |p| p.starts_with(&format!("{dev_provider}/authorize?")),
        "the dev provider's form",
    )
    .await;
    tab.click(r#"button[name="preset"][value="bob"]"#).await;
    tab.until(|p| p == "/profile/", "the profile").await;
    let bob = r#"section[data-provider="dev2"][data-uid="bob"]"#;
    tab.find(bob).await;
    assert_eq!(
        tab.text("#username").await,
        "alice",
        "connected, not switched"
    );
    tab.click(&format!("{bob} button.danger")).await;
    tab.until(|p| p == "/profile/", "the profile").await;
    let mut gone = false;
    for _ in 0..100 {
        gone = !tab.has(bob).await;
        if gone {
            break;
        }
        sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "bob's account is disconnected");
    assert!(tab.has(r#"section[data-provider="dev"]"#).await);

    tab.click(r#"header form[action="/logout/"] button"#).await;
    tab.until(|p| p == "/", "the home page").await;
    tab.find(r#"a[data-backend="dev"]"#).await;
    assert!(
        !tab.has(r#"header form[action="/logout/"]"#).await,
        "logged out"
    );
    tab.goto("/profile/").await;
    tab.until(|p| p.starts_with("/?next="), "the login page")
        .await;
}

#[actix_web::test]
async fn a_person_logs_in_through_the_dev_provider_and_logs_out() {
    let Some((driver_path, chromium)) = chromium::tools() else {
        return;
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("a free loopback port: {e}"));
    let base = format!(
        "http://{}",
        listener
            .local_addr()
            .unwrap_or_else(|e| panic!("bound address: {e}"))
    );
    let demo = Demo::start(Config::new(&base).database_url("sqlite::memory:"))
        .await
        .unwrap_or_else(|e| panic!("the demo starts: {e}"));
    let server = demo
        .server(listener, 1)
        .unwrap_or_else(|e| panic!("the demo serves: {e}"));
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let driver = Driver::start(&driver_path).await;
    let client = driver.open(&chromium).await;
    let tab = Tab::new(client.clone(), base, None);
    // Run it as a task so that a failed assertion still closes the browser.
    let outcome = actix_web::rt::spawn(scenario(tab, demo.dev_provider_url().to_owned())).await;
    if let Err(error) = client.close().await {
        eprintln!("closing the browser: {error}");
    }
    drop(driver);
    handle.stop(false).await;
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}
