//! The control API over HTTP, for `ponte sandbox` users and out-of-process tests.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;

use super::{Control, ControlError};
use crate::contaazul::model::{NewPessoa, NewProduto};
use crate::faults::FaultRule;
use crate::http::json_response;
use crate::nuvemshop::model::{NewOrder, PaymentStatus};
use crate::AppState;

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/control", get(index))
        .route("/control/reset", post(reset))
        .route("/control/nuvemshop/orders", get(orders).post(create_order))
        .route("/control/nuvemshop/orders/{id}/pay", post(pay))
        .route("/control/nuvemshop/orders/{id}/cancel", post(cancel))
        .route("/control/nuvemshop/orders/{id}/refund", post(refund))
        .route("/control/nuvemshop/orders/{id}/edit", post(edit_order))
        .route(
            "/control/nuvemshop/orders/{id}/payment-status",
            put(payment_status),
        )
        .route("/control/nuvemshop/revoke-token", post(revoke))
        .route("/control/nuvemshop/install", post(install_from_admin))
        .route("/control/nuvemshop/webhooks", get(webhooks))
        .route("/control/nuvemshop/webhook-faults", put(set_webhook_faults))
        .route("/control/nuvemshop/lgpd/{kind}", post(send_lgpd))
        .route("/control/nuvemshop/suspended", put(set_suspended))
        .route("/control/contaazul/sale-search-lag", put(set_search_lag))
        .route("/control/contaazul/sellers", get(sellers).post(add_seller))
        .route(
            "/control/contaazul/customers",
            get(customers).post(add_customer),
        )
        .route(
            "/control/contaazul/products",
            get(products).post(add_product),
        )
        .route(
            "/control/contaazul/products/{product}/stock",
            put(set_stock),
        )
        .route(
            "/control/contaazul/products/{product}/active",
            put(set_active),
        )
        .route(
            "/control/contaazul/stock-validation",
            get(stock_validation).put(set_stock_validation),
        )
        .route("/control/contaazul/sales", get(sales).post(type_sale))
        .route(
            "/control/contaazul/sales/{id}",
            axum::routing::delete(delete_sale),
        )
        .route(
            "/control/contaazul/reject-refresh-tokens",
            post(reject_refresh),
        )
        .route(
            "/control/contaazul/expire-access-tokens",
            post(expire_access),
        )
        .route(
            "/control/faults",
            get(faults).post(add_fault).delete(clear_faults),
        )
        .route("/control/answers", get(answers).put(set_answers))
        .route("/control/calls", get(calls).delete(reset_calls))
        .route("/control/demo/start", post(start_demo))
        .route("/control/demo/stop", post(stop_demo))
        .layer(axum::middleware::from_fn(loopback_host_only))
        .with_state(state)
}

/// The control API has no authentication: it answers only requests addressed to this
/// computer's loopback by name. A web page whose domain was made to resolve to 127.0.0.1 (DNS
/// rebinding) still sends its own name as `Host`, and is refused.
async fn loopback_host_only(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if is_loopback_host(host) {
        next.run(request).await
    } else {
        json_response(
            StatusCode::FORBIDDEN,
            &json!({ "error": "the control API answers only 127.0.0.1, localhost and [::1]" }),
        )
    }
}

fn is_loopback_host(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => host.split(':').next().unwrap_or(""),
    };
    matches!(name, "127.0.0.1" | "localhost" | "::1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_loopback_by_name_reaches_the_control_api() {
        for host in [
            "127.0.0.1:47830",
            "localhost:47830",
            "[::1]:47830",
            "localhost",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example:47830",
            "127.0.0.1.evil.example",
            "",
            "10.0.0.1:47830",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}

fn control(state: &AppState) -> Control {
    Control::new(state.clone())
}

fn ok<T: serde::Serialize>(body: T) -> Response {
    json_response(StatusCode::OK, &body)
}

/// A seed without a name would be a person or product nobody can find: refused, not kept.
fn unnamed(what: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({ "error": format!("{what} needs a non-empty \"nome\"") }),
    )
}

fn done() -> Response {
    ok(json!({ "ok": true }))
}

fn answer<T: serde::Serialize>(result: Result<T, ControlError>) -> Response {
    match result {
        Ok(body) => ok(body),
        Err(error) => json_response(
            StatusCode::NOT_FOUND,
            &json!({ "error": error.to_string() }),
        ),
    }
}

