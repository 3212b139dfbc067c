//! Step 1 of a pass: what changed in Nuvemshop since the cursor, read window by window under
//! the result cap and written to the ledger before the cursor moves.

use super::*;

/// What a listing window gave.
pub(super) enum Window {
    /// More results than one query may reach: narrow it (`refused`: how the API said so).
    TooBig { refused: Option<Error> },
    /// Its orders are in the ledger, page by page, so that a long listing is never held whole.
    Read {
        recorded: usize,
        newest: Option<DateTime<Utc>>,
        /// Every order of the window could be recorded.
        complete: bool,
    },
}

impl Engine {
    /// Lists what changed and records it; answers how many orders were new. The listing is
    /// read in `updated_at` windows that each stay under Nuvemshop's result cap, and the cursor
    /// moves after each window, so a flood of changes is read in several passes at worst and
    /// never re-read from the start forever.
    pub(super) async fn poll(
        &self,
        activated_at: DateTime<Utc>,
        cursor: Option<DateTime<Utc>>,
    ) -> Result<usize> {
        let now = self.clock.now();
        let mut from = cursor.map(|cursor| cursor - OVERLAP);
        let mut upper: Option<DateTime<Utc>> = None;
        let mut newest = cursor;
        let mut new = 0;
        loop {
            match self.read_window(activated_at, from, upper).await? {
                Window::TooBig { refused } => {
                    let start = from.unwrap_or(activated_at);
                    let end = upper.unwrap_or(now + CLOCK_SKEW).max(start);
                    if end - start <= Duration::seconds(1) {
                        // Refused even for one second: the refusal was not the cap's.
                        if let Some(error) = refused {
                            return Err(error);
                        }
                        tracing::warn!(%start, "more changed orders in one second than a query may list");
                        return Ok(new);
                    }
                    upper = Some(start + (end - start) / 2);
                }
                Window::Read {
                    recorded,
                    newest: seen_newest,
                    complete,
                } => {
                    newest = newest.max(seen_newest);
                    // Never move the cursor past an order that could not be recorded.
                    let moved = match (complete, upper) {
                        (false, _) => None,
                        // Never back: a window may start before the cursor (the overlap).
                        (true, Some(to)) => Some(to).max(cursor),
                        (true, None) => newest,
                    };
                    if moved.is_some() {
                        self.store.record_seen(&[], moved, self.clock.now())?;
                    }
                    if recorded > 0 {
                        self.events.send(Event::OrdersFound { count: recorded });
                    }
                    new += recorded;
                    match (complete, upper) {
                        (true, Some(to)) => {
                            from = Some(to);
                            newest = newest.max(Some(to));
                            upper = None;
                        }
                        _ => return Ok(new),
                    }
                }
            }
        }
    }

    pub(super) async fn read_window(
        &self,
        activated_at: DateTime<Utc>,
        from: Option<DateTime<Utc>>,
        upper: Option<DateTime<Utc>>,
    ) -> Result<Window> {
        let query = crate::nuvemshop::client::OrdersQuery {
            paid_only: true,
            only: None,
            created_min: activated_at,
            created_max: None,
            updated_min: from,
            updated_max: upper,
        };
        let mut recorded = 0;
        let mut newest = None;
        let mut complete = true;
        let paged = crate::nuvemshop::window::read(&self.nuvemshop, &query, |orders| {
            let mut seen = Vec::with_capacity(orders.len());
            for value in orders {
                let (entry, updated_at) = self.seen(&value, activated_at);
                match updated_at {
                    Some(updated_at) => newest = newest.max(Some(updated_at)),
                    // Without a readable updated_at, this order cannot vouch for the cursor.
                    None => complete = false,
                }
                seen.extend(entry);
            }
            // Recorded without moving the cursor: that waits for the whole window.
            fail_point!("poll_before_record");
            recorded += self.store.record_seen(&seen, None, self.clock.now())?;
            Ok(())
        })
        .await?;
        Ok(match paged {
            Paged::TooBig { refused } => Window::TooBig { refused },
            Paged::Read => Window::Read {
                recorded,
                newest,
                complete,
            },
        })
    }

    /// An order of the page as the ledger takes it, with its `updated_at` when readable.
    pub(super) fn seen(
        &self,
        value: &serde_json::Value,
        activated_at: DateTime<Utc>,
    ) -> (Option<Seen>, Option<DateTime<Utc>>) {
        let payload = value.to_string();
        let number = value
            .get("number")
            .and_then(|n| n.as_u64().or_else(|| n.as_str()?.trim().parse().ok()));
        match Order::parse(value) {
            Ok(order) => {
                let state = match eligibility(&order, activated_at) {
                    Eligibility::Import => SeenState::Queued,
                    Eligibility::Skip(reason) => SeenState::Skipped(reason),
                    Eligibility::NotYet => return (None, Some(order.updated_at)),
                };
                (
                    Some(Seen {
                        order_id: order.id,
                        number: order.number,
                        state,
                        customer_name: order.buyer_name().map(crate::rules::clean_text),
                        total: Some(format!("{:.2}", order.total)),
                        created_at: Some(order.created_at),
                        paid_at: order.paid_at,
                        payload,
                    }),
                    Some(order.updated_at),
                )
            }
            Err((id, detail)) => {
                tracing::warn!(order = ?id, %detail, "unreadable order");
                let updated_at = value
                    .get("updated_at")
                    .and_then(|v| v.as_str())
                    .and_then(crate::time::parse_timestamp);
                let (order_id, state) = match id {
                    Some(id) => (id, SeenState::Failed(Problem::invalid_order(detail))),
                    None => (
                        without_id_key(number, &payload),
                        SeenState::Skipped(without_id_reason()),
                    ),
                };
                (
                    Some(Seen {
                        order_id,
                        number: number.unwrap_or(0),
                        state,
                        customer_name: None,
                        total: None,
                        created_at: None,
                        paid_at: None,
                        payload,
                    }),
                    // Recorded as failed or skipped: it no longer holds the cursor back.
                    updated_at.or(Some(activated_at)),
                )
            }
        }
    }
}

/// A ledger key for an order the listing sent without its id: in a range no Nuvemshop id
/// reaches, stable for the same order number (so seeing it again records it once).
fn without_id_key(number: Option<u64>, payload: &str) -> u64 {
    let source = match number {
        Some(number) => format!("number:{number}"),
        None => format!("payload:{payload}"),
    };
    (crate::stable_hash(source.as_bytes()) >> 2) | (1 << 61)
}
