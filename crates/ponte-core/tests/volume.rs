//! R8 at volume: 200 paid orders from returning and new buyers, over known and new products,
//! each imported exactly once, with several orders in flight (each customer and product
//! created once, sale numbers in the order of payment).

mod common;

use common::*;
use ponte_sandbox::demo;
use rand::{Rng, SeedableRng};

#[tokio::test]
async fn two_hundred_orders_are_imported_exactly_once() {
    let world = world().await;
    let control = world.control();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let buyers = demo::buyers(&mut rng, 30);
    // Conta Azul already knows a few buyers and half of the catalog.
    for buyer in buyers.iter().take(5) {
        control.add_customer(pessoa(&buyer.name, &buyer.identification));
    }
    let names: Vec<String> = (0..16)
        .map(|n| format!("Produto de teste {n:02}"))
        .collect();
    for name in names.iter().take(8) {
        control.add_product(product(name, "1000"));
    }
    let app = world.ready_app().await;

    let mut numbers = Vec::new();
    let mut ordering: std::collections::HashSet<String> = buyers
        .iter()
        .take(5)
        .map(|b| b.identification.clone())
        .collect();
    for _ in 0..200 {
        let buyer = &buyers[rng.gen_range(0..buyers.len())];
        ordering.insert(buyer.identification.clone());
        let lines = (0..rng.gen_range(1..=3))
            .map(|_| {
                line(
                    &names[rng.gen_range(0..names.len())],
                    "19.90",
                    rng.gen_range(1..=3),
                )
            })
            .collect();
        let order = control.create_order(paid(
            ponte_sandbox::nuvemshop::NewCustomer {
                name: buyer.name.clone(),
                email: buyer.email.clone(),
                identification: Some(buyer.identification.clone()),
                phone: Some(buyer.phone.clone()),
                billing_phone: None,
            },
            lines,
        ));
        numbers.push(order.number);
    }

    let report = app.sync_once().await.unwrap();
    assert_eq!(
        (report.new_orders, report.imported, report.failed),
        (200, 200, 0),
        "{report:?}"
    );
    let again = app.sync_once().await.unwrap();
    assert_eq!((again.new_orders, again.imported), (0, 0));

    for number in &numbers {
        assert_eq!(sales_for(&control, *number), 1, "order #{number}");
    }
    assert_eq!(control.sales().len(), 200);
    assert_eq!(
        control.customers().len(),
        ordering.len(),
        "one customer per buyer: the five Conta Azul knew plus the new ones"
    );
    assert_eq!(
        control.products().len(),
        16,
        "products reused, created once"
    );
    // R17: Ponte only reads and creates; it never edits or deletes anything in Conta Azul.
    let calls = control.calls();
    assert!(
        calls
            .contaazul
            .keys()
            .all(|endpoint| endpoint.starts_with("GET ") || endpoint.starts_with("POST ")),
        "{:?}",
        calls.contaazul
    );
    let numbers_in_ca: std::collections::HashSet<i64> =
        control.sales().iter().map(|s| s.numero).collect();
    assert_eq!(numbers_in_ca.len(), 200, "every sale has its own number");
    // R15, with several orders in flight: the sale numbers follow the order of payment.
    let assigned: Vec<i64> = numbers
        .iter()
        .map(|n| sale_of(&control, *n).numero)
        .collect();
    assert!(
        assigned.windows(2).all(|pair| pair[0] < pair[1]),
        "{assigned:?}"
    );
}
