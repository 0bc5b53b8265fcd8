//! The edits that plug a new provider into the workspace.
//!
//! Each edit reads its file, finds its anchor — the last line about an existing provider
//! (a folder under `providers/`) of the list it extends — and inserts the new lines after it,
//! in the file's own style. An edit whose line is already there, or whose anchor is missing,
//! fails with a message naming the file; nothing is written then.

use std::{cmp::Ordering, fs, path::Path};

use super::{FileOut, Names, Protocol};

/// The root manifest.
pub(crate) const ROOT_MANIFEST: &str = "Cargo.toml";
/// The facade's manifest.
pub(crate) const FACADE_MANIFEST: &str = "crates/social-auth/Cargo.toml";
/// The facade's crate root.
pub(crate) const FACADE_LIB: &str = "crates/social-auth/src/lib.rs";
/// The README with the provider table.
pub(crate) const README: &str = "README.md";
/// The changelog.
pub(crate) const CHANGELOG: &str = "CHANGELOG.md";
/// social-core's crate root: the facade glob-imports it, so its modules' names are taken.
const CORE_LIB: &str = "crates/social-core/src/lib.rs";

/// The width lists are wrapped to in `Cargo.toml` (the root manifest's) and `CHANGELOG.md`.
const TOML_WIDTH: usize = 100;
const CHANGELOG_WIDTH: usize = 95;

/// Every edit, computed and checked, not written.
pub(crate) fn all(
    root: &Path,
    names: &Names,
    protocol: Protocol,
    providers: &[String],
) -> Result<Vec<FileOut>, String> {
    let read = |path: &str| crate::read(root, path);
    if let Ok(core) = fs::read_to_string(root.join(CORE_LIB)) {
        check_core_names(&core, names).map_err(|e| format!("{CORE_LIB}: {e}"))?;
    }
    let edit = |path: &'static str, result: Result<String, String>| {
        result
            .map(|text| FileOut {
                path: path.to_owned(),
                text,
            })
            .map_err(|e| format!("{path}: {e}"))
    };
    Ok(vec![
        edit(
            ROOT_MANIFEST,
            root_manifest(&read(ROOT_MANIFEST)?, names, providers),
        )?,
        edit(
            FACADE_MANIFEST,
            facade_manifest(&read(FACADE_MANIFEST)?, names, protocol, providers),
        )?,
        edit(FACADE_LIB, facade_lib(&read(FACADE_LIB)?, names, providers))?,
        edit(README, readme(&read(README)?, names, protocol, providers))?,
        edit(CHANGELOG, changelog(&read(CHANGELOG)?, names, protocol))?,
    ])
}

/// A text as lines, written back with its own line ending and final newline.
struct Lines {
    lines: Vec<String>,
    eol: &'static str,
    final_newline: bool,
}

impl Lines {
    fn new(text: &str) -> Self {
        Self {
            lines: text.lines().map(str::to_owned).collect(),
            eol: if text.contains("\r\n") { "\r\n" } else { "\n" },
            final_newline: text.ends_with('\n') || text.is_empty(),
        }
    }

    fn insert(&mut self, at: usize, new: impl IntoIterator<Item = String>) {
        let tail = self.lines.split_off(at);
        self.lines.extend(new);
        self.lines.extend(tail);
    }

    fn text(&self) -> String {
        let mut text = self.lines.join(self.eol);
        if self.final_newline {
            text.push_str(self.eol);
        }
        text
    }
}

/// The range of lines of the TOML table `[name]`, header excluded.
fn toml_table(lines: &[String], name: &str) -> Result<(usize, usize), String> {
    let header = format!("[{name}]");
    let start = lines
        .iter()
        .position(|l| l.trim() == header)
        .ok_or_else(|| format!("no `{header}` table"))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |i| start + 1 + i);
    Ok((start + 1, end))
}

/// The key of a TOML line: `social-github` for `social-github = {...}` and
/// `social-github.workspace = true`; `None` for comments, blank lines and array items.
fn toml_key(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.starts_with('#') || line.starts_with('"') {
        return None;
    }
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    Some(key.split_once('.').map_or(key, |(first, _)| first).trim())
}

