//! Ponte's desktop shell: a window, a tray, the background sync, and commands that are a few
//! lines over `ponte_core::App`. All the logic lives in `ponte-core`.

mod commands;
#[cfg(feature = "sandbox")]
mod demo;
mod runner;

/// A build without the simulators has no *Modo demonstração*.
#[cfg(not(feature = "sandbox"))]
mod demo {
    pub struct Demo {
        pub config: ponte_core::Config,
    }

    impl Demo {
        pub async fn start() -> Result<Demo, Box<dyn std::error::Error>> {
            Err("Este Ponte foi instalado sem o modo demonstração.".into())
        }
    }
}

use std::sync::Arc;

use ponte_core::lock::DataDirLock;
use ponte_core::{App, Config};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{Manager, RunEvent, WindowEvent};

/// What the commands share.
pub struct Shell {
    pub app: Arc<App>,
    pub runner: runner::Runner,
    pub demo: Option<demo::Demo>,
    _lock: DataDirLock,
}

fn show_main_window(handle: &tauri::AppHandle) {
    if let Some(window) = handle.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PONTE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let sandbox_mode = std::env::args().any(|arg| arg == "--sandbox")
        || std::env::var("PONTE_SANDBOX").is_ok_and(|v| v == "1");

    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|handle, _args, _cwd| {
            // A second launch brings the first window forward instead of racing it.
            show_main_window(handle);
        }))
        .plugin(tauri_plugin_notification::init())
        .setup(move |tauri_app| {
            let (config, demo) = if sandbox_mode {
                let demo = tauri::async_runtime::block_on(demo::Demo::start())?;
                (demo.config.clone(), Some(demo))
            } else {
                let config = Config::from_env().map_err(|e| e.to_string())?;
                // A merchant's build connects through the broker only: no secret on the
                // machine. Development builds keep the direct mode (secrets from PONTE_*).
                #[cfg(not(debug_assertions))]
                let config = config.through_broker_only();
                (config, None)
            };
            let lock = DataDirLock::acquire(&config.data_dir).map_err(|e| e.problem().message)?;
            let app = Arc::new(App::open(config).map_err(|e| e.to_string())?);
            let runner = runner::Runner::start(tauri_app.handle().clone(), app.clone());
            tauri_app.manage(Shell {
                app,
                runner,
                demo,
                _lock: lock,
            });

            let open = MenuItem::with_id(tauri_app, "open", "Abrir o Ponte", true, None::<&str>)?;
            let sync =
                MenuItem::with_id(tauri_app, "sync", "Sincronizar agora", true, None::<&str>)?;
            let quit = MenuItem::with_id(tauri_app, "quit", "Sair", true, None::<&str>)?;
            let menu = Menu::with_items(tauri_app, &[&open, &sync, &quit])?;
            let mut tray = TrayIconBuilder::with_id("ponte")
                .tooltip("Ponte")
                .menu(&menu)
                .on_menu_event(|handle, event| match event.id.as_ref() {
                    "open" => show_main_window(handle),
                    "sync" => handle.state::<Shell>().runner.sync_now(),
                    "quit" => handle.exit(0),
                    _ => {}
                });
            if let Some(icon) = tauri_app.default_window_icon() {
                tray = tray.icon(icon.clone());
            }
            tray.build(tauri_app)?;
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps Ponte syncing in the tray; *Sair* ends it.
            if let WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!("../tauri.conf.json"))
        .expect("Ponte could not start")
        .run(|_handle, event| {
            if let RunEvent::ExitRequested { .. } = event {
                tracing::info!("Ponte is closing");
            }
        });
}
