//! Each promise under the fault that breaks it (R8, R18): answers lost after the sale was
//! saved, search indexes that lag, errors that concern one order only, a suspended store, more
//! changed orders than one query may list, odd answers from Conta Azul.

mod common;

use std::time::Duration;

use common::*;
use ponte_core::error::Error;
use ponte_core::store::OrderState;
use ponte_sandbox::nuvemshop::NewCustomer;
use ponte_sandbox::{Fault, FaultRule, Service as Sim};
use serde_json::json;

fn minutes(n: i64) -> chrono::Duration {
    chrono::Duration::minutes(n)
}

#[tokio::test]
async fn r8_a_sale_saved_then_answered_500_and_not_yet_searchable_is_created_once() {
    let world = world().await;
    let control = world.control();
    let clock = ManualClock::new();
    let app = world.ready_app_with_clock(clock.clone()).await;
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    let later = caneca_for(&control, "João Lima", CPF_JOAO);
    control.add_fault(
        FaultRule::new(
            Sim::Contaazul,
            Fault::SavedThenServerError {
                hidden_millis: 1_500,
            },
        )
        .on("POST", "/v1/venda")
        .times(1),
    );

    let first = app.sync_once().await.unwrap();
    assert_eq!(
        control.sales().len(),
        2,
        "the first was saved despite the 500"
    );
    assert_eq!(sales_for(&control, order.number), 1);
    let waiting = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(
        waiting.state,
        OrderState::Importing,
        "waits, keeps its number"
    );
    let numero = waiting.sale_number.unwrap();
    assert_eq!(
        control
            .sales()
            .iter()
            .filter(|s| s.numero == numero)
            .count(),
        1,
        "sent again only under the same number, which Conta Azul refused"
    );
    assert_eq!(first.imported, 1, "the order behind it was not held up");
    assert_eq!(sales_for(&control, later.number), 1);

    // Passes while the index still lags change nothing.
    app.sync_once().await.unwrap();
    assert_eq!(control.sales().len(), 2);

    tokio::time::sleep(Duration::from_millis(1_600)).await;
    // Past the index's settle time counted from the send, whichever second of the real clock
    // the first pass sent it in (the test's clock starts on a whole second).
    clock.advance(ponte_core::sync::INDEX_SETTLE + minutes(1));
    app.sync_once().await.unwrap();
    let imported = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(imported.state, OrderState::Imported);
    assert_eq!(imported.sale_number, Some(numero));
    assert_eq!(sales_for(&control, order.number), 1, "one order, one sale");
    assert_eq!(control.sales().len(), 2);
}

#[tokio::test]
async fn r8_a_lost_answer_with_a_lagging_index_never_makes_a_second_sale() {
    let world = world().await;
    let control = world.control();
    let clock = ManualClock::new();
    let app = world.ready_app_with_clock(clock.clone()).await;
    control.set_sale_search_lag(Duration::from_millis(1_000));
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    control.add_fault(
        FaultRule::new(Sim::Contaazul, Fault::DropAfterHandling)
            .on("POST", "/v1/venda")
            .times(1),
    );
    for _ in 0..3 {
        app.sync_once().await.unwrap();
        clock.advance(minutes(2));
    }
    assert_eq!(sales_for(&control, order.number), 1);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    clock.advance(minutes(2));
    app.sync_once().await.unwrap();
    assert_eq!(
        app.store().order(order.id).unwrap().unwrap().state,
        OrderState::Imported
    );
    assert_eq!(sales_for(&control, order.number), 1);
}

#[tokio::test]
async fn r8_a_number_taken_by_a_sale_of_someone_else_gets_a_fresh_number() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    // Between proximo-numero and the sale, another user takes the number.
    let taken = app
        .engine()
        .unwrap()
        .contaazul
        .next_sale_number()
        .await
        .unwrap();
    let other = caneca_for(&control, "Outra Pessoa", "390.533.447-05");
    control.add_fault(
        FaultRule::new(
            Sim::Contaazul,
            Fault::Answer {
                status: 200,
                body: json!(taken),
            },
        )
        .on("GET", "/v1/venda/proximo-numero")
        .times(2),
    );
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, order.number), 1);
    assert_eq!(sales_for(&control, other.number), 1);
    let numbers: Vec<i64> = control.sales().iter().map(|s| s.numero).collect();
    assert_eq!(numbers.len(), 2);
    assert_ne!(numbers[0], numbers[1], "the second got a fresh number");
}

