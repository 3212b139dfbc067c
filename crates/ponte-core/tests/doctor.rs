//! Issue 22: `ponte doctor` asks the connected accounts what their documents leave open. In
//! sandbox mode every check holds; each answer the sandbox can give instead is reported by its
//! check; the doctor changes nothing in either account.

mod common;

use common::{broker_world, browser, buyer, line, paid, product, sales_for};
use ponte_core::doctor::{Diagnosis, Verdict};
use ponte_core::error::Service;
use ponte_core::App;
use ponte_sandbox::answers::{Answers, ConnectedCompany, NextNumber, ResultCap};
use ponte_sandbox::Control;

/// A merchant's Ponte through the broker with one imported sale, the webhooks registered.
async fn connected() -> (common::BrokerWorld, App) {
    let world = broker_world().await;
    let control = world.both.sandbox.control();
    control.add_seller("Ana Souza");
    control.add_product(product("Caneca", "50"));
    let app = App::open(world.config.clone()).unwrap();
    let nudged = browser(&world, true);
    app.connect(Service::Nuvemshop, &nudged, |_| {})
        .await
        .unwrap();
    app.connect(Service::Contaazul, &nudged, |_| {})
        .await
        .unwrap();
    app.enable(None).await.unwrap();
    app.ensure_webhooks().await.unwrap();
    let order = control.create_order(paid(
        buyer("Maria Silva", "52998224725"),
        vec![line("Caneca", "10", 1)],
    ));
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, order.number), 1);
    (world, app)
}

fn verdict(diagnosis: &Diagnosis, id: &str) -> (Verdict, String) {
    let check = diagnosis
        .checks
        .iter()
        .find(|check| check.id == id)
        .unwrap_or_else(|| panic!("no check {id}: {diagnosis:?}"));
    (check.verdict, check.answer.clone())
}

/// One answer of the sandbox switched from its default.
type Flip = Box<dyn Fn(&mut Answers)>;

fn with(control: &Control, change: impl FnOnce(&mut Answers)) {
    let mut answers = control.answers();
    change(&mut answers);
    control.set_answers(answers);
}

#[tokio::test]
async fn in_sandbox_mode_every_check_holds_and_nothing_is_written() {
    let (world, app) = connected().await;
    let control = world.both.sandbox.control();
    control.reset_calls();
    let diagnosis = app.doctor().await.unwrap();
    for check in &diagnosis.checks {
        assert_eq!(check.verdict, Verdict::Holds, "{check:?}");
        assert!(!check.assumption.is_empty() && !check.consequence.is_empty());
    }
    assert!(diagnosis.checks.len() >= 9, "{}", diagnosis.checks.len());
    let calls = control.calls();
    for (endpoint, _) in calls.contaazul.iter().chain(calls.nuvemshop.iter()) {
        assert!(endpoint.starts_with("GET "), "the doctor wrote: {endpoint}");
    }
    assert_eq!(app.last_diagnosis().unwrap(), Some(diagnosis));
    let imported = app.orders(None).unwrap()[0].order_id;
    let report = app.support_report(imported).unwrap();
    assert!(report.contains("Diagnóstico de"), "{report}");
    assert!(report.contains("contaazul.products_status_filter (Conta Azul): Confere"));
}

/// Each answer the sandbox can give where the documents are silent, and the check that tells.
#[tokio::test]
async fn each_other_answer_is_reported_by_its_check() {
    let (world, app) = connected().await;
    let control = world.both.sandbox.control();
    let flips: Vec<(&str, Flip, Verdict)> = vec![
        (
            "contaazul.products_status_filter",
            Box::new(|a| a.contaazul.products_status_ignored = true),
            Verdict::DoesNotHold,
        ),
        (
            "contaazul.page_size",
            Box::new(|a| a.contaazul.page_sizes = Some(vec![10, 20, 50, 100])),
            Verdict::DoesNotHold,
        ),
        (
            "contaazul.connected_company",
            Box::new(|a| a.contaazul.connected_company = ConnectedCompany::NameOnly),
            Verdict::DoesNotHold,
        ),
        (
            "contaazul.connected_company",
            Box::new(|a| a.contaazul.connected_company = ConnectedCompany::NoName),
            Verdict::DoesNotHold,
        ),
        (
            "contaazul.next_number",
            Box::new(|a| a.contaazul.next_number = NextNumber::Object),
            Verdict::DoesNotHold,
        ),
        (
            "nuvemshop.total_count",
            Box::new(|a| a.nuvemshop.no_total_count = true),
            Verdict::DoesNotHold,
        ),
    ];
    for (id, flip, expected) in flips {
        control.set_answers(Answers::default());
        with(&control, flip);
        let diagnosis = app.doctor().await.unwrap();
        assert_eq!(verdict(&diagnosis, id).0, expected, "{id}: {diagnosis:?}");
        let others = diagnosis
            .checks
            .iter()
            .filter(|c| c.id != id && c.verdict != Verdict::Holds)
            .count();
        assert_eq!(others, 0, "only {id} changed: {diagnosis:?}");
    }

    // Sale numbers that repeat: a sale typed under the imported one's number.
    control.set_answers(Answers::default());
    with(&control, |a| a.contaazul.duplicate_sale_numbers = true);
    let imported = control.sales()[0].clone();
    control.type_sale_numbered(imported.numero);
    let (found, answer) = verdict(&app.doctor().await.unwrap(), "contaazul.sale_by_number");
    assert_eq!(found, Verdict::DoesNotHold);
    assert!(answer.contains("2 vendas"), "{answer}");

    // The cap's answer, whichever it is, is named; Ponte handles each.
    control.set_answers(Answers::default());
    for (cap, said) in [
        (ResultCap::Unprocessable, "HTTP 422"),
        (ResultCap::BadRequest, "HTTP 400"),
        (ResultCap::EmptyPastCap, "página vazia"),
    ] {
        with(&control, |a| a.nuvemshop.result_cap = cap);
        let (found, answer) = verdict(&app.doctor().await.unwrap(), "nuvemshop.result_cap");
        assert_eq!(found, Verdict::Holds, "{cap:?}: {answer}");
        assert!(answer.contains(said), "{cap:?}: {answer}");
    }
    with(&control, |a| {
        a.nuvemshop.result_cap = ResultCap::NotFoundPastCap
    });
    let (found, answer) = verdict(&app.doctor().await.unwrap(), "nuvemshop.result_cap");
    assert_eq!(found, Verdict::CouldNotTell, "{answer}");

    // Webhooks for a former address, and one missing.
    control.set_answers(Answers::default());
    control.add_webhook(
        "order/paid",
        "https://antigo.ponte.app.br/webhooks/nuvemshop",
    );
    let (found, answer) = verdict(&app.doctor().await.unwrap(), "nuvemshop.webhooks");
    assert_eq!(found, Verdict::DoesNotHold);
    assert!(answer.contains("outro endereço"), "{answer}");
}

/// Not connected: every check says it could not ask, none fails the command.
#[tokio::test]
async fn without_accounts_every_check_could_not_tell() {
    let world = broker_world().await;
    let app = App::open(world.config.clone()).unwrap();
    let diagnosis = app.doctor().await.unwrap();
    assert!(diagnosis
        .checks
        .iter()
        .all(|check| check.verdict == Verdict::CouldNotTell));
}
