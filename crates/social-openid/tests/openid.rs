//! The OpenID 2.0 base through the generic `openid` backend, against a fake OP.

use std::sync::Arc;

use base64::{Engine as _, engine::general_purpose::STANDARD};
use social_core::{
    BackendSettings, ErrorKind, Flow, Outcome, SocialAuth, Storage, settings::TomlValue,
};
use social_openid::{
    self as openid, AX_EMAIL, AX_FIRST_NAME, AX_LAST_NAME, SERVER_TYPE, SIGNON_TYPE,
};
use social_testkit::openid::{self as kit, Associations, Case, OpenIdHarness, flow_param};
use wiremock::{Mock, ResponseTemplate, matchers};

const OP: &str = "https://op.example/auth";
const JOE: &str = "https://op.example/id/joe";

fn settings(options: &[(&str, &str)]) -> BackendSettings {
    let mut settings = BackendSettings::default();
    for (name, value) in options {
        settings
            .options
            .insert((*name).to_owned(), TomlValue::String((*value).to_owned()));
    }
    settings
}

/// The generic backend; the user types `op.example`, an OP identifier (identifier select),
/// and the OP asserts `JOE`.
async fn generic_with(
    op_endpoint: &str,
    associations: Associations,
    options: &[(&str, &str)],
) -> (OpenIdHarness, Case) {
    let h = OpenIdHarness::new(Arc::new(openid::backend()), settings(options)).await;
    h.op.xrds("http://op.example/", SERVER_TYPE, op_endpoint, None)
        .await;
    h.op.xrds(JOE, SIGNON_TYPE, op_endpoint, None).await;
    h.op.serve(op_endpoint, associations).await;
    let case = Case::new(&[("openid_identifier", "op.example")], op_endpoint, JOE);
    (h, case)
}

async fn generic() -> (OpenIdHarness, Case) {
    generic_with(OP, Associations::Sha256, &[]).await
}

#[tokio::test]
async fn authentication_request_uses_identifier_select() {
    let (h, case) = generic().await;
    kit::authentication_request(&h, &case).await;
    let (_, flow) = h.begin(&case).await;
    assert_eq!(
        flow_param(&flow, "openid.claimed_id").as_deref(),
        Some(openid::IDENTIFIER_SELECT)
    );
    assert_eq!(
        flow_param(&flow, "openid.identity").as_deref(),
        Some(openid::IDENTIFIER_SELECT)
    );
    assert_eq!(
        flow_param(&flow, "openid.assoc_handle").as_deref(),
        Some(h.op.shared_handle())
    );
    assert_eq!(
        flow_param(&flow, "openid.ns.sreg").as_deref(),
        Some(openid::SREG_NS)
    );
    assert_eq!(
        flow_param(&flow, "openid.ax.mode").as_deref(),
        Some("fetch_request")
    );
}

/// The association types the RP asked for, in order.
async fn associate_requests(h: &OpenIdHarness) -> Vec<String> {
    h.op.requests_with_mode("associate")
        .await
        .iter()
        .filter_map(|r| {
            url::form_urlencoded::parse(&r.body)
                .find(|(k, _)| k == "openid.assoc_type")
                .map(|(_, v)| v.into_owned())
        })
        .collect()
}

/// The type and key length of the association stored for `OP`.
async fn stored_association(h: &OpenIdHarness) -> (String, usize) {
    let stored = h
        .storage
        .associations(OP, None)
        .await
        .expect("memory storage");
    assert_eq!(stored.len(), 1, "{stored:?}");
    let key = STANDARD.decode(&stored[0].secret).expect("base64 key");
    (stored[0].assoc_type.clone(), key.len())
}

#[tokio::test]
async fn logs_in_through_an_association() {
    let (h, case) = generic().await;
    h.op.expect(OP, Associations::Sha256, "associate", 1).await;
    h.op.expect(OP, Associations::Sha256, "check_authentication", 0)
        .await;
    let login = kit::logs_in(&h, &case).await;
    assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(JOE));
    assert!(kit::holds_association(&h, OP).await);
    kit::logs_in(&h, &case).await;
    assert_eq!(associate_requests(&h).await, ["HMAC-SHA256"]);
    assert_eq!(stored_association(&h).await, ("HMAC-SHA256".into(), 32));
    h.op.server.verify().await;
}

