//! Least privilege for the window (issue 20): it may call Ponte's own commands, each named in
//! the app manifest (`build.rs`), and listen to events; no plugin's command.

include!("../command_names.rs");

fn handler_list(source: &str) -> Vec<String> {
    let list = source
        .split("tauri::generate_handler![")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("the handler list");
    list.split(',')
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn the_window_may_call_exactly_ponte_s_commands_and_listen_to_events() {
    let source = include_str!("../src/commands.rs");
    let mut commands = command_names(source);
    assert!(commands.len() > 30, "{commands:?}");
    let mut registered = handler_list(source);
    commands.sort();
    registered.sort();
    assert_eq!(
        registered, commands,
        "every command registered, and only those"
    );

    let capability: serde_json::Value =
        serde_json::from_str(include_str!("../capabilities/default.json")).unwrap();
    let mut granted: Vec<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    granted.sort();
    let mut expected: Vec<String> = commands
        .iter()
        .map(|name| format!("allow-{}", name.replace('_', "-")))
        .chain([
            "core:event:allow-listen".into(),
            "core:event:allow-unlisten".into(),
        ])
        .collect();
    expected.sort();
    assert_eq!(
        granted, expected,
        "no plugin's permission, no command left out"
    );
}

#[test]
fn command_names_are_read_from_their_marks() {
    let source = "#[tauri::command]\npub async fn one(x: u8) {}\nfn helper() {}\n\
                  #[tauri::command]\n#[allow(dead_code)]\npub fn two<R>() {}\n";
    assert_eq!(command_names(source), vec!["one", "two"]);
}
