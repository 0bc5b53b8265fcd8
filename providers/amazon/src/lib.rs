#![doc = include_str!("../README.md")]

use social_core::{EmailVerified, Mapping, TokenIn};
use social_oauth2::{OAuth2Backend, OAuth2Spec, ProfileCall};

/// The backend name.
pub const NAME: &str = "amazon";

/// Login with Amazon's endpoints, flags and mapping: a provider that is only data. The token
/// endpoint and the customer profile live on the API host (`API_URL`).
pub const SPEC: OAuth2Spec = OAuth2Spec {
    name: NAME,
    display_name: "Amazon",
    api_url: Some("https://api.amazon.com"),
    authorization_url: "https://www.amazon.com/ap/oa",
    token_url: "https://api.amazon.com/auth/o2/token",
    default_scope: &["profile"],
    refresh: true,
    profile: Some(ProfileCall::get("{api_url}/user/profile", TokenIn::Bearer)),
    mapping: Mapping {
        // `amzn1.account.…`, the same for every app of one developer.
        uid: "/user_id",
        email: Some("/email"),
        email_verified: EmailVerified::No,
        fullname: Some("/name"),
        // Only with the `postal_code` scope (`null` without it).
        extra_data: &["postal_code"],
        ..Mapping::DEFAULT
    },
    ..OAuth2Spec::DEFAULT
};

/// The Login with Amazon backend, ready for a [`social_core::Registry`].
pub fn backend() -> OAuth2Backend<OAuth2Spec> {
    OAuth2Backend::new(SPEC)
}
