//! WeChat's own quirks: `appid`/`secret` instead of the OAuth names, the `#wechat_redirect`
//! fragment after the query, a GET token request, errors answered with status 200 as
//! `errcode`/`errmsg`, the `openid` of the token answer passed to the user-info call, and the
//! uid chosen between `openid` and `unionid`.

use std::sync::Arc;

use social_core::{
    ErrorKind, MemoryStrategy, Outcome,
    serde_json::{self, Value, json},
};
use social_testkit::{
    logged_in,
    provider::{CLIENT_ID, CLIENT_SECRET, Fixture, Harness, expect_kind},
    query_param, settings_from,
    wiremock::{Mock, ResponseTemplate, matchers},
};

use super::fixture;

const TOKEN: &str = social_testkit::fixture!("token.json");
const USER: &str = social_testkit::fixture!("user.json");
const ACCESS: &str = "wechat-access-ACCESS7d1c5e0b9a";
const OPENID: &str = "oQx2v7NmDhsFzICG63UPSIOgAbCd";
const UNIONID: &str = "o6_bmZx4Tq9LwV2sgVt7hMZOPfLk";

/// `json` with the top-level fields `remove` taken out and `set` put in.
fn edited(json: &str, remove: &[&str], set: &[(&str, Value)]) -> String {
    let mut value: Value = serde_json::from_str(json).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        for key in remove {
            object.remove(*key);
        }
        for (key, v) in set {
            object.insert((*key).to_owned(), v.clone());
        }
    }
    value.to_string()
}

/// The fixture's endpoints with the token endpoint answering `token` and the user-info call
/// answering `user`.
fn answering(token: &str, user: &str) -> Fixture {
    Fixture::new(social_wechat::NAME)
        .endpoint("api_url", "")
        .token("GET", "/sns/oauth2/access_token", token)
        .api("GET", "/sns/userinfo", user)
}

/// One login over `fixture`'s answers.
async fn login(fixture: &Fixture) -> (Harness, social_core::Result<Outcome>) {
    let h = Harness::new(Arc::new(social_wechat::backend()), fixture).await;
    h.mount_token(fixture, 1).await;
    h.mount_apis(fixture).await;
    let outcome = h.login().await;
    (h, outcome)
}

/// The requests the fake WeChat received at `path`.
async fn sent_to(h: &Harness, path: &str) -> Vec<social_testkit::wiremock::Request> {
    let requests = h.server.received_requests().await.unwrap_or_default();
    requests
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

#[tokio::test]
async fn the_qr_login_url_names_the_app_appid_and_ends_with_the_wechat_redirect_fragment() {
    let settings = settings_from(
        "",
        &[
            ("SOCIAL_AUTH_WECHAT_KEY", "wx5f1c2a9b3d7e8f01"),
            ("SOCIAL_AUTH_WECHAT_SECRET", "s"),
        ],
    );
    let (auth, _) = social_testkit::social_auth(social_wechat::backend(), settings, None)
        .unwrap_or_else(|e| panic!("{e}"));
    let flow = auth
        .begin(
            &MemoryStrategy::new("http://testserver"),
            social_wechat::NAME,
        )
        .await
        .unwrap_or_else(|e| panic!("begin failed: {e}"));
    let url = flow.redirect_url().unwrap_or_default().to_owned();
    assert!(
        url.starts_with("https://open.weixin.qq.com/connect/qrconnect?appid=wx5f1c2a9b3d7e8f01&"),
        "{url}"
    );
    assert!(url.ends_with("#wechat_redirect"), "{url}");
    let query = url
        .split_once('?')
        .and_then(|(_, rest)| rest.split_once('#'))
        .map_or("", |(query, _)| query);
    let names: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split_once('=').map(|(k, _)| k))
        .collect();
    assert_eq!(
        names,
        ["appid", "redirect_uri", "response_type", "scope", "state"],
        "WeChat's documented order, without client_id or PKCE"
    );
    assert_eq!(query_param(&url, "scope").as_deref(), Some("snsapi_login"));
    assert_eq!(
        query_param(&url, "redirect_uri").as_deref(),
        Some("http://testserver/complete/wechat/")
    );
}

#[tokio::test]
async fn the_code_is_exchanged_with_a_get_carrying_appid_and_secret() {
    let (h, outcome) = login(&fixture()).await;
    logged_in(outcome);
    let sent = sent_to(&h, "/sns/oauth2/access_token").await;
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method.as_str(), "GET");
    assert!(request.body.is_empty(), "everything is in the query");
    let query = |name: &str| {
        request
            .url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(query("appid").as_deref(), Some(CLIENT_ID));
    assert_eq!(query("secret").as_deref(), Some(CLIENT_SECRET));
    assert_eq!(query("code").as_deref(), Some("test-code"));
    assert_eq!(query("grant_type").as_deref(), Some("authorization_code"));
    assert_eq!(query("client_id"), None);
    assert_eq!(query("client_secret"), None);
}

