//! What the merchant may switch on beyond the article, against the sandbox: products matched
//! by SKU (R10, beyond) and the sale's number written into the order's private note.

mod common;

use common::*;
use ponte_sandbox::contaazul::NewProduto;
use ponte_sandbox::nuvemshop::NewLine;

fn coded(nome: &str, sku: &str) -> NewProduto {
    NewProduto {
        codigo_sku: Some(sku.into()),
        ..product(nome, "100")
    }
}

fn line_with_sku(name: &str, sku: &str) -> NewLine {
    NewLine {
        sku: Some(sku.into()),
        ..line(name, "59.90", 1)
    }
}

#[tokio::test]
async fn r10_by_default_the_description_decides_even_when_a_sku_matches() {
    let world = world().await;
    let control = world.control();
    control.add_product(coded("Camiseta azul tamanho P", "CAM-P"));
    let app = world.ready_app().await;
    assert!(
        !app.settings().unwrap().options.match_by_sku,
        "off by default"
    );
    control.create_order(paid(
        buyer("Maria Silva", CPF_MARIA),
        vec![line_with_sku("Camiseta Azul (P)", "CAM-P")],
    ));
    app.sync_once().await.unwrap();
    let products = control.products();
    assert_eq!(
        products.len(),
        2,
        "R10: another description, another product"
    );
    let created = products
        .iter()
        .find(|p| p.nome == "Camiseta Azul (P)")
        .unwrap();
    assert_eq!(
        created.codigo_sku, None,
        "nothing of the SKU written while off"
    );
}

#[tokio::test]
async fn matching_by_sku_reuses_the_coded_product_and_codes_the_ones_it_creates() {
    let world = world().await;
    let control = world.control();
    let coded_p = control.add_product(coded("Camiseta azul tamanho P", "CAM-P"));
    let app = world.ready_app().await;
    app.set_match_by_sku(true).unwrap();
    let first = control.create_order(paid(
        buyer("Maria Silva", CPF_MARIA),
        vec![
            line_with_sku("Camiseta Azul (P)", "CAM-P"),
            line_with_sku("Caneca Listrada", "CAN-7"),
            line("Sem código", "10", 1),
        ],
    ));
    app.sync_once().await.unwrap();
    let sale = sale_of(&control, first.number);
    assert_eq!(
        sale.itens[0].id_produto, coded_p.id,
        "the same SKU selects the product"
    );
    let caneca = control
        .products()
        .into_iter()
        .find(|p| p.nome == "Caneca Listrada")
        .unwrap();
    assert_eq!(
        caneca.codigo_sku.as_deref(),
        Some("CAN-7"),
        "created with its code"
    );
    assert!(
        control.products().iter().any(|p| p.nome == "Sem código"),
        "R10 without a SKU"
    );

    // Renamed in the store, same SKU: the same product, not a new one.
    let renamed = control.create_order(paid(
        buyer("João Souza", CPF_JOAO),
        vec![line_with_sku("Caneca Listrada Azul", "CAN-7")],
    ));
    let plan_products = control.products().len();
    app.sync_once().await.unwrap();
    assert_eq!(control.products().len(), plan_products);
    assert_eq!(
        sale_of(&control, renamed.number).itens[0].id_produto,
        caneca.id
    );

    // An inactive product with the SKU is reported (R20), never duplicated.
    control
        .set_product_active("Caneca Listrada", false)
        .unwrap();
    let inactive = control.create_order(paid(
        buyer("Rita Lima", CPF_MARIA),
        vec![line_with_sku("Caneca Nova", "CAN-7")],
    ));
    app.sync_once().await.unwrap();
    let failed = app.store().order(inactive.id).unwrap().unwrap();
    assert_eq!(
        failed.error.unwrap().code,
        ponte_core::problem::ProblemCode::ProductInactive
    );
    assert_eq!(control.products().len(), plan_products);
}

