//! `cargo xtask new-provider NAME --protocol oauth2|oidc|oauth1|openid`: scaffolds a provider
//! crate and plugs it into the workspace so that `cargo xtask tidy` passes right after.
//!
//! Everything is computed before anything is written: the crate's files from the templates
//! in `xtask/templates/new-provider/`, and the edits of the root `Cargo.toml`, the facade's
//! `Cargo.toml` and `src/lib.rs`, `README.md` and `CHANGELOG.md` (see [`edits`]). An edit whose
//! anchor is missing, or whose line is already there, refuses the whole run, naming the file.

mod edits;
mod templates;

#[cfg(test)]
mod tests;

use std::{
    fmt, fs,
    path::{Path, PathBuf},
};

/// The longest provider name taken: long names would make the generated code's lines too
/// long for the layout the templates were formatted for.
const MAX_NAME_LEN: usize = 40;

/// The protocol a provider speaks, which picks the base crate and the templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// OAuth 2.0 on `social-oauth2`.
    OAuth2,
    /// OpenID Connect on `social-oauth2` with its `oidc` feature.
    Oidc,
    /// OAuth 1.0a on `social-oauth1`.
    OAuth1,
    /// OpenID 2.0 on `social-openid`.
    OpenId,
}

impl Protocol {
    /// Every protocol, in the order the usage lists them.
    pub(crate) const ALL: [Self; 4] = [Self::OAuth2, Self::Oidc, Self::OAuth1, Self::OpenId];

    /// The `--protocol` argument.
    pub(crate) fn arg(self) -> &'static str {
        match self {
            Self::OAuth2 => "oauth2",
            Self::Oidc => "oidc",
            Self::OAuth1 => "oauth1",
            Self::OpenId => "openid",
        }
    }

    /// The protocol as the documentation names it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::OAuth2 => "OAuth 2.0",
            Self::Oidc => "OpenID Connect",
            Self::OAuth1 => "OAuth 1.0a",
            Self::OpenId => "OpenID 2.0",
        }
    }

    fn parse(arg: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.arg() == arg)
            .ok_or_else(|| {
                format!("--protocol: `{arg}` is not one of oauth2, oidc, oauth1, openid")
            })
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The names a new provider goes by.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    /// The backend name and folder: `acme-id`.
    pub(crate) name: String,
    /// The package: `social-acme-id`.
    pub(crate) krate: String,
    /// The crate as a Rust path: `social_acme_id`.
    pub(crate) crate_ident: String,
    /// The facade's re-export and module name: `acme_id`.
    pub(crate) ident: String,
    /// A name for people, to be corrected by the author: `Acme Id`.
    pub(crate) display: String,
    /// The settings prefix after `SOCIAL_AUTH_`: `ACME_ID`.
    pub(crate) upper: String,
    /// A type name: `AcmeId`.
    pub(crate) camel: String,
}

/// Rust keywords (strict, reserved and 2024's `gen`), and crate names a facade module must
/// not shadow: a provider of such a name is re-exported with a trailing `_` (`box_`).
const RESERVED: &[&str] = &[
    "abstract",
    "alloc",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "core",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "proc_macro",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "std",
    "struct",
    "super",
    "test",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

impl Names {
    /// Checks `name`: lowercase ASCII letters, digits and single `-` between them, starting
    /// with a letter, at most [`MAX_NAME_LEN`] long. A name that is a Rust keyword once written
    /// with `_` (`box`) gets a facade module with a trailing `_` (`box_`).
    pub(crate) fn new(name: &str) -> Result<Self, String> {
        let bad = |why: &str| Err(format!("NAME `{name}` {why}"));
        if name.is_empty() {
            return bad("is empty");
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return bad("must start with a lowercase ASCII letter");
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return bad(&format!(
                "holds `{c}`: only lowercase ASCII letters, digits and `-` are allowed"
            ));
        }
        if name.ends_with('-') || name.contains("--") {
            return bad("must not end with `-` or hold `--`");
        }
        if name.len() > MAX_NAME_LEN {
            return bad(&format!("is longer than {MAX_NAME_LEN} characters"));
        }
        let mut ident = name.replace('-', "_");
        // `box` is a keyword: its facade module is `social_auth::box_`.
        if RESERVED.contains(&ident.as_str()) {
            ident.push('_');
        }
        let words: Vec<String> = name
            .split('-')
            .map(|word| {
                let mut chars = word.chars();
                chars.next().map_or_else(String::new, |first| {
                    first.to_ascii_uppercase().to_string() + chars.as_str()
                })
            })
            .collect();
        Ok(Self {
            name: name.to_owned(),
            krate: format!("social-{name}"),
            crate_ident: format!("social_{}", name.replace('-', "_")),
            upper: name.replace('-', "_").to_ascii_uppercase(),
            ident,
            display: words.join(" "),
            camel: words.concat(),
        })
    }
}

/// What `new-provider` was asked for.
#[derive(Debug)]
struct Args {
    name: String,
    protocol: Protocol,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let usage = "usage: cargo xtask new-provider NAME --protocol oauth2|oidc|oauth1|openid";
    let mut name = None;
    let mut protocol = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let value = if arg == "--protocol" {
            Some(
                rest.next()
                    .ok_or_else(|| format!("--protocol needs a value\n{usage}"))?
                    .as_str(),
            )
        } else {
            arg.strip_prefix("--protocol=")
        };
        if let Some(value) = value {
            if protocol.is_some() {
                return Err(format!("--protocol is given twice\n{usage}"));
            }
            protocol = Some(Protocol::parse(value)?);
        } else if arg.starts_with('-') {
            return Err(format!("unknown option `{arg}`\n{usage}"));
        } else if let Some(first) = &name {
            return Err(format!("one NAME only: got `{first}` and `{arg}`\n{usage}"));
        } else {
            name = Some(arg.clone());
        }
    }
    Ok(Args {
        name: name.ok_or_else(|| format!("NAME is missing\n{usage}"))?,
        protocol: protocol.ok_or_else(|| format!("--protocol is missing\n{usage}"))?,
    })
}

