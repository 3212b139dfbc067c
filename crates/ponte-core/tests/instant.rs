//! Instant import (issue 10): Nuvemshop's webhooks through the broker start a pass at once;
//! a lost webhook costs the periodic check, never an order; LGPD requests are carried out on
//! the local ledger.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{broker_world, browser, buyer, line, paid, BrokerWorld};
use ponte_core::error::Service;
use ponte_core::problem::InstantState;
use ponte_core::scheduler::Scheduler;
use ponte_core::store::{LgpdKind, LgpdState, OrderState};
use ponte_core::App;
use ponte_sandbox::nuvemshop::webhooks::WebhookFaults;

struct Running {
    world: BrokerWorld,
    app: Arc<App>,
    scheduler: Arc<Scheduler>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.scheduler.stop();
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A merchant's Ponte through the broker, activated, with the default 2-minute interval and
/// instant import listening.
async fn running() -> Running {
    let world = broker_world().await;
    let control = world.both.sandbox.control();
    control.add_seller("Ana Souza");
    let app = Arc::new(App::open(world.config.clone()).unwrap());
    let nudged = browser(&world, true);
    app.connect(Service::Nuvemshop, &nudged, |_| {})
        .await
        .unwrap();
    app.connect(Service::Contaazul, &nudged, |_| {})
        .await
        .unwrap();
    app.enable(None).await.unwrap();
    assert_eq!(app.settings().unwrap().poll_interval_minutes(), 2);
    let scheduler = Scheduler::new(app.clone());
    let tasks = vec![
        tokio::spawn({
            let scheduler = scheduler.clone();
            async move { scheduler.run(|_| true).await }
        }),
        tokio::spawn(ponte_core::instant::listen(scheduler.clone())),
    ];
    let running = Running {
        world,
        app,
        scheduler,
        tasks,
    };
    running
        .until("instant import active", || {
            running.app.status().unwrap().instant.state == InstantState::Active
        })
        .await;
    running
}

impl Running {
    async fn until(&self, what: &str, mut done: impl FnMut() -> bool) -> Duration {
        let started = Instant::now();
        while !done() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "never: {what} ({:?})",
                self.app.status().map(|s| s.instant)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        started.elapsed()
    }

    fn control(&self) -> ponte_sandbox::Control {
        self.world.both.sandbox.control()
    }
}

#[tokio::test]
async fn a_paid_order_becomes_a_sale_within_seconds_with_the_check_at_two_minutes() {
    let ponte = running().await;
    let control = ponte.control();
    // Ponte registered the order webhooks, pointing at the broker.
    let hooks = control.webhooks();
    for event in ponte_core::instant::ORDER_EVENTS {
        assert!(
            hooks.iter().any(|h| h.event == event
                && h.url == format!("{}/webhooks/nuvemshop", ponte.world.both.broker.url())),
            "{event} registered"
        );
    }
    // Let the first pass (at start) finish, so that only the webhook can bring the next order.
    ponte
        .until("the first pass", || {
            ponte.scheduler.schedule().last_check_at.is_some()
        })
        .await;
    let mut waits = Vec::new();
    for (i, cpf) in ["39053344705", "52998224725", "11144477735"]
        .iter()
        .enumerate()
    {
        let order = control.create_order(paid(
            buyer(&format!("Cliente {i}"), cpf),
            vec![line("Camiseta", "59.90", 1)],
        ));
        let waited = ponte
            .until("the sale", || {
                common::sales_for(&control, order.number) == 1
            })
            .await;
        waits.push(waited);
    }
    eprintln!("payment to sale, through the broker's webhooks: {waits:?}");
    let slowest = waits.iter().max().unwrap();
    assert!(
        *slowest < Duration::from_secs(10),
        "payment to sale: {waits:?} (the check is every 2 minutes)"
    );
    assert!(ponte.app.status().unwrap().instant.active);
}

#[tokio::test]
async fn a_lost_webhook_costs_the_periodic_check_not_the_order() {
    let ponte = running().await;
    let control = ponte.control();
    ponte
        .until("the first pass", || {
            ponte.scheduler.schedule().last_check_at.is_some()
        })
        .await;
    control.set_webhook_faults(WebhookFaults {
        drop_next: 1,
        ..WebhookFaults::default()
    });
    let order = control.create_order(paid(
        buyer("Maria Silva", "39053344705"),
        vec![line("Caneca", "29.90", 2)],
    ));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        common::sales_for(&control, order.number),
        0,
        "no webhook, no pass yet"
    );
    // The periodic check comes (here: now, rather than in two minutes).
    ponte.scheduler.sync_now();
    ponte
        .until("the sale from the periodic check", || {
            common::sales_for(&control, order.number) == 1
        })
        .await;
}

