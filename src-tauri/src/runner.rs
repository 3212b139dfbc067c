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
    running: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// What follows the profile beside the passes (events to the window, the schedule, instant
    /// import): ended once the passes have, so that nothing holds the profile's ledger open
    /// (a profile removed from the window is deleted right after; Windows deletes no open file).
    beside: Arc<std::sync::Mutex<Vec<JoinHandle<()>>>>,
    page_loaded: Arc<tokio::sync::Notify>,
}

type JoinHandle<T> = tauri::async_runtime::JoinHandle<T>;

/// The first pass waits for the window's page (at most this long, for a start in the tray),
/// so that it does not compete with the WebView's own start on a two-core machine.
const FIRST_PASS_WAITS_AT_MOST: std::time::Duration = std::time::Duration::from_secs(3);

pub const EVENT: &str = "ponte://event";
pub const SCHEDULE: &str = "ponte://schedule";
/// Something changed in a profile the window does not show: its switcher and overview follow.
pub const OTHER_PROFILE: &str = "ponte://other-profile";

use crate::profiles::titled;
use crate::tray::{notify, notify_order};

/// An order that failed, as its notification names it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Failed {
    order_id: u64,
    number: u64,
    message: &'static str,
}

/// The orders that failed during a check, told in one notification at its end: a catch-up
/// that fails dozens does not raise dozens (each notification a click may open also holds a
/// thread on Windows and macOS until it is dismissed).
#[derive(Default)]
struct Failures {
    in_pass: bool,
    held: Vec<Failed>,
}

/// What one notification says about failed orders, and the card a click on it opens.
#[derive(Debug, PartialEq, Eq)]
struct FailureNotice {
    title: String,
    body: String,
    opens: u64,
}

impl FailureNotice {
    fn show(&self, handle: &AppHandle, app: &App, glance: &crate::profiles::Glance) {
        let title = titled(handle, glance, &self.title);
        notify_order(handle, &app.config.profile, &title, &self.body, self.opens);
    }
}

impl Failures {
    fn pass_started(&mut self) {
        self.in_pass = true;
    }

    /// Held until the check ends; told at once outside a check.
    fn failed(&mut self, failed: Failed) -> Option<FailureNotice> {
        self.held.push(failed);
        if self.in_pass {
            None
        } else {
            self.notice()
        }
    }

    fn pass_finished(&mut self) -> Option<FailureNotice> {
        self.in_pass = false;
        self.notice()
    }

    fn notice(&mut self) -> Option<FailureNotice> {
        let held = std::mem::take(&mut self.held);
        let first = held.first()?;
        if let [only] = held.as_slice() {
            return Some(FailureNotice {
                title: ponte_core::problem::order_not_imported_title(only.number),
                body: only.message.to_string(),
                opens: only.order_id,
            });
        }
        let numbers: Vec<u64> = held.iter().map(|failed| failed.number).collect();
        let (title, body) = ponte_core::problem::orders_not_imported(&numbers);
        Some(FailureNotice {
            title,
            body,
            opens: first.order_id,
        })
    }
}

/// Whether the window shows `app`'s profile (before the shell is managed: the first one is).
fn shown(handle: &AppHandle, app: &App) -> bool {
    use tauri::Manager;
    handle
        .try_state::<crate::Shell>()
        .is_none_or(|shell| shell.profiles.is_shown(&app.config.profile))
}

