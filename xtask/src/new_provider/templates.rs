//! The files of a new provider crate, from the templates in `xtask/templates/new-provider/`.
//!
//! Templates are the files as they will be, with `%%KEY%%` markers: `%%NAME%%` (`acme-id`),
//! `%%CRATE%%` (`social-acme-id`), `%%CRATE_IDENT%%` (`social_acme_id`), `%%DISPLAY%%`
//! (`Acme Id`), `%%UPPER%%` (`ACME_ID`), `%%TYPE%%` (`AcmeId`), `%%PROTOCOL%%` (`OAuth 2.0`)
//! and `%%PROTOCOL_DEP%%` (the protocol crate's dependency line). The Rust templates are
//! rustfmt-clean for every name `Names::new` accepts; a test checks it.

use super::{FileOut, Names, Protocol};

macro_rules! template {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates/new-provider/",
            $path
        ))
    };
}

const CARGO_TOML: &str = template!("Cargo.toml.in");

/// Each protocol's files: the path in the crate, and the template.
fn protocol_files(protocol: Protocol) -> &'static [(&'static str, &'static str)] {
    match protocol {
        Protocol::OAuth2 => &[
            ("README.md", template!("oauth2/README.md.in")),
            ("src/lib.rs", template!("oauth2/lib.rs.in")),
            ("tests/provider.rs", template!("oauth2/provider.rs.in")),
            (
                "tests/fixtures/token.json",
                template!("oauth2/fixtures/token.json"),
            ),
            (
                "tests/fixtures/user.json",
                template!("oauth2/fixtures/user.json"),
            ),
        ],
        Protocol::Oidc => &[
            ("README.md", template!("oidc/README.md.in")),
            ("src/lib.rs", template!("oidc/lib.rs.in")),
            ("tests/provider.rs", template!("oidc/provider.rs.in")),
            (
                "tests/fixtures/openid-configuration.json",
                template!("oidc/fixtures/openid-configuration.json"),
            ),
            (
                "tests/fixtures/token.json",
                template!("oidc/fixtures/token.json"),
            ),
            (
                "tests/fixtures/userinfo.json",
                template!("oidc/fixtures/userinfo.json"),
            ),
        ],
        Protocol::OAuth1 => &[
            ("README.md", template!("oauth1/README.md.in")),
            ("src/lib.rs", template!("oauth1/lib.rs.in")),
            ("tests/provider.rs", template!("oauth1/provider.rs.in")),
            (
                "tests/fixtures/request_token.txt",
                template!("oauth1/fixtures/request_token.txt"),
            ),
            (
                "tests/fixtures/access_token.txt",
                template!("oauth1/fixtures/access_token.txt"),
            ),
            (
                "tests/fixtures/user.json",
                template!("oauth1/fixtures/user.json"),
            ),
        ],
        Protocol::OpenId => &[
            ("README.md", template!("openid/README.md.in")),
            ("src/lib.rs", template!("openid/lib.rs.in")),
            ("tests/provider.rs", template!("openid/provider.rs.in")),
        ],
    }
}

/// The dependency line of the protocol's base crate.
fn protocol_dependency(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::OAuth2 => "social-oauth2.workspace = true",
        Protocol::Oidc => "social-oauth2 = { workspace = true, features = [\"oidc\"] }",
        Protocol::OAuth1 => "social-oauth1.workspace = true",
        Protocol::OpenId => "social-openid.workspace = true",
    }
}

/// Names the OpenID 2.0 template imports or takes from the prelude: a provider type must
/// not shadow them.
const TAKEN_TYPE_NAMES: &[&str] = &[
    "Backend",
    "BackendCx",
    "Box",
    "Clone",
    "Configure",
    "Copy",
    "Debug",
    "Default",
    "Endpoint",
    "Err",
    "None",
    "Ok",
    "OpenIdBackend",
    "OpenIdProvider",
    "OpenIdSpec",
    "Option",
    "Result",
    "Send",
    "Some",
    "String",
    "Sync",
    "Vec",
];

/// The provider's type name: the name in CamelCase, unless that is taken.
pub(crate) fn type_name(names: &Names) -> String {
    if TAKEN_TYPE_NAMES.contains(&names.camel.as_str()) {
        format!("{}Provider", names.camel)
    } else {
        names.camel.clone()
    }
}

/// Fills the markers of `template`.
pub(crate) fn fill(template: &str, names: &Names, protocol: Protocol) -> String {
    template
        .replace("%%PROTOCOL_DEP%%", protocol_dependency(protocol))
        .replace("%%PROTOCOL%%", protocol.label())
        .replace("%%CRATE_IDENT%%", &names.crate_ident)
        .replace("%%CRATE%%", &names.krate)
        .replace("%%DISPLAY%%", &names.display)
        .replace("%%UPPER%%", &names.upper)
        .replace("%%TYPE%%", &type_name(names))
        .replace("%%NAME%%", &names.name)
}

/// Every file of the new crate, with paths relative to the workspace root.
pub(crate) fn files(names: &Names, protocol: Protocol) -> Vec<FileOut> {
    let dir = format!("providers/{}", names.name);
    std::iter::once(("Cargo.toml", CARGO_TOML))
        .chain(protocol_files(protocol).iter().copied())
        .map(|(path, template)| FileOut {
            path: format!("{dir}/{path}"),
            text: fill(template, names, protocol),
        })
        .collect()
}
