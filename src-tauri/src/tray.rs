//! The tray: what state Ponte is in (on, off, orders waiting for the merchant, an account to
//! connect again), in a line per profile (naming its store when there are several) and in its
//! icon (`tray_icon`, the most urgent of them), and *Abrir*,
//! *Sincronizar agora*, *Sair*; a new version, once found, as *Instalar a versão …* (the window,
//! where the merchant confirms). *Sair* waits for the order being imported, never leaving a sale
//! half-sent.

use ponte_core::app::profiles::ProfileSummary;
use ponte_core::app::TrayState;
use ponte_core::profiles::ProfileName;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;

use crate::profiles::Profiles;
use crate::tray_icon::{self, Pixels};
use crate::Shell;

/// The window's event that opens an order's card (a click on its notification).
pub const OPEN_ORDER: &str = "ponte://open-order";

pub fn notify(handle: &AppHandle, title: &str, body: &str) {
    show(handle.notification().builder().title(title).body(body));
}

/// A notification about one order of `profile`: a click on it opens the window at the order's
/// card, in that profile.
pub fn notify_order(
    handle: &AppHandle,
    profile: &ProfileName,
    title: &str,
    body: &str,
    order_id: u64,
) {
    show(
        handle
            .notification()
            .builder()
            .title(title)
            .body(body)
            .extra("order_id", order_id)
            .extra("profile", profile.as_str()),
    );
}

fn show(notification: tauri_plugin_notification::NotificationBuilder<tauri::Wry>) {
    if let Err(error) = notification.show() {
        tracing::warn!(%error, "notification not shown");
    }
}

/// A click on one of Ponte's notifications brings the window forward, at the order's card
/// (in its profile) when it names one. Registered before the first notification: those shown
/// earlier report no click.
pub fn open_on_click(handle: &AppHandle) {
    let opener = handle.clone();
    let registered = handle.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        crate::show_main_window(&opener);
        let extra = performed.notification().map(|n| n.extra().clone());
        let order = extra
            .as_ref()
            .and_then(|extra| extra.get("order_id"))
            .and_then(serde_json::Value::as_u64);
        let profile = extra
            .as_ref()
            .and_then(|extra| extra.get("profile"))
            .and_then(serde_json::Value::as_str)
            .and_then(|name| ProfileName::parse(name).ok());
        tracing::info!(order, profile = ?profile.as_ref().map(ProfileName::as_str), "notification clicked");
        if let (Some(profile), Some(shell)) = (profile, opener.try_state::<Shell>()) {
            let _ = shell.profiles.show(&profile);
        }
        if let Some(order) = order {
            let _ = opener.emit(OPEN_ORDER, order);
        }
    });
    if let Err(error) = registered {
        tracing::warn!(%error, "notification clicks are not reported");
    }
}

/// Each profile's line for the tray and the state its icon shows, from each profile's summary
/// as last read.
fn lines_of(profiles: &Profiles) -> (Vec<String>, TrayState) {
    let summaries: Vec<_> = profiles.all().iter().map(|p| p.summary()).collect();
    (
        tray_lines(&summaries),
        TrayState::of_all(summaries.iter().map(|s| s.attention)),
    )
}

/// Each profile's line, in the merchant's words: naming its store when there are several.
fn tray_lines(summaries: &[ProfileSummary]) -> Vec<String> {
    let several = summaries.len() > 1;
    summaries
        .iter()
        .map(|summary| {
            let store = several.then_some(summary.title.as_str());
            crate::profiles::named(store, &summary.line)
        })
        .collect()
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

/// The tray, kept to follow the profiles: one state line each, the icon for all of them, the
/// update's line once a version is found.
pub struct TrayMenu {
    menu: Menu<tauri::Wry>,
    tray: TrayIcon<tauri::Wry>,
    icons: Icons,
    /// The state lines at the top of the menu, one per profile.
    lines: std::sync::Mutex<Vec<MenuItem<tauri::Wry>>>,
    /// The icon's state now.
    shown: std::sync::Mutex<TrayState>,
    update: MenuItem<tauri::Wry>,
    update_shown: std::sync::atomic::AtomicBool,
}

/// A new version found: the tray offers it (below the state lines) until Ponte restarts.
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
        let below = tray.lines.lock().unwrap_or_else(|p| p.into_inner()).len();
        if let Err(error) = tray.menu.insert(&tray.update, below) {
            tracing::warn!(%error, "the tray does not offer the update");
        }
    }
}

