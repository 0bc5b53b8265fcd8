#![doc = include_str!("../README.md")]

use social_core::{
    AuthError, BackendCx, ErrorKind, ProviderCx, Result, Stage, UserDetails, Value, async_trait,
    strategy::required_param,
};
use social_openid::{Assertion, OpenIdBackend, OpenIdProvider, OpenIdSpec, profile_details};

/// The backend name.
pub const NAME: &str = "livejournal";
/// The request parameter holding the LiveJournal username.
pub const USER_PARAM: &str = "openid_lj_user";
const MAX_USERNAME: usize = 15;
const DOMAIN: &str = "livejournal.com";
const USERS_HOST: &str = "users.livejournal.com";

/// LiveJournal as an OpenID 2.0 provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct LiveJournal;

/// The LiveJournal backend, ready for a [`social_core::Registry`].
pub fn backend() -> OpenIdBackend<LiveJournal> {
    OpenIdBackend::new(LiveJournal)
}

fn valid_username(name: &str) -> bool {
    (1..=MAX_USERNAME).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The identity URL of a LiveJournal username: `https://<name>.livejournal.com/` with `_`
/// written `-`, or `https://users.livejournal.com/<name>/` when the name starts or ends with
/// `_` (no host name can). `Err` says what is wrong with the name.
pub fn identity_url(username: &str) -> std::result::Result<String, &'static str> {
    let name = username.trim().to_ascii_lowercase();
    if name.is_empty() || name.len() > MAX_USERNAME {
        return Err("must be 1 to 15 characters long");
    }
    if !valid_username(&name) {
        return Err("may hold only letters, digits and `_`");
    }
    if name.starts_with('_') || name.ends_with('_') {
        Ok(format!("https://{USERS_HOST}/{name}/"))
    } else {
        Ok(format!("https://{}.{DOMAIN}/", name.replace('_', "-")))
    }
}

/// The username of a LiveJournal identity URL; the inverse of [`identity_url`] (either scheme).
pub fn username_of(identity: &str) -> Option<String> {
    let rest = identity
        .strip_prefix("https://")
        .or_else(|| identity.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let name = if host == USERS_HOST {
        path.strip_suffix('/').unwrap_or(path).to_ascii_lowercase()
    } else {
        if !path.is_empty() {
            return None;
        }
        let label = host.strip_suffix(DOMAIN)?.strip_suffix('.')?;
        if label.contains('.') || label.starts_with('-') || label.ends_with('-') {
            return None;
        }
        label.replace('-', "_")
    };
    valid_username(&name).then_some(name)
}

#[async_trait]
impl OpenIdProvider for LiveJournal {
    fn spec(&self) -> OpenIdSpec {
        OpenIdSpec {
            name: NAME,
            display_name: "LiveJournal",
            ..OpenIdSpec::DEFAULT
        }
    }

    fn identifier(&self, cx: &BackendCx<'_>) -> Result<String> {
        let username = required_param(cx.strategy, USER_PARAM, Stage::Begin)?;
        identity_url(&username).map_err(|why| {
            AuthError::new(
                ErrorKind::Failed,
                Stage::Begin,
                format!("`{USER_PARAM}` is not a LiveJournal username: it {why}"),
            )
        })
    }

    async fn user_data(
        &self,
        cx: &ProviderCx<'_>,
        assertion: &Assertion,
        uid: &str,
    ) -> Result<Value> {
        let _ = (cx, uid);
        let mut data = assertion.to_value();
        if let (Some(object), Some(name)) =
            (data.as_object_mut(), username_of(&assertion.claimed_id))
        {
            object.insert("lj_user".into(), Value::String(name));
        }
        Ok(data)
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let details = profile_details(user);
        match details.username {
            Some(_) => details,
            None => details.username(user["lj_user"].as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_map_to_identity_urls_and_back() {
        for (name, url) in [
            ("exampleuser", "https://exampleuser.livejournal.com/"),
            ("ExampleUser", "https://exampleuser.livejournal.com/"),
            ("a_b", "https://a-b.livejournal.com/"),
            ("ext_12345", "https://ext-12345.livejournal.com/"),
            ("_under_", "https://users.livejournal.com/_under_/"),
            ("__two", "https://users.livejournal.com/__two/"),
            ("tail_", "https://users.livejournal.com/tail_/"),
            ("x", "https://x.livejournal.com/"),
            (
                "fifteen_chars_1",
                "https://fifteen-chars-1.livejournal.com/",
            ),
        ] {
            assert_eq!(identity_url(name).as_deref(), Ok(url), "{name}");
            assert_eq!(
                username_of(url).as_deref(),
                Some(name.to_ascii_lowercase().as_str()),
                "{url}"
            );
        }
    }

    #[test]
    fn bad_usernames_are_refused() {
        for bad in [
            "",
            "   ",
            "sixteen_chars_12",
            "a-b",
            "a.b",
            "a b",
            "evil.com/x",
            "../etc",
            "joe@example.com",
            "jöe",
            "x?y=1",
            "x#y",
        ] {
            assert!(identity_url(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn only_livejournal_identity_urls_give_a_username() {
        for other in [
            "https://evil.example/",
            "https://joe.livejournal.com.evil.example/",
            "https://a.b.livejournal.com/",
            "https://joe.livejournal.com/profile",
            "https://users.livejournal.com/joe/extra/",
            "https://-joe.livejournal.com/",
            "https://livejournal.com/",
            "ftp://joe.livejournal.com/",
        ] {
            assert_eq!(username_of(other), None, "{other}");
        }
    }
}
