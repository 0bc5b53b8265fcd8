//! OpenID 2.0 checks shared by every OpenID backend.
//!
//! [`FakeOp`] plays the OP on a `wiremock` server: it serves discovery documents (XRDS and
//! HTML), answers `associate` in key-value form with an HMAC-SHA256 or HMAC-SHA1 key (or
//! declines, as configured by [`Associations`]), signs positive assertions with the
//! association's MAC, and answers `check_authentication` by really checking the signature of
//! its private association. [`OpenIdHarness`] points a [`SocialAuth`] at it through an HTTP client
//! that sends every request — whatever its host, `https` included — to the fake server, so
//! backends keep their real URLs.
//!
//! The checks take a [`Case`] (how the backend under test starts a login and what the OP
//! asserts) and each drive full logins: the success path and every refusal of §11 — tampered
//! signature, wrong `return_to`, replayed and stale nonces, a claimed identifier whose
//! discovery names another OP, unsigned required fields, `check_authentication` saying no,
//! cancel — each with the right [`ErrorKind`] and nothing written. [`refusals`] runs them all.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use social_core::{
    Backend, BackendSettings, ErrorKind, Flow, Login, MemoryStorage, MemoryStrategy, Outcome,
    Settings, SocialAuth, Storage, Strategy, async_trait,
    http::{HttpClient, HttpError, HttpRequest, HttpResponse, ReqwestClient},
};
use social_openid::{OPENID2_NS, SIGNON_TYPE, STATE_PARAM, pending_key};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers};

/// The origin of the relying party in every check.
pub const ORIGIN: &str = "http://testserver";
/// The header carrying the URL a request was sent to before it was rerouted to the fake server.
pub const ORIGINAL_URL_HEADER: &str = "x-original-url";
const SHARED_HANDLE: &str = "{HMAC-SHA256}{shared}{kit}";
const SHA1_HANDLE: &str = "{HMAC-SHA1}{shared}{kit}";
const PRIVATE_HANDLE: &str = "{HMAC-SHA256}{private}{kit}";
/// How a bad signature is reported: locally, or by the OP through `check_authentication`.
const SIGNATURE: &[&str] = &["signature does not match", "did not confirm"];

/// How the fake OP answers `associate`.
///
/// An association is granted when it is asked for with the type the OP offers over a
/// no-encryption session, for an hour; any other request is declined with `unsupported-type`,
/// suggesting that type (§8.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Associations {
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA1 only: a request for HMAC-SHA256 is declined, suggesting HMAC-SHA1.
    Sha1Only,
    /// None: every request is declined, suggesting the type not asked for.
    Declined,
}

impl Associations {
    /// The association type suggested to, or granted, a request for `asked`.
    fn offer(self, asked: &str) -> &'static str {
        match self {
            Self::Sha256 => "HMAC-SHA256",
            Self::Sha1Only => "HMAC-SHA1",
            Self::Declined if asked == "HMAC-SHA256" => "HMAC-SHA1",
            Self::Declined => "HMAC-SHA256",
        }
    }
}

/// A fake OpenID 2.0 provider.
#[derive(Debug)]
pub struct FakeOp {
    /// The server every request of the harness reaches.
    pub server: MockServer,
    shared_key: Vec<u8>,
    sha1_key: Vec<u8>,
    private_key: Vec<u8>,
}

/// The base64 MAC of `text` under `key` for an association of `assoc_type`.
fn mac(assoc_type: &str, key: &[u8], text: &[u8]) -> String {
    if assoc_type == "HMAC-SHA1" {
        return STANDARD.encode(crate::oauth1::hmac_sha1(key, text));
    }
    #[allow(clippy::expect_used)] // HMAC takes keys of any length
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(text);
    STANDARD.encode(mac.finalize().into_bytes())
}

fn key_value(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect()
}

fn kv_response(status: u16, pairs: &[(&str, &str)]) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(key_value(pairs), "text/plain; charset=utf-8")
}

fn path_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.path().to_owned())
}

/// The OP endpoint: `associate` and `check_authentication`.
struct OpEndpoint {
    shared_key: Vec<u8>,
    sha1_key: Vec<u8>,
    private_key: Vec<u8>,
    associations: Associations,
}

