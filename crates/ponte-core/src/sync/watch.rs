//! Imported orders cancelled or refunded in Nuvemshop afterwards, noticed as each pass runs,
//! and edited, noticed as Nuvemshop says so (`order/edited`).
//! Ponte never changes a sale: the merchant is told once which sale to look at, and the
//! dashboard keeps it until they say it was checked. `reconcile` remains the full comparison
//! of a period (partial refunds and chargebacks included); this is its everyday part.

use chrono::{DateTime, Utc};

use super::{Engine, Event, OVERLAP};
use crate::error::Result;
use crate::nuvemshop::window::{orders_created, Listing};
use crate::nuvemshop::Order;
use crate::rules::changes::after_import_change;
use crate::store::OrderState;

/// The listings that can hold an imported order whose sale no longer stands: cancelled, and
/// the money returned — the filters Nuvemshop documents for `GET /orders`.
const WATCHED: [(&str, &str); 3] = [
    ("status", "cancelled"),
    ("payment_status", "refunded"),
    ("payment_status", "voided"),
];

impl Engine {
    /// Records the orders Ponte knows that were cancelled or refunded since the last look;
    /// answers how many imported ones are new to tell. Nothing here fails the pass: the sales
    /// went out already, and a look that could not finish is done again by the next pass.
    pub(super) async fn watch_after_import(&self, cursor: Option<DateTime<Utc>>) -> usize {
        let mut noticed = 0;
        for (filter, value) in WATCHED {
            match self.watch_listing(filter, value, cursor).await {
                Ok(count) => noticed += count,
                Err(error) => {
                    tracing::warn!(%error, filter, value, "could not look for orders changed after their import");
                }
            }
        }
        noticed
    }

    /// One listing, from its own cursor: the newest `updated_at` it has read (Nuvemshop's
    /// clock, as the poll's cursor, so a computer's wrong time cannot skip a change), minus
    /// the overlap. Orders created before the oldest order Ponte knows cannot be Ponte's, and
    /// are not listed; the listing is read in windows under the result cap.
    async fn watch_listing(
        &self,
        filter: &'static str,
        value: &'static str,
        cursor: Option<DateTime<Utc>>,
    ) -> Result<usize> {
        let Some(oldest) = self.store.oldest_known_created_at()? else {
            return Ok(0);
        };
        let key = format!("{filter}={value}");
        let since = self.store.watch_cursor(&key)?.or(cursor).unwrap_or(oldest) - OVERLAP;
        let listing = Listing {
            paid_only: false,
            only: Some((filter, value)),
            updated_min: Some(since),
        };
        let end = self.clock.now() + super::CLOCK_SKEW;
        let orders = orders_created(&self.nuvemshop, oldest, end, listing, |_| {}).await?;
        let mut newest: Option<DateTime<Utc>> = None;
        let mut noticed = 0;
        for value in &orders {
            let Ok(order) = Order::parse(value) else {
                continue;
            };
            newest = newest.max(Some(order.updated_at));
            noticed += usize::from(self.notice_change(&order)?);
        }
        if let Some(newest) = newest {
            self.store.set_watch_cursor(&key, newest)?;
        }
        Ok(noticed)
    }

    /// An order Nuvemshop says was edited (`order/edited`): when Ponte imported it and what a
    /// sale holds changed (total, items, shipping, customer), the merchant is told as for a
    /// cancellation. Answers whether it was news.
    pub async fn notice_edit(&self, order_id: u64) -> Result<bool> {
        let Some(known) = self.store.order(order_id)? else {
            return Ok(false);
        };
        if known.state != OrderState::Imported {
            // Not sent yet: its sale is made from the order as it is then.
            return Ok(false);
        }
        let Some(before) = known
            .payload
            .as_deref()
            .and_then(|payload| serde_json::from_str::<serde_json::Value>(payload).ok())
            .and_then(|value| Order::parse(&value).ok())
        else {
            return Ok(false);
        };
        let now = Order::parse(&self.nuvemshop.order(order_id).await?).map_err(|(_, why)| {
            crate::error::Error::Unreadable {
                service: crate::error::Service::Nuvemshop,
                detail: why,
            }
        })?;
        let changes = crate::rules::changes::changes_since_import(&before, &now);
        if changes.is_empty() {
            return Ok(false);
        }
        let detail = changes.join(", ");
        let new = self.store.record_changed(
            order_id,
            crate::rules::changes::Flag::Edited,
            Some(&detail),
            self.clock.now(),
        )?;
        if new {
            tracing::info!(order_id, "order edited after its import");
            self.events.send(Event::ChangedAfterImport {
                order_id,
                number: known.number,
                message: crate::rules::changes::after_import_message(
                    crate::rules::changes::Flag::Edited,
                    Some(&detail),
                    known.sale_number,
                ),
            });
        }
        Ok(new)
    }

    /// One order of a listing, when Ponte knows it: recorded whatever its state (an order
    /// cancelled while it waited is shown once its sale exists), told at once when imported.
    fn notice_change(&self, order: &Order) -> Result<bool> {
        let Some(known) = self.store.order(order.id)? else {
            return Ok(false);
        };
        let Some((flag, returned)) = after_import_change(order) else {
            return Ok(false);
        };
        let new = self
            .store
            .record_changed(order.id, flag, returned, self.clock.now())?;
        if !new || known.state != OrderState::Imported {
            return Ok(false);
        }
        tracing::info!(order_id = order.id, ?flag, "order changed after its import");
        self.events.send(Event::ChangedAfterImport {
            order_id: order.id,
            number: order.number,
            message: crate::rules::changes::after_import_message(flag, returned, known.sale_number),
        });
        Ok(true)
    }
}
