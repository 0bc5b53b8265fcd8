#![doc = include_str!("../README.md")]

use std::fmt::Write as _;

use http::header;
use sha2::{Digest, Sha256};
use social_core::{
    AuthError, AuthResponse, Backend, BackendCx, Capabilities, Configure, Endpoint, ErrorKind,
    Flow, Protocol, Result, Stage, UserDetails, Value, async_trait,
    http::{check_status, parse_json},
    strategy::required_param,
};

/// The backend name (python-social-auth's first name for it; it later called it `persona`).
pub const NAME: &str = "browserid";

/// The protocol: assertions checked by a remote verifier, no OAuth.
pub const PROTOCOL: Protocol = Protocol::new("browserid", "BrowserID");

/// The verifier the assertions are sent to (setting `VERIFIER_URL`, required).
pub const VERIFIER_URL: Endpoint = Endpoint::new("verifier_url");

/// The callback parameter that carries the browser's assertion.
pub const ASSERTION_PARAM: &str = "assertion";

/// Where replayed assertions are caught in the nonce store.
const NONCE_SCOPE: &str = "browserid-assertion";

/// What is said about the verifier when it is not set.
const NO_VERIFIER: &str = "is not set: BrowserID needs a verifier to check assertions, and \
    Mozilla's (https://verifier.login.persona.org/verify) was shut down on 2016-11-30; give \
    the URL of the verifier you run";

/// BrowserID (Mozilla Persona) as a [`Backend`]: the browser signs in with the BrowserID
/// JavaScript API and posts the assertion it gets to the callback, which has a verifier check
/// it; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserId;

/// The BrowserID backend, ready for a [`social_core::Registry`].
pub fn backend() -> BrowserId {
    BrowserId
}

/// A verifier answer refused, in the words of `kind`.
fn refused(kind: ErrorKind, details: impl Into<String>) -> AuthError {
    AuthError::new(kind, Stage::Token, details)
}

/// The origin (`scheme://host[:port]`) of `url`, the audience assertions must be made for.
fn origin_of(url: &str) -> Result<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin())
        .filter(url::Origin::is_tuple)
        .map(|o| o.ascii_serialization())
        .ok_or_else(|| {
            AuthError::new(
                ErrorKind::Unknown,
                Stage::Callback,
                format!("the callback URL `{url}` has no origin to use as the audience"),
            )
        })
}

/// Whether `email` looks like an address: text on both sides of one `@`.
fn is_address(email: &str) -> bool {
    matches!(email.split_once('@'), Some((local, domain))
        if !local.is_empty() && !domain.is_empty() && !domain.contains('@')
            && !email.contains(char::is_whitespace))
}

