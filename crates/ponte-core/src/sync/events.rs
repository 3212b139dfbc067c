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
    /// New orders recorded (a field, not a bare number: the window receives events tagged by
    /// `kind`, which a bare number cannot carry).
    OrdersFound {
        count: usize,
    },
    /// How far a pass is: `done` of the `total` orders it took up. The window shows a progress
    /// bar while a long catch-up runs.
    Progress {
        done: usize,
        total: usize,
    },
    /// Orders of a chosen period read from Nuvemshop so far: a backfill or a reconciliation
    /// reading a long period.
    OrdersListed {
        count: usize,
    },
    OrderChanged {
        order_id: u64,
        state: OrderState,
    },
    /// An order that needs the merchant: its number names it in the notification.
    OrderFailed {
        order_id: u64,
        number: u64,
        problem: Problem,
    },
    /// An imported order cancelled or refunded in Nuvemshop: its sale is the merchant's to
    /// look at (Ponte never changes it).
    ChangedAfterImport {
        order_id: u64,
        number: u64,
        message: String,
    },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_reaches_the_window_as_json_tagged_by_kind() {
        for event in [
            Event::SyncStarted,
            Event::OrdersFound { count: 3 },
            Event::OrdersListed { count: 200 },
            Event::Progress { done: 1, total: 40 },
            Event::ChangedAfterImport {
                order_id: 7,
                number: 1042,
                message: "Pedido cancelado".into(),
            },
            Event::SettingsChanged,
        ] {
            let json = serde_json::to_value(&event).unwrap();
            assert!(json["kind"].is_string(), "{json}");
        }
        let json = serde_json::to_value(Event::Progress { done: 1, total: 40 }).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "progress", "done": 1, "total": 40})
        );
    }
}
