//! Nuvemshop's webhooks: registration through the API (`/webhooks`, with the documented URL
//! rules), signed deliveries of order events to the registered URLs and of the LGPD requests
//! to the app panel's URLs, and switches that make delivery as unreliable as the docs warn:
//! duplicates, delays, reordering, drops.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::assumptions::{nuvemshop_error, NUVEMSHOP_DUPLICATE_WEBHOOK_REFUSED};
use crate::http::json_response;
use crate::AppState;

/// The events the API accepts (the documented list, enough for Ponte's tests).
pub const EVENTS: &[&str] = &[
    "app/uninstalled",
    "app/suspended",
    "app/resumed",
    "order/created",
    "order/updated",
    "order/paid",
    "order/packed",
    "order/fulfilled",
    "order/cancelled",
    "order/edited",
    "product/created",
    "product/updated",
    "product/deleted",
];

#[derive(Clone, Debug, Serialize)]
pub struct Webhook {
    pub id: u64,
    pub event: String,
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One POST the simulated Nuvemshop owes someone.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub url: String,
    pub body: String,
    /// Sent with `X-Linkedstore-HMAC-SHA256` (an LGPD request may come without it when the
    /// sandbox's answers say so).
    pub signed: bool,
}

/// How unreliable delivery is (`PUT /control/nuvemshop/webhook-faults`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookFaults {
    /// The next this-many deliveries are lost (never sent, never retried).
    #[serde(default)]
    pub drop_next: u32,
    /// Every delivery is sent twice.
    #[serde(default)]
    pub duplicate: bool,
    /// Every delivery waits this long before it is sent.
    #[serde(default)]
    pub delay_millis: u64,
    /// Each delivery is held until the next one has been sent.
    #[serde(default)]
    pub out_of_order: bool,
    /// Signatures in base64 (one SDK's form) instead of hex (the documented one).
    #[serde(default)]
    pub base64_signature: bool,
}

fn refuse(field: &str, message: &str) -> Response {
    json_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({
            "code": 422,
            "message": "Unprocessable Entity",
            "description": { field: [message] },
        }),
    )
}

/// HTTPS only, never localhost or a platform domain (the docs' rules).
fn url_is_acceptable(url: &str, allow_loopback: bool) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    if allow_loopback && crate::config::is_loopback_http(&parsed) {
        return true;
    }
    let host = parsed.host_str().unwrap_or("").to_ascii_lowercase();
    parsed.scheme() == "https"
        && !host.is_empty()
        && host != "localhost"
        && !host.starts_with("127.")
        && !["nuvemshop", "tiendanube", "lojanuvem"]
            .iter()
            .any(|platform| host.contains(platform))
}

pub(super) async fn list(State(state): State<AppState>) -> Response {
    let webhooks = state.with(|world| world.nuvemshop.webhooks.clone());
    json_response(StatusCode::OK, &webhooks)
}

pub(super) async fn create(State(state): State<AppState>, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &nuvemshop_error(StatusCode::BAD_REQUEST, "Problems parsing JSON"),
        );
    };
    let event = body.get("event").and_then(Value::as_str).unwrap_or("");
    let url = body.get("url").and_then(Value::as_str).unwrap_or("");
    if !EVENTS.contains(&event) {
        return refuse("event", "is invalid");
    }
    if !url_is_acceptable(url, state.config.nuvemshop.allow_loopback_webhooks) {
        return refuse(
            "url",
            "must be a valid https URL outside the platform's domains",
        );
    }
    let created = state.with(|world| {
        let store = &mut world.nuvemshop;
        let taken = store
            .webhooks
            .iter()
            .any(|w| w.event == event && w.url == url);
        (!(taken && NUVEMSHOP_DUPLICATE_WEBHOOK_REFUSED)).then(|| store.add_webhook(event, url))
    });
    match created {
        Some(webhook) => json_response(StatusCode::CREATED, &webhook),
        None => refuse("event", "has already been taken"),
    }
}

pub(super) async fn delete(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, u64)>,
) -> Response {
    let removed = state.with(|world| {
        let before = world.nuvemshop.webhooks.len();
        world.nuvemshop.webhooks.retain(|w| w.id != id);
        before != world.nuvemshop.webhooks.len()
    });
    if removed {
        json_response(StatusCode::OK, &json!({}))
    } else {
        json_response(
            StatusCode::NOT_FOUND,
            &nuvemshop_error(StatusCode::NOT_FOUND, "Not Found"),
        )
    }
}

