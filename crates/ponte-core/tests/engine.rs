//! The engine over real HTTP against ponte-sandbox, with a real SQLite file: each rule, each
//! fault, each way an order can go.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::*;
use ponte_core::error::{Error, Service};
use ponte_core::store::OrderState;
use ponte_sandbox::nuvemshop::PaymentStatus;
use ponte_sandbox::{Fault, FaultRule, Service as Sim};

#[tokio::test]
async fn r1_r2_connecting_and_switching_on_records_the_activation_date() {
    let world = world().await;
    world.control().add_seller("Ana Souza");
    let app = world.app();
    let before = app.status().unwrap();
    assert!(!before.nuvemshop.connected && !before.contaazul.connected && !before.enabled);
    assert!(matches!(
        app.enable(None).await,
        Err(Error::NotConnected(Service::Nuvemshop))
    ));

    world.connect(&app).await;
    let status = app.status().unwrap();
    assert!(status.nuvemshop.connected && status.contaazul.connected);
    assert_eq!(status.nuvemshop.store_id.as_deref(), Some("5120101"));
    assert_eq!(
        status.contaazul.company_name.as_deref(),
        Some("Empresa Demonstração"),
        "the company by its trade name, not an id"
    );
    let tokens = std::fs::read_to_string(world.dir.path().join("tokens.json")).unwrap();
    assert!(
        !std::fs::read(world.config.database_path())
            .unwrap()
            .windows(8)
            .any(|w| tokens.contains(std::str::from_utf8(w).unwrap_or("\u{0}"))),
        "no token in the database"
    );

    let settings = app.enable(None).await.unwrap();
    let activated = settings.activated_at.unwrap();
    assert!((Utc::now() - activated).num_seconds().abs() < 5);
    assert_eq!(settings.seller.unwrap().name, "Ana Souza");
}

#[tokio::test]
async fn r1_connecting_without_the_app_credentials_says_which_are_missing() {
    let world = world().await;
    let mut config = world.config.clone();
    config.contaazul_client_secret = String::new();
    let app = ponte_core::App::open(config).unwrap();
    let error = app
        .connect(
            Service::Contaazul,
            &ConsentingBrowser::new(world.control()),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("PONTE_CONTAAZUL_CLIENT_SECRET"),
        "{error}"
    );
    assert_eq!(error.problem().code, "CONFIGURATION");
}

#[tokio::test]
async fn r13_with_several_sellers_one_must_be_chosen() {
    let world = world().await;
    world.control().add_seller("Ana Souza");
    let carlos = world.control().add_seller("Carlos Mendes");
    let app = world.app();
    world.connect(&app).await;
    assert!(matches!(app.enable(None).await, Err(Error::NoSeller)));
    let settings = app.enable(Some(&carlos.id.to_string())).await.unwrap();
    assert_eq!(settings.seller.unwrap().name, "Carlos Mendes");
    world.control().create_order(paid(
        buyer("Maria Silva", CPF_MARIA),
        vec![line("Caneca", "39.90", 1)],
    ));
    app.sync_once().await.unwrap();
    assert_eq!(
        world.control().sales()[0].id_vendedor,
        Some(carlos.id),
        "R13: the chosen seller"
    );
}

#[tokio::test]
async fn r9_to_r15_a_paid_order_becomes_a_sale_awaiting_review() {
    let world = world().await;
    let control = world.control();
    let caneca = control.add_product(product("Caneca Cerâmica 350 ml", "10"));
    let app = world.ready_app().await;
    let mut order = paid(
        buyer("Maria Silva", CPF_MARIA),
        vec![
            line("Caneca Cerâmica 350 ml", "39.90", 2),
            line("Vela Aromática Lavanda", "49.90", 1),
        ],
    );
    order.shipping_cost_customer = d("18.50");
    order.discount_coupon = d("12.97");
    let order = control.create_order(order);

    let report = app.sync_once().await.unwrap();
    assert_eq!(
        (report.new_orders, report.imported, report.failed),
        (1, 1, 0)
    );

    let sales = control.sales();
    assert_eq!(sales.len(), 1);
    let sale = &sales[0];
    assert_eq!(sale.situacao, "EM_ANDAMENTO", "R15");
    assert_eq!(sale.itens.len(), 2, "R9: one item per line");
    assert_eq!(
        sale.itens[0].id_produto, caneca.id,
        "R10: same description, same product"
    );
    assert_eq!(
        sale.itens[0].descricao.as_deref(),
        Some("Caneca Cerâmica 350 ml")
    );
    assert_eq!(
        (sale.itens[0].quantidade, sale.itens[0].valor),
        (d("2"), d("39.90"))
    );
    assert_eq!(sale.frete, d("18.50"), "R9: shipping");
    assert_eq!(
        sale.total(),
        d("135.23"),
        "the order total: 129.70 − 12.97 + 18.50"
    );
    assert_eq!(sale.tipo_pagamento.as_deref(), Some("DINHEIRO"), "R14");
    assert_eq!(sale.parcelas.len(), 1);
    assert_eq!(
        sale.parcelas[0].data_vencimento, sale.data_venda,
        "R14: due on the sale date"
    );
    assert_eq!(
        sale.observacoes.as_deref(),
        Some(format!("Pedido Nuvemshop #{}", order.number).as_str())
    );

    // R10: the missing product was created with the line's description; R11: the customer too.
    let products = control.products();
    assert_eq!(products.len(), 2);
    assert!(products
        .iter()
        .any(|p| p.nome == "Vela Aromática Lavanda" && p.valor_venda == d("49.90")));
    let customers = control.customers();
    assert_eq!(customers.len(), 1);
    let maria = &customers[0];
    assert_eq!(maria.nome, "Maria Silva");
    assert_eq!(maria.documento.as_deref(), Some("52998224725"));
    assert_eq!(maria.email.as_deref(), Some("maria.silva@exemplo.com.br"));
    assert_eq!(maria.telefone_celular.as_deref(), Some("+5511987654321"));
    assert_eq!(maria.telefone_comercial.as_deref(), Some("+551133334444"));
    assert_eq!(maria.perfis, vec!["Cliente".to_string()]);

    let ledger = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(ledger.state, OrderState::Imported);
    assert_eq!(ledger.sale_number, Some(sales[0].numero));
    assert!(
        !app.store().audit(order.id).unwrap().is_empty(),
        "the exchanges are kept"
    );
}

