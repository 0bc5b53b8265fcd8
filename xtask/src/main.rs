//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `ci`: what CI checks — formatting, clippy with `-D warnings`, tidy, tests, docs.
//! - `tidy`: house rules that need no compiler (CHANGELOG, facade, README provider table).

use std::{
    env, fs,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

fn main() -> ExitCode {
    let task = env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "ci" => ci(),
        "tidy" => tidy(),
        _ => Err("usage: cargo xtask <ci|tidy>".to_owned()),
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
    )
}

fn read(path: &str) -> Result<String, String> {
    fs::read_to_string(root().join(path)).map_err(|e| format!("{path}: {e}"))
}

/// Provider crates: the folders under `providers/`.
fn providers() -> Result<Vec<String>, String> {
    let mut names: Vec<String> = fs::read_dir(root().join("providers"))
        .map_err(|e| format!("providers/: {e}"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

fn tidy() -> Result<(), String> {
    let mut problems = Vec::new();
    let changelog = read("CHANGELOG.md")?;
    if !changelog.contains("## [Unreleased]") {
        problems.push("CHANGELOG.md has no `## [Unreleased]` section".to_owned());
    }
    let facade = read("crates/social-auth/Cargo.toml")?;
    let facade_lib = read("crates/social-auth/src/lib.rs")?;
    let readme = read("README.md")?;
    for name in providers()? {
        let krate = format!("social-{name}");
        if !facade.contains(&format!("{name} = [\"dep:{krate}\"]")) {
            problems.push(format!("the facade has no feature `{name}` for {krate}"));
        }
        if !facade_lib.contains(&format!("{}::backend()", krate.replace('-', "_"))) {
            problems.push(format!("social_auth::registry() does not register {krate}"));
        }
        if !readme.contains(&format!("| `{name}` |")) {
            problems.push(format!(
                "README.md's provider table has no row for `{name}`"
            ));
        }
        if !changelog.contains(&krate) {
            problems.push(format!("CHANGELOG.md never mentions {krate}"));
        }
    }
    if problems.is_empty() {
        eprintln!("xtask: tidy ok");
        Ok(())
    } else {
        Err(format!("tidy found:\n- {}", problems.join("\n- ")))
    }
}
