//! What the window receives, as TypeScript declarations generated from the Rust types the
//! commands answer with (`src-tauri/window-types/`, committed). `tsc` then checks every module of
//! `ui/` against them (`tsconfig.json`): a field the window reads that no answer carries, or one
//! renamed in Rust, fails the test command instead of showing `undefined` to a merchant.
//!
//! `Answers.ts` maps each command to its answer, read from the `-> Answer<…>` of each
//! `#[tauri::command]` in `commands.rs`, so that the map cannot drift from the commands either.

use std::collections::BTreeMap;
use std::path::Path;

use ts_rs::{Config, TypeVisitor, TS};

/// Where the declarations live: beside the shell, outside `ui/` (whose files are all bundled).
const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src-tauri/window-types");

/// Set to write the declarations again after an answer type changed.
const WRITE: &str = "PONTE_WRITE_WINDOW_TYPES";

/// Every type a command answers with, by the name its `-> Answer<…>` spells.
macro_rules! answer_types {
    ($($name:ident => $ty:ty),* $(,)?) => {
        /// Every answer type and every type inside one: file name → declaration.
        fn declarations(config: &Config) -> BTreeMap<String, String> {
            let mut visitor = Declarations { config, files: BTreeMap::new() };
            $( visitor.visit::<$ty>(); )*
            visitor.files
        }
        const ANSWER_TYPES: &[&str] = &[$(stringify!($name)),*];
    };
}

answer_types! {
    Overview => crate::commands::Overview,
    About => crate::commands::About,
    State => crate::autostart::State,
    UpdateCheck => crate::updates::UpdateCheck,
    Seller => ponte_core::store::Seller,
    OrdersPage => ponte_core::app::OrdersPage,
    OrderPlan => ponte_core::history::OrderPlan,
    BackfillPreview => ponte_core::history::BackfillPreview,
    Planned => ponte_core::store::Planned,
    BackfillRecord => ponte_core::store::BackfillRecord,
    Reconciliation => ponte_core::history::Reconciliation,
    DayCount => ponte_core::app::DayCount,
    Payments => ponte_core::app::views::Payments,
    Options => ponte_core::store::Options,
    Lgpd => ponte_core::app::views::Lgpd,
    Diagnosis => ponte_core::doctor::Diagnosis,
    Problem => ponte_core::error::Problem,
}

/// Walks the types an answer is made of, each declared once in a file of its name (ts-rs's own
/// `export_all` merges into files it wrote earlier in the process, dropping imports).
struct Declarations<'a> {
    config: &'a Config,
    files: BTreeMap<String, String>,
}

impl TypeVisitor for Declarations<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        let Some(path) = T::output_path() else {
            return;
        };
        let name = path.to_string_lossy().into_owned();
        if self.files.contains_key(&name) {
            return;
        }
        let text = T::export_to_string(self.config).expect("a declaration");
        self.files.insert(name, text);
        T::visit_dependencies(self);
    }
}

/// Each command's answer as the source spells it (`Answer<…>`'s argument; `()` when none).
fn answers_in(source: &str) -> Vec<(String, String)> {
    let mut answers = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("#[tauri::command]") {
        rest = &rest[at..];
        let start = rest.find("fn ").expect("a command is a function") + 3;
        let name_end = start + rest[start..].find(['(', '<']).expect("a name");
        let name = rest[start..name_end].trim().to_string();
        let body = name_end + rest[name_end..].find(" {\n").expect("a body");
        let signature = &rest[name_end..body];
        let answer = match signature.rfind("-> Answer<") {
            Some(arrow) => {
                let inner = &signature[arrow + "-> Answer<".len()..];
                inner
                    .trim()
                    .strip_suffix('>')
                    .expect("Answer<…>")
                    .to_string()
            }
            None => {
                assert!(
                    !signature.contains("->"),
                    "{name} answers without Answer<…>"
                );
                "()".to_string()
            }
        };
        answers.push((name, answer));
        rest = &rest[body..];
    }
    answers
}

