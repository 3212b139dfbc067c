//! What ships (issue 11): the Tauri configuration against Tauri's own schema, the bundle and
//! updater settings a merchant's installer depends on, and the release workflow's shape (it
//! cannot run here: GitHub runs it).

use serde_json::Value;

fn config() -> Value {
    serde_json::from_str(include_str!("../../tauri.conf.json")).expect("tauri.conf.json is JSON")
}

/// The schema the pinned Tauri CLI ships (`npm ci` puts it in node_modules).
fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/node_modules/@tauri-apps/cli/config.schema.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path}: {e} (run `npm ci` at the repository root)"));
    serde_json::from_str(&text).expect("the schema is JSON")
}

#[test]
fn the_configuration_follows_tauris_schema() {
    let schema = schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    for (name, text) in [
        ("tauri.conf.json", include_str!("../../tauri.conf.json")),
        (
            "tauri.release.conf.json",
            include_str!("../../tauri.release.conf.json"),
        ),
    ] {
        let mut instance: Value = serde_json::from_str(text).unwrap();
        if name == "tauri.release.conf.json" {
            // A merge patch: checked merged into the main configuration.
            let mut merged = config();
            merged["bundle"]["createUpdaterArtifacts"] =
                instance["bundle"]["createUpdaterArtifacts"].take();
            instance = merged;
        }
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }
}

