//! When passes run (R7): at once, then at every poll interval, and whenever asked (*Sincronizar
//! agora*, a new setting); never two at once; stopped between two orders, never in the middle of
//! one. The desktop app and `ponte sync` both run this; they only show what it reports.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{broadcast, Notify};

use crate::error::{Error, Result};
use crate::sync::PassReport;
use crate::App;

pub use crate::config::{interval_from_minutes, MAX_INTERVAL_MINUTES, MIN_INTERVAL_MINUTES};

/// What the dashboard shows of the schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Schedule {
    pub running: bool,
    pub last_check_at: Option<DateTime<Utc>>,
    pub next_check_at: Option<DateTime<Utc>>,
}

/// What happened in one turn of the schedule.
#[derive(Debug)]
pub enum Turn {
    /// A pass ran.
    Pass(Result<PassReport>),
    /// No pass: the integration is off, an account is not connected or no seller is chosen.
    NotReady(Error),
}

pub struct Scheduler {
    app: Arc<App>,
    wake: Notify,
    stopped: std::sync::atomic::AtomicBool,
    schedule: Mutex<Schedule>,
    changes: broadcast::Sender<Schedule>,
}

impl Scheduler {
    pub fn new(app: Arc<App>) -> Arc<Scheduler> {
        let (changes, _) = broadcast::channel(64);
        Arc::new(Scheduler {
            app,
            wake: Notify::new(),
            stopped: std::sync::atomic::AtomicBool::new(false),
            schedule: Mutex::new(Schedule::default()),
            changes,
        })
    }

    /// A pass now, without waiting for the interval.
    pub fn sync_now(&self) {
        self.wake.notify_one();
    }

    /// Stops after the order being imported, if any; [`Scheduler::run`] then returns.
    pub fn stop(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.app.interrupt_pass();
        self.wake.notify_one();
    }

    pub fn schedule(&self) -> Schedule {
        self.schedule
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Every change of [`Schedule`], for a window to show.
    pub fn subscribe(&self) -> broadcast::Receiver<Schedule> {
        self.changes.subscribe()
    }

    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn update(&self, change: impl FnOnce(&mut Schedule)) {
        let snapshot = {
            let mut schedule = self.schedule.lock().unwrap_or_else(|p| p.into_inner());
            change(&mut schedule);
            schedule.clone()
        };
        let _ = self.changes.send(snapshot);
    }

    /// One turn: a pass when the integration is ready, with the schedule kept up to date.
    pub async fn turn(&self) -> Turn {
        if let Err(error) = self.app.ready() {
            self.update(|s| {
                s.running = false;
                s.next_check_at = None;
            });
            return Turn::NotReady(error);
        }
        self.update(|s| s.running = true);
        let result = self.app.sync_once().await;
        let now = self.app.now();
        let interval = self.interval();
        let ready = self.app.ready().is_ok();
        self.update(|s| {
            s.running = false;
            s.last_check_at = Some(now);
            s.next_check_at =
                ready.then(|| now + chrono::Duration::from_std(interval).unwrap_or_default());
        });
        Turn::Pass(result)
    }

    fn interval(&self) -> Duration {
        if let Some(every) = self.app.config().check_every {
            return every;
        }
        self.app
            .settings()
            .map(|s| s.poll_interval())
            .unwrap_or(crate::config::DEFAULT_POLL_INTERVAL)
    }

    /// Runs turns until stopped: one at once, then one at every interval or when woken.
    /// `report` sees each turn; it returns `false` to stop.
    pub async fn run(&self, mut report: impl FnMut(&Turn) -> bool) {
        while !self.is_stopped() {
            let turn = self.turn().await;
            if !report(&turn) || self.is_stopped() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(self.interval()) => {}
                _ = self.wake.notified() => {}
            }
        }
        self.update(|s| {
            s.running = false;
            s.next_check_at = None;
        });
    }
}
