//! `suite!` lists every scenario of the crate, so no scenario is written and never run.

use std::{collections::BTreeSet, fs, path::Path};

/// `(module, scenario)` for every `pub async fn name<F: Frontend>()` under `src/`.
fn scenarios() -> BTreeSet<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeSet::new();
    let entries = fs::read_dir(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let module = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for line in text.lines() {
            if let Some(name) = line
                .strip_prefix("pub async fn ")
                .and_then(|rest| rest.strip_suffix("<F: Frontend>() {"))
            {
                found.insert((module.clone(), name.to_owned()));
            }
        }
    }
    found
}

/// `(module, scenario)` for every test `suite!` expands to.
fn listed() -> BTreeSet<(String, String)> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let text = fs::read_to_string(&lib).unwrap_or_else(|e| panic!("{}: {e}", lib.display()));
    let body = text
        .split("$crate::__scenarios! {")
        .nth(1)
        .and_then(|rest| rest.split("\n        }\n    };").next())
        .unwrap_or_else(|| panic!("suite! is not where it was"));
    let mut listed = BTreeSet::new();
    let mut module = None;
    for line in body.lines().skip(1).map(str::trim) {
        if let Some(name) = line.strip_suffix(" {") {
            module = Some(name.to_owned());
        } else if line == "}" {
            module = None;
        } else if let (Some(module), Some(name)) = (&module, line.strip_suffix(',')) {
            listed.insert((module.clone(), name.to_owned()));
        }
    }
    listed
}

#[test]
fn suite_lists_every_scenario() {
    let scenarios = scenarios();
    let listed = listed();
    assert!(scenarios.len() >= 44, "{scenarios:?}");
    assert_eq!(
        scenarios.difference(&listed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "scenarios missing from suite!"
    );
    assert_eq!(
        listed.difference(&scenarios).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "suite! lists what is no scenario"
    );
}
