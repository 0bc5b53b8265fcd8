//! The mock provider's answer at `/authorize`: the scripted one, or the login form (pick a
//! preset, make a user up, or deny).

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::StatusCode,
    response::Response,
};

use super::{Answer, AuthRequest, MockUser, Params, Shared, St, authorize_error, query_params};
use crate::page::{self, esc, hidden};

/// The users the login form offers with one click: Alice and Bob, with verified addresses on
/// reserved domains.
pub fn presets() -> Vec<MockUser> {
    let preset = |username: &str, name: &str, email: &str| MockUser {
        username: username.to_owned(),
        email: Some(email.to_owned()),
        // Made-up addresses on reserved domains: vouching for them harms no one.
        email_verified: true,
        name: Some(name.to_owned()),
    };
    vec![
        preset("alice", "Alice Liddell", "alice@example.com"),
        preset("bob", "Bob Tables", "bob@example.org"),
    ]
}

/// The authorization request's parameters, carried through the form unchanged.
const CARRIED: [&str; 9] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
];

pub(super) async fn authorize_page(State(shared): St, query: RawQuery) -> Response {
    let params = query_params(query);
    let request = match shared.validate(&params) {
        Ok(request) => request,
        Err(error) => return authorize_error(&shared, error),
    };
    let answer = shared.take_answer();
    shared.record(&request, &answer);
    match answer {
        Answer::Form => form(&shared, &request, &params, None, StatusCode::OK),
        Answer::LoginAs(user) => sign_in(&shared, request, user),
        Answer::Deny => request.deliver(&Shared::deny(&request, &shared.provider.issuer)),
    }
}

pub(super) async fn authorize_submit(State(shared): St, body: Bytes) -> Response {
    let params = Params::parse(&body);
    let request = match shared.validate(&params) {
        Ok(request) => request,
        Err(error) => return authorize_error(&shared, error),
    };
    let field = |name: &str| params.get(name).ok().flatten().map(str::trim);
    let user = if field("action") == Some("deny") {
        shared.record(&request, &Answer::Deny);
        return request.deliver(&Shared::deny(&request, &shared.provider.issuer));
    } else if let Some(name) = field("preset") {
        match MockUser::preset(name) {
            Some(user) => user,
            None => {
                let message = format!("There is no preset user `{name}`.");
                return form(
                    &shared,
                    &request,
                    &params,
                    Some(&message),
                    StatusCode::UNPROCESSABLE_ENTITY,
                );
            }
        }
    } else {
        match made_up_user(field("username"), field("email"), field("name")) {
            Ok(user) => user,
            Err(message) => {
                return form(
                    &shared,
                    &request,
                    &params,
                    Some(&message),
                    StatusCode::UNPROCESSABLE_ENTITY,
                );
            }
        }
    };
    let user = if field("withhold_email").is_some() {
        user.without_email()
    } else {
        user
    };
    shared.record(&request, &Answer::LoginAs(user.clone()));
    sign_in(&shared, request, user)
}

/// Issues a code for `user` and sends it back to the client.
fn sign_in(shared: &Shared, request: AuthRequest, user: MockUser) -> Response {
    tracing::info!(
        client = request.client_id,
        user = user.username,
        "mock provider: signed in"
    );
    let answer = request.clone();
    match shared.issue_code(request, user) {
        Ok(location) => answer.deliver(&location),
        Err(error) => authorize_error(shared, error),
    }
}

/// Checks what was typed into the form.
fn made_up_user(
    username: Option<&str>,
    email: Option<&str>,
    name: Option<&str>,
) -> Result<MockUser, String> {
    let username = username
        .filter(|u| !u.is_empty())
        .ok_or("Type a username, or pick one of the users above.")?;
    if username.chars().count() > 40
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(
            "A username has at most 40 letters, digits, dots, dashes and underscores.".into(),
        );
    }
    let email = email.filter(|e| !e.is_empty());
    if let Some(email) = email {
        let plausible = email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if !plausible {
            return Err(format!("`{email}` does not look like an e-mail address."));
        }
    }
    let name = name.filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control)) {
        return Err("A name has at most 100 characters.".into());
    }
    // Anyone can type any address here: the provider vouches for none of them.
    let mut user = MockUser::new(username);
    user.email = email.map(str::to_owned);
    user.name = name.map(str::to_owned);
    Ok(user)
}

fn form(
    shared: &Arc<Shared>,
    request: &AuthRequest,
    params: &Params,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let carried: String = CARRIED
        .iter()
        .filter_map(|name| {
            let value = params.get(name).ok().flatten()?;
            Some(hidden(name, value))
        })
        .collect();
    let typed = |name: &str| esc(params.get(name).ok().flatten().unwrap_or_default());
    let presets: String = presets()
        .iter()
        .map(|p| {
            format!(
                r#"<button class="secondary" type="submit" name="preset" value="{u}">{name} <span class="muted">&lt;{email}&gt;</span></button>"#,
                u = esc(&p.username),
                name = esc(p.name.as_deref().unwrap_or(&p.username)),
                email = esc(p.email.as_deref().unwrap_or_default()),
            )
        })
        .collect();
    let flash = error
        .map(|e| format!(r#"<p class="flash" role="alert">{}</p>"#, esc(e)))
        .unwrap_or_default();
    let scope = if request.scope.is_empty() {
        "no particular scope".to_owned()
    } else {
        request.scope.join(" ")
    };
    let body = format!(
        r#"<div class="card"><h1>Sign in to <code>{client}</code></h1>
<p class="muted">The application asks for <code>{scope}</code> and will get you back at <code>{redirect}</code>.</p>
<p class="note">This is a mock provider for development and tests: anyone can be anyone here.</p>
{flash}
<form method="post" action="{action}">{carried}
<h2>Make someone up</h2>
<label for="username">Username</label><input id="username" name="username" type="text" autocomplete="off" value="{username}">
<label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="off" value="{email}">
<label for="name">Full name</label><input id="name" name="name" type="text" autocomplete="off" value="{name}">
<div class="row"><button type="submit" name="action" value="allow">Sign in</button></div>
<h2>Or be someone we know</h2>
<div class="buttons">{presets}</div>
<label class="check"><input type="checkbox" name="withhold_email" value="1"> Withhold the e-mail address (the application will have to ask for it)</label>
<div class="row"><button class="danger" type="submit" name="action" value="deny" formnovalidate>Deny</button></div>
</form></div>"#,
        client = esc(&request.client_id),
        scope = esc(&scope),
        redirect = esc(&request.redirect_uri),
        action = esc(&format!("{}/authorize", shared.path())),
        username = typed("username"),
        email = typed("email"),
        name = typed("name"),
    );
    page::respond(
        status,
        page::page(&shared.css_href(), "Mock provider: sign in", &body),
    )
}

/// The page for a request the provider will not answer at the client's address.
pub(super) fn error_page(shared: &Shared, message: &str) -> Response {
    let body = format!(
        r#"<div class="card"><h1>This sign-in request is not valid</h1><p class="flash" role="alert">{}</p><p class="muted">The mock provider will not send you back to an address it cannot verify.</p></div>"#,
        esc(message)
    );
    page::respond(
        StatusCode::BAD_REQUEST,
        page::page(&shared.css_href(), "Mock provider: invalid request", &body),
    )
}
