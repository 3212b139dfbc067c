//! *Iniciar o Ponte com o computador*: the merchant's choice is Ponte's own setting, kept with
//! its data; the entry the system reads at login is made from it, and made again at every start.
//!
//! Why not the autostart plugin: the entry it writes breaks where merchants are. On Windows the
//! `Run` value is the path unquoted (`C:\Users\Maria Silva\…\ponte-app.exe --hidden`), which
//! Windows splits at the first space; on macOS the path goes into the plist unescaped; and it
//! cannot tell an entry that points at an old place (a moved AppImage, a reinstall) from a good
//! one. Here the entry is written quoted or escaped, read back, and rewritten when it differs.
//!
//! - Windows: `HKCU\…\CurrentVersion\Run`, value `Ponte` (the name Tauri's uninstaller removes),
//!   `"<exe>" --hidden`. Switched off in Task Manager's *Inicializar* tab, the entry stays and
//!   Windows skips it: Ponte says so rather than show the switch on.
//! - macOS: a LaunchAgent, `~/Library/LaunchAgents/br.app.ponte.plist`. Not from a disk image
//!   or a quarantined download (a path that is gone at the next login): the merchant is asked to
//!   move Ponte to *Aplicativos* first.
//! - Linux: the XDG autostart entry `Ponte.desktop` (the AppImage's own path when run from one).

use std::path::{Path, PathBuf};

use crate::HIDDEN_FLAG;

/// The entry's name where the system shows one (the `Run` value, the `.desktop` file).
const NAME: &str = "Ponte";

/// What the system's entry says, or why there can be none.
#[derive(Debug)]
pub enum Failure {
    /// The merchant can fix it: Portuguese, shown as it is.
    Merchant(&'static str),
    /// The system refused: logged, the merchant told that it did not work.
    System(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Merchant(message) => f.write_str(message),
            Failure::System(error) => f.write_str(error),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Failure {
        Failure::System(error.to_string())
    }
}

/// Shown when macOS would start a copy that is not there at the next login.
pub use ponte_core::problem::MOVE_TO_APPLICATIONS;
/// Shown when Windows' Task Manager switched Ponte's start off.
pub const OFF_IN_TASK_MANAGER: &str = "O Windows desligou o início do Ponte com o computador (Gerenciador de Tarefas › Aplicativos de inicialização). Ligue esta opção de novo para o Ponte voltar a abrir com o computador.";

/// The program the entry starts: the AppImage itself rather than its mount point, which is gone
/// once it stops.
fn program() -> Result<PathBuf, Failure> {
    if cfg!(target_os = "linux") {
        if let Some(appimage) = std::env::var_os("APPIMAGE").filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(appimage));
        }
    }
    let exe = std::env::current_exe()?;
    Ok(exe.canonicalize().unwrap_or(exe))
}

/// macOS runs a downloaded app from a random read-only copy until it is moved (App
/// Translocation), and a disk image's copy is gone once ejected.
fn refuse_a_passing_copy(program: &Path) -> Result<(), Failure> {
    let text = program.to_string_lossy();
    if cfg!(target_os = "macos")
        && (text.contains("/AppTranslocation/") || text.starts_with("/Volumes/"))
    {
        return Err(Failure::Merchant(MOVE_TO_APPLICATIONS));
    }
    Ok(())
}

/// The `Run` value: the program quoted, so a space in the user's folder cannot split it.
#[cfg_attr(not(any(windows, test)), allow(dead_code))]
fn run_value(program: &Path) -> String {
    format!("\"{}\" {HIDDEN_FLAG}", program.display())
}

/// One argument of a desktop entry's `Exec` key, quoted and escaped as the Desktop Entry
/// Specification says: reserved characters quote it; inside the quotes `"`, `` ` ``, `$` and
/// `\` take a backslash; `%` is doubled (field codes); then the string type's own escaping
/// doubles every backslash.
#[cfg_attr(not(any(target_os = "linux", test)), allow(dead_code))]
fn exec_argument(argument: &str) -> String {
    const RESERVED: &[char] = &[
        ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(',
        ')', '`',
    ];
    let argument = argument.replace('%', "%%");
    let quoted = if argument.contains(RESERVED) {
        let mut quoted = String::from("\"");
        for c in argument.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                quoted.push('\\');
            }
            quoted.push(c);
        }
        quoted.push('"');
        quoted
    } else {
        argument
    };
    quoted.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg_attr(not(any(target_os = "linux", test)), allow(dead_code))]
