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
    for event in ponte_core::instant::WEBHOOK_EVENTS {
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

/// Issue 22: when the broker's address changes, the app's webhooks for the former address are
/// deleted (Nuvemshop would call it for every order and retry for days) and the current ones
/// registered once.
#[tokio::test]
async fn webhooks_for_a_former_broker_address_are_replaced() {
    let ponte = running().await;
    let control = ponte.control();
    let current = format!("{}/webhooks/nuvemshop", ponte.world.both.broker.url());
    let former = "https://conectar-antigo.ponte.app.br/webhooks/nuvemshop";
    control.add_webhook("order/paid", former);
    control.add_webhook("order/cancelled", former);
    ponte.app.ensure_webhooks().await.unwrap();
    let hooks = control.webhooks();
    assert!(hooks.iter().all(|h| h.url == current), "{hooks:?}");
    for event in ponte_core::instant::WEBHOOK_EVENTS {
        assert_eq!(
            hooks.iter().filter(|h| h.event == event).count(),
            1,
            "{event} once"
        );
    }
}

/// Issue 22: an order edited in Nuvemshop after its import (`order/edited`) is told as a
/// cancellation is: which sale to look at, and what changed; the sale is left as it is.
#[tokio::test]
async fn an_order_edited_after_its_import_is_told_within_seconds() {
    let ponte = running().await;
    let control = ponte.control();
    let order = control.create_order(paid(
        buyer("Maria Edita", "52998224725"),
        vec![line("Caneca", "10", 1)],
    ));
    ponte
        .until("imported", || {
            common::sales_for(&control, order.number) == 1
        })
        .await;
    control.edit_order_quantity(order.id, 0, 3).unwrap();
    ponte
        .until("the edit told", || {
            !ponte.app.changed_orders().unwrap().is_empty()
        })
        .await;
    let changed = &ponte.app.changed_orders().unwrap()[0];
    assert_eq!(changed.order_id, order.id);
    assert_eq!(changed.flag, ponte_core::history::Flag::Edited);
    assert!(
        changed.message.contains("os itens mudaram"),
        "{}",
        changed.message
    );
    assert_eq!(
        common::sales_for(&control, order.number),
        1,
        "the sale is left alone"
    );
}

/// Issue 22: the merchant removes the app from the store (`app/uninstalled`): the store's token
/// is dropped and the dashboard says why the integration switched itself off (R5).
#[tokio::test]
async fn removing_the_app_from_the_store_switches_off_and_says_so() {
    let ponte = running().await;
    ponte.control().uninstall_app();
    ponte
        .until("switched off", || !ponte.app.status().unwrap().enabled)
        .await;
    let status = ponte.app.status().unwrap();
    let reason = status.disabled_reason.unwrap();
    assert_eq!(
        reason.code,
        ponte_core::problem::ProblemCode::NuvemshopAccessChanged
    );
    assert!(
        reason.message.contains("removido da loja"),
        "{}",
        reason.message
    );
    assert!(reason.hint.contains("Refazer a integração"));
    assert!(!status.nuvemshop.connected);
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
    // Counted only once every copy was delivered (each order/paid twice), and the passes they
    // woke had time to run.
    ponte
        .until("every repeated delivery", || {
            control.webhook_deliveries() >= 2 * numbers.len() as u64
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

/// Issue 22: if the LGPD webhooks of the partner panel come unsigned (undocumented), they are
/// not lost: a data request still writes its file on this computer, an erasure of the store
/// still waits for the merchant and erases nothing by itself, each saying it was unsigned.
#[tokio::test]
async fn unsigned_lgpd_requests_do_only_what_is_harmless_and_say_so() {
    let ponte = running().await;
    let control = ponte.control();
    let mut answers = control.answers();
    answers.nuvemshop.lgpd_unsigned = true;
    control.set_answers(answers);
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
    control.send_lgpd_webhook("store-redact", &[]).unwrap();
    ponte
        .until("both requests recorded", || {
            ponte.app.lgpd_requests().unwrap().len() == 2
        })
        .await;
    let requests = ponte.app.lgpd_requests().unwrap();
    let data = requests
        .iter()
        .find(|r| r.kind == LgpdKind::CustomersDataRequest)
        .unwrap();
    assert_eq!(data.state, LgpdState::Done);
    let file = std::path::PathBuf::from(data.file.as_ref().unwrap());
    assert!(std::fs::read_to_string(file)
        .unwrap()
        .contains("Joana Pedido"));
    assert!(data
        .note
        .as_deref()
        .unwrap()
        .contains("sem a assinatura da Nuvemshop"));
    let erasure = requests
        .iter()
        .find(|r| r.kind == LgpdKind::StoreRedact)
        .unwrap();
    assert_eq!(erasure.state, LgpdState::AwaitingConfirmation);
    assert!(erasure
        .note
        .as_deref()
        .unwrap()
        .contains("sem a assinatura da Nuvemshop"));
    assert_eq!(ponte.app.orders(None).unwrap().len(), 1, "nothing erased");
    assert!(ponte.app.status().unwrap().nuvemshop.connected);
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

/// Issue 20: even after an uninstall (the store's access gone), a store erasure waits for the
/// merchant: whoever holds the app's secret could send one.
#[tokio::test]
async fn store_redact_after_an_uninstall_still_waits_for_the_merchant() {
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
        .until("the request recorded", || {
            ponte.app.status().unwrap().store_erasure_requested
        })
        .await;
    assert_eq!(
        ponte.app.orders(None).unwrap().len(),
        1,
        "nothing erased yet"
    );
    let request = &ponte.app.lgpd_requests().unwrap()[0];
    assert_eq!(request.kind, LgpdKind::StoreRedact);
    assert_eq!(request.state, LgpdState::AwaitingConfirmation);
    assert_eq!(ponte.app.confirm_store_erasure().await.unwrap(), 1);
    assert!(ponte.app.orders(None).unwrap().is_empty());
}

/// Issue 20: a store erasure that names another store erases nothing, and says so.
#[tokio::test]
async fn an_erasure_for_another_store_is_ignored_and_said_so() {
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
    let forged = ponte_core::instant::FeedEvent {
        id: 90_001,
        event: "store/redact".into(),
        resource_id: "999".into(),
        customer: None,
        orders: vec![],
        unverified: false,
    };
    ponte.app.carry_out_lgpd(&forged).await.unwrap();
    let status = ponte.app.status().unwrap();
    assert!(!status.store_erasure_requested);
    assert_eq!(ponte.app.orders(None).unwrap().len(), 1);
    let request = &ponte.app.lgpd_requests().unwrap()[0];
    assert_eq!(request.state, LgpdState::Ignored);
    assert!(request
        .note
        .as_deref()
        .unwrap()
        .contains("não é a loja conectada"));
}

/// Issue 20: a customer request acts only on the listed orders that are that customer's; an
/// order of someone else in the list is neither handed over nor erased.
#[tokio::test]
async fn lgpd_requests_touch_only_the_orders_of_the_customer_they_name() {
    let ponte = running().await;
    let control = ponte.control();
    let folder = tempfile::tempdir().unwrap();
    ponte.app.set_lgpd_folder(Some(folder.path())).unwrap();
    let hers = control.create_order(paid(
        buyer("Maria Sigilo", "39053344705"),
        vec![line("Camiseta", "59.90", 1)],
    ));
    let his = control.create_order(paid(
        buyer("Outro Cliente", "52998224725"),
        vec![line("Caneca", "29.90", 1)],
    ));
    ponte
        .until("both imported", || {
            common::sales_for(&control, hers.number) == 1
                && common::sales_for(&control, his.number) == 1
        })
        .await;
    // The customer is the first order's: hers. His order rides along in the list.
    control
        .send_lgpd_webhook("customers-data-request", &[hers.id, his.id])
        .unwrap();
    ponte
        .until("the data request carried out", || {
            ponte.app.lgpd_requests().unwrap().len() == 1
        })
        .await;
    let request = &ponte.app.lgpd_requests().unwrap()[0];
    assert_eq!(request.orders, 1);
    assert!(request
        .note
        .as_deref()
        .unwrap()
        .contains("1 pedido da lista não é deste cliente"));
    let file = std::fs::read_to_string(request.file.as_ref().unwrap()).unwrap();
    assert!(file.contains("Maria Sigilo"));
    assert!(
        !file.contains("Outro Cliente"),
        "someone else's order handed over"
    );

    control
        .send_lgpd_webhook("customers-redact", &[hers.id, his.id])
        .unwrap();
    ponte
        .until("the erasure carried out", || {
            ponte.app.lgpd_requests().unwrap().len() == 2
        })
        .await;
    let orders = ponte.app.orders(None).unwrap();
    let name_of = |id: u64| {
        orders
            .iter()
            .find(|o| o.order_id == id)
            .unwrap()
            .customer_name
            .clone()
    };
    assert_eq!(name_of(hers.id), None);
    assert_eq!(
        name_of(his.id).as_deref(),
        Some("Outro Cliente"),
        "his order untouched"
    );
}

/// Issue 20: a forgotten customer leaves nothing behind: not in an error's message, not in an
/// earlier data request's file, not in the logs, not in the database's WAL.
#[tokio::test]
async fn a_forgotten_customer_leaves_no_trace_in_messages_earlier_files_logs_or_the_wal() {
    let ponte = running().await;
    let control = ponte.control();
    let folder = tempfile::tempdir().unwrap();
    ponte.app.set_lgpd_folder(Some(folder.path())).unwrap();
    // An invalid document: the failure's message quotes it.
    let failed = control.create_order(paid(
        buyer("Maria Sigilo", "39053344700"),
        vec![line("Camiseta", "59.90", 1)],
    ));
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
    let before = ponte.app.orders(Some(OrderState::Failed)).unwrap();
    let message = before[0].error.as_ref().unwrap().message.clone();
    assert!(message.contains("39053344700"), "{message}");
    control
        .send_lgpd_webhook("customers-data-request", &[failed.id])
        .unwrap();
    ponte
        .until("the data request written", || {
            ponte.app.lgpd_requests().unwrap().len() == 1
        })
        .await;
    let earlier =
        std::path::PathBuf::from(ponte.app.lgpd_requests().unwrap()[0].file.clone().unwrap());
    assert!(earlier.exists());
    let logs = ponte.world.config.log_dir();
    std::fs::create_dir_all(&logs).unwrap();
    let log = logs.join("ponte.log");
    std::fs::write(
        &log,
        "WARN refused: Maria Sigilo 39053344700 maria.sigilo@exemplo.com.br\n",
    )
    .unwrap();

    control
        .send_lgpd_webhook("customers-redact", &[failed.id])
        .unwrap();
    ponte
        .until("the erasure carried out", || {
            ponte.app.lgpd_requests().unwrap().len() == 2
        })
        .await;
    let after = ponte.app.orders(None).unwrap();
    let order = after.iter().find(|o| o.order_id == failed.id).unwrap();
    assert_eq!(order.state, OrderState::Skipped);
    let json = serde_json::to_string(&after).unwrap();
    for trace in ["Maria", "39053344700", "390.533.447-00", "maria.sigilo"] {
        assert!(!json.contains(trace), "{trace} left in the ledger: {json}");
    }
    assert!(!earlier.exists(), "the earlier data request's file is gone");
    assert!(ponte.app.lgpd_requests().unwrap()[1].file.is_none());
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        !logged.contains("Maria") && !logged.contains("39053344700"),
        "{logged}"
    );
    // Neither the database's pages nor its WAL keep a copy (the WAL was emptied after the
    // erasure; what was written since is not hers).
    for file in [
        ponte.world.config.database_path(),
        ponte
            .world
            .config
            .database_path()
            .with_extension("sqlite3-wal"),
    ] {
        let bytes = std::fs::read(&file).unwrap_or_default();
        for trace in [&b"Maria Sigilo"[..], b"39053344700"] {
            assert!(
                !bytes.windows(trace.len()).any(|w| w == trace),
                "a copy left in {}",
                file.display()
            );
        }
    }
}

/// Issue 20: a request that cannot be carried out is recorded as failed with why, tried again
/// less and less often, and done once it can be.
#[tokio::test]
async fn a_request_that_cannot_be_carried_out_is_reported_and_done_once_it_can() {
    let ponte = running().await;
    let control = ponte.control();
    let order = control.create_order(paid(
        buyer("Joana Pedido", "52998224725"),
        vec![line("Caneca", "29.90", 1)],
    ));
    ponte
        .until("imported", || {
            common::sales_for(&control, order.number) == 1
        })
        .await;
    // The chosen folder is a file: no data request can be written there.
    let blocked = tempfile::NamedTempFile::new().unwrap();
    ponte.app.set_lgpd_folder(Some(blocked.path())).unwrap();
    control
        .send_lgpd_webhook("customers-data-request", &[order.id])
        .unwrap();
    ponte
        .until("the failure recorded", || {
            ponte
                .app
                .lgpd_requests()
                .unwrap()
                .first()
                .is_some_and(|r| r.state == LgpdState::Failed)
        })
        .await;
    let note = ponte.app.lgpd_requests().unwrap()[0].note.clone().unwrap();
    assert!(note.contains("tentará de novo"), "{note}");
    let folder = tempfile::tempdir().unwrap();
    ponte.app.set_lgpd_folder(Some(folder.path())).unwrap();
    ponte
        .until("done once the folder works", || {
            ponte
                .app
                .lgpd_requests()
                .unwrap()
                .first()
                .is_some_and(|r| r.state == LgpdState::Done)
        })
        .await;
    assert_eq!(
        ponte.app.lgpd_requests().unwrap().len(),
        1,
        "one request, not two"
    );
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
