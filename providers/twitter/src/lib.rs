#![doc = include_str!("../README.md")]

use http::Method;
use social_core::{
    Configure, Endpoint, ProviderCx, Result, Stage, UserDetails, Value, async_trait,
    extra_data::ExtraDataField,
};
use social_oauth1::{AccessToken, OAuth1Backend, OAuth1Provider, OAuth1Spec, required_id, sign};

/// The backend name.
pub const NAME: &str = "twitter";
/// The v1.1 REST API, which `account/verify_credentials` still lives in.
const API_URL: &str = "https://api.twitter.com/1.1";

/// Twitter (X) as an OAuth 1.0a provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Twitter;

/// The Twitter backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth1Backend<Twitter> {
    OAuth1Backend::new(Twitter)
}

#[async_trait]
impl OAuth1Provider for Twitter {
    fn spec(&self) -> OAuth1Spec {
        OAuth1Spec {
            name: NAME,
            display_name: "X",
            request_token_url: "https://api.twitter.com/oauth/request_token",
            // `authenticate`, not `authorize`: a user who already granted access is sent
            // straight back instead of approving the app again ("Sign in with Twitter").
            authorization_url: "https://api.twitter.com/oauth/authenticate",
            access_token_url: "https://api.twitter.com/oauth/access_token",
            ..OAuth1Spec::DEFAULT
        }
    }

    async fn user_data(&self, cx: &ProviderCx<'_>, token: &AccessToken) -> Result<Value> {
        let api = self.endpoint(cx.backend, Endpoint::API, API_URL);
        let url = format!(
            "{}/account/verify_credentials.json",
            api.trim_end_matches('/')
        );
        // Without the app's e-mail permission Twitter leaves `email` out; with it, it sends
        // the address only when it is verified, else null.
        let request = sign(cx, Method::GET, &url, &[("include_email", "true")], token)?;
        cx.json(request, Stage::Profile, "verify_credentials").await
    }

    fn configure(&self, cx: &mut Configure<'_>) -> Result<()> {
        cx.endpoints(&[Endpoint::API]);
        Ok(())
    }

    fn user_id(&self, user: &Value) -> Result<String> {
        // `id` is a 64-bit number that JSON parsers in other languages round; `id_str` is
        // the same id as text.
        required_id(user, "id_str")
    }

    fn user_details(&self, user: &Value) -> UserDetails {
        let email = user["email"].as_str();
        let screen_name = user["screen_name"].as_str();
        UserDetails::new()
            .username(screen_name)
            .fullname(user["name"].as_str())
            .email(email)
            .email_verified(email.is_some_and(|e| !e.trim().is_empty()))
            .picture(user["profile_image_url_https"].as_str())
            .profile_url(screen_name.map(|s| format!("https://x.com/{s}")).as_deref())
    }

    fn extra_data(&self) -> Vec<ExtraDataField> {
        vec![ExtraDataField::new("screen_name")]
    }
}
