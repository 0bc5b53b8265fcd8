//! `odnoklassniki-app`: an application OK runs in an iframe. No OAuth: OK opens the
//! application's URL with the user's session and an `auth_sig` signed with the application
//! secret; the backend checks that signature, that the session is the user's, and fetches
//! the user's data.

use social_core::serde_json::{Map, Value};
use social_core::{
    AuthError, AuthResponse, Backend, BackendCx, Capabilities, Configure, Endpoint, ErrorKind,
    Flow, Protocol, Result, Stage, Tokens, async_trait, extra_data, strategy::required_param,
};
use subtle::ConstantTimeEq;

use crate::{APP_NAME, Options, api_call, application_key, get_request, post_request, sign};

/// The parameters OK gives an iframe application that the login reads, in the order they
/// are forwarded from the login URL to the callback.
const IFRAME_PARAMS: &[&str] = &[
    "logged_user_id",
    "session_key",
    "session_secret_key",
    "auth_sig",
    "application_key",
    "authorized",
    "apiconnection",
    "api_server",
];

/// The user fields always asked of `users.getInfo`.
const USER_FIELDS: &[&str] = &["uid", "first_name", "last_name", "name"];

/// Session values kept with the account besides the user fields (the session key itself is
/// kept as its access token).
const SESSION_FIELDS: &[&str] = &["apiconnection", "authorized", "session_secret_key"];

/// OK's iframe application login, a [`Backend`] of its own; register it with
/// [`app`](crate::app).
#[derive(Debug, Clone, Copy, Default)]
pub struct OdnoklassnikiApp;

fn callback_error(kind: ErrorKind, details: impl Into<String>) -> AuthError {
    AuthError::new(kind, Stage::Callback, details)
}

/// The user id an answer of `users.getLoggedInUser` holds: a JSON string or number.
fn answered_uid(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The one user of a `users.getInfo` answer: a list of users, or `{"users": [...]}`.
fn only_user(answer: Value) -> Option<Value> {
    let users = match answer {
        Value::Array(users) => users,
        Value::Object(mut object) => match object.remove("users") {
            Some(Value::Array(users)) => users,
            _ => return None,
        },
        _ => return None,
    };
    let mut users = users.into_iter();
    match (users.next(), users.next()) {
        (Some(user @ Value::Object(_)), None) => Some(user),
        _ => None,
    }
}

#[async_trait]
impl Backend for OdnoklassnikiApp {
    fn name(&self) -> &str {
        APP_NAME
    }

    fn display_name(&self) -> &str {
        "OK iframe app"
    }

    fn protocol(&self) -> Protocol {
        Protocol::new("ok-app", "OK iframe application")
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
    }

    /// Requires `SECRET` (the application secret key) and `APPLICATION_KEY`; `KEY` (the
    /// application id) is not used.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        if cx
            .settings()
            .secret
            .as_ref()
            .is_none_or(|s| s.secret().is_empty())
        {
            return Err(cx.error(
                "secret",
                "is not set: the application secret key checks `auth_sig` and signs the calls",
            ));
        }
        cx.endpoints(&[Endpoint::API]);
        crate::configure_options(cx, true).map(|_| ())
    }

    /// Sends the browser on to the callback with the parameters OK gave the page, so that
    /// the iframe URL can be the login URL or the callback itself.
    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        let callback = cx.redirect_uri();
        let mut url = url::Url::parse(&callback)
            .map_err(|e| callback_error(ErrorKind::Unknown, format!("`{callback}`: {e}")))?;
        let forwarded: Vec<(&str, String)> = IFRAME_PARAMS
            .iter()
            .filter_map(|name| Some((*name, cx.strategy.param(name)?)))
            .collect();
        if !forwarded.is_empty() {
            url.query_pairs_mut().extend_pairs(forwarded);
        }
        Ok(Flow::Redirect(url.into()))
    }

    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let pcx = &cx.provider;
        let param = |name| required_param(cx.strategy, name, Stage::Callback);
        let logged_user_id = param("logged_user_id")?;
        let session_key = param("session_key")?;
        let auth_sig = param("auth_sig")?;
        let session_secret_key = param("session_secret_key")?;
        let secret = pcx.secret()?;

        let expected = sign::auth_sig(&logged_user_id, &session_key, secret);
        let given = auth_sig.to_ascii_lowercase();
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(callback_error(
                ErrorKind::Failed,
                "auth_sig does not match the user, the session and the application secret",
            ));
        }
        let key = application_key(pcx)?;

        // The session must be alive and the user's: signed with the session's secret key.
        let mut params = vec![
            ("application_key", key.as_str()),
            ("format", "json"),
            ("method", "users.getLoggedInUser"),
            ("session_key", session_key.as_str()),
        ];
        let sig = sign::signature(&params, &session_secret_key);
        params.push(("sig", &sig));
        let answer = api_call(pcx, post_request(pcx, &params)?, "users.getLoggedInUser").await?;
        if answered_uid(&answer).as_deref() != Some(logged_user_id.as_str()) {
            return Err(callback_error(
                ErrorKind::Failed,
                "users.getLoggedInUser names another user than logged_user_id",
            ));
        }

        // The user's data, asked without session and signed with the application secret.
        let options = pcx.options::<Options>();
        let mut fields: Vec<&str> = USER_FIELDS.to_vec();
        for extra in &options.extra_user_data_list {
            if !fields.contains(&extra.as_str()) {
                fields.push(extra);
            }
        }
        let fields_list = fields.join(",");
        let mut params = vec![
            ("application_key", key.as_str()),
            ("fields", fields_list.as_str()),
            ("format", "json"),
            ("method", "users.getInfo"),
            ("uids", logged_user_id.as_str()),
        ];
        let sig = sign::signature(&params, secret);
        params.push(("sig", &sig));
        let answer = api_call(pcx, get_request(pcx, &params)?, "users.getInfo").await?;
        let user = only_user(answer).ok_or_else(|| {
            callback_error(
                ErrorKind::InvalidResponse,
                "users.getInfo did not answer exactly one user",
            )
        })?;
        let uid = social_core::model::required_id(&user, "uid")?;
        if uid != logged_user_id {
            return Err(callback_error(
                ErrorKind::InvalidResponse,
                "users.getInfo answered another user than logged_user_id",
            ));
        }

        let details = crate::user_details(&user);
        let session: Map<String, Value> = SESSION_FIELDS
            .iter()
            .filter_map(|name| Some(((*name).to_owned(), Value::String(cx.strategy.param(name)?))))
            .collect();
        let mut kept: Vec<extra_data::ExtraDataField> = fields
            .iter()
            .chain(SESSION_FIELDS)
            .map(|name| extra_data::ExtraDataField::new(name))
            .collect();
        kept.extend(pcx.backend.extra_data.iter().cloned());
        let mut response =
            AuthResponse::new(APP_NAME, uid, details, user, Some(Tokens::new(session_key)));
        extra_data::select(
            &kept,
            &response.data,
            &Value::Object(session),
            &mut response.extra_data,
        );
        Ok(response)
    }
}
