//! Orders as Nuvemshop's API renders them, quirks included: money as decimal strings, some
//! numbers as strings, offsets without a colon in lists, `completed_at` as an object.

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

use super::model::Order;
use crate::assumptions::NUVEMSHOP_SINGLE_ORDER_OFFSET_SECONDS;
use crate::money::two_places;

/// Lists and single orders render timestamps differently (see the official examples).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rendering {
    List,
    Single,
}

fn timestamp(at: DateTime<Utc>, rendering: Rendering) -> Value {
    match rendering {
        // `2022-02-23T12:25:18+0000`
        Rendering::List => Value::String(at.format("%Y-%m-%dT%H:%M:%S%z").to_string()),
        // `2022-02-23T09:25:18-03:00`
        Rendering::Single => {
            let offset = FixedOffset::east_opt(NUVEMSHOP_SINGLE_ORDER_OFFSET_SECONDS)
                .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
            Value::String(
                at.with_timezone(&offset)
                    .format("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string(),
            )
        }
    }
}

fn optional_timestamp(at: Option<DateTime<Utc>>, rendering: Rendering) -> Value {
    at.map(|at| timestamp(at, rendering)).unwrap_or(Value::Null)
}

fn money(value: Decimal) -> Value {
    Value::String(two_places(value))
}

/// Some fields flip between number and string in the official examples; the sandbox flips
/// them deterministically so every client meets both forms.
fn maybe_string(value: u64, as_string: bool) -> Value {
    if as_string {
        Value::String(value.to_string())
    } else {
        json!(value)
    }
}

pub(crate) fn render_order(order: &Order, store_id: u64, rendering: Rendering) -> Value {
    let ts = |at| timestamp(at, rendering);
    let total = order.total();
    let address = &order.address;
    let customer = &order.customer;
    let products: Vec<Value> = order
        .products
        .iter()
        .map(|line| {
            let quantity = if line.id.is_multiple_of(2) {
                Value::String(line.quantity.to_string())
            } else {
                json!(line.quantity)
            };
            json!({
                "id": line.id,
                "depth": "10.00",
                "height": "5.00",
                "name": line.name,
                "price": money(line.price),
                "compare_at_price": money(line.price),
                "product_id": line.product_id,
                "image": {
                    "id": line.product_id,
                    "product_id": line.product_id,
                    "src": format!("https://acdn.example/stores/{store_id}/products/{}.webp", line.product_id),
                    "position": 1,
                    "alt": [],
                    "created_at": ts(order.created_at),
                    "updated_at": ts(order.created_at),
                },
                "quantity": quantity,
                "free_shipping": false,
                "weight": "0.40",
                "width": "20.00",
                "variant_id": maybe_string(line.variant_id, line.id % 2 == 1),
                "variant_values": line.variant_values,
                "properties": [],
                "sku": line.sku,
                "barcode": null,
                "issues": [],
            })
        })
        .collect();

    let shipping_address = json!({
        "address": address.address,
        "city": address.city,
        "country": "BR",
        "created_at": ts(order.created_at),
        "default": false,
        "floor": address.floor,
        "id": 900_000 + customer.id,
        "locality": address.locality,
        "name": customer.name,
        "number": address.number,
        "phone": customer.phone,
        "province": address.province,
        "updated_at": ts(order.created_at),
        "zipcode": address.zipcode,
        "customs": null,
    });

    let customer_json = json!({
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "identification": customer.identification,
        "phone": customer.phone,
        "note": null,
        "default_address": shipping_address,
        "addresses": [shipping_address],
        "extra": {},
        "total_spent": money(total),
        "total_spent_currency": order.currency,
        "last_order_id": order.id,
        "active": true,
        "first_interaction": ts(customer.created_at),
        "created_at": ts(customer.created_at),
        "updated_at": ts(order.updated_at),
        "accepts_marketing": false,
        "accepts_marketing_updated_at": ts(customer.created_at),
    });

    let mut customer_json = customer_json;
    add_billing(&mut customer_json, order);

    let completed_at = json!({
        "date": order.created_at.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        "timezone_type": 3,
        "timezone": "UTC",
    });
    let coupon: Vec<Value> = order
        .coupon_code
        .iter()
        .map(|code| json!({ "code": code }))
        .collect();
    let next_action = match (order.payment_status.as_str(), order.gateway.as_str()) {
        ("pending", "offline") => "waiting_manual_confirmation",
        ("pending", _) => "waiting_ipn",
        _ => "waiting_packing",
    };

    let mut value = json!({
        "id": order.id,
        "token": order.token,
        "store_id": store_id.to_string(),
        "contact_email": customer.email,
        "contact_name": customer.name,
        "contact_phone": customer.phone,
        "contact_identification": customer.identification,
        "shipping_min_days": 3,
        "shipping_max_days": 7,
        "shipping_cost_owner": money(order.shipping_cost_owner),
        "shipping_cost_customer": money(order.shipping_cost_customer),
        "coupon": coupon,
        "promotional_discount": {
            "id": null,
            "store_id": store_id,
            "order_id": order.id.to_string(),
            "created_at": ts(order.created_at),
            "total_discount_amount": "0.00",
            "contents": [],
            "promotions_applied": [],
        },
        "subtotal": money(order.subtotal()),
        "discount": money(order.discount()),
        "discount_coupon": money(order.discount_coupon),
        "discount_gateway": money(order.discount_gateway),
        "total": money(total),
        "total_usd": money(total / Decimal::from(5)),
        "checkout_enabled": true,
        "weight": "0.400",
        "currency": order.currency,
        "language": "pt",
        "gateway": order.gateway,
        "gateway_id": format!("{}", order.id * 13),
        "gateway_name": order.gateway_name,
        "shipping": "correios",
        "shipping_option": order.shipping_option,
        "shipping_option_code": "correios-pac",
        "shipping_option_reference": null,
        "shipping_pickup_details": null,
        "shipping_tracking_number": null,
        "shipping_tracking_url": null,
        "shipping_store_branch_name": null,
        "shipping_pickup_type": "ship",
        "shipping_suboption": [],
        "extra": {},
        "storefront": "store",
        "note": order.note,
        "created_at": ts(order.created_at),
        "updated_at": ts(order.updated_at),
        "completed_at": completed_at,
        "next_action": next_action,
        "payment_details": {
            "method": order.payment_method,
            "credit_card_company": order.credit_card_company,
            // A string in the official example although documented as an integer.
            "installments": order.installments.to_string(),
        },
        "attributes": [],
        "customer": customer_json,
        "products": products,
        "number": maybe_string(order.number, order.id.is_multiple_of(3)),
        "cancel_reason": order.cancel_reason,
        "owner_note": order.owner_note,
        "cancelled_at": optional_timestamp(order.cancelled_at, rendering),
        "closed_at": null,
        "read_at": null,
        "status": order.status.as_str(),
        "payment_status": order.payment_status.as_str(),
        "shipping_address": shipping_address,
        "shipping_status": "unpacked",
        "shipped_at": null,
        "paid_at": optional_timestamp(order.paid_at, rendering),
        "landing_url": format!("https://loja-demonstracao.lojavirtualnuvem.com.br/"),
        "client_details": { "browser_ip": "177.22.100.1", "user_agent": "Mozilla/5.0" },
        "app_id": null,
    });
    add_billing(&mut value, order);
    if rendering == Rendering::Single {
        if let Some(object) = value.as_object_mut() {
            // Older names the single-order example still carries.
            object.insert("name".into(), json!(format!("#{}", order.number)));
            object.insert("price".into(), money(total));
            object.insert("price_usd".into(), money(total / Decimal::from(5)));
            object.insert("landing_site".into(), json!("/"));
            object.insert("location_id".into(), Value::Null);
            object.insert("billing_default".into(), json!(true));
        }
    }
    if let Some(patch) = &order.raw_patch {
        merge(&mut value, patch);
    }
    value
}

/// The flat `billing_*` fields, which both the order and its customer carry.
fn add_billing(target: &mut Value, order: &Order) {
    let address = &order.address;
    let billing = json!({
        "billing_name": order.customer.name,
        "billing_phone": order.billing_phone,
        "billing_address": address.address,
        "billing_number": address.number,
        "billing_floor": address.floor,
        "billing_locality": address.locality,
        "billing_zipcode": address.zipcode,
        "billing_city": address.city,
        "billing_province": address.province,
        "billing_country": "BR",
    });
    if let (Some(target), Value::Object(billing)) = (target.as_object_mut(), billing) {
        target.extend(billing);
    }
}

/// RFC 7396 merge patch.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// `fields=id,number,total`: keeps the named top-level fields only.
pub(crate) fn select_fields(value: Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return value;
    }
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .filter(|(key, _)| fields.iter().any(|field| field == key))
                .collect::<Map<String, Value>>(),
        ),
        other => other,
    }
}