impl Respond for OpEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form: BTreeMap<String, String> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
        match get("openid.mode") {
            "associate" => {
                let asked = get("openid.assoc_type");
                let offered = self.associations.offer(asked);
                if asked != offered || get("openid.session_type") != "no-encryption" {
                    return kv_response(
                        400,
                        &[
                            ("ns", OPENID2_NS),
                            ("error", "this OP does not offer that association"),
                            ("error_code", "unsupported-type"),
                            ("session_type", "no-encryption"),
                            ("assoc_type", offered),
                        ],
                    );
                }
                let (handle, key) = if offered == "HMAC-SHA1" {
                    (SHA1_HANDLE, &self.sha1_key)
                } else {
                    (SHARED_HANDLE, &self.shared_key)
                };
                kv_response(
                    200,
                    &[
                        ("ns", OPENID2_NS),
                        ("assoc_handle", handle),
                        ("session_type", "no-encryption"),
                        ("assoc_type", offered),
                        ("expires_in", "3600"),
                        ("mac_key", &STANDARD.encode(key)),
                    ],
                )
            }
            "check_authentication" => {
                // §11.4.2.1: only signatures of private associations are checked this way.
                let valid = get("openid.assoc_handle") == PRIVATE_HANDLE && {
                    let text: String = get("openid.signed")
                        .split(',')
                        .map(|k| format!("{k}:{}\n", get(&format!("openid.{k}"))))
                        .collect();
                    mac("HMAC-SHA256", &self.private_key, text.as_bytes()) == get("openid.sig")
                };
                let mut answer = vec![
                    ("ns", OPENID2_NS),
                    ("is_valid", if valid { "true" } else { "false" }),
                ];
                let invalidate = get("openid.invalidate_handle");
                if !invalidate.is_empty() {
                    answer.push(("invalidate_handle", invalidate));
                }
                kv_response(200, &answer)
            }
            _ => kv_response(400, &[("ns", OPENID2_NS), ("error", "unexpected mode")]),
        }
    }
}

impl FakeOp {
    /// Starts a fake OP with fresh keys; nothing is mounted yet.
    pub async fn start() -> Self {
        let seed = unique();
        Self {
            server: MockServer::start().await,
            shared_key: derive_key("shared", &seed),
            sha1_key: derive_key("sha1", &seed)[..20].to_vec(),
            private_key: derive_key("private", &seed),
        }
    }

    fn op_endpoint(&self, associations: Associations) -> OpEndpoint {
        OpEndpoint {
            shared_key: self.shared_key.clone(),
            sha1_key: self.sha1_key.clone(),
            private_key: self.private_key.clone(),
            associations,
        }
    }

    /// Serves the OP endpoint at `op_endpoint`'s path: `associate` and `check_authentication`.
    pub async fn serve(&self, op_endpoint: &str, associations: Associations) {
        Mock::given(matchers::method("POST"))
            .and(matchers::path(path_of(op_endpoint)))
            .respond_with(self.op_endpoint(associations))
            .mount(&self.server)
            .await;
    }

    /// Expects exactly `times` requests with `openid.mode=<mode>` at `op_endpoint`, answered
    /// as [`FakeOp::serve`] answers them (and before it). Wiremock checks the count when the
    /// server is verified or dropped.
    pub async fn expect(
        &self,
        op_endpoint: &str,
        associations: Associations,
        mode: &str,
        times: u64,
    ) {
        Mock::given(matchers::method("POST"))
            .and(matchers::path(path_of(op_endpoint)))
            .and(matchers::body_string_contains(format!(
                "openid.mode={mode}"
            )))
            .respond_with(self.op_endpoint(associations))
            .with_priority(1)
            .expect(times)
            .named(format!("openid.mode={mode}"))
            .mount(&self.server)
            .await;
    }

