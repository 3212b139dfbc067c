include!("command_names.rs");

// The package's manifest is the repository's top-level one (beside tauri.conf.json and icons/),
// so paths here are from the top; the shell's own files stay in src-tauri/.
const COMMANDS: &str = "src-tauri/src/commands.rs";

fn main() {
    println!("cargo:rerun-if-changed={COMMANDS}");
    println!("cargo:rerun-if-changed=src-tauri/command_names.rs");
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    let source = std::fs::read_to_string(COMMANDS).expect(COMMANDS);
    // The manifest wants them for the whole build: a build script's few bytes, never freed.
    let commands: &'static [&'static str] = Box::leak(
        command_names(&source)
            .into_iter()
            .map(|name| &*Box::leak(name.into_boxed_str()))
            .collect::<Vec<&'static str>>()
            .into_boxed_slice(),
    );
    // Each command gets an `allow-…` permission; the window's capability lists the ones it
    // may call (all of them, no plugin's but events): nothing is callable by default.
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .capabilities_path_pattern("src-tauri/capabilities/**/*")
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri-build");
}
