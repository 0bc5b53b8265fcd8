//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `ci`: what CI checks — formatting, clippy with `-D warnings`, tidy, tests, docs.
//! - `tidy`: house rules that need no compiler (CHANGELOG, facade, README provider table).
//! - `new-provider NAME --protocol oauth2|oidc|oauth1|openid`: scaffolds the provider crate
//!   `providers/NAME` (`social-NAME`: spec, doc page, conformance test, made-up fixtures) and
//!   plugs it in — workspace dependency, facade feature, re-export and registry line, README
//!   row, CHANGELOG line — so that `tidy` passes right after; then prints the next steps.

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

mod new_provider;

/// How to call the tasks.
const USAGE: &str = "usage: cargo xtask <task>
  ci                                      what CI checks: fmt, tidy, clippy, tests, docs
  tidy                                    house rules: CHANGELOG, facade, README provider table
  new-provider NAME --protocol PROTOCOL   scaffold providers/NAME (social-NAME) and plug it in;
                                          PROTOCOL is oauth2, oidc, oauth1 or openid";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let task = args.first().map(String::as_str).unwrap_or_default();
    let result = match task {
        "ci" => ci(),
        "tidy" => tidy(),
        "new-provider" => new_provider::run(&root(), &args[1..]),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        "" => Err(format!("no task given\n{USAGE}")),
        other => Err(format!("unknown task `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    eprintln!("xtask: cargo {}", args.join(" "));
    let status = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root())
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`cargo {}` failed", args.join(" ")))
    }
}

fn ci() -> Result<(), String> {
    cargo(&["fmt", "--all", "--check"], &[])?;
    tidy()?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    cargo(&["test", "--workspace"], &[("INSTA_UPDATE", "no")])?;
    cargo(
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    // The outside author's crate and app: their own workspace, this target folder.
    let target = root().join("target");
    let target = target.to_string_lossy();
    let example = Path::new("examples/third-party/Cargo.toml");
    let manifest = example.to_string_lossy();
    for args in [
        &["fmt", "--all", "--check", "--manifest-path", &manifest][..],
        &[
            "clippy",
            "--locked",
            "--all-targets",
            "--manifest-path",
            &manifest,
            "--",
            "-D",
            "warnings",
        ][..],
        &["test", "--locked", "--manifest-path", &manifest][..],
    ] {
        cargo(
            args,
            &[("CARGO_TARGET_DIR", &target), ("INSTA_UPDATE", "no")],
        )?;
    }
    Ok(())
}

/// The text of `path`, relative to the workspace root `root`; errors name the file.
fn read(root: &Path, path: &str) -> Result<String, String> {
    fs::read_to_string(root.join(path)).map_err(|e| format!("{path}: {e}"))
}

/// Provider crates: the folders under `providers/` of the workspace at `root`.
fn providers(root: &Path) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = fs::read_dir(root.join("providers"))
        .map_err(|e| format!("providers/: {e}"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

fn tidy() -> Result<(), String> {
    tidy_at(&root())?;
    eprintln!("xtask: tidy ok");
    Ok(())
}

/// The tidy checks on the workspace at `root`.
fn tidy_at(root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let changelog = read(root, "CHANGELOG.md")?;
    if !changelog.contains("## [Unreleased]") {
        problems.push("CHANGELOG.md has no `## [Unreleased]` section".to_owned());
    }
    let facade = read(root, "crates/social-auth/Cargo.toml")?;
    let facade_lib = read(root, "crates/social-auth/src/lib.rs")?;
    let readme = read(root, "README.md")?;
    for name in providers(root)? {
        let krate = format!("social-{name}");
        // One integration-test binary per provider crate keeps link time in check.
        let tests = root.join("providers").join(&name).join("tests");
        let binaries: Vec<String> = fs::read_dir(&tests)
            .map(|dir| {
                dir.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|f| f.ends_with(".rs"))
                    .collect()
            })
            .unwrap_or_default();
        if binaries != ["provider.rs"] {
            problems.push(format!(
                "providers/{name}/tests must hold one test binary, provider.rs (quirk tests go \
                 in tests/quirks/), found {binaries:?}"
            ));
        }
        if !facade.contains(&format!("{name} = [\"dep:{krate}\"]")) {
            problems.push(format!("the facade has no feature `{name}` for {krate}"));
        }
        if !facade_lib.contains(&format!("{}::backend()", krate.replace('-', "_"))) {
            problems.push(format!("social_auth::registry() does not register {krate}"));
        }
        // The backends' rows and their generated columns are checked by social-auth's
        // `readme` test; here, that every crate has one.
        if !readme.contains(&format!(" [`{krate}`](https://docs.rs/{krate}) |")) {
            problems.push(format!(
                "README.md's provider table has no row for a backend of {krate}"
            ));
        }
        if !changelog.contains(&krate) {
            problems.push(format!("CHANGELOG.md never mentions {krate}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("tidy found:\n- {}", problems.join("\n- ")))
    }
}
