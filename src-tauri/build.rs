include!("command_names.rs");

fn main() {
    println!("cargo:rerun-if-changed=src/commands.rs");
    println!("cargo:rerun-if-changed=command_names.rs");
    let source = std::fs::read_to_string("src/commands.rs").expect("src/commands.rs");
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
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri-build");
}