#[tokio::test]
async fn r11_a_cnpj_buyer_becomes_a_juridica_customer() {
    let world = world().await;
    let app = world.ready_app().await;
    world.control().create_order(paid(
        buyer("Papelaria Aurora Ltda", CNPJ_AURORA),
        vec![line("Caneca", "10", 1)],
    ));
    app.sync_once().await.unwrap();
    let customer = &world.control().customers()[0];
    assert_eq!(
        customer.tipo_pessoa,
        ponte_sandbox::contaazul::model::TipoPessoa::Juridica
    );
    assert_eq!(customer.documento.as_deref(), Some("11222333000181"));
}

#[tokio::test]
async fn r12_customers_are_reused_only_when_name_and_document_match() {
    let world = world().await;
    let control = world.control();
    let existing = control.add_customer(pessoa("Maria Silva", CPF_MARIA));
    let app = world.ready_app().await;
    let same = caneca_for(&control, "Maria Silva", CPF_MARIA);
    let other_name = caneca_for(&control, "Maria S. Souza", CPF_MARIA);
    let other_document = caneca_for(&control, "Maria Silva", CPF_JOAO);
    app.sync_once().await.unwrap();

    let sales = control.sales();
    let customer_of = |number: u64| {
        let note = format!("Pedido Nuvemshop #{number}");
        sales
            .iter()
            .find(|s| s.observacoes.as_deref() == Some(note.as_str()))
            .unwrap()
            .id_cliente
    };
    assert_eq!(
        customer_of(same.number),
        existing.id,
        "same name and CPF: reused"
    );
    assert_ne!(
        customer_of(other_name.number),
        existing.id,
        "same CPF, another name: new"
    );
    assert_ne!(
        customer_of(other_document.number),
        existing.id,
        "same name, another CPF: new"
    );
    assert_eq!(control.customers().len(), 3);
}

#[tokio::test]
async fn r6_pending_orders_wait_until_they_are_paid() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let mut boleto = paid(
        buyer("Maria Silva", CPF_MARIA),
        vec![line("Caneca", "10", 1)],
    );
    boleto.payment_status = None;
    let boleto = control.create_order(boleto);
    let mut refunded = paid(buyer("João Lima", CPF_JOAO), vec![line("Caneca", "10", 1)]);
    refunded.payment_status = Some(PaymentStatus::Refunded);
    control.create_order(refunded);

    let report = app.sync_once().await.unwrap();
    assert_eq!(report.new_orders, 0);
    assert!(control.sales().is_empty());
    // R16: an order that is not imported creates nothing.
    assert!(control.customers().is_empty() && control.products().is_empty());

    tokio::time::sleep(Duration::from_millis(1100)).await;
    control.pay_order(boleto.id).unwrap();
    let report = app.sync_once().await.unwrap();
    assert_eq!((report.new_orders, report.imported), (1, 1));
    assert_eq!(sales_for(&control, boleto.number), 1);
}

#[tokio::test]
async fn r3_orders_created_before_activation_are_never_imported() {
    let world = world().await;
    let control = world.control();
    let mut old = paid(
        buyer("Maria Silva", CPF_MARIA),
        vec![line("Caneca", "10", 1)],
    );
    old.created_at = Some(Utc::now() - chrono::Duration::days(2));
    let old = control.create_order(old);
    let app = world.ready_app().await;
    let fresh = caneca_for(&control, "João Lima", CPF_JOAO);
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, old.number), 0);
    assert_eq!(sales_for(&control, fresh.number), 1);
    assert!(app.store().order(old.id).unwrap().is_none());
}