#[tokio::test]
async fn r8_notes_are_matched_exactly_and_every_sale_with_the_number_is_read() {
    // Order #12's sale must not be taken for order #123's, nor the other way round.
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let orders: Vec<_> = (0..25)
        .map(|n| {
            caneca_for(
                &control,
                &format!("Cliente {n}"),
                ["529.982.247-25", "111.444.777-35"][n % 2],
            )
        })
        .collect();
    control.add_fault(
        FaultRule::new(Sim::Contaazul, Fault::DropAfterHandling)
            .on("POST", "/v1/venda")
            .times(3),
    );
    app.sync_once().await.unwrap();
    app.sync_once().await.unwrap();
    for order in &orders {
        assert_eq!(sales_for(&control, order.number), 1, "#{}", order.number);
    }
}

#[tokio::test]
async fn r18_an_error_about_one_order_fails_that_order_and_the_pass_goes_on() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let first = caneca_for(&control, "Maria Silva", CPF_MARIA);
    let second = caneca_for(&control, "João Lima", CPF_JOAO);
    // The first customer search is refused as a URL too long; the rest answer normally.
    control.add_fault(
        FaultRule::new(
            Sim::Contaazul,
            Fault::Answer {
                status: 414,
                body: json!({"error": "URI Too Long"}),
            },
        )
        .on("GET", "/v1/pessoas")
        .times(1),
    );
    let report = app.sync_once().await.unwrap();
    assert_eq!((report.imported, report.failed), (1, 1));
    let failed = app.store().order(first.id).unwrap().unwrap();
    assert_eq!(failed.state, OrderState::Failed);
    let problem = failed.error.unwrap();
    assert_eq!(problem.code, "UNEXPECTED_ANSWER");
    assert!(problem.hint.contains("Tentar novamente"));
    assert!(problem.details.unwrap().contains("414"));
    assert_eq!(sales_for(&control, second.number), 1);

    app.retry(first.id).await.unwrap();
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, first.number), 1);
}

#[tokio::test]
async fn r18_a_long_name_without_document_is_cut_to_fit_and_imported() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let long_name = format!("Maria {}", "da Silva ".repeat(1_200));
    let long = control.create_order(paid(
        NewCustomer {
            name: long_name.clone(),
            email: "maria@exemplo.com.br".into(),
            identification: None,
            phone: None,
            billing_phone: None,
        },
        vec![line(&format!("Caneca {}", "grande ".repeat(200)), "10", 1)],
    ));
    let after = caneca_for(&control, "João Lima", CPF_JOAO);
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, long.number), 1);
    assert_eq!(sales_for(&control, after.number), 1);
    let customer = control
        .customers()
        .into_iter()
        .find(|c| c.nome.starts_with("Maria da Silva"))
        .unwrap();
    assert_eq!(customer.nome.chars().count(), 200);
    // The same buyer and line again reuse what was created: search and creation cut alike.
    let again = control.create_order(paid(
        NewCustomer {
            name: long_name,
            email: "maria@exemplo.com.br".into(),
            identification: None,
            phone: None,
            billing_phone: None,
        },
        vec![line(&format!("Caneca {}", "grande ".repeat(200)), "10", 1)],
    ));
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, again.number), 1);
    assert_eq!(control.customers().len(), 2, "Maria once, João once");
    let long_products = control
        .products()
        .iter()
        .filter(|p| p.nome.starts_with("Caneca grande"))
        .count();
    assert_eq!(long_products, 1, "the long description once");
}

