//! The scaffolder against temporary workspaces: minimal copies of the files it edits, and
//! copies of this workspace's own.
#![allow(clippy::unwrap_used, reason = "tests: a panic is the failure report")]

use std::{
    cmp::Ordering,
    fs,
    path::{Path, PathBuf},
    process::Command,
    sync::atomic::{AtomicUsize, Ordering as AtomicOrdering},
};

use super::{Names, Protocol, edits, parse_args, scaffold, templates};

/// A temporary workspace, removed when dropped.
struct TempWorkspace {
    root: PathBuf,
}

impl TempWorkspace {
    fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "xtask-new-provider-{}-{tag}-{}",
            std::process::id(),
            NEXT.fetch_add(1, AtomicOrdering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        Self { root }
    }

    /// A minimal workspace with providers `github` (OAuth 2.0) and `steam` (OpenID 2.0).
    fn minimal(tag: &str) -> Self {
        let ws = Self::new(tag);
        ws.write(edits::ROOT_MANIFEST, ROOT_MANIFEST);
        ws.write(edits::FACADE_MANIFEST, FACADE_MANIFEST);
        ws.write(edits::FACADE_LIB, FACADE_LIB);
        ws.write(edits::README, README);
        ws.write(edits::CHANGELOG, CHANGELOG);
        for provider in ["github", "steam"] {
            ws.write(
                &format!("providers/{provider}/Cargo.toml"),
                &format!("[package]\nname = \"social-{provider}\"\n"),
            );
            ws.write(&format!("providers/{provider}/tests/provider.rs"), "");
        }
        ws
    }

