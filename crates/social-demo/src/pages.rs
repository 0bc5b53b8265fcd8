//! The demo's own pages: home, profile, error, e-mail form, logout, token refresh.

use std::collections::HashMap;

use axum::{
    Form,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use social_axum::{
    AuthUser, CSRF_FIELD, MaybeUser, SocialContext, csrf_token, logout as end_session, take_error,
};
use social_core::{SocialAccount, User, backend::html_escape as esc};
use tower_sessions::Session;

use crate::{
    account_data,
    app::AppState,
    flash::Flash,
    html::{self, hidden, relative, utc},
};

/// The profile's path: where logins and the actions on accounts end.
pub(crate) const PROFILE_PATH: &str = "/profile/";

/// How pages name a backend: its display name, as the library gives it for every provider
/// compiled in (the dev provider's backends name themselves in `app.rs`).
pub(crate) fn label(backend: &str) -> String {
    static NAMES: std::sync::OnceLock<std::collections::BTreeMap<String, String>> =
        std::sync::OnceLock::new();
    let names = NAMES.get_or_init(|| {
        let mut names: std::collections::BTreeMap<String, String> = social_auth::registry()
            .iter()
            .map(|b| (b.name().to_owned(), b.display_name().to_owned()))
            .collect();
        for (name, shown) in crate::app::DEV_DISPLAY_NAMES {
            names.insert((*name).to_owned(), (*shown).to_owned());
        }
        names
    });
    names
        .get(backend)
        .cloned()
        .unwrap_or_else(|| backend.to_owned())
}

/// A page in the app's frame; the bar shows the user and a logout button when logged in.
async fn render(
    session: &Session,
    user: Option<&User>,
    status: StatusCode,
    title: &str,
    body: &str,
) -> Response {
    let csrf = match user {
        Some(_) => match csrf_token(session).await {
            Ok(token) => Some(token),
            Err(error) => return session_failed(&error),
        },
        None => None,
    };
    // The message of the last action goes on the next page that answers well; an error page
    // leaves it for the one after.
    let flash = if status.is_success() {
        match Flash::take(session).await {
            Ok(flash) => flash,
            Err(error) => return session_failed(&error),
        }
    } else {
        None
    };
    let body = match flash {
        Some(flash) => format!("{}{body}", flash.html()),
        None => body.to_owned(),
    };
    let who = user
        .zip(csrf.as_deref())
        .map(|(u, token)| (u.username.as_str(), token));
    html::respond(status, html::page(who, title, &body))
}

pub(crate) fn session_failed(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "the session store failed");
    html::respond(
        StatusCode::INTERNAL_SERVER_ERROR,
        html::page(
            None,
            "Something went wrong",
            r#"<div class="card"><h1>Something went wrong</h1><p>Please try again in a moment.</p></div>"#,
        ),
    )
}

/// Dev backends first, then the rest by name.
fn ordered(backends: &[String]) -> Vec<&str> {
    let mut names: Vec<&str> = backends.iter().map(String::as_str).collect();
    names.sort_by_key(|n| (!n.starts_with("dev"), *n));
    names
}

fn login_buttons(context: &SocialContext, verb: &str) -> String {
    let query = if context.redirect_querystring.is_empty() {
        String::new()
    } else {
        format!("?{}", context.redirect_querystring)
    };
    ordered(&context.backends)
        .into_iter()
        .map(|name| match typed_input(name) {
            // A same-origin GET form: the begin route starts it without a confirmation.
            Some((param, placeholder)) => format!(
                r#"<form class="inline" method="get" action="/login/{b}/" data-backend="{b}">{next}<input name="{param}" placeholder="{placeholder}" required><button type="submit">{verb} {l}</button></form>"#,
                b = esc(name),
                next = context
                    .redirect_field_value
                    .as_deref()
                    .map(|n| hidden("next", n))
                    .unwrap_or_default(),
                l = esc(&label(name)),
            ),
            None => format!(
                r#"<a class="button" data-backend="{b}" href="/login/{b}/{q}">{verb} {l}</a>"#,
                b = esc(name),
                q = esc(&query),
                l = esc(&label(name)),
            ),
        })
        .collect()
}

/// Backends that start from something the user types: the request parameter and a hint.
fn typed_input(backend: &str) -> Option<(&'static str, &'static str)> {
    match backend {
        "openid" => Some((
            social_auth::openid::IDENTIFIER_PARAM,
            "https://you.example.com/",
        )),
        "livejournal" => Some((social_auth::livejournal::USER_PARAM, "LiveJournal username")),
        _ => None,
    }
}