async fn index() -> Response {
    ok(json!({
        "endpoints": [
            "POST /control/reset",
            "GET|POST /control/nuvemshop/orders {customer: {name, email, identification, phone}, products: [{name, price, quantity, sku, variant_values}], shipping_cost_customer, discount_coupon, discount_gateway, coupon_code, gateway, payment_method, installments, payment_status, created_at, currency, note, address}",
            "POST /control/nuvemshop/orders/{id}/pay|cancel|refund",
            "POST /control/nuvemshop/orders/{id}/edit {line, quantity}",
            "PUT /control/nuvemshop/orders/{id}/payment-status {status}",
            "POST /control/nuvemshop/install",
            "GET /control/nuvemshop/webhooks",
            "PUT /control/nuvemshop/webhook-faults {drop_next, duplicate, delay_millis, out_of_order, base64_signature}",
            "POST /control/nuvemshop/lgpd/store-redact|customers-redact|customers-data-request {order_ids}",
            "POST /control/nuvemshop/revoke-token",
            "GET|POST /control/contaazul/sellers {nome}",
            "GET|POST /control/contaazul/customers {nome, documento, email, telefone_celular, ativo}",
            "GET|POST /control/contaazul/products {nome, codigo_sku, valor_venda, saldo, ativo}",
            "PUT /control/contaazul/products/{id or name}/stock {saldo}",
            "PUT /control/contaazul/products/{id or name}/active {ativo}",
            "PUT /control/nuvemshop/suspended {enabled}",
            "PUT /control/contaazul/sale-search-lag {millis}",
            "GET|PUT /control/contaazul/stock-validation {enabled}",
            "GET /control/contaazul/sales",
            "POST /control/contaazul/sales {customer, total, date}: a sale typed by hand",
            "DELETE /control/contaazul/sales/{id}",
            "POST /control/contaazul/reject-refresh-tokens",
            "POST /control/contaazul/expire-access-tokens",
            "GET|POST|DELETE /control/faults",
            "GET|DELETE /control/calls",
            "POST /control/demo/start {interval_seconds, seed}",
            "POST /control/demo/stop",
        ]
    }))
}

async fn reset(State(state): State<AppState>) -> Response {
    control(&state).reset();
    done()
}

async fn orders(State(state): State<AppState>) -> Response {
    ok(control(&state).orders())
}

async fn create_order(State(state): State<AppState>, Json(order): Json<NewOrder>) -> Response {
    ok(control(&state).create_order(order))
}

async fn pay(State(state): State<AppState>, Path(id): Path<u64>) -> Response {
    answer(control(&state).pay_order(id))
}

async fn cancel(State(state): State<AppState>, Path(id): Path<u64>) -> Response {
    answer(control(&state).cancel_order(id))
}

async fn refund(State(state): State<AppState>, Path(id): Path<u64>) -> Response {
    answer(control(&state).refund_order(id))
}

#[derive(Deserialize)]
struct EditBody {
    /// The line (0-based) whose quantity changes.
    line: usize,
    quantity: i64,
}

async fn edit_order(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Json(body): Json<EditBody>,
) -> Response {
    answer(control(&state).edit_order_quantity(id, body.line, body.quantity))
}

#[derive(Deserialize)]
struct TypedSale {
    customer: String,
    total: Decimal,
    /// `YYYY-MM-DD`
    date: chrono::NaiveDate,
}

/// A sale typed in Conta Azul's screens (no note): `{"customer", "total", "date"}`.
async fn type_sale(State(state): State<AppState>, Json(body): Json<TypedSale>) -> Response {
    ok(json!(control(&state).type_sale(
        &body.customer,
        body.total,
        body.date
    )))
}

async fn delete_sale(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if control(&state).delete_sale(&id) {
        ok(json!({ "deleted": id }))
    } else {
        axum::response::IntoResponse::into_response((
            StatusCode::NOT_FOUND,
            Json(json!({ "error": format!("no sale {id}") })),
        ))
    }
}

#[derive(Deserialize)]
struct PaymentStatusBody {
    status: PaymentStatus,
}

async fn payment_status(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Json(body): Json<PaymentStatusBody>,
) -> Response {
    answer(control(&state).set_payment_status(id, body.status))
}

/// `{"redirect": URL}`: where the browser goes after an install started in the store's admin
/// (a code, no `state`).
async fn install_from_admin(State(state): State<AppState>) -> Response {
    ok(serde_json::json!({ "redirect": control(&state).install_from_admin() }))
}

async fn webhooks(State(state): State<AppState>) -> Response {
    ok(control(&state).webhooks())
}

async fn answers(State(state): State<AppState>) -> Response {
    ok(control(&state).answers())
}

async fn set_answers(
    State(state): State<AppState>,
    Json(answers): Json<crate::answers::Answers>,
) -> Response {
    control(&state).set_answers(answers);
    done()
}

async fn set_webhook_faults(
    State(state): State<AppState>,
    Json(faults): Json<crate::nuvemshop::webhooks::WebhookFaults>,
) -> Response {
    control(&state).set_webhook_faults(faults);
    done()
}

#[derive(Deserialize, Default)]
struct LgpdBody {
    #[serde(default)]
    order_ids: Vec<u64>,
}