#[tokio::test]
async fn logs_in_through_an_hmac_sha1_association_when_the_op_offers_only_that() {
    let (h, case) = generic_with(OP, Associations::Sha1Only, &[]).await;
    h.op.expect(OP, Associations::Sha1Only, "associate", 2)
        .await;
    h.op.expect(OP, Associations::Sha1Only, "check_authentication", 0)
        .await;
    let (_, flow) = h.begin(&case).await;
    assert_eq!(
        flow_param(&flow, "openid.assoc_handle").as_deref(),
        Some(h.op.sha1_handle())
    );
    assert_eq!(associate_requests(&h).await, ["HMAC-SHA256", "HMAC-SHA1"]);
    assert_eq!(stored_association(&h).await, ("HMAC-SHA1".into(), 20));
    let login = kit::logs_in(&h, &case).await;
    assert_eq!(login.account.map(|a| a.uid).as_deref(), Some(JOE));
    kit::logs_in(&h, &case).await;
    assert_eq!(
        associate_requests(&h).await.len(),
        2,
        "the association is reused"
    );
    h.op.server.verify().await;
}

#[tokio::test]
async fn logs_in_statelessly_with_a_plain_http_op() {
    let (h, case) = generic_with("http://op.example/auth", Associations::Sha256, &[]).await;
    kit::logs_in(&h, &case).await;
    assert!(
        h.op.requests_with_mode("associate").await.is_empty(),
        "no MAC key is fetched in clear"
    );
    assert_eq!(
        h.op.requests_with_mode("check_authentication").await.len(),
        1
    );
}

#[tokio::test]
async fn logs_in_statelessly_when_the_op_declines_both_types() {
    let (h, case) = generic_with(OP, Associations::Declined, &[]).await;
    h.op.expect(OP, Associations::Declined, "associate", 2)
        .await;
    h.op.expect(OP, Associations::Declined, "check_authentication", 1)
        .await;
    kit::logs_in(&h, &case).await;
    assert_eq!(
        associate_requests(&h).await,
        ["HMAC-SHA256", "HMAC-SHA1"],
        "one retry, although the OP then suggests HMAC-SHA256 again"
    );
    assert!(!kit::holds_association(&h, OP).await);
    h.op.server.verify().await;
}

#[tokio::test]
async fn forgets_an_association_the_op_invalidates() {
    let (h, case) = generic().await;
    let handle = h.op.shared_handle();
    kit::login_with(&h, &case, |a| {
        a.private(&h.op).field("invalidate_handle", handle)
    })
    .await;
    assert!(
        !kit::holds_association(&h, OP).await,
        "invalidate_handle confirmed by check_authentication removes it"
    );
}

#[tokio::test]
async fn refuses_a_tampered_signature() {
    let (h, case) = generic().await;
    kit::tampered_signature(&h, &case).await;
    let (h, case) = generic_with("http://op.example/auth", Associations::Sha256, &[]).await;
    kit::tampered_signature(&h, &case).await;
}

#[tokio::test]
async fn refuses_a_tampered_signature_under_hmac_sha1() {
    let (h, case) = generic_with(OP, Associations::Sha1Only, &[]).await;
    h.op.expect(OP, Associations::Sha1Only, "check_authentication", 0)
        .await;
    kit::tampered_signature(&h, &case).await;
    assert!(kit::holds_association(&h, OP).await, "refused locally");
    h.op.server.verify().await;
}

/// An assertion signed under the right association with the other type's MAC.
async fn refuses_the_other_mac(associations: Associations, other: &'static str) {
    let (h, case) = generic_with(OP, associations, &[]).await;
    h.op.expect(OP, associations, "check_authentication", 0)
        .await;
    let before = h.counts();
    let (session, flow) = h.begin(&case).await;
    let assertion = h.op.assertion(&flow, &case).signed_with(other);
    match h.complete(&session, &assertion.callback_params()).await {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Failed, "{e}");
            assert!(e.details().contains("signature does not match"), "{e}");
        }
        Ok(o) => panic!("{other} accepted for a {associations:?} association: {o:?}"),
    }
    assert_eq!(h.counts(), before);
    h.op.server.verify().await;
}

#[tokio::test]
async fn the_mac_is_the_stored_association_type() {
    refuses_the_other_mac(Associations::Sha1Only, "HMAC-SHA256").await;
    refuses_the_other_mac(Associations::Sha256, "HMAC-SHA1").await;
}

#[tokio::test]
async fn refuses_return_to_on_another_host() {
    let (h, case) = generic().await;
    kit::return_to_other_host(&h, &case).await;
}

