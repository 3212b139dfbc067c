//! The merchant's other stores on the same simulated Nuvemshop (`Control::consent_in_store`):
//! each answers as a store of its own with no orders, so that several profiles of one Ponte,
//! or the broker's benchmark's thousands of stores, each reach a store of their own. Its
//! webhooks are accepted and not kept (it never has an order to tell of).

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::assumptions::nuvemshop_error;
use crate::http::json_response;

/// The answer to `method path` (the whole `/v1/{id}/…` path) for the sibling store `id`.
pub(super) fn answer(method: &Method, path: &str, id: u64) -> Response {
    let rest = path
        .split('?')
        .next()
        .unwrap_or_default()
        .splitn(4, '/')
        .nth(3)
        .unwrap_or_default();
    match (method, rest) {
        (&Method::GET, "store") => json_response(
            StatusCode::OK,
            &json!({
                "id": id,
                "name": { "pt": format!("Loja {id}") },
                "country": "BR",
                "main_currency": "BRL",
                "main_language": "pt",
                "original_domain": format!("loja-{id}.lojavirtualnuvem.com.br"),
            }),
        ),
        // As the simulated store answers a listing that matches nothing.
        (&Method::GET, "orders") => json_response(
            StatusCode::NOT_FOUND,
            &nuvemshop_error(StatusCode::NOT_FOUND, "Last page is 0"),
        ),
        (&Method::GET, "webhooks") => json_response(StatusCode::OK, &json!([])),
        (&Method::POST, "webhooks") => json_response(
            StatusCode::CREATED,
            &json!({ "id": id, "event": "order/paid", "url": "" }),
        ),
        _ => json_response(
            StatusCode::NOT_FOUND,
            &nuvemshop_error(StatusCode::NOT_FOUND, "Not Found"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sibling_store_is_a_store_without_orders() {
        let store = answer(&Method::GET, "/v1/777/store", 777);
        assert_eq!(store.status(), StatusCode::OK);
        let body = axum::body::to_bytes(store.into_body(), 10_000)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["name"]["pt"], "Loja 777");
        let orders = answer(&Method::GET, "/v1/777/orders?page=1&per_page=200", 777);
        assert_eq!(orders.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            answer(&Method::GET, "/v1/777/orders/5", 777).status(),
            StatusCode::NOT_FOUND
        );
    }
}
