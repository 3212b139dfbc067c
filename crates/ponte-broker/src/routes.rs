//! The broker's HTTP surface, and what every answer shares. Who may call each route, what it
//! stores and what one abusive caller can make it do: `docs/broker.md`, "Threat model".
//!
//! | | |
//! |---|---|
//! | `POST /connect/{service}/start` | `{state, verifier_hash, port?}`: a connect the browser is about to begin (`connect.rs`) |
//! | `GET /callback/{service}` | where the service sends the browser back; the code is exchanged at once |
//! | `POST /connect/claim` | `{state, verifier, return_code?}`: the tokens, once |
//! | `POST /connect/pair` | `{code}`: the tokens of an install that started in the Nuvemshop admin |
//! | `POST /refresh/contaazul` | a Conta Azul refresh by an installation, with the app's Basic authentication (`refresh.rs`) |
//! | `DELETE /installation` | the merchant disconnected: the installation's key stops working |
//! | `GET /events`, `POST /events/ack` | the store's webhook events (`events.rs`) |
//! | `POST /webhooks/nuvemshop[/…]` | Nuvemshop's deliveries (`webhooks.rs`) |
//! | `GET /healthz` | the database answers |

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::BrokerState;

pub(crate) fn error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(ponte_protocol::Refusal {
            error: code.to_string(),
            error_description: Some(description.to_string()),
        }),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) fn with_retry_after(mut response: Response, wait: Duration) -> Response {
    let seconds = wait.as_secs().max(1).to_string();
    if let Ok(value) = HeaderValue::from_str(&seconds) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub(crate) fn too_many(wait: Duration) -> Response {
    with_retry_after(
        error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "too many requests; wait and try again",
        ),
        wait,
    )
}

pub(crate) fn bad_json(rejection: JsonRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the body is too large",
        );
    }
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "the body must be the documented JSON",
    )
}

pub(crate) fn unknown_service() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "unknown_service",
        "services: nuvemshop, contaazul",
    )
}

pub(crate) fn unavailable() -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again")
}

/// An installation's key, from `Authorization: Bearer …`.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    let key = key.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty() && key.len() <= 128).then_some(key)
}

/// `GET /readyz` (and `/healthz`): ready for requests: the database answers and the broker is
/// not stopping (a balancer then sends them elsewhere).
pub(crate) async fn healthz(State(broker): State<BrokerState>) -> Response {
    if !broker.shutdown.is_cancelled() && broker.db(|db| Ok(db.healthy())).await.unwrap_or(false) {
        Json(json!({ "status": "ok" })).into_response()
    } else {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database does not answer",
        )
    }
}

pub(crate) async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "see the broker's documentation",
    )
}

/// Method, path and status of every request: never a query string, a header or a body.
/// Counted in the metrics too; a webhook answered with an error counts as refused.
pub(crate) async fn log_requests(
    State(broker): State<BrokerState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    tracing::info!(
        %method,
        path,
        status,
        millis = started.elapsed().as_millis() as u64,
        "request"
    );
    broker.metrics.request(&path, status);
    if path.starts_with("/webhooks/") && !response.status().is_success() {
        broker.metrics.webhook("refused");
    }
    response
}

/// `GET /livez`: the process serves (a restart is the cure when it does not).
pub(crate) async fn livez() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// On every answer: no content sniffing, no referrer, and behind HTTPS, HTTPS only from then on.
pub(crate) async fn security_headers(
    State(broker): State<BrokerState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    if broker.config.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_key_is_read_only_from_its_own_scheme() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&headers), None);
        let long = format!("Bearer {}", "k".repeat(200));
        headers.insert(header::AUTHORIZATION, long.parse().unwrap());
        assert_eq!(bearer(&headers), None);
    }
}
