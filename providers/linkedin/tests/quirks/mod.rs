//! LinkedIn's own mapping and flags.

#![allow(missing_docs)]

use serde_json::json;
use social_core::Backend;
use social_linkedin::LinkedIn;
use social_oauth2::oidc::{OidcProvider, standard_details};

#[test]
fn locale_object_becomes_a_language_tag() {
    let userinfo = json!({"sub": "782bbtaQ", "locale": {"country": "US", "language": "en"}});
    assert_eq!(
        LinkedIn.user_details(&userinfo).locale.as_deref(),
        Some("en-US")
    );
    let only_language = json!({"sub": "x", "locale": {"language": "fr"}});
    assert_eq!(
        LinkedIn.user_details(&only_language).locale.as_deref(),
        Some("fr")
    );
    let text = json!({"sub": "x", "locale": "en_US", "email_verified": "true"});
    assert_eq!(LinkedIn.user_details(&text), standard_details(&text));
    assert!(LinkedIn.user_details(&text).email_verified);
}

#[test]
fn declares_linkedins_protocol_facts() {
    let backend = social_linkedin::backend();
    assert_eq!(backend.name(), "linkedin-openidconnect");
    assert_eq!(backend.protocol(), social_core::Protocol::OPENID_CONNECT);
    let caps = backend.capabilities();
    assert!(!caps.pkce, "LinkedIn refuses PKCE from web apps");
    assert!(caps.refresh && !caps.revoke);
    let spec = LinkedIn.spec();
    assert_eq!(spec.issuer, Some("https://www.linkedin.com/oauth"));
    assert!(!spec.echoes_nonce);
}
