//! The dashboard's list stays instant with 100,000 orders: a page, its count and a search.

use std::time::{Duration, Instant};

use chrono::Utc;
use ponte_core::store::{OrderFilter, OrderState, Seen, SeenState, Store};

#[test]
fn a_page_of_a_hundred_thousand_orders_comes_back_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ponte.sqlite3")).unwrap();
    let now = Utc::now();
    let seen: Vec<Seen> = (0..100_000u64)
        .map(|n| Seen {
            order_id: 1_000_000 + n,
            number: 100 + n,
            state: if n % 50 == 0 {
                SeenState::Failed(ponte_core::Problem::of(
                    ponte_core::problem::ProblemCode::StockValidation,
                ))
            } else {
                SeenState::Queued
            },
            customer_name: Some(format!("Cliente {}", n % 5000)),
            total: Some("99.90".into()),
            created_at: Some(now - chrono::Duration::seconds(n as i64)),
            paid_at: None,
            payload: "{}".into(),
        })
        .collect();
    store.record_seen(&seen, Some(now), now).unwrap();

    let queued = OrderFilter {
        state: Some(OrderState::Queued),
        search: None,
    };
    let search = OrderFilter {
        state: None,
        search: Some("cliente 4999".into()),
    };
    let timed = |what: &str, f: &dyn Fn() -> usize| {
        let started = Instant::now();
        let found = f();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(250), "{what} took {took:?}");
        found
    };
    assert_eq!(
        timed("a page", &|| store.list(&queued, 25, 0).unwrap().len()),
        25
    );
    assert_eq!(
        timed("a deep page", &|| store
            .list(&queued, 25, 90_000)
            .unwrap()
            .len()),
        25
    );
    assert_eq!(
        timed("the count", &|| store.count_matching(&queued).unwrap()
            as usize),
        98_000
    );
    assert_eq!(
        timed("a search", &|| store.list(&search, 25, 0).unwrap().len()),
        20
    );
    assert_eq!(
        timed("a search count", &|| store.count_matching(&search).unwrap()
            as usize),
        20
    );
    assert_eq!(
        timed("the counters", &|| store.counts().unwrap().failed as usize),
        2_000
    );
}
