#![doc = include_str!("../README.md")]

use social_core::{
    BackendSettings, Configure, EmailVerified, Endpoint, Mapping, ProviderCx, Result, TokenIn,
    UserDetails, Value, async_trait,
};
use social_oauth2::{
    ClientAuth, OAuth2Backend, OAuth2Provider, OAuth2Spec, Pkce, ProfileCall, TokenResponse,
};

/// The backend name.
pub const NAME: &str = "paypal";

/// The live login pages (`{base_url}`).
pub const LIVE_BASE_URL: &str = "https://www.paypal.com";
/// The live REST API (`{api_url}`): token and user-info calls.
pub const LIVE_API_URL: &str = "https://api-m.paypal.com";
/// The sandbox login pages, used when `SOCIAL_AUTH_PAYPAL_SANDBOX` is true.
pub const SANDBOX_BASE_URL: &str = "https://www.sandbox.paypal.com";
/// The sandbox REST API, used when `SOCIAL_AUTH_PAYPAL_SANDBOX` is true.
pub const SANDBOX_API_URL: &str = "https://api-m.sandbox.paypal.com";

/// Log in with PayPal on the live service: the login page on `www.paypal.com` (`BASE_URL`),
/// the token and OpenID Connect user-info calls on `api-m.paypal.com` (`API_URL`), client
/// credentials as HTTP Basic. [`PayPal`] moves both hosts to the sandbox.
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "PayPal",
    base_url: Some(LIVE_BASE_URL),
    api_url: Some(LIVE_API_URL),
    authorization_url: "{base_url}/signin/authorize",
    token_url: "{api_url}/v1/oauth2/token",
    default_scope: &["openid", "profile", "email"],
    // PayPal's template for the login link; it opens the log-in page rather than sign-up.
    auth_params: &[("flowEntry", "static")],
    pkce: Pkce::None,
    client_auth: ClientAuth::Basic,
    refresh: true,
    profile: Some(ProfileCall::get(
        "{api_url}/v1/identity/openidconnect/userinfo?schema=openid",
        TokenIn::Bearer,
    )),
    mapping: Mapping {
        uid: "/user_id",
        email: Some("/email"),
        email_verified: EmailVerified::At("/email_verified"),
        fullname: Some("/name"),
        first_name: Some("/given_name"),
        last_name: Some("/family_name"),
        picture: Some("/picture"),
        locale: Some("/locale"),
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// [`SPEC`] on PayPal's sandbox hosts.
pub const SANDBOX_SPEC: OAuth2Spec = OAuth2Spec {
    base_url: Some(SANDBOX_BASE_URL),
    api_url: Some(SANDBOX_API_URL),
    ..SPEC
};

/// `SANDBOX`: send the login and every call to PayPal's sandbox.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
struct Options {
    sandbox: bool,
}

/// The spec of the service `settings` choose: live, or the sandbox.
fn spec_for(settings: &BackendSettings) -> &'static OAuth2Spec {
    if settings.typed_or_default::<Options>().sandbox {
        &SANDBOX_SPEC
    } else {
        &SPEC
    }
}

/// Log in with PayPal as an OAuth 2.0 provider: [`SPEC`], or [`SANDBOX_SPEC`] when the
/// `SANDBOX` setting says so; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PayPal;

/// The PayPal backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<PayPal> {
    OAuth2Backend::new(PayPal)
}

#[async_trait]
impl OAuth2Provider for PayPal {
    fn spec(&self) -> OAuth2Spec {
        SPEC
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.options::<Options>().map(drop)
    }

    /// The endpoint's setting when set, else the template on the live or sandbox hosts.
    fn endpoint(&self, settings: &BackendSettings, endpoint: Endpoint, default: &str) -> String {
        match settings.endpoint_override(endpoint) {
            Some(url) => url.to_owned(),
            None => spec_for(settings).expand(settings, default),
        }
    }

    /// The OpenID Connect user info, from the live or sandbox API.
    async fn user_data(&self, cx: &ProviderCx<'_>, token: &TokenResponse) -> Result<Value> {
        social_oauth2::profile(cx, spec_for(cx.backend), token).await
    }

    /// The spec's mapping; when the answer has no `email` (PayPal's older `paypalv1.1`
    /// shape), the primary address of `emails`, which that shape does not mark verified.
    fn user_details(&self, user: &Value) -> UserDetails {
        let details = SPEC.mapping.user_details(user);
        if details.email.is_some() {
            return details;
        }
        let emails = user.get("emails").and_then(Value::as_array);
        let primary = emails.and_then(|list| {
            list.iter()
                .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
                .or_else(|| list.first())
        });
        let address = primary.and_then(|e| e.get("value")).and_then(Value::as_str);
        details.email(address).email_verified(false)
    }
}