#[tokio::test]
async fn r4_r8_switched_off_nothing_is_created_and_switched_on_it_catches_up_once() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let first = caneca_for(&control, "Maria Silva", CPF_MARIA);
    app.sync_once().await.unwrap();

    app.disable().unwrap();
    control.reset_calls();
    let while_off = caneca_for(&control, "João Lima", CPF_JOAO);
    assert!(matches!(app.sync_once().await, Err(Error::Disabled)));
    assert_eq!(
        control.calls().total(Sim::Contaazul),
        0,
        "off: not one call to Conta Azul"
    );
    assert_eq!(sales_for(&control, while_off.number), 0);

    app.enable(None).await.unwrap();
    app.sync_once().await.unwrap();
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, while_off.number), 1, "caught up");
    assert_eq!(sales_for(&control, first.number), 1, "never imported twice");
    assert_eq!(control.sales().len(), 2);
}

#[tokio::test]
async fn r5_a_revoked_nuvemshop_token_switches_off_and_reconnecting_resumes() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    control.revoke_nuvemshop_token();
    let paid_meanwhile = caneca_for(&control, "Maria Silva", CPF_MARIA);
    assert!(matches!(
        app.sync_once().await,
        Err(Error::NuvemshopAccessRevoked)
    ));
    let status = app.status().unwrap();
    assert!(!status.enabled);
    let reason = status.disabled_reason.unwrap();
    assert_eq!(reason.code, "NUVEMSHOP_ACCESS_CHANGED");
    assert!(reason
        .message
        .contains("A integração foi desativada porque o acesso à Nuvemshop mudou"));
    assert!(reason.hint.contains("Refazer a integração"));

    app.connect(
        Service::Nuvemshop,
        &ConsentingBrowser::new(control.clone()),
        |_| {},
    )
    .await
    .unwrap();
    app.enable(None).await.unwrap();
    app.sync_once().await.unwrap();
    assert_eq!(
        sales_for(&control, paid_meanwhile.number),
        1,
        "nothing lost"
    );
    assert!(app.status().unwrap().disabled_reason.is_none());
}

#[tokio::test]
async fn r5_a_rejected_conta_azul_refresh_token_switches_off() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    control.expire_access_tokens();
    control.reject_refresh_tokens();
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    assert!(matches!(
        app.sync_once().await,
        Err(Error::ContaAzulAccessRevoked)
    ));
    let status = app.status().unwrap();
    assert_eq!(
        status.disabled_reason.unwrap().code,
        "CONTAAZUL_ACCESS_CHANGED"
    );
    assert_eq!(
        app.store().order(order.id).unwrap().unwrap().state,
        OrderState::Queued,
        "kept for later"
    );

    app.connect(
        Service::Contaazul,
        &ConsentingBrowser::new(control.clone()),
        |_| {},
    )
    .await
    .unwrap();
    app.enable(None).await.unwrap();
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, order.number), 1);
}

#[tokio::test]
async fn expired_access_tokens_are_refreshed_and_the_rotated_refresh_token_is_kept() {
    let world =
        world_with(|config| config.contaazul.access_token_ttl = Duration::from_secs(30)).await;
    let control = world.control();
    let app = world.ready_app().await;
    let stored = || std::fs::read_to_string(world.dir.path().join("tokens.json")).unwrap();
    let before = stored();
    // 30 s tokens are inside the 60 s safety margin: every use refreshes, rotating each time.
    caneca_for(&control, "Maria Silva", CPF_MARIA);
    app.sync_once().await.unwrap();
    assert_ne!(stored(), before, "the rotated refresh token was persisted");
    assert!(control.calls().get(Sim::Contaazul, "POST /oauth2/token") >= 2);
    // A fresh process reads the rotated token and keeps working.
    caneca_for(&control, "João Lima", CPF_JOAO);
    let restarted = world.app();
    restarted.sync_once().await.unwrap();
    assert_eq!(control.sales().len(), 2);
}

