//! OAuth 1.0a request signing (RFC 5849 section 3.4): HMAC-SHA1, RSA-SHA1 and PLAINTEXT.
//!
//! The signature base string is the RFC's to the byte: the base string URI is normalized
//! (section 3.4.1.2), the query of the URL and a form body join the parameters (section
//! 3.4.1.3.1), and names and values are encoded *before* they are sorted (section 3.4.1.3.2).
//! [`Signer::base_string`] shows it, for debugging an "invalid signature" answer.

use std::{borrow::Cow, fmt, sync::Arc};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac as _};
use http::{Method, header};
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde_json::Value;
use url::Url;

use social_core::{
    backend::ProviderCx,
    error::{AuthError, ErrorKind, Result, Stage},
    http::HttpRequest,
};

use super::{AccessToken, SignatureMethod};

/// Where the protocol parameters (`oauth_*`, signature included) travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placement {
    /// The `Authorization: OAuth ...` header (RFC 5849 section 3.5.1), the preferred way.
    Header,
    /// The query string (section 3.5.3), for providers that document only that.
    Query,
}

/// An RSA private key that signs RSA-SHA1 (RFC 5849 section 3.4.3).
#[derive(Clone)]
pub struct RsaKey(Arc<rsa::pkcs1v15::SigningKey<sha1::Sha1>>);

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RsaKey([redacted])")
    }
}

impl RsaKey {
    /// Reads a PEM private key, PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`). `Err`
    /// says what is wrong, without the key.
    pub fn from_pem(pem: &str) -> std::result::Result<Self, String> {
        use rsa::{pkcs1::DecodeRsaPrivateKey as _, pkcs8::DecodePrivateKey as _};
        let pem = pem.trim();
        let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(pem))
            .map_err(|_| {
                "is not an RSA private key in PEM (`-----BEGIN RSA PRIVATE KEY-----` or \
                 `-----BEGIN PRIVATE KEY-----`)"
                    .to_owned()
            })?;
        Ok(Self(Arc::new(rsa::pkcs1v15::SigningKey::new(key))))
    }

    fn sign(&self, base: &str) -> String {
        STANDARD.encode(self.0.sign(base.as_bytes()).to_bytes())
    }
}

/// Signs requests for one consumer, with or without token credentials.
///
/// ```
/// # use social_oauth1::{Signer, Placement};
/// let request = Signer::new("consumer-key", "consumer-secret")
///     .token("token", "token-secret")
///     .request(http::Method::GET, "https://api.example.com/1/me?fields=id", &[], Placement::Header)
///     .expect("a valid URL");
/// assert!(request.headers()["authorization"].to_str().is_ok_and(|v| v.starts_with("OAuth ")));
/// ```
///
/// To debug a signature a provider refuses, fix the nonce and timestamp and compare
/// [`Signer::base_string`] with the one the provider documents:
///
/// ```
/// # use social_oauth1::Signer;
/// let signer = Signer::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
///     .callback("http://printer.example.com/ready")
///     .fixed("wIjqoS", 137_131_200);
/// let base = signer
///     .base_string(&http::Method::POST, "https://photos.example.net/initiate", &[])
///     .expect("a valid URL");
/// assert!(base.starts_with("POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback"));
/// ```
#[derive(Clone)]
pub struct Signer<'a> {
    consumer_key: &'a str,
    consumer_secret: &'a str,
    token: Option<(&'a str, &'a str)>,
    callback: Option<&'a str>,
    verifier: Option<&'a str>,
    method: SignatureMethod,
    rsa: Option<&'a RsaKey>,
    version: bool,
    realm: Option<&'a str>,
    fixed: Option<(&'a str, u64)>,
}