pub(crate) async fn home(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    context: SocialContext,
    session: Session,
) -> Response {
    let body = match &user {
        None => {
            let mut body = format!(
                r#"<div class="card"><h1>Log in</h1><p class="muted">Pick a provider. The dev provider works offline: be anyone you like.</p><div class="buttons">{}</div></div>"#,
                login_buttons(&context, "Log in with")
            );
            let startup = &state.startup;
            if !startup.unconfigured.is_empty() || !startup.skipped.is_empty() {
                let mut items: String = startup
                    .unconfigured
                    .iter()
                    .map(|(n, needs)| format!("<li>{}: {}</li>", esc(&label(n)), esc(needs)))
                    .collect();
                items.extend(startup.skipped.iter().map(|(n, why)| {
                    format!("<li>{} is switched off: {}</li>", esc(&label(n)), esc(why))
                }));
                body.push_str(&format!(
                    r#"<div class="card"><h2>More providers</h2><p class="muted">Real providers switch on when their keys are configured (see the README).</p><ul>{items}</ul></div>"#
                ));
            }
            body
        }
        Some(user) => {
            let with = context
                .associated
                .iter()
                .map(|b| esc(&label(b)))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                r#"<div class="card"><h1>Hello, {name}</h1><p>You are logged in with {with}. <a href="/profile/">See your profile</a>.</p></div><div class="card"><h2>Connect another account</h2><div class="buttons">{buttons}</div></div>"#,
                name = esc(user.fullname.as_deref().unwrap_or(&user.username)),
                buttons = login_buttons(&context, "Connect"),
            )
        }
    };
    render(
        &session,
        user.as_ref(),
        StatusCode::OK,
        "social-auth demo",
        &body,
    )
    .await
}

/// Why the last account has no working *Disconnect* button.
const ONLY_WAY_IN: &str =
    "This is your only way to log in: connect another account before disconnecting it.";

/// One connected account; `only` when it is the user's last one, which the library refuses
/// to disconnect.
fn association(
    account: &SocialAccount,
    csrf: &str,
    can_refresh: bool,
    only: bool,
    now: i64,
) -> String {
    let shown = social_axum::Association::from(account.clone());
    let rows: String = account_data::rows(&shown.extra_data)
        .iter()
        .map(|(label, value)| format!("<dt>{}</dt><dd>{}</dd>", esc(label), esc(value)))
        .collect();
    let expiry = match account.access_token_expires_at() {
        Some(at) => format!("{} ({})", utc(at), relative(at - now)),
        None => "not given by the provider".to_owned(),
    };
    let provider = esc(&account.provider);
    let refresh = if can_refresh && account.tokens().is_some_and(|t| t.refresh_token.is_some()) {
        format!(
            r#"<form class="inline" method="post" action="/refresh/{id}/">{csrf}<button class="secondary" type="submit">Refresh access token</button></form>"#,
            id = account.id,
            csrf = hidden(CSRF_FIELD, csrf),
        )
    } else {
        String::new()
    };
    let disconnect = if only {
        format!(
            r#"<button class="danger" type="button" disabled title="{why}" aria-describedby="only-{id}">Disconnect</button><span class="aside muted" id="only-{id}">{why}</span>"#,
            why = esc(ONLY_WAY_IN),
            id = account.id,
        )
    } else {
        format!(
            r#"<form class="inline" method="post" action="/disconnect/{provider}/{id}/">{csrf}{next}<button class="danger" type="submit">Disconnect</button></form>"#,
            id = account.id,
            csrf = hidden(CSRF_FIELD, csrf),
            next = hidden("next", PROFILE_PATH),
        )
    };
    format!(
        r#"<section class="card association" data-provider="{provider}" data-uid="{uid}"><h2>{label} <span class="muted">as <code>{uid}</code></span></h2><dl class="kv"><dt>Provider</dt><dd><code>{provider}</code></dd><dt>User id there</dt><dd><code>{uid}</code></dd>{rows}<dt>Access token expires</dt><dd class="expiry">{expiry}</dd><dt>Connected</dt><dd>{created}</dd></dl><div class="row">{refresh}{disconnect}</div></section>"#,
        label = esc(&label(&account.provider)),
        uid = esc(&account.uid),
        expiry = esc(&expiry),
        created = esc(&utc(account.created_at)),
    )
}

