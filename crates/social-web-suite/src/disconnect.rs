//! Disconnecting accounts: only the logged-in user, only with the CSRF token, never the last.

use http::StatusCode;
use serde_json::json;

use crate::{App, Browser, Config, Frontend, login};

const HUBOT: &str = r#"{"login": "hubot", "id": 999, "name": "Hubot", "email": null}"#;

/// Logs octocat in, then links a second GitHub account (hubot) to the same user.
async fn two_accounts<F: Frontend>(app: &App<F>) -> (Browser<'_, F>, i64) {
    app.mount_octocat().await;
    let mut browser = app.browser();
    login(&mut browser, "/login/github/")
        .await
        .assert_redirect("/home");
    app.github.reset().await;
    app.mount_github(HUBOT, "[]").await;
    login(&mut browser, "/login/github/")
        .await
        .assert_redirect("/home");
    assert_eq!(app.storage.counts(), (1, 2), "hubot joined octocat's user");
    assert_eq!(browser.get("/home").await.body, "octocat");
    let context = browser.get("/context").await.json();
    let hubot = context["associations"]["github"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["uid"] == "999"))
        .and_then(|a| a["id"].as_i64())
        .unwrap_or_else(|| panic!("hubot's association is listed: {context}"));
    (browser, hubot)
}

/// Disconnecting needs a logged-in user, the CSRF token, and a POST.
pub async fn disconnect_needs_a_user_and_the_csrf_token<F: Frontend>() {
    let app = App::<F>::new().await;
    let mut anonymous = app.browser();
    let token = anonymous.csrf().await;
    let response = anonymous
        .post_form("/disconnect/github/", &[("csrf_token", &token)])
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);

    let (mut browser, hubot) = two_accounts(&app).await;
    let path = format!("/disconnect/github/{hubot}/");
    assert_eq!(
        browser.post_form(&path, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser
            .post_form(&path, &[("csrf_token", "forged")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser.get(&path).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(app.storage.counts(), (1, 2), "nothing was disconnected");
}

/// One of two linked accounts is disconnected; a hostile `next` is ignored.
pub async fn disconnecting_one_of_two_accounts_works<F: Frontend>() {
    let app = App::<F>::new().await;
    let (mut browser, hubot) = two_accounts(&app).await;
    let token = browser.csrf().await;
    browser
        .post_form(
            &format!("/disconnect/github/{hubot}/"),
            &[("csrf_token", &token), ("next", "//evil.com")],
        )
        .await
        .assert_redirect("/home");
    assert_eq!(app.storage.counts(), (1, 1));
    let context = browser.get("/context").await.json();
    assert_eq!(context["associations"]["github"][0]["uid"], "583231");
}

/// After disconnecting, the user goes to `next` or else to `disconnect_redirect_url`.
pub async fn disconnect_goes_to_next_or_the_disconnect_url<F: Frontend>() {
    let app = App::<F>::with(Config {
        tweak: |s| s.disconnect_redirect_url = Some("/accounts".into()),
        ..Config::default()
    })
    .await;
    let (mut browser, hubot) = two_accounts(&app).await;
    let token = browser.csrf().await;
    browser
        .post_form(
            &format!("/disconnect/github/{hubot}/"),
            &[("csrf_token", &token)],
        )
        .await
        .assert_redirect("/accounts");

    // Link hubot again (GitHub still answers as hubot), and leave with `next`.
    login(&mut browser, "/login/github/")
        .await
        .assert_redirect("/home");
    let context = browser.get("/context").await.json();
    let hubot = context["associations"]["github"]
        .as_array()
        .and_then(|list| list.iter().find(|a| a["uid"] == "999"))
        .and_then(|a| a["id"].as_i64())
        .unwrap_or_else(|| panic!("hubot is linked again: {context}"));
    let token = browser.csrf().await;
    browser
        .post_form(
            &format!("/disconnect/github/{hubot}/"),
            &[("csrf_token", &token), ("next", "/back")],
        )
        .await
        .assert_redirect("/back");
    assert_eq!(app.storage.counts(), (1, 1));
}

/// The last way to log in cannot be disconnected: the refusal is flashed.
pub async fn the_last_login_method_cannot_be_disconnected<F: Frontend>() {
    let app = App::<F>::new().await;
    let (mut browser, _) = two_accounts(&app).await;
    let token = browser.csrf().await;
    // Both accounts are GitHub's: disconnecting the backend would leave no way in.
    browser
        .post_form("/disconnect/github/", &[("csrf_token", &token)])
        .await
        .assert_redirect("/login-error");
    assert_eq!(
        browser.get("/login-error").await.json(),
        json!({
            "code": "disconnect_forbidden",
            "message": "This is your only way to log in: add another one before disconnecting it.",
            "backend": "github",
        })
    );
    assert_eq!(app.storage.counts(), (1, 2));
}

/// With `raise_exceptions`, disconnect refusals are pages with their status.
pub async fn raising_shows_the_refusal_as_a_403_page<F: Frontend>() {
    let app = App::<F>::raising().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    login(&mut browser, "/login/github/")
        .await
        .assert_redirect("/home");
    let token = browser.csrf().await;
    let response = browser
        .post_form("/disconnect/github/", &[("csrf_token", &token)])
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(
        response.body.contains("disconnect_forbidden"),
        "{}",
        response.body
    );
    assert_eq!(app.storage.counts(), (1, 1));

    let response = browser
        .post_form("/disconnect/github/12345/", &[("csrf_token", &token)])
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "no such association"
    );
    let response = browser
        .post_form(
            "/disconnect/github/not-a-number/",
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}
