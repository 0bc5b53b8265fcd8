//! Logging in: the happy path, sessions, hostile `next`, unknown backends and state errors.

use std::sync::Arc;

use http::StatusCode;
use serde_json::json;
use social_core::{
    UserId, UserStore as _,
    clock::{Clock as _, FixedClock, SystemClock},
};

use crate::{
    ACCESS_TOKEN, App, Browser, CLIENT_SECRET, Config, Frontend, begin, login, query_param,
};

/// A whole login: redirect to GitHub, callback, a cycled session, then `next`.
pub async fn full_login_redirects_to_next_with_a_new_session<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    let mut browser = app.browser();

    let started = browser.get("/login/github/?next=/after").await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let authorize = started.location().to_owned();
    assert!(
        authorize.starts_with(&format!("{}/login/oauth/authorize?", app.github.uri())),
        "{authorize}"
    );
    assert_eq!(
        query_param(&authorize, "redirect_uri").as_deref(),
        Some("http://testserver/complete/github/"),
        "the callback URL comes from the Host header and the complete path"
    );
    let state = query_param(&authorize, "state").unwrap_or_default();
    let before = browser.session_id().unwrap_or_default();
    assert!(
        !before.is_empty(),
        "begin stores the pending login in a session"
    );
    assert!(
        app.session_of(&browser)
            .await
            .contains_key("social_auth.github.pending")
    );

    let done = browser
        .get(&format!("/complete/github/?code=test-code&state={state}"))
        .await;
    done.assert_redirect("/after");
    let after = browser.session_id().unwrap_or_default();
    assert_ne!(before, after, "the session id is cycled at login");
    if app.sessions_in_cookie() {
        // A copy of the cookie from before the login still opens, but to the session as it
        // was: whoever planted it is not logged in.
        let planted = app.session_data(&before).await.unwrap_or_default();
        assert!(!planted.contains_key("social_auth.user_id"), "{planted:?}");
    } else {
        assert!(
            app.session_data(&before).await.is_none(),
            "the old session is gone from the store"
        );
    }
    let session = app.session_of(&browser).await;
    assert_eq!(session.get("social_auth.user_id"), Some(&json!("1")));
    assert_eq!(
        session.get("social_auth_last_login_backend"),
        Some(&json!("github"))
    );
    assert!(!session.contains_key("social_auth.github.pending"));
    assert!(
        !session
            .values()
            .any(|v| v.to_string().contains(ACCESS_TOKEN)),
        "tokens stay out of the session"
    );
    assert_eq!(browser.get("/home").await.body, "octocat");
    assert_eq!(app.storage.counts(), (1, 1));
}

/// A login without `next` ends at `login_redirect_url`.
pub async fn login_without_next_goes_to_login_redirect_url<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    login(&mut browser, "/login/github/")
        .await
        .assert_redirect("/home");
}

/// `next` from a POST begin form is where the login ends.
pub async fn next_from_a_post_begin_form_reaches_core<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let csrf = browser.csrf().await;
    let started = browser
        .post_form(
            "/login/github/",
            &[("csrf_token", &csrf), ("next", "/from-form")],
        )
        .await;
    let state = query_param(started.location(), "state").unwrap_or_default();
    browser
        .get(&format!("/complete/github/?code=test-code&state={state}"))
        .await
        .assert_redirect("/from-form");
}

/// A `next` to another host is ignored; one to this host is followed.
pub async fn hostile_next_is_ignored<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    for next in [
        "https://evil.com",
        "//evil.com",
        "/\\evil.com",
        "https://testserver.evil.com/",
        "/%2F%2Fevil.com",
    ] {
        let mut browser = app.browser();
        let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
        login(&mut browser, &format!("/login/github/?next={encoded}"))
            .await
            .assert_redirect("/home");
    }
    let mut browser = app.browser();
    login(
        &mut browser,
        "/login/github/?next=http://testserver/same-host",
    )
    .await
    .assert_redirect("http://testserver/same-host");
}

/// A backend compiled in but not configured is a 404 page that says so.
pub async fn a_backend_compiled_in_but_not_configured_is_named_as_such<F: Frontend>() {
    for (raise, says) in [
        (false, "GitHub is not configured on this site."),
        (
            true,
            "GitHub is compiled in but not configured: SOCIAL_AUTH_GITHUB_ENTERPRISE_KEY: is not set",
        ),
    ] {
        let app = App::<F>::with(Config {
            raise,
            ..Config::default()
        })
        .await;
        let page = app.browser().get("/login/github-enterprise/").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains(says), "{}", page.body);
        let unknown = app.browser().get("/login/nope/").await;
        assert!(!unknown.body.contains("not configured"), "{}", unknown.body);
    }
}

