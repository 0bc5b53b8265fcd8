//! Discovery (§7): identifier normalization, Yadis with XRDS documents, and the HTML
//! `<link rel="openid2.provider">` fallback.

use std::net::{Ipv4Addr, Ipv6Addr};

use http::header;
use roxmltree::{Document, Node, ParsingOptions};
use serde::{Deserialize, Serialize};
use url::{Host, Url};

use super::message::{SERVER_TYPE, SIGNON_TYPE, excerpt};
use social_core::{
    backend::ProviderCx,
    error::{AuthError, ErrorKind, Result, Stage},
    http::HttpResponse,
};

const XRDS_NS: &str = "xri://$xrds";
const XRD_NS: &str = "xri://$xrd*($v*2.0)";
const XRDS_CONTENT_TYPE: &str = "application/xrds+xml";
const ACCEPT: &str = "application/xrds+xml, text/html;q=0.9, application/xhtml+xml;q=0.9";
/// Redirects followed while fetching an identifier (§7.2 asks to follow them).
const MAX_REDIRECTS: usize = 5;
/// Discovery documents are a few kilobytes; anything much bigger is not one.
const MAX_DOCUMENT: usize = 512 * 1024;

/// Where to send the user, as discovery found it (§7.3.1 "discovered information").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Endpoint {
    /// The OP endpoint URL.
    pub op_endpoint: String,
    /// The claimed identifier; `None` for an OP identifier, where the user picks one at the OP.
    pub claimed_id: Option<String>,
    /// The OP-local identifier when the claimed identifier delegates to another one.
    pub local_id: Option<String>,
}

impl Endpoint {
    /// The `openid.claimed_id` and `openid.identity` of the authentication request.
    pub(crate) fn request_ids(&self) -> (String, String) {
        match &self.claimed_id {
            Some(claimed) => (
                claimed.clone(),
                self.local_id.clone().unwrap_or_else(|| claimed.clone()),
            ),
            None => (
                super::message::IDENTIFIER_SELECT.to_owned(),
                super::message::IDENTIFIER_SELECT.to_owned(),
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Server,
    Signon,
}

/// One OP endpoint of one service, in the order the document prefers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Service {
    kind: Kind,
    op_endpoint: String,
    local_id: Option<String>,
}

/// The result of discovery on one identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Discovered {
    /// The identifier after redirects, without fragment: the claimed identifier.
    claimed_id: String,
    services: Vec<Service>,
}

impl Discovered {
    /// The endpoint to use for a login: an OP identifier service first (§7.3.2.2), else the
    /// best claimed-identifier service.
    pub(crate) fn preferred(&self) -> Option<Endpoint> {
        let pick = |kind| self.services.iter().find(|s| s.kind == kind);
        if let Some(server) = pick(Kind::Server) {
            return Some(Endpoint {
                op_endpoint: server.op_endpoint.clone(),
                claimed_id: None,
                local_id: None,
            });
        }
        pick(Kind::Signon).map(|s| Endpoint {
            op_endpoint: s.op_endpoint.clone(),
            claimed_id: Some(self.claimed_id.clone()),
            local_id: s.local_id.clone(),
        })
    }

