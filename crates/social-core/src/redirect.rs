//! Checking where to send the user after login (`next=` and the like).
//!
//! The target comes from the request, so an attacker chooses it: anything that could
//! take the user off-site is refused rather than repaired.

use std::fmt::Display;

use url::{Host, Url};

/// Stand-in host for resolving relative paths; `.invalid` can never be a real host.
const PLACEHOLDER_HOST: &str = "placeholder.invalid";

/// How many layers of percent-encoding a relative path may carry. Something down the
/// line might decode again, so each layer is checked; deeper nesting is refused outright.
const MAX_DECODE_ROUNDS: usize = 4;

/// Returns the redirect target if it is safe to send the user to, cleaned; `None` otherwise.
///
/// Two shapes pass:
/// - a path on this site (`/account?tab=1#top`), returned unchanged;
/// - an absolute `http`/`https` URL of the same origin as `this_origin` (scheme, host and
///   port: `https://example.com` does not allow `http://example.com` nor
///   `https://example.com:8443`), or of an origin `allowed_hosts` names, returned as the
///   `url` crate serializes it (punycode host, default port dropped, unsafe characters
///   percent-encoded), so the browser gets exactly what was checked.
///
/// `this_origin` is the site's own origin, such as `https://example.com` (from
/// `REDIRECT_IS_HTTPS` and the request, or the configured public URL). `allowed_hosts`
/// entries are exact: `https://host[:port]` allows that origin; a bare `host` or `host:port`
/// (`[ipv6]` too) allows that host with this site's scheme (https when it is unknown) and the
/// given port, else that scheme's default port. Hosts compare case-insensitively in punycode
/// form. A target whose host ends with a dot is refused: to a browser it is another origin.
/// Entries that do not parse match nothing.
pub fn sanitize_redirect(
    target: &str,
    this_origin: Option<&str>,
    allowed_hosts: &[String],
) -> Option<String> {
    if read_differently_by_browsers(target) {
        return None;
    }
    if target.starts_with('/') {
        return is_safe_path(target).then(|| target.to_owned());
    }
    let url = parse_absolute(target)?;
    let host = url.host()?.to_string();
    if host.ends_with('.') {
        return None;
    }
    let wanted = Origin {
        scheme: url.scheme().to_owned(),
        host,
        port: url.port_or_known_default()?,
    };
    let site = this_origin.and_then(Origin::parse);
    let scheme = site
        .as_ref()
        .map_or("https", |s| s.scheme.as_str())
        .to_owned();
    site.into_iter()
        .chain(
            allowed_hosts
                .iter()
                .filter_map(|entry| Origin::allowed(entry, &scheme)),
        )
        .any(|origin| origin == wanted)
        .then(|| url.into())
}

/// Whether a browser could follow something other than what we check: browsers drop
/// surrounding whitespace and tabs and newlines inside URLs, and read `\` as `/`. No honest
/// link needs them, and an empty target names nothing.
fn read_differently_by_browsers(target: &str) -> bool {
    target.is_empty()
        || target.starts_with(char::is_whitespace)
        || target.ends_with(char::is_whitespace)
        || target.contains(|c: char| c.is_control() || c == '\\')
}

/// Whether a target starting with `/` stays on this site, however often it gets decoded.
fn is_safe_path(target: &str) -> bool {
    // Query and fragment cannot change the host, and may legitimately hold `//`.
    let end = target.find(['?', '#']).unwrap_or(target.len());
    let mut layer = target[..end].to_owned();
    for _ in 0..MAX_DECODE_ROUNDS {
        if !path_stays_on_site(&layer) {
            return false;
        }
        let decoded = percent_decode(&layer);
        if decoded == layer {
            return true;
        }
        layer = decoded;
    }
    false
}

/// Whether one decoding layer of a path keeps the browser on the current host.
///
/// Two layers, each enough for the tricks it names and tested on its own: the path as
/// written, then the path as a browser resolves it.
fn path_stays_on_site(path: &str) -> bool {
    is_plain_path(path) && resolves_on_site(path)
}

/// Whether `path` is, as written, a path of this site: it starts with one `/` (`//host` and
/// `/\host` are scheme-relative URLs to a browser) and holds no control character.
fn is_plain_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.contains(char::is_control)
}

/// Whether `path` still names this site once a browser resolved it: dot segments turn
/// `/..//evil.com` into `//evil.com`, which a later redirect would send off-site.
fn resolves_on_site(path: &str) -> bool {
    Url::parse(&format!("http://{PLACEHOLDER_HOST}{path}")).is_ok_and(|resolved| {
        resolved.host_str() == Some(PLACEHOLDER_HOST) && !resolved.path().starts_with("//")
    })
}

