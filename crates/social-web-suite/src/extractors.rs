//! The integration's extractors and middleware on the contract routes: the required and the
//! optional user, login-required, logout and the template context.

use http::StatusCode;
use serde_json::json;

use crate::{App, Frontend, login};

/// Anonymous users are sent to the login URL with `next`, and get no session for it.
pub async fn anonymous_users_are_sent_to_the_login_url_with_next<F: Frontend>() {
    let app = App::<F>::new().await;
    let mut browser = app.browser();
    assert_eq!(browser.get("/home").await.body, "anonymous");
    browser
        .get("/private?tab=a%20b&x=1")
        .await
        .assert_redirect("/login?next=%2Fprivate%3Ftab%3Da%2520b%26x%3D1");
    browser
        .get("/protected")
        .await
        .assert_redirect("/login?next=%2Fprotected");
    assert_eq!(browser.session_id(), None, "no session is created for this");
}

/// Logged-in users pass the extractor and the middleware; logout deletes the session.
pub async fn logged_in_users_pass_and_logout_ends_it<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    login(&mut browser, "/login/github/")
        .await
        .assert_redirect("/home");
    assert_eq!(
        browser.get("/private").await.body,
        "private page of octocat"
    );
    let protected = browser.get("/protected").await;
    assert_eq!(protected.status, StatusCode::OK);
    assert_eq!(protected.body, "protected page");

    let id = browser.session_id().unwrap_or_default();
    let out = browser.post_form("/logout", &[]).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    if app.sessions_in_cookie() {
        assert_eq!(browser.session_id(), None, "the session cookie is removed");
    } else {
        assert!(
            app.session_data(&id).await.is_none(),
            "the session is deleted"
        );
    }
    assert_eq!(browser.get("/home").await.body, "anonymous");
    browser
        .get("/protected")
        .await
        .assert_redirect("/login?next=%2Fprotected");
}

/// The template context lists backends and associations, and never a token.
pub async fn the_template_context_lists_backends_and_associations_without_tokens<F: Frontend>() {
    let app = App::<F>::new().await;
    app.mount_octocat().await;
    let mut browser = app.browser();
    let anonymous = browser.get("/context?next=/a%20b%26c").await.json();
    assert_eq!(
        anonymous,
        json!({
            "associations": {},
            "associated": [],
            "not_associated": ["github"],
            "backends": ["github"],
            "backends_by_protocol": {"OAuth 2.0": ["github"]},
            "display_names": {"github": "GitHub"},
            "redirect_field_name": "next",
            "redirect_field_value": "/a b&c",
            "redirect_querystring": "next=%2Fa+b%26c",
        })
    );

    login(&mut browser, "/login/github/")
        .await
        .assert_redirect("/home");
    let context = browser.get("/context").await.json();
    assert_eq!(context["associated"], json!(["github"]));
    assert_eq!(context["not_associated"], json!([]));
    assert_eq!(context["redirect_querystring"], "");
    let association = &context["associations"]["github"][0];
    assert_eq!(association["uid"], "583231");
    assert_eq!(association["extra_data"]["login"], "octocat");
    let text = context.to_string();
    assert!(!text.contains("access_token"), "{text}");
    assert!(!text.contains(crate::ACCESS_TOKEN), "{text}");
}
