//! `ponte://` links: the broker's page's way back when the browser cannot reach the loopback
//! listener. The system hands the link to Ponte: as the launch's only argument on Windows and
//! Linux (a running Ponte receives it from the second launch, through single-instance), as an
//! `Opened` event on macOS. The core takes it only for the connect in progress whose `state` it
//! carries; anything else is told to the merchant, who is asked to connect again.

use tauri::{AppHandle, Emitter, Manager};

use crate::Shell;

/// The window is told a link's outcome is waiting in the overview (`link_notice`).
pub const EVENT: &str = "ponte://link";

/// A link's refusal, kept until the window shows it: at a cold start the page is not there yet.
#[derive(Default)]
pub struct Notice(std::sync::Mutex<Option<ponte_core::Problem>>);

impl Notice {
    pub fn take(&self) -> Option<ponte_core::Problem> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    fn put(&self, problem: ponte_core::Problem) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(problem);
    }
}

/// The link this launch was started with, and those handed over later.
pub fn watch(handle: &AppHandle) {
    use tauri_plugin_deep_link::DeepLinkExt;
    let deep_link = handle.deep_link();
    // An AppImage is not installed: nothing told the desktop which program opens ponte://
    // (the .deb's entry does, and Windows' and macOS' bundles).
    #[cfg(target_os = "linux")]
    if std::env::var_os("APPIMAGE").is_some() {
        if let Err(error) = deep_link.register_all() {
            tracing::warn!(%error, "ponte:// not registered for this AppImage");
        }
    }
    if let Ok(Some(urls)) = deep_link.get_current() {
        for url in urls {
            follow(handle, url);
        }
    }
    let later = handle.clone();
    deep_link.on_open_url(move |event| {
        for url in event.urls() {
            follow(&later, url);
        }
    });
}

fn follow(handle: &AppHandle, url: tauri::Url) {
    crate::show_main_window(handle);
    let handle = handle.clone();
    tauri::async_runtime::spawn(async move {
        let Some(shell) = handle.try_state::<Shell>() else {
            return;
        };
        match return_to_its_profile(&shell, url.as_str()).await {
            Ok(service) => tracing::info!(service = service.name(), "connected through a link"),
            Err(error) => {
                tracing::warn!(%error, "a ponte:// link was refused");
                shell.link_notice.put(error.problem());
                let _ = handle.emit(EVENT, ());
            }
        }
    });
}

/// The way back belongs to the connect waiting in one profile: the shown one first.
async fn return_to_its_profile(
    shell: &Shell,
    link: &str,
) -> ponte_core::error::Result<ponte_core::error::Service> {
    let shown = shell.shown();
    let mut outcome = shown.app.return_through_link(link).await;
    for profile in shell.profiles.all() {
        if !matches!(
            outcome,
            Err(ponte_core::Error::ReturnCode(
                ponte_core::error::ReturnCodeRefusal::NotThisConnect
            ))
        ) {
            break;
        }
        if profile.name() != shown.name() {
            outcome = profile.app.return_through_link(link).await;
        }
    }
    outcome
}