#[tokio::test]
async fn a_suspended_store_switches_the_integration_off_with_its_own_reason() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    control.set_store_suspended(true);
    assert!(matches!(
        app.sync_once().await,
        Err(Error::NuvemshopSuspended)
    ));
    let status = app.status().unwrap();
    assert!(!status.enabled);
    let reason = status.disabled_reason.unwrap();
    assert_eq!(reason.code, "NUVEMSHOP_SUSPENDED");
    assert!(reason.message.starts_with("Loja suspensa na Nuvemshop"));

    control.set_store_suspended(false);
    app.enable(None).await.unwrap();
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, order.number), 1, "nothing lost");
}

#[tokio::test]
async fn r4_switching_off_during_a_pass_stops_before_the_next_order() {
    let world = world().await;
    let control = world.control();
    let app = std::sync::Arc::new(world.ready_app().await);
    let orders: Vec<_> = (0..12)
        .map(|n| caneca_for(&control, &format!("Cliente {n}"), CPF_MARIA))
        .collect();
    control.add_fault(
        FaultRule::new(Sim::Contaazul, Fault::Latency { millis: 300 }).on("POST", "/v1/venda"),
    );
    let running = {
        let app = app.clone();
        tokio::spawn(async move { app.sync_once().await })
    };
    while control.calls().get(Sim::Contaazul, "POST /v1/venda") < 1 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.disable().unwrap();
    let report = running.await.unwrap().unwrap();
    assert!(report.interrupted);
    // At most the sales already on their way (four orders are in flight at once); none of
    // the others is sent, and no customer or product is created for them.
    let made = control.sales().len();
    assert!(made <= 4, "{made} sales after switching off");
    control.clear_faults();
    app.enable(None).await.unwrap();
    app.sync_once().await.unwrap();
    for order in &orders {
        assert_eq!(sales_for(&control, order.number), 1);
    }
}

/// A flash sale changes more orders than one query may list: the poll reads narrower windows.
/// Issue 22: the cap's answer is undocumented, so also with every page of an over-cap query
/// refused (page 1 included) and without `X-Total-Count`.
#[tokio::test]
async fn more_changed_orders_than_one_query_may_list_are_read_in_narrower_windows() {
    use ponte_sandbox::answers::ResultCap;
    for (cap, no_total_count) in [
        (ResultCap::Unprocessable, false),
        (ResultCap::WholeQuery, true),
    ] {
        let world = world_with(|config| config.nuvemshop.result_window = 200).await;
        let control = world.control();
        let mut answers = control.answers();
        answers.nuvemshop.result_cap = cap;
        answers.nuvemshop.no_total_count = no_total_count;
        control.set_answers(answers);
        let mut config = world.config.clone();
        config.nuvemshop_result_window = 200;
        let app = ponte_core::App::open(config).unwrap();
        world.connect(&app).await;
        control.add_seller("Ana Souza");
        app.enable(None).await.unwrap();
        // 300 paid orders within 30 seconds, as a flash sale would bring.
        let start = chrono::Utc::now();
        for n in 0..300u32 {
            let mut order = paid(
                buyer(&format!("Cliente {}", n % 40), CPF_MARIA),
                vec![line(&format!("Produto {}", n % 12), "10", 1)],
            );
            order.created_at = Some(start + chrono::Duration::seconds(i64::from(n / 10)));
            control.create_order(order);
        }
        let report = app.sync_once().await.unwrap();
        assert_eq!(report.new_orders, 300, "{cap:?}: {report:?}");
        assert_eq!(report.imported, 300);
        assert_eq!(control.sales().len(), 300);
        let again = app.sync_once().await.unwrap();
        assert_eq!(again.new_orders, 0);
        assert_eq!(control.sales().len(), 300);
    }
}

