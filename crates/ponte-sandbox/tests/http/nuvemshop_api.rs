//! The Nuvemshop API (reference §2–§6): headers, errors, the leaky bucket, pages, filters and
//! the order payload, checked against the official examples.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{Duration as Span, Utc};
use ponte_sandbox::nuvemshop::{NewCustomer, NewLine, NewOrder, PaymentStatus};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{expect_json, start, start_with, Harness};

pub fn paid_order(buyer: &str) -> NewOrder {
    NewOrder {
        customer: NewCustomer {
            name: buyer.to_string(),
            email: format!("{}@exemplo.com.br", buyer.to_lowercase().replace(' ', ".")),
            identification: Some("529.982.247-25".into()),
            phone: Some("+5511987654321".into()),
            billing_phone: Some("+5511912345678".into()),
        },
        products: vec![
            NewLine {
                name: "Camiseta Básica Algodão (M, Preta)".into(),
                price: "59.90".parse().unwrap(),
                quantity: 2,
                sku: Some("CAM-MP".into()),
                variant_values: vec!["M".into(), "Preta".into()],
            },
            NewLine {
                name: "Caneca Cerâmica 350 ml".into(),
                price: "39.90".parse().unwrap(),
                quantity: 1,
                sku: None,
                variant_values: vec![],
            },
        ],
        shipping_cost_customer: "18.50".parse().unwrap(),
        discount_coupon: "15.97".parse().unwrap(),
        payment_status: Some(PaymentStatus::Paid),
        payment_method: Some("credit_card".into()),
        installments: Some(3),
        ..NewOrder::default()
    }
}

async fn connected() -> (Harness, String) {
    let h = start().await;
    let token = h.nuvemshop_token().await;
    (h, token)
}

