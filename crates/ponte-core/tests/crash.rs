//! R8 across crashes: the engine is stopped dead at each step between two API calls (a fail
//! point compiled only into test builds) and a fresh process runs again on the same data.
//! Fail points are process-wide, so every case runs in this one test, one after the other.

mod common;

use common::*;
use ponte_core::error::Error;

const POINTS: &[&str] = &[
    "poll_before_record",
    "after_customer",
    "after_product",
    "after_intent",
    "after_sale_created",
];

#[tokio::test]
async fn r8_a_crash_at_any_step_leaves_no_duplicate_and_no_lost_sale() {
    for point in POINTS {
        let world = world().await;
        let control = world.control();
        control.add_product(product("Caneca", "10"));
        let app = world.ready_app().await;
        let orders = [
            control.create_order(paid(
                buyer("Maria Silva", CPF_MARIA),
                vec![line("Caneca", "10", 1), line("Vela", "20", 1)],
            )),
            control.create_order(paid(
                buyer("João Lima", CPF_JOAO),
                vec![line("Vela", "20", 2)],
            )),
        ];

        ponte_core::arm_fail_point(point);
        let crashed = app.sync_once().await;
        ponte_core::disarm_fail_points();
        assert!(
            matches!(crashed, Err(Error::SimulatedCrash(p)) if p == *point),
            "{point}: {crashed:?}"
        );
        drop(app);

        // A new process on the same data directory.
        let restarted = world.app();
        let report = restarted.sync_once().await.unwrap();
        assert_eq!(report.failed, 0, "{point}");
        restarted.sync_once().await.unwrap();
        for order in &orders {
            assert_eq!(
                sales_for(&control, order.number),
                1,
                "{point}: order #{}",
                order.number
            );
        }
        assert_eq!(control.sales().len(), 2, "{point}");
        assert_eq!(
            control.customers().len(),
            2,
            "{point}: no duplicate customer"
        );
        assert_eq!(control.products().len(), 2, "{point}: no duplicate product");
        let counts = restarted.status().unwrap().counts;
        assert_eq!(
            (counts.imported, counts.queued, counts.importing),
            (2, 0, 0),
            "{point}"
        );
    }
}
