//! HMAC-SHA1 request signing (RFC 5849 section 3.4) on `oauth1-request`.
//!
//! `oauth1-request` computes the signature incrementally from what a [`Request`] feeds it. We
//! feed it ourselves so that the signature base string is the RFC's to the byte: the base
//! string URI is normalized (section 3.4.1.2), the query of the URL joins the parameters
//! (section 3.4.1.3.1), and names and values are encoded *before* they are sorted (section
//! 3.4.1.3.2), which `oauth1-request`'s own parameter lists do not do.

use std::fmt;

use http::{Method, header};
use oauth1_request::{
    self as oauth,
    serializer::Serializer,
    signature_method::{HmacSha1, SignatureMethod as Method1},
};
use serde_json::Value;
use url::Url;

use social_core::{
    backend::ProviderCx,
    error::{AuthError, ErrorKind, Result, Stage},
    http::HttpRequest,
};

use super::AccessToken;

/// Where the protocol parameters (`oauth_*`, signature included) travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Placement {
    /// The `Authorization: OAuth ...` header (RFC 5849 section 3.5.1), the preferred way.
    Header,
    /// The query string (section 3.5.3), for providers that document only that.
    Query,
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
#[derive(Clone)]
pub struct Signer<'a> {
    consumer_key: &'a str,
    consumer_secret: &'a str,
    token: Option<(&'a str, &'a str)>,
    callback: Option<&'a str>,
    verifier: Option<&'a str>,
    /// A fixed nonce and timestamp, so that tests can reproduce published signatures.
    #[cfg(test)]
    pinned: Option<(&'a str, u64)>,
}

impl fmt::Debug for Signer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("consumer_key", &self.consumer_key)
            .field("token", &self.token.map(|_| "[redacted]"))
            .field("callback", &self.callback)
            .finish_non_exhaustive()
    }
}

impl<'a> Signer<'a> {
    /// A signer with the consumer (client) credentials only.
    pub fn new(consumer_key: &'a str, consumer_secret: &'a str) -> Self {
        Self {
            consumer_key,
            consumer_secret,
            token: None,
            callback: None,
            verifier: None,
            #[cfg(test)]
            pinned: None,
        }
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

    #[cfg(test)]
    pub(crate) fn pin(mut self, nonce: &'a str, timestamp: u64) -> Self {
        self.pinned = Some((nonce, timestamp));
        self
    }

    /// The `Authorization` header value for `method` on `url` (its query included) with the
    /// form or query parameters `params`; nonce and timestamp are fresh on every call.
    pub fn authorization(
        &self,
        method: &Method,
        url: &str,
        params: &[(&str, &str)],
    ) -> Result<String> {
        let target = Target::new(&parse_url(url)?, params)?;
        Ok(self.authorize_with(HmacSha1::new(), method, &target))
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

    pub(crate) fn request_to(
        &self,
        method: Method,
        url: &Url,
        params: &[(&str, &str)],
        placement: Placement,
    ) -> Result<HttpRequest> {
        let in_query = matches!(method, Method::GET | Method::DELETE | Method::HEAD);
        let target = Target::new(url, params)?;
        let authorization = self.authorize_with(HmacSha1::new(), &method, &target);
        let mut query: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (encode(&k), encode(&v)))
            .collect();
        let encoded = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| (encode(k), encode(v))).collect()
        };
        let body = if in_query {
            query.extend(encoded(params));
            None
        } else {
            (!params.is_empty()).then(|| join(&encoded(params)))
        };
        let mut builder = http::Request::builder().method(method);
        match placement {
            Placement::Header => {
                builder = builder.header(header::AUTHORIZATION, authorization);
            }
            Placement::Query => query.extend(header_params(&authorization)),
        }
        let uri = if query.is_empty() {
            target.base_uri.clone()
        } else {
            format!("{}?{}", target.base_uri, join(&query))
        };
        builder = builder.uri(uri);
        if body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        builder
            .body(body.unwrap_or_default().into_bytes())
            .map_err(|e| bad_url(url.as_str(), e))
    }

    fn authorize_with<SM>(&self, method_sm: SM, method: &Method, target: &Target) -> String
    where
        SM: Method1 + Clone,
    {
        let client = oauth::Credentials::new(self.consumer_key, self.consumer_secret);
        let mut builder = oauth::Builder::<_, &str, &str>::new(client, method_sm);
        builder.token(
            self.token
                .map(|(token, secret)| oauth::Credentials::new(token, secret)),
        );
        builder.callback(self.callback);
        builder.verifier(self.verifier);
        #[cfg(test)]
        if let Some((nonce, timestamp)) = self.pinned {
            builder.nonce(nonce);
            builder.timestamp(std::num::NonZeroU64::new(timestamp));
        }
        builder.authorize(
            &method.as_str().to_ascii_uppercase(),
            &target.base_uri,
            &target.params,
        )
    }
}

/// Builds a GET, POST, ... request to an API of the provider signed with the backend's
/// consumer credentials and the user's access token (protocol parameters in the header).
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
    Signer::new(cx.key()?, cx.secret()?)
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

