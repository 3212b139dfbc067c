//! The tray: what state Ponte is in (on, off, orders waiting for the merchant, an account to
//! connect again), in its line and in its icon (`tray_icon`), and *Abrir*,
//! *Sincronizar agora*, *Sair*; a new version, once found, as *Instalar a versão …* (the window,
//! where the merchant confirms). *Sair* waits for the order being imported, never leaving a sale
//! half-sent.

use std::sync::Arc;

use ponte_core::app::TrayState;
use ponte_core::App;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::tray_icon::{self, Pixels};
use crate::Shell;

/// The window's event that opens an order's card (a click on its notification).
pub const OPEN_ORDER: &str = "ponte://open-order";

pub fn notify(handle: &AppHandle, title: &str, body: &str) {
    show(handle.notification().builder().title(title).body(body));
}

/// A notification about one order: a click on it opens the window at the order's card.
pub fn notify_order(handle: &AppHandle, title: &str, body: &str, order_id: u64) {
    show(
        handle
            .notification()
            .builder()
            .title(title)
            .body(body)
            .extra("order_id", order_id),
    );
}

fn show(notification: tauri_plugin_notification::NotificationBuilder<tauri::Wry>) {
    if let Err(error) = notification.show() {
        tracing::warn!(%error, "notification not shown");
    }
}

/// A click on one of Ponte's notifications brings the window forward, at the order's card
/// when it names one. Registered before the first notification: those shown earlier report
/// no click.
pub fn open_on_click(handle: &AppHandle) {
    let opener = handle.clone();
    let registered = handle.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        crate::show_main_window(&opener);
        let order = performed
            .notification()
            .and_then(|notification| notification.extra().get("order_id"))
            .and_then(serde_json::Value::as_u64);
        tracing::info!(order, "notification clicked");
        if let Some(order) = order {
            let _ = opener.emit(OPEN_ORDER, order);
        }
    });
    if let Err(error) = registered {
        tracing::warn!(%error, "notification clicks are not reported");
    }
}

/// The line the tray shows, in the merchant's words, and the state its icon shows.
fn state_of(app: &App) -> (String, TrayState) {
    match app.status() {
        Ok(status) => (status.line(), status.tray_state()),
        Err(error) => {
            tracing::warn!(%error, "the tray cannot read the status");
            ("Ponte".into(), TrayState::Fine)
        }
    }
}

/// The app's icon, in each state's dress.
struct Icons {
    base: Option<Pixels>,
}

impl Icons {
    fn of(tauri_app: &tauri::App) -> Icons {
        let base = tauri_app.default_window_icon().map(|icon| Pixels {
            width: icon.width(),
            height: icon.height(),
            rgba: icon.rgba().to_vec(),
        });
        Icons { base }
    }

    fn get(&self, state: TrayState) -> Option<Image<'static>> {
        let pixels = tray_icon::for_state(self.base.as_ref()?, state);
        Some(Image::new_owned(pixels.rgba, pixels.width, pixels.height))
    }
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
    let (line, mut shown) = state_of(&app);
    let icons = Icons::of(tauri_app);
    let state = MenuItem::with_id(tauri_app, "state", &line, false, None::<&str>)?;
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
        .tooltip(format!("Ponte — {line}"))
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
    if let Some(icon) = icons.get(shown) {
        tray = tray.icon(icon);
    }
    let tray = tray.build(tauri_app)?;
    tracing::info!(state = ?shown, "tray icon");

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
            let (line, now) = state_of(&app);
            let _ = state.set_text(&line);
            let _ = tray.set_tooltip(Some(format!("Ponte — {line}")));
            if now != shown {
                shown = now;
                if let Err(error) = tray.set_icon(icons.get(now)) {
                    tracing::warn!(%error, "the tray icon was not changed");
                }
                // The window tests read this line: the tray itself is out of their sight.
                tracing::info!(state = ?now, "tray icon");
            }
        }
    });
    Ok(())
}