fn desktop_entry(program: &Path) -> String {
    format!(
        "[Desktop Entry]\n\
         Type=Application\n\
         Version=1.0\n\
         Name={NAME}\n\
         Comment=Vendas pagas da Nuvemshop na Conta Azul\n\
         Exec={} {HIDDEN_FLAG}\n\
         Terminal=false\n\
         X-GNOME-Autostart-enabled=true\n",
        exec_argument(&program.to_string_lossy())
    )
}

#[cfg(any(target_os = "macos", test))]
fn launch_agent(program: &Path) -> Result<Vec<u8>, Failure> {
    let mut agent = plist::Dictionary::new();
    agent.insert(
        "Label".into(),
        ponte_core::data_dir::APP_IDENTIFIER.to_string().into(),
    );
    agent.insert(
        "ProgramArguments".into(),
        plist::Value::Array(vec![
            program.to_string_lossy().into_owned().into(),
            HIDDEN_FLAG.to_string().into(),
        ]),
    );
    agent.insert("RunAtLoad".into(), true.into());
    agent.insert("ProcessType".into(), "Interactive".to_string().into());
    let mut xml = Vec::new();
    plist::to_writer_xml(&mut xml, &plist::Value::Dictionary(agent))
        .map_err(|error| Failure::System(error.to_string()))?;
    Ok(xml)
}

/// The system's entry, through the system's own store.
trait Entry {
    /// What the entry says now, if there is one.
    fn read(&self) -> Result<Option<Vec<u8>>, Failure>;
    fn write(&self, content: &[u8]) -> Result<(), Failure>;
    fn remove(&self) -> Result<(), Failure>;
    /// What the entry should say for `program`.
    fn wanted(&self, program: &Path) -> Result<Vec<u8>, Failure>;
    /// Switched off by the system's own settings, the entry left in place.
    fn switched_off_by_the_system(&self) -> bool {
        false
    }
    /// The merchant turned it on in Ponte: whatever switched it off in the system is undone.
    fn switch_on_in_the_system(&self) {}
}

/// An entry that is a file (Linux, macOS).
#[cfg_attr(windows, allow(dead_code))]
struct FileEntry {
    path: PathBuf,
    make: fn(&Path) -> Result<Vec<u8>, Failure>,
}