/// The last line in `range` whose key names an existing provider as `key(provider)`.
fn last_provider_line(
    lines: &[String],
    (start, end): (usize, usize),
    providers: &[String],
    key: impl Fn(&str) -> String,
    also: impl Fn(&str, &str) -> bool,
) -> Option<usize> {
    (start..end).rev().find(|&i| {
        toml_key(&lines[i])
            .is_some_and(|k| providers.iter().any(|p| k == key(p) && also(&lines[i], p)))
    })
}

/// `[workspace.dependencies]`: `social-NAME = { path = "providers/NAME", version = ... }`
/// after the last provider's, with its version.
pub(crate) fn root_manifest(
    text: &str,
    names: &Names,
    providers: &[String],
) -> Result<String, String> {
    let mut doc = Lines::new(text);
    let table = toml_table(&doc.lines, "workspace.dependencies")?;
    if doc.lines.iter().any(|l| toml_key(l) == Some(&names.krate)) {
        return Err(format!("already has a `{}` dependency", names.krate));
    }
    let anchor = last_provider_line(
        &doc.lines,
        table,
        providers,
        |p| format!("social-{p}"),
        |line, p| line.contains(&format!("\"providers/{p}\"")),
    )
    .ok_or_else(|| {
        "[workspace.dependencies] has no `social-<provider> = { path = \"providers/<provider>\", \
         ... }` line to add the new crate after"
            .to_owned()
    })?;
    let version = quoted_value(&doc.lines[anchor], "version")
        .ok_or_else(|| format!("no `version = \"...\"` in `{}`", doc.lines[anchor].trim()))?;
    let indent = indent_of(&doc.lines[anchor]);
    doc.insert(
        anchor + 1,
        [format!(
            "{indent}{} = {{ path = \"providers/{}\", version = \"{version}\" }}",
            names.krate, names.name
        )],
    );
    Ok(doc.text())
}

/// The value of `key = "value"` in an inline table.
fn quoted_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = line.split(&format!("{key} = \"")).nth(1)?;
    rest.split('"').next()
}

fn indent_of(line: &str) -> &str {
    &line[..line.len() - line.trim_start().len()]
}

/// The facade's manifest: the feature with its doc line, the name in `full`, the optional
/// dependency.
pub(crate) fn facade_manifest(
    text: &str,
    names: &Names,
    protocol: Protocol,
    providers: &[String],
) -> Result<String, String> {
    let mut doc = Lines::new(text);
    let Names { name, krate, .. } = names;

    // [dependencies]
    let deps = toml_table(&doc.lines, "dependencies")?;
    if doc.lines[deps.0..deps.1]
        .iter()
        .any(|l| toml_key(l) == Some(krate))
    {
        return Err(format!("[dependencies] already has `{krate}`"));
    }
    let anchor = last_provider_line(
        &doc.lines,
        deps,
        providers,
        |p| format!("social-{p}"),
        |_, _| true,
    )
    .ok_or_else(|| {
        "[dependencies] has no `social-<provider> = ...` line to add the new crate after".to_owned()
    })?;
    let indent = indent_of(&doc.lines[anchor]).to_owned();
    doc.insert(
        anchor + 1,
        [format!(
            "{indent}{krate} = {{ workspace = true, optional = true }}"
        )],
    );

    // [features]: `full`, then the feature (above `full`'s lines or below, recomputed).
    let features = toml_table(&doc.lines, "features")?;
    if doc.lines[features.0..features.1]
        .iter()
        .any(|l| toml_key(l) == Some(name))
    {
        return Err(format!("[features] already has a feature `{name}`"));
    }
    add_to_full(&mut doc.lines, features, name, providers)?;
    let features = toml_table(&doc.lines, "features")?;
    let anchor = last_provider_line(&doc.lines, features, providers, str::to_owned, |line, p| {
        line.contains(&format!("\"dep:social-{p}\""))
    })
    .ok_or_else(|| {
        "[features] has no `<provider> = [\"dep:social-<provider>\"]` line to add the new \
         feature after"
            .to_owned()
    })?;
    // A feature whose list goes on over several lines ends at its `]`.
    let end = (anchor..features.1)
        .find(|&i| doc.lines[i].contains(']'))
        .ok_or_else(|| format!("the feature at `{}` never closes", doc.lines[anchor].trim()))?;
    let indent = indent_of(&doc.lines[anchor]).to_owned();
    doc.insert(
        end + 1,
        [
            format!("{indent}## {} ({}).", names.display, protocol.label()),
            format!("{indent}{name} = [\"dep:{krate}\"]"),
        ],
    );
    Ok(doc.text())
}