#[tokio::test]
async fn r18_r19_a_stock_refusal_fails_that_order_only_and_retrying_imports_it() {
    let world = world().await;
    let control = world.control();
    control.add_product(product("Luminária de Mesa Cobre", "0"));
    control.add_product(product("Caneca", "50"));
    control.set_stock_validation(true);
    let app = world.ready_app().await;
    let short = control.create_order(paid(
        buyer("Maria Silva", CPF_MARIA),
        vec![line("Luminária de Mesa Cobre", "189", 1)],
    ));
    let fine = caneca_for(&control, "João Lima", CPF_JOAO);
    let report = app.sync_once().await.unwrap();
    assert_eq!((report.imported, report.failed), (1, 1));
    assert_eq!(
        sales_for(&control, fine.number),
        1,
        "a failure never blocks the others"
    );

    let failed = app.store().order(short.id).unwrap().unwrap();
    assert_eq!(failed.state, OrderState::Failed);
    let problem = failed.error.unwrap();
    assert_eq!(problem.code, "STOCK_VALIDATION");
    assert!(problem.message.contains("Luminária de Mesa Cobre"));
    assert!(
        problem
            .message
            .ends_with("Na Conta Azul, “Luminária de Mesa Cobre”: saldo 0, no pedido 1."),
        "the balance beside the quantity ordered: {}",
        problem.message
    );
    assert!(problem.hint.contains("Permissões do estoque"));
    assert!(problem.hint.contains("Tentar novamente"));

    control.set_stock_validation(false);
    app.sync_once().await.unwrap();
    assert_eq!(
        sales_for(&control, short.number),
        0,
        "failed orders wait for the merchant"
    );
    app.retry(short.id).await.unwrap();
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, short.number), 1);
    assert_eq!(app.status().unwrap().counts.failed, 0);

    let report = app.support_report(short.id).unwrap();
    assert!(report.contains(&format!("#{}", short.number)));
    assert!(
        !report.contains("Maria Silva") && report.contains("Maria S."),
        "R21: the buyer's name masked in the requests and answers: {report}"
    );
    assert!(report.contains("Total: R$ 189,00"), "{report}");
    assert!(
        report.contains(&format!(
            "https://loja-demonstracao.lojavirtualnuvem.com.br/admin/orders/{}",
            short.id
        )),
        "the store's own admin link: {report}"
    );
    assert!(report.contains("POST"));
    assert!(!report.contains("529.982.247-25"), "personal data masked");
    assert!(!report.contains("ca."), "no token");
}

#[tokio::test]
async fn r20_an_inactive_product_with_the_same_description_fails_with_the_stock_screen_hint() {
    let world = world().await;
    let control = world.control();
    control.add_product(product("Vela Aromática", "5"));
    control.set_product_active("Vela Aromática", false).unwrap();
    let app = world.ready_app().await;
    let order = control.create_order(paid(
        buyer("Maria Silva", CPF_MARIA),
        vec![line("Vela Aromática", "49.90", 1)],
    ));
    app.sync_once().await.unwrap();
    let problem = app.store().order(order.id).unwrap().unwrap().error.unwrap();
    assert_eq!(problem.code, "PRODUCT_INACTIVE");
    assert!(problem.hint.contains("Mostrar produtos com saldo zero"));
    assert_eq!(
        control.products().len(),
        1,
        "no duplicate product was created"
    );
}

#[tokio::test]
async fn bad_orders_fail_or_are_skipped_with_a_reason_and_the_rest_is_imported() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let good = caneca_for(&control, "Maria Silva", CPF_MARIA);
    let nameless = caneca_for(&control, "", CPF_JOAO);
    let bad_cpf = caneca_for(&control, "João Lima", "123.456.789-00");
    let zero = control.create_order(paid(
        buyer("João Lima", CPF_JOAO),
        vec![line("Caneca", "10", 0)],
    ));
    let negative = control.create_order(paid(
        buyer("João Lima", CPF_JOAO),
        vec![line("Caneca", "10", -2)],
    ));
    let unnamed_line =
        control.create_order(paid(buyer("João Lima", CPF_JOAO), vec![line("", "10", 1)]));
    let mut dollars = paid(buyer("John Doe", CPF_JOAO), vec![line("Caneca", "10", 1)]);
    dollars.currency = Some("USD".into());
    let dollars = control.create_order(dollars);
    let mut wrong_type = paid(buyer("João Lima", CPF_JOAO), vec![line("Caneca", "10", 1)]);
    wrong_type.raw_patch = Some(serde_json::json!({ "total": { "valor": "10.00" } }));
    let wrong_type = control.create_order(wrong_type);

    let report = app.sync_once().await.unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(sales_for(&control, good.number), 1);
    let code = |id: u64| {
        app.store()
            .order(id)
            .unwrap()
            .unwrap()
            .error
            .map(|p| p.code)
    };
    assert_eq!(
        code(nameless.id).map(|c| c.as_str()),
        Some("CUSTOMER_WITHOUT_NAME")
    );
    assert_eq!(
        code(bad_cpf.id).map(|c| c.as_str()),
        Some("INVALID_DOCUMENT")
    );
    assert_eq!(code(zero.id).map(|c| c.as_str()), Some("INVALID_QUANTITY"));
    assert_eq!(
        code(negative.id).map(|c| c.as_str()),
        Some("INVALID_QUANTITY")
    );
    assert_eq!(
        code(unnamed_line.id).map(|c| c.as_str()),
        Some("LINE_WITHOUT_NAME")
    );
    assert_eq!(
        code(wrong_type.id).map(|c| c.as_str()),
        Some("INVALID_ORDER_DATA")
    );
    let skipped = app.store().order(dollars.id).unwrap().unwrap();
    assert_eq!(skipped.state, OrderState::Skipped);
    assert!(skipped.skip_reason.unwrap().contains("USD"));
    assert_eq!(control.sales().len(), 1);
}

