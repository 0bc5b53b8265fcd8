#![doc = include_str!("../README.md")]

use social_core::{UserDetails, Value};
use social_oauth2::oidc::{OidcBackend, OidcProvider, OidcSpec, standard_details};
use social_oauth2::{ClientAuth, Pkce};

/// The backend name (python-social-auth's).
pub const NAME: &str = "linkedin-openidconnect";
/// LinkedIn's OpenID Connect issuer; discovery lives under it.
pub const ISSUER: &str = "https://www.linkedin.com/oauth";

/// LinkedIn as an OpenID Connect provider; register it with [`backend`].
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkedIn;

/// The LinkedIn backend, ready for a [`social_core::Registry`].
pub fn backend() -> OidcBackend<LinkedIn> {
    OidcBackend::new(LinkedIn)
}

impl OidcProvider for LinkedIn {
    fn spec(&self) -> OidcSpec {
        OidcSpec {
            name: NAME,
            display_name: "LinkedIn",
            issuer: Some(ISSUER),
            // PKCE is for native apps LinkedIn enables one by one; a web app sending a
            // verifier gets `invalid_client` from the token endpoint.
            pkce: Pkce::None,
            // The only method LinkedIn's token endpoint takes.
            client_auth: ClientAuth::Body,
            echoes_nonce: false,
            ..OidcSpec::DEFAULT
        }
    }

    fn user_details(&self, claims: &Value) -> UserDetails {
        let details = standard_details(claims);
        // userinfo spells the locale as an object; ID tokens as text.
        match claims.get("locale") {
            Some(Value::Object(locale)) => {
                let part = |k: &str| locale.get(k).and_then(Value::as_str).unwrap_or_default();
                let tag = match (part("language"), part("country")) {
                    ("", _) => String::new(),
                    (language, "") => language.to_owned(),
                    (language, country) => format!("{language}-{country}"),
                };
                details.locale(Some(&tag))
            }
            _ => details,
        }
    }
}