impl fmt::Debug for Signer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("consumer_key", &self.consumer_key)
            .field("token", &self.token.map(|_| "[redacted]"))
            .field("callback", &self.callback)
            .field("method", &self.method)
            .field("version", &self.version)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl<'a> Signer<'a> {
    /// A signer with the consumer (client) credentials only, signing HMAC-SHA1.
    pub fn new(consumer_key: &'a str, consumer_secret: &'a str) -> Self {
        Self {
            consumer_key,
            consumer_secret,
            token: None,
            callback: None,
            verifier: None,
            method: SignatureMethod::HmacSha1,
            rsa: None,
            version: false,
            realm: None,
            fixed: None,
        }
    }

    /// The signer a backend's settings describe (`SIGNATURE_METHOD`, `RSA_PRIVATE_KEY`,
    /// `SEND_OAUTH_VERSION`, `REALM`, read at start-up), with its consumer credentials.
    pub fn for_backend(cx: &ProviderCx<'a>) -> Result<Self> {
        let config = cx.backend.typed::<SigningConfig>();
        let method = config.map_or(SignatureMethod::HmacSha1, |c| c.method);
        // RSA-SHA1 signs with the key alone: the consumer secret may be unset.
        let secret = match method {
            SignatureMethod::RsaSha1 => cx.secret().unwrap_or_default(),
            _ => cx.secret()?,
        };
        let mut signer = Self::new(cx.key()?, secret).signature_method(method);
        if let Some(config) = config {
            signer.version = config.version;
            signer.realm = config.realm.as_deref();
            signer.rsa = config.rsa.as_ref();
        }
        Ok(signer)
    }

    /// Signs with token credentials too: a request token, or an access token.
    #[must_use]
    pub fn token(mut self, token: &'a str, secret: &'a str) -> Self {
        self.token = Some((token, secret));
        self
    }

    /// Sends `oauth_callback` (the request-token call).
    #[must_use]
    pub fn callback(mut self, callback: &'a str) -> Self {
        self.callback = Some(callback);
        self
    }

    /// Sends `oauth_verifier` (the access-token call).
    #[must_use]
    pub fn verifier(mut self, verifier: &'a str) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Signs with `method`; RSA-SHA1 also needs [`Signer::rsa_key`].
    #[must_use]
    pub fn signature_method(mut self, method: SignatureMethod) -> Self {
        self.method = method;
        self
    }

    /// The private key of RSA-SHA1.
    #[must_use]
    pub fn rsa_key(mut self, key: &'a RsaKey) -> Self {
        self.rsa = Some(key);
        self
    }

    /// Sends and signs `oauth_version=1.0`, which the RFC makes optional and some providers
    /// expect.
    #[must_use]
    pub fn oauth_version(mut self, send: bool) -> Self {
        self.version = send;
        self
    }

    /// Puts `realm` in the `Authorization` header (never signed, section 3.4.1.3.1).
    #[must_use]
    pub fn realm(mut self, realm: &'a str) -> Self {
        self.realm = Some(realm);
        self
    }

    /// Uses this nonce and timestamp instead of fresh ones: for tests that reproduce a
    /// provider's documented signature, and for debugging. Never in production: a repeated
    /// nonce is a replayed request.
    #[must_use]
    pub fn fixed(mut self, nonce: &'a str, timestamp: u64) -> Self {
        self.fixed = Some((nonce, timestamp));
        self
    }

    /// The signature base string of `method` on `url` (its query included) with the form or
    /// query parameters `params`, as this signer would sign it (with a fresh nonce and
    /// timestamp unless [`Signer::fixed`]).
    pub fn base_string(
        &self,
        method: &Method,
        url: &str,
        params: &[(&str, &str)],
    ) -> Result<String> {
        let target = Target::new(&parse_url(url)?, params)?;
        Ok(self.base(method, &target, &self.protocol(&self.nonce_and_time())))
    }

    /// The `Authorization` header value for `method` on `url` (its query included) with the
    /// form or query parameters `params`.
    pub fn authorization(
        &self,
        method: &Method,
        url: &str,
        params: &[(&str, &str)],
    ) -> Result<String> {
        let target = Target::new(&parse_url(url)?, params)?;
        let (protocol, signature) = self.sign_target(method, &target)?;
        Ok(self.header(&protocol, &signature))
    }

    /// A signed request: `params` go in the query of GET, DELETE and HEAD requests and in a
    /// form body otherwise; the protocol parameters go where `placement` says.
    pub fn request(
        &self,
        method: Method,
        url: &str,
        params: &[(&str, &str)],
        placement: Placement,
    ) -> Result<HttpRequest> {
        self.request_to(method, &parse_url(url)?, params, placement)
    }

    /// A signed request with a body that is not a form (JSON, XML, ...): as section
    /// 3.4.1.3.1 says, such a body is not signed, only the URL's query and the protocol
    /// parameters are.
    pub fn request_with_body(
        &self,
        method: Method,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
        placement: Placement,
    ) -> Result<HttpRequest> {
        let url = parse_url(url)?;
        let target = Target::new(&url, &[])?;
        let (protocol, signature) = self.sign_target(&method, &target)?;
        let mut query = target.params.clone();
        let mut builder = http::Request::builder()
            .method(method)
            .header(header::CONTENT_TYPE, content_type);
        match placement {
            Placement::Header => {
                builder = builder.header(header::AUTHORIZATION, self.header(&protocol, &signature));
            }
            Placement::Query => query.extend(query_protocol(&protocol, &signature)),
        }
        builder
            .uri(with_query(&target.base_uri, &query))
            .body(body)
            .map_err(|e| bad_url(url.as_str(), e))
    }

    pub(crate) fn request_to(
        &self,
        method: Method,
        url: &Url,
        params: &[(&str, &str)],
        placement: Placement,
    ) -> Result<HttpRequest> {
        let in_query = matches!(method, Method::GET | Method::DELETE | Method::HEAD);
        let target = Target::new(url, params)?;
        let (protocol, signature) = self.sign_target(&method, &target)?;
        // The encoded parameters of the target: the URL's query, then `params`.
        let (query, body) = if in_query {
            (&target.params[..], None)
        } else {
            let (query, form) = target.params.split_at(target.query_len);
            (query, (!form.is_empty()).then(|| join(form)))
        };
        let mut builder = http::Request::builder().method(method);
        let uri = match placement {
            Placement::Header => {
                builder = builder.header(header::AUTHORIZATION, self.header(&protocol, &signature));
                with_query(&target.base_uri, query)
            }
            Placement::Query => {
                let mut query = query.to_vec();
                query.extend(query_protocol(&protocol, &signature));
                with_query(&target.base_uri, &query)
            }
        };
        builder = builder.uri(uri);
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        builder
            .body(body.unwrap_or_default().into_bytes())
            .map_err(|e| bad_url(url.as_str(), e))
    }

    fn nonce_and_time(&self) -> (String, u64) {
        match self.fixed {
            Some((nonce, timestamp)) => (nonce.to_owned(), timestamp),
            None => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                // 128 random bits from the thread's CSPRNG: no system call per request.
                (format!("{:032x}", rand::random::<u128>()), now)
            }
        }
    }

    /// The protocol parameters but the signature, sorted by name, values not yet encoded.
    fn protocol(&self, (nonce, timestamp): &(String, u64)) -> Vec<(&'static str, String)> {
        let mut params = Vec::with_capacity(8);
        if let Some(callback) = self.callback {
            params.push(("oauth_callback", callback.to_owned()));
        }
        params.push(("oauth_consumer_key", self.consumer_key.to_owned()));
        params.push(("oauth_nonce", nonce.clone()));
        params.push(("oauth_signature_method", self.method.name().to_owned()));
        params.push(("oauth_timestamp", timestamp.to_string()));
        if let Some((token, _)) = self.token {
            params.push(("oauth_token", token.to_owned()));
        }
        if let Some(verifier) = self.verifier {
            params.push(("oauth_verifier", verifier.to_owned()));
        }
        if self.version {
            params.push(("oauth_version", "1.0".to_owned()));
        }
        params
    }

    /// Section 3.4.1.1: method, base string URI and normalized parameters, each encoded.
    fn base(
        &self,
        method: &Method,
        target: &Target,
        protocol: &[(&'static str, String)],
    ) -> String {
        let protocol: Vec<(&str, String)> = protocol.iter().map(|(k, v)| (*k, encode(v))).collect();
        let mut all: Vec<(&str, &str)> = target
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(protocol.iter().map(|(k, v)| (*k, v.as_str())))
            .collect();
        all.sort_unstable();
        let mut out = String::with_capacity(256);
        out.push_str(&method.as_str().to_ascii_uppercase());
        out.push('&');
        encode_into(&mut out, &target.base_uri);
        out.push('&');
        // The normalized parameters (`k=v&...`), encoded once more: `&` as `%26`, `=` as `%3D`.
        for (i, (name, value)) in all.iter().enumerate() {
            if i > 0 {
                out.push_str("%26");
            }
            encode_into(&mut out, name);
            out.push_str("%3D");
            encode_into(&mut out, value);
        }
        out
    }

    fn sign_target(
        &self,
        method: &Method,
        target: &Target,
    ) -> Result<(Vec<(&'static str, String)>, String)> {
        let protocol = self.protocol(&self.nonce_and_time());
        let key = format!(
            "{}&{}",
            encode(self.consumer_secret),
            encode(self.token.map_or("", |(_, secret)| secret))
        );
        let signature = match self.method {
            SignatureMethod::HmacSha1 => {
                let base = self.base(method, target, &protocol);
                let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes())
                    .map_err(|e| AuthError::new(ErrorKind::Unknown, Stage::Setup, e.to_string()))?;
                mac.update(base.as_bytes());
                STANDARD.encode(mac.finalize().into_bytes())
            }
            // Section 3.4.4: the key itself, which only TLS keeps secret.
            SignatureMethod::PlainText => key,
            SignatureMethod::RsaSha1 => {
                let Some(rsa) = self.rsa else {
                    return Err(AuthError::config(
                        "rsa_private_key",
                        "RSA-SHA1 signs with the consumer's RSA private key, and none is set",
                    ));
                };
                rsa.sign(&self.base(method, target, &protocol))
            }
        };
        Ok((protocol, signature))
    }

    /// The `Authorization` header value: `realm` first, then the protocol parameters and the
    /// signature, each value encoded (section 3.5.1).
    fn header(&self, protocol: &[(&'static str, String)], signature: &str) -> String {
        const START: &str = "OAuth ";
        let mut out = String::with_capacity(400);
        out.push_str(START);
        let realm = self.realm.map(|realm| ("realm", realm));
        let protocol = protocol.iter().map(|(name, value)| (*name, value.as_str()));
        for (name, value) in realm
            .into_iter()
            .chain(protocol)
            .chain([("oauth_signature", signature)])
        {
            if out.len() > START.len() {
                out.push_str(", ");
            }
            out.push_str(name);
            out.push_str("=\"");
            encode_into(&mut out, value);
            out.push('"');
        }
        out
    }
}

/// The protocol parameters and the signature as encoded query pairs (section 3.5.3).
fn query_protocol(protocol: &[(&'static str, String)], signature: &str) -> Vec<(String, String)> {
    protocol
        .iter()
        .map(|(k, v)| ((*k).to_owned(), encode(v)))
        .chain([("oauth_signature".to_owned(), encode(signature))])
        .collect()
}

fn with_query(base_uri: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        base_uri.to_owned()
    } else {
        format!("{base_uri}?{}", join(query))
    }
}

/// How a backend signs, read from its spec and settings at start-up
/// ([`Signer::for_backend`]).
#[derive(Debug, Clone)]
pub(crate) struct SigningConfig {
    pub(crate) method: SignatureMethod,
    pub(crate) version: bool,
    pub(crate) realm: Option<String>,
    pub(crate) rsa: Option<RsaKey>,
}

/// Builds a GET, POST, ... request to an API of the provider signed with the backend's
/// consumer credentials and the user's access token (protocol parameters in the header), the
/// way the backend's settings say.
///
/// `params` go in the query of GET, DELETE and HEAD requests and in a form body otherwise.
/// Send it with [`ProviderCx::send`] or [`ProviderCx::json`].
pub fn sign(
    cx: &ProviderCx<'_>,
    method: Method,
    url: &str,
    params: &[(&str, &str)],
    token: &AccessToken,
) -> Result<HttpRequest> {
    Signer::for_backend(cx)?
        .token(token.token(), token.secret())
        .request(method, url, params, Placement::Header)
}

/// GETs a JSON resource of the provider's API with a signed request: 4xx is
/// [`ErrorKind::ProviderRejected`], 5xx [`ErrorKind::ProviderUnavailable`], anything but
/// JSON [`ErrorKind::InvalidResponse`].
pub async fn get_json(cx: &ProviderCx<'_>, url: &str, token: &AccessToken) -> Result<Value> {
    let request = sign(cx, Method::GET, url, &[], token)?;
    cx.json(request, Stage::Profile, "user API").await
}

/// What is signed: the base string URI and the request's parameters, encoded.
struct Target {
    base_uri: String,
    /// The URL's query parameters, then the given ones.
    params: Vec<(String, String)>,
    /// How many of `params` come from the URL's query.
    query_len: usize,
}

impl Target {
    fn new(url: &Url, params: &[(&str, &str)]) -> Result<Self> {
        // Section 3.4.1.2: scheme and host lower-case (the URL parser does that), the port
        // only when it is not the scheme's default (the parser drops default ports), no
        // query and no fragment.
        let host = url.host_str().unwrap_or_default();
        let base_uri = match url.port() {
            Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
            None => format!("{}://{host}{}", url.scheme(), url.path()),
        };
        let query = url.query_pairs();
        let query_len = query.count();
        let given = params
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), Cow::Borrowed(*v)));
        let mut pairs = Vec::with_capacity(query_len + params.len());
        for (name, value) in query.chain(given) {
            if name.starts_with("oauth_") {
                return Err(AuthError::new(
                    ErrorKind::Config,
                    Stage::Setup,
                    format!(
                        "`{name}` is a protocol parameter, which the signer adds itself: remove \
                         it from the request's parameters (send `oauth_version` with \
                         `Signer::oauth_version` or the SEND_OAUTH_VERSION setting)"
                    ),
                ));
            }
            pairs.push((encode(&name), encode(&value)));
        }
        Ok(Self {
            base_uri,
            params: pairs,
            query_len,
        })
    }
}

/// RFC 5849 section 3.6: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX` with upper-case hex.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    encode_into(&mut out, text);
    out
}

/// Appends `text` encoded as [`encode`] does.
fn encode_into(out: &mut String, text: &str) {
    const UNRESERVED: [bool; 256] = social_core::http::kept_bytes(b"-._~");
    social_core::http::percent_encode_into(out, text, &UNRESERVED, false);
}

fn join(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// The `name="value"` pairs of an `OAuth ...` header value, still encoded.
#[cfg(test)]
fn header_params(authorization: &str) -> Vec<(String, String)> {
    authorization
        .strip_prefix("OAuth ")
        .unwrap_or_default()
        .split(',')
        .filter_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            Some((name.to_owned(), value.trim_matches('"').to_owned()))
        })
        .collect()
}