    /// Serves an XRDS document at `url` with one service of `service_type` ([`social_openid::SERVER_TYPE`]
    /// or [`social_openid::SIGNON_TYPE`]) pointing at `op_endpoint`.
    pub async fn xrds(
        &self,
        url: &str,
        service_type: &str,
        op_endpoint: &str,
        local_id: Option<&str>,
    ) {
        let local = local_id
            .map(|l| format!("<LocalID>{l}</LocalID>"))
            .unwrap_or_default();
        let body = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)">
  <XRD>
    <Service priority="0">
      <Type>{service_type}</Type>
      <URI>{op_endpoint}</URI>
      {local}
    </Service>
  </XRD>
</xrds:XRDS>
"#
        );
        Mock::given(matchers::method("GET"))
            .and(matchers::path(path_of(url)))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/xrds+xml"))
            .mount(&self.server)
            .await;
    }

    /// Serves an HTML page at `url` whose head names `op_endpoint` (and `local_id`).
    pub async fn html(&self, url: &str, op_endpoint: &str, local_id: Option<&str>) {
        let local = local_id
            .map(|l| format!(r#"<link rel="openid2.local_id" href="{l}">"#))
            .unwrap_or_default();
        let body = format!(
            r#"<!DOCTYPE html><html><head><title>Journal</title>
<link rel="openid2.provider" href="{op_endpoint}">{local}
</head><body>Hello</body></html>"#
        );
        Mock::given(matchers::method("GET"))
            .and(matchers::path(path_of(url)))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/html"))
            .mount(&self.server)
            .await;
    }

    /// A positive assertion answering the authentication request of `flow`, signed with the
    /// association the request named, else with the OP's private one.
    pub fn assertion(&self, flow: &Flow, case: &Case) -> AssertionBuilder {
        let params = flow_params(flow);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let (handle, assoc_type, key) = match get("openid.assoc_handle").as_str() {
            SHARED_HANDLE => (SHARED_HANDLE, "HMAC-SHA256", &self.shared_key),
            SHA1_HANDLE => (SHA1_HANDLE, "HMAC-SHA1", &self.sha1_key),
            _ => (PRIVATE_HANDLE, "HMAC-SHA256", &self.private_key),
        };
        AssertionBuilder {
            fields: vec![
                ("ns".into(), OPENID2_NS.into()),
                ("mode".into(), "id_res".into()),
                ("op_endpoint".into(), case.op_endpoint.clone()),
                ("claimed_id".into(), case.claimed_id.clone()),
                ("identity".into(), case.identity.clone()),
                ("return_to".into(), get("openid.return_to")),
                ("response_nonce".into(), nonce_at(now(), &unique())),
                ("assoc_handle".into(), handle.into()),
            ],
            assoc_type,
            key: key.clone(),
            unsigned: Vec::new(),
            extra_unsigned: Vec::new(),
            tampered: Vec::new(),
        }
    }

    /// The handle of the HMAC-SHA256 association the OP hands out.
    pub fn shared_handle(&self) -> &'static str {
        SHARED_HANDLE
    }

    /// The handle of the HMAC-SHA1 association the OP hands out.
    pub fn sha1_handle(&self) -> &'static str {
        SHA1_HANDLE
    }

    /// The requests that reached the fake server with `openid.mode=<mode>` in their body.
    pub async fn requests_with_mode(&self, mode: &str) -> Vec<Request> {
        let needle = format!("openid.mode={mode}");
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| String::from_utf8_lossy(&r.body).contains(&needle))
            .collect()
    }
}

/// A 32-byte key that differs per fake OP.
fn derive_key(label: &str, seed: &str) -> Vec<u8> {
    use sha2::Digest as _;
    Sha256::digest(format!("{label}:{seed}").as_bytes()).to_vec()
}

/// A positive assertion under construction; [`AssertionBuilder::params`] signs it.
#[derive(Debug, Clone)]
pub struct AssertionBuilder {
    fields: Vec<(String, String)>,
    assoc_type: &'static str,
    key: Vec<u8>,
    unsigned: Vec<String>,
    extra_unsigned: Vec<(String, String)>,
    tampered: Vec<(String, String)>,
}