pub(crate) async fn profile(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    context: SocialContext,
    session: Session,
) -> Response {
    let auth = &state.auth;
    let accounts = match auth.storage().social_accounts(&user.id).await {
        Ok(accounts) => accounts,
        Err(error) => return session_failed(&error),
    };
    let csrf = match csrf_token(&session).await {
        Ok(token) => token,
        Err(error) => return session_failed(&error),
    };
    let now = auth.clock().now();
    let associations: String = accounts
        .iter()
        .map(|account| {
            let can_refresh = auth
                .registry()
                .get(&account.provider)
                .is_some_and(|b| b.capabilities().refresh);
            // The library's rule: the last social account cannot go, whatever its backend.
            let only = accounts.len() == 1;
            association(account, &csrf, can_refresh, only, now)
        })
        .collect();
    let email = match &user.email {
        Some(email) if user.email_verified => format!(
            "{} <span class=\"muted\">(verified by the provider)</span>",
            esc(email)
        ),
        Some(email) => format!("{} <span class=\"muted\">(not verified)</span>", esc(email)),
        None => r#"<span class="muted">none</span>"#.to_owned(),
    };
    let body = format!(
        r#"<div class="card"><h1>{name}</h1><dl class="kv"><dt>Username</dt><dd id="username">{username}</dd><dt>E-mail</dt><dd id="email">{email}</dd><dt>Full name</dt><dd>{fullname}</dd><dt>User id</dt><dd><code>{id}</code></dd></dl></div><h2>Connected accounts</h2>{associations}<div class="card"><h2>Connect another account</h2><p class="muted">Log in with another provider, or another user of the same one, to add it here.</p><div class="buttons">{buttons}</div></div>"#,
        name = esc(user.fullname.as_deref().unwrap_or(&user.username)),
        username = esc(&user.username),
        fullname = esc(user.fullname.as_deref().unwrap_or("-")),
        id = esc(&user.id.0),
        buttons = login_buttons(&context, "Connect"),
    );
    render(&session, Some(&user), StatusCode::OK, "Your profile", &body).await
}

pub(crate) async fn error(MaybeUser(user): MaybeUser, session: Session) -> Response {
    let error = match take_error(&session).await {
        Ok(error) => error,
        Err(e) => return session_failed(&e),
    };
    let body = match error {
        Some(error) => {
            let retry = match &error.backend {
                Some(backend) => format!(
                    r#"<a class="button" href="/login/{b}/">Try {l} again</a>"#,
                    b = esc(backend),
                    l = esc(&label(backend)),
                ),
                None => String::new(),
            };
            format!(
                r#"<div class="card"><h1>Login failed</h1><p class="flash" role="alert" id="error-message">{message}</p><dl class="kv"><dt>Error code</dt><dd><code id="error-code">{code}</code></dd><dt>Provider</dt><dd>{provider}</dd></dl><div class="row">{retry}<a class="button secondary" href="/">Home</a></div></div>"#,
                message = esc(&error.message),
                code = esc(&error.code),
                provider = esc(&error.backend.as_deref().map(label).unwrap_or_else(|| "-".into())),
            )
        }
        None => r#"<div class="card"><h1>Nothing to report</h1><p>There is no login error to show. <a href="/">Home</a></p></div>"#.to_owned(),
    };
    render(
        &session,
        user.as_ref(),
        StatusCode::OK,
        "Login failed",
        &body,
    )
    .await
}

pub(crate) async fn email_form(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Query(query): Query<HashMap<String, String>>,
    session: Session,
) -> Response {
    let token = query
        .get(social_core::PARTIAL_TOKEN_PARAM)
        .map(String::as_str)
        .unwrap_or_default();
    let backend = query.get("backend").map(String::as_str).unwrap_or_default();
    email_page(&state, &session, user.as_ref(), backend, token, None).await
}

/// The e-mail form of the paused login `token` of `backend`; with `typed`, shown again
/// (422) with that value and what is wrong with it.
pub(crate) async fn email_page(
    state: &AppState,
    session: &Session,
    user: Option<&User>,
    backend: &str,
    token: &str,
    typed: Option<&str>,
) -> Response {
    let auth = &state.auth;
    if auth.registry().get(backend).is_none() {
        return not_found_page(session, user).await;
    }
    let partial = match auth.storage().partial(token).await {
        Ok(partial) => {
            partial.filter(|p| p.backend == backend && p.expires_at > auth.clock().now())
        }
        Err(e) => return session_failed(&e),
    };
    let Some(partial) = partial else {
        let body = format!(
            r#"<div class="card"><h1>This sign-in is over</h1><p>It expired or was already finished. <a href="/login/{b}/">Start again</a>.</p></div>"#,
            b = esc(backend)
        );
        return render(session, user, StatusCode::GONE, "Sign-in expired", &body).await;
    };
    let details = &partial.data["details"];
    let who = details["fullname"]
        .as_str()
        .or_else(|| details["username"].as_str())
        .map(|n| format!(" for <strong>{}</strong>", esc(n)))
        .unwrap_or_default();
    let csrf = match csrf_token(session).await {
        Ok(csrf) => csrf,
        Err(e) => return session_failed(&e),
    };
    let (status, field) = match typed {
        None => (
            StatusCode::OK,
            r#"<input id="email" name="email" type="email" required autocomplete="email">"#
                .to_owned(),
        ),
        Some(typed) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                r#"<input id="email" name="email" value="{value}" type="email" required autocomplete="email" aria-invalid="true" aria-describedby="email-error"><p class="field-error" id="email-error">{problem}</p>"#,
                value = esc(typed),
                problem = esc(email_problem(typed)),
            ),
        ),
    };
    let body = format!(
        r#"<div class="card"><h1>One more thing</h1><p>{provider} did not tell us your e-mail address. Which one should we use{who}?</p><form method="post" action="/complete/{b}/">{token}{csrf}<label for="email">E-mail</label>{field}<div class="row"><button type="submit">Continue</button></div></form></div>"#,
        provider = esc(&label(backend)),
        b = esc(backend),
        token = hidden(social_core::PARTIAL_TOKEN_PARAM, token),
        csrf = hidden(CSRF_FIELD, &csrf),
    );
    render(session, user, status, "Your e-mail address", &body).await
}