#[tokio::test]
async fn a_malformed_page_delays_the_listing_without_losing_an_order() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    // Every attempt of this pass gets a broken page.
    control.add_fault(
        FaultRule::new(Sim::Nuvemshop, Fault::TruncateBody)
            .on("GET", "/orders")
            .times(1),
    );
    let report = app.sync_once().await.unwrap();
    assert!(report.poll_failed);
    assert_eq!(
        app.settings().unwrap().cursor,
        None,
        "the cursor did not move"
    );
    let report = app.sync_once().await.unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(sales_for(&control, order.number), 1);
}

#[tokio::test]
async fn server_errors_rate_limits_and_slow_answers_end_in_one_sale() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    control.add_fault(
        FaultRule::new(Sim::Contaazul, Fault::ServerError)
            .on("GET", "/v1/pessoas")
            .times(2),
    );
    control.add_fault(
        FaultRule::new(Sim::Contaazul, Fault::TooManyRequests)
            .on("POST", "/v1/venda")
            .times(2),
    );
    control.add_fault(
        FaultRule::new(Sim::Nuvemshop, Fault::TooManyRequests)
            .on("GET", "/orders")
            .times(1),
    );
    control.add_fault(
        FaultRule::new(Sim::Contaazul, Fault::Latency { millis: 400 })
            .on("GET", "/v1/produtos")
            .times(1),
    );
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    let report = app.sync_once().await.unwrap();
    assert_eq!(report.imported, 1, "{report:?}");
    assert_eq!(sales_for(&control, order.number), 1);
    assert_eq!(
        control.calls().get(Sim::Contaazul, "POST /v1/venda"),
        3,
        "two 429s, then the sale"
    );
}

#[tokio::test]
async fn a_sale_whose_answer_was_lost_is_found_not_created_again() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    control.add_fault(
        FaultRule::new(Sim::Contaazul, Fault::DropAfterHandling)
            .on("POST", "/v1/venda")
            .times(1),
    );
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    let report = app.sync_once().await.unwrap();
    assert_eq!(report.imported, 1);
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, order.number), 1);
    assert_eq!(control.calls().get(Sim::Contaazul, "POST /v1/venda"), 1);
}

#[tokio::test]
async fn persistent_outages_defer_orders_instead_of_failing_them() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    control.add_fault(
        FaultRule::new(Sim::Contaazul, Fault::ServerError)
            .on("GET", "/v1/pessoas")
            .times(4),
    );
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    let report = app.sync_once().await.unwrap();
    assert_eq!(report.deferred, 1);
    let ledger = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(ledger.state, OrderState::Queued, "not shown as a failure");
    assert!(ledger.error.is_none());
}

/// Issue 12: one `proximo-numero` per pass, the numbers counted up here, in the order the
/// orders were paid (R15).
#[tokio::test]
async fn r15_one_next_number_read_per_pass_and_numbers_follow_the_payments() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let numbers: Vec<u64> = ["Ana Lima", "Bruno Reis", "Carla Dias", "Davi Luz"]
        .iter()
        .zip(["52998224725", "11144477735", "39053344705", "71460238001"])
        .map(|(name, cpf)| {
            control
                .create_order(paid(buyer(name, cpf), vec![line("Caneca", "29.90", 1)]))
                .number
        })
        .collect();
    control.reset_calls();
    let report = app.sync_once().await.unwrap();
    assert_eq!(report.imported, 4);
    assert_eq!(
        control
            .calls()
            .get(Sim::Contaazul, "GET /v1/venda/proximo-numero"),
        1
    );
    let assigned: Vec<i64> = numbers
        .iter()
        .map(|n| sale_of(&control, *n).numero)
        .collect();
    for pair in assigned.windows(2) {
        assert_eq!(
            pair[1],
            pair[0] + 1,
            "consecutive, in payment order: {assigned:?}"
        );
    }
}

/// Issue 12: a catalogue that fits one page per status is read whole once per pass; a larger
/// one is searched product by product, with the same matches (R10).
#[tokio::test]
async fn r10_small_catalogues_are_read_whole_and_large_ones_searched() {
    for (extra, whole) in [(0usize, true), (1000, false)] {
        let world = world().await;
        let control = world.control();
        for i in 0..extra {
            control.add_product(product(&format!("Item de estoque {i:04}"), "5"));
        }
        control.add_product(product("Caneca Azul", "50"));
        let app = world.ready_app().await;
        control.create_order(paid(
            buyer("Ana Lima", "52998224725"),
            vec![
                line("Caneca Azul", "29.90", 1),
                line("Camiseta Nova", "59.90", 1),
            ],
        ));
        control.reset_calls();
        assert_eq!(app.sync_once().await.unwrap().imported, 1);
        let products = control.products();
        assert_eq!(
            products.iter().filter(|p| p.nome == "Caneca Azul").count(),
            1,
            "the existing product is reused"
        );
        assert_eq!(
            products
                .iter()
                .filter(|p| p.nome == "Camiseta Nova")
                .count(),
            1,
            "the new one is created once"
        );
        let reads = control.calls().get(Sim::Contaazul, "GET /v1/produtos");
        if whole {
            assert_eq!(reads, 2, "one page of active and one of inactive products");
        } else {
            // The first page says the catalogue is large; then each product is searched.
            assert!(reads >= 3, "{reads}");
        }
    }
}