impl AssertionBuilder {
    /// Sets (or adds) the signed field `key` (without `openid.`).
    #[must_use]
    pub fn field(mut self, key: &str, value: &str) -> Self {
        match self.fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value.to_owned(),
            None => self.fields.push((key.to_owned(), value.to_owned())),
        }
        self
    }

    /// Adds a signed SREG field (declaring the namespace as `sreg`).
    #[must_use]
    pub fn sreg(self, field: &str, value: &str) -> Self {
        self.field("ns.sreg", social_openid::SREG_NS)
            .field(&format!("sreg.{field}"), value)
    }

    /// Adds a signed AX value of `type_uri` under `alias`, in a `fetch_response` whose
    /// namespace alias is `ext1` (not `ax`: the RP must look the alias up).
    #[must_use]
    pub fn ax(self, alias: &str, type_uri: &str, value: &str) -> Self {
        self.field("ns.ext1", social_openid::AX_NS)
            .field("ext1.mode", "fetch_response")
            .field(&format!("ext1.type.{alias}"), type_uri)
            .field(&format!("ext1.value.{alias}"), value)
    }

    /// Leaves `key` out of `openid.signed` (it is still sent).
    #[must_use]
    pub fn unsigned(mut self, key: &str) -> Self {
        self.unsigned.push(key.to_owned());
        self
    }

    /// Sends `key` with `value` without signing it.
    #[must_use]
    pub fn unsigned_field(mut self, key: &str, value: &str) -> Self {
        self.extra_unsigned.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Changes `key` after signing: what an attacker in the middle would do.
    #[must_use]
    pub fn tampered(mut self, key: &str, value: &str) -> Self {
        self.tampered.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Signs with the private association: the RP cannot verify it locally.
    #[must_use]
    pub fn private(mut self, op: &FakeOp) -> Self {
        self.assoc_type = "HMAC-SHA256";
        self.key = op.private_key.clone();
        self.field("assoc_handle", PRIVATE_HANDLE)
    }

    /// Signs with the MAC of `assoc_type` (`HMAC-SHA1` or `HMAC-SHA256`) under the same
    /// association, whatever its type: what an OP mixing up algorithms, or an attacker hoping
    /// the RP reads the type from the message, would send.
    #[must_use]
    pub fn signed_with(mut self, assoc_type: &'static str) -> Self {
        self.assoc_type = assoc_type;
        self
    }

    /// The `openid.return_to` of the assertion.
    pub fn return_to(&self) -> String {
        self.get("return_to").unwrap_or_default()
    }

    fn get(&self, key: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// The signed `openid.*` fields of the response.
    pub fn params(&self) -> Vec<(String, String)> {
        let signed: Vec<&str> = self
            .fields
            .iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| *k != "mode" && !self.unsigned.iter().any(|u| u == k))
            .collect();
        let text: String = signed
            .iter()
            .map(|k| format!("{k}:{}\n", self.get(k).unwrap_or_default()))
            .collect();
        let sig = mac(self.assoc_type, &self.key, text.as_bytes());
        let mut fields = self.fields.clone();
        fields.extend(self.extra_unsigned.iter().cloned());
        for (key, value) in &self.tampered {
            match fields.iter_mut().find(|(k, _)| k == key) {
                Some(field) => field.1 = value.clone(),
                None => fields.push((key.clone(), value.clone())),
            }
        }
        fields.push(("signed".into(), signed.join(",")));
        fields.push(("sig".into(), sig));
        fields
            .into_iter()
            .map(|(k, v)| (format!("openid.{k}"), v))
            .collect()
    }

    /// The parameters of the callback request: the query of `return_to` (as the browser
    /// arrives there) and the signed response.
    pub fn callback_params(&self) -> Vec<(String, String)> {
        let mut params: Vec<(String, String)> = url::Url::parse(&self.return_to())
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        params.extend(self.params());
        params
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn unique() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{nanos:x}-{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A response nonce issued at `unix` seconds: `YYYY-MM-DDTHH:MM:SSZ` then `unique`.
pub fn nonce_at(unix: i64, unique: &str) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    // Civil date from days since 1970-01-01, with years starting in March.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z{unique}",
        secs / 3_600,
        secs % 3_600 / 60,
        secs % 60
    )
}

/// The fields of an authentication request: the redirect's query or the form's fields.
pub fn flow_params(flow: &Flow) -> Vec<(String, String)> {
    match flow {
        Flow::Redirect(url) => url::Url::parse(url)
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default(),
        Flow::AutoPost { fields, .. } => fields.clone(),
        _ => Vec::new(),
    }
}

/// One authentication-request field of `flow`.
pub fn flow_param(flow: &Flow, name: &str) -> Option<String> {
    flow_params(flow)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A login of the backend under test: how it starts and what the OP asserts.
#[derive(Debug, Clone)]
pub struct Case {
    /// Request parameters of the login start (`openid_identifier`, ...).
    pub begin: Vec<(String, String)>,
    /// The OP endpoint discovery finds.
    pub op_endpoint: String,
    /// The claimed identifier the OP asserts.
    pub claimed_id: String,
    /// The OP-local identifier the OP asserts.
    pub identity: String,
}

impl Case {
    /// A case where the OP asserts `claimed_id` as its own OP-local identifier.
    pub fn new(begin: &[(&str, &str)], op_endpoint: &str, claimed_id: &str) -> Self {
        Self {
            begin: begin
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            op_endpoint: op_endpoint.to_owned(),
            claimed_id: claimed_id.to_owned(),
            identity: claimed_id.to_owned(),
        }
    }
}

/// A fake OP and a [`SocialAuth`] with only the backend under test, talking to it.
#[derive(Debug)]
pub struct OpenIdHarness {
    /// The fake OP.
    pub op: FakeOp,
    /// Social login with the backend under test.
    pub auth: SocialAuth,
    /// The storage behind `auth`.
    pub storage: Arc<MemoryStorage>,
    /// The backend name.
    pub name: String,
}

/// Sends every request to `base` (the fake server), keeping path and query, so that any
/// `https://` URL of a provider reaches the fake OP.
#[derive(Debug, Clone)]
struct Reroute {
    base: String,
    inner: ReqwestClient,
}

#[async_trait]
impl HttpClient for Reroute {
    async fn execute(&self, mut request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let original = request.uri().to_string();
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        *request.uri_mut() = format!("{}{path}", self.base)
            .parse()
            .map_err(|e: http::uri::InvalidUri| HttpError::Other(e.to_string()))?;
        let value =
            http::HeaderValue::from_str(&original).map_err(|e| HttpError::Other(e.to_string()))?;
        request.headers_mut().insert(ORIGINAL_URL_HEADER, value);
        self.inner.execute(request).await
    }
}

impl OpenIdHarness {
    /// A fresh fake OP and social login for `backend` with its `settings`.
    pub async fn new(backend: Arc<dyn Backend>, settings: BackendSettings) -> Self {
        let op = FakeOp::start().await;
        let mut all = Settings::default();
        let name = backend.name().to_owned();
        all.backends.insert(name.clone(), settings);
        #[allow(clippy::expect_used)] // the kit's own client must build
        let inner = ReqwestClient::new(Duration::from_secs(5), "social-testkit").expect("client");
        let http = Reroute {
            base: op.server.uri(),
            inner,
        };
        let (auth, storage) = crate::engine(backend, all, Arc::new(http));
        Self {
            op,
            auth,
            storage,
            name,
        }
    }

    /// Starts a login in a fresh session with `params`.
    pub async fn try_begin(
        &self,
        params: &[(String, String)],
    ) -> social_core::Result<(MemoryStrategy, Flow)> {
        let mut strategy = MemoryStrategy::new(ORIGIN);
        for (k, v) in params {
            strategy = strategy.with_param(k, v);
        }
        let flow = self.auth.begin(&strategy, &self.name).await?;
        Ok((strategy, flow))
    }

    /// Starts the login of `case`; panics when it fails.
    pub async fn begin(&self, case: &Case) -> (MemoryStrategy, Flow) {
        self.try_begin(&case.begin)
            .await
            .unwrap_or_else(|e| panic!("begin failed: {e}"))
    }

    /// The callback request of `session` with `params`.
    pub async fn complete(
        &self,
        session: &MemoryStrategy,
        params: &[(String, String)],
    ) -> social_core::Result<Outcome> {
        let mut strategy = session.next_request();
        for (k, v) in params {
            strategy = strategy.with_param(k, v);
        }
        self.auth.complete(&strategy, &self.name, None).await
    }

    /// The callback request of `session` with `params`, reaching `origin` instead.
    pub async fn complete_at(
        &self,
        origin: &str,
        session: &MemoryStrategy,
        params: &[(String, String)],
    ) -> social_core::Result<Outcome> {
        let mut strategy = session.next_request();
        for (k, v) in params {
            strategy = strategy.with_param(k, v);
        }
        let elsewhere = Elsewhere {
            inner: strategy,
            origin: origin.to_owned(),
        };
        self.auth.complete(&elsewhere, &self.name, None).await
    }

    /// Users and accounts stored.
    pub fn counts(&self) -> (usize, usize) {
        self.storage.counts()
    }
}

/// The same browser session, reaching another origin.
struct Elsewhere {
    inner: MemoryStrategy,
    origin: String,
}

#[async_trait]
impl Strategy for Elsewhere {
    fn param(&self, name: &str) -> Option<String> {
        self.inner.param(name)
    }
    fn origin(&self) -> String {
        self.origin.clone()
    }
    fn host(&self) -> Option<String> {
        self.origin.split_once("://").map(|(_, h)| h.to_owned())
    }
    async fn session_get(&self, key: &str) -> social_core::Result<Option<Value>> {
        self.inner.session_get(key).await
    }
    async fn session_set(&self, key: &str, value: Value) -> social_core::Result<()> {
        self.inner.session_set(key, value).await
    }
    async fn session_remove(&self, key: &str) -> social_core::Result<Option<Value>> {
        self.inner.session_remove(key).await
    }
}

/// Expects `result` to be an error of `kind` whose details mention one of `because`, and
/// nothing new stored.
#[track_caller]
fn refused<T: std::fmt::Debug>(
    h: &OpenIdHarness,
    before: (usize, usize),
    case: &str,
    result: social_core::Result<T>,
    (kind, because): (ErrorKind, &[&str]),
) {
    match result {
        Err(e) => {
            assert_eq!(e.kind(), kind, "{case}: wrong error: {e}");
            assert!(
                because.iter().any(|b| e.details().contains(b)),
                "{case}: refused for another reason than {because:?}: {e}"
            );
        }
        Ok(v) => panic!("{case}: expected {kind}, got success {v:?}"),
    }
    assert_eq!(h.counts(), before, "{case}: users or accounts were written");
}

/// Logs in with an assertion `edit` may change; panics unless it succeeds.
pub async fn login_with(
    h: &OpenIdHarness,
    case: &Case,
    edit: impl FnOnce(AssertionBuilder) -> AssertionBuilder,
) -> Login {
    let (session, flow) = h.begin(case).await;
    let assertion = edit(h.op.assertion(&flow, case));
    match h.complete(&session, &assertion.callback_params()).await {
        Ok(Outcome::LoggedIn(login)) => login,
        other => panic!("login failed: {other:?}"),
    }
}

/// The success path: the account is stored for the user (created on the first login, found
/// on the next ones); returns the login.
pub async fn logs_in(h: &OpenIdHarness, case: &Case) -> Login {
    let before = h.counts();
    let login = login_with(h, case, |a| a).await;
    let account = login
        .account
        .clone()
        .unwrap_or_else(|| panic!("no account in {login:?}"));
    let stored = h
        .storage
        .social_account(&h.name, &account.uid)
        .await
        .ok()
        .flatten();
    assert_eq!(stored.map(|a| a.user_id), Some(login.user.id.clone()));
    let added = usize::from(login.new_association);
    assert_eq!(
        h.counts(),
        (before.0 + usize::from(login.is_new), before.1 + added),
        "rows written"
    );
    login
}

/// The authentication request: OpenID 2.0 `checkid_setup` to the discovered OP, `return_to`
/// on this backend's callback with a fresh `state` kept in the session, the realm.
pub async fn authentication_request(h: &OpenIdHarness, case: &Case) {
    let (session, flow) = h.begin(case).await;
    let (session2, flow2) = h.begin(case).await;
    let param = |name: &str| flow_param(&flow, name).unwrap_or_default();
    assert_eq!(param("openid.ns"), OPENID2_NS);
    assert_eq!(param("openid.mode"), "checkid_setup");
    assert_eq!(param("openid.realm"), format!("{ORIGIN}/"));
    let return_to = param("openid.return_to");
    let prefix = format!("{ORIGIN}/complete/{}/?{STATE_PARAM}=", h.name);
    assert!(return_to.starts_with(&prefix), "return_to: {return_to}");
    assert_ne!(
        flow_param(&flow2, "openid.return_to"),
        Some(return_to.clone()),
        "state is fresh per login"
    );
    let pending = session
        .session_get(&pending_key(&h.name))
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(
        pending["return_to"],
        Value::String(return_to),
        "bound to the session"
    );
    assert!(session2.session_keys().contains(&pending_key(&h.name)));
    match &flow {
        Flow::Redirect(url) => assert!(
            url.starts_with(&case.op_endpoint),
            "redirect to the OP endpoint: {url}"
        ),
        Flow::AutoPost { action, .. } => assert_eq!(action, &case.op_endpoint),
        other => panic!("unexpected flow {other:?}"),
    }
}

/// A signed field changed after signing is refused.
pub async fn tampered_signature(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    let (session, flow) = h.begin(case).await;
    let assertion =
        h.op.assertion(&flow, case)
            .tampered("response_nonce", &nonce_at(now(), "forged"));
    let result = h.complete(&session, &assertion.callback_params()).await;
    refused(
        h,
        before,
        "tampered signed field",
        result,
        (ErrorKind::Failed, SIGNATURE),
    );
}

/// An assertion whose `return_to` names another host is refused.
pub async fn return_to_other_host(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    let (session, flow) = h.begin(case).await;
    let assertion = h.op.assertion(&flow, case);
    let evil = assertion
        .return_to()
        .replacen(ORIGIN, "http://evil.example", 1);
    let assertion = assertion.field("return_to", &evil);
    let result = h.complete(&session, &assertion.callback_params()).await;
    refused(
        h,
        before,
        "return_to on another host",
        result,
        (ErrorKind::Failed, &["return_to"]),
    );
}

/// An assertion whose `return_to` names another path is refused.
pub async fn return_to_other_path(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    let (session, flow) = h.begin(case).await;
    let assertion = h.op.assertion(&flow, case);
    let other =
        assertion
            .return_to()
            .replacen(&format!("/complete/{}/", h.name), "/complete/other/", 1);
    let assertion = assertion.field("return_to", &other);
    let result = h.complete(&session, &assertion.callback_params()).await;
    refused(
        h,
        before,
        "return_to on another path",
        result,
        (ErrorKind::Failed, &["return_to"]),
    );
}

/// A callback missing a query parameter of `return_to` is refused.
pub async fn return_to_param_missing(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    let (session, flow) = h.begin(case).await;
    let assertion = h.op.assertion(&flow, case);
    let result = h.complete(&session, &assertion.params()).await;
    refused(
        h,
        before,
        "return_to parameter missing from the request",
        result,
        (ErrorKind::MissingParameter, &[STATE_PARAM]),
    );
    let (session, flow) = h.begin(case).await;
    let assertion = h.op.assertion(&flow, case);
    let mut params = assertion.params();
    params.push((STATE_PARAM.into(), "0000forged0000".into()));
    let result = h.complete(&session, &params).await;
    refused(
        h,
        before,
        "state of another session",
        result,
        (ErrorKind::StateMismatch, &["state"]),
    );
}

/// Where the integration says which URL the request reached (`Strategy::request_url`), the
/// callback is checked against that URL: the same parameters reaching another path (under a
/// prefix the login did not send) are refused, and the URL `return_to` names logs in.
pub async fn callback_checked_against_the_request_url(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    let reached = |assertion: &AssertionBuilder, path_from: &str, path_to: &str| {
        let mut url = url::Url::parse(&assertion.return_to().replacen(path_from, path_to, 1))
            .unwrap_or_else(|e| panic!("return_to is a URL: {e}"));
        url.query_pairs_mut().extend_pairs(assertion.params());
        String::from(url)
    };
    let callback = format!("/complete/{}/", h.name);
    let (session, flow) = h.begin(case).await;
    let assertion = h.op.assertion(&flow, case);
    let elsewhere = session.next_request().with_query_of(&reached(
        &assertion,
        &callback,
        &format!("/auth{callback}"),
    ));
    let result = h.auth.complete(&elsewhere, &h.name, None).await;
    refused(
        h,
        before,
        "callback reached at another path than return_to",
        result,
        (ErrorKind::Failed, &["return_to"]),
    );
    let (session, flow) = h.begin(case).await;
    let assertion = h.op.assertion(&flow, case);
    let there = session
        .next_request()
        .with_query_of(&reached(&assertion, &callback, &callback));
    match h.auth.complete(&there, &h.name, None).await {
        Ok(Outcome::LoggedIn(_)) => {}
        other => panic!("the callback at return_to's URL logs in: {other:?}"),
    }
}

/// The right assertion reaching the callback on another host is refused (§11.1).
pub async fn callback_on_other_host(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    let (session, flow) = h.begin(case).await;
    let assertion = h.op.assertion(&flow, case);
    let result = h
        .complete_at(
            "http://other.example",
            &session,
            &assertion.callback_params(),
        )
        .await;
    refused(
        h,
        before,
        "callback on another host",
        result,
        (ErrorKind::Failed, &["return_to"]),
    );
}

/// The same assertion twice — with the session restored, as a replayed cookie session would
/// — is refused the second time by the nonce store.
pub async fn replayed_nonce(h: &OpenIdHarness, case: &Case) {
    let (session, flow) = h.begin(case).await;
    let saved = session
        .session_get(&pending_key(&h.name))
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let assertion = h.op.assertion(&flow, case);
    let first = h.complete(&session, &assertion.callback_params()).await;
    assert!(
        matches!(first, Ok(Outcome::LoggedIn(_))),
        "first use logs in: {first:?}"
    );
    let after = h.counts();
    let _ = session.session_set(&pending_key(&h.name), saved).await;
    let again = h.complete(&session, &assertion.callback_params()).await;
    refused(
        h,
        after,
        "replayed assertion",
        again,
        (ErrorKind::StateReplayed, &["nonce"]),
    );
}

/// A nonce older than five minutes, or from the future, is refused.
pub async fn stale_nonce(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    for (what, at) in [("stale nonce", now() - 600), ("future nonce", now() + 600)] {
        let (session, flow) = h.begin(case).await;
        let assertion =
            h.op.assertion(&flow, case)
                .field("response_nonce", &nonce_at(at, "old"));
        let result = h.complete(&session, &assertion.callback_params()).await;
        refused(
            h,
            before,
            what,
            result,
            (ErrorKind::Failed, &["response_nonce"]),
        );
    }
}

/// A claimed identifier whose discovery names another OP is refused, and so is an assertion
/// from an OP endpoint other than the one the login went to.
pub async fn claimed_id_not_matching_discovery(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    let impostor = "https://impostor.example/__kit/impostor";
    h.op.xrds(
        impostor,
        SIGNON_TYPE,
        "https://impostor.example/__kit/other-op",
        None,
    )
    .await;
    let (session, flow) = h.begin(case).await;
    let assertion =
        h.op.assertion(&flow, case)
            .field("claimed_id", impostor)
            .field("identity", impostor);
    let result = h.complete(&session, &assertion.callback_params()).await;
    refused(
        h,
        before,
        "claimed id whose discovery names another OP",
        result,
        (ErrorKind::Failed, &["discovery"]),
    );
    let (session, flow) = h.begin(case).await;
    let assertion =
        h.op.assertion(&flow, case)
            .field("op_endpoint", "https://impostor.example/__kit/other-op");
    let result = h.complete(&session, &assertion.callback_params()).await;
    refused(
        h,
        before,
        "assertion from another OP",
        result,
        (ErrorKind::Failed, &["not from the OP"]),
    );
}

/// Each field §10.1 requires to be signed is refused when it is not.
pub async fn unsigned_required_field(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    for field in [
        "op_endpoint",
        "return_to",
        "response_nonce",
        "assoc_handle",
        "claimed_id",
        "identity",
    ] {
        let (session, flow) = h.begin(case).await;
        let assertion = h.op.assertion(&flow, case).unsigned(field);
        let result = h.complete(&session, &assertion.callback_params()).await;
        refused(
            h,
            before,
            &format!("unsigned {field}"),
            result,
            (ErrorKind::Failed, &["is not signed"]),
        );
    }
}

/// An assertion the RP cannot verify itself is refused when `check_authentication` answers
/// `is_valid:false`.
pub async fn check_authentication_refused(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    let asked = h.op.requests_with_mode("check_authentication").await.len();
    let (session, flow) = h.begin(case).await;
    let assertion =
        h.op.assertion(&flow, case)
            .private(&h.op)
            .tampered("response_nonce", &nonce_at(now(), "forged"));
    let result = h.complete(&session, &assertion.callback_params()).await;
    refused(
        h,
        before,
        "check_authentication is_valid:false",
        result,
        (ErrorKind::Failed, &["did not confirm"]),
    );
    assert_eq!(
        h.op.requests_with_mode("check_authentication").await.len(),
        asked + 1,
        "the OP was asked"
    );
}

/// `openid.mode=cancel` is [`ErrorKind::Canceled`]; `error` is [`ErrorKind::Failed`]; a
/// response in a session with no pending login is [`ErrorKind::StateMissing`].
pub async fn cancel_and_errors(h: &OpenIdHarness, case: &Case) {
    let before = h.counts();
    let (session, _) = h.begin(case).await;
    let cancel = [
        ("openid.ns".to_owned(), OPENID2_NS.to_owned()),
        ("openid.mode".to_owned(), "cancel".to_owned()),
    ];
    let result = h.complete(&session, &cancel).await;
    refused(
        h,
        before,
        "cancel",
        result,
        (ErrorKind::Canceled, &["cancel"]),
    );
    let (session, _) = h.begin(case).await;
    let error = [
        ("openid.ns".to_owned(), OPENID2_NS.to_owned()),
        ("openid.mode".to_owned(), "error".to_owned()),
        ("openid.error".to_owned(), "the OP broke".to_owned()),
    ];
    let result = h.complete(&session, &error).await;
    refused(
        h,
        before,
        "error",
        result,
        (ErrorKind::Failed, &["the OP broke"]),
    );
    let (_, flow) = h.begin(case).await;
    let assertion = h.op.assertion(&flow, case);
    let fresh = MemoryStrategy::new(ORIGIN);
    let result = h.complete(&fresh, &assertion.callback_params()).await;
    refused(
        h,
        before,
        "no pending login",
        result,
        (ErrorKind::StateMissing, &["pending"]),
    );
}

/// Every refusal above, in one go.
pub async fn refusals(h: &OpenIdHarness, case: &Case) {
    tampered_signature(h, case).await;
    return_to_other_host(h, case).await;
    return_to_other_path(h, case).await;
    return_to_param_missing(h, case).await;
    callback_checked_against_the_request_url(h, case).await;
    callback_on_other_host(h, case).await;
    stale_nonce(h, case).await;
    claimed_id_not_matching_discovery(h, case).await;
    unsigned_required_field(h, case).await;
    check_authentication_refused(h, case).await;
    cancel_and_errors(h, case).await;
    replayed_nonce(h, case).await;
}

/// Whether the RP holds one of the fake OP's associations for `op_endpoint`.
pub async fn holds_association(h: &OpenIdHarness, op_endpoint: &str) -> bool {
    h.storage
        .associations(op_endpoint, None)
        .await
        .unwrap_or_default()
        .iter()
        .any(|a| [SHARED_HANDLE, SHA1_HANDLE].contains(&a.handle.as_str()))
}