/// An unknown backend is a 404 page on every route, its name escaped.
pub async fn unknown_backend_is_a_404_page<F: Frontend>() {
    let app = App::<F>::new().await;
    let mut browser = app.browser();
    for response in [
        browser.get("/login/nope/").await,
        browser.get("/complete/nope/?code=x&state=y").await,
        browser.post_form("/disconnect/nope/", &[]).await,
    ] {
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert!(
            response.body.contains("<code>nope</code>"),
            "{}",
            response.body
        );
    }
    let response = browser.get("/login/%3Cscript%3E/").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert!(
        response.body.contains("&lt;script&gt;") && !response.body.contains("<script>"),
        "the name is escaped: {}",
        response.body
    );
}

async fn flashed_error<F: Frontend>(browser: &mut Browser<'_, F>) -> serde_json::Value {
    let first = browser.get("/login-error").await.json();
    let second = browser.get("/login-error").await.json();
    assert_eq!(second, serde_json::Value::Null, "the error is shown once");
    first
}

/// Missing, forged and replayed states flash an error, once, and write nothing.
pub async fn missing_forged_and_replayed_state_flash_an_error<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;

    // A callback that no login of this browser started.
    let mut browser = app.browser();
    browser
        .get("/complete/github/?code=test-code&state=made-up")
        .await
        .assert_redirect("/login-error");
    assert_eq!(
        flashed_error(&mut browser).await,
        json!({
            "code": "state_missing",
            "message": "This login session expired or was not started here. Please start again.",
            "backend": "github",
        })
    );

    // A callback with another state than the one this browser was given.
    let mut browser = app.browser();
    begin(&mut browser, "/login/github/").await;
    browser
        .get("/complete/github/?code=test-code&state=forged")
        .await
        .assert_redirect("/login-error");
    assert_eq!(flashed_error(&mut browser).await["code"], "state_mismatch");

    // A callback without state at all.
    let mut browser = app.browser();
    begin(&mut browser, "/login/github/").await;
    browser
        .get("/complete/github/?code=test-code")
        .await
        .assert_redirect("/login-error");
    assert_eq!(
        flashed_error(&mut browser).await["code"],
        "missing_parameter"
    );
    assert_eq!(app.storage.counts(), (0, 0), "nothing was written");
    assert_eq!(app.github_hits().await, 0, "no code was exchanged");

    // The same callback twice: the second one finds no pending login.
    let mut browser = app.browser();
    let state = begin(&mut browser, "/login/github/").await;
    let callback = format!("/complete/github/?code=test-code&state={state}");
    browser.get(&callback).await.assert_redirect("/home");
    browser.get(&callback).await.assert_redirect("/login-error");
    assert_eq!(flashed_error(&mut browser).await["code"], "state_missing");
    assert_eq!(
        browser.get("/home").await.body,
        "octocat",
        "still logged in"
    );
}

/// With `raise_exceptions`, errors are detailed pages with their status and no secret.
pub async fn raising_shows_a_detailed_page_with_the_status_of_the_error<F: Frontend>() {
    let app = App::<F>::raising().await;
    let mut browser = app.browser();
    begin(&mut browser, "/login/github/").await;
    let response = browser
        .get("/complete/github/?code=test-code&state=%3Cb%3Eforged")
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    for shown in ["state_mismatch", "callback", "github"] {
        assert!(response.body.contains(shown), "{shown}: {}", response.body);
    }
    assert!(!response.body.contains("<b>"), "{}", response.body);
    assert_eq!(response.header("cache-control"), "no-store");

    // The provider failing upstream is a gateway error, and no secret reaches the page.
    wiremock::Mock::given(wiremock::matchers::path("/login/oauth/access_token"))
        .respond_with(wiremock::ResponseTemplate::new(503))
        .mount(&app.github)
        .await;
    let state = begin(&mut browser, "/login/github/").await;
    let response = browser
        .get(&format!("/complete/github/?code=test-code&state={state}"))
        .await;
    assert_eq!(
        response.status,
        StatusCode::BAD_GATEWAY,
        "{}",
        response.body
    );
    assert!(
        response.body.contains("provider_unavailable"),
        "{}",
        response.body
    );
    assert!(!response.body.contains(CLIENT_SECRET));
    assert!(!response.body.contains("test-code"));
}

