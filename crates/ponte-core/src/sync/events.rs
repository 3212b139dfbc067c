//! What the engine tells whoever is watching (the desktop app): every ledger change, so the
//! dashboard updates without polling the database.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::error::Problem;
use crate::store::OrderState;

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    SyncStarted,
    SyncFinished,
    OrdersFound(usize),
    OrderChanged { order_id: u64, state: OrderState },
    OrderFailed { order_id: u64, problem: Problem },
    IntegrationDisabled(Problem),
    SettingsChanged,
}

#[derive(Clone)]
pub struct Events {
    sender: broadcast::Sender<Event>,
}

impl Default for Events {
    fn default() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Events { sender }
    }
}

impl Events {
    pub fn send(&self, event: Event) {
        // Nobody listening is fine: the CLI does not.
        let _ = self.sender.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}