fn parse_url(url: &str) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| bad_url(url, e))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(bad_url(url, "not an absolute http(s) URL"));
    }
    Ok(parsed)
}

fn bad_url(url: &str, problem: impl fmt::Display) -> AuthError {
    AuthError::new(
        ErrorKind::Config,
        Stage::Setup,
        format!("`{url}` cannot be signed: {problem}"),
    )
}

#[cfg(test)]
mod tests {
    //! RFC 5849 exactness. The base strings are checked byte for byte against the RFC's text;
    //! the expected signatures were computed outside this code, with
    //! `printf '%s' "$BASE" | openssl dgst -sha1 -hmac "$KEY" -binary | base64` and with
    //! Python's `hmac` module, which agree.

    use super::*;

    /// The base string the signer signs.
    fn base_string(
        signer: &Signer<'_>,
        method: Method,
        url: &str,
        params: &[(&str, &str)],
    ) -> String {
        signer.base_string(&method, url, params).expect("valid URL")
    }

    fn signature_of(header: &str) -> &str {
        header
            .split_once("oauth_signature=\"")
            .and_then(|(_, rest)| rest.strip_suffix('"'))
            .expect("a signature in the header")
    }

    fn decode(encoded: &str) -> String {
        url::form_urlencoded::parse(format!("s={}", encoded.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .expect("decodes")
    }

    /// Section 3.4.1.1's example, byte for byte. The request is
    ///
    /// ```text
    /// POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b HTTP/1.1
    /// Host: example.com
    /// Content-Type: application/x-www-form-urlencoded
    /// Authorization: OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2",
    ///   oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1",
    ///   oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="..."
    ///
    /// c2&a3=2+q
    /// ```
    ///
    /// `realm` is not signed; `b5`'s value is `=%3D` (not `==`), `c@` and `c2` are empty,
    /// `a3` appears twice and the body's `+` is a space.
    #[test]
    fn rfc_3_4_1_1_base_string() {
        let expected = concat!(
            "POST&http%3A%2F%2Fexample.com%2Frequest&",
            "a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D",
            "%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a",
            "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201",
            "%26oauth_token%3Dkkk9d7dh3k39sjv7",
        );
        let signer = Signer::new("9djdj82h48djs9d2", "unused")
            .token("kkk9d7dh3k39sjv7", "unused")
            .fixed("7d8f3e4a", 137_131_201);
        // The body, form-decoded as section 3.4.1.3.1 says: `c2` and `a3=2+q`.
        let body: Vec<(String, String)> = url::form_urlencoded::parse(b"c2&a3=2+q")
            .into_owned()
            .collect();
        let body: Vec<(&str, &str)> = body.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(body, [("c2", ""), ("a3", "2 q")]);
        let actual = base_string(
            &signer,
            Method::POST,
            "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
            &body,
        );
        for (i, (a, e)) in actual.bytes().zip(expected.bytes()).enumerate() {
            assert_eq!(
                char::from(a),
                char::from(e),
                "byte {i} differs:\n got {actual}\nwant {expected}"
            );
        }
        assert_eq!(
            actual.len(),
            expected.len(),
            "\n got {actual}\nwant {expected}"
        );

        // The RFC gives no secrets for this request, so its printed signature cannot be
        // checked; this one is over the same base string with section 1.2's secrets.
        let signer = Signer::new("9djdj82h48djs9d2", "kd94hf93k423kf44")
            .token("kkk9d7dh3k39sjv7", "pfkkdhi9sl3r4s00")
            .fixed("7d8f3e4a", 137_131_201);
        let header = signer
            .authorization(
                &Method::POST,
                "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
                &body,
            )
            .expect("signs");
        assert_eq!(
            decode(signature_of(&header)),
            "hJiW3ib/H6oWBhS6iCyReahf7B4="
        );
    }

    /// Section 3.1's example prints `oauth_signature="djosJKDKJSD8743243%2Fjdk33klY%3D"`. It
    /// is a placeholder: no pair of secrets is given and no HMAC-SHA1 over that request is
    /// known to produce it. Do not change the signer to match it; the section 1.2 examples
    /// below do reproduce, and so do independent tools.
    #[test]
    fn rfc_1_2_temporary_credentials() {
        let signer = Signer::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
            .callback("http://printer.example.com/ready")
            .fixed("wIjqoS", 137_131_200);
        assert_eq!(
            base_string(
                &signer,
                Method::POST,
                "https://photos.example.net/initiate",
                &[]
            ),
            concat!(
                "POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A",
                "%252F%252Fprinter.example.com%252Fready%26oauth_consumer_key%3Ddpf43f3p2l4k3l03",
                "%26oauth_nonce%3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1",
                "%26oauth_timestamp%3D137131200",
            )
        );
        let header = signer
            .authorization(&Method::POST, "https://photos.example.net/initiate", &[])
            .expect("signs");
        assert_eq!(
            decode(signature_of(&header)),
            "74KNZJeDHnMBp0EMJ9ZHt/XKycU="
        );
        assert!(header.contains(r#"oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready""#));
    }

    #[test]
    fn rfc_1_2_token_credentials() {
        let signer = Signer::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
            .token("hh5s93j4hdidpola", "hdhd0244k9j7ao03")
            .verifier("hfdp7dh39dks9884")
            .fixed("walatlh", 137_131_201);
        let header = signer
            .authorization(&Method::POST, "https://photos.example.net/token", &[])
            .expect("signs");
        assert_eq!(
            decode(signature_of(&header)),
            "gKgrFCywp7rO0OXSjdot/IHF7IU="
        );
        assert!(header.contains(r#"oauth_verifier="hfdp7dh39dks9884""#));
    }

    #[test]
    fn rfc_1_2_resource_request_with_query() {
        let signer = Signer::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
            .token("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00")
            .fixed("chapoH", 137_131_202);
        let url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
        assert_eq!(
            base_string(&signer, Method::GET, url, &[]),
            concat!(
                "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg",
                "%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH",
                "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202",
                "%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal",
            )
        );
        // The same parameters passed separately sign the same.
        let request = signer
            .request(
                Method::GET,
                "http://photos.example.net/photos",
                &[("size", "original"), ("file", "vacation.jpg")],
                Placement::Header,
            )
            .expect("signs");
        let header = request.headers()[header::AUTHORIZATION]
            .to_str()
            .expect("ascii");
        assert_eq!(decode(signature_of(header)), "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
        assert_eq!(
            request.uri().to_string(),
            "http://photos.example.net/photos?size=original&file=vacation.jpg"
        );
    }

    #[test]
    fn base_string_uri_is_normalized() {
        // Section 3.4.1.2's examples, plus a non-default port kept.
        let signer = Signer::new("k", "s").fixed("n", 1);
        let base = base_string(
            &signer,
            Method::GET,
            "HTTP://EXAMPLE.COM:80/r%20v/X?id=123",
            &[],
        );
        assert!(
            base.starts_with("GET&http%3A%2F%2Fexample.com%2Fr%2520v%2FX&id%3D123%26"),
            "{base}"
        );
        let base = base_string(
            &signer,
            Method::GET,
            "https://www.example.net:8080/?q=1",
            &[],
        );
        assert!(
            base.starts_with("GET&https%3A%2F%2Fwww.example.net%3A8080%2F&"),
            "{base}"
        );
        let base = base_string(&signer, Method::GET, "https://api.example.com:443/x", &[]);
        assert!(
            base.starts_with("GET&https%3A%2F%2Fapi.example.com%2Fx&"),
            "{base}"
        );
    }

    #[test]
    fn parameters_sort_after_encoding() {
        // `/` encodes to `%2F`, which sorts before `.`; raw, `.` sorts first.
        let signer = Signer::new("k", "s").fixed("n", 1);
        let base = base_string(
            &signer,
            Method::POST,
            "https://x.test/p",
            &[("a", "."), ("a", "/")],
        );
        assert!(base.contains("a%3D%252F%26a%3D."), "{base}");
        // Non-ASCII is encoded as UTF-8 bytes, spaces as %20 (never `+`).
        let base = base_string(&signer, Method::POST, "https://x.test/p", &[("q", "é ~*")]);
        assert!(base.contains("q%3D%25C3%25A9%2520~%252A"), "{base}");
    }

    #[test]
    fn nonce_and_timestamp_are_fresh() {
        let signer = Signer::new("k", "s").token("t", "ts");
        let params = |h: &str| -> Vec<(String, String)> { header_params(h) };
        let first = signer
            .authorization(&Method::GET, "https://x.test/", &[])
            .expect("signs");
        let second = signer
            .authorization(&Method::GET, "https://x.test/", &[])
            .expect("signs");
        let get = |h: &str, k: &str| {
            params(h)
                .into_iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v)
                .expect("present")
        };
        assert_ne!(get(&first, "oauth_nonce"), get(&second, "oauth_nonce"));
        assert!(get(&first, "oauth_nonce").len() >= 8, "nonce has entropy");
        assert_ne!(
            get(&first, "oauth_signature"),
            get(&second, "oauth_signature")
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let ts: u64 = get(&first, "oauth_timestamp").parse().expect("a number");
        assert!(ts.abs_diff(now) <= 5, "timestamp is now: {ts} vs {now}");
    }

    #[test]
    fn query_placement_and_form_bodies() {
        let signer = Signer::new("k", "s").token("t", "ts").fixed("n", 1);
        let get = signer
            .request(
                Method::GET,
                "https://x.test/a?b=1",
                &[("c", "x y")],
                Placement::Query,
            )
            .expect("signs");
        assert!(get.headers().get(header::AUTHORIZATION).is_none());
        let uri = get.uri().to_string();
        assert!(
            uri.starts_with("https://x.test/a?b=1&c=x%20y&oauth_consumer_key=k&"),
            "{uri}"
        );
        assert!(uri.contains("&oauth_signature="), "{uri}");
        let post = signer
            .request(
                Method::POST,
                "https://x.test/a",
                &[("c", "x y")],
                Placement::Header,
            )
            .expect("signs");
        assert_eq!(post.body(), b"c=x%20y");
        assert_eq!(
            post.headers()[header::CONTENT_TYPE],
            "application/x-www-form-urlencoded"
        );
        // The query form and the header form carry the same signature.
        let header_form = signer
            .request(
                Method::GET,
                "https://x.test/a?b=1",
                &[("c", "x y")],
                Placement::Header,
            )
            .expect("signs");
        let signature = signature_of(
            header_form.headers()[header::AUTHORIZATION]
                .to_str()
                .expect("ascii"),
        )
        .to_owned();
        assert!(
            uri.ends_with(&format!("oauth_signature={signature}")),
            "{uri}"
        );
    }

    #[test]
    fn refuses_protocol_parameters_and_bad_urls() {
        let signer = Signer::new("k", "s");
        let err = signer
            .authorization(&Method::GET, "https://x.test/?oauth_token=x", &[])
            .expect_err("reserved");
        assert!(err.details().contains("oauth_token"), "{err}");
        assert_eq!(
            err.kind(),
            ErrorKind::Config,
            "a usage error, not an unknown one"
        );
        let err = signer
            .authorization(&Method::GET, "ftp://x.test/", &[])
            .expect_err("not http");
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.details().contains("ftp://x.test/"), "{err}");
    }

    #[test]
    fn encodes_per_section_3_6() {
        assert_eq!(encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(encode("An encoded string!"), "An%20encoded%20string%21");
        assert_eq!(encode("Dogs, Cats & Mice"), "Dogs%2C%20Cats%20%26%20Mice");
        assert_eq!(encode("☃"), "%E2%98%83");
        assert_eq!(encode("-._~AZaz09"), "-._~AZaz09");
        assert_eq!(encode("a☃b c~é"), "a%E2%98%83b%20c~%C3%A9");
        assert_eq!(encode("☃☃"), "%E2%98%83%E2%98%83");
        assert_eq!(encode(""), "");
    }

    // The vectors below were computed with Python's `hmac` and `urllib.parse.quote` from the
    // RFC's rules, not with this code.

    #[test]
    fn oauth_version_is_sent_and_signed_when_asked() {
        let signer = Signer::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44")
            .token("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00")
            .oauth_version(true)
            .fixed("chapoH", 137_131_202);
        let url = "http://photos.example.net/photos?file=vacation.jpg&size=original";
        assert_eq!(
            base_string(&signer, Method::GET, url, &[]),
            concat!(
                "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg",
                "%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH",
                "%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202",
                "%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal",
            )
        );
        let header = signer.authorization(&Method::GET, url, &[]).expect("signs");
        assert_eq!(
            decode(signature_of(&header)),
            "1IAE9RzK+DqSqVTdQ/0zWANXVzs="
        );
        assert!(header.contains(r#"oauth_version="1.0""#), "{header}");
    }

    #[test]
    fn realm_goes_in_the_header_but_not_in_the_signature() {
        let plain = Signer::new("k", "s").token("t", "ts").fixed("n", 1);
        let with_realm = plain.clone().realm("Example Photos");
        let url = "https://x.test/p";
        assert_eq!(
            base_string(&plain, Method::GET, url, &[]),
            base_string(&with_realm, Method::GET, url, &[])
        );
        let header = with_realm
            .authorization(&Method::GET, url, &[])
            .expect("signs");
        assert!(
            header.starts_with(r#"OAuth realm="Example%20Photos", "#),
            "{header}"
        );
        assert_eq!(
            signature_of(&header),
            signature_of(&plain.authorization(&Method::GET, url, &[]).expect("signs"))
        );
    }

    #[test]
    fn plaintext_signs_with_the_encoded_secrets() {
        let signer = Signer::new("k", "cs&1")
            .token("t", "ts 2")
            .signature_method(SignatureMethod::PlainText)
            .fixed("n", 1);
        let header = signer
            .authorization(&Method::POST, "https://x.test/token", &[])
            .expect("signs");
        // Section 3.4.4: encode(secret) & encode(token secret), then encoded once more in
        // the header.
        assert_eq!(decode(signature_of(&header)), "cs%261&ts%202");
        assert!(header.contains(r#"oauth_signature_method="PLAINTEXT""#));
        let no_token = Signer::new("k", "cs")
            .signature_method(SignatureMethod::PlainText)
            .authorization(&Method::POST, "https://x.test/initiate", &[])
            .expect("signs");
        assert_eq!(decode(signature_of(&no_token)), "cs&");
    }

    #[test]
    fn rsa_sha1_signs_the_base_string_with_the_private_key() {
        use rsa::{
            pkcs1v15::{Signature, VerifyingKey},
            pkcs8::{EncodePrivateKey as _, LineEnding},
            signature::Verifier as _,
        };
        let private = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).expect("a key");
        let pem = private.to_pkcs8_pem(LineEnding::LF).expect("PEM");
        let key = RsaKey::from_pem(&pem).expect("reads PKCS#8");
        assert_eq!(format!("{key:?}"), "RsaKey([redacted])");
        let signer = Signer::new("dpf43f3p2l4k3l03", "")
            .signature_method(SignatureMethod::RsaSha1)
            .rsa_key(&key)
            .fixed("13917289812797014437", 1_196_666_512);
        let url = "http://photos.example.net/photos?file=vacaction.jpg&size=original";
        let base = base_string(&signer, Method::GET, url, &[]);
        assert!(base.contains("oauth_signature_method%3DRSA-SHA1"), "{base}");
        let header = signer.authorization(&Method::GET, url, &[]).expect("signs");
        let signature = STANDARD
            .decode(decode(signature_of(&header)))
            .expect("base64");
        let verifying = VerifyingKey::<sha1::Sha1>::new(private.to_public_key());
        let signature = Signature::try_from(signature.as_slice()).expect("a signature");
        verifying
            .verify(base.as_bytes(), &signature)
            .expect("verifies over the RFC base string with the public key");
        // Without a key, RSA-SHA1 cannot sign: a configuration error naming the setting.
        let err = Signer::new("k", "")
            .signature_method(SignatureMethod::RsaSha1)
            .authorization(&Method::GET, url, &[])
            .expect_err("no key");
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.details().contains("rsa_private_key"), "{err}");
        assert!(RsaKey::from_pem("not a key").is_err());
    }

    #[test]
    fn a_json_body_is_not_signed() {
        let signer = Signer::new("k", "s").token("t", "ts").fixed("n", 1);
        let request = signer
            .request_with_body(
                Method::POST,
                "https://api.example.com/v1/items?q=1",
                "application/json",
                br#"{"name":"x"}"#.to_vec(),
                Placement::Header,
            )
            .expect("signs");
        let header = request.headers()[header::AUTHORIZATION]
            .to_str()
            .expect("ascii");
        assert_eq!(decode(signature_of(header)), "8ybEYTeZg09uhf9bNVRSPPdR8fY=");
        assert_eq!(request.body(), br#"{"name":"x"}"#);
        assert_eq!(request.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            request.uri().to_string(),
            "https://api.example.com/v1/items?q=1"
        );
    }

    #[test]
    fn debug_shows_the_setup_and_never_a_secret() {
        let signer = Signer::new("made-up-key", "made-up-consumer-secret")
            .token("made-up-token", "made-up-token-secret");
        let debug = format!("{signer:?}");
        assert!(debug.starts_with("Signer {"), "{debug}");
        assert!(debug.contains("made-up-key"), "{debug}");
        for secret in [
            "made-up-consumer-secret",
            "made-up-token-secret",
            "made-up-token\"",
        ] {
            assert!(!debug.contains(secret), "{debug} shows {secret}");
        }
    }
}