/// The access token never reaches the error page.
pub async fn the_token_never_reaches_the_error_page<F: Frontend>() {
    // The profile call fails after the token was issued: the page must not show the token.
    let app = App::<F>::raising().await;
    app.mount_github_token(crate::TOKEN_JSON).await;
    wiremock::Mock::given(wiremock::matchers::path("/api/user"))
        .respond_with(wiremock::ResponseTemplate::new(401).set_body_string("bad credentials"))
        .mount(&app.github)
        .await;
    let mut browser = app.browser();
    let response = login(&mut browser, "/login/github/").await;
    assert_eq!(
        response.status,
        StatusCode::BAD_GATEWAY,
        "{}",
        response.body
    );
    assert!(
        response.body.contains("provider_rejected"),
        "{}",
        response.body
    );
    assert!(!response.body.contains(ACCESS_TOKEN), "{}", response.body);
}

/// The callback's answer must come the way the login asked for it (query or form post).
pub async fn the_answer_comes_the_way_the_login_asked<F: Frontend>() {
    // A query-mode login refuses its answer in a POST body (and the other way round).
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let state = begin(&mut browser, "/login/github/").await;
    browser
        .post_form(
            "/complete/github/",
            &[("code", "test-code"), ("state", &state)],
        )
        .await
        .assert_redirect("/login-error");
    assert_eq!(flashed_error(&mut browser).await["code"], "auth_failed");
    assert_eq!(app.github_hits().await, 0);

    let app = App::<F>::with(Config {
        tweak: crate::form_post::form_post_mode,
        ..Config::default()
    })
    .await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let state = begin(&mut browser, "/login/github/").await;
    browser
        .get(&format!("/complete/github/?code=test-code&state={state}"))
        .await
        .assert_redirect("/login-error");
    assert_eq!(flashed_error(&mut browser).await["code"], "auth_failed");
    let state = begin(&mut browser, "/login/github/").await;
    browser
        .post_form(
            "/complete/github/",
            &[("code", "test-code"), ("state", &state)],
        )
        .await
        .assert_redirect("/home");
}

/// With `session_expiration`, the login ends when the token does: the user is logged in until
/// then and anonymous after, whatever the session store can do with cookie lifetimes.
pub async fn session_expiry_follows_the_token_when_configured<F: Frontend>() {
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let app = App::<F>::with(Config {
        tweak: |s| s.session_expiration = true,
        clock: Some(clock.clone()),
        ..Config::default()
    })
    .await;
    app.mount_github_token(r#"{"access_token":"gho_x","token_type":"bearer","expires_in":3600}"#)
        .await;
    app.mount_github(crate::USER_JSON, crate::EMAILS_JSON).await;
    let mut browser = app.browser();
    login(&mut browser, "/login/github/")
        .await
        .assert_redirect("/home");
    let ends = clock.now() + 3600;
    assert_eq!(
        app.session_of(&browser).await.get("social_auth.expires_at"),
        Some(&json!(ends)),
        "the session keeps when the login ends"
    );
    clock.advance(3599);
    assert_eq!(browser.get("/home").await.body, "octocat");
    clock.advance(1);
    assert_eq!(
        browser.get("/home").await.body,
        "anonymous",
        "the login ends with the token"
    );
    assert_eq!(browser.get("/private").await.status, StatusCode::SEE_OTHER);
}

/// Inactive users are not logged in, and a deactivated user's session no longer counts.
pub async fn inactive_users_are_not_logged_in<F: Frontend>() {
    let app = App::<F>::with(Config {
        tweak: |s| s.inactive_user_url = Some("/inactive".into()),
        ..Config::default()
    })
    .await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    login(&mut browser, "/login/github/")
        .await
        .assert_redirect("/home");
    let mut user = app
        .storage
        .user(&UserId("1".into()))
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("octocat exists"));
    user.is_active = false;
    app.storage
        .update_user(&user)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        browser.get("/home").await.body,
        "anonymous",
        "a deactivated user's session no longer counts"
    );
    let mut other = app.browser();
    login(&mut other, "/login/github/")
        .await
        .assert_redirect("/inactive");
    assert!(
        !app.session_of(&other)
            .await
            .contains_key("social_auth.user_id")
    );
}

/// An association-only backend refuses anonymous users without starting a login.
pub async fn an_association_only_backend_does_not_send_anonymous_users_away<F: Frontend>() {
    let app = App::<F>::with(Config {
        tweak: |s| {
            if let Some(github) = s.backends.get_mut("github") {
                github.association_only = Some(true);
            }
        },
        ..Config::default()
    })
    .await;
    let mut browser = app.browser();
    browser
        .get("/login/github/")
        .await
        .assert_redirect("/login-error");
    assert_eq!(flashed_error(&mut browser).await["code"], "forbidden");
    assert!(
        !app.session_of(&browser)
            .await
            .contains_key("social_auth.github.pending"),
        "no login was started"
    );
    assert_eq!(app.github_hits().await, 0);
}