#[tokio::test]
async fn duplicated_delayed_and_reordered_webhooks_import_each_order_once() {
    let ponte = running().await;
    let control = ponte.control();
    control.set_webhook_faults(WebhookFaults {
        duplicate: true,
        out_of_order: true,
        delay_millis: 200,
        base64_signature: true,
        ..WebhookFaults::default()
    });
    let numbers: Vec<u64> = ["39053344705", "52998224725", "11144477735", "71460238001"]
        .iter()
        .enumerate()
        .map(|(i, cpf)| {
            control
                .create_order(paid(
                    buyer(&format!("Cliente {i}"), cpf),
                    vec![line("Camiseta", "59.90", 1)],
                ))
                .number
        })
        .collect();
    ponte
        .until("every sale", || {
            numbers.iter().all(|n| common::sales_for(&control, *n) >= 1)
        })
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    for number in &numbers {
        assert_eq!(
            common::sales_for(&control, *number),
            1,
            "order #{number} once"
        );
    }
}

#[tokio::test]
async fn customers_redact_removes_the_customers_data_and_keeps_the_order_as_numbers() {
    let ponte = running().await;
    let control = ponte.control();
    let imported = control.create_order(paid(
        buyer("Maria Sigilo", "39053344705"),
        vec![line("Camiseta", "59.90", 1)],
    ));
    ponte
        .until("imported", || {
            common::sales_for(&control, imported.number) == 1
        })
        .await;
    // A second order of hers that cannot be imported (no products) stays out of Conta Azul.
    let failed = control.create_order(paid(buyer("Maria Sigilo", "39053344705"), vec![]));
    ponte
        .until("failed", || {
            ponte
                .app
                .orders(Some(OrderState::Failed))
                .unwrap()
                .iter()
                .any(|o| o.order_id == failed.id)
        })
        .await;
    let report_before = ponte.app.support_report(imported.id).unwrap();
    assert!(report_before.contains("Maria Sigilo") || report_before.contains("Maria"));

    control
        .send_lgpd_webhook("customers-redact", &[imported.id, failed.id])
        .unwrap();
    ponte
        .until("the request carried out", || {
            !ponte.app.lgpd_requests().unwrap().is_empty()
        })
        .await;
    let request = &ponte.app.lgpd_requests().unwrap()[0];
    assert_eq!(request.kind, LgpdKind::CustomersRedact);
    assert_eq!(request.state, LgpdState::Done);
    assert_eq!(request.orders, 2);

    let orders = ponte.app.orders(None).unwrap();
    let kept = orders.iter().find(|o| o.order_id == imported.id).unwrap();
    assert_eq!(kept.state, OrderState::Imported);
    assert_eq!(kept.number, imported.number);
    assert!(kept.sale_id.is_some());
    let dropped = orders.iter().find(|o| o.order_id == failed.id).unwrap();
    assert_eq!(dropped.state, OrderState::Skipped);
    assert!(dropped.skip_reason.as_deref().unwrap().contains("LGPD"));
    let json = serde_json::to_string(&orders).unwrap();
    assert!(!json.contains("Sigilo"), "{json}");
    let report = ponte.app.support_report(imported.id).unwrap();
    for personal in ["Sigilo", "39053344705", "390.533.447-05", "cliente@exemplo"] {
        assert!(
            !report.contains(personal),
            "{personal} in the report: {report}"
        );
    }
    // A repeated delivery is recognised.
    control
        .send_lgpd_webhook("customers-redact", &[imported.id, failed.id])
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(ponte.app.lgpd_requests().unwrap().len(), 1);
}

