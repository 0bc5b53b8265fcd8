//! python-social-auth's pipeline steps.

use async_trait::async_trait;
use serde_json::Value;

use super::{Resume, Step, StepCx, StepOutcome};
use crate::{
    error::{AuthError, ErrorKind, Result, Stage},
    model::{NewSocialAccount, NewUser, SocialAccount, User},
    settings::DetailsUpdate,
    storage::StorageError,
};

fn storage_error(e: StorageError) -> AuthError {
    AuthError::storage(Stage::Pipeline, e)
}

macro_rules! step_name {
    ($name:literal) => {
        fn name(&self) -> &str {
            $name
        }
    };
}

/// `social_details`: takes the normalized details from the backend's answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SocialDetails;

#[async_trait]
impl Step for SocialDetails {
    step_name!("social_details");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        if cx.state.details == crate::UserDetails::default() {
            cx.state.details = cx.state.response.details.clone();
        }
        Ok(StepOutcome::Continue)
    }
}

/// `social_uid`: takes the provider user id.
#[derive(Debug, Clone, Copy, Default)]
pub struct SocialUid;

#[async_trait]
impl Step for SocialUid {
    step_name!("social_uid");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        cx.state.uid = Some(cx.state.response.uid.clone());
        Ok(StepOutcome::Continue)
    }
}

/// `auth_allowed`: enforces the e-mail domain and address allow-lists (backend before global).
///
/// Only an address the provider verified passes an allow-list.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuthAllowed;

#[async_trait]
impl Step for AuthAllowed {
    step_name!("auth_allowed");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        let pick = |backend: &'_ [String], global: &'_ [String]| -> Vec<String> {
            if backend.is_empty() { global } else { backend }
                .iter()
                .map(|s| s.to_ascii_lowercase())
                .collect()
        };
        let domains = pick(
            &cx.backend.whitelisted_domains,
            &cx.settings.whitelisted_domains,
        );
        let emails = pick(
            &cx.backend.whitelisted_emails,
            &cx.settings.whitelisted_emails,
        );
        if domains.is_empty() && emails.is_empty() {
            return Ok(StepOutcome::Continue);
        }
        let email = cx
            .state
            .details
            .email
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase();
        let domain = email.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
        let listed =
            !email.is_empty() && (emails.contains(&email) || domains.iter().any(|d| d == domain));
        if !listed {
            return Err(AuthError::new(
                ErrorKind::Forbidden,
                Stage::Pipeline,
                "the e-mail address is not in WHITELISTED_EMAILS / WHITELISTED_DOMAINS",
            ));
        }
        // Anyone can type any address into an account that does not verify it.
        if !cx.state.details.email_verified {
            return Err(AuthError::new(
                ErrorKind::Forbidden,
                Stage::Pipeline,
                "the e-mail address is allow-listed but the provider did not verify it",
            ));
        }
        Ok(StepOutcome::Continue)
    }
}

/// `social_user`: finds the account; refuses one that belongs to another logged-in user.
#[derive(Debug, Clone, Copy, Default)]
pub struct SocialUser;

#[async_trait]
impl Step for SocialUser {
    step_name!("social_user");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        let uid = cx
            .state
            .uid
            .clone()
            .unwrap_or_else(|| cx.state.response.uid.clone());
        let found = cx
            .storage
            .social_account_and_user(&cx.state.response.backend, &uid)
            .await
            .map_err(storage_error)?;
        match found {
            Some((account, user)) => {
                if let Some(current) = &cx.state.current_user
                    && current != &account.user_id
                {
                    return Err(AuthError::new(
                        ErrorKind::AlreadyAssociated,
                        Stage::Pipeline,
                        format!(
                            "the account belongs to user {}, not to {current}",
                            account.user_id
                        ),
                    ));
                }
                cx.state.user = Some(user.ok_or_else(|| {
                    AuthError::new(
                        ErrorKind::Unknown,
                        Stage::Pipeline,
                        "social account without user",
                    )
                })?);
                cx.state.social = Some(account);
                cx.state.is_new = false;
            }
            None => {
                if let Some(current) = &cx.state.current_user {
                    cx.state.user = cx.storage.user(current).await.map_err(storage_error)?;
                }
            }
        }
        Ok(StepOutcome::Continue)
    }
}

/// `get_username`: picks a free username for a new user.
#[derive(Debug, Clone, Copy, Default)]
pub struct GetUsername;

/// Cleans a username: keeps letters, digits and `.@+-_`.
pub(crate) fn clean_username(value: &str) -> String {
    value
        .chars()
        .filter(|c| c.is_alphanumeric() || ".@+-_".contains(*c))
        .collect()
}

