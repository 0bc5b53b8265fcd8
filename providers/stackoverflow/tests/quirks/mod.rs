//! Stack Exchange's own quirks: the user of `/me` chosen by a `site` argument and wrapped in
//! `items`, the API's error wrapper, the classic token endpoint's form-encoded answer, comma
//! separated scopes, display names HTML-encoded by the API's safe filter, and gzip bodies
//! (decoded when labelled `Content-Encoding: gzip`, refused clearly when not).

use std::sync::Arc;

use social_core::{
    ErrorKind, MemoryStrategy, Outcome,
    clock::{Clock, SystemClock},
    serde_json::{self, Value, json},
};
use social_testkit::{
    logged_in,
    provider::{Fixture, Harness, expect_kind},
    query_param, settings_from,
    wiremock::{Mock, Request, ResponseTemplate, matchers},
};

use super::fixture;

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const ACCESS: &str = "se-access-(Qm3vT8xZ2kLp9))";

/// The fixture's endpoints with the user call answering `user` (status 200).
fn answering(user: &str) -> Fixture {
    Fixture::new(social_stackoverflow::NAME)
        .endpoint("api_url", "/2.3")
        .token("POST", "/oauth/access_token/json", TOKEN)
        .api("GET", "/2.3/me", user)
}

/// One login over `fixture`'s answers.
async fn login(fixture: &Fixture) -> (Harness, social_core::Result<Outcome>) {
    let h = Harness::new(Arc::new(social_stackoverflow::backend()), fixture).await;
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    let outcome = h.login().await;
    (h, outcome)
}