#[tokio::test]
async fn refuses_return_to_on_another_path() {
    let (h, case) = generic().await;
    kit::return_to_other_path(&h, &case).await;
}

#[tokio::test]
async fn refuses_a_callback_without_the_return_to_parameter() {
    let (h, case) = generic().await;
    kit::return_to_param_missing(&h, &case).await;
}

#[tokio::test]
async fn refuses_a_callback_reaching_another_host() {
    let (h, case) = generic().await;
    kit::callback_on_other_host(&h, &case).await;
}

#[tokio::test]
async fn refuses_a_replayed_nonce() {
    let (h, case) = generic().await;
    kit::replayed_nonce(&h, &case).await;
}

#[tokio::test]
async fn refuses_a_stale_nonce() {
    let (h, case) = generic().await;
    kit::stale_nonce(&h, &case).await;
}

#[tokio::test]
async fn refuses_a_claimed_id_whose_discovery_names_another_op() {
    let (h, case) = generic().await;
    kit::claimed_id_not_matching_discovery(&h, &case).await;
}

#[tokio::test]
async fn refuses_unsigned_required_fields() {
    let (h, case) = generic().await;
    kit::unsigned_required_field(&h, &case).await;
}

#[tokio::test]
async fn refuses_when_check_authentication_says_no() {
    let (h, case) = generic().await;
    kit::check_authentication_refused(&h, &case).await;
}

#[tokio::test]
async fn cancel_is_canceled() {
    let (h, case) = generic().await;
    kit::cancel_and_errors(&h, &case).await;
}

#[tokio::test]
async fn all_refusals_in_one_run() {
    let (h, case) = generic_with("http://op.example/auth", Associations::Sha256, &[]).await;
    kit::refusals(&h, &case).await;
}

/// A claimed identifier with an HTML page delegating to an OP-local identifier.
async fn delegated() -> (OpenIdHarness, Case) {
    let h = OpenIdHarness::new(Arc::new(openid::backend()), BackendSettings::default()).await;
    h.op.html("https://joe.example/", OP, Some(JOE)).await;
    h.op.serve(OP, Associations::Sha256).await;
    let mut case = Case::new(&[("openid_identifier", "https://joe.example/")], OP, "");
    case.claimed_id = "https://joe.example/".into();
    case.identity = JOE.into();
    (h, case)
}

#[tokio::test]
async fn html_discovery_with_a_delegated_identity() {
    let (h, case) = delegated().await;
    let (_, flow) = h.begin(&case).await;
    assert_eq!(
        flow_param(&flow, "openid.claimed_id").as_deref(),
        Some("https://joe.example/")
    );
    assert_eq!(flow_param(&flow, "openid.identity").as_deref(), Some(JOE));
    let login = kit::logs_in(&h, &case).await;
    assert_eq!(
        login.account.map(|a| a.uid).as_deref(),
        Some("https://joe.example/"),
        "the uid is the claimed identifier"
    );
    let before = h.counts();
    let (session, flow) = h.begin(&case).await;
    let wrong =
        h.op.assertion(&flow, &case)
            .field("identity", "https://op.example/id/mallory");
    let result = h.complete(&session, &wrong.callback_params()).await;
    match result {
        Err(e) => assert_eq!(e.kind(), ErrorKind::Failed, "{e}"),
        Ok(o) => panic!("another OP-local identifier was accepted: {o:?}"),
    }
    assert_eq!(h.counts(), before);
}

#[tokio::test]
async fn yadis_location_and_redirects_are_followed() {
    let h = OpenIdHarness::new(Arc::new(openid::backend()), BackendSettings::default()).await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/short"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("location", "https://joe.example/page"),
        )
        .mount(&h.op.server)
        .await;
    Mock::given(matchers::method("GET"))
        .and(matchers::path("/page"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-xrds-location", "https://joe.example/xrds")
                .set_body_raw("<html><head></head></html>", "text/html"),
        )
        .mount(&h.op.server)
        .await;
    h.op.xrds("https://joe.example/xrds", SIGNON_TYPE, OP, None)
        .await;
    h.op.serve(OP, Associations::Sha256).await;
    let case = Case::new(
        &[("openid_identifier", "https://joe.example/short#me")],
        OP,
        "https://joe.example/page",
    );
    let (_, flow) = h.begin(&case).await;
    assert_eq!(
        flow_param(&flow, "openid.claimed_id").as_deref(),
        Some("https://joe.example/page"),
        "the claimed identifier is the URL after redirects"
    );
    let requested: Vec<String> =
        h.op.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|r| {
                r.headers
                    .get(kit::ORIGINAL_URL_HEADER)?
                    .to_str()
                    .ok()
                    .map(String::from)
            })
            .collect();
    assert_eq!(
        requested.first().map(String::as_str),
        Some("https://joe.example/short"),
        "the fragment is not sent"
    );
    kit::logs_in(&h, &case).await;
}

