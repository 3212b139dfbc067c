//! Ponte's desktop shell: a window, a tray, the background sync, and commands that are a few
//! lines over `ponte_core::App`. All the logic lives in `ponte-core`.

mod autostart;
mod commands;
#[cfg(feature = "sandbox")]
mod demo;
mod links;
mod navigation;
mod profiles;
mod runner;
mod startup;
mod tray;
mod tray_icon;
mod updates;
#[cfg(test)]
mod window_types;

/// A build without the simulators has no *Modo demonstração*.
#[cfg(not(feature = "sandbox"))]
mod demo {
    pub struct Demo {
        pub config: ponte_core::Config,
    }

    impl Demo {
        pub async fn start() -> Result<Demo, Box<dyn std::error::Error>> {
            Err(ponte_core::problem::NO_DEMO_IN_THIS_BUILD.into())
        }

        pub async fn another_store(
            &self,
            _name: &ponte_core::profiles::ProfileName,
        ) -> Result<ponte_core::Config, String> {
            Err(ponte_core::problem::NO_DEMO_IN_THIS_BUILD.into())
        }
    }
}

use std::sync::Arc;

use tauri::{Emitter, Manager, RunEvent, WindowEvent};

/// Started with the computer (autostart): Ponte opens hidden, in the tray.
pub const HIDDEN_FLAG: &str = "--hidden";
/// Run by the Windows uninstaller when the merchant removes Ponte's data (`windows/hooks.nsh`).
pub const FORGET_KEYCHAIN_FLAG: &str = "--forget-keychain";

/// What the commands share.
pub struct Shell {
    /// Every profile, each at work; the window shows one.
    pub profiles: profiles::Profiles,
    /// What a profile added from the window is configured from (the first one's).
    pub config: ponte_core::Config,
    pub demo: Option<demo::Demo>,
    /// A new version found, waiting for the merchant's word.
    pub update: updates::Offered,
    /// A `ponte://` link refused, waiting for the window.
    pub link_notice: links::Notice,
    /// The window's page has loaded: a profile opened since need not wait for it.
    pub page_loaded: std::sync::atomic::AtomicBool,
}

impl Shell {
    /// The profile the window shows.
    pub fn shown(&self) -> Arc<profiles::Profile> {
        self.profiles.shown()
    }

    /// Every profile stops between two orders; waits until all have (*Sair*, updates).
    pub async fn stop_and_wait(&self) {
        let all = self.profiles.all();
        for profile in &all {
            profile.runner.stop();
        }
        for profile in &all {
            profile.runner.stop_and_wait().await;
        }
    }
}

/// Opens the profiles other than the first one, each with its lock; one another program holds
/// (a `ponte sync --profile`) or that fails to open is left closed, and said in the log.
fn open_other_profiles(
    handle: &tauri::AppHandle,
    config: &ponte_core::Config,
) -> Vec<Arc<profiles::Profile>> {
    let names = match ponte_core::profiles::list(&config.base_dir) {
        Ok(names) => names,
        Err(error) => {
            tracing::warn!(%error, "the profiles were not listed");
            return Vec::new();
        }
    };
    names
        .into_iter()
        .filter(|name| *name != config.profile)
        .filter_map(|name| {
            match startup::lock_and_open(&config.clone().for_profile(name.clone())) {
                Ok((lock, app)) => Some(profiles::Profile::start(handle, lock, app)),
                Err(problem) => {
                    tracing::warn!(profile = %name, code = problem.code.as_str(), "{}", problem.message);
                    None
                }
            }
        })
        .collect()
}