#[tokio::test]
async fn the_sale_number_goes_into_the_orders_note_keeping_the_merchants_words() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    app.set_write_owner_note(true).unwrap();
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    control
        .set_owner_note(order.id, "Embrulhar para presente")
        .unwrap();
    let plain = caneca_for(&control, "João Souza", CPF_JOAO);
    app.sync_once().await.unwrap();
    let note = |id: u64| {
        control
            .orders()
            .into_iter()
            .find(|o| o.id == id)
            .unwrap()
            .owner_note
    };
    let sale = sale_of(&control, order.number);
    assert_eq!(
        note(order.id).as_deref(),
        Some(
            format!(
                "Embrulhar para presente\nVenda {} na Conta Azul (Ponte)",
                sale.numero
            )
            .as_str()
        )
    );
    assert_eq!(
        note(plain.id),
        Some(format!(
            "Venda {} na Conta Azul (Ponte)",
            sale_of(&control, plain.number).numero
        ))
    );
    // The note's change makes the order "updated": listed again, never imported again (R8).
    app.sync_once().await.unwrap();
    assert_eq!(sales_for(&control, order.number), 1);
    assert_eq!(control.sales().len(), 2);
    assert_eq!(app.settings().unwrap().options.owner_note_problem, None);
}

#[tokio::test]
async fn without_the_write_orders_scope_the_sale_still_goes_and_settings_say_why() {
    let world = world_with(|sandbox| {
        sandbox.nuvemshop.scopes = "read_orders,read_customers,read_products".into();
    })
    .await;
    let control = world.control();
    let app = world.ready_app().await;
    app.set_write_owner_note(true).unwrap();
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    let report = app.sync_once().await.unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(sales_for(&control, order.number), 1);
    assert!(app.settings().unwrap().enabled, "the integration stays on");
    let problem = app.settings().unwrap().options.owner_note_problem.unwrap();
    assert!(problem.contains("write_orders"), "{problem}");
}

#[tokio::test]
async fn r5_a_401_to_the_notes_write_alone_never_switches_the_integration_off() {
    let world = world().await;
    let control = world.control();
    let app = world.ready_app().await;
    app.set_write_owner_note(true).unwrap();
    // The order reads fine (the token works); only the write is refused, as a missing scope
    // might be answered.
    control.add_fault(
        ponte_sandbox::FaultRule::new(
            ponte_sandbox::Service::Nuvemshop,
            ponte_sandbox::Fault::Answer {
                status: 401,
                body: serde_json::json!({"code": 401, "message": "Unauthorized"}),
            },
        )
        .on("PUT", "/orders/"),
    );
    let order = caneca_for(&control, "Maria Silva", CPF_MARIA);
    let report = app.sync_once().await.unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(sales_for(&control, order.number), 1);
    let settings = app.settings().unwrap();
    assert!(settings.enabled, "R5 is for the access, not one write");
    assert!(settings
        .options
        .owner_note_problem
        .unwrap()
        .contains("write_orders"));
}

#[tokio::test]
async fn r19_the_balance_beside_a_stock_refusal_is_the_products_whatever_its_name() {
    let world = world().await;
    let control = world.control();
    control.add_product(NewProduto {
        saldo: d("1"),
        ..coded("Luminária de mesa, cobre", "LUM-1")
    });
    control.set_stock_validation(true);
    let app = world.ready_app().await;
    app.set_match_by_sku(true).unwrap();
    let order = control.create_order(paid(
        buyer("Maria Silva", CPF_MARIA),
        vec![
            line_with_sku("Luminária Cobre", "LUM-1"),
            line_with_sku("Luminária Cobre (presente)", "LUM-1"),
        ],
    ));
    app.sync_once().await.unwrap();
    let failed = app.store().order(order.id).unwrap().unwrap();
    let problem = failed.error.unwrap();
    assert_eq!(
        problem.code,
        ponte_core::problem::ProblemCode::StockValidation
    );
    assert!(
        problem.message.contains("saldo 1, no pedido 2"),
        "both lines of the one product against its balance: {}",
        problem.message
    );
}