/// Slugifies: lower-case ASCII letters and digits, other runs become `-`.
pub(crate) fn slugify(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

fn truncate(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

fn random_hex(len: usize) -> String {
    let mut hex = uuid::Uuid::new_v4().simple().to_string();
    hex.truncate(len);
    hex
}

pub(crate) async fn unique_username(cx: &StepCx<'_>) -> Result<String> {
    let settings = &cx.settings.username;
    let details = &cx.state.details;
    let from_fn = cx.username_fn.and_then(|f| f(details));
    let email = details.email.as_deref();
    let base = from_fn
        .or_else(|| email.filter(|_| settings.is_full_email).map(str::to_owned))
        .or_else(|| details.username.clone())
        .or_else(|| email.and_then(|e| e.split('@').next()).map(str::to_owned))
        .unwrap_or_else(|| settings.default.clone());
    let mut base = if settings.slugify {
        slugify(&base)
    } else if settings.clean {
        clean_username(&base)
    } else {
        base
    };
    if base.is_empty() {
        base.clone_from(&settings.default);
    }
    let max = settings.max_length;
    let mut candidate = truncate(&base, max);
    let short = truncate(&base, max.saturating_sub(settings.uuid_length));
    for _ in 0..10 {
        if !cx
            .storage
            .username_exists(&candidate)
            .await
            .map_err(storage_error)?
        {
            return Ok(candidate);
        }
        candidate = format!("{short}{}", random_hex(settings.uuid_length));
    }
    Err(AuthError::new(
        ErrorKind::Unknown,
        Stage::Pipeline,
        "no free username after 10 tries; raise SOCIAL_AUTH_UUID_LENGTH",
    ))
}

#[async_trait]
impl Step for GetUsername {
    step_name!("get_username");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        cx.state.username = match &cx.state.user {
            Some(user) => Some(user.username.clone()),
            None => Some(unique_username(cx).await?),
        };
        Ok(StepOutcome::Continue)
    }
}

/// A new account of this login, with its extra data from the start: `load_extra_data` then
/// finds nothing to write, and a new user's login writes once less.
fn new_account(cx: &StepCx<'_>) -> NewSocialAccount {
    NewSocialAccount::new(
        &cx.state.response.backend,
        cx.state.uid.as_deref().unwrap_or(&cx.state.response.uid),
        extra_data_of(cx, &serde_json::Map::new()),
    )
}

/// Reads the account that won a race to be created; refuses it when it is someone else's.
async fn adopt_existing(
    cx: &mut StepCx<'_>,
    mine: Option<&User>,
) -> Result<Option<(User, SocialAccount)>> {
    let account = new_account(cx);
    let Some(existing) = cx
        .storage
        .social_account(&account.provider, &account.uid)
        .await
        .map_err(storage_error)?
    else {
        return Ok(None);
    };
    if let Some(mine) = mine
        && mine.id != existing.user_id
    {
        return Err(AuthError::new(
            ErrorKind::AlreadyAssociated,
            Stage::Pipeline,
            format!("the account belongs to user {}", existing.user_id),
        ));
    }
    let user = cx
        .storage
        .user(&existing.user_id)
        .await
        .map_err(storage_error)?
        .ok_or_else(|| {
            AuthError::new(
                ErrorKind::Unknown,
                Stage::Pipeline,
                "social account without user",
            )
        })?;
    Ok(Some((user, existing)))
}

/// `create_user`: creates the user and its account together (both or neither).
///
/// Two concurrent logins of the same new account create one user: the loser of the race
/// finds the winner's account and goes on as a returning user.
#[derive(Debug, Clone, Copy, Default)]
pub struct CreateUser;

#[async_trait]
impl Step for CreateUser {
    step_name!("create_user");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        if cx.state.user.is_some() {
            return Ok(StepOutcome::Continue);
        }
        if !cx.settings.create_users {
            cx.hooks
                .user_not_registered(
                    &cx.state.response.backend,
                    &cx.state.response.uid,
                    &cx.state.details,
                )
                .await;
            return Err(AuthError::new(
                ErrorKind::NotRegistered,
                Stage::Pipeline,
                "no user has this account and SOCIAL_AUTH_CREATE_USERS is off",
            ));
        }
        let mut username = match cx.state.username.clone() {
            Some(u) => u,
            None => unique_username(cx).await?,
        };
        for _ in 0..3 {
            let new_user = NewUser::from_details(username.clone(), &cx.state.details);
            match cx
                .storage
                .create_user_with_account(new_user, new_account(cx))
                .await
            {
                Ok((user, account)) => {
                    cx.hooks
                        .user_created(&cx.state.response.backend, &user)
                        .await;
                    cx.state.username = Some(user.username.clone());
                    cx.state.user = Some(user);
                    cx.state.social = Some(account);
                    cx.state.is_new = true;
                    cx.state.new_association = true;
                    return Ok(StepOutcome::Continue);
                }
                Err(StorageError::Conflict(_)) => {
                    if let Some((user, account)) = adopt_existing(cx, None).await? {
                        cx.state.user = Some(user);
                        cx.state.social = Some(account);
                        return Ok(StepOutcome::Continue);
                    }
                    // The username was taken in the meantime: pick another.
                    username = unique_username(cx).await?;
                }
                Err(e) => return Err(storage_error(e)),
            }
        }
        Err(AuthError::new(
            ErrorKind::Unknown,
            Stage::Pipeline,
            "could not create the user after 3 tries",
        ))
    }
}