#[tokio::test]
async fn a_data_request_writes_the_customers_data_to_the_chosen_folder() {
    let ponte = running().await;
    let control = ponte.control();
    let folder = tempfile::tempdir().unwrap();
    ponte.app.set_lgpd_folder(Some(folder.path())).unwrap();
    let order = control.create_order(paid(
        buyer("Joana Pedido", "52998224725"),
        vec![line("Caneca", "29.90", 1)],
    ));
    ponte
        .until("imported", || {
            common::sales_for(&control, order.number) == 1
        })
        .await;
    control
        .send_lgpd_webhook("customers-data-request", &[order.id])
        .unwrap();
    ponte
        .until("the request carried out", || {
            !ponte.app.lgpd_requests().unwrap().is_empty()
        })
        .await;
    let request = &ponte.app.lgpd_requests().unwrap()[0];
    assert_eq!(request.kind, LgpdKind::CustomersDataRequest);
    let file = std::path::PathBuf::from(request.file.as_ref().unwrap());
    assert!(file.starts_with(folder.path()));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("Joana Pedido"));
    assert!(text.contains(&order.number.to_string()));
    assert!(text.contains("trocas_com_a_conta_azul"));
    assert!(ponte
        .app
        .set_lgpd_folder(Some(std::path::Path::new("relativa")))
        .is_err());
}

#[tokio::test]
async fn store_redact_waits_for_the_merchant_while_connected_and_erases_when_confirmed() {
    let ponte = running().await;
    let control = ponte.control();
    let order = control.create_order(paid(
        buyer("Pedro Loja", "11144477735"),
        vec![line("Camiseta", "59.90", 1)],
    ));
    ponte
        .until("imported", || {
            common::sales_for(&control, order.number) == 1
        })
        .await;
    control.send_lgpd_webhook("store-redact", &[]).unwrap();
    ponte
        .until("the request recorded", || {
            ponte.app.status().unwrap().store_erasure_requested
        })
        .await;
    assert_eq!(
        ponte.app.orders(None).unwrap().len(),
        1,
        "nothing erased yet"
    );
    let erased = ponte.app.confirm_store_erasure().await.unwrap();
    assert_eq!(erased, 1);
    let status = ponte.app.status().unwrap();
    assert!(!status.nuvemshop.connected);
    assert!(!status.enabled);
    assert!(!status.store_erasure_requested);
    assert!(ponte.app.orders(None).unwrap().is_empty());
    assert_eq!(ponte.app.lgpd_requests().unwrap()[0].state, LgpdState::Done);
    assert!(
        ponte.app.confirm_store_erasure().await.is_err(),
        "nothing left to confirm"
    );
}

#[tokio::test]
async fn store_redact_after_the_app_was_uninstalled_erases_at_once() {
    let ponte = running().await;
    let control = ponte.control();
    let order = control.create_order(paid(
        buyer("Pedro Loja", "11144477735"),
        vec![line("Camiseta", "59.90", 1)],
    ));
    ponte
        .until("imported", || {
            common::sales_for(&control, order.number) == 1
        })
        .await;
    // Uninstalled: the token stops working, and the next pass switches the integration off.
    control.revoke_nuvemshop_token();
    ponte.scheduler.sync_now();
    ponte
        .until("switched off (R5)", || {
            ponte.app.status().unwrap().disabled_reason.is_some()
        })
        .await;
    control.send_lgpd_webhook("store-redact", &[]).unwrap();
    ponte
        .until("erased", || ponte.app.orders(None).unwrap().is_empty())
        .await;
    let request = &ponte.app.lgpd_requests().unwrap()[0];
    assert_eq!(request.kind, LgpdKind::StoreRedact);
    assert_eq!(request.state, LgpdState::Done);
}

#[tokio::test]
async fn direct_mode_says_only_the_periodic_check_runs_and_why() {
    let world = common::world().await;
    let app = Arc::new(world.ready_app().await);
    let scheduler = Scheduler::new(app.clone());
    let listening = tokio::spawn(ponte_core::instant::listen(scheduler.clone()));
    let started = Instant::now();
    while app.status().unwrap().instant.state != InstantState::NoBroker {
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let instant = app.status().unwrap().instant;
    assert!(!instant.active);
    assert!(instant.message.starts_with("Só a verificação periódica"));
    listening.abort();
}

#[tokio::test]
async fn another_process_sees_the_listeners_state_and_idle_once_it_stops() {
    let ponte = running().await;
    // A second App on the same data directory stands for `ponte status` in another process.
    let outside = App::open(ponte.world.config.clone()).unwrap();
    assert_eq!(
        outside.status().unwrap().instant.state,
        InstantState::Active,
        "the running listener's state, as it saved it"
    );
    ponte.scheduler.stop();
    for task in &ponte.tasks {
        task.abort();
    }
    let started = Instant::now();
    while outside.status().unwrap().instant.state != InstantState::Idle {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            outside.status().unwrap().instant
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let idle = outside.status().unwrap().instant;
    assert!(!idle.active);
    assert!(idle.message.contains("enquanto o Ponte está aberto"));
}
