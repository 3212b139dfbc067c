// The window's commands, read from the source that defines them: every function marked
// `#[tauri::command]` in `src/commands.rs`. Shared by `build.rs` (the app manifest: one
// permission per command) and the shell's tests (the capability grants exactly those).

/// The names of the functions marked `#[tauri::command]` in `source`, in order.
pub fn command_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut marked = false;
    for line in source.lines().map(str::trim) {
        if line == "#[tauri::command]" {
            marked = true;
            continue;
        }
        if marked && !line.starts_with("#[") {
            if let Some(rest) = line.split("fn ").nth(1) {
                if let Some(name) = rest.split(['(', '<']).next() {
                    names.push(name.trim().to_string());
                }
            }
            marked = false;
        }
    }
    names
}