/// Decodes every valid `%XX`; invalid UTF-8 becomes U+FFFD, which is harmless here.
fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = match bytes.get(i..i + 3) {
            Some(&[b'%', hi, lo]) => hex_value(hi).zip(hex_value(lo)),
            _ => None,
        };
        match escaped {
            Some((hi, lo)) => {
                out.push((hi << 4) | lo);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
}

/// Parses an absolute `http`/`https` URL written the ordinary way, without userinfo.
fn parse_absolute(target: &str) -> Option<Url> {
    // Insist on a literal `scheme://`: the parser would also read `https:evil.com` and
    // `http:/evil.com` as links to `evil.com`, and nobody writes honest links that way.
    let rest = strip_prefix_ignore_case(target, "https://")
        .or_else(|| strip_prefix_ignore_case(target, "http://"))?;
    let authority = rest.find(['/', '?', '#']).map_or(rest, |end| &rest[..end]);
    // Userinfo only serves spoofing (`https://example.com@evil.com`), and an empty
    // authority (`https:///evil.com`) is one the parser would quietly repair.
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    // The literal scheme and an authority without `@` leave the parser no room for another
    // scheme or for userinfo.
    Url::parse(target).ok()
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// A host as compared: the parser's lowercase punycode / IP form, minus a trailing dot.
fn canonical_host(host: impl Display) -> String {
    let mut text = host.to_string();
    if text.ends_with('.') {
        text.pop();
    }
    text
}

/// An origin: scheme, host and port (RFC 6454).
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// `https://host[:port]` (a path is ignored), http or https only.
    fn parse(text: &str) -> Option<Self> {
        let url = Url::parse(text).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        Some(Self {
            scheme: url.scheme().to_owned(),
            host: canonical_host(url.host()?),
            port: url.port_or_known_default()?,
        })
    }

    /// An allow-list entry: a whole origin, or a host (and port) taken with `scheme`.
    fn allowed(entry: &str, scheme: &str) -> Option<Self> {
        if entry.contains("://") {
            return Self::parse(entry);
        }
        // A `:` after the last `]` separates a port; one inside brackets is IPv6.
        let (host, port) = match entry.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, Some(port.parse().ok()?)),
            _ => (entry, None),
        };
        let default = if scheme == "http" { 80 } else { 443 };
        Some(Self {
            scheme: scheme.to_owned(),
            host: canonical_host(Host::parse(host).ok()?),
            port: port.unwrap_or(default),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{
        is_plain_path, percent_decode, read_differently_by_browsers, resolves_on_site,
        sanitize_redirect,
    };

    const THIS_ORIGIN: Option<&str> = Some("https://example.com");

    fn check(target: &str) -> Option<String> {
        sanitize_redirect(
            target,
            THIS_ORIGIN,
            &[
                "trusted.example.org".to_string(),
                "http://legacy.example.net:9000".to_string(),
            ],
        )
    }

    /// `(target, expected output)`.
    const GOOD: &[(&str, &str)] = &[
        ("/", "/"),
        ("/profile", "/profile"),
        ("/profile?x=1#f", "/profile?x=1#f"),
        ("/a/b/c/", "/a/b/c/"),
        ("/a//b", "/a//b"),
        ("/./profile", "/./profile"),
        ("/search?q=a%20b", "/search?q=a%20b"),
        ("/x?next=//evil.com", "/x?next=//evil.com"),
        ("/x#//evil.com", "/x#//evil.com"),
        ("/caf%C3%A9", "/caf%C3%A9"),
        ("/café", "/café"),
        ("/%7Euser/", "/%7Euser/"),
        ("/100%", "/100%"),
        ("/path;param=1", "/path;param=1"),
        ("https://example.com/", "https://example.com/"),
        ("https://example.com", "https://example.com/"),
        (
            "https://example.com/done?x=1",
            "https://example.com/done?x=1",
        ),
        ("HTTPS://EXAMPLE.COM/X", "https://example.com/X"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("https://example.com/#frag", "https://example.com/#frag"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        (
            "https://trusted.example.org/after-login",
            "https://trusted.example.org/after-login",
        ),
        (
            "http://legacy.example.net:9000/x",
            "http://legacy.example.net:9000/x",
        ),
        ("https://ｅｘａｍｐｌｅ．ｃｏｍ/", "https://example.com/"),
    ];

    const HOSTILE: &[&str] = &[
        // Not a path and not an absolute URL.
        "",
        ".",
        "..",
        "profile",
        "evil.com",
        "%2F%2Fevil.com",
        "?next=/x",
        "#/x",
        // Scheme-relative, in all spellings.
        "//evil.com",
        "///evil.com",
        "//example.com/",
        "/\\evil.com",
        "/\\\\evil",
        "\\\\evil.com",
        "\\/evil.com",
        "/x\\y",
        // Whitespace and control characters.
        " /x",
        "/x ",
        "\t/x",
        "/x\n",
        "/\0",
        "/a\rb",
        "/\u{7f}",
        "/x\u{85}",
        "/x\u{a0}",
        "\u{3000}/x",
        "\u{feff}/x",
        "https://example.com/\n",
        "https://exa\tmple.com/",
        // Encoded tricks in paths.
        "/%09/evil.com",
        "/%2F%2Fevil.com",
        "/%2fevil.com",
        "/%5Cevil.com",
        "/%5cevil.com",
        "/%252F%252Fevil.com",
        "/%25252F%25252Fevil.com",
        "/%2525252525252F",
        "/%0d%0aSet-Cookie:x=1",
        "/..//evil.com",
        "/.//evil.com",
        "/%2e%2e//evil.com",
        "/%2e/%2fevil.com",
        // Lookalike slashes.
        "\u{2215}\u{2215}evil.com",
        "\u{ff0f}\u{ff0f}evil.com",
        "\u{ff0f}evil.com",
        // Sloppy absolute forms the parser would repair.
        "https:evil.com",
        "https:example.com",
        "http:/evil.com",
        "http:\\\\evil.com",
        "https:///evil.com",
        "https:///example.com",
        "http://",
        "https://",
        // Other schemes.
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\nscript:alert(1)",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://example.com/",
        "ws://example.com/",
        "mailto:a@example.com",
        // Foreign hosts.
        "https://evil.com",
        "https://evil.com/",
        "https://evil.com#@example.com",
        "https://evil.com?@example.com",
        "https://example.com.evil.com/",
        "https://evil.com/example.com",
        "https://evil.com\\example.com",
        "https://examp1e.com/",
        "https://sub.example.com/",
        "https://example.org/",
        "https://example.com../",
        "https://evil.com%2Eexample.com/",
        "https://trusted.example.org.evil.com/",
        "https://evil-trusted.example.org/",
        "https://ｅｘａｍｐｌｅ．ｃｏｍ.evil.com/",
        "https://[::1]/",
        "http://[::1]:8000/",
        "http://127.0.0.1/",
        "http://2130706433/",
        // Same host, another origin: a downgrade to http, another port, a trailing dot.
        "http://example.com/",
        "http://example.com:443/",
        "https://example.com:8443/",
        "https://example.com./x",
        "https://Example.Com./x",
        "http://trusted.example.org/",
        "https://trusted.example.org:8443/",
        "https://trusted.example.org./",
        "https://legacy.example.net:9000/",
        "http://legacy.example.net/",
        // Userinfo.
        "https://example.com@evil.com/",
        "https://example.com:443@evil.com/",
        "https://user:pw@example.com/",
        "https://user@example.com/",
        "https://@example.com/",
        "https://evil.com%2F@example.com",
        "https://example.com\\@evil.com/",
        // Unparsable.
        "https://example.com:99999/",
        "https://exa mple.com/",
    ];

    #[test]
    fn accepts_good_targets() {
        assert!(GOOD.len() >= 15);
        for &(target, expected) in GOOD {
            assert_eq!(
                check(target).as_deref(),
                Some(expected),
                "good target {target:?} was not accepted as {expected:?}"
            );
        }
    }

    #[test]
    fn rejects_hostile_targets() {
        assert!(HOSTILE.len() >= 60);
        for &target in HOSTILE {
            assert_eq!(
                check(target),
                None,
                "hostile target {target:?} was accepted"
            );
        }
    }

    #[test]
    fn an_origin_is_scheme_host_and_port() {
        let allowed = [
            "trusted.example.org".to_string(),
            "api.example.net:8443".to_string(),
            "http://legacy.example.net:9000".to_string(),
        ];
        let check = |target| sanitize_redirect(target, Some("http://127.0.0.1:8000"), &allowed);
        assert_eq!(
            check("http://127.0.0.1:8000/x").as_deref(),
            Some("http://127.0.0.1:8000/x")
        );
        assert!(check("https://127.0.0.1:8000/").is_none(), "another scheme");
        assert!(
            check("http://127.0.0.1/x").is_none(),
            "default port 80 is not 8000"
        );
        assert!(check("http://127.0.0.1:8001/").is_none());
        assert!(check("http://localhost:8000/").is_none());
        // A bare entry takes this site's scheme and its default port.
        assert!(check("http://trusted.example.org/").is_some());
        assert!(
            check("http://trusted.example.org:1234/").is_none(),
            "no port means the default"
        );
        assert!(
            check("https://trusted.example.org/").is_none(),
            "this site is http"
        );
        assert!(check("http://api.example.net:8443/").is_some());
        assert!(check("http://api.example.net/").is_none());
        // A whole origin is taken as it is.
        assert!(check("http://legacy.example.net:9000/").is_some());
        assert!(check("https://legacy.example.net:9000/").is_none());
        assert_eq!(check("/local").as_deref(), Some("/local"));
    }

    #[test]
    fn an_https_site_never_redirects_to_http() {
        let allowed = ["trusted.example.org".to_string()];
        let check = |target| sanitize_redirect(target, Some("https://example.com"), &allowed);
        assert!(check("https://example.com/").is_some());
        assert!(check("http://example.com/").is_none());
        assert!(check("https://trusted.example.org/").is_some());
        assert!(check("http://trusted.example.org/").is_none());
    }

    #[test]
    fn explicit_default_port_matches_implicit_one() {
        let check = |target| sanitize_redirect(target, Some("https://example.com:443"), &[]);
        assert_eq!(
            check("https://example.com/").as_deref(),
            Some("https://example.com/")
        );
        assert_eq!(
            check("https://example.com:443/x").as_deref(),
            Some("https://example.com/x")
        );
        assert!(check("http://example.com/").is_none());
    }

    #[test]
    fn ipv6_hosts_compare_by_address() {
        let check = |target| sanitize_redirect(target, Some("http://[::1]:8000"), &[]);
        assert_eq!(
            check("http://[0:0::1]:8000/").as_deref(),
            Some("http://[::1]:8000/")
        );
        assert!(check("http://[::2]:8000/").is_none());
        assert!(check("http://[::1]/").is_none());
    }

    #[test]
    fn without_this_host_only_paths_and_allowed_hosts_pass() {
        let allowed = ["trusted.example.org".to_string()];
        assert_eq!(
            sanitize_redirect("/x", None, &allowed).as_deref(),
            Some("/x")
        );
        assert!(sanitize_redirect("https://trusted.example.org/", None, &allowed).is_some());
        assert!(sanitize_redirect("https://example.com/", None, &allowed).is_none());
        assert!(sanitize_redirect("https://example.com/", None, &[]).is_none());
        assert!(sanitize_redirect("//example.com/", None, &[]).is_none());
    }

    #[test]
    fn international_hosts_compare_as_punycode() {
        let allowed = ["Bücher.example".to_string()];
        let check = |target| sanitize_redirect(target, None, &allowed);
        assert_eq!(
            check("https://BÜCHER.example/x").as_deref(),
            Some("https://xn--bcher-kva.example/x")
        );
        assert!(check("https://xn--bcher-kva.example/").is_some());
        assert!(check("https://bucher.example/").is_none());
    }

    /// Each defensive layer refuses its own tricks alone, so that removing one layer fails
    /// a test even where another layer would also have caught the whole target.
    #[test]
    fn each_layer_refuses_its_tricks_alone() {
        for target in ["", " /x", "/x ", "\t/x", "/a\nb", "/a\\b", "\\/x"] {
            assert!(read_differently_by_browsers(target), "{target:?}");
        }
        for target in ["/x", "https://example.com/a?b#c", "/a b"] {
            assert!(!read_differently_by_browsers(target), "{target:?}");
        }
        for path in ["x", "//evil.com", "/\\evil.com", "/a\u{0}b", "/a\u{85}b"] {
            assert!(!is_plain_path(path), "{path:?}");
        }
        for path in ["/", "/a//b", "/..//evil.com"] {
            assert!(is_plain_path(path), "{path:?}");
        }
        for path in ["/..//evil.com", "/.//evil.com", "//evil.com"] {
            assert!(!resolves_on_site(path), "{path:?}");
        }
        for path in ["/", "/a//b", "/./x", "/../x"] {
            assert!(resolves_on_site(path), "{path:?}");
        }
    }

    #[test]
    fn percent_decoding_reads_every_escape() {
        assert_eq!(percent_decode("%2F%2fa%41%7E"), "//aA~");
        assert_eq!(percent_decode("%C3%A9%"), "é%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("a%2F%2F"), "a//");
    }

    #[test]
    fn bracketed_ipv6_entries_allow_their_host() {
        let allowed = ["[::1]".to_string(), "[::2]:8443".to_string()];
        let check = |target| sanitize_redirect(target, Some("https://example.com"), &allowed);
        assert_eq!(check("https://[::1]/x").as_deref(), Some("https://[::1]/x"));
        assert!(check("https://[::1]:8443/").is_none());
        assert!(check("https://[::2]:8443/").is_some());
        assert!(check("https://[::2]/").is_none());
    }

    #[test]
    fn malformed_allow_list_entries_match_nothing() {
        let allowed = ["".to_string(), "::1".to_string(), "evil.com:".to_string()];
        for target in ["https://evil.com/", "http://[::1]/", "https:///"] {
            assert!(
                sanitize_redirect(target, Some("not an origin"), &allowed).is_none(),
                "{target:?} was accepted"
            );
        }
    }
}