/// Issue 22: whether `GET /v1/produtos` filters by `status` is documented only by the n8n node
/// and an SDK. If Conta Azul ignores the filter, every product comes in both listings under its
/// one id: the order still reuses it, an inactive one still fails as inactive, in a small
/// catalogue read whole and in a large one searched (R10, R20).
#[tokio::test]
async fn r10_products_are_matched_whether_or_not_the_status_filter_holds() {
    for ignored in [false, true] {
        for extra in [0usize, 1000] {
            let world = world().await;
            let control = world.control();
            let mut answers = control.answers();
            answers.contaazul.products_status_ignored = ignored;
            control.set_answers(answers);
            for i in 0..extra {
                control.add_product(product(&format!("Item de estoque {i:04}"), "5"));
            }
            control.add_product(product("Caneca Azul", "50"));
            control.add_product(product("Prato Antigo", "5"));
            control.set_product_active("Prato Antigo", false).unwrap();
            let app = world.ready_app().await;
            let good = control.create_order(paid(
                buyer("Ana Lima", "52998224725"),
                vec![line("Caneca Azul", "29.90", 1)],
            ));
            let bad = control.create_order(paid(
                buyer("Ana Lima", "52998224725"),
                vec![line("Prato Antigo", "19.90", 1)],
            ));
            let report = app.sync_once().await.unwrap();
            let case = format!("filter ignored: {ignored}, catalogue of {}", extra + 2);
            assert_eq!(report.imported, 1, "{case}");
            assert_eq!(sales_for(&control, good.number), 1, "{case}");
            assert_eq!(
                control
                    .products()
                    .iter()
                    .filter(|p| p.nome == "Caneca Azul")
                    .count(),
                1,
                "reused, not created again: {case}"
            );
            let failed = app.store().order(bad.id).unwrap().unwrap();
            assert_eq!(failed.state, OrderState::Failed, "{case}");
            assert_eq!(failed.error.unwrap().code, "PRODUCT_INACTIVE", "{case}");
        }
    }
}

/// Issue 22: where Conta Azul's documents are silent, its other plausible answers: lists that
/// refuse the 1000-record page, `proximo-numero` as an object, `conta-conectada` with only a
/// `nome` or no name. Orders still import once each, with the customer and products reused
/// (R8, R10, R12), and the dashboard names the company when the answer does.
#[tokio::test]
async fn orders_import_whichever_way_conta_azul_answers_what_its_documents_leave_open() {
    use ponte_sandbox::answers::{ConnectedCompany, NextNumber};
    for (sizes, next, company) in [
        (
            Some(vec![10, 20, 50, 100]),
            NextNumber::Object,
            ConnectedCompany::NameOnly,
        ),
        (
            Some(vec![10, 20, 50, 100, 200, 500]),
            NextNumber::Bare,
            ConnectedCompany::NoName,
        ),
    ] {
        let world = world().await;
        let control = world.control();
        let mut answers = control.answers();
        answers.contaazul.page_sizes = sizes.clone();
        answers.contaazul.next_number = next;
        answers.contaazul.connected_company = company;
        control.set_answers(answers);
        control.add_product(product("Caneca Azul", "50"));
        control.add_customer(pessoa("Maria Silva", CPF_MARIA));
        let app = world.ready_app().await;
        let orders: Vec<_> = (0..3)
            .map(|_| {
                control.create_order(paid(
                    buyer("Maria Silva", "52998224725"),
                    vec![line("Caneca Azul", "29.90", 1)],
                ))
            })
            .collect();
        let case = format!("{sizes:?} {next:?} {company:?}");
        assert_eq!(app.sync_once().await.unwrap().imported, 3, "{case}");
        for order in &orders {
            assert_eq!(sales_for(&control, order.number), 1, "{case}");
        }
        let mut numbers: Vec<i64> = control.sales().iter().map(|s| s.numero).collect();
        numbers.dedup();
        assert_eq!(numbers.len(), 3, "distinct numbers: {case}");
        assert_eq!(control.products().len(), 1, "{case}");
        assert_eq!(control.customers().len(), 1, "{case}");
        let name = app.status().unwrap().contaazul.company_name;
        match company {
            ConnectedCompany::NoName => assert_eq!(name, None, "{case}"),
            _ => assert!(name.is_some(), "{case}"),
        }
    }
}

