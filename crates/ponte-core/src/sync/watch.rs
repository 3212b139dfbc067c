//! Imported orders cancelled or refunded in Nuvemshop afterwards, noticed as each pass runs.
//! Ponte never changes a sale: the merchant is told once which sale to look at, and the
//! dashboard keeps it until they say it was checked. `reconcile` remains the full comparison
//! of a period; this is its everyday, automatic part.

use chrono::{DateTime, Utc};

use super::{Engine, Event, OVERLAP};
use crate::history::reconcile::after_import_flag;
use crate::nuvemshop::client::OrdersQuery;
use crate::nuvemshop::Order;
use crate::store::OrderState;

/// The listings that can hold an imported order whose sale no longer stands: cancelled, and
/// the money returned (the filters Nuvemshop documents for `GET /orders`).
const WATCHED: [(&str, &str); 3] = [
    ("status", "cancelled"),
    ("payment_status", "refunded"),
    ("payment_status", "voided"),
];
/// Pages read of each listing in one pass. Only orders changed since the last complete look
/// are listed, so one page is the rule; past this, the rest waits for the next pass (the
/// look's cursor does not move).
const PAGES: u32 = 5;

impl Engine {
    /// Records the imported orders cancelled or refunded since the last look; answers how
    /// many are new. A listing that fails is logged and tried again next pass, never the
    /// pass's failure: the sales went out all the same.
    pub(super) async fn watch_after_import(
        &self,
        activated_at: DateTime<Utc>,
        cursor: Option<DateTime<Utc>>,
    ) -> crate::error::Result<usize> {
        let started = self.clock.now();
        let since = self
            .store
            .watch_cursor()?
            .or(cursor)
            .unwrap_or(activated_at)
            - OVERLAP;
        let mut noticed = 0;
        let mut complete = true;
        for (filter, value) in WATCHED {
            let query = OrdersQuery {
                paid_only: false,
                only: Some((filter, value)),
                // Orders of a backfill may be older than the activation: any creation date.
                created_min: DateTime::UNIX_EPOCH,
                created_max: None,
                updated_min: Some(since),
                updated_max: None,
            };
            let mut read_all = false;
            for page in 1..=PAGES {
                let found = match self.nuvemshop.orders_page(&query, page).await {
                    Ok(found) => found,
                    Err(error) => {
                        tracing::warn!(%error, filter, value, "could not look for orders changed after their import");
                        break;
                    }
                };
                let Some(found) = found else {
                    read_all = true;
                    break;
                };
                let full =
                    found.orders.len() as u64 >= u64::from(crate::nuvemshop::client::PER_PAGE);
                for value in &found.orders {
                    noticed += usize::from(self.notice_change(value)?);
                }
                if !full {
                    read_all = true;
                    break;
                }
            }
            complete &= read_all;
        }
        if complete {
            self.store.set_watch_cursor(started)?;
        }
        Ok(noticed)
    }

    /// One order of a listing: recorded (and told) when Ponte imported it.
    fn notice_change(&self, value: &serde_json::Value) -> crate::error::Result<bool> {
        let Ok(order) = Order::parse(value) else {
            return Ok(false);
        };
        let Some(imported) = self
            .store
            .order(order.id)?
            .filter(|known| known.state == OrderState::Imported)
        else {
            return Ok(false);
        };
        let Some((flag, message)) = after_import_flag(&order, imported.sale_number) else {
            return Ok(false);
        };
        let new = self
            .store
            .record_changed(order.id, flag, &message, self.clock.now())?;
        if new {
            tracing::info!(order_id = order.id, ?flag, "order changed after its import");
            self.events.send(Event::ChangedAfterImport {
                order_id: order.id,
                number: order.number,
                message,
            });
        }
        Ok(new)
    }
}