/// Runs the task on the workspace at `root` with the command line's arguments after the task.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let args = parse_args(args)?;
    let names = Names::new(&args.name)?;
    let done = scaffold(root, &names, args.protocol)?;
    print!("{}", next_steps(root, &names, args.protocol, &done));
    Ok(())
}

/// What a run wrote, relative to the workspace root.
#[derive(Debug)]
pub(crate) struct Scaffolded {
    /// The files of the new crate.
    pub(crate) created: Vec<String>,
    /// The workspace files edited.
    pub(crate) edited: Vec<String>,
}

/// A file to write: its path relative to the workspace root, and its text.
#[derive(Debug)]
pub(crate) struct FileOut {
    pub(crate) path: String,
    pub(crate) text: String,
}

/// Scaffolds provider `names` speaking `protocol` in the workspace at `root`: checks, then
/// computes every file and edit, then writes them.
pub(crate) fn scaffold(
    root: &Path,
    names: &Names,
    protocol: Protocol,
) -> Result<Scaffolded, String> {
    let dir = format!("providers/{}", names.name);
    if root.join(&dir).exists() {
        return Err(format!(
            "{dir}/ already exists: pick another NAME, or remove it first"
        ));
    }
    let other = format!("crates/{}", names.krate);
    if root.join(&other).exists() {
        return Err(format!(
            "{other}/ already exists: `{}` is a crate of the workspace",
            names.krate
        ));
    }
    let providers = crate::providers(root)?;
    let created = templates::files(names, protocol);
    let edited = edits::all(root, names, protocol, &providers)?;

    // Everything is known and every anchor was found: write.
    let provider_dir = root.join(&dir);
    fs::create_dir_all(&provider_dir).map_err(|e| format!("{dir}/: {e}"))?;
    for file in &created {
        write(root, file)?;
    }
    for file in &edited {
        write(root, file)?;
    }
    Ok(Scaffolded {
        created: created.into_iter().map(|f| f.path).collect(),
        edited: edited.into_iter().map(|f| f.path).collect(),
    })
}

fn write(root: &Path, file: &FileOut) -> Result<(), String> {
    let path: PathBuf = root.join(&file.path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", file.path))?;
    }
    fs::write(&path, &file.text).map_err(|e| format!("{}: {e}", file.path))
}

/// What the author does next, printed at the end of the task.
fn next_steps(root: &Path, names: &Names, protocol: Protocol, done: &Scaffolded) -> String {
    let Names { name, krate, .. } = names;
    let dir = format!("providers/{name}");
    let mut out = format!("xtask: scaffolded {krate} ({protocol}) in {dir}/:\n");
    for file in &done.created {
        out.push_str(&format!("  {file}\n"));
    }
    out.push_str("xtask: plugged it in, editing:\n");
    for file in &done.edited {
        out.push_str(&format!("  {file}\n"));
    }
    out.push_str("\nNext steps:\n");
    let what = match protocol {
        Protocol::OAuth2 => "endpoints, scope, PKCE and other flags, the user's fields",
        Protocol::Oidc => "the issuer and the flags that differ from the standard",
        Protocol::OAuth1 => "endpoints and flags, the user endpoint and its fields",
        Protocol::OpenId => "the OP identifier, the attributes and the uid",
    };
    let mut steps = vec![
        format!(
            "Fill in {dir}/src/lib.rs from the provider's documentation: each \
             `TODO(provider author)` marks a made-up value on `{name}.example` ({what}). Then \
             its doc page, {dir}/README.md, and the notes of its row in README.md."
        ),
        if protocol == Protocol::OpenId {
            format!(
                "Put the provider's OP endpoint and identifier shapes in {dir}/tests/provider.rs \
                 in place of the made-up ones."
            )
        } else {
            format!(
                "Record the provider's real answers, scrubbed of tokens and personal data, over \
                 the made-up ones in {dir}/tests/fixtures/, and adjust {dir}/tests/provider.rs."
            )
        },
    ];
    if protocol != Protocol::OpenId {
        steps.push(format!(
            "Accept the first snapshots: `cargo insta test -p {krate} --review` (from `cargo \
             install cargo-insta`), or run `INSTA_UPDATE=always cargo test -p {krate}` once; \
             then read {dir}/tests/snapshots/ before committing it. CI never writes snapshots \
             (INSTA_UPDATE=no)."
        ));
    }
    steps.push(format!(
        "Write a test for each thing special about the provider in {dir}/tests/provider.rs, \
         and list them under Quirks in its README."
    ));
    steps.push(format!(
        "Run `cargo xtask ci`, or at least `cargo fmt --all`, `cargo xtask tidy`, `cargo clippy \
         -p {krate} --all-targets -- -D warnings` and `cargo test -p {krate}`."
    ));
    let guide = "docs/writing-a-provider.md";
    if root.join(guide).exists() {
        steps.push(format!("The hooks, settings and test helpers: {guide}."));
    }
    for (i, step) in steps.iter().enumerate() {
        for line in edits::wrap(&format!("{}. {step}", i + 1), 95, "   ") {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