#[tokio::test]
async fn sreg_and_ax_values_are_read_only_when_signed() {
    let (h, case) = generic_with(
        OP,
        Associations::Sha256,
        &[
            ("sreg_extra_data", "dob:birthday"),
            (
                "ax_extra_data",
                "http://axschema.org/contact/country/home:country",
            ),
        ],
    )
    .await;
    let (_, flow) = h.begin(&case).await;
    let optional = flow_param(&flow, "openid.sreg.optional").unwrap_or_default();
    assert_eq!(optional, "email,fullname,nickname,dob");
    assert_eq!(
        flow_param(&flow, "openid.ax.type.home").as_deref(),
        Some("http://axschema.org/contact/country/home")
    );
    let login = kit::login_with(&h, &case, |a| {
        a.sreg("nickname", "joe")
            .sreg("dob", "1970-01-01")
            .ax("mail", AX_EMAIL, "joe@example.com")
            .ax("first", AX_FIRST_NAME, "Joe")
            .ax("last", AX_LAST_NAME, "Bloggs")
            .ax("country", "http://axschema.org/contact/country/home", "NZ")
            .unsigned_field("sreg.email", "unsigned@example.com")
            .unsigned_field("sreg.fullname", "Not Signed")
    })
    .await;
    assert_eq!(login.user.username, "joe");
    assert_eq!(login.user.email.as_deref(), Some("joe@example.com"));
    assert!(
        !login.user.email_verified,
        "OpenID e-mails are not verified"
    );
    assert_eq!(login.user.fullname.as_deref(), Some("Joe Bloggs"));
    let extra = login.account.map(|a| a.extra_data).unwrap_or_default();
    assert_eq!(extra.get("birthday"), Some(&"1970-01-01".into()));
    assert_eq!(extra.get("country"), Some(&"NZ".into()));
}