/// `associate_user`: links the account to the user when it is not linked yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssociateUser;

#[async_trait]
impl Step for AssociateUser {
    step_name!("associate_user");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        if cx.state.social.is_some() {
            return Ok(StepOutcome::Continue);
        }
        let Some(user) = cx.state.user.clone() else {
            return Ok(StepOutcome::Continue);
        };
        match cx
            .storage
            .create_social_account(&user.id, new_account(cx))
            .await
        {
            Ok(account) => {
                cx.state.social = Some(account);
                cx.state.new_association = true;
            }
            Err(StorageError::Conflict(_)) => match adopt_existing(cx, Some(&user)).await? {
                Some((_, account)) => cx.state.social = Some(account),
                None => {
                    return Err(AuthError::new(
                        ErrorKind::Unknown,
                        Stage::Pipeline,
                        "association conflict",
                    ));
                }
            },
            Err(e) => return Err(storage_error(e)),
        }
        Ok(StepOutcome::Continue)
    }
}

/// `load_extra_data`: stores tokens and the selected extra data with the account.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadExtraData;

#[async_trait]
impl Step for LoadExtraData {
    step_name!("load_extra_data");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        let now = cx.clock.now();
        let Some(stored) = cx.state.social.as_ref().map(|s| s.extra_data.clone()) else {
            return Ok(StepOutcome::Continue);
        };
        let extra = extra_data_of(cx, &stored);
        let Some(social) = cx.state.social.as_mut() else {
            return Ok(StepOutcome::Continue);
        };
        let last = social.extra_data.get("auth_time").and_then(Value::as_i64);
        if unchanged_but_auth_time(&social.extra_data, &extra, last, now) {
            // A returning login that brings nothing new writes nothing.
            return Ok(StepOutcome::Continue);
        }
        cx.storage
            .update_extra_data(social.id, &extra)
            .await
            .map_err(storage_error)?;
        social.extra_data = extra;
        social.modified_at = now;
        Ok(StepOutcome::Continue)
    }
}

/// `stored` extra data with this login's: the selected provider data, the tokens and
/// `auth_time`.
fn extra_data_of(
    cx: &StepCx<'_>,
    stored: &serde_json::Map<String, Value>,
) -> serde_json::Map<String, Value> {
    let mut extra = stored.clone();
    for (k, v) in &cx.state.response.extra_data {
        extra.insert(k.clone(), v.clone());
    }
    if let Some(tokens) = &cx.state.response.tokens {
        // A new grant may come without a refresh token: the old one stays. An expiry does not
        // carry over to a token that has none.
        if tokens.expires_at.is_none() {
            extra.remove("expires_at");
        }
        tokens.write_to(&mut extra);
    }
    extra.insert("auth_time".into(), Value::from(cx.clock.now()));
    extra
}

/// How stale `auth_time` may be before a login that changes nothing else rewrites it.
const AUTH_TIME_RESOLUTION: i64 = 60;

/// Whether `new` differs from `old` only by `auth_time`, and the stored one (`last`) is less
/// than [`AUTH_TIME_RESOLUTION`] seconds old at `now`: then the write is skipped, `auth_time`
/// staying exact to the minute.
fn unchanged_but_auth_time(
    old: &serde_json::Map<String, Value>,
    new: &serde_json::Map<String, Value>,
    last: Option<i64>,
    now: i64,
) -> bool {
    let recent = last.is_some_and(|last| (0..AUTH_TIME_RESOLUTION).contains(&(now - last)));
    recent
        && old.len() == new.len()
        && new
            .iter()
            .all(|(key, value)| key == "auth_time" || old.get(key) == Some(value))
}