/// Adds `"name"` to the `full` feature after the last provider in it, keeping the list's
/// layout: on one line, one item a line, or items filled up to [`TOML_WIDTH`].
fn add_to_full(
    lines: &mut Vec<String>,
    (start, end): (usize, usize),
    name: &str,
    providers: &[String],
) -> Result<(), String> {
    let first = (start..end)
        .find(|&i| toml_key(&lines[i]) == Some("full"))
        .ok_or_else(|| "[features] has no `full` feature".to_owned())?;
    let last = (first..end)
        .find(|&i| lines[i].contains(']'))
        .ok_or_else(|| "the `full` feature's list never closes".to_owned())?;
    let text = lines[first..=last].join("\n");
    let (open, close) = match (text.find('['), text.rfind(']')) {
        (Some(open), Some(close)) if open < close => (open, close),
        _ => return Err("cannot read the `full` feature's list".to_owned()),
    };
    let inner = &text[open + 1..close];
    if inner.contains('#') {
        return Err(format!(
            "the `full` feature's list holds comments: add \"{name}\" to it by hand"
        ));
    }
    let mut items: Vec<String> = inner
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .map(str::to_owned)
        .collect();
    let quoted = format!("\"{name}\"");
    if items.contains(&quoted) {
        return Err(format!("the `full` feature already lists {quoted}"));
    }
    let at = items
        .iter()
        .rposition(|i| providers.iter().any(|p| *i == format!("\"{p}\"")))
        .map_or(0, |i| i + 1);
    items.insert(at, quoted);

    let head = &text[..=open];
    let new: Vec<String> = if first == last {
        // One line: `full = ["a", "b"]`.
        vec![format!("{head}{}{}", items.join(", "), &text[close..])]
    } else {
        let indent = lines[first + 1..last]
            .iter()
            .find(|l| !l.trim().is_empty())
            .map_or("    ", |l| indent_of(l))
            .to_owned();
        let one_a_line = lines[first + 1..last]
            .iter()
            .all(|l| l.matches('"').count() <= 2);
        let mut out = vec![head.to_owned()];
        if one_a_line {
            out.extend(items.iter().map(|i| format!("{indent}{i},")));
        } else {
            let mut line = String::new();
            for item in &items {
                let piece = format!("{item},");
                if !line.is_empty() && indent.len() + line.len() + 1 + piece.len() > TOML_WIDTH {
                    out.push(format!("{indent}{line}"));
                    line.clear();
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(&piece);
            }
            if !line.is_empty() {
                out.push(format!("{indent}{line}"));
            }
        }
        out.push(lines[last][lines[last].find(']').unwrap_or(0)..].to_owned());
        out
    };
    lines.splice(first..=last, new);
    Ok(())
}

/// The facade's crate root: the re-export, in rustfmt's order among the providers', and the
/// registry line after the last provider's.
pub(crate) fn facade_lib(
    text: &str,
    names: &Names,
    providers: &[String],
) -> Result<String, String> {
    let mut doc = Lines::new(text);
    let Names {
        name,
        crate_ident,
        ident,
        ..
    } = names;
    if doc.lines.iter().any(|l| {
        let l = l.trim();
        l.starts_with(&format!("pub use {crate_ident} ")) || l.contains(&format!("{crate_ident}::"))
    }) {
        return Err(format!("already uses `{crate_ident}`"));
    }
    if let Some(taken) = doc
        .lines
        .iter()
        .find(|l| l.trim().ends_with(&format!(" as {ident};")))
    {
        return Err(format!(
            "`{ident}` is already a re-export (`{}`): pick another NAME",
            taken.trim()
        ));
    }
    let idents: Vec<String> = providers
        .iter()
        .map(|p| format!("social_{}", p.replace('-', "_")))
        .collect();

    // The re-export.
    let is_reexport = |l: &str| {
        idents
            .iter()
            .any(|i| l.trim().starts_with(&format!("pub use {i} as ")))
    };
    let one = doc
        .lines
        .iter()
        .position(|l| is_reexport(l))
        .ok_or_else(|| {
            "no `pub use social_<provider> as <provider>;` line to add the re-export next to"
                .to_owned()
        })?;
    let in_group = |l: &str| {
        let l = l.trim();
        l.starts_with("#[") || l.starts_with("pub use ")
    };
    let mut start = one;
    while start > 0 && in_group(&doc.lines[start - 1]) {
        start -= 1;
    }
    let mut end = one;
    while end < doc.lines.len() && in_group(&doc.lines[end]) {
        end += 1;
    }
    // Entries: attributes, then their `pub use`; the new one goes before the first that
    // rustfmt sorts after it.
    let mut at = end;
    let mut entry_start = start;
    for i in start..end {
        let line = doc.lines[i].trim();
        if let Some(path) = line.strip_prefix("pub use ") {
            let path = path
                .split([' ', ';'])
                .next()
                .unwrap_or_default()
                .trim_end_matches("::*");
            if version_cmp(path, crate_ident) == Ordering::Greater {
                at = entry_start;
                break;
            }
            entry_start = i + 1;
        }
    }
    let indent = indent_of(&doc.lines[one]).to_owned();
    doc.insert(
        at,
        [
            format!("{indent}#[cfg(feature = \"{name}\")]"),
            format!("{indent}pub use {crate_ident} as {ident};"),
        ],
    );

    // The registry line.
    let is_add = |l: &str| {
        idents
            .iter()
            .any(|i| l.trim() == format!("add(Arc::new({i}::backend()));"))
    };
    let anchor = doc.lines.iter().rposition(|l| is_add(l)).ok_or_else(|| {
        "registry() has no `add(Arc::new(social_<provider>::backend()));` line to add the new \
         backend after"
            .to_owned()
    })?;
    let indent = indent_of(&doc.lines[anchor]).to_owned();
    doc.insert(
        anchor + 1,
        [
            format!("{indent}#[cfg(feature = \"{name}\")]"),
            format!("{indent}add(Arc::new({crate_ident}::backend()));"),
        ],
    );
    Ok(doc.text())
}

/// rustfmt's order of names (style edition 2024's "version sorting"): a name is a run of
/// chunks — a single `_`, a run of digits, a run of other characters — compared in turn: `_`
/// before anything else, two numbers by value, anything else as text; a name that runs out
/// first sorts first, and more leading zeroes first when all else is equal.
pub(crate) fn version_cmp(a: &str, b: &str) -> Ordering {
    #[derive(Clone, Copy)]
    enum Chunk<'a> {
        Underscore,
        Number(&'a str),
        Text(&'a str),
    }
    fn chunks(s: &str) -> Vec<Chunk<'_>> {
        let mut out = Vec::new();
        let mut rest = s;
        while let Some(first) = rest.chars().next() {
            let (chunk, len) = if first == '_' {
                (Chunk::Underscore, 1)
            } else if first.is_ascii_digit() {
                let len = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                (Chunk::Number(&rest[..len]), len)
            } else {
                let len = rest
                    .find(|c: char| c == '_' || c.is_ascii_digit())
                    .unwrap_or(rest.len());
                (Chunk::Text(&rest[..len]), len)
            };
            out.push(chunk);
            rest = &rest[len..];
        }
        out
    }
    let (a, b) = (chunks(a), chunks(b));
    let mut zeroes = Ordering::Equal;
    for (x, y) in a.iter().zip(&b) {
        let order = match (*x, *y) {
            (Chunk::Underscore, Chunk::Underscore) => Ordering::Equal,
            (Chunk::Underscore, _) => Ordering::Less,
            (_, Chunk::Underscore) => Ordering::Greater,
            (Chunk::Number(x), Chunk::Number(y)) => {
                let (vx, vy) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                let order = vx.len().cmp(&vy.len()).then_with(|| vx.cmp(vy));
                if order == Ordering::Equal && zeroes == Ordering::Equal {
                    zeroes = (y.len() - vy.len()).cmp(&(x.len() - vx.len()));
                }
                order
            }
            (Chunk::Number(x) | Chunk::Text(x), Chunk::Number(y) | Chunk::Text(y)) => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len()).then(zeroes)
}

/// README.md: a row in the table under `## Providers`, after the last provider's row, with
/// a `—` in every column it does not know.
pub(crate) fn readme(
    text: &str,
    names: &Names,
    protocol: Protocol,
    providers: &[String],
) -> Result<String, String> {
    let mut doc = Lines::new(text);
    let Names { name, krate, .. } = names;
    let row_key = format!("| `{name}` |");
    if doc.lines.iter().any(|l| l.contains(&row_key)) {
        return Err(format!("already has a row `{row_key}`"));
    }
    let heading = doc
        .lines
        .iter()
        .position(|l| l.trim() == "## Providers")
        .ok_or_else(|| "no `## Providers` section".to_owned())?;
    let section_end = doc.lines[heading + 1..]
        .iter()
        .position(|l| l.starts_with("## "))
        .map_or(doc.lines.len(), |i| heading + 1 + i);
    let header = (heading + 1..section_end)
        .find(|&i| doc.lines[i].trim_start().starts_with('|'))
        .ok_or_else(|| "no table under `## Providers`".to_owned())?;
    let is_separator = |l: &str| {
        let l = l.trim();
        l.starts_with('|') && l.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
    };
    if !doc.lines.get(header + 1).is_some_and(|l| is_separator(l)) {
        return Err("the table under `## Providers` has no `|---|` line under its header".into());
    }
    let columns = cells(&doc.lines[header]);
    let rows_end = (header + 2..doc.lines.len())
        .find(|&i| !doc.lines[i].trim_start().starts_with('|'))
        .unwrap_or(doc.lines.len());
    let anchor = (header + 2..rows_end)
        .rev()
        .find(|&i| {
            // A provider's row: its crate in a cell, or its name in the first.
            let row = cells(&doc.lines[i]);
            providers.iter().any(|p| {
                let krate = format!("social-{p}");
                row.first() == Some(&format!("`{p}`"))
                    || row
                        .iter()
                        .any(|c| *c == format!("`{krate}`") || *c == crate_cell(&krate))
            })
        })
        .ok_or_else(|| {
            "the table under `## Providers` has no row of a provider crate to add the new row \
             after"
                .to_owned()
        })?;
    let notes = format!(
        "scaffolded: placeholder endpoints on `{name}.example`, to fill in from the provider's \
         documentation"
    );
    let mut row: Vec<String> = columns
        .iter()
        .map(|column| {
            let column = column.to_ascii_lowercase();
            match column.as_str() {
                "provider" | "backend" | "name" => format!("`{name}`"),
                "crate" => crate_cell(krate),
                "protocol" => protocol.label().to_owned(),
                "feature" => format!("`{name}`"),
                "notes" => notes.clone(),
                _ => "—".to_owned(),
            }
        })
        .collect();
    if !row.iter().any(|c| *c == format!("`{name}`"))
        && let Some(first) = row.first_mut()
    {
        *first = format!("`{name}`");
    }
    let indent = indent_of(&doc.lines[anchor]).to_owned();
    doc.insert(anchor + 1, [format!("{indent}| {} |", row.join(" | "))]);
    Ok(doc.text())
}

/// A crate's cell in the provider table: its name, linked to its doc page on docs.rs.
fn crate_cell(krate: &str) -> String {
    format!("[`{krate}`](https://docs.rs/{krate})")
}

/// The cells of a Markdown table row, trimmed.
fn cells(row: &str) -> Vec<String> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    row.split('|').map(|c| c.trim().to_owned()).collect()
}

/// CHANGELOG.md: a line at the end of `### Added` under `## [Unreleased]`, made first if
/// missing.
pub(crate) fn changelog(text: &str, names: &Names, protocol: Protocol) -> Result<String, String> {
    let mut doc = Lines::new(text);
    let Names { krate, display, .. } = names;
    let entry = format!(
        "- {krate}: {display} login ({}), scaffolded; fill in its endpoints from the provider's \
         documentation.",
        protocol.label()
    );
    if doc
        .lines
        .iter()
        .any(|l| l.starts_with(&format!("- {krate}:")))
    {
        return Err(format!("already has an entry `- {krate}: ...`"));
    }
    let entry = wrap(&entry, CHANGELOG_WIDTH, "  ");
    let unreleased = doc
        .lines
        .iter()
        .position(|l| l.trim_start().starts_with("## [Unreleased]"))
        .ok_or_else(|| "no `## [Unreleased]` section".to_owned())?;
    let section_end = doc.lines[unreleased + 1..]
        .iter()
        .position(|l| l.starts_with("## "))
        .map_or(doc.lines.len(), |i| unreleased + 1 + i);
    let added = (unreleased + 1..section_end).find(|&i| doc.lines[i].trim() == "### Added");
    match added {
        Some(added) => {
            let end = (added + 1..section_end)
                .find(|&i| doc.lines[i].starts_with("### "))
                .unwrap_or(section_end);
            match (added + 1..end)
                .rev()
                .find(|&i| !doc.lines[i].trim().is_empty())
            {
                Some(last) => doc.insert(last + 1, entry),
                None => {
                    // An empty `### Added`: the entry under it, a blank line around.
                    let mut new = vec![String::new()];
                    new.extend(entry);
                    if end < doc.lines.len() {
                        new.push(String::new());
                    }
                    doc.lines.splice(added + 1..end, new);
                }
            }
        }
        None => {
            // Keep a Changelog puts `Added` first.
            let mut new = vec![String::new(), "### Added".to_owned(), String::new()];
            new.extend(entry);
            let next_blank = doc.lines.get(unreleased + 1).map(|l| l.trim().is_empty());
            match next_blank {
                Some(true) => {
                    new.remove(0);
                    new.push(String::new());
                    doc.insert(unreleased + 2, new);
                }
                Some(false) => {
                    new.push(String::new());
                    doc.insert(unreleased + 1, new);
                }
                None => doc.insert(unreleased + 1, new),
            }
        }
    }
    Ok(doc.text())
}

/// `text` filled to `width` columns, continuation lines indented by `indent`; a `code span`
/// is never broken.
pub(crate) fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut in_code = false;
    for word in text.split_whitespace() {
        match words.last_mut() {
            Some(last) if in_code => {
                last.push(' ');
                last.push_str(word);
            }
            _ => words.push(word.to_owned()),
        }
        if word.matches('`').count() % 2 == 1 {
            in_code = !in_code;
        }
    }
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in &words {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if line.is_empty() {
            if !lines.is_empty() {
                line.push_str(indent);
            }
        } else {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Refuses a name whose facade re-export would shadow what the facade glob-imports from
/// social-core: its public modules and the names it re-exports.
fn check_core_names(core_lib: &str, names: &Names) -> Result<(), String> {
    let ident = &names.ident;
    let modules = core_lib.lines().filter_map(|l| {
        l.trim()
            .strip_prefix("pub mod ")
            .map(|m| m.trim_end_matches(';').trim().to_owned())
    });
    if modules
        .chain(reexported_names(core_lib))
        .any(|taken| taken == *ident)
    {
        return Err(format!(
            "`{ident}` is a name social-core exports, and the facade re-exports social-core: \
             `social_auth::{ident}` would shadow it; pick another NAME"
        ));
    }
    Ok(())
}

/// The names the `pub use` items of `source` bring in: `b` for `a::b`, `c` for `a as c`,
/// `a` for `a::{self}`; globs bring none that can be told.
fn reexported_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("pub use ") {
        let item = &rest[start + "pub use ".len()..];
        let end = item.find(';').unwrap_or(item.len());
        let mut word = String::new();
        let mut last = String::new();
        // The path segment before each open `{`, for `self`.
        let mut groups: Vec<String> = Vec::new();
        for c in item[..end].chars().chain([';']) {
            if c.is_ascii_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                last = std::mem::take(&mut word);
            }
            match c {
                '{' => groups.push(std::mem::take(&mut last)),
                ',' | '}' | ';' => {
                    let name = std::mem::take(&mut last);
                    let name = if name == "self" {
                        groups.last().cloned().unwrap_or_default()
                    } else {
                        name
                    };
                    if !name.is_empty() {
                        names.push(name);
                    }
                    if c == '}' {
                        groups.pop();
                    }
                }
                ':' | ' ' | '\n' | '\r' | '\t' => {}
                _ => last.clear(),
            }
        }
        rest = &item[end..];
    }
    names
}
