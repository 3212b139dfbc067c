//! One window of an orders listing, read page by page under Nuvemshop's result cap. Past its
//! 10,000th result a query is refused, in a way the documentation does not give (the status,
//! and whether page 1 already fails): Ponte reads `X-Total-Count` on page 1 when the API sends
//! it, stops at the last page the cap allows, and takes any 4xx but the list's own end, an
//! access refusal (401, 402) or a busy answer (429) as "too big". The caller narrows the window
//! and reads the halves; a window of a second or less that is still refused was never about
//! the cap, and its error is the caller's to raise.

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
}
