//! Login with Amazon's own behaviour: its scopes (`profile`, `profile:user_id`,
//! `postal_code`) and what each one puts in the customer profile; the uid is `user_id`, the
//! e-mail is not vouched for.

use std::sync::Arc;

use social_core::serde_json::{self, Value, json};
use social_core::{
    ErrorKind, MemoryStorage, MemoryStrategy, Outcome, Registry, Settings, SocialAuth,
};
use social_testkit::provider::{Fixture, Harness, expect_kind};

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");

fn amazon(user: &str) -> Fixture {
    Fixture::new(social_amazon::NAME)
        .endpoint("api_url", "/")
        .token("POST", "/auth/o2/token", TOKEN)
        .api("GET", "/user/profile", user)
}

/// Logs in once against a fake Amazon answering `user` for `/user/profile`.
async fn login_as(user: &str) -> (Harness, social_core::Result<Outcome>) {
    let fixture = amazon(user);
    let h = Harness::new(Arc::new(social_amazon::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    h.mount_apis(&fixture).await;
    let outcome = h.login().await;
    (h, outcome)
}

/// The `scope` of the authorization redirect an application configured by `toml` and `vars`
/// sends.
async fn scope_sent(toml: &str, vars: &[(&str, &str)]) -> Option<String> {
    let vars = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned()));
    let settings = Settings::from_toml_str(toml)
        .and_then(|s| s.with_vars(vars))
        .unwrap_or_else(|e| panic!("invalid settings: {e}"));
    let auth = SocialAuth::builder(Registry::new().with(social_amazon::backend()))
        .settings(settings)
        .storage(Arc::new(MemoryStorage::new()))
        .build()
        .unwrap_or_else(|e| panic!("start-up refused: {e}"));
    let flow = auth
        .begin(&MemoryStrategy::new("https://shop.example"), "amazon")
        .await
        .unwrap_or_else(|e| panic!("begin failed: {e}"));
    let url = flow
        .redirect_url()
        .unwrap_or_else(|| panic!("no redirect"))
        .to_owned();
    let (_, query) = url.split_once('?')?;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("scope="))
        .map(form_decode)
}

/// Decodes one `application/x-www-form-urlencoded` value.
fn form_decode(value: &str) -> String {
    let mut bytes = Vec::with_capacity(value.len());
    let mut rest = value.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        rest = tail;
        match b {
            b'+' => bytes.push(b' '),
            b'%' if rest.len() >= 2 => {
                let hex = std::str::from_utf8(&rest[..2]).unwrap_or_default();
                bytes.push(u8::from_str_radix(hex, 16).unwrap_or_default());
                rest = &rest[2..];
            }
            b => bytes.push(b),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn scopes_come_from_toml_and_the_environment_alike() {
    social_testkit::run(async {
        let keys = "[backends.amazon]\nkey = \"amzn1.application-oa2-client.k\"\nsecret = \"s\"";
        assert_eq!(scope_sent(keys, &[]).await.as_deref(), Some("profile"));

        let toml =
            format!("{keys}\nscope = [\"profile:user_id\"]\nextra_scope = [\"postal_code\"]");
        let from_env = scope_sent(
            "",
            &[
                ("SOCIAL_AUTH_AMAZON_KEY", "amzn1.application-oa2-client.k"),
                ("SOCIAL_AUTH_AMAZON_SECRET", "s"),
                ("SOCIAL_AUTH_AMAZON_SCOPE", "profile:user_id"),
                ("SOCIAL_AUTH_AMAZON_EXTRA_SCOPE", "postal_code"),
            ],
        )
        .await;
        assert_eq!(
            scope_sent(&toml, &[]).await.as_deref(),
            Some("profile:user_id postal_code")
        );
        assert_eq!(from_env.as_deref(), Some("profile:user_id postal_code"));
    });
}

#[test]
fn with_profile_user_id_alone_there_is_an_account_but_no_name_or_email() {
    social_testkit::run(async {
        let (h, outcome) =
            login_as(r#"{"user_id": "amzn1.account.AGX4SCRUBBED7KQ2ZLW3EXAMPLE"}"#).await;
        let Ok(Outcome::LoggedIn(login)) = outcome else {
            panic!("login failed: {outcome:?}")
        };
        assert_eq!(
            login.account.as_ref().map(|a| a.uid.as_str()),
            Some("amzn1.account.AGX4SCRUBBED7KQ2ZLW3EXAMPLE")
        );
        assert_eq!(login.user.email, None);
        assert_eq!(login.user.fullname, None);
        assert!(!login.user.email_verified);
        assert_eq!(h.storage.counts(), (1, 1));
    });
}

#[test]
fn the_postal_code_is_kept_and_the_email_is_not_vouched_for() {
    social_testkit::run(async {
        let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
        user["postal_code"] = json!("98109");
        let (_, outcome) = login_as(&user.to_string()).await;
        let Ok(Outcome::LoggedIn(login)) = outcome else {
            panic!("login failed: {outcome:?}")
        };
        assert_eq!(login.user.email.as_deref(), Some("priya.raman@example.com"));
        assert!(
            !login.user.email_verified,
            "Amazon documents the address as registered, not as verified"
        );
        assert_eq!(login.user.first_name.as_deref(), Some("Priya"));
        let extra = login.account.map(|a| a.extra_data).unwrap_or_default();
        assert_eq!(extra.get("postal_code"), Some(&json!("98109")));
    });
}

#[test]
fn a_profile_without_user_id_writes_nothing() {
    social_testkit::run(async {
        // The legacy `{"Profile": {"CustomerId": ...}}` shape, or any answer without
        // `user_id`, has no uid this backend trusts.
        let legacy = r#"{"Profile": {"CustomerId": "amzn1.account.X", "Name": "P", "PrimaryEmail": "p@example.com"}}"#;
        let (h, outcome) = login_as(legacy).await;
        expect_kind("no user_id", outcome, ErrorKind::InvalidResponse);
        h.assert_nothing_written("no user_id");
    });
}