    /// Whether this claimed identifier names `op_endpoint` as its OP for `identity` (§11.2).
    pub(crate) fn authorizes(&self, claimed_id: &str, op_endpoint: &str, identity: &str) -> bool {
        same_url(&self.claimed_id, claimed_id)
            && self.services.iter().any(|s| {
                s.kind == Kind::Signon
                    && same_url(&s.op_endpoint, op_endpoint)
                    && same_url(s.local_id.as_deref().unwrap_or(&self.claimed_id), identity)
            })
    }
}

/// Whether two URLs are the same once normalized (scheme and host case, default port).
pub(crate) fn same_url(a: &str, b: &str) -> bool {
    match (Url::parse(a), Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A URL without its fragment, normalized; `None` when it is not an http(s) URL.
pub(crate) fn without_fragment(url: &str) -> Option<String> {
    let mut url = Url::parse(url).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    Some(url.into())
}

/// Normalizes what a user typed into an identifier URL (§7.2): `http://` is added when no
/// scheme is given and the fragment is dropped. XRIs and schemes other than http(s) are
/// refused, and so are URLs with credentials in them.
pub fn normalize_identifier(input: &str) -> std::result::Result<Url, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err("is empty".into());
    }
    if text.len() > 2048 {
        return Err("is longer than 2048 characters".into());
    }
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("xri://") || text.starts_with(['=', '@', '+', '$', '!', '(']) {
        return Err("is an XRI; only URL identifiers are supported".into());
    }
    let with_scheme = if lower.starts_with("http://") || lower.starts_with("https://") {
        text.to_owned()
    } else if let Some(scheme) = foreign_scheme(text) {
        return Err(format!(
            "uses the `{scheme}` scheme; only http(s) is accepted"
        ));
    } else {
        format!("http://{text}")
    };
    let mut url = Url::parse(&with_scheme).map_err(|e| format!("is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("is not an http(s) URL with a host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain a user name or password".into());
    }
    url.set_fragment(None);
    Ok(url)
}

/// The scheme of `text` when it starts with one (`javascript:`, `ftp://`); `host:port` is not
/// taken for a scheme.
fn foreign_scheme(text: &str) -> Option<&str> {
    let (scheme, rest) = text.split_once(':')?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let looks_like_port = rest.starts_with(|c: char| c.is_ascii_digit());
    (valid && !looks_like_port).then_some(scheme)
}

/// Whether `url` names this machine or a private network by a literal address or `localhost`.
///
/// Names that resolve to such addresses are not caught: that needs a resolver hook in the
/// HTTP client.
pub fn is_local_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => {
            let domain = domain.trim_end_matches('.').to_ascii_lowercase();
            domain == "localhost" || domain.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => local_v4(ip),
        Some(Host::Ipv6(ip)) => local_v6(ip),
        None => true,
    }
}

fn local_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        // 100.64.0.0/10, carrier-grade NAT: private in practice.
        || (a == 100 && (64..128).contains(&b))
}

fn local_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return local_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (first & 0xffc0) == 0xfe80 // link local, fe80::/10
}

fn discovery_error(stage: Stage, details: impl Into<String>) -> AuthError {
    AuthError::new(ErrorKind::Failed, stage, details)
}

/// Runs discovery on a normalized identifier.
///
/// `allow_local` lets it reach loopback and private addresses: wanted when the identifier
/// comes from settings, refused when a user typed it.
pub(crate) async fn discover(
    cx: &ProviderCx<'_>,
    identifier: &Url,
    allow_local: bool,
    stage: Stage,
) -> Result<Discovered> {
    let (final_url, response) = fetch(cx, identifier.clone(), allow_local, stage).await?;
    let mut claimed = final_url.clone();
    claimed.set_fragment(None);
    let claimed_id: String = claimed.into();
    let content_type = header_text(&response, header::CONTENT_TYPE.as_str()).to_ascii_lowercase();
    let body = document(&response, stage)?;
    let services = if content_type.starts_with(XRDS_CONTENT_TYPE) {
        parse_xrds(&body).map_err(|e| {
            discovery_error(stage, format!("the XRDS of `{claimed_id}` is invalid: {e}"))
        })?
    } else {
        let is_html = content_type.is_empty()
            || content_type.starts_with("text/html")
            || content_type.starts_with("application/xhtml+xml");
        let head = if is_html {
            parse_head(&body)
        } else {
            Head::default()
        };
        let location = Some(header_text(&response, "x-xrds-location"))
            .filter(|l| !l.is_empty())
            .or(head.xrds_location.clone());
        let mut services = Vec::new();
        if let Some(location) = location.and_then(|l| final_url.join(l.trim()).ok()) {
            // A broken Yadis pointer is common on old sites: fall back to the HTML links.
            match yadis(cx, location, allow_local, stage).await {
                Ok(found) => services = found,
                Err(e) => tracing::debug!(error = %e, "Yadis document unusable, trying HTML"),
            }
        }
        if services.is_empty() {
            services = head.services(&final_url);
        }
        services
    };
    if services.is_empty() {
        return Err(discovery_error(
            stage,
            format!("no OpenID 2.0 service found at `{claimed_id}`"),
        ));
    }
    Ok(Discovered {
        claimed_id,
        services,
    })
}