/// A Rust type as the window receives it through serde_json, in TypeScript.
fn typescript(rust: &str, named: &mut Vec<String>) -> String {
    let rust = rust.trim();
    let generic = |wrapper: &str| {
        rust.strip_prefix(wrapper)
            .and_then(|rest| rest.strip_prefix('<'))
            .and_then(|rest| rest.strip_suffix('>'))
    };
    if let Some(inner) = generic("Option") {
        return format!("{} | null", typescript(inner, named));
    }
    if let Some(inner) = generic("Vec") {
        return format!("Array<{}>", typescript(inner, named));
    }
    match rust {
        "()" => "null".to_string(),
        "String" => "string".to_string(),
        "bool" => "boolean".to_string(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i32" | "i64" => "number".to_string(),
        path => {
            let name = path.rsplit("::").next().expect("a name").to_string();
            assert!(
                ANSWER_TYPES.contains(&name.as_str()),
                "{path} is answered to the window: add it to answer_types!"
            );
            named.push(name.clone());
            name
        }
    }
}

/// `Answers.ts`: every command, its answer.
fn answers_module(source: &str) -> String {
    let mut named = Vec::new();
    let entries: Vec<String> = answers_in(source)
        .into_iter()
        .map(|(command, rust)| format!("  {command}: {};\n", typescript(&rust, &mut named)))
        .collect();
    named.sort();
    named.dedup();
    let imports: String = named
        .iter()
        .map(|name| format!("import type {{ {name} }} from \"./{name}\";\n"))
        .collect();
    format!(
        "// Generated from the `#[tauri::command]`s of src-tauri/src/commands.rs \
         (src-tauri/src/window_types.rs). Do not edit.\n{imports}\n\
         /** What each command answers the window with. */\nexport type Answers = {{\n{}}};\n",
        entries.concat()
    )
}

fn files_in(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.expect("a readable entry").path())
                .filter(|path| path.extension().is_some_and(|x| x == "ts"))
                .filter(|path| !path.to_string_lossy().ends_with(".d.ts"))
                .map(|path| {
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    (name, std::fs::read_to_string(&path).expect("readable"))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn the_windows_declarations_are_those_of_the_answers() {
    // serde_json writes every integer as a number, whatever its width.
    let config = Config::new().with_large_int("number");
    let mut generated = declarations(&config);
    generated.insert(
        "Answers.ts".to_string(),
        answers_module(include_str!("commands.rs")),
    );
    let committed = files_in(Path::new(DIR));
    if generated != committed && std::env::var_os(WRITE).is_some() {
        for name in committed
            .keys()
            .filter(|name| !generated.contains_key(*name))
        {
            std::fs::remove_file(Path::new(DIR).join(name)).unwrap();
        }
        for (name, text) in &generated {
            std::fs::write(Path::new(DIR).join(name), text).unwrap();
        }
        return;
    }
    for (name, text) in &generated {
        assert_eq!(
            committed.get(name),
            Some(text),
            "src-tauri/window-types/{name} is not what the Rust types say: \
             run `{WRITE}=1 cargo test -p ponte-app window_types` and commit"
        );
    }
    for name in committed.keys() {
        assert!(
            generated.contains_key(name),
            "src-tauri/window-types/{name} answers no command any more: run `{WRITE}=1 cargo \
             test -p ponte-app window_types`"
        );
    }
}

#[test]
fn every_command_has_its_answer_in_the_map() {
    let source = include_str!("commands.rs");
    let answers = answers_in(source);
    let names: Vec<&str> = answers.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.len(), 44, "{names:?}");
    assert!(answers.contains(&("overview".into(), "Overview".into())));
    assert!(answers.contains(&("sync_now".into(), "()".into())));
    assert!(answers.contains(&(
        "backfills".into(),
        "Vec<ponte_core::store::BackfillRecord>".into()
    )));
    let module = answers_module(source);
    assert!(
        module.contains("  backfills: Array<BackfillRecord>;\n"),
        "{module}"
    );
    assert!(
        module.contains("  diagnosis: Diagnosis | null;\n"),
        "{module}"
    );
    assert!(module.contains("  retry_all_failed: number;\n"), "{module}");
}