/// What is wrong with `typed`, which `social_core::pipeline::normalize_email` refused.
fn email_problem(typed: &str) -> &'static str {
    let typed = typed.trim();
    let (local, domain) = typed.split_once('@').unwrap_or((typed, ""));
    if typed.is_empty() {
        "Enter your e-mail address."
    } else if typed.matches('@').count() != 1 {
        "An e-mail address has exactly one @, as in name@example.com."
    } else if local.is_empty() {
        "Put your name before the @, as in name@example.com."
    } else if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        "After the @ comes a domain with a dot, such as example.com."
    } else {
        "This is not an address we can use: check it for spaces, quotes, brackets or look-alike characters."
    }
}

/// Whether the form carried this session's CSRF token.
async fn csrf_ok(
    session: &Session,
    form: &HashMap<String, String>,
) -> Result<bool, social_axum::SessionError> {
    social_axum::verify_csrf(session, form.get(CSRF_FIELD).map(String::as_str)).await
}

fn forbidden() -> Response {
    html::respond(
        StatusCode::FORBIDDEN,
        html::page(
            None,
            "Forbidden",
            r#"<div class="card"><h1>This form expired</h1><p>It was not sent from this site, or your session changed since. <a href="/">Home</a></p></div>"#,
        ),
    )
}

pub(crate) async fn logout(
    session: Session,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    match csrf_ok(&session, &form).await {
        Ok(true) => {}
        Ok(false) => return forbidden(),
        Err(e) => return session_failed(&e),
    }
    if let Err(e) = end_session(&session).await {
        return session_failed(&e);
    }
    // The message needs a session: a new one, under an id the ended one never had.
    let kept = match session.cycle_id().await {
        Ok(()) => Flash::Done("Logged out.".to_owned()).keep(&session).await,
        Err(e) => Err(e),
    };
    match kept {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => session_failed(&e),
    }
}

pub(crate) async fn refresh(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(association_id): Path<i64>,
    session: Session,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    match csrf_ok(&session, &form).await {
        Ok(true) => {}
        Ok(false) => return forbidden(),
        Err(e) => return session_failed(&e),
    }
    let auth = &state.auth;
    let account = match auth.storage().social_account_by_id(association_id).await {
        Ok(Some(account)) if account.user_id == user.id => account,
        Ok(_) => return not_found_page(&session, Some(&user)).await,
        Err(e) => return session_failed(&e),
    };
    match auth.refresh_token(&account).await {
        Ok(_) => match Flash::Done("Tokens refreshed.".to_owned())
            .keep(&session)
            .await
        {
            Ok(()) => Redirect::to(PROFILE_PATH).into_response(),
            Err(e) => session_failed(&e),
        },
        Err(error) => {
            tracing::warn!(%error, "token refresh failed");
            let body = format!(
                r#"<div class="card"><h1>Could not refresh the token</h1><p class="flash" role="alert">{}</p><p><a href="/profile/">Back to your profile</a></p></div>"#,
                esc(error.user_message())
            );
            render(
                &session,
                Some(&user),
                StatusCode::BAD_GATEWAY,
                "Refresh failed",
                &body,
            )
            .await
        }
    }
}

async fn not_found_page(session: &Session, user: Option<&User>) -> Response {
    let body = r#"<div class="card"><h1>Not found</h1><p>There is nothing here. <a href="/">Home</a></p></div>"#;
    render(session, user, StatusCode::NOT_FOUND, "Not found", body).await
}

pub(crate) async fn not_found(MaybeUser(user): MaybeUser, session: Session) -> Response {
    not_found_page(&session, user.as_ref()).await
}
