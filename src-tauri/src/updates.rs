//! Updates found without a click: Ponte lives in the tray for weeks, so it looks for a new
//! version a minute after it starts and then once a day. A version found is told once (the
//! window's banner, a notification, a line in the tray's menu) and installed only when the merchant says so, after the
//! order being imported (`commands::install_update`).

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_updater::{Update, UpdaterExt};

use crate::Shell;

/// The window hears of a version found here.
pub const EVENT: &str = "ponte://update";
/// Once a day, whatever the check found.
const EVERY: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone, Debug, PartialEq, Serialize, ts_rs::TS)]
pub struct UpdateOffer {
    pub version: String,
    pub notes: Option<String>,
    /// The dashboard's banner.
    pub banner: String,
    /// What *Configurações › Sobre o Ponte* says of it.
    pub offered: String,
}

impl UpdateOffer {
    pub fn new(version: String, notes: Option<String>) -> UpdateOffer {
        UpdateOffer {
            banner: ponte_core::problem::update_banner(&version),
            offered: ponte_core::problem::update_offered(&version),
            version,
            notes,
        }
    }
}

/// What *Verificar atualizações* found, and what to say of it.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct UpdateCheck {
    pub offer: Option<UpdateOffer>,
    pub said: String,
}

impl From<Option<UpdateOffer>> for UpdateCheck {
    fn from(offer: Option<UpdateOffer>) -> UpdateCheck {
        let said = offer.as_ref().map_or_else(
            || ponte_core::problem::UP_TO_DATE.to_string(),
            |offer| offer.offered.clone(),
        );
        UpdateCheck { offer, said }
    }
}

/// The version offered now, if any.
#[derive(Default)]
pub struct Offered(Mutex<Option<UpdateOffer>>);

impl Offered {
    pub fn get(&self) -> Option<UpdateOffer> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Keeps the offer; `true` when it is news (not the version already told).
    fn set(&self, offer: Option<UpdateOffer>) -> bool {
        let mut current = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let news = offer.is_some()
            && current.as_ref().map(|o| &o.version) != offer.as_ref().map(|o| &o.version);
        *current = offer;
        news
    }
}

/// The release's `latest.json`. A development build may be pointed elsewhere
/// (`PONTE_UPDATE_ENDPOINT`: the window tests' local server); a merchant's build never is.
pub async fn check(handle: &AppHandle) -> Result<Option<Update>, tauri_plugin_updater::Error> {
    let builder = handle.updater_builder();
    #[cfg(debug_assertions)]
    let builder = match std::env::var("PONTE_UPDATE_ENDPOINT")
        .ok()
        .and_then(|url| url.parse().ok())
    {
        Some(endpoint) => builder.endpoints(vec![endpoint])?,
        None => builder,
    };
    builder.build()?.check().await
}

/// Looks now, and keeps and tells what it found. The offer, when there is one.
pub async fn look(handle: &AppHandle) -> Result<Option<UpdateOffer>, tauri_plugin_updater::Error> {
    let offer = check(handle)
        .await?
        .map(|update| UpdateOffer::new(update.version.clone(), update.body.clone()));
    let shell = handle.state::<Shell>();
    if shell.update.set(offer.clone()) {
        if let Some(offer) = &offer {
            tracing::info!(version = offer.version, "an update is available");
            let _ = handle.emit(EVENT, offer);
            crate::tray::offer_update(handle, &offer.version);
            crate::tray::notify(
                handle,
                "Nova versão do Ponte",
                &format!(
                    "A versão {} está disponível. Abra o Ponte para instalar quando quiser.",
                    offer.version
                ),
            );
        }
    }
    Ok(offer)
}

/// A minute after the start (or sooner, for the window tests), then once a day.
pub fn watch(handle: AppHandle) {
    let first = std::env::var("PONTE_UPDATE_FIRST_CHECK_SECS")
        .ok()
        .filter(|_| cfg!(debug_assertions))
        .and_then(|secs| secs.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(60));
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(first).await;
        loop {
            if let Err(error) = look(&handle).await {
                // No network, no release yet: the next day's look, or the merchant's click.
                tracing::info!(%error, "no update check this time");
            }
            tokio::time::sleep(EVERY).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_news_once() {
        let offered = Offered::default();
        let offer = |v: &str| Some(UpdateOffer::new(v.into(), None));
        assert!(offered.set(offer("0.2.0")));
        assert!(!offered.set(offer("0.2.0")), "told already");
        let said = UpdateCheck::from(offer("0.2.0")).said;
        assert!(
            said.starts_with("A versão 0.2.0 está disponível."),
            "{said}"
        );
        assert_eq!(
            UpdateCheck::from(None).said,
            ponte_core::problem::UP_TO_DATE
        );
        assert!(offered.set(offer("0.3.0")));
        assert!(!offered.set(None));
        assert_eq!(offered.get(), None);
    }
}
