//! The background sync while the app is open: the core's scheduler (a pass at every poll
//! interval, R7, or on *Sincronizar agora*), its schedule and the engine's events forwarded to
//! the window, and a notification when an order fails or the integration switches itself off.

use std::sync::Arc;

use ponte_core::scheduler::{Scheduler, Turn};
use ponte_core::sync::Event;
use ponte_core::App;
use tauri::{AppHandle, Emitter};

pub use ponte_core::scheduler::Schedule;

/// The core's scheduler, with its schedule and the engine's events forwarded to the window.
pub struct Runner {
    scheduler: Arc<Scheduler>,
    running: std::sync::Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
    page_loaded: Arc<tokio::sync::Notify>,
}

/// The first pass waits for the window's page (at most this long, for a start in the tray),
/// so that it does not compete with the WebView's own start on a two-core machine.
const FIRST_PASS_WAITS_AT_MOST: std::time::Duration = std::time::Duration::from_secs(3);

pub const EVENT: &str = "ponte://event";
pub const SCHEDULE: &str = "ponte://schedule";

use crate::tray::{notify, notify_order};

impl Runner {
    pub fn start(handle: AppHandle, app: Arc<App>) -> Runner {
        let scheduler = Scheduler::new(app.clone());

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
                    // A notification stays in the system's list, out of Ponte's reach: it names
                    // the order and the kind of problem, never the buyer's particulars (an
                    // order's message may quote a name or a document; LGPD may erase them).
                    Event::OrderFailed {
                        order_id,
                        number,
                        problem,
                    } => notify_order(
                        &forward,
                        &ponte_core::problem::order_not_imported_title(*number),
                        problem.code.message(),
                        *order_id,
                    ),
                    Event::IntegrationDisabled(problem) => notify(
                        &forward,
                        ponte_core::problem::integration_label(false),
                        &problem.message,
                    ),
                    Event::ChangedAfterImport {
                        order_id,
                        number,
                        message,
                    } => notify_order(
                        &forward,
                        &ponte_core::problem::order_changed_title(*number),
                        message,
                        *order_id,
                    ),
                    _ => {}
                }
                let _ = forward.emit(EVENT, &event);
            }
        });

        let mut schedules = scheduler.subscribe();
        tauri::async_runtime::spawn(async move {
            while let Ok(schedule) = schedules.recv().await {
                let _ = handle.emit(SCHEDULE, &schedule);
            }
        });

        let page_loaded = Arc::new(tokio::sync::Notify::new());
        let loaded = page_loaded.clone();
        let running = scheduler.clone();
        let run = tauri::async_runtime::spawn(async move {
            let _ = tokio::time::timeout(FIRST_PASS_WAITS_AT_MOST, loaded.notified()).await;
            // Instant import: the broker's events wake the scheduler; LGPD requests are
            // carried out.
            tauri::async_runtime::spawn(ponte_core::instant::listen(running.clone()));
            running
                .run(|turn| {
                    match turn {
                        Turn::Pass(Ok(report)) => tracing::info!(?report, "pass"),
                        Turn::Pass(Err(error)) => tracing::warn!(%error, "pass stopped"),
                        Turn::NotReady(_) => {}
                    }
                    true
                })
                .await;
        });
        Runner {
            scheduler,
            running: std::sync::Mutex::new(Some(run)),
            page_loaded,
        }
    }

    /// The window's page has loaded: the first pass may start.
    pub fn page_loaded(&self) {
        self.page_loaded.notify_one();
    }

    /// Stops between two orders and waits until it has: *Sair* and updates call it.
    pub async fn stop_and_wait(&self) {
        self.scheduler.stop();
        let run = self.running.lock().ok().and_then(|mut run| run.take());
        if let Some(run) = run {
            let _ = run.await;
        }
    }

    pub fn sync_now(&self) {
        self.scheduler.sync_now();
    }

    pub fn schedule(&self) -> Schedule {
        self.scheduler.schedule()
    }
}
