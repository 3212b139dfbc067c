//! The parsers that read what the services send, and the rules right behind them, fed
//! arbitrary input: they answer a value or an error, never a panic; and fed well-formed input
//! of any size, they answer the right value.

use ponte_core::contaazul::assumptions::{error_message, is_number_taken, is_stock_validation};
use ponte_core::contaazul::wire::{Items, Itens, PessoaSummary, ProdutoSummary, VendaSummary};
use ponte_core::nuvemshop::Order;
use ponte_core::rules::customer::customer_draft;
use ponte_core::rules::failure::classify_refusal;
use ponte_core::rules::sale::sale_draft;
use ponte_core::rules::text::{clean_text, clean_text_within};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        "[0-9]{1,40}(\\.[0-9]{1,30})?".prop_map(Value::String),
        "-?[0-9]{1,3}e[0-9]{1,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// An order shaped like Nuvemshop's, each field replaced by arbitrary JSON at random.
fn order_like() -> impl Strategy<Value = Value> {
    let field = |good: Value| prop_oneof![3 => Just(good), 1 => any_json()];
    (
        field(json!(1450789401u64)),
        field(json!("101")),
        field(json!("2026-11-29T12:00:00+0000")),
        field(json!("paid")),
        field(json!({"name": "Maria Silva", "identification": "529.982.247-25"})),
        prop::collection::vec(
            (
                field(json!("Caneca")),
                field(json!("39.90")),
                field(json!(1)),
            ),
            0..4,
        ),
        field(json!("39.90")),
        field(json!("10.00")),
    )
        .prop_map(
            |(id, number, at, status, customer, lines, total, shipping)| {
                let products: Vec<Value> = lines
                    .into_iter()
                    .map(|(name, price, quantity)| {
                        json!({"name": name, "price": price, "quantity": quantity})
                    })
                    .collect();
                json!({
                    "id": id, "number": number, "created_at": at.clone(), "updated_at": at,
                    "payment_status": status, "customer": customer, "products": products,
                    "subtotal": total.clone(), "total": total, "shipping_cost_customer": shipping,
                })
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn an_order_of_any_shape_parses_or_is_refused_and_its_rules_never_panic(value in order_like()) {
        if let Ok(order) = Order::parse(&value) {
            let _ = sale_draft(&order);
            let _ = customer_draft(&order);
        }
    }

    #[test]
    fn any_json_as_an_order_never_panics(value in any_json()) {
        let _ = Order::parse(&value);
    }

    #[test]
    fn conta_azul_answers_of_any_shape_never_panic(value in any_json(), text in ".{0,200}") {
        let body = value.to_string();
        let _ = serde_json::from_str::<Items<PessoaSummary>>(&body);
        let _ = serde_json::from_str::<Items<ProdutoSummary>>(&body);
        let _ = serde_json::from_str::<Itens<VendaSummary>>(&body);
        for body in [body.as_str(), text.as_str()] {
            let message = error_message(body);
            let _ = is_stock_validation(400, &message);
            let _ = is_number_taken(400, &message);
            let problem = classify_refusal(400, body, std::slice::from_ref(&text));
            prop_assert!(!problem.hint.is_empty());
        }
    }

    #[test]
    fn cutting_text_keeps_whole_characters(text in ".{0,300}", max in 0usize..250) {
        let cut = clean_text_within(&text, max);
        prop_assert!(cut.chars().count() <= max);
    }

    /// A well-formed order of any lines, prices, quantities and shipping parses to its own
    /// total, and its sale (R9, R13) carries every line at its price and adds up to it.
    #[test]
    fn a_well_formed_order_parses_to_its_total_and_its_sale_adds_up(
        lines in prop::collection::vec((1u32..100_000, 1i64..20), 1..6),
        shipping in 0u32..10_000,
    ) {
        let cents = |c: u64| Decimal::new(c as i64, 2);
        let products: Vec<Value> = lines
            .iter()
            .enumerate()
            .map(|(i, (price, quantity))| json!({
                "name": format!("Produto {i}"),
                "price": cents(u64::from(*price)).to_string(),
                "quantity": quantity,
            }))
            .collect();
        let subtotal: Decimal = lines
            .iter()
            .map(|(price, quantity)| cents(u64::from(*price)) * Decimal::from(*quantity))
            .sum();
        let total = subtotal + cents(u64::from(shipping));
        let value = json!({
            "id": 1450789401u64, "number": "101",
            "created_at": "2026-11-29T12:00:00+0000", "updated_at": "2026-11-29T12:00:00+0000",
            "payment_status": "paid",
            "customer": {"name": "Maria Silva", "identification": "529.982.247-25"},
            "products": products,
            "subtotal": subtotal.to_string(), "total": total.to_string(),
            "shipping_cost_customer": cents(u64::from(shipping)).to_string(),
        });
        let order = Order::parse(&value).map_err(|(_, why)| TestCaseError::fail(why))?;
        prop_assert_eq!(order.total, total);
        let sale = sale_draft(&order).map_err(|p| TestCaseError::fail(p.message))?;
        prop_assert_eq!(sale.total, total);
        prop_assert_eq!(sale.lines.len(), lines.len());
        prop_assert_eq!(sale.freight, cents(u64::from(shipping)));
    }

    /// A cut text is the clean text's beginning, on a whole character.
    #[test]
    fn a_cut_text_is_a_prefix_of_the_clean_text(text in ".{0,300}", max in 0usize..250) {
        let cut = clean_text_within(&text, max);
        prop_assert!(clean_text(&text).starts_with(&cut), "{cut:?} of {text:?}");
    }
}