pub fn show_main_window(handle: &tauri::AppHandle) {
    #[cfg(target_os = "macos")]
    let _ = handle.set_activation_policy(tauri::ActivationPolicy::Regular);
    if let Some(window) = handle.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

fn hide_main_window(window: &tauri::Window) {
    let _ = window.hide();
    // On macOS, no Dock icon while only the tray is showing.
    #[cfg(target_os = "macos")]
    let _ = window
        .app_handle()
        .set_activation_policy(tauri::ActivationPolicy::Accessory);
}

pub fn run() {
    let _log_guard = startup::init_logging();
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|arg| arg == FORGET_KEYCHAIN_FLAG) {
        startup::forget_keychain();
    }
    let sandbox_mode = args.iter().any(|arg| arg == "--sandbox")
        || std::env::var("PONTE_SANDBOX").is_ok_and(|v| v == "1");
    let hidden = args.iter().any(|arg| arg == HIDDEN_FLAG);
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        sandbox_mode,
        hidden,
        "Ponte starting"
    );
    // Everything that can fail before a window exists fails here, visibly; but a data
    // directory already taken is most often the running Ponte, which the single-instance
    // plugin below hands this launch over to: that is looked at again once it has run.
    let prepared = match startup::prepare(sandbox_mode) {
        Ok(prepared) => prepared,
        Err(problem) => startup::fail(&problem),
    };
    let opened = match startup::lock_and_open(&prepared.config) {
        Ok(opened) => Some(opened),
        Err(problem) if problem.code == ponte_core::problem::ProblemCode::DataDirLocked => None,
        Err(problem) => startup::fail(&problem),
    };

    let built = tauri::Builder::default()
        // First: a second launch hands over to the running Ponte (whose window comes forward)
        // and ends, before it touches the data directory the first one holds.
        .plugin(tauri_plugin_single_instance::init(|handle, _args, _cwd| {
            show_main_window(handle);
        }))
        // After single-instance, which hands a second launch's `ponte://` link to it.
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(navigation::plugin())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .setup(move |tauri_app| {
            // No other Ponte took this launch over: the data directory is another
            // program's (a `ponte sync`), or free again.
            let (lock, app) = match opened {
                Some(opened) => opened,
                None => match startup::lock_and_open(&prepared.config) {
                    Ok(opened) => opened,
                    Err(problem) => {
                        startup::fail_in_app(tauri_app.handle(), &problem);
                        return Ok(());
                    }
                },
            };
            // The demo's ledger is not the merchant's: it leaves the system's entry alone.
            if prepared.demo.is_none() {
                autostart::reconcile(&app);
            }
            tray::open_on_click(tauri_app.handle());
            let handle = tauri_app.handle().clone();
            let first = profiles::Profile::start(&handle, lock, app);
            tauri_app.manage(Shell {
                profiles: profiles::Profiles::new(first),
                config: prepared.config.clone(),
                demo: prepared.demo,
                update: Default::default(),
                link_notice: Default::default(),
                page_loaded: Default::default(),
            });
            updates::watch(tauri_app.handle().clone());
            links::watch(tauri_app.handle());
            tray::build(tauri_app)?;
            // The other stores open once the window is on its way: twenty ledgers opened
            // first would hold its first paint for a second.
            let config = prepared.config.clone();
            tauri::async_runtime::spawn_blocking(move || {
                let shell = handle.state::<Shell>();
                let others = open_other_profiles(&handle, &config);
                if others.is_empty() {
                    return;
                }
                for other in others {
                    shell.profiles.insert(other.clone());
                    if shell.page_loaded.load(std::sync::atomic::Ordering::SeqCst) {
                        other.runner.page_loaded();
                    }
                }
                tray::follow(&handle);
                let _ = handle.emit(runner::OTHER_PROFILE, ());
            });
            if hidden {
                if let Some(window) = tauri_app.get_webview_window("main") {
                    let _ = window.hide();
                }
                #[cfg(target_os = "macos")]
                tauri_app.set_activation_policy(tauri::ActivationPolicy::Accessory);
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps Ponte syncing in the tray; *Sair* ends it.
            if let WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                hide_main_window(window);
                let shell = window.state::<Shell>();
                if shell
                    .profiles
                    .main()
                    .app
                    .store()
                    .first_time("close_to_tray_notice")
                    .unwrap_or(false)
                {
                    tray::notify(
                        window.app_handle(),
                        "O Ponte continua funcionando",
                        "As vendas pagas seguem chegando à Conta Azul. Para abrir de novo ou \
                         fechar de vez, use o ícone do Ponte na bandeja.",
                    );
                }
            }
        })
        .on_page_load(|webview, payload| {
            // In the log for support, and the mark `ponte-bench --app-vs-bare` times the
            // start up to.
            if matches!(payload.event(), tauri::webview::PageLoadEvent::Finished) {
                tracing::info!(window = webview.label(), "page loaded");
                if let Some(shell) = webview.try_state::<Shell>() {
                    shell
                        .page_loaded
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                    for profile in shell.profiles.all() {
                        profile.runner.page_loaded();
                    }
                }
            }
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!());
    let app = match built {
        Ok(app) => app,
        Err(error) => startup::fail(
            &ponte_core::Problem::window_not_created().with_details(error.to_string()),
        ),
    };
    app.run(|handle, event| match event {
        // A quit the merchant asked for (Cmd+Q, the Dock's *Encerrar*, a logout) waits for the
        // order being imported, as the tray's *Sair* does; the exit that follows goes through.
        RunEvent::ExitRequested {
            code: None, api, ..
        } => {
            api.prevent_exit();
            let handle = handle.clone();
            tauri::async_runtime::spawn(async move {
                if let Some(shell) = handle.try_state::<Shell>() {
                    shell.stop_and_wait().await;
                }
                tracing::info!("Ponte is closing");
                handle.exit(0);
            });
        }
        // macOS: a click on the Dock icon or the app in Finder while Ponte sits in the menu
        // bar brings the window back.
        #[cfg(target_os = "macos")]
        RunEvent::Reopen { .. } => show_main_window(handle),
        _ => {}
    });
}