/// Issue 12: a customer base that fits one page is read once per pass; the customer is still
/// reused only when name and CPF match (R12).
#[tokio::test]
async fn r12_a_small_customer_base_is_read_whole_once_per_pass() {
    let world = world().await;
    let control = world.control();
    control.add_customer(pessoa("Maria Silva", CPF_MARIA));
    control.add_customer(pessoa("Maria Silva", CPF_JOAO));
    let app = world.ready_app().await;
    control.create_order(paid(
        buyer("Maria Silva", "52998224725"),
        vec![line("Caneca", "10", 1)],
    ));
    control.create_order(paid(
        buyer("João Lima", "11144477735"),
        vec![line("Caneca", "10", 1)],
    ));
    control.reset_calls();
    assert_eq!(app.sync_once().await.unwrap().imported, 2);
    assert_eq!(control.calls().get(Sim::Contaazul, "GET /v1/pessoas"), 1);
    let customers = control.customers();
    assert_eq!(
        customers.iter().filter(|c| c.nome == "Maria Silva").count(),
        2,
        "reused"
    );
    assert_eq!(
        customers.iter().filter(|c| c.nome == "João Lima").count(),
        1,
        "created"
    );
}

/// Issue 12: a returning customer's order over known products costs its sale and the pass's
/// next-number read — the ids resolved in an earlier pass are remembered (R10, R12).
#[tokio::test]
async fn r12_a_returning_customers_next_order_costs_its_sale_and_no_lookup() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    caneca_for(&control, "Maria Silva", CPF_MARIA);
    assert_eq!(app.sync_once().await.unwrap().imported, 1);
    let again = caneca_for(&control, "Maria Silva", CPF_MARIA);
    control.reset_calls();
    assert_eq!(app.sync_once().await.unwrap().imported, 1);
    let calls = control.calls();
    assert_eq!(
        calls.contaazul.keys().collect::<Vec<_>>(),
        ["GET /v1/venda/proximo-numero", "POST /v1/venda"],
        "{:?}",
        calls.contaazul
    );
    assert_eq!(sales_for(&control, again.number), 1);
    assert_eq!(control.customers().len(), 1);
    assert_eq!(control.products().len(), 1);
}

/// A product remembered from an earlier pass and deactivated since: the refusal makes Ponte
/// look it up again, and the order fails as it would have without the memory (R20), with no
/// duplicate product.
#[tokio::test]
async fn r20_a_remembered_product_deactivated_since_is_looked_up_again_and_reported() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    caneca_for(&control, "Maria Silva", CPF_MARIA);
    app.sync_once().await.unwrap();
    control.set_product_active("Caneca", false).unwrap();
    let order = caneca_for(&control, "João Lima", CPF_JOAO);
    control.reset_calls();
    app.sync_once().await.unwrap();
    let failed = app.store().order(order.id).unwrap().unwrap();
    assert_eq!(failed.state, OrderState::Failed);
    assert_eq!(failed.error.unwrap().code, "PRODUCT_INACTIVE");
    let calls = control.calls();
    assert_eq!(
        calls.get(Sim::Contaazul, "POST /v1/venda"),
        1,
        "the refused sale once; the fresh lookup found the product inactive before a second"
    );
    assert!(calls.get(Sim::Contaazul, "GET /v1/produtos") >= 1);
    assert_eq!(control.products().len(), 1, "no duplicate product");
    assert_eq!(control.sales().len(), 1);
}

/// A customer remembered from an earlier pass and deleted in Conta Azul since: the refused
/// sale is sent again, under the same number, with the customer created anew — one sale.
#[tokio::test]
async fn r12_a_remembered_customer_deleted_since_is_created_again_and_the_sale_sent_once() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    caneca_for(&control, "Maria Silva", CPF_MARIA);
    app.sync_once().await.unwrap();
    control.delete_customer("Maria Silva").unwrap();
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    let report = app.sync_once().await.unwrap();
    assert_eq!(report.imported, 1, "{report:?}");
    assert_eq!(sales_for(&control, order.number), 1);
    assert_eq!(control.customers().len(), 1, "created again, once");
    let imported = app.store().order(order.id).unwrap().unwrap();
    let sale = control
        .sales()
        .into_iter()
        .find(|s| s.numero == imported.sale_number.unwrap())
        .unwrap();
    assert_eq!(sale.id_cliente, control.customers()[0].id);
}