#[cfg(test)]
mod auth_time_tests {
    use serde_json::{Map, json};

    use super::{AUTH_TIME_RESOLUTION, unchanged_but_auth_time};

    fn map(value: serde_json::Value) -> Map<String, serde_json::Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn only_a_recent_auth_time_with_nothing_else_new_skips_the_write() {
        let old = map(json!({"access_token": "a", "auth_time": 1_000}));
        let same = map(json!({"access_token": "a", "auth_time": 1_030}));
        assert!(unchanged_but_auth_time(&old, &same, Some(1_000), 1_030));
        let edge = 1_000 + AUTH_TIME_RESOLUTION;
        assert!(
            !unchanged_but_auth_time(&old, &same, Some(1_000), edge),
            "a minute-old auth_time is rewritten"
        );
        assert!(unchanged_but_auth_time(&old, &same, Some(1_000), edge - 1));
        assert!(
            !unchanged_but_auth_time(&old, &same, Some(1_000), 999),
            "a clock that went back rewrites"
        );
        assert!(!unchanged_but_auth_time(&old, &same, None, 1_030));
        let new_token = map(json!({"access_token": "b", "auth_time": 1_030}));
        assert!(!unchanged_but_auth_time(
            &old,
            &new_token,
            Some(1_000),
            1_030
        ));
        let more = map(json!({"access_token": "a", "auth_time": 1_030, "scope": "x"}));
        assert!(!unchanged_but_auth_time(&old, &more, Some(1_000), 1_030));
        let fewer = map(json!({"auth_time": 1_030}));
        assert!(!unchanged_but_auth_time(&old, &fewer, Some(1_000), 1_030));
    }
}

/// `user_details`: fills the user's names from the details; with `USER_DETAILS_UPDATE =
/// always`, updates them too, except protected fields and filled immutable ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct UserDetailsStep;

const ALWAYS_PROTECTED: &[&str] = &["username", "email"];

#[async_trait]
impl Step for UserDetailsStep {
    step_name!("user_details");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        let Some(mut user) = cx.state.user.clone() else {
            return Ok(StepOutcome::Continue);
        };
        let details = &cx.state.details;
        let before = user.clone();
        for (field, value) in [
            ("first_name", &details.first_name),
            ("last_name", &details.last_name),
            ("fullname", &details.fullname),
        ] {
            let Some(value) = value else { continue };
            if ALWAYS_PROTECTED.contains(&field)
                || cx.settings.protected_user_fields.iter().any(|f| f == field)
            {
                continue;
            }
            let current = user.field(field).filter(|v| !v.is_empty());
            let immutable = cx.settings.user_details_update == DetailsUpdate::Fill
                || cx.settings.immutable_user_fields.iter().any(|f| f == field);
            if current == Some(value.as_str()) || (immutable && current.is_some()) {
                continue;
            }
            user.set_field(field, value);
        }
        cx.hooks
            .pre_update(&cx.state.response.backend, &mut user, details)
            .await;
        if user != before {
            cx.storage.update_user(&user).await.map_err(storage_error)?;
            cx.state.user = Some(user);
        }
        Ok(StepOutcome::Continue)
    }
}

/// `associate_by_email` (optional, before `create_user`): links the account to the one user
/// with the same e-mail, only when the provider verified that e-mail.
#[derive(Debug, Clone, Copy, Default)]
pub struct AssociateByEmail;

#[async_trait]
impl Step for AssociateByEmail {
    step_name!("associate_by_email");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        if cx.state.user.is_some() || !cx.state.details.email_verified {
            return Ok(StepOutcome::Continue);
        }
        let Some(email) = cx.state.details.email.clone() else {
            return Ok(StepOutcome::Continue);
        };
        let mut users = cx
            .storage
            .users_by_email(&email)
            .await
            .map_err(storage_error)?;
        match users.len() {
            0 => Ok(StepOutcome::Continue),
            1 => {
                cx.state.user = users.pop();
                Ok(StepOutcome::Continue)
            }
            _ => Err(AuthError::new(
                ErrorKind::Forbidden,
                Stage::Pipeline,
                "more than one user has this e-mail address; refusing to pick one",
            )),
        }
    }
}

/// `require_email` (optional, before `get_username`): pauses the pipeline to ask the user
/// for an e-mail address when the provider gave none; resumes here with `email`.
#[derive(Debug, Clone)]
pub struct RequireEmail {
    form_url: String,
}

impl RequireEmail {
    /// Sends users to `form_url` (which posts `email` and `partial_token` to the callback).
    pub fn new(form_url: &str) -> Self {
        Self {
            form_url: form_url.to_owned(),
        }
    }
}