/// The lines and the icon follow the profiles' ledgers and settings: each runner calls this
/// after its profile's events, and the shell when a profile is added or removed.
pub fn follow(handle: &AppHandle) {
    let (Some(tray), Some(shell)) = (handle.try_state::<TrayMenu>(), handle.try_state::<Shell>())
    else {
        return;
    };
    let (texts, now) = lines_of(&shell.profiles);
    {
        let mut lines = tray.lines.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() != texts.len() {
            for line in lines.drain(..) {
                let _ = tray.menu.remove(&line);
            }
            for (at, text) in texts.iter().enumerate() {
                match MenuItem::with_id(handle, format!("state-{at}"), text, false, None::<&str>) {
                    Ok(line) => {
                        let _ = tray.menu.insert(&line, at);
                        lines.push(line);
                    }
                    Err(error) => tracing::warn!(%error, "a tray line was not made"),
                }
            }
        } else {
            for (line, text) in lines.iter().zip(&texts) {
                let _ = line.set_text(text);
            }
        }
    }
    let _ = tray.tray.set_tooltip(Some(tooltip(&texts)));
    let mut shown = tray.shown.lock().unwrap_or_else(|p| p.into_inner());
    if now != *shown {
        *shown = now;
        if let Err(error) = tray.tray.set_icon(tray.icons.get(now)) {
            tracing::warn!(%error, "the tray icon was not changed");
        }
        // The window tests read this line: the tray itself is out of their sight.
        tracing::info!(state = ?now, "tray icon");
    }
}

fn tooltip(lines: &[String]) -> String {
    format!("Ponte — {}", lines.join("\n"))
}

/// Built once the shell (the profiles) is managed.
pub fn build(tauri_app: &tauri::App) -> tauri::Result<()> {
    let (texts, shown) = lines_of(&tauri_app.state::<Shell>().profiles);
    let icons = Icons::of(tauri_app);
    let mut lines = Vec::new();
    for (at, text) in texts.iter().enumerate() {
        lines.push(MenuItem::with_id(
            tauri_app,
            format!("state-{at}"),
            text,
            false,
            None::<&str>,
        )?);
    }
    let open = MenuItem::with_id(tauri_app, "open", "Abrir", true, None::<&str>)?;
    let sync = MenuItem::with_id(tauri_app, "sync", "Sincronizar agora", true, None::<&str>)?;
    let quit = MenuItem::with_id(tauri_app, "quit", "Sair", true, None::<&str>)?;
    let update = MenuItem::with_id(tauri_app, "update", "", true, None::<&str>)?;
    let menu = Menu::new(tauri_app)?;
    for line in &lines {
        menu.append(line)?;
    }
    menu.append_items(&[&open, &sync, &quit])?;
    let mut tray = TrayIconBuilder::with_id("ponte")
        .tooltip(tooltip(&texts))
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
            "sync" => {
                for profile in handle.state::<Shell>().profiles.all() {
                    profile.runner.sync_now();
                }
            }
            "quit" => {
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    // After the orders being imported, never in the middle of a sale.
                    handle.state::<Shell>().stop_and_wait().await;
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
    tauri_app.manage(TrayMenu {
        menu,
        tray,
        icons,
        lines: std::sync::Mutex::new(lines),
        shown: std::sync::Mutex::new(shown),
        update,
        update_shown: Default::default(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, title: &str, line: &str) -> ProfileSummary {
        ProfileSummary {
            name: ProfileName::parse(name).unwrap(),
            default: name == "principal",
            title: title.into(),
            store_name: Some(title.into()),
            company_name: None,
            enabled: true,
            imported_today: 0,
            counts: Default::default(),
            attention: TrayState::Fine,
            attention_message: None,
            line: line.into(),
        }
    }

    /// Issue 26: the tray's line names the store once there are several.
    #[test]
    fn the_tray_names_each_store_when_there_are_several() {
        let one = summary("principal", "Loja Um", "Integração ativada");
        assert_eq!(
            tray_lines(std::slice::from_ref(&one)),
            ["Integração ativada"]
        );
        let two = summary(
            "loja-2",
            "Loja Dois",
            "Integração ativada · 1 pedido não importado",
        );
        assert_eq!(
            tray_lines(&[one, two]),
            [
                "Loja Um · Integração ativada",
                "Loja Dois · Integração ativada · 1 pedido não importado"
            ]
        );
    }
}