/// R14 and beyond: the article's *Dinheiro*, one installment, until the merchant maps the ways
/// of paying; then a card paid in 3 installments becomes a credit card sale in 3 monthly
/// installments that add up to the total. The change applies to sales sent after it.
#[tokio::test]
async fn r14_a_payment_mapping_applies_to_the_sales_sent_after_it() {
    use ponte_core::rules::payment::suggested_mapping;
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    let card = |name: &str, cpf: &str| {
        let mut order = paid(buyer(name, cpf), vec![line("Caneca", "100.00", 1)]);
        order.payment_method = Some("credit_card".into());
        order.installments = Some(3);
        control.create_order(order)
    };
    let before = card("Maria Silva", CPF_MARIA);
    app.sync_once().await.unwrap();
    app.set_payment_mapping(&suggested_mapping()).unwrap();
    let after = card("João Lima", CPF_JOAO);
    app.sync_once().await.unwrap();

    let first = sale_of(&control, before.number);
    assert_eq!(first.tipo_pagamento.as_deref(), Some("DINHEIRO"));
    assert_eq!(
        first.parcelas.len(),
        1,
        "imported before the mapping: as it was"
    );
    let second = sale_of(&control, after.number);
    assert_eq!(second.tipo_pagamento.as_deref(), Some("CARTAO_CREDITO"));
    assert_eq!(second.opcao_condicao_pagamento, "3x");
    assert_eq!(second.parcelas.len(), 3);
    let sum: rust_decimal::Decimal = second.parcelas.iter().map(|p| p.valor).sum();
    assert_eq!(sum, second.total());

    let mut wrong = suggested_mapping();
    wrong
        .get_mut(&ponte_core::rules::payment::PaymentMethod::Pix)
        .unwrap()
        .tipo_pagamento = "PIX".into();
    let refused = app.set_payment_mapping(&wrong).unwrap_err().problem();
    assert!(refused.message.contains("PIX"), "{}", refused.message);
    assert_eq!(
        app.payment_mapping().unwrap(),
        suggested_mapping(),
        "kept as it was"
    );
}

/// Issue 22: the Sales OpenAPI spells a Pix charge `COBRANCA_PIX`, the current `createVenda`
/// page `PIX_COBRANCA`. Whichever Conta Azul refuses, the order fails as a setting to change
/// (not a support case) and imports once the merchant picks another type (R14, R21); the types
/// *Configurações* offers are taken whichever spelling holds.
#[tokio::test]
async fn r14_a_payment_type_conta_azul_refuses_is_a_setting_to_change() {
    use ponte_core::rules::payment::{suggested_mapping, PaymentMethod, CONTAAZUL_TYPES};
    use ponte_sandbox::answers::PaymentTypeNames;
    for (names, disputed) in [
        (PaymentTypeNames::CurrentPage, "COBRANCA_PIX"),
        (PaymentTypeNames::SalesSpec, "PIX_COBRANCA"),
    ] {
        let world = world().await;
        let control = world.control();
        let mut answers = control.answers();
        answers.contaazul.payment_types = names;
        control.set_answers(answers);
        let app = world.ready_app().await;
        let mut mapping = suggested_mapping();
        mapping.get_mut(&PaymentMethod::Pix).unwrap().tipo_pagamento = disputed.into();
        app.set_payment_mapping(&mapping).unwrap();
        let mut order = paid(
            buyer("Maria Silva", CPF_MARIA),
            vec![line("Caneca", "10", 1)],
        );
        order.payment_method = Some("pix".into());
        let order = control.create_order(order);
        app.sync_once().await.unwrap();
        let failed = app.store().order(order.id).unwrap().unwrap();
        assert_eq!(failed.state, OrderState::Failed, "{names:?}");
        let problem = failed.error.unwrap();
        assert_eq!(problem.code, "PAYMENT_TYPE_REFUSED", "{names:?}");
        assert!(problem.hint.contains("Forma de pagamento na Conta Azul"));

        app.set_payment_mapping(&suggested_mapping()).unwrap();
        app.retry(order.id).await.unwrap();
        app.sync_once().await.unwrap();
        assert_eq!(sales_for(&control, order.number), 1, "{names:?}");

        for (offered, _) in CONTAAZUL_TYPES {
            assert!(
                names.accepts(offered),
                "{offered} offered but refused: {names:?}"
            );
        }
    }
}

/// Issue 13: the dashboard's chart — sales imported per day, the last days in São Paulo dates,
/// days without sales included.
#[tokio::test]
async fn imported_sales_are_counted_per_day() {
    let world = world().await;
    let control = world.control();
    let clock = ManualClock::new();
    let app = world.ready_app_with_clock(clock.clone()).await;
    caneca_for(&control, "Maria Silva", CPF_MARIA);
    caneca_for(&control, "João Lima", CPF_JOAO);
    app.sync_once().await.unwrap();
    let days = app.imported_per_day(7).unwrap();
    assert_eq!(days.len(), 7);
    let today = ponte_core::time::business_date(app.now());
    assert_eq!(days.last().unwrap().date, today);
    assert_eq!(days.last().unwrap().count, 2);
    assert!(days[..6].iter().all(|day| day.count == 0));
    assert!(days
        .windows(2)
        .all(|pair| pair[0].date.succ_opt() == Some(pair[1].date)));
}