async fn yadis(
    cx: &ProviderCx<'_>,
    location: Url,
    allow_local: bool,
    stage: Stage,
) -> Result<Vec<Service>> {
    let (url, response) = fetch(cx, location, allow_local, stage).await?;
    let body = document(&response, stage)?;
    parse_xrds(&body)
        .map_err(|e| discovery_error(stage, format!("the XRDS at `{url}` is invalid: {e}")))
}

fn header_text(response: &HttpResponse, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn document(response: &HttpResponse, stage: Stage) -> Result<String> {
    let body = response.body();
    if body.len() > MAX_DOCUMENT {
        return Err(discovery_error(
            stage,
            "the discovery document is too large",
        ));
    }
    Ok(String::from_utf8_lossy(body).into_owned())
}

/// Checks that the RP may contact `url`: http(s), and not local unless `allow_local`.
pub(crate) fn check_target(url: &Url, allow_local: bool, stage: Stage) -> Result<()> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(discovery_error(
            stage,
            format!("refusing `{}`: not http(s)", excerpt(url.as_str())),
        ));
    }
    if !allow_local && is_local_host(url) {
        return Err(discovery_error(
            stage,
            format!(
                "refusing `{}`: a local or private address",
                url.host_str().unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// GETs `url`, following redirects, and returns the final URL with its answer.
async fn fetch(
    cx: &ProviderCx<'_>,
    mut url: Url,
    allow_local: bool,
    stage: Stage,
) -> Result<(Url, HttpResponse)> {
    for _ in 0..=MAX_REDIRECTS {
        check_target(&url, allow_local, stage)?;
        let request = http::Request::get(url.as_str())
            .header(header::ACCEPT, ACCEPT)
            .body(Vec::new())
            .map_err(|e| discovery_error(stage, format!("`{url}`: {e}")))?;
        let response = cx.send(request, stage, "OpenID discovery").await?;
        if response.status().is_redirection() {
            let location = header_text(&response, header::LOCATION.as_str());
            url = url.join(&location).map_err(|e| {
                discovery_error(stage, format!("`{url}` redirects to a bad location: {e}"))
            })?;
            continue;
        }
        social_core::http::check_status(&response, stage, "OpenID discovery", ErrorKind::Failed)
            .map_err(|e| e.with_provider(cx.name))?;
        return Ok((url, response));
    }
    Err(discovery_error(
        stage,
        format!("more than {MAX_REDIRECTS} redirects from the identifier"),
    ))
}

/// Parses the OpenID 2.0 services of the last XRD of an XRDS document, best first.
fn parse_xrds(text: &str) -> std::result::Result<Vec<Service>, String> {
    let options = ParsingOptions {
        nodes_limit: 20_000,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    if !is(root, XRDS_NS, "XRDS") {
        return Err("the root element is not xrds:XRDS".into());
    }
    // Yadis: when XRI resolution chains several XRDs, the last one describes the resource.
    let xrd = root
        .children()
        .rfind(|n| is(*n, XRD_NS, "XRD"))
        .ok_or("no XRD element")?;
    let mut ranked = Vec::new();
    for (index, service) in xrd
        .children()
        .filter(|n| is(*n, XRD_NS, "Service"))
        .enumerate()
    {
        let texts = |name: &str| -> Vec<(Node<'_, '_>, String)> {
            service
                .children()
                .filter(|n| is(*n, XRD_NS, name))
                .map(|n| (n, n.text().unwrap_or_default().trim().to_owned()))
                .collect()
        };
        let types: Vec<String> = texts("Type").into_iter().map(|(_, t)| t).collect();
        let kind = if types.iter().any(|t| t == SERVER_TYPE) {
            Kind::Server
        } else if types.iter().any(|t| t == SIGNON_TYPE) {
            Kind::Signon
        } else {
            continue;
        };
        let local_id = match kind {
            Kind::Signon => texts("LocalID")
                .into_iter()
                .map(|(_, t)| t)
                .find(|t| !t.is_empty()),
            Kind::Server => None,
        };
        for (uri_node, uri) in texts("URI") {
            let Some(op_endpoint) = without_fragment(&uri) else {
                continue;
            };
            ranked.push((
                (priority(service), priority(uri_node), index),
                Service {
                    kind,
                    op_endpoint,
                    local_id: local_id.clone(),
                },
            ));
        }
    }
    ranked.sort_by_key(|(rank, _)| *rank);
    Ok(ranked.into_iter().map(|(_, s)| s).collect())
}

fn is(node: Node<'_, '_>, namespace: &str, name: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == name
        && node.tag_name().namespace() == Some(namespace)
}

/// XRD priority: lower is preferred, none is least preferred.
fn priority(node: Node<'_, '_>) -> u64 {
    node.attribute("priority")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(u64::MAX)
}

/// What the `<head>` of an HTML identifier page says about OpenID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Head {
    provider: Option<String>,
    local_id: Option<String>,
    xrds_location: Option<String>,
}

impl Head {
    fn services(&self, base: &Url) -> Vec<Service> {
        let absolute = |href: &str| base.join(href.trim()).ok().map(String::from);
        let Some(op_endpoint) = self
            .provider
            .as_deref()
            .and_then(absolute)
            .and_then(|u| without_fragment(&u))
        else {
            return Vec::new();
        };
        vec![Service {
            kind: Kind::Signon,
            op_endpoint,
            local_id: self.local_id.as_deref().and_then(absolute),
        }]
    }
}

/// Reads `<link rel="openid2.provider|openid2.local_id">` and `<meta http-equiv=
/// "X-XRDS-Location">` from the head of an HTML page (§7.3.3). It skips comments, scripts
/// and styles and stops at `</head>` or `<body>`; the first of each wins.
fn parse_head(html: &str) -> Head {
    // ASCII lower-casing keeps byte offsets, so positions found in `lower` index `html`.
    let lower = html.to_ascii_lowercase();
    let mut head = Head::default();
    let mut at = 0;
    while let Some(offset) = lower[at..].find('<') {
        let start = at + offset;
        let rest = &lower[start..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            match comment.find("-->") {
                Some(end) => {
                    at = start + 4 + end + 3;
                    continue;
                }
                None => break,
            }
        }
        if rest.starts_with("</head") || starts_tag(rest, "body") {
            break;
        }
        if let Some(raw) = ["script", "style", "template", "noscript"]
            .into_iter()
            .find(|t| starts_tag(rest, t))
        {
            match rest.find(&format!("</{raw}")) {
                Some(end) => {
                    at = start + end + 2;
                    continue;
                }
                None => break,
            }
        }
        let Some(end) = tag_end(&lower, start) else {
            break;
        };
        let tag = &html[start + 1..end];
        let name_len = tag
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(tag.len());
        let name = tag[..name_len].to_ascii_lowercase();
        if name == "link" || name == "meta" {
            let attrs = attributes(&tag[name_len..]);
            let attr = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
            if name == "link" {
                let rels = attr("rel").unwrap_or_default().to_ascii_lowercase();
                if let Some(href) = attr("href") {
                    for rel in rels.split_ascii_whitespace() {
                        let slot = match rel {
                            "openid2.provider" => &mut head.provider,
                            "openid2.local_id" => &mut head.local_id,
                            _ => continue,
                        };
                        if slot.is_none() {
                            *slot = Some(href.to_owned());
                        }
                    }
                }
            } else if attr("http-equiv").is_some_and(|v| v.eq_ignore_ascii_case("x-xrds-location"))
                && head.xrds_location.is_none()
            {
                head.xrds_location = attr("content").map(str::to_owned);
            }
        }
        at = end + 1;
    }
    head
}

/// Whether `rest` starts with the tag `<name` followed by a delimiter.
fn starts_tag(rest: &str, name: &str) -> bool {
    rest.strip_prefix('<')
        .and_then(|r| r.strip_prefix(name))
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/'))
}

/// The index of the `>` closing the tag at `start`, outside quoted attribute values.
fn tag_end(text: &str, start: usize) -> Option<usize> {
    let mut quote = None;
    for (i, b) in text.bytes().enumerate().skip(start + 1) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// The attributes of a tag as (lower-case name, decoded value).
fn attributes(text: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '/');
        if rest.is_empty() {
            break;
        }
        let name_len = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_len].to_ascii_lowercase();
        rest = rest[name_len..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (raw, remaining) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => match after[1..].find(q) {
                    Some(end) => (&after[1..=end], &after[end + 2..]),
                    None => (&after[1..], ""),
                },
                _ => {
                    let end = after
                        .find(|c: char| c.is_ascii_whitespace())
                        .unwrap_or(after.len());
                    (&after[..end], &after[end..])
                }
            };
            value = decode_entities(raw);
            rest = remaining;
        }
        if !name.is_empty() {
            attrs.push((name, value));
        }
    }
    attrs
}

/// Decodes the character references found in attribute values.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|end| *end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name.strip_prefix('#').and_then(|num| {
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => num.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_normalized_and_hostile_ones_refused() {
        let ok = |input: &str| normalize_identifier(input).map(String::from);
        assert_eq!(ok("example.com").as_deref(), Ok("http://example.com/"));
        assert_eq!(
            ok("  HTTPS://Example.COM/user#frag ").as_deref(),
            Ok("https://example.com/user")
        );
        assert_eq!(
            ok("example.com:8080/me").as_deref(),
            Ok("http://example.com:8080/me")
        );
        for bad in [
            "",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,hi",
            "ftp://example.com/",
            "file:///etc/passwd",
            "xri://=joe",
            "=joe",
            "@company",
            "http://user:pw@example.com/",
            "http://",
        ] {
            assert!(
                normalize_identifier(bad).is_err(),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn local_hosts_are_recognized() {
        for local in [
            "http://localhost/",
            "http://LOCALHOST./",
            "http://a.localhost/",
            "http://127.0.0.1:8080/",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            let url = Url::parse(local).expect("test URL parses");
            assert!(is_local_host(&url), "{local} is local");
        }
        for public in [
            "https://steamcommunity.com/",
            "http://8.8.8.8/",
            "http://[2001:db8::1]/",
        ] {
            let url = Url::parse(public).expect("test URL parses");
            assert!(!is_local_host(&url), "{public} is not local");
        }
    }

    const XRDS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)">
  <XRD><Service><Type>http://specs.openid.net/auth/2.0/server</Type>
    <URI>https://ignored.example/first-xrd</URI></Service></XRD>
  <XRD>
    <Service priority="20">
      <Type>http://specs.openid.net/auth/2.0/signon</Type>
      <URI>https://op.example/low</URI>
      <LocalID>https://op.example/u/joe</LocalID>
    </Service>
    <Service priority="10">
      <Type>http://openid.net/signon/1.0</Type>
      <URI>https://op.example/openid1</URI>
    </Service>
    <Service priority="10">
      <Type>http://specs.openid.net/auth/2.0/signon</Type>
      <URI priority="5">https://op.example/second</URI>
      <URI priority="1">https://op.example/first</URI>
      <URI>javascript:alert(1)</URI>
    </Service>
  </XRD>
</xrds:XRDS>"#;

    #[test]
    fn xrds_services_come_from_the_last_xrd_by_priority() {
        let services = parse_xrds(XRDS).expect("valid XRDS");
        let uris: Vec<&str> = services.iter().map(|s| s.op_endpoint.as_str()).collect();
        assert_eq!(
            uris,
            [
                "https://op.example/first",
                "https://op.example/second",
                "https://op.example/low"
            ]
        );
        assert_eq!(
            services[2].local_id.as_deref(),
            Some("https://op.example/u/joe")
        );
        let discovered = Discovered {
            claimed_id: "https://joe.example/".into(),
            services,
        };
        assert_eq!(
            discovered.preferred(),
            Some(Endpoint {
                op_endpoint: "https://op.example/first".into(),
                claimed_id: Some("https://joe.example/".into()),
                local_id: None,
            })
        );
        assert!(discovered.authorizes(
            "https://joe.example/",
            "https://op.example/low",
            "https://op.example/u/joe"
        ));
        assert!(!discovered.authorizes(
            "https://joe.example/",
            "https://op.example/low",
            "https://joe.example/"
        ));
        assert!(!discovered.authorizes(
            "https://joe.example/",
            "https://evil.example/",
            "https://joe.example/"
        ));
        assert!(!discovered.authorizes(
            "https://other.example/",
            "https://op.example/first",
            "https://other.example/"
        ));
    }

    #[test]
    fn op_identifier_services_win_and_bad_documents_are_refused() {
        let xrds = r#"<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD>
            <Service priority="0"><Type>http://specs.openid.net/auth/2.0/signon</Type>
              <URI>https://op.example/signon</URI></Service>
            <Service priority="9"><Type>http://specs.openid.net/auth/2.0/server</Type>
              <URI>https://op.example/server</URI></Service></XRD></xrds:XRDS>"#;
        let discovered = Discovered {
            claimed_id: "https://op.example/".into(),
            services: parse_xrds(xrds).expect("valid"),
        };
        let endpoint = discovered.preferred().expect("an endpoint");
        assert_eq!(endpoint.op_endpoint, "https://op.example/server");
        assert_eq!(endpoint.claimed_id, None);
        assert!(parse_xrds("<html/>").is_err());
        assert!(parse_xrds("<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x/>").is_err());
        assert!(parse_xrds(r#"<XRDS xmlns="xri://$xrds"/>"#).is_err());
    }

    #[test]
    fn html_links_are_read_from_the_head_only() {
        let html = r#"<!DOCTYPE html><HTML><HEAD>
            <!-- <link rel="openid2.provider" href="https://commented.example/"> -->
            <script>var s = '<link rel="openid2.provider" href="https://script.example/">';</script>
            <meta http-equiv="X-XRDS-Location" content="https://joe.example/xrds">
            <LINK REL="openid.server openid2.provider" HREF='https://op.example/auth?a=1&amp;b=2'>
            <link href=/me rel=openid2.local_id />
            <link rel="openid2.provider" href="https://second.example/">
            </head><body><link rel="openid2.local_id" href="https://body.example/"></body></HTML>"#;
        let head = parse_head(html);
        assert_eq!(
            head,
            Head {
                provider: Some("https://op.example/auth?a=1&b=2".into()),
                local_id: Some("/me".into()),
                xrds_location: Some("https://joe.example/xrds".into()),
            }
        );
        let base = Url::parse("https://joe.example/page").expect("valid");
        let services = head.services(&base);
        assert_eq!(
            services[0].local_id.as_deref(),
            Some("https://joe.example/me")
        );
        assert_eq!(
            parse_head("<head><link rel=openid2.provider").provider,
            None
        );
        assert_eq!(decode_entities("a&#x26;b&#38;c&bogus;d&"), "a&b&c&bogus;d&");
    }
}

#[cfg(test)]
mod fuzzing {
    //! Bounded fuzzing of what an identifier's host sends: XRDS documents, HTML heads and
    //! key-value answers (see `social_testkit::fuzz`).

    use social_testkit::fuzz;

    use super::{parse_head, parse_xrds};
    use crate::message::parse_kv;

    const XRDS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<xrds:XRDS xmlns:xrds="xri://$xrds" xmlns="xri://$xrd*($v*2.0)"><XRD><Service priority="0">
<Type>http://specs.openid.net/auth/2.0/server</Type><URI>https://op.example/openid</URI>
</Service></XRD></xrds:XRDS>"#;
    const HEAD: &str = r#"<html><head><link rel="openid2.provider" href="https://op.example/">
<link rel="openid2.local_id" href="https://me.example/"><meta http-equiv="X-XRDS-Location" content="https://me.example/xrds"></head></html>"#;
    const PIECES: &[&str] = &[
        "<",
        ">",
        "/",
        "\"",
        "'",
        "=",
        "&amp;",
        "&#",
        ";",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "priority=\"-1\"",
        "<Type>",
        "</Type>",
        "<URI>",
        "</URI>",
        "rel=",
        "href=",
        "\n",
        ":",
        "&#x0;",
        "<!DOCTYPE x [<!ENTITY a \"b\">]>",
    ];

    #[test]
    fn discovery_documents_parse_or_fail_cleanly() {
        fuzz::run("parse_xrds", |rng| {
            let _ = parse_xrds(&rng.mutate(XRDS, PIECES));
        });
        fuzz::run("parse_head", |rng| {
            let _ = parse_head(&rng.mutate(HEAD, PIECES));
        });
    }

    #[test]
    fn key_value_answers_parse_or_fail_cleanly() {
        let kv = "ns:http://specs.openid.net/auth/2.0\nmode:id_res\nassoc_handle:h\n";
        fuzz::run("parse_kv", |rng| {
            let body = if rng.below(2) == 0 {
                rng.bytes(64)
            } else {
                rng.mutate(kv, &[":", "\n", "\r\n", "::", "\u{0}"])
                    .into_bytes()
            };
            if let Ok(fields) = parse_kv(&body) {
                assert!(fields.keys().all(|k| !k.contains('\n')), "{fields:?}");
            }
        });
    }
}
