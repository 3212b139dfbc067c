//! The Nuvemshop API client: `Authentication: bearer`, a User-Agent, the leaky bucket, pages
//! until the 404 "Last page is N".

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::config::Config;
use crate::error::{Error, Result, Service};
use crate::http::{Pacer, Recorder, Reply, Request, Transport};
use crate::secrets::Secret;
use crate::time::nuvemshop_filter;

pub const PER_PAGE: u32 = 200;
pub use crate::config::NUVEMSHOP_RESULT_WINDOW as RESULT_WINDOW;

pub struct NuvemshopClient {
    transport: Transport,
    api_url: String,
    store_id: u64,
    token: Secret,
    result_window: u64,
}

/// What an orders listing asks for: `created_at_min` always (Ponte never lists a store's
/// whole history), the rest when set.
#[derive(Clone, Debug)]
pub struct OrdersQuery {
    /// `payment_status=paid`; otherwise orders in any payment state (to see refunds).
    pub paid_only: bool,
    /// One more documented filter and its value, e.g. `("status", "cancelled")`.
    pub only: Option<(&'static str, &'static str)>,
    pub created_min: DateTime<Utc>,
    pub created_max: Option<DateTime<Utc>>,
    pub updated_min: Option<DateTime<Utc>>,
    pub updated_max: Option<DateTime<Utc>>,
}

/// A webhook the app registered on the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredWebhook {
    pub id: u64,
    pub event: String,
    pub url: String,
}

/// One page of orders, each still raw: a broken order must not hide the others.
pub struct OrdersPage {
    pub orders: Vec<Value>,
    /// `X-Total-Count`: how many orders the whole query matches, when the API says.
    pub total: Option<u64>,
}

impl NuvemshopClient {
    pub fn new(config: &Config, store_id: u64, token: Secret) -> Result<Self> {
        let pacing = &config.pacing;
        Ok(NuvemshopClient {
            transport: Transport::new(
                Service::Nuvemshop,
                &config.user_agent,
                Pacer::leaky_bucket(pacing.nuvemshop_burst, pacing.nuvemshop_per_second),
            )?,
            api_url: config.nuvemshop_api_url.clone(),
            store_id,
            token,
            result_window: config.nuvemshop_result_window,
        })
    }

    /// How many results one query may reach.
    pub fn result_window(&self) -> u64 {
        self.result_window
    }