#[tokio::test]
async fn an_order_without_an_id_is_skipped_with_a_reason_and_does_not_hold_the_cursor() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let mut broken = paid(
        buyer("Maria Silva", CPF_MARIA),
        vec![line("Caneca", "10", 1)],
    );
    broken.raw_patch = Some(json!({ "id": null }));
    let broken = control.create_order(broken);
    let good = caneca_for(&control, "João Lima", CPF_JOAO);
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, good.number), 1);
    assert_eq!(sales_for(&control, broken.number), 0);
    let skipped = app.orders(Some(OrderState::Skipped)).unwrap();
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped[0].number, broken.number);
    assert!(skipped[0]
        .skip_reason
        .as_deref()
        .unwrap()
        .contains("sem identificação"));
    assert!(app.settings().unwrap().cursor.is_some(), "the cursor moved");
    app.sync_once().await.unwrap();
    assert_eq!(
        app.orders(Some(OrderState::Skipped)).unwrap().len(),
        1,
        "seen again, recorded once"
    );
}

#[tokio::test]
async fn a_null_next_number_is_answered_from_the_highest_sale() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let first = caneca_for(&control, "Maria Silva", CPF_MARIA);
    app.sync_once().await.unwrap();
    let highest = control.sales()[0].numero;
    control.add_fault(
        FaultRule::new(
            Sim::Contaazul,
            Fault::Answer {
                status: 200,
                body: serde_json::Value::Null,
            },
        )
        .on("GET", "/v1/venda/proximo-numero"),
    );
    let second = caneca_for(&control, "João Lima", CPF_JOAO);
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, first.number), 1);
    let sale = control
        .sales()
        .into_iter()
        .find(|s| s.observacoes.as_deref() == Some(&format!("Pedido Nuvemshop #{}", second.number)))
        .expect("imported despite the null");
    assert_eq!(sale.numero, highest + 1);
}

#[tokio::test]
async fn customers_are_searched_by_digits_then_by_the_formatted_document() {
    let world = world().await;
    let control = world.control();
    // More customers than one page holds: they are searched, not read whole (issue 12).
    for i in 0..1001 {
        control.add_customer(ponte_sandbox::contaazul::NewPessoa {
            nome: format!("Cliente antigo {i:04}"),
            ..Default::default()
        });
    }
    let app = world.ready_app().await;
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    app.sync_once().await.unwrap();
    let urls: Vec<String> = app
        .store()
        .audit(order.id)
        .unwrap()
        .into_iter()
        .map(|exchange| exchange.url)
        .collect();
    let position = |needle: &str| urls.iter().position(|url| url.contains(needle));
    let digits = position("documentos=52998224725");
    let formatted = position("documentos=529.982.247-25");
    assert!(digits.is_some(), "{urls:?}");
    assert!(formatted.is_some(), "nothing matched by digits: {urls:?}");
    assert!(digits < formatted, "digits first");
    assert!(urls.iter().all(|url| !url.contains("status=TODOS")));
}

#[tokio::test]
async fn r8_an_order_whose_sale_may_exist_is_never_failed_on_a_doubt() {
    let world = world().await;
    let control = world.control();
    let clock = ManualClock::new();
    let app = world.ready_app_with_clock(clock.clone()).await;
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    // Every sale sent in this pass is lost on the way: none saved, none answered.
    control.add_fault(FaultRule::new(Sim::Contaazul, Fault::Drop).on("POST", "/v1/venda"));
    app.sync_once().await.unwrap();
    assert_eq!(control.sales().len(), 0);
    let waiting = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(waiting.state, OrderState::Importing);
    let numero = waiting.sale_number.unwrap();

    // Meanwhile its product can no longer be sold: the sale cannot be rebuilt. It waits,
    // keeping its number, instead of failing (a retry would give it a new number).
    control.clear_faults();
    control.set_product_active("Caneca", false).unwrap();
    clock.advance(minutes(2));
    app.sync_once().await.unwrap();
    let still = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(still.state, OrderState::Importing);
    assert_eq!(still.sale_number, Some(numero));

    control.set_product_active("Caneca", true).unwrap();
    clock.advance(minutes(120));
    app.sync_once().await.unwrap();
    let imported = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(imported.state, OrderState::Imported);
    assert_eq!(
        imported.sale_number,
        Some(numero),
        "under the number it kept"
    );
    assert_eq!(sales_for(&control, order.number), 1);
}