/// Characters that look like `@` or `.` but are not: an address holding one is refused
/// rather than read two ways (`a＠evil.example`).
const CONFUSABLE_SEPARATORS: &[char] = &[
    '\u{FF20}', // FULLWIDTH COMMERCIAL AT
    '\u{FE6B}', // SMALL COMMERCIAL AT
    '\u{FF0E}', // FULLWIDTH FULL STOP
    '\u{3002}', // IDEOGRAPHIC FULL STOP
    '\u{FF61}', // HALFWIDTH IDEOGRAPHIC FULL STOP
    '\u{FE52}', // SMALL FULL STOP
    '\u{2024}', // ONE DOT LEADER
];

/// Format characters that render as nothing (zero-width spaces and joiners, direction marks,
/// the byte-order mark, the soft hyphen): two addresses that look alike must be alike.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// An e-mail address typed by a user, checked and normalised: exactly one ASCII `@`, a local
/// part of printable characters (no spaces, controls, quotes or angle brackets), an
/// IDNA-valid domain with a dot, written in lower-case punycode. `None` when it is not one.
pub fn normalize_email(value: &str) -> Option<String> {
    let value = value.trim();
    if value.len() > 254
        || value.chars().any(|c| {
            c.is_whitespace()
                || c.is_control()
                || is_invisible(c)
                || CONFUSABLE_SEPARATORS.contains(&c)
        })
        || value.matches('@').count() != 1
    {
        return None;
    }
    let (local, domain) = value.split_once('@')?;
    if local.is_empty()
        || local.len() > 64
        || local.starts_with('.')
        || local.ends_with('.')
        || local.contains("..")
        || local.contains(['"', '<', '>', '(', ')', ',', ';', ':', '[', ']', '\\'])
    {
        return None;
    }
    if domain.is_empty() || domain.ends_with('.') || domain.starts_with('.') {
        return None;
    }
    let domain = match url::Host::parse(domain).ok()? {
        url::Host::Domain(d) => d,
        // Addresses at IP literals are not what a person gives as theirs.
        _ => return None,
    };
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

#[async_trait]
impl Step for RequireEmail {
    step_name!("require_email");
    async fn run(&self, cx: &mut StepCx<'_>) -> Result<StepOutcome> {
        if cx.state.user.is_some() || cx.state.details.email.is_some() {
            return Ok(StepOutcome::Continue);
        }
        if let Some(email) = cx
            .strategy
            .param("email")
            .as_deref()
            .and_then(normalize_email)
        {
            cx.state.details.email = Some(email);
            cx.state.details.email_verified = false;
            return Ok(StepOutcome::Continue);
        }
        Ok(StepOutcome::Pause {
            url: self.form_url.clone(),
            resume: Resume::Same,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_cleaned_and_slugified() {
        assert_eq!(clean_username("Jöhn Doe!<x>"), "JöhnDoex");
        assert_eq!(slugify("  Jane  Doe & Co "), "jane-doe-co");
    }

    #[test]
    fn typed_addresses_are_checked_and_normalised() {
        for (typed, stored) in [
            ("a@b.co", "a@b.co"),
            ("  Jane.Doe+tag@Example.COM ", "Jane.Doe+tag@example.com"),
            ("jane@bücher.example", "jane@xn--bcher-kva.example"),
            ("jane@BÜCHER.example", "jane@xn--bcher-kva.example"),
            ("o'neil@example.org", "o'neil@example.org"),
        ] {
            assert_eq!(normalize_email(typed).as_deref(), Some(stored), "{typed}");
        }
        for bad in [
            "",
            "a@b",
            "a b@c.de",
            "a@@b.co",
            "a@b@c.co",
            "@b.co",
            "a@",
            "a@.b.co",
            "a@b.co.",
            "a@b..co",
            ".a@b.co",
            "a.@b.co",
            "a..b@c.co",
            "jane\u{FF20}example.com",
            "jane\u{FE6B}example.com",
            "jane@example\u{FF0E}com",
            "jane@example\u{3002}com",
            "ja\u{200B}ne@example.com",
            "jane@exa\u{00AD}mple.com",
            "\u{202E}jane@example.com",
            "jane@exa mple.com",
            "jane\n@example.com",
            "\"jane\"@example.com",
            "<jane@example.com>",
            "jane@[127.0.0.1]",
            "jane@127.0.0.1",
            "jane@xn--.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?} was accepted");
        }
        assert_eq!(
            normalize_email(&format!("{}@example.com", "a".repeat(65))),
            None
        );
    }
}