    pub fn recorder(&self) -> &Recorder {
        &self.transport.recorder
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}{}", self.api_url, self.store_id, path)
    }

    async fn get(&self, url: String) -> Result<Reply> {
        self.call(Request::get(url)).await
    }

    async fn call(&self, request: Request) -> Result<Reply> {
        let token = self.token.expose().to_string();
        let reply = self
            .transport
            .send(&request, |builder| {
                builder.header("Authentication", format!("bearer {token}"))
            })
            .await?;
        if reply.status == 401 {
            // The app was uninstalled, or a newer token replaced this one (R5).
            return Err(Error::NuvemshopAccessRevoked);
        }
        if reply.status == 402 {
            // The store's plan or the app's charge is unpaid: every call is refused until paid.
            return Err(Error::NuvemshopSuspended);
        }
        Ok(reply)
    }

    /// A read-only `GET` answered as it came, for `ponte doctor` (a lost access still ends
    /// it as `NuvemshopAccessRevoked` or `NuvemshopSuspended`).
    pub async fn probe(&self, path: &str, query: &[(&str, &str)]) -> Result<Reply> {
        let mut url = url::Url::parse(&self.url(path))
            .map_err(|error| Error::Config(format!("PONTE_NUVEMSHOP_API_URL: {error}")))?;
        url.query_pairs_mut().extend_pairs(query);
        self.get(url.into()).await
    }

    pub async fn store(&self) -> Result<Value> {
        let reply = self.get(self.url("/store")).await?;
        if !reply.is_success() {
            return Err(reply.into_error(Service::Nuvemshop));
        }
        reply.json(Service::Nuvemshop)
    }

    /// One page of paid orders created since `created_min` and updated within
    /// `updated_min..=updated_max`; `None` past the last page (the API answers 404 "Last page
    /// is N", also when empty).
    pub async fn paid_orders_page(
        &self,
        created_min: DateTime<Utc>,
        updated_min: Option<DateTime<Utc>>,
        updated_max: Option<DateTime<Utc>>,
        page: u32,
    ) -> Result<Option<OrdersPage>> {
        let query = OrdersQuery {
            paid_only: true,
            only: None,
            created_min,
            created_max: None,
            updated_min,
            updated_max,
        };
        self.orders_page(&query, page).await
    }

    /// One page of the orders `query` asks for; `None` past the last page.
    pub async fn orders_page(&self, query: &OrdersQuery, page: u32) -> Result<Option<OrdersPage>> {
        let mut url = url::Url::parse(&self.url("/orders"))
            .map_err(|error| Error::Config(format!("PONTE_NUVEMSHOP_API_URL: {error}")))?;
        {
            let mut pairs = url.query_pairs_mut();
            if query.paid_only {
                pairs.append_pair("payment_status", "paid");
            }
            if let Some((filter, value)) = query.only {
                pairs.append_pair(filter, value);
            }
            pairs.append_pair("created_at_min", &nuvemshop_filter(query.created_min));
            if let Some(created_max) = query.created_max {
                pairs.append_pair("created_at_max", &nuvemshop_filter(created_max));
            }
            if let Some(updated_min) = query.updated_min {
                pairs.append_pair("updated_at_min", &nuvemshop_filter(updated_min));
            }
            if let Some(updated_max) = query.updated_max {
                pairs.append_pair("updated_at_max", &nuvemshop_filter(updated_max));
            }
            pairs.append_pair("per_page", &PER_PAGE.to_string());
            pairs.append_pair("page", &page.to_string());
        }
        let reply = self.get(url.into()).await?;
        if reply.status == 404 && is_past_last_page(&reply.body) {
            return Ok(None);
        }
        if !reply.is_success() {
            return Err(reply.into_error(Service::Nuvemshop));
        }
        let total = reply
            .headers
            .get("x-total-count")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse().ok());
        let orders: Vec<Value> = reply.json(Service::Nuvemshop)?;
        Ok(Some(OrdersPage { orders, total }))
    }

    /// Writes the merchant's private note of an order (`PUT /orders/{id}`, the one field the
    /// API lets an app change; it needs the `write_orders` scope).
    pub async fn set_owner_note(&self, id: u64, note: &str) -> Result<()> {
        let reply = self
            .call(Request::put(
                self.url(&format!("/orders/{id}")),
                serde_json::json!({ "owner_note": note }),
            ))
            .await?;
        if !reply.is_success() {
            return Err(reply.into_error(Service::Nuvemshop));
        }
        Ok(())
    }

    /// The store's webhooks for this app: `(event, url)`.
    pub async fn webhooks(&self) -> Result<Vec<RegisteredWebhook>> {
        let reply = self.get(self.url("/webhooks")).await?;
        if !reply.is_success() {
            return Err(reply.into_error(Service::Nuvemshop));
        }
        let hooks: Vec<Value> = reply.json(Service::Nuvemshop)?;
        Ok(hooks
            .iter()
            .filter_map(|hook| {
                Some(RegisteredWebhook {
                    id: hook.get("id")?.as_u64()?,
                    event: hook.get("event")?.as_str()?.to_string(),
                    url: hook.get("url")?.as_str()?.to_string(),
                })
            })
            .collect())
    }

    /// Deletes one of the app's webhooks (`DELETE /webhooks/{id}`); one already gone is fine.
    pub async fn delete_webhook(&self, id: u64) -> Result<()> {
        let reply = self
            .call(Request::delete(self.url(&format!("/webhooks/{id}"))))
            .await?;
        if !reply.is_success() && reply.status != 404 {
            return Err(reply.into_error(Service::Nuvemshop));
        }
        Ok(())
    }

    /// Registers a webhook (`POST /webhooks {event, url}`).
    pub async fn register_webhook(&self, event: &str, url: &str) -> Result<()> {
        let reply = self
            .call(Request::post(
                self.url("/webhooks"),
                serde_json::json!({ "event": event, "url": url }),
            ))
            .await?;
        if !reply.is_success() {
            return Err(reply.into_error(Service::Nuvemshop));
        }
        Ok(())
    }

    pub async fn order(&self, id: u64) -> Result<Value> {
        let reply = self.get(self.url(&format!("/orders/{id}"))).await?;
        if !reply.is_success() {
            return Err(reply.into_error(Service::Nuvemshop));
        }
        reply.json(Service::Nuvemshop)
    }

    pub fn admin_order_url(store_domain: Option<&str>, order_id: u64) -> String {
        format!("{}{order_id}", Self::admin_orders_base(store_domain))
    }

    /// Where the store's orders are in its admin; an order's id completes it.
    pub fn admin_orders_base(store_domain: Option<&str>) -> String {
        match store_domain.filter(|domain| is_host_name(domain)) {
            Some(domain) => format!("https://{domain}/admin/orders/"),
            None => "https://www.nuvemshop.com.br/admin/orders/".into(),
        }
    }
}

/// A plain host name (`minhaloja.lojavirtualnuvem.com.br`): what the store's domain must be
/// before it goes into a link the merchant clicks.
pub fn is_host_name(text: &str) -> bool {
    text.len() <= 253
        && text.contains('.')
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// The end of the list is a 404 whose description reads "Last page is N" (observed, not
/// documented); any other 404 is an error.
fn is_past_last_page(body: &str) -> bool {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|value| {
            value
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .is_some_and(|description| description.starts_with("Last page is"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r21_only_a_plain_host_name_goes_into_the_admin_link() {
        let url = |domain| NuvemshopClient::admin_order_url(Some(domain), 7);
        assert_eq!(
            url("minhaloja.lojavirtualnuvem.com.br"),
            "https://minhaloja.lojavirtualnuvem.com.br/admin/orders/7"
        );
        for hostile in [
            "evil.com/phish?x=",
            "javascript:alert(1)",
            "a b.com",
            "exemplo.com@evil.com",
            "-x.com",
            "localhost",
            "",
        ] {
            assert_eq!(
                url(hostile),
                "https://www.nuvemshop.com.br/admin/orders/7",
                "{hostile}"
            );
        }
    }

    #[test]
    fn only_the_last_page_404_ends_the_list() {
        assert!(is_past_last_page(
            r#"{"code":404,"message":"Not Found","description":"Last page is 0"}"#
        ));
        assert!(!is_past_last_page(
            r#"{"code":404,"message":"Not Found","description":"Order not found"}"#
        ));
        assert!(!is_past_last_page("<html>404</html>"));
    }
}