impl Entry for FileEntry {
    fn read(&self) -> Result<Option<Vec<u8>>, Failure> {
        match std::fs::read(&self.path) {
            Ok(content) => Ok(Some(content)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    fn write(&self, content: &[u8]) -> Result<(), Failure> {
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // Written beside and renamed: a login never reads half an entry.
        let partial = self.path.with_extension("partial");
        std::fs::write(&partial, content)?;
        std::fs::rename(&partial, &self.path)?;
        Ok(())
    }

    fn remove(&self) -> Result<(), Failure> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    fn wanted(&self, program: &Path) -> Result<Vec<u8>, Failure> {
        (self.make)(program)
    }
}

#[cfg(target_os = "linux")]
fn entry() -> Result<Box<dyn Entry>, Failure> {
    let config = dirs::config_dir().ok_or_else(|| Failure::System("no config directory".into()))?;
    Ok(Box::new(FileEntry {
        path: config.join("autostart").join(format!("{NAME}.desktop")),
        make: |program| Ok(desktop_entry(program).into_bytes()),
    }))
}

#[cfg(target_os = "macos")]
fn entry() -> Result<Box<dyn Entry>, Failure> {
    let home = dirs::home_dir().ok_or_else(|| Failure::System("no home directory".into()))?;
    let agents = home.join("Library").join("LaunchAgents");
    Ok(Box::new(FileEntry {
        path: agents.join(format!("{}.plist", ponte_core::data_dir::APP_IDENTIFIER)),
        make: launch_agent,
    }))
}

#[cfg(windows)]
fn entry() -> Result<Box<dyn Entry>, Failure> {
    Ok(Box::new(windows::RunValue { name: NAME.into() }))
}

#[cfg(windows)]
mod windows {
    use super::*;
    use windows_registry::CURRENT_USER;

    const RUN: &str = r"Software\Microsoft\Windows\CurrentVersion\Run";
    /// Where Task Manager's *Inicializar* tab keeps its switch for each `Run` value: twelve
    /// bytes, the first even when allowed, odd when switched off.
    const APPROVED: &str =
        r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run";
    const APPROVED_ON: [u8; 12] = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const NOT_FOUND: u32 = 0x8007_0002;

    /// What the registry answered, a missing key or value as `None`.
    fn found<T>(answer: windows_registry::Result<T>) -> Result<Option<T>, Failure> {
        match answer {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.code().0 as u32 == NOT_FOUND => Ok(None),
            Err(error) => Err(Failure::System(error.to_string())),
        }
    }

    pub struct RunValue {
        pub name: String,
    }

    impl Entry for RunValue {
        fn read(&self) -> Result<Option<Vec<u8>>, Failure> {
            let value = found(
                CURRENT_USER
                    .open(RUN)
                    .and_then(|key| key.get_string(&self.name)),
            )?;
            Ok(value.map(String::into_bytes))
        }

        fn write(&self, content: &[u8]) -> Result<(), Failure> {
            let value = String::from_utf8_lossy(content);
            let written = CURRENT_USER
                .create(RUN)
                .and_then(|key| key.set_string(&self.name, value.as_ref()));
            found(written).map(drop)
        }

        fn remove(&self) -> Result<(), Failure> {
            let removed = CURRENT_USER
                .options()
                .write()
                .open(RUN)
                .and_then(|key| key.remove_value(&self.name));
            found(removed).map(drop)
        }

        fn wanted(&self, program: &Path) -> Result<Vec<u8>, Failure> {
            Ok(run_value(program).into_bytes())
        }

        fn switched_off_by_the_system(&self) -> bool {
            CURRENT_USER
                .open(APPROVED)
                .and_then(|key| key.get_value(&self.name))
                .is_ok_and(|value| value.first().is_some_and(|first| first % 2 == 1))
        }

        fn switch_on_in_the_system(&self) {
            if let Ok(key) = CURRENT_USER.options().write().open(APPROVED) {
                if let Err(error) =
                    key.set_bytes(&self.name, windows_registry::Type::Bytes, &APPROVED_ON)
                {
                    tracing::warn!(%error, "Task Manager's startup switch not turned on");
                }
            }
        }
    }
}

/// The state *Configurações* shows.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct State {
    pub on: bool,
    /// Why the system will not start Ponte although the merchant chose it (Portuguese).
    pub note: Option<&'static str>,
    /// What the setting now means, said when the merchant changes it.
    pub said: &'static str,
}

impl State {
    fn new(on: bool, note: Option<&'static str>) -> State {
        State {
            on,
            note,
            said: ponte_core::problem::autostart_said(on),
        }
    }
}

/// At every start: the entry made again from the merchant's choice (a moved program, an entry a
/// cleaner removed, an uninstall and reinstall that kept the data). Before any choice, an entry
/// an earlier version made is taken as the choice. Task Manager's switch is left as it is.
pub fn reconcile(app: &ponte_core::app::App) {
    if let Err(error) = entry().and_then(|entry| reconcile_with(app, entry.as_ref())) {
        tracing::warn!(%error, "the start-with-the-computer entry was not brought up to date");
    }
}

fn reconcile_with(app: &ponte_core::app::App, entry: &dyn Entry) -> Result<(), Failure> {
    let chosen = match app.start_with_computer().map_err(core_failure)? {
        Some(chosen) => chosen,
        None => {
            let found = entry.read()?.is_some();
            app.set_start_with_computer(found).map_err(core_failure)?;
            found
        }
    };
    if chosen {
        let program = program()?;
        refuse_a_passing_copy(&program)?;
        let wanted = entry.wanted(&program)?;
        if entry.read()?.as_deref() != Some(wanted.as_slice()) {
            entry.write(&wanted)?;
            tracing::info!("the start-with-the-computer entry was written again");
        }
    } else if entry.read()?.is_some() {
        entry.remove()?;
    }
    Ok(())
}

fn core_failure(error: ponte_core::error::Error) -> Failure {
    Failure::System(error.to_string())
}

/// The merchant's switch (the activation screen, *Configurações*).
pub fn set(app: &ponte_core::app::App, on: bool) -> Result<State, Failure> {
    let entry = entry()?;
    set_with(app, entry.as_ref(), on)
}

fn set_with(app: &ponte_core::app::App, entry: &dyn Entry, on: bool) -> Result<State, Failure> {
    if on {
        let program = program()?;
        refuse_a_passing_copy(&program)?;
        entry.write(&entry.wanted(&program)?)?;
        entry.switch_on_in_the_system();
    } else {
        entry.remove()?;
    }
    app.set_start_with_computer(on).map_err(core_failure)?;
    Ok(state_with(app, entry))
}

pub fn state(app: &ponte_core::app::App) -> State {
    match entry() {
        Ok(entry) => state_with(app, entry.as_ref()),
        Err(_) => State::new(false, None),
    }
}

fn state_with(app: &ponte_core::app::App, entry: &dyn Entry) -> State {
    let chosen = app.start_with_computer().ok().flatten().unwrap_or(false);
    let present = entry.read().ok().flatten().is_some();
    if chosen && present && entry.switched_off_by_the_system() {
        return State::new(false, Some(OFF_IN_TASK_MANAGER));
    }
    State::new(chosen && present, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_value_is_quoted_so_a_space_in_the_folder_cannot_split_it() {
        let program = Path::new(r"C:\Users\Maria Silva\AppData\Local\Ponte\ponte-app.exe");
        assert_eq!(
            run_value(program),
            r#""C:\Users\Maria Silva\AppData\Local\Ponte\ponte-app.exe" --hidden"#
        );
    }

    #[test]
    fn the_exec_key_quotes_and_escapes_as_the_desktop_entry_specification_says() {
        assert_eq!(exec_argument("/usr/bin/ponte-app"), "/usr/bin/ponte-app");
        assert_eq!(
            exec_argument("/home/maria silva/Ponte.AppImage"),
            r#""/home/maria silva/Ponte.AppImage""#
        );
        // A `$` quoted and escaped; the string type then doubles the backslash.
        assert_eq!(exec_argument("/opt/a$b"), r#""/opt/a\\$b""#);
        // A literal backslash: four in the file.
        assert_eq!(exec_argument(r"/opt/a\b"), r#""/opt/a\\\\b""#);
        assert_eq!(exec_argument("/opt/100%"), "/opt/100%%");
        let entry = desktop_entry(Path::new("/home/maria silva/Ponte.AppImage"));
        assert!(
            entry.contains("Exec=\"/home/maria silva/Ponte.AppImage\" --hidden\n"),
            "{entry}"
        );
        assert!(entry.starts_with("[Desktop Entry]\nType=Application\n"));
    }

    /// GLib, which GNOME's and most desktops' autostart use, reads the entry back into the very
    /// program and flag: a folder with a space and a `$` in its name.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_desktop_starts_exactly_the_program_the_entry_names() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("Maria Silva $loja");
        std::fs::create_dir_all(&folder).unwrap();
        let program = folder.join("ponte app");
        let said = dir.path().join("said");
        std::fs::write(
            &program,
            format!(
                "#!/bin/sh\nprintf '%s|%s' \"$0\" \"$*\" > '{}'\n",
                said.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let entry = dir.path().join("Ponte.desktop");
        std::fs::write(&entry, desktop_entry(&program)).unwrap();
        let launched = std::process::Command::new("gio")
            .arg("launch")
            .arg(&entry)
            .status()
            .expect("gio (package libglib2.0-bin)");
        assert!(launched.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !said.exists() {
            assert!(std::time::Instant::now() < deadline, "nothing started");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(
            std::fs::read_to_string(&said).unwrap(),
            format!("{}|--hidden", program.display())
        );
    }

    /// The registry itself: written quoted, read back, Task Manager's switch seen and undone,
    /// removed (twice: the second finds nothing and is fine). A value of this test's own name.
    #[cfg(windows)]
    #[test]
    fn the_run_value_goes_through_the_registry() {
        use windows_registry::CURRENT_USER;
        let entry = windows::RunValue {
            name: format!("Ponte-test-{}", std::process::id()),
        };
        let program = Path::new(r"C:\Users\Maria Silva\AppData\Local\Ponte\ponte-app.exe");
        let wanted = entry.wanted(program).unwrap();
        entry.write(&wanted).unwrap();
        let value = CURRENT_USER
            .open(r"Software\Microsoft\Windows\CurrentVersion\Run")
            .and_then(|key| key.get_string(&entry.name))
            .unwrap();
        assert_eq!(value, run_value(program));
        assert_eq!(entry.read().unwrap(), Some(wanted));
        assert!(!entry.switched_off_by_the_system());
        let approved = CURRENT_USER
            .create(r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run")
            .unwrap();
        approved
            .set_bytes(&entry.name, windows_registry::Type::Bytes, &[3; 12])
            .unwrap();
        assert!(entry.switched_off_by_the_system(), "off in Task Manager");
        entry.switch_on_in_the_system();
        assert!(!entry.switched_off_by_the_system());
        let _ = approved.remove_value(&entry.name);
        entry.remove().unwrap();
        entry.remove().unwrap();
        assert_eq!(entry.read().unwrap(), None);
    }

    #[test]
    fn the_launch_agent_escapes_the_path_and_starts_ponte_hidden() {
        let xml = launch_agent(Path::new(
            "/Applications/P&D <Loja>/Ponte.app/Contents/MacOS/ponte-app",
        ))
        .unwrap();
        let agent: plist::Dictionary = plist::from_bytes(&xml).unwrap();
        assert_eq!(agent["Label"].as_string(), Some("br.app.ponte"));
        let arguments: Vec<&str> = agent["ProgramArguments"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(plist::Value::as_string)
            .collect();
        assert_eq!(
            arguments,
            [
                "/Applications/P&D <Loja>/Ponte.app/Contents/MacOS/ponte-app",
                "--hidden"
            ]
        );
        assert_eq!(agent["RunAtLoad"].as_boolean(), Some(true));
        let text = String::from_utf8(xml).unwrap();
        assert!(text.contains("P&amp;D &lt;Loja&gt;"), "{text}");
    }

    #[test]
    fn a_copy_that_is_gone_at_the_next_login_is_refused_on_macos() {
        for passing in [
            "/private/var/folders/x/AppTranslocation/ABC/d/Ponte.app/Contents/MacOS/ponte-app",
            "/Volumes/Ponte/Ponte.app/Contents/MacOS/ponte-app",
        ] {
            let refused = refuse_a_passing_copy(Path::new(passing));
            assert_eq!(refused.is_err(), cfg!(target_os = "macos"), "{passing}");
        }
        assert!(refuse_a_passing_copy(Path::new(
            "/Applications/Ponte.app/Contents/MacOS/ponte-app"
        ))
        .is_ok());
    }

    fn app_in(dir: &Path) -> ponte_core::app::App {
        let data = dir.join("data");
        let config = ponte_core::config::Config::from_lookup(|key| match key {
            "PONTE_DATA_DIR" => Some(data.display().to_string()),
            "PONTE_TOKEN_STORE" => Some("file".into()),
            _ => None,
        })
        .unwrap();
        ponte_core::app::App::open(config).unwrap()
    }

    fn file_entry(dir: &Path) -> FileEntry {
        FileEntry {
            path: dir.join("autostart").join("Ponte.desktop"),
            make: |program| Ok(desktop_entry(program).into_bytes()),
        }
    }

    #[test]
    fn the_choice_is_kept_and_the_entry_made_again_at_every_start() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_in(dir.path());
        let entry = file_entry(dir.path());
        // No choice and no entry: off, and that is now the choice.
        reconcile_with(&app, &entry).unwrap();
        assert_eq!(app.start_with_computer().unwrap(), Some(false));
        assert!(entry.read().unwrap().is_none());

        let state = set_with(&app, &entry, true).unwrap();
        assert!(state.on && state.note.is_none());
        let wanted = entry.wanted(&program().unwrap()).unwrap();
        assert_eq!(entry.read().unwrap(), Some(wanted.clone()));

        // An entry pointing at an old place (a moved program) is written again…
        std::fs::write(
            &entry.path,
            desktop_entry(Path::new("/tmp/.mount_old/ponte-app")),
        )
        .unwrap();
        reconcile_with(&app, &entry).unwrap();
        assert_eq!(entry.read().unwrap(), Some(wanted.clone()));
        // …and one a cleaner removed comes back.
        std::fs::remove_file(&entry.path).unwrap();
        reconcile_with(&app, &entry).unwrap();
        assert_eq!(entry.read().unwrap(), Some(wanted));

        // Switched off: gone, and it stays gone.
        let state = set_with(&app, &entry, false).unwrap();
        assert!(!state.on);
        assert!(entry.read().unwrap().is_none());
        reconcile_with(&app, &entry).unwrap();
        assert!(entry.read().unwrap().is_none());
    }

    #[test]
    fn an_entry_an_earlier_version_made_is_taken_as_the_choice() {
        let dir = tempfile::tempdir().unwrap();
        let app = app_in(dir.path());
        let entry = file_entry(dir.path());
        entry
            .write(desktop_entry(Path::new("/usr/bin/ponte-app")).as_bytes())
            .unwrap();
        reconcile_with(&app, &entry).unwrap();
        assert_eq!(app.start_with_computer().unwrap(), Some(true));
        assert_eq!(
            entry.read().unwrap(),
            Some(entry.wanted(&program().unwrap()).unwrap()),
            "and brought up to date"
        );
    }
}
