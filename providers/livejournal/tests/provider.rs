//! LiveJournal against a fake OP: HTML discovery on the journal's identity URL; every request
//! goes to the fake server whatever its host, so the backend keeps LiveJournal's real URLs.

use std::sync::Arc;

use social_core::{BackendSettings, ErrorKind};
use social_testkit::openid::{
    self as kit, Associations, Case, ORIGINAL_URL_HEADER, OpenIdHarness, flow_param,
};

const OP: &str = "https://www.livejournal.com/openid/server.bml";
const IDENTITY: &str = "https://exampleuser.livejournal.com/";

async fn livejournal() -> (OpenIdHarness, Case) {
    let h = OpenIdHarness::new(
        Arc::new(social_livejournal::backend()),
        BackendSettings::default(),
    )
    .await;
    h.op.html(IDENTITY, OP, None).await;
    h.op.serve(OP, Associations::Sha256).await;
    let case = Case::new(&[("openid_lj_user", "ExampleUser")], OP, IDENTITY);
    (h, case)
}

/// The URLs the backend asked for, as it wrote them.
async fn requested(h: &OpenIdHarness) -> Vec<String> {
    h.op.server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter_map(|r| {
            r.headers
                .get(ORIGINAL_URL_HEADER)?
                .to_str()
                .ok()
                .map(String::from)
        })
        .collect()
}

#[tokio::test]
async fn username_becomes_the_claimed_identity() {
    let (h, case) = livejournal().await;
    kit::authentication_request(&h, &case).await;
    let (_, flow) = h.begin(&case).await;
    assert_eq!(
        flow_param(&flow, "openid.claimed_id").as_deref(),
        Some(IDENTITY)
    );
    assert_eq!(
        flow_param(&flow, "openid.identity").as_deref(),
        Some(IDENTITY)
    );
    assert_eq!(
        requested(&h).await.first().map(String::as_str),
        Some(IDENTITY),
        "discovery on the journal's URL"
    );
}

#[tokio::test]
async fn logs_in_with_the_journal_name_as_username() {
    let (h, case) = livejournal().await;
    let login = kit::logs_in(&h, &case).await;
    assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(IDENTITY));
    assert_eq!(login.user.username, "exampleuser");
    let (h, case) = livejournal().await;
    let login = kit::login_with(&h, &case, |a| {
        a.sreg("nickname", "Example")
            .sreg("email", "ex@example.com")
    })
    .await;
    assert_eq!(login.user.username, "Example", "SREG nickname first");
    assert_eq!(login.user.email.as_deref(), Some("ex@example.com"));
    assert!(!login.user.email_verified);
}

#[tokio::test]
async fn underscored_names_use_their_own_hosts() {
    for (name, url) in [
        ("a_b", "https://a-b.livejournal.com/"),
        ("_under_", "https://users.livejournal.com/_under_/"),
    ] {
        let h = OpenIdHarness::new(
            Arc::new(social_livejournal::backend()),
            BackendSettings::default(),
        )
        .await;
        h.op.html(url, OP, None).await;
        h.op.serve(OP, Associations::Sha256).await;
        let case = Case::new(&[("openid_lj_user", name)], OP, url);
        let login = kit::logs_in(&h, &case).await;
        assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(url));
        assert_eq!(login.user.username, name);
        assert_eq!(requested(&h).await.first().map(String::as_str), Some(url));
    }
}

#[tokio::test]
async fn bad_usernames_are_refused_before_any_request() {
    let (h, _) = livejournal().await;
    let missing = h.try_begin(&[]).await.map(|(_, flow)| flow);
    match missing {
        Err(e) => assert_eq!(e.kind(), ErrorKind::MissingParameter, "{e}"),
        Ok(flow) => panic!("started without a username: {flow:?}"),
    }
    for bad in [
        "evil.example/",
        "../../admin",
        "joe@example.com",
        "a-b",
        "sixteen_chars_12",
        "x?openid.ns=y",
        "javascript:alert(1)",
    ] {
        let params = [("openid_lj_user".to_owned(), bad.to_owned())];
        match h.try_begin(&params).await {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Failed, "{bad}: {e}");
                assert!(e.details().contains("openid_lj_user"), "{bad}: {e}");
            }
            Ok((_, flow)) => panic!("{bad} was accepted: {flow:?}"),
        }
    }
    assert!(requested(&h).await.is_empty(), "nothing was fetched");
}

#[tokio::test]
async fn refusals() {
    let (h, case) = livejournal().await;
    kit::refusals(&h, &case).await;
}