#[tokio::test]
async fn r8_a_refused_resend_keeps_its_number_and_tentar_novamente_resumes_under_it() {
    let world = world().await;
    let control = world.control();
    let clock = ManualClock::new();
    let app = world.ready_app_with_clock(clock.clone()).await;
    control.add_product(product("Caneca", "0"));
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    // The first send is lost on the way: its sale may exist.
    control.add_fault(
        FaultRule::new(Sim::Contaazul, Fault::Drop)
            .on("POST", "/v1/venda")
            .times(1),
    );
    app.sync_once().await.unwrap();
    let numero = app
        .store()
        .order(order.id)
        .unwrap()
        .unwrap()
        .sale_number
        .unwrap();
    // Sent again later under the same number, and refused for stock (R19).
    control.set_stock_validation(true);
    clock.advance(minutes(3));
    app.sync_once().await.unwrap();
    let failed = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(failed.state, OrderState::Failed);
    assert_eq!(failed.error.unwrap().code, "STOCK_VALIDATION");
    // Meanwhile another order takes the next number from Conta Azul.
    control.set_stock_validation(false);
    let other = caneca_for(&control, "João Lima", CPF_JOAO);
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, other.number), 1);

    app.retry(order.id).await.unwrap();
    app.sync_once().await.unwrap();
    let imported = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(imported.state, OrderState::Imported);
    assert_eq!(sales_for(&control, order.number), 1);
    assert_ne!(
        imported.sale_number,
        Some(numero),
        "the kept number had been given to the other order: looked up, then a fresh one"
    );
}

#[tokio::test]
async fn r18_a_listing_refusal_does_not_hold_up_the_queue() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    control.add_fault(
        FaultRule::new(Sim::Contaazul, Fault::ServerError)
            .on("POST", "/v1/pessoas")
            .times(20),
    );
    app.sync_once().await.unwrap();
    assert_eq!(
        app.store().order(order.id).unwrap().unwrap().state,
        OrderState::Queued
    );
    control.clear_faults();
    control.add_fault(FaultRule::new(
        Sim::Nuvemshop,
        Fault::Answer {
            status: 400,
            body: json!({"code": 400, "message": "Bad Request", "description": "?"}),
        },
    ));
    let deferred = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(deferred.attempts, 1);
    // The deferral's pause has to pass: a fresh app on a later clock.
    let later = ManualClock::new();
    later.advance(minutes(30));
    let app = world.app_with_clock(later);
    let report = app.sync_once().await.unwrap();
    assert!(report.poll_failed);
    assert_eq!(report.imported, 1);
    assert_eq!(sales_for(&control, order.number), 1);
}

#[tokio::test]
async fn r5_the_banner_says_why_and_which_account_to_connect_again() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    assert!(app.status().unwrap().attention.is_none(), "all well");
    app.disable().unwrap();
    assert!(
        app.status().unwrap().attention.is_none(),
        "switched off by the merchant: nothing to fix"
    );
    app.enable(None).await.unwrap();

    control.revoke_nuvemshop_token();
    caneca_for(&control, "Maria Silva", CPF_MARIA);
    assert!(app.sync_once().await.is_err());
    let attention = app.status().unwrap().attention.unwrap();
    assert_eq!(attention.problem.code, "NUVEMSHOP_ACCESS_CHANGED");
    assert_eq!(
        attention.reconnect,
        Some(ponte_core::error::Service::Nuvemshop)
    );
    // Reconnecting switches it back on by itself (R5), in the core, for both shells.
    app.connect(
        ponte_core::error::Service::Nuvemshop,
        &ConsentingBrowser::new(control.clone()),
        |_| {},
    )
    .await
    .unwrap();
    let status = app.status().unwrap();
    assert!(status.enabled && status.attention.is_none());

    app.disconnect(ponte_core::error::Service::Contaazul)
        .await
        .unwrap();
    let attention = app.status().unwrap().attention.unwrap();
    assert_eq!(attention.problem.code, "NOT_CONNECTED");
    assert!(attention.problem.message.contains("Conta Azul"));
    assert_eq!(
        attention.reconnect,
        Some(ponte_core::error::Service::Contaazul)
    );
}