/// What is signed: the base string URI and the normalized parameters.
struct Target {
    base_uri: String,
    params: Normalized,
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
        let given = params.iter().map(|(k, v)| (*k, *v));
        let mut pairs = Vec::with_capacity(params.len());
        for (name, value) in query
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .chain(given.map(|(k, v)| (k.to_owned(), v.to_owned())))
        {
            if name.starts_with("oauth_") {
                return Err(AuthError::new(
                    ErrorKind::Unknown,
                    Stage::Setup,
                    format!("`{name}` is a protocol parameter; it cannot be passed to a request"),
                ));
            }
            pairs.push((encode(&name), encode(&value)));
        }
        // Section 3.4.1.3.2: sort by encoded name, then by encoded value.
        pairs.sort_unstable();
        Ok(Self {
            base_uri,
            params: Normalized(pairs),
        })
    }
}

/// Request parameters, encoded once and sorted, fed to `oauth1-request` in order with the
/// protocol parameters (all named `oauth_*`) in their sorted places.
struct Normalized(Vec<(String, String)>);

/// The protocol parameters in byte order, as `oauth1-request` serializes them.
const PROTOCOL: [&str; 8] = [
    "oauth_callback",
    "oauth_consumer_key",
    "oauth_nonce",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_token",
    "oauth_verifier",
    "oauth_version",
];

fn serialize_protocol<S: Serializer>(serializer: &mut S, index: usize) {
    match index {
        0 => serializer.serialize_oauth_callback(),
        1 => serializer.serialize_oauth_consumer_key(),
        2 => serializer.serialize_oauth_nonce(),
        3 => serializer.serialize_oauth_signature_method(),
        4 => serializer.serialize_oauth_timestamp(),
        5 => serializer.serialize_oauth_token(),
        6 => serializer.serialize_oauth_verifier(),
        _ => serializer.serialize_oauth_version(),
    }
}

impl oauth::Request for Normalized {
    fn serialize<S: Serializer>(&self, mut serializer: S) -> S::Output {
        let mut next = 0;
        for (name, value) in &self.0 {
            while next < PROTOCOL.len() && PROTOCOL[next] < name.as_str() {
                serialize_protocol(&mut serializer, next);
                next += 1;
            }
            // The signer writes names into the base string as they are and encodes values
            // once more: hand it the name encoded twice and the value encoded once, and the
            // base string gets both encoded twice, as section 3.4.1.1 wants.
            serializer.serialize_parameter_encoded(&encode(name), value);
        }
        while next < PROTOCOL.len() {
            serialize_protocol(&mut serializer, next);
            next += 1;
        }
        serializer.end()
    }
}

/// RFC 5849 section 3.6: every byte but `A-Z a-z 0-9 - . _ ~` as `%XX` with upper-case hex.
pub(crate) fn encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    out
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

    use std::fmt::{Display, Write as _};

    use oauth1_request::signature_method::Sign;

    use super::*;

    /// A "signature method" whose signature is the base string it was fed.
    #[derive(Clone, Copy)]
    struct BaseString;

    struct BaseStringSign(String);

    impl Method1 for BaseString {
        type Sign = BaseStringSign;
        fn sign_with(self, _: &str, _: Option<&str>) -> BaseStringSign {
            BaseStringSign(String::new())
        }
    }

    impl Sign for BaseStringSign {
        type Signature = String;
        fn get_signature_method_name(&self) -> &'static str {
            "HMAC-SHA1"
        }
        fn request_method(&mut self, method: &str) {
            self.0.push_str(method);
            self.0.push('&');
        }
        fn uri<T: Display>(&mut self, uri: T) {
            let _ = write!(self.0, "{uri}&");
        }
        fn parameter<V: Display>(&mut self, key: &str, value: V) {
            let _ = write!(self.0, "{key}%3D{value}");
        }
        fn delimiter(&mut self) {
            self.0.push_str("%26");
        }
        fn end(self) -> String {
            self.0
        }
    }

    /// The base string the signer signs, through the very code that feeds HMAC-SHA1.
    fn base_string(
        signer: &Signer<'_>,
        method: Method,
        url: &str,
        params: &[(&str, &str)],
    ) -> String {
        let target = Target::new(&parse_url(url).expect("valid URL"), params).expect("params");
        let header = signer.authorize_with(BaseString, &method, &target);
        signature_of(&header).to_owned()
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
            .pin("7d8f3e4a", 137_131_201);
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
            .pin("7d8f3e4a", 137_131_201);
        let target = Target::new(
            &parse_url("http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")
                .expect("valid URL"),
            &body,
        )
        .expect("params");
        let header = signer.authorize_with(HmacSha1::new(), &Method::POST, &target);
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
            .pin("wIjqoS", 137_131_200);
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
            .pin("walatlh", 137_131_201);
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
            .pin("chapoH", 137_131_202);
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
        let signer = Signer::new("k", "s").pin("n", 1);
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
        let signer = Signer::new("k", "s").pin("n", 1);
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
        let signer = Signer::new("k", "s").token("t", "ts").pin("n", 1);
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
    }
}