#[test]
fn the_installers_are_what_the_merchant_expects() {
    let config = config();
    let bundle = &config["bundle"];
    let targets: Vec<&str> = bundle["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for target in ["nsis", "app", "dmg", "deb"] {
        assert!(targets.contains(&target), "{target} is built");
    }
    let icons: Vec<&str> = bundle["icon"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for icon in &icons {
        let path = format!("{}/{icon}", env!("CARGO_MANIFEST_DIR"));
        assert!(std::path::Path::new(&path).exists(), "{icon} exists");
    }
    assert!(
        icons.iter().any(|i| i.ends_with(".ico")),
        "Windows needs an .ico"
    );
    assert!(
        icons.iter().any(|i| i.ends_with(".icns")),
        "macOS needs an .icns"
    );
    let nsis = &bundle["windows"]["nsis"];
    assert_eq!(nsis["installMode"], "currentUser", "per user, no admin");
    assert_eq!(nsis["languages"][0], "PortugueseBR");
    assert_eq!(
        bundle["windows"]["webviewInstallMode"]["type"],
        "embedBootstrapper"
    );
    // The uninstaller's *remove data* box deletes %LOCALAPPDATA%\<identifier>: the data lives
    // there, and the hook that removes the keychain's key runs first, on removal only.
    assert_eq!(config["identifier"], ponte_core::data_dir::APP_IDENTIFIER);
    let hooks = nsis["installerHooks"].as_str().unwrap();
    let hooks = std::fs::read_to_string(format!("{}/{hooks}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let preuninstall = hooks
        .split("!macro NSIS_HOOK_PREUNINSTALL")
        .nth(1)
        .and_then(|rest| rest.split("!macroend").next())
        .expect("a pre-uninstall hook");
    assert!(preuninstall.contains("$DeleteAppDataCheckboxState = 1"));
    assert!(
        preuninstall.contains("$UpdateMode <> 1"),
        "not on an update"
    );
    assert!(preuninstall.contains(&format!(
        "\\${{MAINBINARYNAME}}.exe\" {}",
        ponte_app::FORGET_KEYCHAIN_FLAG
    )));
    // The broker's page's way back: registered by every bundle, the scheme the core takes.
    assert_eq!(
        config["plugins"]["deep-link"]["desktop"]["schemes"],
        serde_json::json!([ponte_core::LINK_SCHEME])
    );
    // Linux hands the link to the program only where the entry's Exec asks for it (`%u`):
    // Tauri's own entry does not.
    let template = bundle["linux"]["deb"]["desktopTemplate"].as_str().unwrap();
    let template =
        std::fs::read_to_string(format!("{}/{template}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    assert!(template.contains("\nExec={{exec}} %u\n"), "{template}");
    assert!(template.contains("MimeType={{mime_type}}"), "{template}");
    // Updates: signed, from the release's latest.json.
    let updater = &config["plugins"]["updater"];
    let pubkey = updater["pubkey"].as_str().unwrap();
    assert!(pubkey.len() > 100, "a minisign public key (base64)");
    let endpoint = updater["endpoints"][0].as_str().unwrap();
    assert!(endpoint.starts_with("https://") && endpoint.ends_with("/latest.json"));
    // Updater artefacts only in release builds (they need the private key).
    assert!(bundle.get("createUpdaterArtifacts").is_none());
    let release: Value =
        serde_json::from_str(include_str!("../../tauri.release.conf.json")).unwrap();
    assert_eq!(release["bundle"]["createUpdaterArtifacts"], true);
}

#[test]
fn the_release_workflow_checks_drafts_builds_every_platform_and_publishes_only_whole() {
    let text = include_str!("../../.github/workflows/release.yml");
    let workflow: Value = serde_norway::from_str(text).expect("the workflow is YAML");
    assert!(workflow["on"]["push"]["tags"][0]
        .as_str()
        .unwrap()
        .starts_with('v'));
    assert_eq!(workflow["permissions"]["contents"], "write");
    let jobs = &workflow["jobs"];
    for job in ["check", "draft", "build", "publish"] {
        assert!(jobs.get(job).is_some(), "job {job}");
        assert!(jobs[job]["runs-on"].is_string(), "{job} runs somewhere");
        assert!(jobs[job]["steps"].as_array().is_some_and(|s| !s.is_empty()));
    }
    assert_eq!(
        jobs["draft"]["needs"], "check",
        "nothing is built unchecked"
    );
    assert_eq!(jobs["build"]["needs"], "draft");
    assert_eq!(
        jobs["publish"]["needs"][1], "build",
        "the manifest is merged last"
    );
    let steps = |job: &str| -> String { jobs[job]["steps"].to_string() };
    assert!(steps("check").contains("node scripts/release/check.js"));
    assert!(
        steps("check").contains("tauri signer sign") && steps("check").contains(".sig"),
        "the signing key is proven against the app's public key"
    );
    assert!(steps("publish").contains("scripts/release/latest-json.js"));
    assert!(steps("publish").contains("missing") && steps("publish").contains("setFailed"));
    let platforms: Vec<String> = jobs["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            format!(
                "{} {}",
                entry["platform"].as_str().unwrap(),
                entry["args"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(platforms.len(), 3, "{platforms:?}");
    assert!(platforms.iter().any(|p| p.starts_with("windows")));
    assert!(platforms
        .iter()
        .any(|p| p.starts_with("macos") && p.contains("universal-apple-darwin")));
    assert!(platforms.iter().any(|p| p.starts_with("ubuntu")));
    let action = jobs["build"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| {
            step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("tauri-apps/tauri-action@"))
        })
        .expect("the Tauri project's own action builds");
    assert_eq!(action["with"]["includeUpdaterJson"], false);
    let args = action["with"]["args"].as_str().unwrap();
    assert!(args.contains("tauri.release.conf.json") && args.contains("--no-default-features"));
    // The top-level manifest is the workspace's too: without it every member would be built.
    assert!(args.contains("--package ponte-app"), "{args}");
    let env = &action["env"];
    for secret in ["TAURI_SIGNING_PRIVATE_KEY", "GITHUB_TOKEN"] {
        assert!(
            env[secret].as_str().unwrap().contains("secrets."),
            "{secret}"
        );
    }
    // Every action but tauri-action pinned by commit, its version beside it; GitHub's own on
    // the versions that run on a current Node.
    for workflow in [text, include_str!("../../.github/workflows/test.yml")] {
        for line in workflow
            .lines()
            .filter(|l| l.trim_start().trim_start_matches("- ").starts_with("uses:"))
        {
            let used = line.split("uses:").nth(1).unwrap().trim();
            if used.starts_with("tauri-apps/tauri-action@") {
                continue;
            }
            let (_, pin) = used.split_once('@').unwrap();
            let (sha, version) = pin.split_once(" # ").unwrap_or((pin, ""));
            assert!(
                sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                "{used}: pinned by commit"
            );
            assert!(!version.is_empty(), "{used}: the version it is");
        }
    }
    for (action, version) in [
        ("actions/checkout@", "v7"),
        ("actions/setup-node@", "v7"),
        ("actions/github-script@", "v8"),
    ] {
        for used in text.split(action).skip(1) {
            let line = used.lines().next().unwrap();
            assert!(line.contains(&format!("# {version}")), "{action}{line}");
        }
    }
    assert!(
        !text.contains("package-manager-cache: true")
            && text.contains("package-manager-cache: false"),
        "no dependency cache in the job that holds the signing keys"
    );
    // Every `${{ }}` expression is closed.
    assert_eq!(text.matches("${{").count(), text.matches("}}").count());
    // docs/release.md tells what the workflow does.
    let docs = include_str!("../../docs/release.md");
    for said in [
        "`check`",
        "`draft`",
        "`build`",
        "`publish`",
        "universal",
        "scripts/release/check.js",
        "windows-x86_64-nsis",
        "linux-x86_64-deb",
    ] {
        assert!(docs.contains(said), "docs/release.md does not say {said}");
    }
}

/// Issue 21: every push builds and tests on the three systems merchants use.
#[test]
fn every_push_is_built_and_tested_on_windows_macos_and_linux() {
    let text = include_str!("../../.github/workflows/test.yml");
    let workflow: Value = serde_norway::from_str(text).expect("the workflow is YAML");
    assert!(workflow["on"].get("push").is_some());
    let job = &workflow["jobs"]["test"];
    let systems: Vec<&str> = job["strategy"]["matrix"]["os"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for system in ["windows", "macos", "ubuntu"] {
        assert!(systems.iter().any(|s| s.starts_with(system)), "{system}");
    }
    let steps = job["steps"].to_string();
    for command in [
        "cargo test --locked -p ponte-core -p ponte-cli -p ponte-broker",
        "cargo test --locked -p ponte-app --lib",
        "cargo check --locked -p ponte-app",
        "--no-default-features",
    ] {
        assert!(steps.contains(command), "{command}");
    }
}

/// The Windows installer's hooks compile with NSIS (warnings as errors: a misspelt variable
/// is a warning), inserted where Tauri's template inserts them: the file included before the
/// template's defines, the pre-uninstall macro in the uninstall section.
#[cfg(target_os = "linux")]
#[test]
fn the_windows_installers_hooks_compile() {
    let config = config();
    let hooks = config["bundle"]["windows"]["nsis"]["installerHooks"]
        .as_str()
        .unwrap();
    let hooks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(hooks);
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("installer.nsi");
    std::fs::write(
        &script,
        format!(
            r#"Unicode true
!include LogicLib.nsh
!include "{hooks}"
!define MAINBINARYNAME "ponte-app"
Name "Ponte"
OutFile "{out}"
InstallDir "$LOCALAPPDATA\Ponte"
Var DeleteAppDataCheckboxState
Var UpdateMode
Section
  SetOutPath "$INSTDIR"
  WriteUninstaller "$INSTDIR\uninstall.exe"
SectionEnd
Function un.onInit
  StrCpy $DeleteAppDataCheckboxState 0
  StrCpy $UpdateMode 0
FunctionEnd
Section Uninstall
  !insertmacro NSIS_HOOK_PREUNINSTALL
SectionEnd
"#,
            hooks = hooks.display(),
            out = dir.path().join("Ponte_x64-setup.exe").display(),
        ),
    )
    .unwrap();
    let output = std::process::Command::new("makensis")
        .args(["-WX", "-V2"])
        .arg(&script)
        .output()
        .expect("makensis (package nsis; scripts/test.sh installs it)");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
