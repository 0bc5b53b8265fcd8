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
    assert!(
        profile.body.contains(r#"<p class="flash done" role="status" id="flash">Disconnected Dev provider (second client).</p>"#),
        "{}",
        profile.body
    );
    // The same form again, from a tab left open: nothing to disconnect any more.
    let twice = browser
        .post(
            &format!("/disconnect/dev2/{}/", dev2.id),
            &[("csrf_token", &csrf), ("next", "/profile/")],
        )
        .await;
    assert_eq!(twice.location.as_deref(), Some("/profile/"));
    let profile = browser.get("/profile/").await;
    assert!(
        profile.body.contains(r#"id="flash">Could not disconnect Dev provider (second client): it is not connected to your account (any more).</p>"#),
        "{}",
        profile.body
    );

    // The last account's button is disabled, and says why.
    let only = section(&profile.body, "dev");
    assert!(
        only.contains(r#"<button class="danger" type="button" disabled title="This is your only way to log in: connect another account before disconnecting it.""#),
        "{only}"
    );
    assert!(!only.contains("/disconnect/"), "no form to send: {only}");

    // A form sent anyway (an old tab, a hand-made request) is refused on the profile, not as
    // a failed login.
    let refused = browser
        .post(
            &format!("/disconnect/dev/{}/", dev.id),
            &[("csrf_token", &csrf), ("next", "/profile/")],
        )
        .await;
    assert_eq!(refused.location.as_deref(), Some("/profile/"));
    let profile = browser.get("/profile/").await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(
        profile.body.contains(r#"<p class="flash" role="alert" id="flash">You cannot disconnect Dev provider: it is your only way to log in. Connect another account first.</p>"#),
        "{}",
        profile.body
    );
    assert!(
        profile
            .body
            .contains(r#"data-provider="dev" data-uid="alice""#)
    );
    assert!(!profile.body.contains("Login failed"));
    let error_page = browser.get("/error/").await;
    assert!(
        error_page.body.contains("Nothing to report"),
        "the refusal is not a login error: {}",
        error_page.body
    );
    let again = browser.get("/profile/").await;
    assert!(!again.body.contains(r#"id="flash""#), "shown once");
}

/// The `<section>` of the profile showing the account of `provider`.
fn section<'a>(body: &'a str, provider: &str) -> &'a str {
    let marker = format!(r#"<section class="card association" data-provider="{provider}""#);
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {provider} account: {body}"));
    let end = body[start..]
        .find("</section>")
        .map_or(body.len(), |end| start + end);
    &body[start..end]
}

#[tokio::test]
async fn a_login_error_not_yet_shown_survives_a_disconnect() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    browser.dev_login("dev", &[("preset", "alice")]).await;
    browser.dev_login("dev2", &[("preset", "bob")]).await;
    // Connecting a third account is cancelled, and the error page is not visited.
    let cancelled = browser.dev_login("dev-oidc", &[("action", "deny")]).await;
    assert_eq!(cancelled.location.as_deref(), Some("/error/"));
    let profile = browser.get("/profile/").await;
    let csrf = profile.input("csrf_token").expect("csrf");
    let dev2 = server
        .auth
        .storage()
        .social_account("dev2", "bob")
        .await
        .expect("storage")
        .expect("bob's account");
    let gone = browser
        .post(
            &format!("/disconnect/dev2/{}/", dev2.id),
            &[("csrf_token", &csrf), ("next", "/profile/")],
        )
        .await;
    assert_eq!(gone.location.as_deref(), Some("/profile/"));
    let profile = browser.get("/profile/").await;
    assert!(
        profile
            .body
            .contains("Disconnected Dev provider (second client)."),
        "{}",
        profile.body
    );
    let page = browser.get("/error/").await;
    assert!(page.body.contains("auth_canceled"), "{}", page.body);
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

#[tokio::test]
async fn an_unusable_email_comes_back_with_the_reason_and_the_typed_value() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    let paused = browser
        .dev_login("dev", &[("preset", "alice"), ("withhold_email", "1")])
        .await;
    let form_url = paused.location.expect("sent to the e-mail form");
    let form = browser.get(&form_url).await;
    assert!(
        !form.body.contains("email-error"),
        "no message before anything is typed"
    );
    let token = form.input("partial_token").expect("token");
    let csrf = form.input("csrf_token").expect("CSRF token");

    for (typed, problem) in [
        ("alice@wonderland", "After the @ comes a domain with a dot"),
        ("alice.example.com", "exactly one @"),
        ("", "Enter your e-mail address."),
        ("\"alice\"@example.com", "This is not an address we can use"),
    ] {
        let again = browser
            .post(
                "/complete/dev/",
                &[
                    ("partial_token", &token),
                    ("email", typed),
                    ("csrf_token", &csrf),
                ],
            )
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert_eq!(
            again.input("email").as_deref(),
            Some(typed),
            "the typed value is kept: {}",
            again.body
        );
        assert!(
            again
                .body
                .contains(r#"aria-invalid="true" aria-describedby="email-error""#),
            "{}",
            again.body
        );
        let message = again
            .body
            .split(r#"<p class="field-error" id="email-error">"#)
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .unwrap_or_default();
        assert!(message.contains(problem), "{typed:?}: {message}");
        assert_eq!(
            again.input("partial_token").as_deref(),
            Some(token.as_str()),
            "the same paused login"
        );
        assert!(again.body.contains(r#"action="/complete/dev/""#));
    }

    // What is typed is shown as text, never as markup.
    let hostile = browser
        .post(
            "/complete/dev/",
            &[
                ("partial_token", &token),
                ("email", "\"><script>x</script>"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(hostile.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!hostile.body.contains("<script>"), "{}", hostile.body);

    // Without this site's CSRF token the library refuses it, as before.
    let forged = browser
        .post(
            "/complete/dev/",
            &[
                ("partial_token", &token),
                ("email", "alice@wonderland"),
                ("csrf_token", "guess"),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);

    let done = browser
        .post(
            "/complete/dev/",
            &[
                ("partial_token", &token),
                ("email", " Alice@Wonder.Land "),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/profile/"), "{}", done.body);
    let profile = browser.get("/profile/").await;
    assert!(
        profile.body.contains("Alice@wonder.land"),
        "{}",
        profile.body
    );
}

#[tokio::test]
async fn actions_leave_a_message_shown_once() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    browser.dev_login("dev", &[("preset", "alice")]).await;
    let profile = browser.get("/profile/").await;
    assert!(!profile.body.contains(r#"id="flash""#), "{}", profile.body);
    let csrf = profile.input("csrf_token").expect("csrf");
    let account = server
        .auth
        .storage()
        .social_account("dev", "alice")
        .await
        .expect("storage")
        .expect("account");

    let refreshed = browser
        .post(
            &format!("/refresh/{}/", account.id),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(refreshed.location.as_deref(), Some("/profile/"));
    let profile = browser.get("/profile/").await;
    assert!(
        profile
            .body
            .contains(r#"<p class="flash done" role="status" id="flash">Tokens refreshed.</p>"#),
        "{}",
        profile.body
    );
    let again = browser.get("/profile/").await;
    assert!(!again.body.contains(r#"id="flash""#), "shown once");

    browser.dev_login("dev2", &[("preset", "bob")]).await;
    // A login drops the CSRF token: the profile has a new one.
    let csrf = browser
        .get("/profile/")
        .await
        .input("csrf_token")
        .expect("csrf");
    let dev2 = server
        .auth
        .storage()
        .social_account("dev2", "bob")
        .await
        .expect("storage")
        .expect("account");
    let gone = browser
        .post(
            &format!("/disconnect/dev2/{}/", dev2.id),
            &[("csrf_token", &csrf), ("next", "/profile/")],
        )
        .await;
    assert_eq!(gone.location.as_deref(), Some("/profile/"));
    // A page that fails does not use the message up.
    assert_eq!(browser.get("/nowhere/").await.status, StatusCode::NOT_FOUND);
    let profile = browser.get("/profile/").await;
    assert!(
        profile
            .body
            .contains(r#"id="flash">Disconnected Dev provider (second client).</p>"#),
        "{}",
        profile.body
    );
    assert!(
        !browser
            .get("/profile/")
            .await
            .body
            .contains(r#"id="flash""#)
    );

    // A forged disconnect does nothing and says nothing.
    let forged = browser
        .post(
            &format!("/disconnect/dev/{}/", account.id),
            &[("csrf_token", "guess")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(
        !browser
            .get("/profile/")
            .await
            .body
            .contains(r#"id="flash""#)
    );

    let before = browser.cookie().map(str::to_owned);
    let out = browser.post("/logout/", &[("csrf_token", &csrf)]).await;
    assert_eq!(out.location.as_deref(), Some("/"));
    assert_ne!(
        browser.cookie().map(str::to_owned),
        before,
        "the message lives in a new session, not the one that ended"
    );
    let home = browser.get("/").await;
    assert!(
        home.body
            .contains(r#"<p class="flash done" role="status" id="flash">Logged out.</p>"#),
        "{}",
        home.body
    );
    assert!(home.body.contains("<h1>Log in</h1>"), "{}", home.body);
    assert!(!browser.get("/").await.body.contains(r#"id="flash""#));
    assert_eq!(browser.get("/profile/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_profile_shows_labels_and_no_credentials() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    browser.dev_login("dev", &[("preset", "alice")]).await;
    let storage = server.auth.storage();
    let mut account = storage
        .social_account("dev", "alice")
        .await
        .expect("storage")
        .expect("account");
    let tokens = account.tokens().expect("tokens are stored");
    // What other providers keep: an unknown key, and credentials under various names.
    for (key, value) in [
        ("xoauth_yahoo_guid", serde_json::json!("GUID-1")),
        ("oauth_token_secret", serde_json::json!("LEAK-1")),
        ("api_key", serde_json::json!("LEAK-2")),
        ("sessionKey", serde_json::json!("LEAK-3")),
        (
            "profile",
            serde_json::json!({"name": "Alice", "access_token": "LEAK-4"}),
        ),
    ] {
        account.extra_data.insert(key.into(), value);
    }
    storage
        .update_extra_data(account.id, &account.extra_data)
        .await
        .expect("stored");

    let profile = browser.get("/profile/").await;
    let shown = section(&profile.body, "dev");
    for row in [
        "<dt>Username there</dt><dd>alice</dd>",
        "<dt>E-mail verified</dt><dd>yes</dd>",
        "<dt>Scopes</dt><dd>profile, email</dd>",
        "<dt>Last login with it</dt><dd>",
        "<dt>Xoauth yahoo guid</dt><dd>GUID-1</dd>",
        "<dt>Profile</dt>",
        "<dt>Access token expires</dt>",
    ] {
        assert!(shown.contains(row), "{row}: {shown}");
    }
    for raw in [
        "auth_time",
        "email_verified",
        "xoauth_yahoo_guid",
        "<dt>scope",
        "<dt>login",
    ] {
        assert!(!shown.contains(raw), "raw key {raw}: {shown}");
    }
    for secret in [
        "LEAK-",
        tokens.access_token.secret(),
        tokens
            .refresh_token
            .as_ref()
            .map(|t| t.secret())
            .unwrap_or("no refresh token"),
    ] {
        assert!(!profile.body.contains(secret), "{secret}: {shown}");
    }
}

#[tokio::test]
async fn connecting_another_identity_keeps_the_users_name() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    browser.dev_login("dev", &[("preset", "alice")]).await;
    browser.dev_login("dev2", &[("preset", "bob")]).await;
    let profile = browser.get("/profile/").await;
    assert!(
        profile
            .body
            .contains(r#"data-provider="dev2" data-uid="bob""#),
        "connected"
    );
    assert!(
        profile.body.contains("<h1>Alice Liddell</h1>")
            && profile
                .body
                .contains("<dt>Full name</dt><dd>Alice Liddell</dd>"),
        "{}",
        profile.body
    );
    assert!(!profile.body.contains("Bob Tables"), "{}", profile.body);

    // The demo passes the library's setting through: `always` takes the provider's names.
    let mut settings = Settings::default();
    settings.user_details_update = social_core::settings::DetailsUpdate::Always;
    let server = serve(|c| c.settings(settings)).await;
    let mut browser = Browser::new(&server.url);
    browser.dev_login("dev", &[("preset", "alice")]).await;
    browser.dev_login("dev2", &[("preset", "bob")]).await;
    let profile = browser.get("/profile/").await;
    assert!(
        profile
            .body
            .contains("<dt>Full name</dt><dd>Bob Tables</dd>"),
        "{}",
        profile.body
    );
}

#[tokio::test]
async fn viewing_a_page_does_not_rewrite_the_session() {
    let server = serve(|c| c).await;
    let mut browser = Browser::new(&server.url);
    browser.dev_login("dev", &[("preset", "alice")]).await;
    browser.get("/profile/").await;
    let cookie = browser.cookie().expect("a session").to_owned();
    // Looking for a message to show must not write the session back to the store (which
    // re-sends the cookie) on every page.
    let client = reqwest::Client::new();
    for path in ["/profile/", "/"] {
        let response = client
            .get(format!("{}{path}", server.url))
            .header(reqwest::header::COOKIE, &cookie)
            .send()
            .await
            .expect("the demo answers");
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response
                .headers()
                .get(reqwest::header::SET_COOKIE)
                .is_none(),
            "{path}: {:?}",
            response.headers()
        );
    }
}

#[tokio::test]
async fn a_session_key_with_a_store_that_would_not_read_it_is_refused() {
    use social_demo::{Config, DevProviderMode, SessionBackend, SessionKey};

    let config = Config::new("http://127.0.0.1:8000")
        .database_url("sqlite::memory:")
        .dev_provider(DevProviderMode::Off)
        .sessions(SessionBackend::Memory)
        .session_key(SessionKey::generate());
    let error = match social_demo::build(config).await {
        Ok(_) => panic!("a key no store reads was accepted"),
        Err(error) => error.to_string(),
    };
    assert!(
        error.contains("SESSION_KEY: is only used with SESSION_STORE=cookie"),
        "{error}"
    );
}