/// A HEAD callback never exchanges the code.
pub async fn a_head_request_never_spends_the_callback<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let state = begin(&mut browser, "/login/github/?next=/after").await;
    let callback = format!("/complete/github/?code=test-code&state={state}");
    let request = http::Request::head(&callback)
        .header("host", crate::HOST)
        .body(String::new());
    let probe = browser.send(request).await;
    assert_eq!(probe.status, StatusCode::OK);
    assert_eq!(probe.location(), "");
    assert_eq!(app.github_hits().await, 0, "no code was exchanged");
    assert_eq!(app.storage.counts(), (0, 0));
    // The browser's real GET still logs in.
    browser.get(&callback).await.assert_redirect("/after");
}

/// Login answers carry `no-store`, `no-referrer` and `nosniff`.
pub async fn login_answers_are_never_cached_nor_leak_the_callback_url<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let started = browser.get("/login/github/").await;
    let state = query_param(started.location(), "state").unwrap_or_default();
    let done = browser
        .get(&format!("/complete/github/?code=test-code&state={state}"))
        .await;
    let refused = app
        .browser()
        .get("/complete/github/?code=x&state=forged")
        .await;
    let unknown = app.browser().get("/login/nope/").await;
    for (what, response) in [
        ("begin", &started),
        ("callback", &done),
        ("refused callback", &refused),
        ("unknown backend page", &unknown),
    ] {
        assert_eq!(response.header("cache-control"), "no-store", "{what}");
        assert_eq!(response.header("referrer-policy"), "no-referrer", "{what}");
        assert_eq!(
            response.header("x-content-type-options"),
            "nosniff",
            "{what}"
        );
    }
}

/// A callback with `code` or `state` twice is refused; other parameters may repeat.
pub async fn a_callback_with_a_security_parameter_twice_is_refused<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    for polluted in [
        "/complete/github/?code=test-code&code=other&state={state}",
        "/complete/github/?code=test-code&state={state}&state={state}",
        "/complete/github/?code=test-code&state=forged&state={state}",
    ] {
        let mut browser = app.browser();
        let state = begin(&mut browser, "/login/github/").await;
        browser
            .get(&polluted.replace("{state}", &state))
            .await
            .assert_redirect("/login-error");
        assert_eq!(
            flashed_error(&mut browser).await["code"],
            "auth_failed",
            "{polluted}"
        );
    }
    // The same name in the query and in the form body counts twice too.
    let app = App::<F>::with(Config {
        tweak: crate::form_post::form_post_mode,
        ..Config::default()
    })
    .await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let state = begin(&mut browser, "/login/github/").await;
    browser
        .post_form(
            &format!("/complete/github/?state={state}"),
            &[("code", "test-code"), ("state", &state)],
        )
        .await
        .assert_redirect("/login-error");
    assert_eq!(app.github_hits().await, 0, "no code was exchanged");
    assert_eq!(app.storage.counts(), (0, 0));
    // Other parameters may repeat.
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let state = begin(&mut browser, "/login/github/").await;
    browser
        .get(&format!(
            "/complete/github/?code=test-code&state={state}&utm=a&utm=b"
        ))
        .await
        .assert_redirect("/home");
}

/// A forged Host is refused with `allowed_hosts`, and ignored with `public_url`.
pub async fn a_forged_host_never_reaches_the_provider<F: Frontend>() {
    // With ALLOWED_HOSTS, another Host is refused before anything is sent anywhere.
    let app = App::<F>::with(Config {
        tweak: |s| s.allowed_hosts = vec![crate::HOST.to_owned()],
        ..Config::default()
    })
    .await;
    let mut browser = app.browser();
    let forged = http::Request::get("/login/github/")
        .header("host", "evil.example")
        .body(String::new());
    browser.send(forged).await.assert_redirect("/login-error");
    assert_eq!(flashed_error(&mut browser).await["code"], "forbidden");
    assert_eq!(app.github_hits().await, 0);
    let started = browser.get("/login/github/").await;
    assert_eq!(
        query_param(started.location(), "redirect_uri").as_deref(),
        Some("http://testserver/complete/github/")
    );

    // With PUBLIC_URL, the callback URL is built from it whatever Host says.
    let app = App::<F>::with(Config {
        tweak: |s| s.public_url = Some("https://app.example.com".to_owned()),
        ..Config::default()
    })
    .await;
    let mut browser = app.browser();
    let forged = http::Request::get("/login/github/")
        .header("host", "evil.example")
        .body(String::new());
    let response = browser.send(forged).await;
    assert_eq!(
        query_param(response.location(), "redirect_uri").as_deref(),
        Some("https://app.example.com/complete/github/")
    );
}
