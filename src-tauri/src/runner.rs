//! The background sync while the app is open: a pass at every poll interval (R7) or on
//! *Sincronizar agora*; the core's events forwarded to the window, and a notification when an
//! order fails or the integration switches itself off.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use ponte_core::error::Error;
use ponte_core::sync::Event;
use ponte_core::App;
use serde::Serialize;
use tauri::{AppHandle, Emitter};
use tauri_plugin_notification::NotificationExt;
use tokio::sync::Notify;

#[derive(Clone, Debug, Default, Serialize)]
pub struct Schedule {
    pub running: bool,
    pub last_check_at: Option<DateTime<Utc>>,
    pub next_check_at: Option<DateTime<Utc>>,
}

pub struct Runner {
    trigger: Arc<Notify>,
    schedule: Arc<Mutex<Schedule>>,
}

pub const EVENT: &str = "ponte://event";
pub const SCHEDULE: &str = "ponte://schedule";

fn notify(handle: &AppHandle, title: &str, body: &str) {
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

impl Runner {
    pub fn start(handle: AppHandle, app: Arc<App>) -> Runner {
        let trigger = Arc::new(Notify::new());
        let schedule = Arc::new(Mutex::new(Schedule::default()));

        let mut events = app.subscribe();
        let forward = handle.clone();
        tauri::async_runtime::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        Event::SettingsChanged
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                };
                match &event {
                    Event::OrderFailed { problem, .. } => {
                        notify(&forward, "Pedido não importado", &problem.message)
                    }
                    Event::IntegrationDisabled(problem) => {
                        notify(&forward, "Integração desativada", &problem.message)
                    }
                    _ => {}
                }
                let _ = forward.emit(EVENT, &event);
            }
        });

        let loop_trigger = trigger.clone();
        let loop_schedule = schedule.clone();
        tauri::async_runtime::spawn(async move {
            loop {
                let settings = app.settings().ok();
                let ready = app
                    .status()
                    .map(|s| s.enabled && s.nuvemshop.connected && s.contaazul.connected)
                    .unwrap_or(false);
                if ready {
                    set(&handle, &loop_schedule, |s| s.running = true);
                    match app.sync_once().await {
                        Ok(report) => tracing::info!(?report, "pass"),
                        Err(Error::Disabled) => {}
                        Err(error) => tracing::warn!(%error, "pass stopped"),
                    }
                }
                let interval = settings
                    .map(|s| s.poll_interval())
                    .unwrap_or(ponte_core::config::DEFAULT_POLL_INTERVAL);
                let now = Utc::now();
                set(&handle, &loop_schedule, |s| {
                    s.running = false;
                    if ready {
                        s.last_check_at = Some(now);
                    }
                    s.next_check_at = ready
                        .then(|| now + chrono::Duration::from_std(interval).unwrap_or_default());
                });
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = loop_trigger.notified() => {}
                }
            }
        });
        Runner { trigger, schedule }
    }

    pub fn sync_now(&self) {
        self.trigger.notify_one();
    }

    pub fn schedule(&self) -> Schedule {
        self.schedule
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn set(handle: &AppHandle, schedule: &Mutex<Schedule>, change: impl FnOnce(&mut Schedule)) {
    let snapshot = {
        let mut schedule = schedule.lock().unwrap_or_else(|p| p.into_inner());
        change(&mut schedule);
        schedule.clone()
    };
    let _ = handle.emit(SCHEDULE, &snapshot);
}
