//! The demo in a real browser: headless Chromium driven through chromedriver.
//!
//! Needs chromedriver (`$CHROMEDRIVER`, default `chromedriver` on `PATH`) and Chromium
//! (`$CHROMIUM`, default `/usr/bin/chromium`). Under `CI=true` a missing one is a failure;
//! elsewhere the test says what is missing and passes. Set `DEMO_SCREENSHOTS=<dir>` to keep a
//! PNG of each step.

mod common;

use std::{path::PathBuf, time::Duration};

use common::serve;
use social_core::{BackendSettings, Settings};
use social_web_suite::chromium::{self, Driver, Tab};

/// What a person does: log in, connect a second account, disconnect it, connect one through
/// OpenID Connect, give an e-mail the provider withheld, log out, cancel a login, and try a
/// forged callback.
async fn scenario(tab: Tab) {
    tab.goto("/").await;
    tab.shot("1-home").await;
    tab.click(r#"a[data-backend="dev"]"#).await;
    tab.until_path("/dev-provider/authorize?").await;
    tab.shot("2-dev-provider").await;
    tab.click(r#"button[name="preset"][value="alice"]"#).await;
    tab.until_path("/profile/").await;
    assert_eq!(tab.text("#username").await, "alice");
    assert!(
        tab.has(r#"section[data-provider="dev"][data-uid="alice"]"#)
            .await
    );
    // The only account cannot be disconnected, and the page says so rather than letting the
    // user try.
    let only = r#"section[data-provider="dev"] button.danger"#;
    assert!(
        tab.prop(only, "disabled")
            .await
            .is_some_and(|d| d == "true")
    );
    assert!(
        tab.attr(only, "title")
            .await
            .unwrap_or_default()
            .contains("only way to log in")
    );

    tab.click(r#"section[data-provider="dev"] form[action^="/refresh/"] button"#)
        .await;
    tab.until_path("/profile/").await;
    assert_eq!(tab.text("#flash").await, "Tokens refreshed.");
    tab.shot("2b-refreshed").await;

    // A second account, made up on the provider's form, through the second client.
    tab.click(r#"a[data-backend="dev2"]"#).await;
    tab.until_path("/dev-provider/authorize?").await;
    tab.fill("#username", "bobby").await;
    tab.fill("#email", "bobby@example.net").await;
    tab.click(r#"button[name="action"][value="allow"]"#).await;
    tab.until_path("/profile/").await;
    assert!(
        tab.has(r#"section[data-provider="dev2"][data-uid="bobby"]"#)
            .await
    );
    assert_eq!(
        tab.text("#username").await,
        "alice",
        "associated, not switched"
    );
    tab.shot("3-two-accounts").await;

    tab.click(r#"section[data-provider="dev2"] button.danger"#)
        .await;
    tab.until_path("/profile/").await;
    let mut gone = false;
    for _ in 0..100 {
        gone = !tab.has(r#"section[data-provider="dev2"]"#).await;
        if gone {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "disconnected");
    assert!(tab.has(r#"section[data-provider="dev"]"#).await);
    assert_eq!(
        tab.text("#flash").await,
        "Disconnected Dev provider (second client)."
    );
    assert!(
        tab.has(r#"section[data-provider="dev"] button.danger:disabled"#)
            .await
    );
    tab.shot("3b-disconnected").await;

    // The generic OpenID Connect backend: discovery, ID token, userinfo.
    tab.click(r#"a[data-backend="dev-oidc"]"#).await;
    tab.until_path("/dev-provider/authorize?").await;
    tab.click(r#"button[name="preset"][value="bob"]"#).await;
    tab.until_path("/profile/").await;
    assert!(
        tab.has(r#"section[data-provider="dev-oidc"][data-uid="bob"]"#)
            .await
    );

    // Log out, then a new user whose provider withholds the e-mail address.
    tab.click(r#"header form[action="/logout/"] button"#).await;
    tab.until_at("/").await;
    assert_eq!(tab.text("#flash").await, "Logged out.");
    tab.find(r#"a[data-backend="dev"][href^="/login/dev/"]"#)
        .await;
    tab.click(r#"a[data-backend="dev"]"#).await;
    tab.until_path("/dev-provider/authorize?").await;
    tab.fill("#username", "carol").await;
    tab.click(r#"input[name="withhold_email"]"#).await;
    tab.click(r#"button[name="action"][value="allow"]"#).await;
    tab.until_path("/email/?partial_token=").await;
    tab.shot("4-email-form").await;
    // The browser's own check lets `carol@localhost` through; the app's does not.
    tab.fill("#email", "carol@localhost").await;
    tab.click(r#"form[action="/complete/dev/"] button"#).await;
    tab.until_at("/complete/dev/").await;
    assert!(
        tab.text("#email-error").await.contains("domain with a dot"),
        "{}",
        tab.text("#email-error").await
    );
    assert_eq!(
        tab.prop("#email", "value").await.as_deref(),
        Some("carol@localhost"),
        "what was typed is kept"
    );
    tab.shot("4b-email-refused").await;
    tab.clear("#email").await;
    tab.fill("#email", "carol@example.org").await;
    tab.click(r#"form[action="/complete/dev/"] button"#).await;
    tab.until_path("/profile/").await;
    assert_eq!(tab.text("#username").await, "carol");
    assert!(tab.text("#email").await.contains("carol@example.org"));
    tab.click(r#"header form[action="/logout/"] button"#).await;
    tab.until_at("/").await;
    tab.find("h1").await;
    assert!(
        !tab.has(r#"header form[action="/logout/"]"#).await,
        "logged out"
    );

    // A cancelled login.
    tab.click(r#"a[data-backend="dev"]"#).await;
    tab.until_path("/dev-provider/authorize?").await;
    tab.click(r#"button[name="action"][value="deny"]"#).await;
    tab.until_path("/error/").await;
    assert_eq!(tab.text("#error-code").await, "auth_canceled");
    assert!(!tab.text("#error-message").await.is_empty());
    tab.shot("5-cancelled").await;

    // A forged callback.
    tab.goto("/complete/dev/?code=x&state=forged").await;
    tab.until_path("/error/").await;
    let code = tab.text("#error-code").await;
    assert!(code.starts_with("state_"), "a state error, got {code}");
    tab.shot("6-forged").await;
    tab.goto("/profile/").await;
    tab.until_path("/?next=").await;
}

/// Runs `scenario` in a fresh headless Chromium whose tab starts from `base`.
async fn in_browser<F, Fut>(base: String, scenario: F)
where
    F: FnOnce(Tab) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some((driver_path, chromium)) = chromium::tools() else {
        return;
    };
    let driver = Driver::start(&driver_path).await;
    let client = driver.open(&chromium).await;
    let shots = std::env::var_os("DEMO_SCREENSHOTS").map(PathBuf::from);
    let tab = Tab::new(client.clone(), base, shots);
    // Run it as a task so that a failed assertion still closes the browser.
    let outcome = tokio::spawn(scenario(tab)).await;
    if let Err(error) = client.close().await {
        eprintln!("closing the browser: {error}");
    }
    drop(driver);
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_connects_disconnects_and_meets_errors() {
    let server = serve(|c| c).await;
    in_browser(server.url.clone(), scenario).await;
}

/// Apple's way: the provider answers with a form it POSTs to the callback from its own site,
/// which the `SameSite=Lax` session cookie does not go along with. The app is browsed as
/// `localhost` and the dev provider lives at `127.0.0.1`: two sites, as in production.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_post_callback_from_another_site_logs_in() {
    let mut settings = Settings::default();
    let mut dev = BackendSettings::default();
    dev.auth_extra_arguments
        .insert("response_mode".into(), "form_post".into());
    settings.backends.insert("dev".into(), dev);
    let server = serve(|c| c.settings(settings)).await;
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let base = server.url.replacen("127.0.0.1", "localhost", 1);
    in_browser(base, |tab: Tab| async move {
        tab.goto("/").await;
        tab.click(r#"a[data-backend="dev"]"#).await;
        tab.until(
            |p| p.starts_with("http://127.0.0.1:") && p.contains("/dev-provider/authorize?"),
            "the dev provider on the other site",
        )
        .await;
        assert!(
            tab.path().await.contains("response_mode=form_post"),
            "{}",
            tab.path().await
        );
        tab.click(r#"button[name="preset"][value="alice"]"#).await;
        tab.until_path("/profile/").await;
        assert_eq!(tab.text("#username").await, "alice");
        assert!(
            tab.has(r#"section[data-provider="dev"][data-uid="alice"]"#)
                .await
        );
        tab.shot("7-form-post").await;
    })
    .await;
}
