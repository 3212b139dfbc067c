//! The tray: what state Ponte is in (on, off, orders waiting for the merchant) and *Abrir*,
//! *Sincronizar agora*, *Sair*; a new version, once found, as *Instalar a versão …* (the window,
//! where the merchant confirms). *Sair* waits for the order being imported, never leaving a sale
//! half-sent.

use std::sync::Arc;

use ponte_core::App;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::Shell;

pub fn notify(handle: &AppHandle, title: &str, body: &str) {
    if let Err(error) = handle
        .notification()
        .builder()
        .title(title)
        .body(body)
        .show()
    {
        tracing::warn!(%error, "notification not shown");
    }
}

/// The line the tray shows, in the merchant's words.
pub fn state_line(app: &App) -> String {
    let Ok(status) = app.status() else {
        return "Ponte".into();
    };
    status.line()
}

/// The menu, kept to add the update's line once a version is found.
pub struct TrayMenu {
    menu: Menu<tauri::Wry>,
    update: MenuItem<tauri::Wry>,
    update_shown: std::sync::atomic::AtomicBool,
}

/// A new version found: the tray offers it (below the state line) until Ponte restarts.
pub fn offer_update(handle: &AppHandle, version: &str) {
    let Some(tray) = handle.try_state::<TrayMenu>() else {
        return;
    };
    let _ = tray
        .update
        .set_text(ponte_core::problem::update_tray_line(version));
    if !tray
        .update_shown
        .swap(true, std::sync::atomic::Ordering::SeqCst)
    {
        if let Err(error) = tray.menu.insert(&tray.update, 1) {
            tracing::warn!(%error, "the tray does not offer the update");
        }
    }
}

pub fn build(tauri_app: &mut tauri::App, app: Arc<App>) -> tauri::Result<()> {
    let state = MenuItem::with_id(tauri_app, "state", state_line(&app), false, None::<&str>)?;
    let open = MenuItem::with_id(tauri_app, "open", "Abrir", true, None::<&str>)?;
    let sync = MenuItem::with_id(tauri_app, "sync", "Sincronizar agora", true, None::<&str>)?;
    let quit = MenuItem::with_id(tauri_app, "quit", "Sair", true, None::<&str>)?;
    let update = MenuItem::with_id(tauri_app, "update", "", true, None::<&str>)?;
    let menu = Menu::with_items(tauri_app, &[&state, &open, &sync, &quit])?;
    tauri_app.manage(TrayMenu {
        menu: menu.clone(),
        update,
        update_shown: Default::default(),
    });
    let mut tray = TrayIconBuilder::with_id("ponte")
        .tooltip(format!("Ponte — {}", state_line(&app)))
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_tray_icon_event(|tray, event| {
            if let tauri::tray::TrayIconEvent::Click {
                button: tauri::tray::MouseButton::Left,
                button_state: tauri::tray::MouseButtonState::Up,
                ..
            } = event
            {
                crate::show_main_window(tray.app_handle());
            }
        })
        .on_menu_event(|handle, event| match event.id.as_ref() {
            // The window shows the banner with *Instalar e reiniciar*: the merchant's word.
            "open" | "update" => crate::show_main_window(handle),
            "sync" => handle.state::<Shell>().runner.sync_now(),
            "quit" => {
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    // After the order being imported, never in the middle of a sale.
                    handle.state::<Shell>().runner.stop_and_wait().await;
                    handle.exit(0);
                });
            }
            _ => {}
        });
    if let Some(icon) = tauri_app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    let tray = tray.build(tauri_app)?;

    // The state line follows the ledger and the settings.
    let mut events = app.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                // A pass's progress changes no count the line shows: one read per order is
                // enough (its OrderChanged).
                Ok(ponte_core::sync::Event::Progress { .. }) => continue,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
            let line = state_line(&app);
            let _ = state.set_text(&line);
            let _ = tray.set_tooltip(Some(format!("Ponte — {line}")));
        }
    });
    Ok(())
}