fn sign(secret: &str, body: &str, base64: bool) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = ring::hmac::sign(&key, body.as_bytes());
    if base64 {
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    } else {
        tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Sends one delivery, retried a few times on failure as Nuvemshop does (faster here).
async fn send(
    http: reqwest::Client,
    secret: String,
    delivery: Delivery,
    faults: WebhookFaults,
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    if faults.delay_millis > 0 {
        tokio::time::sleep(Duration::from_millis(faults.delay_millis)).await;
    }
    let signature = sign(&secret, &delivery.body, faults.base64_signature);
    for attempt in 0..4u64 {
        let mut request = http
            .post(&delivery.url)
            .header("content-type", "application/json")
            .body(delivery.body.clone());
        if delivery.signed {
            request = request.header("X-Linkedstore-HMAC-SHA256", &signature);
        }
        let answer = request.send().await;
        sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        match answer {
            Ok(answer) if answer.status().is_success() => return,
            Ok(answer) => tracing::debug!(status = %answer.status(), "webhook refused"),
            Err(error) => tracing::debug!(%error, "webhook not delivered"),
        }
        tokio::time::sleep(Duration::from_millis(500 * (attempt + 1))).await;
    }
}

/// Hands what the world raised to the network, applying the switches.
pub(crate) async fn deliver(state: AppState, shutdown: CancellationToken) {
    crate::install_tls_provider();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let secret = state.config.nuvemshop.client_secret.clone();
    let mut held: Option<Delivery> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            _ = shutdown.cancelled() => return,
        }
        let (batch, mut faults, sent) = state.with(|world| {
            (
                std::mem::take(&mut world.nuvemshop.outbox),
                world.webhook_faults.clone(),
                world.webhook_deliveries.clone(),
            )
        });
        for delivery in batch {
            if faults.drop_next > 0 {
                faults.drop_next -= 1;
                state.with(|world| world.webhook_faults.drop_next = faults.drop_next);
                tracing::debug!("webhook dropped (fault)");
                continue;
            }
            let mut now = vec![delivery];
            if faults.out_of_order {
                match held.take() {
                    None => {
                        held = now.pop();
                        continue;
                    }
                    Some(earlier) => now.push(earlier),
                }
            }
            for delivery in now {
                let copies = if faults.duplicate { 2 } else { 1 };
                for _ in 0..copies {
                    // Sent one after the other, so that reordering is what the switch says.
                    send(
                        http.clone(),
                        secret.clone(),
                        delivery.clone(),
                        faults.clone(),
                        sent.clone(),
                    )
                    .await;
                }
            }
        }
        if !faults.out_of_order {
            if let Some(delivery) = held.take() {
                send(
                    http.clone(),
                    secret.clone(),
                    delivery,
                    faults.clone(),
                    sent.clone(),
                )
                .await;
            }
        }
    }
}

/// The LGPD requests of the app's panel, for a customer named by their orders.
pub(crate) fn lgpd_delivery(
    state: &AppState,
    kind: &str,
    order_ids: &[u64],
) -> Result<Delivery, String> {
    state.with(|world| {
        let store = &world.nuvemshop;
        let base = store
            .lgpd_webhook_base
            .clone()
            .ok_or("the app's panel has no LGPD URLs")?;
        let customer = || {
            order_ids
                .first()
                .and_then(|id| store.customer_of(*id))
                .map(|c| {
                    json!({
                        "id": c.id,
                        "email": c.email,
                        "phone": c.phone,
                        "identification": c.identification,
                    })
                })
                .ok_or("no such order")
        };
        let (path, body) = match kind {
            "store-redact" => ("store-redact", json!({ "store_id": store.store_id })),
            "customers-redact" => (
                "customers-redact",
                json!({
                    "store_id": store.store_id,
                    "customer": customer()?,
                    "orders_to_redact": order_ids,
                }),
            ),
            "customers-data-request" => (
                "customers-data-request",
                json!({
                    "store_id": store.store_id,
                    "customer": customer()?,
                    "orders_requested": order_ids,
                    "checkouts_requested": [],
                    "drafts_orders_requested": [],
                    "data_request": { "id": 4_000_000 + order_ids.first().copied().unwrap_or(0) % 1_000_000 },
                }),
            ),
            _ => return Err("unknown LGPD webhook"),
        };
        Ok(Delivery {
            url: format!("{base}/{path}"),
            body: body.to_string(),
            signed: !world.answers.nuvemshop.lgpd_unsigned,
        })
    })
    .map_err(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_follow_the_documented_rules() {
        assert!(url_is_acceptable(
            "https://conectar.ponte.app.br/webhooks/nuvemshop",
            false
        ));
        assert!(!url_is_acceptable(
            "http://conectar.ponte.app.br/webhooks",
            false
        ));
        assert!(!url_is_acceptable("https://localhost/webhooks", false));
        assert!(!url_is_acceptable(
            "https://minhaloja.lojanuvem.com.br/x",
            false
        ));
        assert!(!url_is_acceptable("https://api.tiendanube.com/x", false));
        assert!(!url_is_acceptable("http://127.0.0.1:47900/webhooks", false));
        assert!(url_is_acceptable("http://127.0.0.1:47900/webhooks", true));
    }

    #[test]
    fn signatures_are_lowercase_hex_or_base64_of_the_hmac() {
        let hex = sign("k", "{}", false);
        assert_eq!(hex.len(), 64);
        assert!(hex
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        assert_eq!(sign("k", "{}", true).len(), 44);
    }
}
