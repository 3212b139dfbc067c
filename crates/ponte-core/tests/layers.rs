//! The core's modules stand in layers, each using only the layers below it, and no modules
//! form a circle. `LAYERS` is the map (bottom first); this test reads every `crate::…` path in
//! `src/` (tests aside) and fails on a path that reaches up a layer or closes a circle, naming
//! the file and the path, so that the structure stays as `docs/architecture.md` draws it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom first. A module is placed by the longest entry its path starts with.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "values: amounts, time, text, files, redaction",
        &[
            "money",
            "time",
            "files",
            "privacy",
            "rules::text",
            "stable_hash",
        ],
    ),
    ("merchant-facing text", &["problem"]),
    ("errors", &["error", "failpoint"]),
    (
        "the services' wire types and undocumented facts",
        &[
            "contaazul::wire",
            "contaazul::assumptions",
            "nuvemshop::wire",
        ],
    ),
    ("the article's rules, pure", &["rules"]),
    (
        "platform: settings, secrets, files, HTTP",
        &["profiles", "config", "secrets", "data_dir", "lock", "http"],
    ),
    (
        "API clients",
        &["contaazul", "nuvemshop", "oauth", "instant::feed"],
    ),
    ("the ledger", &["store", "company"]),
    ("the engine", &["sync", "export"]),
    ("history: backfill, reconciliation", &["history"]),
    ("the facade", &["app"]),
    ("what runs the facade", &["scheduler", "instant"]),
];

fn layer_of(path: &str) -> Option<(usize, &'static str)> {
    let mut best: Option<(usize, &'static str)> = None;
    for (layer, (_, modules)) in LAYERS.iter().enumerate() {
        for module in *modules {
            let prefix = path == *module || path.starts_with(&format!("{module}::"));
            if prefix && best.is_none_or(|(_, found)| module.len() > found.len()) {
                best = Some((layer, module));
            }
        }
    }
    best
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// `contaazul/client.rs` → `contaazul::client`; `sync/mod.rs` → `sync`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|last| last == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The code without comments and without its `#[cfg(test)]` module.
fn code(text: &str) -> String {
    let tests = [
        "#[cfg(test)]\nmod tests",
        "#[cfg(test)]\npub(crate) mod tests",
    ];
    let text = match tests.iter().filter_map(|start| text.find(start)).min() {
        Some(at) => &text[..at],
        None => text,
    };
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn path_at(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
        .collect::<String>()
        .trim_end_matches(':')
        .to_string()
}

/// Every `crate::…` path the code names, `crate::{a::b, c}` groups included.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut paths = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        paths.insert(path_at(item.trim()));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            paths.insert(path_at(item.trim()));
        } else {
            paths.insert(path_at(rest));
        }
    }
    paths.retain(|p| !p.is_empty());
    paths
}

/// Names `lib.rs` re-exports (`crate::App` is `app::App`).
fn reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for line in lib.lines().filter(|l| l.starts_with("pub use ")) {
        let body = line.trim_start_matches("pub use ").trim_end_matches(';');
        let Some((module, items)) = body.split_once("::") else {
            continue;
        };
        let items = items.trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let item = item.trim();
            let (original, alias) = item.split_once(" as ").unwrap_or((item, item));
            names.insert(
                alias.trim().to_string(),
                format!("{module}::{}", original.trim()),
            );
        }
    }
    names
}

#[test]
fn the_core_stands_in_layers_without_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let names = reexports(&lib);
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut problems = Vec::new();
    // Between the map's entries: which uses which, for the circles.
    let mut uses: BTreeMap<&'static str, BTreeSet<&'static str>> = BTreeMap::new();
    for file in &files {
        let module = module_of(&src, file);
        if module == "lib" {
            continue;
        }
        let Some((layer, entry)) = layer_of(&module) else {
            problems.push(format!("{module}: not in LAYERS"));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for path in crate_paths(&code(&text)) {
            let first = path.split("::").next().unwrap_or_default();
            let path = names
                .get(first)
                .map(|module| path.replacen(first, module, 1))
                .unwrap_or(path);
            let Some((used_layer, used)) = layer_of(&path) else {
                problems.push(format!("{module} uses crate::{path}, which is in no layer"));
                continue;
            };
            if used_layer > layer {
                problems.push(format!(
                    "{module} ({}) reaches up to crate::{path} ({})",
                    LAYERS[layer].0, LAYERS[used_layer].0
                ));
            }
            if used != entry {
                uses.entry(entry).or_default().insert(used);
            }
        }
    }
    // A circle: an entry that reaches itself.
    for start in uses.keys() {
        let mut seen = BTreeSet::new();
        let mut next: Vec<&str> = uses[start].iter().copied().collect();
        while let Some(at) = next.pop() {
            if at == *start {
                problems.push(format!("{start} is in a circle"));
                break;
            }
            if seen.insert(at) {
                next.extend(uses.get(at).into_iter().flatten().copied());
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn paths_are_read_from_groups_and_comments_are_not() {
    let paths = crate_paths(&code(
        "use crate::{store::{A, B}, time};\n// crate::app::X\nlet x = crate::money::brl(y);",
    ));
    assert_eq!(
        paths.into_iter().collect::<Vec<_>>(),
        ["money::brl", "store", "time"]
    );
    assert_eq!(
        layer_of("rules::text::clean_text").unwrap().1,
        "rules::text"
    );
    assert_eq!(layer_of("rules::sale").unwrap().1, "rules");
}
