//! The control API over HTTP, the fault switches, the call counts and the demo generator.

use std::time::{Duration, Instant};

use ponte_sandbox::{Fault, FaultRule, Service};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{expect_json, start};
use crate::nuvemshop_api::paid_order;

#[tokio::test]
async fn the_http_control_api_drives_orders_and_seeds_conta_azul() {
    let h = start().await;
    let control = h.sandbox.control_url();
    let token = h.nuvemshop_token().await;

    let order: Value = expect_json(
        h.http
            .post(format!("{control}/control/nuvemshop/orders"))
            .json(&json!({
                "customer": { "name": "Bruno Lima", "email": "bruno@exemplo.com.br", "identification": "111.444.777-35" },
                "products": [{ "name": "Ecobag Algodão Cru", "price": "34.90", "quantity": 1 }],
                "shipping_cost_customer": "12.90",
            }))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    let id = order["id"].as_u64().unwrap();
    assert_eq!(order["payment_status"], "pending");
    let paid = h.ns_get(&token, "/orders?payment_status=paid").await;
    assert_eq!(paid.status(), StatusCode::NOT_FOUND, "not paid yet");

    let marked = h
        .http
        .post(format!("{control}/control/nuvemshop/orders/{id}/pay"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(marked, StatusCode::OK).await["payment_status"],
        "paid"
    );
    let paid = expect_json(
        h.ns_get(&token, "/orders?payment_status=paid").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(paid[0]["id"], json!(id));
    assert_eq!(paid[0]["total"], "47.80");

    let missing = h
        .http
        .post(format!("{control}/control/nuvemshop/orders/1/pay"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let seller = h
        .http
        .post(format!("{control}/control/contaazul/sellers"))
        .json(&json!({ "nome": "Carlos Mendes" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(seller, StatusCode::OK).await["nome"],
        "Carlos Mendes"
    );
    let product = h
        .http
        .post(format!("{control}/control/contaazul/products"))
        .json(&json!({ "nome": "Ecobag Algodão Cru", "valor_venda": "34.90", "saldo": "0" }))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(product, StatusCode::OK).await["saldo"], "0");
    // Seeds without a name are refused, not kept as nameless records; English names are read
    // as Conta Azul's own.
    for (path, body) in [
        ("sellers", json!({})),
        ("customers", json!({ "email": "x@exemplo.com.br" })),
        ("products", json!({ "nome": "  ", "valor_venda": "1.00" })),
    ] {
        let refused = h
            .http
            .post(format!("{control}/control/contaazul/{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let refused = expect_json(refused, StatusCode::BAD_REQUEST).await;
        assert!(
            refused["error"].as_str().unwrap().contains("nome"),
            "{path}"
        );
    }
    let aliased = h
        .http
        .post(format!("{control}/control/contaazul/products"))
        .json(&json!({ "name": "Caneca", "price": "29.90", "stock": "3", "sku": "CAN-1" }))
        .send()
        .await
        .unwrap();
    let aliased = expect_json(aliased, StatusCode::OK).await;
    assert_eq!(aliased["nome"], "Caneca");
    assert_eq!(aliased["saldo"], "3");
    let customer = h
        .http
        .post(format!("{control}/control/contaazul/customers"))
        .json(&json!({ "name": "Maria Silva", "cpf": "529.982.247-25" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(customer, StatusCode::OK).await["nome"],
        "Maria Silva"
    );
    let stock = h
        .http
        .put(format!(
            "{control}/control/contaazul/products/Ecobag%20Algod%C3%A3o%20Cru/stock"
        ))
        .json(&json!({ "saldo": "5" }))
        .send()
        .await
        .unwrap();
    assert_eq!(expect_json(stock, StatusCode::OK).await["saldo"], "5");
    let validation = h
        .http
        .put(format!("{control}/control/contaazul/stock-validation"))
        .json(&json!({ "enabled": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(validation.status(), StatusCode::OK);
    assert!(h.sandbox.control().stock_validation());

    h.http
        .post(format!("{control}/control/nuvemshop/revoke-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        h.ns_get(&token, "/store").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let reset = h
        .http
        .post(format!("{control}/control/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), StatusCode::OK);
    assert!(h.sandbox.control().orders().is_empty());
    assert!(h.sandbox.control().sellers().is_empty());
}

#[tokio::test]
async fn server_errors_come_for_as_many_requests_as_asked() {
    let h = start().await;
    let token = h.nuvemshop_token().await;
    h.sandbox.control().create_order(paid_order("Maria Silva"));
    h.sandbox.control().add_fault(
        FaultRule::new(Service::Nuvemshop, Fault::ServerError)
            .on("GET", "/orders")
            .times(2),
    );
    assert_eq!(
        h.ns_get(&token, "/orders").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        h.ns_get(&token, "/store").await.status(),
        StatusCode::OK,
        "other paths unaffected"
    );
    assert_eq!(
        h.ns_get(&token, "/orders").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(h.ns_get(&token, "/orders").await.status(), StatusCode::OK);
    assert!(
        h.sandbox.control().faults().is_empty(),
        "a spent rule is removed"
    );
}

#[tokio::test]
async fn a_forced_429_looks_like_the_real_one() {
    let h = start().await;
    let token = h.nuvemshop_token().await;
    h.sandbox
        .control()
        .add_fault(FaultRule::new(Service::Nuvemshop, Fault::TooManyRequests).times(1));
    let refused = h.ns_get(&token, "/store").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["x-rate-limit-remaining"], "0");
    assert!(refused.headers().contains_key("x-rate-limit-reset"));

    let access = h.contaazul_access().await;
    h.sandbox.control().add_fault(
        FaultRule::new(Service::Contaazul, Fault::TooManyRequests)
            .on("POST", "/v1/venda")
            .times(1),
    );
    let response = h.ca_post(&access, "/v1/venda", &json!({})).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let h = start().await;
    let access = h.contaazul_access().await;
    h.sandbox.control().add_fault(
        FaultRule::new(Service::Contaazul, Fault::Latency { millis: 300 })
            .on("GET", "/v1/pessoas")
            .times(1),
    );
    let started = Instant::now();
    assert_eq!(
        h.ca_get(&access, "/v1/pessoas").await.status(),
        StatusCode::OK
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    // Spent after one request: the rule says so itself (a busy machine's timing would not).
    assert!(
        h.sandbox
            .control()
            .faults()
            .iter()
            .all(|rule| rule.times == Some(0)),
        "only once: {:?}",
        h.sandbox.control().faults()
    );
    assert_eq!(
        h.ca_get(&access, "/v1/pessoas").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer_at_all() {
    let h = start().await;
    let token = h.nuvemshop_token().await;
    h.sandbox.control().add_fault(
        FaultRule::new(Service::Nuvemshop, Fault::Drop)
            .on("GET", "/orders")
            .times(1),
    );
    let error = h
        .http
        .get(h.ns("/orders"))
        .header("Authentication", format!("bearer {token}"))
        .send()
        .await
        .expect_err("the connection is closed without an answer");
    assert!(!error.is_status(), "{error}");
    assert_eq!(
        h.ns_get(&token, "/store").await.status(),
        StatusCode::OK,
        "later requests work"
    );
}

/// Maria Silva and a *Caneca* at R$ 10, for tests that create a sale.
fn customer_and_product(
    control: &ponte_sandbox::Control,
) -> (
    ponte_sandbox::contaazul::model::Pessoa,
    ponte_sandbox::contaazul::model::Produto,
) {
    let customer = control.add_customer(ponte_sandbox::contaazul::NewPessoa {
        nome: "Maria Silva".into(),
        ..Default::default()
    });
    let product = control.add_product(ponte_sandbox::contaazul::NewProduto {
        nome: "Caneca".into(),
        valor_venda: "10".parse().unwrap(),
        ..Default::default()
    });
    (customer, product)
}

#[tokio::test]
async fn a_sale_can_take_effect_while_its_answer_is_lost() {
    let h = start().await;
    let access = h.contaazul_access().await;
    let control = h.sandbox.control();
    let (customer, product) = customer_and_product(&control);
    control.add_fault(
        FaultRule::new(Service::Contaazul, Fault::DropAfterHandling)
            .on("POST", "/v1/venda")
            .times(1),
    );
    let sale = json!({
        "id_cliente": customer.id, "numero": 55, "situacao": "EM_ANDAMENTO", "data_venda": "2026-11-29",
        "itens": [{ "id": product.id, "quantidade": 1, "valor": 10 }],
        "condicao_pagamento": { "opcao_condicao_pagamento": "À vista", "parcelas": [{ "data_vencimento": "2026-11-29", "valor": 10 }] },
    });
    let lost = h
        .http
        .post(h.ca("/v1/venda"))
        .bearer_auth(&access)
        .json(&sale)
        .send()
        .await;
    assert!(lost.is_err(), "the client never hears back");
    assert_eq!(control.sales().len(), 1, "but the sale exists");
    let found = expect_json(
        h.ca_get(&access, "/v1/venda/busca?numeros=55").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        found["total_itens"], 1,
        "and searching by its number finds it"
    );
}

#[tokio::test]
async fn a_sale_saved_then_answered_500_stays_out_of_searches_for_a_while() {
    let h = start().await;
    let access = h.contaazul_access().await;
    let control = h.sandbox.control();
    let (customer, product) = customer_and_product(&control);
    control.add_fault(
        FaultRule::new(
            Service::Contaazul,
            Fault::SavedThenServerError { hidden_millis: 600 },
        )
        .on("POST", "/v1/venda")
        .times(1),
    );
    let sale = json!({
        "id_cliente": customer.id, "numero": 77, "situacao": "EM_ANDAMENTO", "data_venda": "2026-11-29",
        "observacoes": "Pedido Nuvemshop #1",
        "itens": [{ "id": product.id, "quantidade": 1, "valor": 10 }],
        "condicao_pagamento": { "opcao_condicao_pagamento": "À vista", "parcelas": [{ "data_vencimento": "2026-11-29", "valor": 10 }] },
    });
    let answered = h.ca_post(&access, "/v1/venda", &sale).await;
    assert_eq!(answered.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(control.sales().len(), 1, "the sale was saved all the same");
    let search = || h.ca_get(&access, "/v1/venda/busca?numeros=77");
    let hidden = expect_json(search().await, StatusCode::OK).await;
    assert_eq!(hidden["total_itens"], 0, "the index has not caught up");
    let again = h.ca_post(&access, "/v1/venda", &sale).await;
    assert_eq!(
        again.status(),
        StatusCode::BAD_REQUEST,
        "the hidden sale still holds its number"
    );
    assert!(expect_json(again, StatusCode::BAD_REQUEST).await["error"]
        .as_str()
        .unwrap()
        .contains("Já existe uma venda com o número 77"));
    tokio::time::sleep(Duration::from_millis(700)).await;
    let visible = expect_json(search().await, StatusCode::OK).await;
    assert_eq!(visible["total_itens"], 1, "visible once the lag is over");
}

#[tokio::test]
async fn a_search_lag_hides_every_new_sale_for_a_while() {
    let h = start().await;
    let access = h.contaazul_access().await;
    let control = h.sandbox.control();
    control.set_sale_search_lag(Duration::from_millis(500));
    let (customer, product) = customer_and_product(&control);
    let sale = json!({
        "id_cliente": customer.id, "numero": 78, "situacao": "EM_ANDAMENTO", "data_venda": "2026-11-29",
        "itens": [{ "id": product.id, "quantidade": 1, "valor": 10 }],
        "condicao_pagamento": { "opcao_condicao_pagamento": "À vista", "parcelas": [{ "data_vencimento": "2026-11-29", "valor": 10 }] },
    });
    let created = expect_json(h.ca_post(&access, "/v1/venda", &sale).await, StatusCode::OK).await;
    let search = || h.ca_get(&access, "/v1/venda/busca?numeros=78");
    assert_eq!(
        expect_json(search().await, StatusCode::OK).await["total_itens"],
        0
    );
    let id = created["id"].as_str().unwrap();
    let direct = h.ca_get(&access, &format!("/v1/venda/{id}")).await;
    assert_eq!(
        direct.status(),
        StatusCode::OK,
        "reading by id is not a search"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        expect_json(search().await, StatusCode::OK).await["total_itens"],
        1
    );
}

#[tokio::test]
async fn an_over_long_url_is_answered_414_by_both_services() {
    let h = start().await;
    let access = h.contaazul_access().await;
    let token = h.nuvemshop_token().await;
    let long = "a".repeat(ponte_sandbox::assumptions::MAX_URL_BYTES);
    let contaazul = h
        .ca_get(&access, &format!("/v1/pessoas?nomes={long}"))
        .await;
    assert_eq!(contaazul.status(), StatusCode::URI_TOO_LONG);
    let nuvemshop = h.ns_get(&token, &format!("/orders?q={long}")).await;
    assert_eq!(nuvemshop.status(), StatusCode::URI_TOO_LONG);
    let short = h.ca_get(&access, "/v1/pessoas?nomes=Maria").await;
    assert_eq!(short.status(), StatusCode::OK, "an ordinary URL is served");
}

#[tokio::test]
async fn a_suspended_store_answers_402_to_every_call_until_it_pays() {
    let h = start().await;
    let token = h.nuvemshop_token().await;
    let control = h.sandbox.control();
    control.create_order(paid_order("Maria Silva"));
    control.set_store_suspended(true);
    for path in ["/orders?payment_status=paid", "/store"] {
        let response = h.ns_get(&token, path).await;
        assert_eq!(response.status(), StatusCode::PAYMENT_REQUIRED, "{path}");
        let body = expect_json(response, StatusCode::PAYMENT_REQUIRED).await;
        assert_eq!(body["code"], 402);
    }
    let over_http = h
        .http
        .put(format!(
            "{}/control/nuvemshop/suspended",
            h.sandbox.control_url()
        ))
        .json(&json!({ "enabled": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(over_http.status(), StatusCode::OK);
    assert_eq!(
        h.ns_get(&token, "/orders?payment_status=paid")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_truncated_body_is_malformed_json() {
    let h = start().await;
    let token = h.nuvemshop_token().await;
    h.sandbox.control().create_order(paid_order("Maria Silva"));
    h.sandbox.control().add_fault(
        FaultRule::new(Service::Nuvemshop, Fault::TruncateBody)
            .on("GET", "/orders")
            .times(1),
    );
    let response = h.ns_get(&token, "/orders").await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err());
}

#[tokio::test]
async fn faults_can_be_switched_over_http() {
    let h = start().await;
    let control = h.sandbox.control_url();
    let rule = json!({ "service": "contaazul", "kind": "server_error", "method": "GET", "path_contains": "/v1/venda/vendedores" });
    let added = h
        .http
        .post(format!("{control}/control/faults"))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::OK);
    let access = h.contaazul_access().await;
    assert_eq!(
        h.ca_get(&access, "/v1/venda/vendedores").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        h.ca_get(&access, "/v1/venda/vendedores").await.status(),
        StatusCode::INTERNAL_SERVER_ERROR,
        "until switched off"
    );
    h.http
        .delete(format!("{control}/control/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        h.ca_get(&access, "/v1/venda/vendedores").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn calls_are_counted_per_endpoint_whatever_the_answer() {
    let h = start().await;
    let token = h.nuvemshop_token().await;
    let access = h.contaazul_access().await;
    h.sandbox.control().reset_calls();
    h.ns_get(&token, "/orders").await;
    h.ns_get(&token, "/orders/123").await;
    h.ns_get("wrong", "/orders").await;
    h.ca_get(&access, "/v1/venda/proximo-numero").await;
    h.ca_post(&access, "/v1/venda", &json!({})).await;

    let calls: Value = h
        .http
        .get(format!("{}/control/calls", h.sandbox.control_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calls["nuvemshop"]["GET /v1/{store_id}/orders"], 2);
    assert_eq!(calls["nuvemshop"]["GET /v1/{store_id}/orders/{id}"], 1);
    assert_eq!(calls["contaazul"]["GET /v1/venda/proximo-numero"], 1);
    assert_eq!(calls["contaazul"]["POST /v1/venda"], 1);
    assert_eq!(h.sandbox.control().calls().total(Service::Contaazul), 2);
}

#[tokio::test]
async fn the_demo_seeds_a_company_and_keeps_selling() {
    let h = start().await;
    h.sandbox.start_demo(Duration::from_millis(40), 3);
    tokio::time::sleep(Duration::from_millis(900)).await;
    let control = h.sandbox.control();
    assert!(control.demo_running());
    let orders = control.orders();
    assert!(orders.len() >= 10, "{} orders", orders.len());
    assert!(orders
        .iter()
        .any(|o| o.payment_status == ponte_sandbox::nuvemshop::PaymentStatus::Paid));
    assert_eq!(control.sellers().len(), 2);
    assert!(control.stock_validation(), "the demo shows stock failures");
    assert!(control
        .products()
        .iter()
        .any(|p| p.nome == ponte_sandbox::demo::OUT_OF_STOCK_PRODUCT && p.saldo.is_zero()));
    assert!(orders.iter().any(|o| o
        .products
        .iter()
        .any(|l| l.name == ponte_sandbox::demo::OUT_OF_STOCK_PRODUCT)));
    let customers: std::collections::HashSet<&str> =
        orders.iter().map(|o| o.customer.email.as_str()).collect();
    assert!(customers.len() < orders.len(), "some buyers come back");

    control.stop_demo();
    let count = control.orders().len();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(control.orders().len(), count, "stopped");
}

/// Issue 20: the control API has no authentication, so it answers only requests addressed to
/// the loopback by name: a web page whose domain was made to resolve to 127.0.0.1 (DNS
/// rebinding) still sends its own name, and is refused.
#[tokio::test]
async fn the_control_api_answers_only_the_loopback_by_name() {
    let h = start().await;
    let control = h.sandbox.control_url();
    let listed = h
        .http
        .get(format!("{control}/control"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let port = control.rsplit(':').next().unwrap();
    for host in [format!("evil.example:{port}"), "evil.example".to_string()] {
        let rebound = h
            .http
            .post(format!("{control}/control/nuvemshop/orders"))
            .header("host", &host)
            .json(&json!({ "customer": { "name": "Intrusa" } }))
            .send()
            .await
            .unwrap();
        assert_eq!(rebound.status(), StatusCode::FORBIDDEN, "{host}");
    }
    let orders: Value = expect_json(
        h.http
            .get(format!("{control}/control/nuvemshop/orders"))
            .send()
            .await
            .unwrap(),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        orders.as_array().map(Vec::len),
        Some(0),
        "nothing done: {orders}"
    );
}