async fn send_lgpd(
    State(state): State<AppState>,
    Path(kind): Path<String>,
    body: Option<Json<LgpdBody>>,
) -> Response {
    let body = body.map(|Json(body)| body).unwrap_or_default();
    match control(&state).send_lgpd_webhook(&kind, &body.order_ids) {
        Ok(()) => done(),
        Err(error) => json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": error.to_string() }),
        ),
    }
}

async fn revoke(State(state): State<AppState>) -> Response {
    control(&state).revoke_nuvemshop_token();
    done()
}

async fn sellers(State(state): State<AppState>) -> Response {
    ok(control(&state).sellers())
}

#[derive(Deserialize)]
struct SellerBody {
    #[serde(alias = "name", default)]
    nome: String,
}

async fn add_seller(State(state): State<AppState>, Json(body): Json<SellerBody>) -> Response {
    if body.nome.trim().is_empty() {
        return unnamed("a seller");
    }
    ok(control(&state).add_seller(&body.nome))
}

async fn customers(State(state): State<AppState>) -> Response {
    ok(control(&state).customers())
}

async fn add_customer(State(state): State<AppState>, Json(body): Json<NewPessoa>) -> Response {
    if body.nome.trim().is_empty() {
        return unnamed("a customer");
    }
    ok(control(&state).add_customer(body))
}

async fn products(State(state): State<AppState>) -> Response {
    ok(control(&state).products())
}

async fn add_product(State(state): State<AppState>, Json(body): Json<NewProduto>) -> Response {
    if body.nome.trim().is_empty() {
        return unnamed("a product");
    }
    ok(control(&state).add_product(body))
}

#[derive(Deserialize)]
struct StockBody {
    #[serde(alias = "stock")]
    saldo: Decimal,
}

async fn set_stock(
    State(state): State<AppState>,
    Path(product): Path<String>,
    Json(body): Json<StockBody>,
) -> Response {
    answer(control(&state).set_stock(&product, body.saldo))
}

#[derive(Deserialize)]
struct ActiveBody {
    ativo: bool,
}

async fn set_active(
    State(state): State<AppState>,
    Path(product): Path<String>,
    Json(body): Json<ActiveBody>,
) -> Response {
    answer(control(&state).set_product_active(&product, body.ativo))
}

#[derive(Deserialize)]
struct EnabledBody {
    enabled: bool,
}

async fn set_suspended(State(state): State<AppState>, Json(body): Json<EnabledBody>) -> Response {
    control(&state).set_store_suspended(body.enabled);
    ok(json!({ "enabled": body.enabled }))
}

#[derive(Deserialize)]
struct MillisBody {
    millis: u64,
}

async fn set_search_lag(State(state): State<AppState>, Json(body): Json<MillisBody>) -> Response {
    control(&state).set_sale_search_lag(Duration::from_millis(body.millis));
    ok(json!({ "millis": body.millis }))
}

async fn stock_validation(State(state): State<AppState>) -> Response {
    ok(json!({ "enabled": control(&state).stock_validation() }))
}

async fn set_stock_validation(
    State(state): State<AppState>,
    Json(body): Json<EnabledBody>,
) -> Response {
    control(&state).set_stock_validation(body.enabled);
    ok(json!({ "enabled": body.enabled }))
}

async fn sales(State(state): State<AppState>) -> Response {
    ok(control(&state).sales())
}

async fn reject_refresh(State(state): State<AppState>) -> Response {
    control(&state).reject_refresh_tokens();
    done()
}

async fn expire_access(State(state): State<AppState>) -> Response {
    control(&state).expire_access_tokens();
    done()
}

async fn faults(State(state): State<AppState>) -> Response {
    ok(control(&state).faults())
}

async fn add_fault(State(state): State<AppState>, Json(rule): Json<FaultRule>) -> Response {
    control(&state).add_fault(rule);
    done()
}

async fn clear_faults(State(state): State<AppState>) -> Response {
    control(&state).clear_faults();
    done()
}

async fn calls(State(state): State<AppState>) -> Response {
    ok(control(&state).calls())
}

async fn reset_calls(State(state): State<AppState>) -> Response {
    control(&state).reset_calls();
    done()
}

#[derive(Deserialize)]
struct DemoBody {
    #[serde(default = "default_interval")]
    interval_seconds: f64,
    #[serde(default)]
    seed: u64,
}

fn default_interval() -> f64 {
    20.0
}

async fn start_demo(State(state): State<AppState>, Json(body): Json<DemoBody>) -> Response {
    if !body.interval_seconds.is_finite() || body.interval_seconds < 0.05 {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": "interval_seconds must be at least 0.05" }),
        );
    }
    control(&state).start_demo(Duration::from_secs_f64(body.interval_seconds), body.seed);
    done()
}

async fn stop_demo(State(state): State<AppState>) -> Response {
    control(&state).stop_demo();
    done()
}