/// One login with the user call answering `status` and `body` as `content_type`.
async fn login_with_me(
    status: u16,
    body: impl Into<Vec<u8>>,
    content_type: &str,
) -> (Harness, social_core::Result<Outcome>) {
    let fixture = fixture();
    let h = Harness::new(Arc::new(social_stackoverflow::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/2.3/me"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, content_type))
        .mount(&h.server)
        .await;
    let outcome = h.login().await;
    (h, outcome)
}

/// The requests the fake Stack Exchange received at `path`.
async fn sent_to(h: &Harness, path: &str) -> Vec<Request> {
    let requests = h.server.received_requests().await.unwrap_or_default();
    requests
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

/// The error of `outcome`, as text.
fn details<T>(outcome: &social_core::Result<T>) -> String {
    outcome
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The user fixture with `items[0]` changed by `change`.
fn user_with(change: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut user: Value = serde_json::from_str(USER).unwrap_or_default();
    if let Some(item) = user["items"][0].as_object_mut() {
        change(item);
    }
    user.to_string()
}

/// The authorize URL of an application configured by the variables `vars`.
async fn authorize_url(vars: &[(&str, &str)]) -> String {
    let mut all = vec![
        ("SOCIAL_AUTH_STACKOVERFLOW_KEY", "31415"),
        ("SOCIAL_AUTH_STACKOVERFLOW_SECRET", "s"),
    ];
    all.extend_from_slice(vars);
    let (auth, _) = social_testkit::social_auth(
        social_stackoverflow::backend(),
        settings_from("", &all),
        None,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let flow = auth
        .begin(
            &MemoryStrategy::new("http://testserver"),
            social_stackoverflow::NAME,
        )
        .await
        .unwrap_or_else(|e| panic!("begin failed: {e}"));
    flow.redirect_url().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn no_scope_by_default_and_scopes_joined_with_commas() {
    let plain = authorize_url(&[]).await;
    assert!(
        plain.starts_with("https://stackoverflow.com/oauth?client_id=31415&"),
        "{plain}"
    );
    assert_eq!(query_param(&plain, "scope"), None, "`/me` needs no scope");
    let scoped =
        authorize_url(&[("SOCIAL_AUTH_STACKOVERFLOW_SCOPE", "private_info,no_expiry")]).await;
    assert_eq!(
        query_param(&scoped, "scope").as_deref(),
        Some("private_info,no_expiry")
    );
}

#[tokio::test]
async fn me_is_asked_for_the_site_with_a_bearer_token_and_no_key_in_the_query() {
    let (h, outcome) = login(&fixture()).await;
    let done = logged_in(outcome);
    let sent = sent_to(&h, "/2.3/me").await;
    let [request] = sent.as_slice() else {
        panic!("one user call, got {}", sent.len())
    };
    assert_eq!(request.url.query(), Some("site=stackoverflow"));
    assert_eq!(
        request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(format!("Bearer {ACCESS}").as_str())
    );
    let account = done.account.expect("an account");
    assert_eq!(account.uid, "5647382", "`user_id` on the site");

    let fixture = fixture().option("site", "serverfault");
    let (h, outcome) = login(&fixture).await;
    logged_in(outcome);
    let sent = sent_to(&h, "/2.3/me").await;
    assert_eq!(
        sent.first().and_then(|r| r.url.query()),
        Some("site=serverfault")
    );
}

#[test]
fn a_site_that_is_no_api_name_stops_start_up() {
    for site in ["https://serverfault.com/", "stack overflow", "so&key=x"] {
        let settings = settings_from(
            "",
            &[
                ("SOCIAL_AUTH_STACKOVERFLOW_KEY", "31415"),
                ("SOCIAL_AUTH_STACKOVERFLOW_SECRET", "s"),
                ("SOCIAL_AUTH_STACKOVERFLOW_SITE", site),
            ],
        );
        let built = social_testkit::social_auth(social_stackoverflow::backend(), settings, None);
        let error = built.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            error.contains("SOCIAL_AUTH_STACKOVERFLOW_SITE"),
            "{site}: {error}"
        );
    }
}

#[tokio::test]
async fn the_classic_endpoints_form_encoded_token_answer_is_read_too() {
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let fixture = fixture().endpoint("access_token_url", "/oauth/access_token");
        let h = Harness::new(Arc::new(social_stackoverflow::backend()), &fixture).await;
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/oauth/access_token"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                "access_token=se-access-(Qm3vT8xZ2kLp9))&expires=86400",
                content_type,
            ))
            .expect(1)
            .mount(&h.server)
            .await;
        h.mount_apis(&fixture).await;
        let done = logged_in(h.login().await);
        let tokens = done
            .account
            .and_then(|a| a.tokens())
            .expect("tokens stored");
        assert_eq!(tokens.access_token.secret(), ACCESS, "{content_type}");
        let expires_at = tokens.expires_at.expect("`expires` read as the lifetime");
        let left = expires_at - SystemClock.now();
        assert!((86_000..=86_400).contains(&left), "{content_type}: {left}");
    }
}

#[tokio::test]
async fn the_api_error_wrapper_refuses_the_login_with_its_name_and_message() {
    let error = json!({
        "error_id": 403,
        "error_message": "access_token does not have sufficient scope",
        "error_name": "access_denied",
    });
    let (h, outcome) = login_with_me(400, error.to_string(), "application/json").await;
    let text = details(&outcome);
    assert!(text.contains("access_denied"), "{text}");
    assert!(text.contains("sufficient scope"), "{text}");
    expect_kind("error wrapper", outcome, ErrorKind::ProviderRejected);
    h.assert_nothing_written("error wrapper");

    // The same wrapper with status 200 is refused as well.
    let (h, outcome) = login_with_me(200, error.to_string(), "application/json").await;
    expect_kind("error wrapper in 200", outcome, ErrorKind::ProviderRejected);
    h.assert_nothing_written("error wrapper in 200");
}

#[tokio::test]
async fn no_user_on_the_site_refuses_the_login_saying_so() {
    let empty =
        json!({"items": [], "has_more": false, "quota_max": 10000, "quota_remaining": 9986});
    let (h, outcome) = login(&answering(&empty.to_string())).await;
    let text = details(&outcome);
    assert!(text.contains("no account"), "{text}");
    assert!(text.contains("stackoverflow"), "{text}");
    expect_kind("empty items", outcome, ErrorKind::Failed);
    h.assert_nothing_written("empty items");

    let (h, outcome) = login(&answering(r#"{"quota_max":10000}"#)).await;
    expect_kind("no items", outcome, ErrorKind::InvalidResponse);
    h.assert_nothing_written("no items");
}

#[tokio::test]
async fn a_gzip_answer_labelled_content_encoding_gzip_is_decoded_by_the_default_client() {
    use std::io::Write as _;

    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(USER.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    let gzip = encoder.finish().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(gzip[..2], [0x1f, 0x8b], "a gzip stream");

    // The harness runs the default HTTP client; Stack Exchange compresses every answer.
    let fixture = fixture();
    let h = Harness::new(Arc::new(social_stackoverflow::backend()), &fixture).await;
    h.mount_token(&fixture, 1).await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/2.3/me"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-encoding", "gzip")
                .set_body_raw(gzip, "application/json"),
        )
        .mount(&h.server)
        .await;
    let done = logged_in(h.login().await);
    assert_eq!(done.account.map(|a| a.uid).as_deref(), Some("5647382"));
    assert_eq!(done.user.username, "ada-lovelace");
    assert_eq!(h.storage.counts(), (1, 1), "one user, one account");
    let sent = sent_to(&h, "/2.3/me").await;
    let accepts = sent
        .first()
        .and_then(|r| r.headers.get("accept-encoding"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        accepts.contains("gzip"),
        "the client asks for gzip: {accepts:?}"
    );
}

#[tokio::test]
async fn a_gzip_body_left_compressed_by_the_http_client_is_refused_clearly() {
    // The gzip magic number and the start of a deflate stream, without `Content-Encoding:
    // gzip` to say so: no client decodes it, and the login is refused saying why.
    let gzip = vec![
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xab, 0x56,
    ];
    let (h, outcome) = login_with_me(200, gzip, "application/json").await;
    let text = details(&outcome);
    assert!(text.contains("gzip"), "{text}");
    expect_kind("gzip", outcome, ErrorKind::InvalidResponse);
    h.assert_nothing_written("gzip");
}

#[tokio::test]
async fn html_references_in_the_display_name_are_decoded_and_the_link_names_the_username() {
    let (_, outcome) = login(&fixture()).await;
    let done = logged_in(outcome);
    assert_eq!(done.user.username, "ada-lovelace", "the slug of the link");
    assert_eq!(done.user.first_name.as_deref(), Some("Ada"));
    assert_eq!(done.user.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(
        done.user.email, None,
        "Stack Exchange gives no e-mail address"
    );

    let user = user_with(|item| {
        item.insert(
            "display_name".into(),
            json!("J&#246;rg O&#39;Brien &amp; co"),
        );
        item.remove("link");
    });
    let (_, outcome) = login(&answering(&user)).await;
    let done = logged_in(outcome);
    assert_eq!(done.user.first_name.as_deref(), Some("Jörg"));
    assert_eq!(done.user.last_name.as_deref(), Some("O'Brien & co"));
    assert_eq!(
        done.user.username, "JörgOBrienco",
        "no link: the display name, cleaned as usernames are"
    );
}

#[test]
fn decode_html_decodes_the_references_the_safe_filter_writes() {
    use social_stackoverflow::decode_html;
    assert_eq!(decode_html("a &amp; b"), "a & b");
    assert_eq!(
        decode_html("&lt;i&gt; &quot;q&quot; &#39;s&#39;"),
        "<i> \"q\" 's'"
    );
    assert_eq!(decode_html("J&#246;rg &#x4E2D;"), "Jörg 中");
    assert_eq!(
        decode_html("R&D; &unknown; & &#xZZ;"),
        "R&D; &unknown; & &#xZZ;"
    );
    assert_eq!(decode_html("?s=256&d=identicon"), "?s=256&d=identicon");
}
