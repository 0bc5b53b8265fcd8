//! README's provider table agrees with the backends the facade registers: one row per
//! backend, its protocol and whether it does PKCE, refresh and revocation as the backend
//! itself declares. `UPDATE_README=1 cargo test -p social-auth --test readme` rewrites those
//! columns (and adds a row for a backend that has none; fill in its crate and notes).

use std::collections::BTreeSet;

const README: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
const HEADER: &str = "| Backend | Crate | Protocol | PKCE | Refresh | Revoke | Notes |";
const RULE: &str = "|---|---|---|---|---|---|---|";

fn yes(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// The backtick-quoted backend name of a row's first cell, if it names one.
fn backend_of(cell: &str) -> Option<&str> {
    cell.strip_prefix('`')?.strip_suffix('`')
}

#[test]
fn the_provider_table_matches_the_backends() {
    let text = std::fs::read_to_string(README).unwrap_or_else(|e| panic!("{README}: {e}"));
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == HEADER)
        .unwrap_or_else(|| panic!("README.md has no provider table headed `{HEADER}`"));
    assert_eq!(lines.get(start + 1).map(|l| l.trim()), Some(RULE));
    let end = lines[start + 2..]
        .iter()
        .position(|l| !l.starts_with('|'))
        .map_or(lines.len(), |i| start + 2 + i);

    let registry = social_auth::registry();
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
    for line in &lines[start + 2..end] {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // `| a | b | ... | g |` splits into an empty cell at each end.
        if cells.len() != 9 {
            problems.push(format!("a row without 7 columns: {line}"));
            rows.push((*line).to_owned());
            continue;
        }
        let Some(name) = backend_of(cells[1]) else {
            // Generic rows (`any name`) describe what settings create.
            rows.push((*line).to_owned());
            continue;
        };
        let Some(backend) = registry.get(name) else {
            problems.push(format!(
                "README lists `{name}`, which social_auth::registry() lacks"
            ));
            rows.push((*line).to_owned());
            continue;
        };
        seen.insert(name.to_owned());
        // The crate cell links to the crate's doc page (its README, on docs.rs).
        let linked = cells[2]
            .strip_prefix("[`")
            .and_then(|rest| rest.split_once("`](https://docs.rs/"))
            .is_some_and(|(krate, url)| url == format!("{krate})"));
        if !linked {
            problems.push(format!(
                "`{name}`: the crate cell `{}` is not [`social-x`](https://docs.rs/social-x)",
                cells[2]
            ));
        }
        let can = backend.capabilities();
        let generated = [
            backend.protocol().label(),
            yes(can.pkce),
            yes(can.refresh),
            yes(can.revoke),
        ];
        for (i, want) in generated.iter().enumerate() {
            if cells[3 + i] != *want {
                problems.push(format!(
                    "`{name}`: column {} says `{}`, the backend says `{want}`",
                    ["Protocol", "PKCE", "Refresh", "Revoke"][i],
                    cells[3 + i]
                ));
            }
        }
        rows.push(format!(
            "| `{name}` | {} | {} | {} | {} | {} | {} |",
            cells[2], generated[0], generated[1], generated[2], generated[3], cells[7]
        ));
    }
    for backend in registry.iter() {
        let name = backend.name();
        if !seen.contains(name) {
            problems.push(format!("README's provider table has no row for `{name}`"));
            let can = backend.capabilities();
            rows.push(format!(
                "| `{name}` | [`social-?`](https://docs.rs/social-?) | {} | {} | {} | {} |  |",
                backend.protocol().label(),
                yes(can.pkce),
                yes(can.refresh),
                yes(can.revoke)
            ));
        }
    }
    if problems.is_empty() {
        return;
    }
    if std::env::var_os("UPDATE_README").is_some() {
        let mut out: Vec<String> = lines[..start + 2].iter().map(|l| (*l).to_owned()).collect();
        out.extend(rows);
        out.extend(lines[end..].iter().map(|l| (*l).to_owned()));
        std::fs::write(README, out.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
        eprintln!("README.md rewritten: review it");
    }
    panic!(
        "README.md's provider table is out of date (UPDATE_README=1 rewrites the generated \
         columns):\n- {}",
        problems.join("\n- ")
    );
}

#[test]
fn the_quick_start_is_the_compiled_example() {
    let example = include_str!("../examples/quickstart.rs");
    // The example's first two lines say how to run it; the READMEs say so in prose.
    let code: String = example.lines().skip(2).map(|l| format!("{l}\n")).collect();
    let facade = include_str!("../README.md");
    let readme = std::fs::read_to_string(README).unwrap_or_else(|e| panic!("{README}: {e}"));
    // The facade's copy is a doctest (`no_run`); nothing compiles the root README's.
    for (name, text, fence) in [
        ("README.md", readme.as_str(), "rust,ignore"),
        ("crates/social-auth/README.md", facade, "rust,no_run"),
    ] {
        assert!(
            text.contains(&format!("```{fence}\n{code}```")),
            "{name}'s quick start differs from crates/social-auth/examples/quickstart.rs"
        );
    }
    assert!(
        code.lines().count() <= 40,
        "the quick start grew past 40 lines"
    );
    let actix = include_str!("../examples/quickstart_actix.rs");
    let actix: String = actix.lines().skip(2).map(|l| format!("{l}\n")).collect();
    assert!(
        readme.contains(&format!("```rust,ignore\n{actix}```")),
        "README.md's actix-web quick start differs from \
         crates/social-auth/examples/quickstart_actix.rs"
    );
    assert!(
        actix.lines().count() <= 40,
        "the actix-web quick start grew past 40 lines"
    );
}