impl Runner {
    /// `glance`: the profile's summary, read again after each of its events.
    pub fn start(handle: AppHandle, app: Arc<App>, glance: Arc<crate::profiles::Glance>) -> Runner {
        let scheduler = Scheduler::new(app.clone());

        let mut events = app.subscribe();
        let forward = handle.clone();
        let told = app.clone();
        let forwarding = tauri::async_runtime::spawn(async move {
            let app = told;
            let mut failures = Failures::default();
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
                    Event::SyncStarted => failures.pass_started(),
                    Event::OrderFailed {
                        order_id,
                        number,
                        problem,
                    } => {
                        let failed = Failed {
                            order_id: *order_id,
                            number: *number,
                            message: problem.code.message(),
                        };
                        if let Some(notice) = failures.failed(failed) {
                            notice.show(&forward, &app, &glance);
                        }
                    }
                    Event::SyncFinished => {
                        if let Some(notice) = failures.pass_finished() {
                            notice.show(&forward, &app, &glance);
                        }
                    }
                    Event::IntegrationDisabled(problem) => notify(
                        &forward,
                        &titled(
                            &forward,
                            &glance,
                            ponte_core::problem::integration_label(false),
                        ),
                        &problem.message,
                    ),
                    Event::ChangedAfterImport {
                        order_id,
                        number,
                        message,
                    } => notify_order(
                        &forward,
                        &app.config.profile,
                        &titled(
                            &forward,
                            &glance,
                            &ponte_core::problem::order_changed_title(*number),
                        ),
                        message,
                        *order_id,
                    ),
                    _ => {}
                }
                // A pass's progress changes nothing a summary shows: one read per order is
                // enough (its OrderChanged).
                let changed = !matches!(event, Event::Progress { .. }) && glance.refresh();
                if shown(&forward, &app) {
                    let _ = forward.emit(EVENT, &event);
                } else if changed {
                    // Another profile's switcher line and card follow; a pass that found
                    // nothing to do tells the window nothing.
                    let _ = forward.emit(OTHER_PROFILE, ());
                }
                if changed {
                    crate::tray::follow(&forward);
                }
            }
        });

        let mut schedules = scheduler.subscribe();
        let scheduled = app.clone();
        let scheduling = tauri::async_runtime::spawn(async move {
            while let Ok(schedule) = schedules.recv().await {
                if shown(&handle, &scheduled) {
                    let _ = handle.emit(SCHEDULE, &schedule);
                }
            }
        });

        let beside = Arc::new(std::sync::Mutex::new(vec![forwarding, scheduling]));
        let page_loaded = Arc::new(tokio::sync::Notify::new());
        let loaded = page_loaded.clone();
        let running = scheduler.clone();
        let listeners = beside.clone();
        let run = tauri::async_runtime::spawn(async move {
            let _ = tokio::time::timeout(FIRST_PASS_WAITS_AT_MOST, loaded.notified()).await;
            // Instant import: the broker's events wake the scheduler; LGPD requests are
            // carried out.
            let listening =
                tauri::async_runtime::spawn(ponte_core::instant::listen(running.clone()));
            listeners
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(listening);
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
            beside,
            page_loaded,
        }
    }

    /// The window's page has loaded: the first pass may start.
    pub fn page_loaded(&self) {
        self.page_loaded.notify_one();
    }

    /// Asks the scheduler to stop between two orders, without waiting.
    pub fn stop(&self) {
        self.scheduler.stop();
    }

    /// Stops between two orders and waits until it has: *Sair* and updates call it.
    pub async fn stop_and_wait(&self) {
        self.scheduler.stop();
        let run = self.running.lock().ok().and_then(|mut run| run.take());
        if let Some(run) = run {
            let _ = run.await;
        }
        for task in self
            .beside
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            task.abort();
        }
    }

    pub fn sync_now(&self) {
        self.scheduler.sync_now();
    }

    pub fn schedule(&self) -> Schedule {
        self.scheduler.schedule()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(order_id: u64) -> Failed {
        Failed {
            order_id,
            number: order_id + 100,
            message: "O estoque não basta.",
        }
    }

    #[test]
    fn one_failure_in_a_check_is_named_and_opens_its_card() {
        let mut failures = Failures::default();
        failures.pass_started();
        assert_eq!(failures.failed(failed(1)), None);
        let notice = failures.pass_finished().unwrap();
        assert_eq!(notice.title, "Pedido #101 não importado");
        assert_eq!(notice.body, "O estoque não basta.");
        assert_eq!(notice.opens, 1);
        assert_eq!(failures.pass_finished(), None, "told once");
    }

    #[test]
    fn many_failures_in_a_check_are_one_notification() {
        let mut failures = Failures::default();
        failures.pass_started();
        for id in 1..=5 {
            assert_eq!(failures.failed(failed(id)), None);
        }
        let notice = failures.pass_finished().unwrap();
        assert_eq!(notice.title, "5 pedidos não importados");
        assert_eq!(
            notice.body,
            "Pedidos #101, #102, #103 e mais 2: veja em Pedidos não importados o que fazer com cada um."
        );
        assert_eq!(notice.opens, 1, "the first one's card");
    }

    #[test]
    fn a_failure_outside_a_check_is_told_at_once() {
        let mut failures = Failures::default();
        let notice = failures.failed(failed(7)).unwrap();
        assert_eq!(notice.title, "Pedido #107 não importado");
        assert_eq!(failures.pass_finished(), None);
    }
}
