//! One window of an orders listing, read page by page under Nuvemshop's result cap. Past its
//! 10,000th result a query is refused, in a way the documentation does not give (the status,
//! and whether page 1 already fails): Ponte reads `X-Total-Count` on page 1 when the API sends
//! it, stops at the last page the cap allows, and takes any 4xx but the list's own end, an
//! access refusal (401, 402) or a busy answer (429) as "too big". The caller narrows the window
//! and reads the halves; a window of a second or less that is still refused was never about
//! the cap, and its error is the caller's to raise.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::nuvemshop::client::{OrdersQuery, PER_PAGE};
use crate::nuvemshop::NuvemshopClient;

/// How a window ended.
#[derive(Debug)]
pub enum Paged {
    /// Every page was read.
    Read,
    /// More results than one query may reach, or refused as such: narrow it. `refused` is the
    /// refusal, when that is how the API said so.
    TooBig { refused: Option<Error> },
}

/// Whether an answer to a listing is the result cap's refusal: any 4xx but the list's own end
/// (handled as `None` by the client), a lost access (401, 402: their own errors) and a busy
/// answer (429).
pub fn is_cap_refusal(error: &Error) -> bool {
    matches!(error, Error::Api { status, .. } if (400..500).contains(status) && *status != 429)
}

/// Reads the window `query` asks for, handing each page's orders to `page_read` as it comes
/// (a long window is never held whole).
pub async fn read(
    client: &NuvemshopClient,
    query: &OrdersQuery,
    mut page_read: impl FnMut(Vec<Value>) -> Result<()>,
) -> Result<Paged> {
    let per_page = u64::from(PER_PAGE);
    let last_page = (client.result_window() / per_page).max(1) as u32;
    for page in 1..=last_page {
        let found = match client.orders_page(query, page).await {
            Ok(found) => found,
            Err(error) if is_cap_refusal(&error) => {
                tracing::info!(page, %error, "listing refused: taken as the result cap");
                return Ok(Paged::TooBig {
                    refused: Some(error),
                });
            }
            Err(error) => return Err(error),
        };
        let Some(found) = found else {
            return Ok(Paged::Read);
        };
        if found
            .total
            .is_some_and(|total| total > client.result_window())
        {
            return Ok(Paged::TooBig { refused: None });
        }
        let full = found.orders.len() as u64 >= per_page;
        page_read(found.orders)?;
        if !full {
            return Ok(Paged::Read);
        }
    }
    // Every page the cap allows was full: there may be more than one query can list.
    Ok(Paged::TooBig { refused: None })
}

/// Orders created in a period, read window by window under the cap: a backfill's, a
/// reconciliation's, and each pass's look for orders changed after their import.
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
        let paged = read(client, &query, |orders| {
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
    use crate::error::Service;

    #[test]
    fn every_client_error_but_busy_is_taken_as_the_cap() {
        let api = |status| Error::Api {
            service: Service::Nuvemshop,
            status,
            body: String::new(),
        };
        for status in [400, 403, 404, 413, 422] {
            assert!(is_cap_refusal(&api(status)), "{status}");
        }
        for status in [429, 500, 503] {
            assert!(!is_cap_refusal(&api(status)), "{status}");
        }
        assert!(!is_cap_refusal(&Error::NuvemshopAccessRevoked));
        assert!(!is_cap_refusal(&Error::NuvemshopSuspended));
    }

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