    fn path(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.path(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn read(&self, path: &str) -> String {
        fs::read_to_string(self.path(path)).unwrap()
    }

    /// The edited files' texts, to check that a refused run changed nothing.
    fn edited_files(&self) -> Vec<String> {
        [
            edits::ROOT_MANIFEST,
            edits::FACADE_MANIFEST,
            edits::FACADE_LIB,
            edits::README,
            edits::CHANGELOG,
        ]
        .iter()
        .map(|p| self.read(p))
        .collect()
    }

    fn scaffold(&self, name: &str, protocol: Protocol) -> Result<super::Scaffolded, String> {
        scaffold(&self.root, &Names::new(name)?, protocol)
    }
}

impl Drop for TempWorkspace {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

const ROOT_MANIFEST: &str = r#"[workspace]
resolver = "3"
members = ["crates/*", "providers/*", "xtask"]

[workspace.package]
version = "0.1.0"

[workspace.dependencies]
social-core = { path = "crates/social-core", version = "0.1.0", default-features = false }
social-oauth2 = { path = "crates/social-oauth2", version = "0.1.0" }
social-github = { path = "providers/github", version = "0.1.0" }
social-steam = { path = "providers/steam", version = "0.1.0" }
social-auth = { path = "crates/social-auth", version = "0.1.0" }

serde = { version = "1", features = ["derive"] }

[workspace.lints.rust]
unsafe_code = "forbid"
"#;

const FACADE_MANIFEST: &str = r#"[package]
name = "social-auth"
version.workspace = true

[features]
default = ["reqwest"]
## The default HTTP client.
reqwest = ["social-core/reqwest"]
## Every provider and integration (for CI and docs).
full = [
    "github", "steam", "oauth2", "oidc", "openid", "axum", "sqlite", "postgres", "reqwest",
    "oauth1",
]
## GitHub and GitHub Enterprise (OAuth 2.0).
github = ["dep:social-github"]
## Steam (OpenID 2.0).
steam = ["dep:social-steam"]
## The OAuth 2.0 base and declarative providers, for writing providers of your own.
oauth2 = ["dep:social-oauth2"]

[dependencies]
social-core.workspace = true
social-oauth2 = { workspace = true, optional = true }
social-github = { workspace = true, optional = true }
social-steam = { workspace = true, optional = true }
social-axum = { workspace = true, optional = true }

[lints]
workspace = true
"#;

const FACADE_LIB: &str = r#"#![doc = include_str!("../README.md")]

use std::sync::Arc;

pub use social_core::*;
#[cfg(feature = "oauth2")]
pub use social_oauth2 as oauth2;

#[cfg(feature = "axum")]
pub use social_axum as axum;
#[cfg(feature = "github")]
pub use social_github as github;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub use social_sqlx as sqlx;
#[cfg(feature = "steam")]
pub use social_steam as steam;

/// Every provider compiled in through Cargo features.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    let mut add = |backend: Arc<dyn Backend>| registry.insert(backend);
    #[cfg(feature = "github")]
    add(Arc::new(social_github::backend()));
    #[cfg(feature = "steam")]
    add(Arc::new(social_steam::backend()));
    #[cfg(feature = "openid")]
    add(Arc::new(social_openid::backend()));
    let _ = &mut add;
    registry
}
"#;

const README: &str = r"# social-auth

Social login.

## Providers

| Provider | Crate | Protocol | Feature | Notes |
|---|---|---|---|---|
| `github` | [`social-github`](https://docs.rs/social-github) | OAuth 2.0 + PKCE | `github` | GitHub Enterprise |
| `steam` | [`social-steam`](https://docs.rs/social-steam) | OpenID 2.0 | `steam` | player summaries |
| `openid` | `social-core` | OpenID 2.0 | `openid` | generic |
| any name | `social-core` | OpenID Connect | `oidc` | generic |

Every endpoint can be overridden.

## Crates

| Crate | What it is |
|---|---|
| `social-core` | traits and engine |
";

const CHANGELOG: &str = "# Changelog

## [Unreleased]

### Added

- social-core: the `Backend` trait and `Registry`; `SocialAuth` (begin, complete, resume,
  disconnect, refresh, revoke).
- social-github: GitHub and GitHub Enterprise.
- social-steam: Steam over OpenID 2.0.

### Changed

- Nothing yet.

## [0.0.1] - 2024-01-01

### Added

- social-old: something old.
";

fn tidy(ws: &TempWorkspace) {
    if let Err(problems) = crate::tidy_at(&ws.root) {
        panic!("tidy fails on the result: {problems}");
    }
}

/// The line of `text` right after the line `before`.
fn line_after<'a>(text: &'a str, before: &str) -> &'a str {
    let mut lines = text.lines();
    lines
        .by_ref()
        .find(|l| *l == before)
        .unwrap_or_else(|| panic!("no line `{before}` in\n{text}"));
    lines.next().unwrap_or_default()
}

#[test]
fn the_minimal_workspace_is_tidy() {
    tidy(&TempWorkspace::minimal("tidy"));
}

#[test]
fn scaffolds_and_plugs_in_each_protocol() {
    for (protocol, name) in [
        (Protocol::OAuth2, "acme-id"),
        (Protocol::Oidc, "acme-oidc"),
        (Protocol::OAuth1, "acme-one"),
        (Protocol::OpenId, "acme-open"),
    ] {
        let ws = TempWorkspace::minimal(protocol.arg());
        let done = ws.scaffold(name, protocol).unwrap();
        let dir = format!("providers/{name}");
        let mut expected = vec![
            format!("{dir}/Cargo.toml"),
            format!("{dir}/README.md"),
            format!("{dir}/src/lib.rs"),
            format!("{dir}/tests/provider.rs"),
        ];
        expected.extend(
            match protocol {
                Protocol::OAuth2 => vec!["token.json", "user.json"],
                Protocol::Oidc => vec!["openid-configuration.json", "token.json", "userinfo.json"],
                Protocol::OAuth1 => vec!["request_token.txt", "access_token.txt", "user.json"],
                Protocol::OpenId => vec![],
            }
            .into_iter()
            .map(|f| format!("{dir}/tests/fixtures/{f}")),
        );
        assert_eq!(done.created, expected, "{protocol}");
        assert_eq!(
            done.edited,
            [
                "Cargo.toml",
                "crates/social-auth/Cargo.toml",
                "crates/social-auth/src/lib.rs",
                "README.md",
                "CHANGELOG.md"
            ]
        );
        for file in &done.created {
            let text = ws.read(file);
            assert!(
                !text.contains("%%"),
                "{file} has an unfilled marker:\n{text}"
            );
        }

        // The crate.
        let krate = format!("social-{name}");
        let ident = name.replace('-', "_");
        let manifest = ws.read(&format!("{dir}/Cargo.toml"));
        assert!(
            manifest.contains(&format!("name = \"{krate}\"\n")),
            "{manifest}"
        );
        assert!(
            manifest.contains("[lints]\nworkspace = true\n"),
            "{manifest}"
        );
        assert!(
            manifest.contains("social-core.workspace = true\n"),
            "{manifest}"
        );
        assert!(
            manifest.contains("[dev-dependencies]\nsocial-testkit.workspace = true\n"),
            "{manifest}"
        );
        let (dependency, backend) = match protocol {
            Protocol::OAuth2 => (
                "social-oauth2.workspace = true",
                "pub fn backend() -> OAuth2Backend<OAuth2Spec> {",
            ),
            Protocol::Oidc => (
                r#"social-oauth2 = { workspace = true, features = ["oidc"] }"#,
                "pub fn backend() -> OidcBackend<OidcSpec> {",
            ),
            Protocol::OAuth1 => (
                "social-oauth1.workspace = true",
                "pub fn backend() -> OAuth1Backend<OAuth1Spec> {",
            ),
            Protocol::OpenId => (
                "social-openid.workspace = true",
                "pub fn backend() -> OpenIdBackend<AcmeOpen> {",
            ),
        };
        assert!(manifest.contains(dependency), "{manifest}");
        let lib = ws.read(&format!("{dir}/src/lib.rs"));
        assert!(lib.starts_with("#![doc = include_str!(\"../README.md\")]\n"));
        assert!(lib.contains(&format!("pub const NAME: &str = \"{name}\";")));
        assert!(lib.contains("pub const SPEC: "), "{lib}");
        assert!(lib.contains(backend), "{lib}");
        assert!(lib.contains(&format!("https://{name}.example")), "{lib}");
        assert!(lib.contains("TODO(provider author)"), "{lib}");
        let test = ws.read(&format!("{dir}/tests/provider.rs"));
        assert!(test.contains(&format!("social_{ident}::")), "{test}");
        let readme = ws.read(&format!("{dir}/README.md"));
        assert!(
            readme.starts_with("> **TODO(provider author):**"),
            "{readme}"
        );
        assert!(readme.contains(&format!("`https://<your site>/complete/{name}/`")));
        let upper = ident.to_ascii_uppercase();
        if protocol == Protocol::OpenId {
            assert!(readme.contains(&format!("`SOCIAL_AUTH_{upper}_OPENID_URL`")));
        } else {
            assert!(readme.contains(&format!("`SOCIAL_AUTH_{upper}_KEY`")));
            assert!(readme.contains(&format!("`SOCIAL_AUTH_{upper}_SECRET`")));
        }
        for section in [
            "**Needs:**",
            "**Scope:**",
            "**Settings:**",
            "| Setting | Meaning |",
        ]
        .into_iter()
        .chain(["**Capabilities:**", "**Quirks:**", "**Service status:**"])
        {
            assert!(readme.contains(section), "{section} missing:\n{readme}");
        }

        // The edits.
        let root = ws.read(edits::ROOT_MANIFEST);
        assert_eq!(
            line_after(
                &root,
                r#"social-steam = { path = "providers/steam", version = "0.1.0" }"#
            ),
            format!(r#"{krate} = {{ path = "providers/{name}", version = "0.1.0" }}"#)
        );
        let facade = ws.read(edits::FACADE_MANIFEST);
        let display = match protocol {
            Protocol::OAuth2 => "Acme Id",
            Protocol::Oidc => "Acme Oidc",
            Protocol::OAuth1 => "Acme One",
            Protocol::OpenId => "Acme Open",
        };
        assert_eq!(
            line_after(&facade, r#"steam = ["dep:social-steam"]"#),
            format!("## {display} ({}).", protocol.label())
        );
        assert_eq!(
            line_after(&facade, &format!("## {display} ({}).", protocol.label())),
            format!(r#"{name} = ["dep:{krate}"]"#)
        );
        assert_eq!(
            line_after(
                &facade,
                "social-steam = { workspace = true, optional = true }"
            ),
            format!("{krate} = {{ workspace = true, optional = true }}")
        );
        let full = format!("\"github\", \"steam\", \"{name}\", \"oauth2\"");
        assert!(facade.contains(&full), "{facade}");
        let lib = ws.read(edits::FACADE_LIB);
        assert_eq!(
            line_after(&lib, "    add(Arc::new(social_steam::backend()));"),
            format!("    #[cfg(feature = \"{name}\")]")
        );
        assert_eq!(
            line_after(&lib, &format!("    #[cfg(feature = \"{name}\")]")),
            format!("    add(Arc::new(social_{ident}::backend()));")
        );
        // Sorted as rustfmt sorts: `social_acme_*` before `social_axum`.
        assert_eq!(
            line_after(&lib, ""),
            "use std::sync::Arc;",
            "the first groups are untouched"
        );
        assert!(
            lib.contains(&format!(
                "pub use social_oauth2 as oauth2;\n\n#[cfg(feature = \"{name}\")]\npub use \
                 social_{ident} as {ident};\n#[cfg(feature = \"axum\")]\n"
            )),
            "{lib}"
        );
        let readme = ws.read(edits::README);
        assert_eq!(
            line_after(
                &readme,
                "| `steam` | [`social-steam`](https://docs.rs/social-steam) | OpenID 2.0 | `steam` \
                 | player summaries |"
            ),
            format!(
                "| `{name}` | [`{krate}`](https://docs.rs/{krate}) | {} | `{name}` | scaffolded: \
                 placeholder endpoints on \
                 `{name}.example`, to fill in from the provider's documentation |",
                protocol.label()
            )
        );
        let changelog = ws.read(edits::CHANGELOG);
        let entry: Vec<&str> = changelog
            .lines()
            .skip_while(|l| *l != "- social-steam: Steam over OpenID 2.0.")
            .skip(1)
            .take_while(|l| !l.is_empty())
            .collect();
        assert_eq!(
            entry.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" "),
            format!(
                "- {krate}: {display} login ({}), scaffolded; fill in its endpoints from the \
                 provider's documentation.",
                protocol.label()
            )
        );
        assert!(entry.len() > 1 && entry[1..].iter().all(|l| l.starts_with("  ")));
        assert!(entry.iter().all(|l| l.len() <= 95), "{entry:?}");
        assert!(
            changelog.contains("documentation.\n\n### Changed\n"),
            "{changelog}"
        );
        tidy(&ws);

        // Once only.
        let before = ws.edited_files();
        let again = ws.scaffold(name, protocol).unwrap_err();
        assert!(
            again.contains(&format!("providers/{name}/ already exists")),
            "{again}"
        );
        assert_eq!(ws.edited_files(), before, "a refused run wrote nothing");
    }
}

#[test]
fn bad_names_are_refused() {
    for (name, why) in [
        ("", "is empty"),
        ("Acme", "must start with a lowercase ASCII letter"),
        ("1acme", "must start with a lowercase ASCII letter"),
        ("-acme", "must start with a lowercase ASCII letter"),
        ("acme_id", "holds `_`"),
        ("acme.id", "holds `.`"),
        ("acmé", "holds `é`"),
        ("acme id", "holds ` `"),
        ("acme-", "must not end with `-`"),
        ("a--b", "hold `--`"),
        (
            "a-name-that-is-much-too-long-for-the-templates",
            "longer than 40",
        ),
    ] {
        match Names::new(name) {
            Err(e) => {
                assert!(e.starts_with(&format!("NAME `{name}` ")), "{e}");
                assert!(e.contains(why), "{name}: {e}");
            }
            Ok(names) => panic!("`{name}` was accepted: {names:?}"),
        }
    }
    for (name, module) in [("box", "box_"), ("std", "std_"), ("type", "type_")] {
        let names = Names::new(name).unwrap();
        assert_eq!(names.ident, module);
        assert_eq!(names.krate, format!("social-{name}"));
        assert_eq!(names.crate_ident, format!("social_{name}"));
    }
    let names = Names::new("web3-id").unwrap();
    assert_eq!(
        (
            names.krate.as_str(),
            names.crate_ident.as_str(),
            names.ident.as_str(),
            names.display.as_str(),
            names.upper.as_str(),
            names.camel.as_str()
        ),
        (
            "social-web3-id",
            "social_web3_id",
            "web3_id",
            "Web3 Id",
            "WEB3_ID",
            "Web3Id"
        )
    );
    // Through the command line, nothing is written.
    let ws = TempWorkspace::minimal("bad-name");
    let before = ws.edited_files();
    let args = [
        "Acme".to_owned(),
        "--protocol".to_owned(),
        "oauth2".to_owned(),
    ];
    let err = super::run(&ws.root, &args).unwrap_err();
    assert!(err.contains("NAME `Acme`"), "{err}");
    assert!(!ws.path("providers/Acme").exists());
    assert_eq!(ws.edited_files(), before);
}

#[test]
fn names_taken_elsewhere_are_refused_before_anything_is_written() {
    let ws = TempWorkspace::minimal("taken");
    let lib = ws.read(edits::FACADE_LIB).replace(
        "pub use social_oauth2 as oauth2;\n",
        "pub use social_oauth2 as oauth2;\n#[cfg(feature = \"oauth2\")]\npub use social_oauth2 as oauth3;\n",
    );
    ws.write(edits::FACADE_LIB, &lib);
    let before = ws.edited_files();
    for (name, why) in [
        (
            "oauth2",
            "Cargo.toml: already has a `social-oauth2` dependency",
        ),
        (
            "reqwest",
            "crates/social-auth/Cargo.toml: [features] already has a feature `reqwest`",
        ),
        (
            "axum",
            "crates/social-auth/Cargo.toml: [dependencies] already has `social-axum`",
        ),
        (
            "oauth1",
            "crates/social-auth/Cargo.toml: the `full` feature already lists \"oauth1\"",
        ),
        (
            "sqlx",
            "crates/social-auth/src/lib.rs: already uses `social_sqlx`",
        ),
        (
            "oauth3",
            "crates/social-auth/src/lib.rs: `oauth3` is already a re-export",
        ),
        ("core", "Cargo.toml: already has a `social-core` dependency"),
    ] {
        let err = ws.scaffold(name, Protocol::OAuth2).unwrap_err();
        assert!(err.starts_with(why), "{name}: {err}");
        assert!(!ws.path(&format!("providers/{name}")).exists());
    }
    // A crate of the workspace.
    ws.write("crates/social-demo/Cargo.toml", "[package]\n");
    let err = ws.scaffold("demo", Protocol::OAuth2).unwrap_err();
    assert!(
        err.starts_with("crates/social-demo/ already exists"),
        "{err}"
    );
    // A name social-core exports, which the facade glob-imports.
    ws.write(
        "crates/social-core/src/lib.rs",
        "pub mod http;\npub use serde_json::{self, Value};\npub use engine::{\n    \
         SocialAuth,\n    login_url,\n};\n",
    );
    for name in ["http", "serde-json", "login-url"] {
        let err = ws.scaffold(name, Protocol::OAuth2).unwrap_err();
        assert!(
            err.starts_with("crates/social-core/src/lib.rs: "),
            "{name}: {err}"
        );
        assert!(err.contains("would shadow it"), "{name}: {err}");
    }
    // One file already has the line: nothing at all is written.
    let mut root = ws.read(edits::ROOT_MANIFEST);
    root = root.replace(
        "social-auth = {",
        "social-acme-id = { path = \"providers/acme-id\", version = \"0.1.0\" }\nsocial-auth = {",
    );
    ws.write(edits::ROOT_MANIFEST, &root);
    let err = ws.scaffold("acme-id", Protocol::OAuth2).unwrap_err();
    assert_eq!(err, "Cargo.toml: already has a `social-acme-id` dependency");
    assert!(!ws.path("providers/acme-id").exists());
    let after = ws.edited_files();
    assert_eq!(after[1..], before[1..], "only the hand edit differs");
}

#[test]
fn missing_anchors_name_the_file() {
    for (file, from, to, why) in [
        (
            edits::ROOT_MANIFEST,
            "[workspace.dependencies]",
            "[workspace.deps]",
            "Cargo.toml: no `[workspace.dependencies]` table",
        ),
        (
            edits::ROOT_MANIFEST,
            "\"providers/steam\"",
            "\"crates/steam\"",
            "Cargo.toml: [workspace.dependencies] has no `social-<provider> = ",
        ),
        (
            edits::FACADE_MANIFEST,
            "full = [",
            "all = [",
            "crates/social-auth/Cargo.toml: [features] has no `full` feature",
        ),
        (
            edits::FACADE_MANIFEST,
            "\"dep:social-steam\"",
            "\"dep:social-steam2\"",
            "crates/social-auth/Cargo.toml: [features] has no `<provider> = ",
        ),
        (
            edits::FACADE_LIB,
            "    add(Arc::new(social_steam::backend()));",
            "    add(Arc::new(social_steam::backend(1)));",
            "crates/social-auth/src/lib.rs: registry() has no ",
        ),
        (
            edits::README,
            "## Providers",
            "## Backends",
            "README.md: no `## Providers` section",
        ),
        (
            edits::README,
            "|---|---|---|---|---|\n",
            "",
            "README.md: the table under `## Providers` has no `|---|` line",
        ),
        (
            edits::CHANGELOG,
            "## [Unreleased]",
            "## Unreleased",
            "CHANGELOG.md: no `## [Unreleased]` section",
        ),
    ] {
        let ws = TempWorkspace::minimal("anchor");
        let text = ws.read(file);
        assert!(text.contains(from), "{from}");
        let text = if file == edits::FACADE_MANIFEST && from == "\"dep:social-steam\"" {
            text.replace(from, to)
                .replace("\"dep:social-github\"", "\"dep:social-github2\"")
        } else if file == edits::ROOT_MANIFEST && to == "\"crates/steam\"" {
            text.replace(from, to)
                .replace("\"providers/github\"", "\"crates/github\"")
        } else if file == edits::FACADE_LIB {
            text.replace(from, to).replace(
                "    add(Arc::new(social_github::backend()));",
                "    add(Arc::new(social_github::backend(1)));",
            )
        } else {
            text.replace(from, to)
        };
        ws.write(file, &text);
        let before = ws.edited_files();
        let err = ws.scaffold("acme-id", Protocol::OAuth2).unwrap_err();
        assert!(err.starts_with(why), "expected `{why}...`, got `{err}`");
        assert!(!ws.path("providers/acme-id").exists());
        assert_eq!(ws.edited_files(), before);
    }
}

#[test]
fn readme_rows_fill_unknown_columns() {
    let ws = TempWorkspace::minimal("columns");
    let readme = ws
        .read(edits::README)
        .replace(
            "| Provider | Crate | Protocol | Feature | Notes |\n|---|---|---|---|---|",
            "| Provider | Crate | Protocol | Feature | PKCE | Refresh | Revoke | Notes |\n\
             |---|---|---|---|:---:|:---:|:---:|---|",
        )
        .replace(" | `steam` | player", " | `steam` | — | — | — | player");
    ws.write(edits::README, &readme);
    ws.scaffold("acme-id", Protocol::OAuth2).unwrap();
    let readme = ws.read(edits::README);
    assert_eq!(
        line_after(
            &readme,
            "| `steam` | [`social-steam`](https://docs.rs/social-steam) | OpenID 2.0 | `steam` | — | — | — | player summaries |"
        ),
        "| `acme-id` | [`social-acme-id`](https://docs.rs/social-acme-id) | OAuth 2.0 | `acme-id` \
         | — | — | — | scaffolded: \
         placeholder endpoints on `acme-id.example`, to fill in from the provider's \
         documentation |"
    );
    tidy(&ws);
}

#[test]
fn changelog_gets_an_added_section_when_it_has_none() {
    for (unreleased, expected) in [
        (
            "## [Unreleased]\n\n### Changed\n\n- Nothing yet.\n",
            "## [Unreleased]\n\n### Added\n\n- social-acme-id: Acme Id login (OAuth 2.0), \
             scaffolded; fill in its endpoints from the\n  provider's documentation.\n\n\
             ### Changed\n\n- Nothing yet.\n",
        ),
        (
            "## [Unreleased]\n",
            "## [Unreleased]\n\n### Added\n\n- social-acme-id: Acme Id login (OAuth 2.0), \
             scaffolded; fill in its endpoints from the\n  provider's documentation.\n",
        ),
        (
            "## [Unreleased]\n\n### Added\n\n### Fixed\n\n- x\n",
            "## [Unreleased]\n\n### Added\n\n- social-acme-id: Acme Id login (OAuth 2.0), \
             scaffolded; fill in its endpoints from the\n  provider's documentation.\n\n\
             ### Fixed\n\n- x\n",
        ),
    ] {
        let text = format!("# Changelog\n\n{unreleased}");
        let names = Names::new("acme-id").unwrap();
        let out = edits::changelog(&text, &names, Protocol::OAuth2).unwrap();
        assert_eq!(out, format!("# Changelog\n\n{expected}"));
    }
}

#[test]
fn full_keeps_its_layout() {
    let names = Names::new("acme-id").unwrap();
    let providers = ["github", "steam", "livejournal"].map(str::to_owned);
    let facade = |full: &str| {
        format!(
            "[features]\nfull = {full}\n## GitHub.\ngithub = [\"dep:social-github\"]\n\
             steam = [\"dep:social-steam\"]\n\n[dependencies]\n\
             social-steam = {{ workspace = true, optional = true }}\n"
        )
    };
    for (before, after) in [
        (
            r#"["github", "steam", "axum"]"#,
            r#"["github", "steam", "acme-id", "axum"]"#,
        ),
        (
            "[\n    \"github\",\n    \"steam\",\n    \"axum\",\n]",
            "[\n    \"github\",\n    \"steam\",\n    \"acme-id\",\n    \"axum\",\n]",
        ),
        (
            "[\n    \"github\", \"google\", \"facebook\", \"twitter\", \"flickr\", \"evernote\", \
             \"linkedin\", \"steam\",\n    \"livejournal\", \"oauth2\",\n]",
            "[\n    \"github\", \"google\", \"facebook\", \"twitter\", \"flickr\", \"evernote\", \
             \"linkedin\", \"steam\",\n    \"livejournal\", \"acme-id\", \"oauth2\",\n]",
        ),
    ] {
        let out =
            edits::facade_manifest(&facade(before), &names, Protocol::OAuth2, &providers).unwrap();
        assert!(out.contains(&format!("full = {after}\n")), "{out}");
    }
}

#[test]
fn version_sorting_is_rustfmts() {
    let mut names = vec![
        "social_steam10",
        "social_b",
        "social_a_b",
        "social_steam",
        "social_ab",
        "social_steam2",
        "social_a",
        "social_a2",
        "social_x_",
        "social_x0",
        "social_x8",
        "social_x08",
    ];
    names.sort_by(|a, b| edits::version_cmp(a, b));
    assert_eq!(
        names,
        [
            "social_a",
            "social_a_b",
            "social_a2",
            "social_ab",
            "social_b",
            "social_steam",
            "social_steam2",
            "social_steam10",
            "social_x_",
            "social_x0",
            "social_x08",
            "social_x8",
        ]
    );
    assert_eq!(edits::version_cmp("x8", "x16"), Ordering::Less);
    assert_eq!(edits::version_cmp("x08", "x8"), Ordering::Less);
}

#[test]
fn arguments() {
    let args = |a: &[&str]| parse_args(&a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
    let ok = args(&["acme", "--protocol", "oidc"]).unwrap();
    assert_eq!((ok.name.as_str(), ok.protocol), ("acme", Protocol::Oidc));
    let ok = args(&["--protocol=openid", "acme"]).unwrap();
    assert_eq!((ok.name.as_str(), ok.protocol), ("acme", Protocol::OpenId));
    for (bad, why) in [
        (&["acme"][..], "--protocol is missing"),
        (&["--protocol", "oauth2"][..], "NAME is missing"),
        (&["acme", "--protocol"][..], "--protocol needs a value"),
        (
            &["acme", "--protocol", "saml"][..],
            "--protocol: `saml` is not one of oauth2, oidc, oauth1, openid",
        ),
        (
            &["acme", "--protocol", "oauth2", "--protocol=oidc"][..],
            "--protocol is given twice",
        ),
        (
            &["acme", "other", "--protocol", "oauth2"][..],
            "one NAME only",
        ),
        (
            &["acme", "--force", "--protocol", "oauth2"][..],
            "unknown option `--force`",
        ),
    ] {
        let err = args(bad).unwrap_err();
        assert!(err.starts_with(why), "{bad:?}: {err}");
    }
}

/// Runs rustfmt (edition 2024, as the workspace) in check mode on `files`; `None` when there
/// is no rustfmt to run.
fn rustfmt_check(files: &[PathBuf]) -> Option<Result<(), String>> {
    let rustfmt = std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into());
    let output = Command::new(rustfmt)
        .args(["--edition", "2024", "--check"])
        .args(files)
        .output()
        .ok()?;
    Some(if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    })
}

fn no_rustfmt() {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "rustfmt is needed to check the templates (CI=true)"
    );
    eprintln!("rustfmt not found: the generated code's formatting is not checked");
}

#[test]
fn generated_rust_is_rustfmt_clean() {
    let ws = TempWorkspace::new("rustfmt");
    let mut files = Vec::new();
    for name in ["a", "acme-id", "a-name-that-is-exactly-forty-chars-long1"] {
        assert_eq!(name.len().min(40), name.len());
        let names = Names::new(name).unwrap();
        for protocol in Protocol::ALL {
            for file in templates::files(&names, protocol) {
                if Path::new(&file.path).extension().is_some_and(|e| e == "rs") {
                    let path = format!("{}/{}", protocol.arg(), file.path);
                    ws.write(&path, &file.text);
                    files.push(ws.path(&path));
                }
            }
        }
    }
    // The facade's crate root, with names sorting first, between and last.
    for (i, name) in ["aaa", "hub", "zzz9", "steam2"].into_iter().enumerate() {
        let names = Names::new(name).unwrap();
        let providers = ["github".to_owned(), "steam".to_owned()];
        let lib = edits::facade_lib(FACADE_LIB, &names, &providers).unwrap();
        let path = format!("facade{i}/lib.rs");
        ws.write(&path, &lib);
        files.push(ws.path(&path));
    }
    match rustfmt_check(&files) {
        Some(result) => result.unwrap_or_else(|diff| panic!("not rustfmt-clean:\n{diff}")),
        None => no_rustfmt(),
    }
}

#[test]
fn scaffolds_against_this_workspace() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    for (protocol, name) in [
        (Protocol::OAuth2, "acme-id"),
        (Protocol::Oidc, "acme-oidc"),
        (Protocol::OAuth1, "acme-one"),
        (Protocol::OpenId, "acme-open"),
    ] {
        let ws = TempWorkspace::new("repo");
        for file in [
            edits::ROOT_MANIFEST,
            edits::FACADE_MANIFEST,
            edits::FACADE_LIB,
            edits::README,
            edits::CHANGELOG,
            "crates/social-core/src/lib.rs",
        ] {
            ws.write(file, &fs::read_to_string(repo.join(file)).unwrap());
        }
        for provider in crate::providers(&repo).unwrap() {
            ws.write(&format!("providers/{provider}/Cargo.toml"), "[package]\n");
            ws.write(&format!("providers/{provider}/tests/provider.rs"), "");
        }
        tidy(&ws);
        ws.scaffold(name, protocol).unwrap();
        tidy(&ws);
        match rustfmt_check(&[ws.path(edits::FACADE_LIB)]) {
            Some(result) => result.unwrap_or_else(|diff| panic!("not rustfmt-clean:\n{diff}")),
            None => no_rustfmt(),
        }
    }
}

#[test]
fn next_steps_say_how_to_accept_snapshots() {
    for protocol in Protocol::ALL {
        let ws = TempWorkspace::minimal("steps");
        let names = Names::new("acme-id").unwrap();
        let done = scaffold(&ws.root, &names, protocol).unwrap();
        let steps = super::next_steps(&ws.root, &names, protocol, &done);
        assert!(
            steps.contains("providers/acme-id/tests/provider.rs\n"),
            "{steps}"
        );
        assert!(steps.contains("TODO(provider author)"), "{steps}");
        assert!(steps.lines().all(|l| l.len() <= 95), "{steps}");
        assert!(
            steps.lines().all(|l| l.matches('`').count() % 2 == 0),
            "a code span is broken:\n{steps}"
        );
        let hint = "INSTA_UPDATE=always cargo test -p social-acme-id";
        assert_eq!(
            steps.replace("\n   ", " ").contains(hint),
            protocol != Protocol::OpenId,
            "{steps}"
        );
        assert!(
            !steps.contains("docs/writing-a-provider.md"),
            "no guide here"
        );
    }
    // The command line, start to end.
    let ws = TempWorkspace::minimal("cli");
    let args = ["acme-id", "--protocol", "oidc"].map(str::to_owned);
    super::run(&ws.root, &args).unwrap();
    assert!(
        ws.path("providers/acme-id/tests/fixtures/openid-configuration.json")
            .exists()
    );
    tidy(&ws);
}
