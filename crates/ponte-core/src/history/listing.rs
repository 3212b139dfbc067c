//! The orders a store created in a period, read in `created_at` windows that each stay under
//! Nuvemshop's 10,000-result cap: a backfill's, a reconciliation's, and each pass's look for
//! orders cancelled or refunded after their import.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::error::Result;
use crate::nuvemshop::client::OrdersQuery;
use crate::nuvemshop::window::Paged;
use crate::nuvemshop::NuvemshopClient;

type Window = (DateTime<Utc>, DateTime<Utc>);

/// Which of the orders created in the period are listed.
#[derive(Clone, Copy, Debug, Default)]
pub struct Listing {
    /// `payment_status=paid`; otherwise any payment state.
    pub paid_only: bool,
    /// One more documented filter, e.g. `("status", "cancelled")`.
    pub only: Option<(&'static str, &'static str)>,
    /// Only those changed since.
    pub updated_min: Option<DateTime<Utc>>,
}

impl Listing {
    pub const PAID: Listing = Listing {
        paid_only: true,
        only: None,
        updated_min: None,
    };
    pub const ANY: Listing = Listing {
        paid_only: false,
        only: None,
        updated_min: None,
    };
}

/// An inclusive window of two seconds or more in two, on a whole second: the filters read
/// seconds, and the halves cover every second of the window, none twice.
fn halves(from: DateTime<Utc>, to: DateTime<Utc>) -> (Window, Window) {
    let middle = from + Duration::seconds((to - from).num_seconds() / 2);
    ((from, middle), (middle + Duration::seconds(1), to))
}

/// Every order created within `start..end` that `listing` selects, each still raw (a broken
/// order must not hide the others). `listed` is told how many were read so far.
pub async fn orders_created(
    client: &NuvemshopClient,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    listing: Listing,
    mut listed: impl FnMut(usize),
) -> Result<Vec<Value>> {
    let mut found = Vec::new();
    let mut ids = HashSet::new();
    // Inclusive windows, to the second (the filters' precision).
    let mut windows = vec![(start, end - Duration::seconds(1))];
    while let Some((from, to)) = windows.pop() {
        if to < from {
            continue;
        }
        let query = OrdersQuery {
            paid_only: listing.paid_only,
            only: listing.only,
            created_min: from,
            created_max: Some(to),
            updated_min: listing.updated_min,
            updated_max: None,
        };
        let mut window = Vec::new();
        let paged = crate::nuvemshop::window::read(client, &query, |orders| {
            window.extend(orders);
            Ok(())
        })
        .await?;
        if let Paged::TooBig { refused } = paged {
            if to - from >= Duration::seconds(1) {
                let (earlier, later) = halves(from, to);
                // Pushed later half first: the earlier half is read first.
                windows.push(later);
                windows.push(earlier);
                continue;
            }
            // Refused even for one second: the refusal was not the cap's.
            if let Some(error) = refused {
                return Err(error);
            }
            tracing::warn!(%from, "more orders created in one second than a query may list");
        }
        for order in window {
            let id = order.get("id").and_then(Value::as_u64);
            if id.is_none_or(|id| ids.insert(id)) {
                found.push(order);
            }
        }
        listed(found.len());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_cover_every_second_once() {
        let start = crate::time::parse_timestamp("2026-10-01T03:00:00Z").unwrap();
        for span in 1..200 {
            let (from, to) = (start, start + Duration::seconds(span));
            let ((a, b), (c, d)) = halves(from, to);
            assert_eq!((a, d), (from, to), "span {span}");
            assert_eq!(c - b, Duration::seconds(1), "span {span}: adjacent seconds");
            assert!(a <= b && c <= d, "span {span}: neither half empty");
        }
    }
}