#[tokio::test]
async fn a_request_without_user_agent_gets_400() {
    let (h, token) = connected().await;
    ponte_sandbox::install_tls_provider();
    let bare = reqwest::Client::new();
    let response = bare
        .get(h.ns("/orders"))
        .header("Authentication", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    let body = expect_json(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["code"], 400);
}

#[tokio::test]
async fn only_the_authentication_header_with_the_store_token_is_accepted() {
    let (h, token) = connected().await;
    let none = h.http.get(h.ns("/store")).send().await.unwrap();
    let body = expect_json(none, StatusCode::UNAUTHORIZED).await;
    assert_eq!(body["code"], 401);

    // assumptions::NUVEMSHOP_ACCEPTS_AUTHORIZATION_HEADER
    let standard = h
        .http
        .get(h.ns("/store"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(standard.status(), StatusCode::UNAUTHORIZED);

    let other_store = h
        .http
        .get(format!("{}/1/store", h.sandbox.nuvemshop_api_url()))
        .header("Authentication", format!("bearer {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(other_store.status(), StatusCode::UNAUTHORIZED);

    let store = expect_json(h.ns_get(&token, "/store").await, StatusCode::OK).await;
    assert_eq!(store["id"], json!(h.store_id()));
    assert_eq!(store["main_currency"], "BRL");
    assert_eq!(store["country"], "BR");
}

#[tokio::test]
async fn a_revoked_token_gets_401() {
    let (h, token) = connected().await;
    h.sandbox.control().revoke_nuvemshop_token();
    assert_eq!(
        h.ns_get(&token, "/store").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn writes_need_a_json_content_type_and_valid_json() {
    let (h, token) = connected().await;
    let order = h.sandbox.control().create_order(paid_order("Maria Silva"));
    let url = h.ns(&format!("/orders/{}", order.id));
    let auth = format!("bearer {token}");

    let plain = h
        .http
        .put(&url)
        .header("Authentication", &auth)
        .body(r#"{"owner_note":"x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let broken = h
        .http
        .put(&url)
        .header("Authentication", &auth)
        .header("Content-Type", "application/json; charset=utf-8")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let body = expect_json(broken, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["error"], "Problems parsing JSON");

    let fine = h
        .http
        .put(&url)
        .header("Authentication", &auth)
        .json(&json!({ "owner_note": "Venda 12 na Conta Azul" }))
        .send()
        .await
        .unwrap();
    let body = expect_json(fine, StatusCode::OK).await;
    assert_eq!(body["owner_note"], "Venda 12 na Conta Azul");
}

#[tokio::test]
async fn an_empty_result_is_a_404_last_page_is_0() {
    let (h, token) = connected().await;
    let body = expect_json(h.ns_get(&token, "/orders").await, StatusCode::NOT_FOUND).await;
    assert_eq!(
        body,
        json!({ "code": 404, "message": "Not Found", "description": "Last page is 0" })
    );
}

#[tokio::test]
async fn pages_count_from_one_default_to_30_and_end_with_a_404() {
    let (h, token) = connected().await;
    for n in 0..65 {
        h.sandbox
            .control()
            .create_order(paid_order(&format!("Cliente {n}")));
    }
    let first = h.ns_get(&token, "/orders").await;
    assert_eq!(first.headers()["x-total-count"], "65");
    let link = first.headers()["link"].to_str().unwrap().to_string();
    assert!(link.contains("page=2>; rel=\"next\""), "{link}");
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    assert_eq!(
        expect_json(first, StatusCode::OK)
            .await
            .as_array()
            .unwrap()
            .len(),
        30
    );

    let third = expect_json(h.ns_get(&token, "/orders?page=3").await, StatusCode::OK).await;
    assert_eq!(third.as_array().unwrap().len(), 5);
    let past = expect_json(
        h.ns_get(&token, "/orders?page=4").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(past["description"], "Last page is 3");

    // assumptions::NUVEMSHOP_MAX_PER_PAGE: above 200 is clamped.
    let all = expect_json(
        h.ns_get(&token, "/orders?per_page=500").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(all.as_array().unwrap().len(), 65);
}

#[tokio::test]
async fn following_the_link_header_visits_every_order_once() {
    let (h, token) = connected().await;
    for n in 0..45 {
        h.sandbox
            .control()
            .create_order(paid_order(&format!("Cliente {n}")));
    }
    let mut seen = HashSet::new();
    let mut next = Some(h.ns("/orders?per_page=20&payment_status=paid"));
    while let Some(url) = next.take() {
        let response = h
            .http
            .get(&url)
            .header("Authentication", format!("bearer {token}"))
            .send()
            .await
            .unwrap();
        next = response.headers().get("link").and_then(|link| {
            link.to_str().unwrap().split(", ").find_map(|part| {
                part.strip_suffix("; rel=\"next\"")
                    .map(|url| url.trim_matches(|c| c == '<' || c == '>').to_string())
            })
        });
        for order in expect_json(response, StatusCode::OK)
            .await
            .as_array()
            .unwrap()
        {
            assert!(seen.insert(order["id"].as_u64().unwrap()), "no order twice");
        }
    }
    assert_eq!(seen.len(), 45);
}

fn ids(body: &Value) -> Vec<u64> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|order| order["id"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn filters_select_by_payment_dates_status_and_id() {
    let (h, token) = connected().await;
    let control = h.sandbox.control();
    let mut old = paid_order("Antiga");
    old.created_at = Some(Utc::now() - Span::days(3));
    let old = control.create_order(old);
    let mut pending = paid_order("Pendente");
    pending.payment_status = None;
    let pending = control.create_order(pending);
    let paid = control.create_order(paid_order("Paga"));
    let cancelled = control.create_order(paid_order("Cancelada"));
    control.cancel_order(cancelled.id).unwrap();

    let only_paid = expect_json(
        h.ns_get(&token, "/orders?payment_status=paid").await,
        StatusCode::OK,
    )
    .await;
    let only_paid = ids(&only_paid);
    assert!(only_paid.contains(&paid.id) && only_paid.contains(&old.id));
    assert!(!only_paid.contains(&pending.id));

    let since = (Utc::now() - Span::days(1)).format("%Y-%m-%dT%H:%M:%S%z");
    let recent = expect_json(
        h.ns_get(
            &token,
            &format!("/orders?created_at_min={}", urlencode(&since.to_string())),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        !ids(&recent).contains(&old.id),
        "created before the minimum"
    );

    let until = (Utc::now() - Span::days(2)).format("%Y-%m-%dT%H:%M:%S%z");
    let older = expect_json(
        h.ns_get(
            &token,
            &format!("/orders?created_at_max={}", urlencode(&until.to_string())),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&older), vec![old.id], "created before the maximum");

    let cancelled_only = expect_json(
        h.ns_get(&token, "/orders?status=cancelled").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&cancelled_only), vec![cancelled.id]);

    let after = expect_json(
        h.ns_get(&token, &format!("/orders?since_id={}", paid.id))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&after), vec![cancelled.id]);

    let invalid = expect_json(
        h.ns_get(&token, "/orders?payment_status=pago").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        invalid["payment_status"].is_array(),
        "the documented 422 shape"
    );
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn an_order_paid_later_shows_up_in_an_updated_at_window() {
    let (h, token) = connected().await;
    let control = h.sandbox.control();
    let mut order = paid_order("Boleto");
    order.payment_status = None;
    let order = control.create_order(order);
    let window = order.updated_at.format("%Y-%m-%dT%H:%M:%S%z").to_string();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let paid = control.pay_order(order.id).unwrap();
    assert!(paid.updated_at > order.updated_at);
    assert!(paid.paid_at.is_some());
    let path = format!(
        "/orders?payment_status=paid&updated_at_min={}",
        urlencode(&window)
    );
    let found = expect_json(h.ns_get(&token, &path).await, StatusCode::OK).await;
    assert_eq!(ids(&found), vec![order.id]);
    assert!(found[0]["paid_at"].as_str().unwrap().ends_with("+0000"));

    control.refund_order(order.id).unwrap();
    let refunded = expect_json(
        h.ns_get(&token, &format!("/orders/{}", order.id)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(refunded["payment_status"], "refunded");
}

#[tokio::test]
async fn orders_carry_the_documented_quirks() {
    let (h, token) = connected().await;
    for n in 0..6 {
        h.sandbox
            .control()
            .create_order(paid_order(&format!("Cliente {n}")));
    }
    let list = expect_json(h.ns_get(&token, "/orders").await, StatusCode::OK).await;
    let orders = list.as_array().unwrap();
    let first = &orders[0];
    assert_eq!(first["subtotal"], "159.70");
    assert_eq!(first["discount"], "15.97");
    assert_eq!(first["shipping_cost_customer"], "18.50");
    assert_eq!(first["total"], "162.23");
    assert_eq!(first["currency"], "BRL");
    assert_eq!(
        first["payment_details"]["installments"], "3",
        "a string, as in the example"
    );
    assert!(first["completed_at"].is_object());
    assert_eq!(first["customer"]["identification"], "529.982.247-25");
    assert_eq!(first["billing_phone"], "+5511912345678");
    let created = first["created_at"].as_str().unwrap();
    assert!(
        created.ends_with("+0000") && !created.ends_with(":00+00:00"),
        "{created}"
    );

    // Some numbers flip between string and number across orders and lines.
    assert!(orders.iter().any(|o| o["number"].is_string()));
    assert!(orders.iter().any(|o| o["number"].is_number()));
    let lines: Vec<&Value> = orders
        .iter()
        .flat_map(|o| o["products"].as_array().unwrap())
        .collect();
    assert!(lines.iter().any(|l| l["quantity"].is_string()));
    assert!(lines.iter().any(|l| l["quantity"].is_number()));
    assert!(lines
        .iter()
        .all(|l| l["price"].as_str().unwrap().contains('.')));

    // A single order comes in São Paulo time (assumptions::NUVEMSHOP_SINGLE_ORDER_OFFSET_SECONDS).
    let id = first["id"].as_u64().unwrap();
    let single = expect_json(
        h.ns_get(&token, &format!("/orders/{id}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(single["created_at"].as_str().unwrap().ends_with("-03:00"));
    let missing = expect_json(h.ns_get(&token, "/orders/1").await, StatusCode::NOT_FOUND).await;
    assert_eq!(missing["code"], 404);
}

#[tokio::test]
async fn fields_keeps_only_the_named_fields() {
    let (h, token) = connected().await;
    h.sandbox.control().create_order(paid_order("Maria Silva"));
    let list = expect_json(
        h.ns_get(&token, "/orders?fields=id,number,total").await,
        StatusCode::OK,
    )
    .await;
    let keys: HashSet<&str> = list[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, HashSet::from(["id", "number", "total"]));
}

#[tokio::test]
async fn a_raw_patch_serves_a_field_of_the_wrong_type() {
    let (h, token) = connected().await;
    let mut order = paid_order("Maria Silva");
    order.raw_patch = Some(json!({ "total": { "oops": true }, "customer": { "name": null } }));
    h.sandbox.control().create_order(order);
    let list = expect_json(h.ns_get(&token, "/orders").await, StatusCode::OK).await;
    assert!(list[0]["total"].is_object());
    assert!(list[0]["customer"].get("name").is_none());
}

/// The JSON kind of a value, with the flips the official examples themselves show.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) | Value::String(_) => "scalar",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key the example has, ours has, with a compatible kind (null is compatible with all).
fn covers(example: &Value, ours: &Value, path: &str, problems: &mut Vec<String>) {
    let (Value::Object(example), Value::Object(ours)) = (example, ours) else {
        return;
    };
    for (key, example_value) in example {
        let here = format!("{path}.{key}");
        let Some(our_value) = ours.get(key) else {
            problems.push(format!("missing {here}"));
            continue;
        };
        if !example_value.is_null()
            && !our_value.is_null()
            && kind(example_value) != kind(our_value)
        {
            problems.push(format!(
                "{here} is {} in the example, {} here",
                kind(example_value),
                kind(our_value)
            ));
        }
        match (example_value, our_value) {
            // `extra` holds whatever the store's checkout adds: free-form keys.
            (Value::Object(_), Value::Object(_)) if key == "extra" => {}
            (Value::Object(_), Value::Object(_)) => {
                covers(example_value, our_value, &here, problems)
            }
            (Value::Array(e), Value::Array(o)) => {
                if let (Some(e), Some(o)) = (e.first(), o.first()) {
                    covers(e, o, &format!("{here}[0]"), problems);
                }
            }
            _ => {}
        }
    }
}

fn assert_covers(example: &Value, ours: &Value, path: &str) {
    let mut problems = Vec::new();
    covers(example, ours, path, &mut problems);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[tokio::test]
async fn orders_have_every_field_of_the_official_examples() {
    let examples: Value = serde_json::from_str(include_str!(
        "../../../../specs/nuvemshop-order-examples.json"
    ))
    .unwrap();
    let (h, token) = connected().await;
    let mut order = paid_order("Maria Silva");
    order.coupon_code = Some("BEMVINDO10".into());
    let order = h.sandbox.control().create_order(order);
    let list = expect_json(h.ns_get(&token, "/orders").await, StatusCode::OK).await;
    assert_covers(&examples["GET /orders (list)"][0], &list[0], "list");
    let single = expect_json(
        h.ns_get(&token, &format!("/orders/{}", order.id)).await,
        StatusCode::OK,
    )
    .await;
    assert_covers(&examples["GET /orders/{id}"], &single, "single");
}

#[tokio::test]
async fn the_leaky_bucket_reports_itself_and_answers_429_past_the_burst() {
    let h = start_with(|config| {
        config.nuvemshop.bucket_size = 5;
        config.nuvemshop.leak_per_second = 2.0;
    })
    .await;
    let token = h.nuvemshop_token().await;
    for remaining in (0..5).rev() {
        let response = h.ns_get(&token, "/store").await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-rate-limit-limit"], "5");
        assert_eq!(
            response.headers()["x-rate-limit-remaining"],
            remaining.to_string().as_str()
        );
    }
    let refused = h.ns_get(&token, "/store").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let reset: u64 = refused.headers()["x-rate-limit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (2000..=2500).contains(&reset),
        "5 requests drain at 2/s: {reset} ms"
    );
    assert!(refused.headers().get("retry-after").is_none());
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        h.ns_get(&token, "/store").await.status(),
        StatusCode::OK,
        "one has leaked"
    );
}

#[tokio::test]
async fn the_result_window_stops_at_ten_thousand() {
    let (h, token) = connected().await;
    h.sandbox.control().create_order(paid_order("Maria Silva"));
    let response = h.ns_get(&token, "/orders?per_page=200&page=51").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
