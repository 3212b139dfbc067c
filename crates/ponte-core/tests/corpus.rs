//! Odd and hostile orders (`tests/corpus/hostile-orders.json`): unicode, writing-direction
//! marks, markup, SQL-looking text, huge and zero quantities, overflowing money, hundreds of
//! lines, missing and wrong-typed fields, documents with and without punctuation or valid
//! check digits. Each ends imported correctly, or failed or skipped with its reason; none
//! panics; and the good orders behind them are imported (R18).

mod common;

use common::*;
use ponte_core::store::OrderState;
use ponte_sandbox::nuvemshop::NewOrder;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

const CORPUS: &str = include_str!("../../../tests/corpus/hostile-orders.json");

#[derive(Deserialize)]
struct Case {
    name: String,
    order: Value,
    #[serde(default)]
    patch: Option<Value>,
    expect: String,
}

#[tokio::test]
async fn r18_every_hostile_order_ends_with_a_reason_and_the_others_are_imported() {
    let cases: Vec<Case> = serde_json::from_str(CORPUS).unwrap();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;

    let mut created = Vec::new();
    let mut sentinels = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let mut order: NewOrder = serde_json::from_value(case.order.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        order.payment_status = Some(ponte_sandbox::nuvemshop::PaymentStatus::Paid);
        order.raw_patch = case.patch.clone();
        created.push(control.create_order(order));
        if index % 10 == 9 {
            sentinels.push(caneca_for(&control, "Bruno Costa", CPF_JOAO));
        }
    }

    for _ in 0..3 {
        app.sync_once().await.unwrap();
    }

    for sentinel in &sentinels {
        assert_eq!(
            sales_for(&control, sentinel.number),
            1,
            "a good order behind the odd ones"
        );
    }
    let skipped = app.orders(Some(OrderState::Skipped)).unwrap();
    for (case, order) in cases.iter().zip(&created) {
        let name = &case.name;
        let (expected_state, expected_code) = match case.expect.split_once(':') {
            Some((state, code)) => (state, Some(code)),
            None => (case.expect.as_str(), None),
        };
        let ledger = match app.store().order(order.id).unwrap() {
            Some(ledger) => ledger,
            // Without a usable id the order is kept under a key of its own, by its number.
            None => skipped
                .iter()
                .find(|o| o.number == order.number)
                .cloned()
                .unwrap_or_else(|| panic!("{name}: not in the ledger")),
        };
        match expected_state {
            "imported" => {
                assert_eq!(
                    ledger.state,
                    OrderState::Imported,
                    "{name}: {:?}",
                    ledger.error
                );
                assert_eq!(sales_for(&control, order.number), 1, "{name}");
                let sale = control
                    .sales()
                    .into_iter()
                    .find(|s| s.id.to_string() == ledger.sale_id.clone().unwrap())
                    .unwrap();
                let total: Decimal = ledger.total.as_deref().unwrap().parse().unwrap();
                assert_eq!(
                    sale.total(),
                    total.round_dp(2),
                    "{name}: the sale totals the order"
                );
                let customer = control
                    .customers()
                    .into_iter()
                    .find(|c| c.id == sale.id_cliente)
                    .unwrap();
                assert!(
                    customer.nome.chars().count() <= 200
                        && !customer
                            .nome
                            .chars()
                            .any(|c| c.is_control() || c == '\u{202e}'),
                    "{name}: {:?}",
                    customer.nome
                );
            }
            "failed" => {
                assert_eq!(ledger.state, OrderState::Failed, "{name}");
                let problem = ledger.error.unwrap();
                assert_eq!(
                    Some(problem.code.as_str()),
                    expected_code,
                    "{name}: {problem:?}"
                );
                assert!(
                    !problem.message.is_empty() && !problem.hint.is_empty(),
                    "{name}"
                );
                assert_eq!(sales_for(&control, order.number), 0, "{name}");
            }
            "skipped" => {
                assert_eq!(ledger.state, OrderState::Skipped, "{name}");
                assert!(ledger.skip_reason.is_some(), "{name}");
                assert_eq!(sales_for(&control, order.number), 0, "{name}");
            }
            other => panic!("{name}: unknown expectation {other}"),
        }
    }

    // R10: `é` typed two ways is one product; the same product on two lines is one product.
    let named = |prefix: &str| {
        control
            .products()
            .iter()
            .filter(|p| p.nome.starts_with(prefix))
            .count()
    };
    assert_eq!(named("Café Especial"), 1);
    assert_eq!(named("Vela Aromática"), 1);
    // Nothing created twice: every customer and product name is distinct by R10/R12's rule.
    let mut products: Vec<String> = control
        .products()
        .iter()
        .map(|p| ponte_core::rules::same_text_key(&p.nome))
        .collect();
    products.sort();
    let before = products.len();
    products.dedup();
    assert_eq!(before, products.len(), "no product created twice");
}
