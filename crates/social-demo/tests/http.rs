//! The demo's own pages over plain HTTP, against the built-in dev provider: login, profile,
//! the e-mail form of the partial pipeline, errors, disconnect, token refresh and logout.

mod common;

use common::{Browser, serve};
use reqwest::StatusCode;
use social_core::{BackendSettings, Secret, Settings};

#[tokio::test]
async fn the_profile_requires_login_and_login_comes_back_to_it() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    let denied = browser.get("/profile/").await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER);
    assert_eq!(denied.location.as_deref(), Some("/?next=%2Fprofile%2F"));

    let home = browser.get("/?next=%2Fprofile%2F").await;
    assert!(
        home.body
            .contains(r#"href="/login/dev/?next=%2Fprofile%2F""#),
        "login links carry `next`: {}",
        home.body
    );
    let done = browser.dev_login("dev", &[("preset", "alice")]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location.as_deref(), Some("/profile/"));
    let profile = browser.get("/profile/").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains(r#"<dd id="username">alice</dd>"#));
    assert!(profile.body.contains("alice@example.com"));
    assert!(
        profile
            .body
            .contains(r#"data-provider="dev" data-uid="alice""#)
    );
    assert!(
        profile.body.contains("in 60 minutes"),
        "token expiry is shown"
    );
    assert!(
        !profile.body.contains("access_token") && !profile.body.contains("refresh_token"),
        "no tokens on the page"
    );
}

#[tokio::test]
async fn the_generic_openid_connect_backend_logs_in_through_discovery() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    let start = browser.get("/login/dev-oidc/").await;
    let authorize = start.location.expect("a redirect to the provider");
    assert!(
        authorize.starts_with(&format!("{}/dev-provider/authorize?", server.url)),
        "the endpoint comes from discovery: {authorize}"
    );
    assert!(authorize.contains("nonce="), "a nonce is sent: {authorize}");
    assert!(authorize.contains("scope=openid"), "{authorize}");

    let done = browser.dev_login("dev-oidc", &[("preset", "bob")]).await;
    assert_eq!(done.location.as_deref(), Some("/profile/"), "{}", done.body);
    let profile = browser.get("/profile/").await;
    assert!(
        profile
            .body
            .contains(r#"data-provider="dev-oidc" data-uid="bob""#)
    );
    assert!(profile.body.contains("bob@example.org"));
    let account = server
        .auth
        .storage()
        .social_account("dev-oidc", "bob")
        .await
        .expect("storage")
        .expect("bob's account");
    let tokens = account.tokens().expect("tokens are stored");
    assert!(tokens.id_token.is_some(), "the validated ID token is kept");
}

#[tokio::test]
async fn logout_needs_the_csrf_token_and_ends_the_session() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    browser.dev_login("dev", &[("preset", "bob")]).await;
    let profile = browser.get("/profile/").await;
    let csrf = profile
        .input("csrf_token")
        .expect("a CSRF token in the page");

    let forged = browser.post("/logout/", &[("csrf_token", "guess")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/profile/").await.status,
        StatusCode::OK,
        "still logged in"
    );

    let out = browser.post("/logout/", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location.as_deref(), Some("/"));
    assert_eq!(browser.get("/profile/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_withheld_email_is_asked_for_then_the_login_completes() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    let paused = browser
        .dev_login("dev", &[("preset", "alice"), ("withhold_email", "1")])
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    let form_url = paused.location.expect("sent to the e-mail form");
    assert!(form_url.starts_with("/email/?partial_token="), "{form_url}");
    assert!(form_url.ends_with("&backend=dev"), "{form_url}");

    let form = browser.get(&form_url).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r#"action="/complete/dev/""#));
    assert!(
        form.body.contains("Alice Liddell"),
        "says who is signing in"
    );
    let token = form
        .input("partial_token")
        .expect("the token is in the form");
    let csrf = form
        .input("csrf_token")
        .expect("the form carries the CSRF token");

    // Another browser cannot finish this login with the token, even with a form of its own.
    let mut other = Browser::new(&server.url);
    let other_form = other.get(&form_url).await;
    let other_csrf = other_form.input("csrf_token").unwrap_or_default();
    let stolen = other
        .post(
            "/complete/dev/",
            &[
                ("partial_token", &token),
                ("email", "mallory@example.com"),
                ("csrf_token", &other_csrf),
            ],
        )
        .await;
    assert_eq!(stolen.location.as_deref(), Some("/error/"));
    assert_eq!(other.get("/profile/").await.status, StatusCode::SEE_OTHER);

    let done = browser
        .post(
            "/complete/dev/",
            &[
                ("partial_token", &token),
                ("email", "alice@wonder.land"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/profile/"));
    let profile = browser.get("/profile/").await;
    assert!(
        profile.body.contains("alice@wonder.land"),
        "{}",
        profile.body
    );
    assert!(profile.body.contains("(not verified)"));

    // The token is spent: the form now says the sign-in is over.
    let again = browser.get(&form_url).await;
    assert_eq!(again.status, StatusCode::GONE);
}

#[tokio::test]
async fn the_email_form_refuses_unknown_backends_and_tokens() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    let unknown = browser.get("/email/?partial_token=x&backend=nope").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let stale = browser.get("/email/?partial_token=x&backend=dev").await;
    assert_eq!(stale.status, StatusCode::GONE);
    assert!(stale.body.contains(r#"href="/login/dev/""#));
}

#[tokio::test]
async fn denied_and_tampered_logins_end_on_the_error_page() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    let denied = browser.dev_login("dev", &[("action", "deny")]).await;
    assert_eq!(denied.location.as_deref(), Some("/error/"));
    let page = browser.get("/error/").await;
    assert!(
        page.body
            .contains(r#"<code id="error-code">auth_canceled</code>"#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"href="/login/dev/""#),
        "offers to try again"
    );
    let shown_once = browser.get("/error/").await;
    assert!(shown_once.body.contains("Nothing to report"));

    browser.get("/login/dev/").await;
    let tampered = browser.get("/complete/dev/?code=x&state=forged").await;
    assert_eq!(tampered.location.as_deref(), Some("/error/"));
    let page = browser.get("/error/").await;
    assert!(page.body.contains("state_mismatch"), "{}", page.body);
    assert_eq!(browser.get("/profile/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_second_account_is_associated_and_the_last_one_cannot_go() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    browser.dev_login("dev", &[("preset", "alice")]).await;
    let connected = browser.dev_login("dev2", &[("preset", "bob")]).await;
    assert_eq!(connected.location.as_deref(), Some("/profile/"));
    let profile = browser.get("/profile/").await;
    assert!(
        profile
            .body
            .contains(r#"data-provider="dev" data-uid="alice""#)
    );
    assert!(
        profile
            .body
            .contains(r#"data-provider="dev2" data-uid="bob""#)
    );
    assert!(
        profile.body.contains(r#"<dd id="username">alice</dd>"#),
        "still alice"
    );

    let csrf = profile.input("csrf_token").expect("csrf");
    let accounts = server
        .auth
        .storage()
        .social_accounts(&first_user(&server).await)
        .await
        .expect("accounts");
    let dev2 = accounts
        .iter()
        .find(|a| a.provider == "dev2")
        .expect("dev2 account");
    let dev = accounts
        .iter()
        .find(|a| a.provider == "dev")
        .expect("dev account");

    let gone = browser
        .post(
            &format!("/disconnect/dev2/{}/", dev2.id),
            &[("csrf_token", &csrf), ("next", "/profile/")],
        )
        .await;
    assert_eq!(gone.location.as_deref(), Some("/profile/"));
    let profile = browser.get("/profile/").await;
    assert!(!profile.body.contains(r#"data-provider="dev2""#));

    let refused = browser
        .post(
            &format!("/disconnect/dev/{}/", dev.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(refused.location.as_deref(), Some("/error/"));
    let page = browser.get("/error/").await;
    assert!(page.body.contains("disconnect_forbidden"), "{}", page.body);
}

async fn first_user(server: &common::Server) -> social_core::UserId {
    let user = server
        .auth
        .storage()
        .social_account("dev", "alice")
        .await
        .expect("storage")
        .expect("alice's account");
    user.user_id
}

#[tokio::test]
async fn the_refresh_button_uses_the_refresh_grant() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    browser.dev_login("dev", &[("preset", "alice")]).await;
    let before = server
        .auth
        .storage()
        .social_account("dev", "alice")
        .await
        .expect("storage")
        .expect("account");
    let profile = browser.get("/profile/").await;
    let csrf = profile.input("csrf_token").expect("csrf");
    let refreshed = browser
        .post(
            &format!("/refresh/{}/", before.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(
        refreshed.location.as_deref(),
        Some("/profile/"),
        "{}",
        refreshed.body
    );
    let after = server
        .auth
        .storage()
        .social_account("dev", "alice")
        .await
        .expect("storage")
        .expect("account");
    let token =
        |a: &social_core::SocialAccount| a.tokens().map(|t| t.access_token.secret().to_owned());
    assert_ne!(
        token(&before),
        token(&after),
        "a new access token is stored"
    );
}

#[tokio::test]
async fn a_provider_with_a_key_but_no_secret_is_skipped_with_a_reason() {
    let mut settings = Settings::default();
    let mut github = BackendSettings::default();
    github.key = Some("id".into());
    settings.backends.insert("github".into(), github);
    let mut google = BackendSettings::default();
    google.secret = Some(Secret::new("s"));
    settings.backends.insert("google".into(), google);
    let server = serve(|c| c.settings(settings)).await;
    let skipped: Vec<&str> = server
        .startup
        .skipped
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(skipped, ["github", "google"]);
    assert!(
        server.startup.skipped[0]
            .1
            .contains("SOCIAL_AUTH_GITHUB_SECRET")
    );
    assert!(
        server.startup.skipped[1]
            .1
            .contains("SOCIAL_AUTH_GOOGLE_KEY")
    );
    assert_eq!(server.startup.enabled, ["dev", "dev2", "dev-oidc"]);
    let unconfigured: Vec<&str> = server
        .startup
        .unconfigured
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert!(unconfigured.contains(&"facebook"), "{unconfigured:?}");
    assert!(!unconfigured.contains(&"github") && !unconfigured.contains(&"google"));
    let facebook = server
        .startup
        .unconfigured
        .iter()
        .find(|(n, _)| n == "facebook")
        .map(|(_, needs)| needs.as_str());
    let needs = "set SOCIAL_AUTH_FACEBOOK_KEY and SOCIAL_AUTH_FACEBOOK_SECRET";
    assert_eq!(facebook, Some(needs));
    // Every setting a provider requires is named, not only its key and secret.
    let apple = server
        .startup
        .unconfigured
        .iter()
        .find(|(n, _)| n == "apple-id")
        .map(|(_, needs)| needs.as_str())
        .unwrap_or_default();
    for setting in ["KEY", "TEAM_ID", "PRIVATE_KEY_ID", "PRIVATE_KEY"] {
        assert!(
            apple.contains(&format!("SOCIAL_AUTH_APPLE_ID_{setting}")),
            "{setting}: {apple}"
        );
    }
    assert!(!apple.contains("SOCIAL_AUTH_APPLE_ID_SECRET"), "{apple}");
    let home = Browser::new(&server.url).get("/").await;
    assert!(
        home.body.contains("SOCIAL_AUTH_GITHUB_SECRET"),
        "the home page says why"
    );
    assert!(home.body.contains(needs));
    assert!(!home.body.contains(r#"href="/login/github/""#));
}

#[tokio::test]
async fn openid_backends_that_need_typed_input_get_a_form() {
    let server = serve(|mut c| {
        let mut openid = BackendSettings::default();
        openid.options.insert(
            "openid_identifier".into(),
            social_core::settings::TomlValue::String("https://op.example/".into()),
        );
        c.settings.backends.insert("myop".into(), openid);
        c.settings
            .backends
            .insert("openid".into(), BackendSettings::default());
        c
    })
    .await;
    let mut browser = Browser::new(&server.url);
    let home = browser.get("/").await;
    assert!(
        home.body.contains(
            r#"<form class="inline" method="get" action="/login/openid/" data-backend="openid"><input name="openid_identifier""#
        ),
        "the generic backend asks for an identifier: {}",
        home.body
    );
    assert!(
        home.body.contains(r#"href="/login/myop/""#),
        "a generic backend with a fixed identifier is a plain button: {}",
        home.body
    );
    // An empty identifier is refused before any request leaves the app.
    let refused = browser.get("/login/openid/?openid_identifier=").await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
}