#[tokio::test]
async fn long_requests_become_an_auto_posted_form() {
    let many: Vec<String> = (0..40)
        .map(|i| format!("https://schema.example.org/attributes/a-rather-long-name/{i}:a{i}"))
        .collect();
    let (h, case) = generic_with(
        OP,
        Associations::Sha256,
        &[("ax_extra_data", &many.join(","))],
    )
    .await;
    let (session, flow) = h.begin(&case).await;
    let Flow::AutoPost { action, fields } = &flow else {
        panic!("expected a form, got {flow:?}");
    };
    assert_eq!(action, OP);
    assert!(
        fields
            .iter()
            .any(|(k, v)| k == "openid.mode" && v == "checkid_setup")
    );
    let page = Flow::auto_post_html(action, fields);
    assert!(page.contains(r#"name="openid.return_to""#));
    let assertion = h.op.assertion(&flow, &case);
    let outcome = h.complete(&session, &assertion.callback_params()).await;
    assert!(matches!(outcome, Ok(Outcome::LoggedIn(_))), "{outcome:?}");
}

#[tokio::test]
async fn generic_identifiers_are_validated_before_any_request() {
    let (h, _) = generic().await;
    let begin = |value: Option<&str>| {
        let params: Vec<(String, String)> = value
            .map(|v| vec![("openid_identifier".to_owned(), v.to_owned())])
            .unwrap_or_default();
        let h = &h;
        async move { h.try_begin(&params).await.map(|(_, flow)| flow) }
    };
    kit_expect(begin(None).await, ErrorKind::MissingParameter, "missing");
    kit_expect(
        begin(Some("  ")).await,
        ErrorKind::MissingParameter,
        "blank",
    );
    for hostile in [
        "javascript:alert(document.cookie)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "ftp://op.example/",
        "file:///etc/passwd",
        "xri://=joe",
        "http://user:secret@op.example/",
        "http://127.0.0.1:8080/admin",
        "localhost:3000",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
    ] {
        kit_expect(begin(Some(hostile)).await, ErrorKind::Failed, hostile);
    }
    assert!(
        h.op.server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty(),
        "refused identifiers are never fetched"
    );
}

fn kit_expect<T: std::fmt::Debug>(result: social_core::Result<T>, kind: ErrorKind, case: &str) {
    match result {
        Err(e) => assert_eq!(e.kind(), kind, "{case}: {e}"),
        Ok(v) => panic!("{case}: accepted: {v:?}"),
    }
}

#[tokio::test]
async fn an_op_endpoint_on_a_private_address_is_refused() {
    let h = OpenIdHarness::new(Arc::new(openid::backend()), BackendSettings::default()).await;
    h.op.html("https://mallory.example/", "http://10.0.0.5/admin", None)
        .await;
    let params = [(
        "openid_identifier".to_owned(),
        "https://mallory.example/".to_owned(),
    )];
    kit_expect(
        h.try_begin(&params).await.map(|(_, flow)| flow),
        ErrorKind::Failed,
        "private OP endpoint",
    );
    assert_eq!(
        h.op.server
            .received_requests()
            .await
            .unwrap_or_default()
            .len(),
        1,
        "only the identifier page was fetched"
    );
}

#[tokio::test]
async fn local_identifiers_only_when_allowed() {
    let (h, _) = generic_with(
        OP,
        Associations::Sha256,
        &[("allow_local_identifiers", "true")],
    )
    .await;
    h.op.xrds("http://127.0.0.1:9/me", SIGNON_TYPE, OP, None)
        .await;
    let params = [(
        "openid_identifier".to_owned(),
        "http://127.0.0.1:9/me".to_owned(),
    )];
    let (_, flow) = h.try_begin(&params).await.expect("allowed in development");
    assert_eq!(
        flow_param(&flow, "openid.claimed_id").as_deref(),
        Some("http://127.0.0.1:9/me")
    );
}

#[tokio::test]
async fn settings_are_checked_at_start_up_without_key_or_secret() {
    let build = |options: &[(&str, &str)]| {
        let mut all = social_core::Settings::default();
        all.backends.insert("openid".into(), settings(options));
        SocialAuth::builder(social_core::Registry::new().with(openid::backend()))
            .settings(all)
            .storage(Arc::new(social_core::MemoryStorage::new()))
            .build()
    };
    assert!(build(&[]).is_ok(), "no KEY or SECRET needed");
    for (option, value, setting) in [
        (
            "allow_local_identifiers",
            "maybe",
            "SOCIAL_AUTH_OPENID_ALLOW_LOCAL_IDENTIFIERS",
        ),
        (
            "ax_extra_data",
            "http://axschema.org/contact/email",
            "SOCIAL_AUTH_OPENID_AX_EXTRA_DATA",
        ),
        (
            "sreg_extra_data",
            "e mail",
            "SOCIAL_AUTH_OPENID_SREG_EXTRA_DATA",
        ),
    ] {
        match build(&[(option, value)]) {
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Config);
                assert!(e.details().contains(setting), "{e}");
            }
            Ok(_) => panic!("{option}={value} was accepted"),
        }
    }
}

#[tokio::test]
async fn expired_associations_are_replaced() {
    let (h, case) = generic().await;
    kit::logs_in(&h, &case).await;
    let mut stored = h
        .storage
        .associations(OP, None)
        .await
        .expect("memory storage");
    let mut old = stored.remove(0);
    old.issued -= 7200;
    h.storage
        .store_association(old)
        .await
        .expect("memory storage");
    kit::logs_in(&h, &case).await;
    assert_eq!(h.op.requests_with_mode("associate").await.len(), 2);
}

/// OpenID 2.0 section 10.1: a positive assertion names the 2.0 namespace; an OpenID 1.x one
/// (or anything else), signed or not, is refused.
#[tokio::test]
async fn an_assertion_of_another_namespace_is_refused() {
    for ns in [
        "http://openid.net/signon/1.1",
        "http://specs.openid.net/auth/2.0/",
        "",
    ] {
        let (h, case) = generic().await;
        let before = h.counts();
        let (session, flow) = h.begin(&case).await;
        let assertion = h.op.assertion(&flow, &case).field("ns", ns);
        let err = h
            .complete(&session, &assertion.callback_params())
            .await
            .expect_err("another namespace");
        assert_eq!(err.kind(), ErrorKind::Failed, "{ns}: {err}");
        assert!(err.details().contains("not OpenID 2.0"), "{ns}: {err}");
        assert_eq!(h.counts(), before, "{ns}: nothing written");
    }
}
