//! The broker's feed of the store's webhook events, as an installation reads it: long polls with
//! the installation's key, answers capped in size, acknowledgements. The events Ponte registers
//! with Nuvemshop are named here too.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::secrets::Secret;

/// The order events Ponte registers with Nuvemshop for the store.
pub const ORDER_EVENTS: [&str; 4] = [
    "order/paid",
    "order/updated",
    "order/cancelled",
    "order/edited",
];
/// The merchant removed the app from the store: its token stops working.
pub const APP_UNINSTALLED: &str = "app/uninstalled";
/// Every webhook Ponte registers for the store.
pub const WEBHOOK_EVENTS: [&str; 5] = [
    ORDER_EVENTS[0],
    ORDER_EVENTS[1],
    ORDER_EVENTS[2],
    ORDER_EVENTS[3],
    APP_UNINSTALLED,
];
/// Where the store's installation key lives in the token store.
pub(crate) const EVENTS_KEY: &str = "broker-events";
/// How long one read waits at the broker for an event.
pub(crate) const LONG_POLL: Duration = Duration::from_secs(25);

/// One of the store's events. An LGPD request that reached the broker without Nuvemshop's
/// signature (`unverified`) is carried out only where that is harmless (a customer's file
/// written on this computer, Ponte's own copy of a customer removed); a store's erasure waits
/// for the merchant as always.
pub use ponte_protocol::FeedEvent;

/// A page of the feed. The broker's own `cursor` is not trusted: the cursor moves only past
/// events read and handled here.
pub(crate) use ponte_protocol::EventsPage as FeedPage;

/// A page of events is small (the broker hands out 100 at most); an answer past this is not
/// the broker's.
pub(crate) const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// The longest wait before a failing event is tried again.
pub(crate) const MAX_EVENT_BACKOFF: Duration = Duration::from_secs(600);

/// The store's event queue at the broker.
pub struct Feed {
    http: reqwest::Client,
    base: String,
    key: Secret,
}

/// Why a read did not work.
pub(crate) enum FeedError {
    /// The broker does not know this key (forgotten installation): reconnecting issues one.
    UnknownKey,
    Other(Error),
}

impl Feed {
    pub(crate) fn new(base: &str, key: Secret, user_agent: &str) -> Result<Feed> {
        let http = crate::http::client_builder()
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(LONG_POLL + Duration::from_secs(15))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Feed {
            http,
            base: base.trim_end_matches('/').to_string(),
            key,
        })
    }

    pub(crate) async fn read(
        &self,
        after: i64,
        wait: Duration,
    ) -> std::result::Result<FeedPage, FeedError> {
        let answer = self
            .http
            .get(format!(
                "{}/events?after={after}&wait={}",
                self.base,
                wait.as_secs()
            ))
            .bearer_auth(self.key.expose())
            .send()
            .await
            .map_err(|e| FeedError::Other(Error::BrokerUnreachable(e.without_url().to_string())))?;
        match answer.status().as_u16() {
            200 => {
                let body = crate::http::read_capped(answer, MAX_PAGE_BYTES)
                    .await
                    .map_err(|e| {
                        FeedError::Other(Error::BrokerUnreachable(e.without_url().to_string()))
                    })?
                    .ok_or_else(|| {
                        FeedError::Other(Error::BrokerUnreachable("events page too large".into()))
                    })?;
                serde_json::from_slice(&body).map_err(|e| {
                    FeedError::Other(Error::BrokerUnreachable(format!("unreadable events: {e}")))
                })
            }
            401 => Err(FeedError::UnknownKey),
            status => Err(FeedError::Other(Error::BrokerUnreachable(format!(
                "events answered {status}"
            )))),
        }
    }

    pub(crate) async fn ack(&self, up_to: i64) -> Result<()> {
        let answer = self
            .http
            .post(format!("{}/events/ack", self.base))
            .bearer_auth(self.key.expose())
            .json(&ponte_protocol::AckRequest { up_to })
            .send()
            .await
            .map_err(|e| Error::BrokerUnreachable(e.without_url().to_string()))?;
        if !answer.status().is_success() {
            return Err(Error::BrokerUnreachable(format!(
                "ack answered {}",
                answer.status()
            )));
        }
        Ok(())
    }
}