impl BrowserId {
    /// Has the verifier check the posted assertion for this site, and reads the account from
    /// what it vouches for.
    async fn verify(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        let pcx = &cx.provider;
        let assertion = required_param(cx.strategy, ASSERTION_PARAM, Stage::Callback)?;
        let audience = origin_of(&cx.redirect_uri())?;
        let Some(verifier) = pcx.backend.endpoint_override(VERIFIER_URL) else {
            return Err(pcx.config_error(VERIFIER_URL.setting(), NO_VERIFIER));
        };
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("assertion", &assertion)
            .append_pair("audience", &audience)
            .finish();
        let request = http::Request::post(verifier)
            .header(header::ACCEPT, "application/json")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.into_bytes())
            .map_err(|e| pcx.config_error(VERIFIER_URL.setting(), e))?;
        let what = "BrowserID verifier";
        let response = pcx.send(request, Stage::Token, what).await?;
        check_status(&response, Stage::Token, what, ErrorKind::ProviderRejected)?;
        let answer: Value = parse_json(response.body(), Stage::Token, what)?;
        let text = |key: &str| answer.get(key).and_then(Value::as_str);
        match text("status") {
            Some("okay") => {}
            Some("failure") => {
                let reason: String = text("reason")
                    .unwrap_or("none given")
                    .chars()
                    .take(200)
                    .collect();
                return Err(refused(
                    ErrorKind::Failed,
                    format!("the verifier refused the assertion: {reason}"),
                ));
            }
            other => {
                return Err(refused(
                    ErrorKind::InvalidResponse,
                    format!("{what} answered status {other:?}, neither `okay` nor `failure`"),
                ));
            }
        }
        // An assertion made for another site must not log anyone in here.
        match text("audience") {
            Some(theirs) if theirs == audience => {}
            Some(theirs) => {
                return Err(refused(
                    ErrorKind::Failed,
                    format!("the assertion is for `{theirs}`, not for this site `{audience}`"),
                ));
            }
            None => {
                return Err(refused(
                    ErrorKind::InvalidResponse,
                    format!("{what} answered `okay` without an audience"),
                ));
            }
        }
        let Some(expires) = answer.get("expires").and_then(Value::as_i64) else {
            return Err(refused(
                ErrorKind::InvalidResponse,
                format!("{what} answered `okay` without `expires` in milliseconds"),
            ));
        };
        let now_ms = pcx.clock.now().saturating_mul(1000);
        if expires <= now_ms {
            return Err(refused(
                ErrorKind::Failed,
                format!("the assertion expired at {expires} ms, before now ({now_ms} ms)"),
            ));
        }
        let email = match text("email").map(str::trim) {
            Some(email) if is_address(email) => email.to_owned(),
            _ => {
                return Err(refused(
                    ErrorKind::InvalidResponse,
                    format!("{what} answered `okay` without an e-mail address"),
                ));
            }
        };
        // The verifier does not remember assertions: one posted twice (copied from a request
        // log, say) is caught here while it is still valid.
        let digest = Sha256::digest(assertion.as_bytes());
        let mut salt = String::with_capacity(64);
        for byte in digest {
            let _ = write!(salt, "{byte:02x}");
        }
        let fresh = cx
            .storage
            .use_nonce(NONCE_SCOPE, pcx.clock.now(), &salt)
            .await
            .map_err(|e| AuthError::storage(Stage::Callback, e))?;
        if !fresh {
            return Err(AuthError::new(
                ErrorKind::StateReplayed,
                Stage::Callback,
                "this assertion was already used",
            ));
        }
        let username = email.split_once('@').map(|(local, _)| local.to_owned());
        let details = UserDetails::new()
            .email(Some(&email))
            .email_verified(true)
            .username(username.as_deref());
        let mut response = AuthResponse::new(NAME, email, details, answer.clone(), None);
        for key in ["audience", "issuer"] {
            if let Some(value) = answer.get(key).filter(|v| v.is_string()) {
                response.extra_data.insert(key.to_owned(), value.clone());
            }
        }
        Ok(response)
    }
}

#[async_trait]
impl Backend for BrowserId {
    fn name(&self) -> &str {
        NAME
    }

    fn display_name(&self) -> &str {
        "BrowserID"
    }

    fn protocol(&self) -> Protocol {
        PROTOCOL
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new()
    }

    /// Requires `VERIFIER_URL`; no client key or secret.
    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.endpoints(&[VERIFIER_URL]);
        match cx.settings().endpoint_override(VERIFIER_URL) {
            Some(url) if !url.trim().is_empty() => Ok(()),
            _ => Err(cx.error(VERIFIER_URL.setting(), NO_VERIFIER)),
        }
    }

    /// No provider to send the user to: the login page gets the assertion in the browser and
    /// posts it to the callback, where this redirect also leads.
    async fn start(&self, cx: &BackendCx<'_>) -> Result<Flow> {
        Ok(Flow::Redirect(cx.redirect_uri()))
    }

    async fn complete(&self, cx: &BackendCx<'_>) -> Result<AuthResponse> {
        self.verify(cx).await.map_err(|e| e.or_provider(NAME))
    }
}

#[cfg(test)]
mod tests {
    use super::{is_address, origin_of};

    #[test]
    fn audiences_are_origins() {
        let origin = |url: &str| origin_of(url).ok();
        assert_eq!(
            origin("https://example.com/complete/browserid/").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(
            origin("http://127.0.0.1:8000/complete/browserid/").as_deref(),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(
            origin("https://Example.COM:443/x").as_deref(),
            Some("https://example.com")
        );
        assert_eq!(origin("not a url"), None);
    }

    #[test]
    fn addresses() {
        assert!(is_address("ada@example.com"));
        for bad in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "a@b@c",
            "ada @example.com",
        ] {
            assert!(!is_address(bad), "{bad}");
        }
    }
}