#[tokio::test]
async fn an_errcode_from_the_token_endpoint_with_status_200_refuses_the_login() {
    let fixture = answering(r#"{"errcode":40029,"errmsg":"invalid code"}"#, USER);
    let (h, outcome) = login(&fixture).await;
    let details = outcome
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(details.contains("errcode=40029"), "{details}");
    assert!(details.contains("invalid code"), "{details}");
    expect_kind("errcode 40029", outcome, ErrorKind::TokenError);
    h.assert_nothing_written("errcode 40029");
    assert!(
        sent_to(&h, "/sns/userinfo").await.is_empty(),
        "no user-info call without a token"
    );
}

#[tokio::test]
async fn the_user_info_call_carries_the_token_and_the_openid_of_the_token_answer() {
    let (h, outcome) = login(&fixture()).await;
    let done = logged_in(outcome);
    let sent = sent_to(&h, "/sns/userinfo").await;
    assert_eq!(sent.len(), 1);
    let pairs: Vec<(String, String)> = sent[0]
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("openid".to_owned(), OPENID.to_owned()),
            ("access_token".to_owned(), ACCESS.to_owned()),
        ]
    );
    assert!(sent[0].headers.get("authorization").is_none());
    let account = done.account.expect("an account");
    assert_eq!(account.uid, OPENID, "openid is the uid by default");
    assert_eq!(done.user.username, "Xiaoming");
    assert_eq!(done.user.email, None, "WeChat gives no e-mail address");
    assert_eq!(account.extra_data.get("unionid"), Some(&json!(UNIONID)));
}

#[tokio::test]
async fn uid_unionid_makes_the_unionid_the_uid_and_refuses_answers_without_one() {
    let fixture = fixture().option("uid", "unionid");
    let (_, outcome) = login(&fixture).await;
    let done = logged_in(outcome);
    assert_eq!(done.account.map(|a| a.uid).as_deref(), Some(UNIONID));

    // Only the token answer has it: still found.
    let fixture = answering(TOKEN, &edited(USER, &["unionid"], &[])).option("uid", "unionid");
    let (_, outcome) = login(&fixture).await;
    let done = logged_in(outcome);
    assert_eq!(done.account.map(|a| a.uid).as_deref(), Some(UNIONID));

    // An application bound to no Open Platform account gets no unionid at all.
    let fixture = answering(
        &edited(TOKEN, &["unionid"], &[]),
        &edited(USER, &["unionid"], &[]),
    )
    .option("uid", "unionid");
    let (h, outcome) = login(&fixture).await;
    let details = outcome
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(details.contains("unionid"), "{details}");
    expect_kind("no unionid", outcome, ErrorKind::InvalidResponse);
    h.assert_nothing_written("no unionid");

    // The default needs none.
    let fixture = answering(
        &edited(TOKEN, &["unionid"], &[]),
        &edited(USER, &["unionid"], &[]),
    );
    let (_, outcome) = login(&fixture).await;
    let done = logged_in(outcome);
    assert_eq!(done.account.map(|a| a.uid).as_deref(), Some(OPENID));
}

#[test]
fn the_uid_setting_takes_openid_or_unionid_only() {
    let keys = [
        ("SOCIAL_AUTH_WECHAT_KEY", "k"),
        ("SOCIAL_AUTH_WECHAT_SECRET", "s"),
    ];
    for good in ["openid", "unionid"] {
        let mut vars = keys.to_vec();
        vars.push(("SOCIAL_AUTH_WECHAT_UID", good));
        let built =
            social_testkit::social_auth(social_wechat::backend(), settings_from("", &vars), None);
        assert!(built.is_ok(), "{good}: {:?}", built.err());
    }
    let mut vars = keys.to_vec();
    vars.push(("SOCIAL_AUTH_WECHAT_UID", "union_id"));
    let refused =
        social_testkit::social_auth(social_wechat::backend(), settings_from("", &vars), None);
    let error = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(error.contains("SOCIAL_AUTH_WECHAT_UID"), "{error}");
}

#[tokio::test]
async fn an_errcode_from_the_user_info_call_with_status_200_refuses_the_login() {
    let fixture = answering(TOKEN, r#"{"errcode":40003,"errmsg":"invalid openid"}"#);
    let (h, outcome) = login(&fixture).await;
    let details = outcome
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(details.contains("40003"), "{details}");
    assert!(details.contains("invalid openid"), "{details}");
    expect_kind("errcode 40003", outcome, ErrorKind::ProviderRejected);
    h.assert_nothing_written("errcode 40003");
}

#[tokio::test]
async fn user_info_about_another_openid_or_a_token_without_openid_is_refused() {
    let other = edited(
        USER,
        &[],
        &[("openid", json!("oZZZ9otherUserOpenIdxxxxxxxx"))],
    );
    let (h, outcome) = login(&answering(TOKEN, &other)).await;
    expect_kind("another openid", outcome, ErrorKind::InvalidResponse);
    h.assert_nothing_written("another openid");

    let (h, outcome) = login(&answering(&edited(TOKEN, &["openid"], &[]), USER)).await;
    expect_kind("no openid", outcome, ErrorKind::InvalidResponse);
    h.assert_nothing_written("no openid");
    assert!(sent_to(&h, "/sns/userinfo").await.is_empty());
}

/// WeChat serves its JSON as `text/plain`: a body that is a JSON object is read as JSON
/// whatever the content type says, the token answer, its `errcode` errors and the user info
/// alike.
#[tokio::test]
async fn a_token_answer_served_as_text_plain_is_read_as_json() {
    for (body, ok) in [
        (TOKEN, true),
        (r#"{"errcode":40029,"errmsg":"invalid code"}"#, false),
    ] {
        let fixture = fixture();
        let h = Harness::new(Arc::new(social_wechat::backend()), &fixture).await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path("/sns/oauth2/access_token"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/plain"))
            .mount(&h.server)
            .await;
        Mock::given(matchers::method("GET"))
            .and(matchers::path("/sns/userinfo"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(USER, "text/plain"))
            .mount(&h.server)
            .await;
        let outcome = h.login().await;
        if ok {
            let done = logged_in(outcome);
            assert_eq!(done.account.map(|a| a.uid).as_deref(), Some(OPENID));
        } else {
            let details = outcome
                .as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(details.contains("40029"), "{details}");
            expect_kind("text/plain errcode", outcome, ErrorKind::TokenError);
            h.assert_nothing_written("text/plain errcode");
        }
    }
}
