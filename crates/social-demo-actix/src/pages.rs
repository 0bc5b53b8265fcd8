//! The demo's pages: home (login buttons, the last login error), profile (accounts,
//! disconnect) and logout.

use std::collections::HashMap;

use actix_web::{
    HttpResponse,
    http::header::{self, ContentType},
    web,
};
use social_actix::{
    AuthUser, CSRF_FIELD, MaybeUser, SocialContext, actix_session::Session, csrf_token, take_error,
    verify_csrf,
};
use social_core::{User, backend::html_escape as esc};

/// Where logins end, and the page of the logged-in user.
pub(crate) const PROFILE_PATH: &str = "/profile/";

/// Registers the pages.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route(PROFILE_PATH, web::get().to(profile))
        .route("/logout/", web::post().to(logout));
}

/// The home page: who is logged in, a login button per backend, and the last login error.
async fn home(
    MaybeUser(user): MaybeUser,
    context: SocialContext,
    session: Session,
) -> HttpResponse {
    let error = match take_error(&session).await {
        Ok(error) => error,
        Err(error) => return unavailable(&error),
    };
    let mut body = String::new();
    if let Some(error) = error {
        body.push_str(&format!(
            r#"<p class="error">Login failed: <span id="error-message">{}</span> (<code id="error-code">{}</code>)</p>"#,
            esc(&error.message),
            esc(&error.code),
        ));
    }
    match &user {
        Some(user) => body.push_str(&format!(
            r#"<p>Logged in as <a href="{PROFILE_PATH}">{}</a>.</p>"#,
            esc(&user.username)
        )),
        None => body.push_str("<p>Log in with the dev provider: pick a made-up user there.</p>"),
    }
    body.push_str(&login_buttons(&context));
    page(&session, user.as_ref(), "social-auth on actix-web", &body).await
}

/// The profile: the user, their accounts with a disconnect button each, and buttons to
/// connect more.
async fn profile(
    AuthUser(user): AuthUser,
    context: SocialContext,
    session: Session,
) -> HttpResponse {
    let csrf = match csrf_token(&session).await {
        Ok(token) => token,
        Err(error) => return unavailable(&error),
    };
    let mut body = format!(
        r#"<h1 id="username">{}</h1><p id="email">{}</p><h2>Accounts</h2>"#,
        esc(&user.username),
        esc(user.email.as_deref().unwrap_or("no e-mail address")),
    );
    for (backend, associations) in &context.associations {
        let shown = context.display_names.get(backend).unwrap_or(backend);
        for association in associations {
            body.push_str(&format!(
                r#"<section data-provider="{backend}" data-uid="{uid}"><h3>{shown}</h3><p>User id there: <code>{uid}</code></p><form method="post" action="/disconnect/{backend}/{id}/">{csrf}<button class="danger" type="submit">Disconnect</button></form></section>"#,
                backend = esc(backend),
                uid = esc(&association.uid),
                shown = esc(shown),
                id = association.id,
                csrf = hidden(CSRF_FIELD, &csrf),
            ));
        }
    }
    body.push_str("<h2>Connect another account</h2>");
    body.push_str(&login_buttons(&context));
    page(&session, Some(&user), "Your profile", &body).await
}

/// Logs out (a POST with the session's CSRF token), then back home.
async fn logout(session: Session, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    match verify_csrf(&session, form.get(CSRF_FIELD).map(String::as_str)).await {
        Ok(true) => {}
        Ok(false) => {
            return HttpResponse::Forbidden()
                .content_type(ContentType::plaintext())
                .body("This form expired. Go back, reload the page and try again.");
        }
        Err(error) => return unavailable(&error),
    }
    if let Err(error) = social_actix::logout(&session).await {
        return unavailable(&error);
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

/// A link per backend that logs in (or connects an account) and comes back to the profile.
fn login_buttons(context: &SocialContext) -> String {
    let buttons: String = context
        .backends
        .iter()
        .map(|backend| {
            let shown = context.display_names.get(backend).unwrap_or(backend);
            format!(
                r#"<li><a class="button" data-backend="{b}" href="/login/{b}/?next={PROFILE_PATH}">Log in with {shown}</a></li>"#,
                b = esc(backend),
                shown = esc(shown),
            )
        })
        .collect();
    format!("<ul class=\"buttons\">{buttons}</ul>")
}

/// A hidden form field; `value` is escaped.
fn hidden(name: &str, value: &str) -> String {
    format!(
        r#"<input type="hidden" name="{}" value="{}">"#,
        esc(name),
        esc(value)
    )
}

/// A whole page with the bar: the user and a logout button when someone is logged in.
async fn page(session: &Session, user: Option<&User>, title: &str, body: &str) -> HttpResponse {
    let nav = match user {
        Some(user) => {
            let csrf = match csrf_token(session).await {
                Ok(token) => token,
                Err(error) => return unavailable(&error),
            };
            format!(
                r#"<a href="{PROFILE_PATH}">{}</a> <form class="inline" method="post" action="/logout/">{}<button type="submit">Log out</button></form>"#,
                esc(&user.username),
                hidden(CSRF_FIELD, &csrf),
            )
        }
        None => String::new(),
    };
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title><style>{STYLE}</style></head><body><header><a href="/">social-auth on actix-web</a><nav>{nav}</nav></header><main>{body}</main></body></html>"#,
        title = esc(title),
    );
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        ))
        .body(html)
}

/// The answer when the session cannot be read or written.
fn unavailable(error: &social_actix::SessionError) -> HttpResponse {
    tracing::error!(%error, "the session failed");
    HttpResponse::ServiceUnavailable()
        .content_type(ContentType::plaintext())
        .body("Sessions are unavailable for a moment. Please try again shortly.")
}

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#222}\
header{display:flex;justify-content:space-between;padding:.75rem 1.5rem;background:#f3f3f3}\
main{max-width:40rem;margin:2rem auto;padding:0 1rem}\
.inline{display:inline}.buttons{list-style:none;padding:0}.buttons li{margin:.5rem 0}\
.button{display:inline-block;padding:.4rem .9rem;border:1px solid #888;border-radius:4px;\
text-decoration:none;color:inherit}.error{color:#a00}.danger{color:#a00}\
section{border-top:1px solid #ddd;padding:.5rem 0}";
