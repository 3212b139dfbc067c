//! The Conta Azul API (reference §2–§7): envelopes, page sizes, people, products, sales
//! (checked against the published Sales OpenAPI), stock validation and the rate limits.

use std::time::Duration;

use ponte_sandbox::contaazul::schema;
use ponte_sandbox::contaazul::{NewPessoa, NewProduto};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::common::{expect_json, start, start_with, Harness};

struct Company {
    h: Harness,
    token: String,
    seller: String,
    customer: String,
    product: String,
}

/// A company whose rate limits stay out of the way of tests about something else.
async fn company() -> Company {
    company_with(|config| {
        config.contaazul.requests_per_second = 1_000;
        config.contaazul.requests_per_minute = 100_000;
    })
    .await
}

async fn company_with(adjust: impl FnOnce(&mut ponte_sandbox::SandboxConfig)) -> Company {
    let h = start_with(adjust).await;
    let token = h.contaazul_access().await;
    let control = h.sandbox.control();
    let seller = control.add_seller("Ana Souza").id.to_string();
    let customer = control
        .add_customer(NewPessoa {
            nome: "Maria Silva".into(),
            documento: Some("52998224725".into()),
            email: Some("maria@exemplo.com.br".into()),
            ..NewPessoa::default()
        })
        .id
        .to_string();
    let product = control
        .add_product(NewProduto {
            nome: "Caneca Cerâmica 350 ml".into(),
            codigo_sku: Some("CAN".into()),
            valor_venda: "39.90".parse().unwrap(),
            saldo: "3".parse().unwrap(),
            ativo: None,
        })
        .id
        .to_string();
    Company {
        h,
        token,
        seller,
        customer,
        product,
    }
}

impl Company {
    /// 2 × 39.90 − 5.00 + 12.50 = 87.30, in one installment of cash.
    fn sale(&self, numero: i64) -> Value {
        json!({
            "id_cliente": self.customer,
            "numero": numero,
            "situacao": "EM_ANDAMENTO",
            "data_venda": "2026-11-29",
            "id_vendedor": self.seller,
            "observacoes": "Pedido Nuvemshop #101",
            "itens": [{ "id": self.product, "descricao": "Caneca Cerâmica 350 ml", "quantidade": 2, "valor": 39.9 }],
            "composicao_de_valor": { "frete": 12.5, "desconto": { "tipo": "VALOR", "valor": 5 } },
            "condicao_pagamento": {
                "tipo_pagamento": "DINHEIRO",
                "opcao_condicao_pagamento": "À vista",
                "parcelas": [{ "data_vencimento": "2026-11-29", "valor": 87.3 }],
            },
        })
    }

    async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.h.ca_post(&self.token, path, body).await
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.h.ca_get(&self.token, path).await
    }
}

fn assert_schema(component: &str, value: &Value) {
    if let Err(errors) = schema::validate(component, value) {
        panic!("{component} does not match the published spec: {errors:?}\n{value:#}");
    }
}

#[tokio::test]
async fn requests_without_a_valid_bearer_token_get_401_and_unknown_paths_404() {
    let h = start().await;
    let response = h.http.get(h.ca("/v1/pessoas")).send().await.unwrap();
    assert_eq!(
        expect_json(response, StatusCode::UNAUTHORIZED).await["message"],
        "Unauthorized"
    );
    let token = h.contaazul_access().await;
    let missing = h.ca_get(&token, "/v1/clientes").await;
    assert!(expect_json(missing, StatusCode::NOT_FOUND).await["error"].is_string());
}

#[tokio::test]
async fn page_sizes_outside_the_documented_set_get_400() {
    let c = company().await;
    for path in [
        "/v1/pessoas?tamanho_pagina=15",
        "/v1/produtos?tamanho_pagina=5",
        "/v1/venda/busca?tamanho_pagina=30",
    ] {
        let body = expect_json(c.get(path).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(
            body["error"], "page size must be one of 10, 20, 50, 100, 200, 500 or 1000",
            "{path}"
        );
    }
    assert_eq!(
        c.get("/v1/pessoas?tamanho_pagina=1000").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn pessoas_search_uses_items_and_total_items() {
    let c = company().await;
    let control = c.h.sandbox.control();
    control.add_customer(NewPessoa {
        nome: "Maria Silva Santos".into(),
        documento: Some("11144477735".into()),
        ..NewPessoa::default()
    });
    control.add_customer(NewPessoa {
        nome: "Papelaria Aurora Ltda".into(),
        documento: Some("11.222.333/0001-81".into()),
        ..NewPessoa::default()
    });

    let by_document = expect_json(
        c.get("/v1/pessoas?documentos=529.982.247-25").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_document["totalItems"], 1);
    let person = &by_document["items"][0];
    assert_eq!(person["nome"], "Maria Silva");
    assert_eq!(person["documento"], "529.982.247-25");
    assert_eq!(person["tipo_pessoa"], "Física");

    // assumptions::CONTAAZUL_NAME_FILTER_IS_PARTIAL: "Maria Silva" also finds "Maria Silva Santos".
    let by_name = expect_json(
        c.get("/v1/pessoas?nomes=Maria%20Silva").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_name["totalItems"], 2);

    let company = expect_json(
        c.get("/v1/pessoas?busca=11222333000181").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(company["items"][0]["tipo_pessoa"], "Jurídica");
    let by_email = expect_json(
        c.get("/v1/pessoas?emails=MARIA@exemplo.com.br").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_email["totalItems"], 1);

    // Repeated keys and comma lists both work (assumptions::CONTAAZUL_ACCEPTS_COMMA_LISTS).
    let two = expect_json(
        c.get("/v1/pessoas?documentos=52998224725,11144477735")
            .await,
        StatusCode::OK,
    )
    .await;
    let repeated = expect_json(
        c.get("/v1/pessoas?documentos=52998224725&documentos=11144477735")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(two["totalItems"], 2);
    assert_eq!(repeated["totalItems"], 2);

    let page = expect_json(
        c.get("/v1/pessoas?tamanho_pagina=10&pagina=2").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["totalItems"], 3);
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn creating_a_person_validates_type_and_documents() {
    let c = company().await;
    let unaccented = json!({ "nome": "João Lima", "tipo_pessoa": "FISICA", "perfis": [{ "tipo_perfil": "Cliente" }] });
    let body = expect_json(
        c.post("/v1/pessoas", &unaccented).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["error"].as_str().unwrap().contains("Física"));

    let bad_cpf = json!({ "nome": "João Lima", "tipo_pessoa": "Física", "cpf": "123.456.789-00" });
    assert_eq!(
        c.post("/v1/pessoas", &bad_cpf).await.status(),
        StatusCode::BAD_REQUEST
    );
    let cnpj_on_person =
        json!({ "nome": "João Lima", "tipo_pessoa": "Física", "cnpj": "11.222.333/0001-81" });
    assert_eq!(
        c.post("/v1/pessoas", &cnpj_on_person).await.status(),
        StatusCode::BAD_REQUEST
    );
    let no_name = json!({ "tipo_pessoa": "Física" });
    assert_eq!(
        c.post("/v1/pessoas", &no_name).await.status(),
        StatusCode::BAD_REQUEST
    );

    let company = json!({
        "nome": "Papelaria Aurora Ltda", "tipo_pessoa": "Jurídica", "cnpj": "11.222.333/0001-81",
        "email": "compras@aurora.com.br", "telefone_comercial": "+551133334444",
        "telefone_celular": "+5511999998888", "perfis": [{ "tipo_perfil": "Cliente" }],
    });
    let created = expect_json(c.post("/v1/pessoas", &company).await, StatusCode::OK).await;
    assert!(uuid::Uuid::parse_str(created["id"].as_str().unwrap()).is_ok());
    assert_eq!(created["cnpj"], "11.222.333/0001-81");
    assert_eq!(created["telefone_comercial"], "+551133334444");

    // Same CPF, another name: Conta Azul keeps both (assumptions::CONTAAZUL_ALLOWS_DUPLICATE_DOCUMENTS).
    let namesake = json!({ "nome": "Maria S.", "tipo_pessoa": "Física", "cpf": "529.982.247-25" });
    assert_eq!(
        c.post("/v1/pessoas", &namesake).await.status(),
        StatusCode::OK
    );
    let both = expect_json(
        c.get("/v1/pessoas?documentos=52998224725").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(both["totalItems"], 2);
    assert!(c
        .h
        .sandbox
        .control()
        .customers()
        .iter()
        .any(|p| p.nome == "Maria S."));
}

#[tokio::test]
async fn products_are_created_with_a_price_and_found_by_text_active_ones_by_default() {
    let c = company().await;
    let body = json!({ "nome": "Vela Aromática Lavanda", "codigo_sku": "VEL", "formato": "SIMPLES", "estoque": { "valor_venda": 49.9 } });
    let created = expect_json(c.post("/v1/produtos", &body).await, StatusCode::OK).await;
    assert_eq!(created["estoque"]["valor_venda"], 49.9);
    assert_eq!(created["estoque"]["quantidade_disponivel"], 0);

    let duplicate_sku = json!({ "nome": "Outra vela", "codigo_sku": "VEL" });
    assert_eq!(
        c.post("/v1/produtos", &duplicate_sku).await.status(),
        StatusCode::BAD_REQUEST
    );

    let found = expect_json(c.get("/v1/produtos?busca=vela").await, StatusCode::OK).await;
    assert_eq!(found["totalItems"], 1);
    assert_eq!(found["items"][0]["nome"], "Vela Aromática Lavanda");
    assert_eq!(found["items"][0]["saldo"], 0);

    c.h.sandbox
        .control()
        .set_product_active("Vela Aromática Lavanda", false)
        .unwrap();
    let active = expect_json(c.get("/v1/produtos?busca=vela").await, StatusCode::OK).await;
    assert_eq!(
        active["totalItems"], 0,
        "assumptions::CONTAAZUL_PRODUCTS_DEFAULT_ACTIVE_ONLY"
    );
    let inactive = expect_json(
        c.get("/v1/produtos?busca=vela&status=INATIVO").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(inactive["items"][0]["status"], "INATIVO");
    let todos = c.get("/v1/produtos?busca=vela&status=TODOS").await;
    assert_eq!(
        todos.status(),
        StatusCode::BAD_REQUEST,
        "TODOS is not a documented value of GET /v1/produtos"
    );

    let id = created["id"].as_str().unwrap();
    let detail = expect_json(c.get(&format!("/v1/produtos/{id}")).await, StatusCode::OK).await;
    assert_eq!(detail["codigo_sku"], "VEL");
}

#[tokio::test]
async fn sellers_and_the_next_number_match_the_spec() {
    let c = company().await;
    let sellers = expect_json(c.get("/v1/venda/vendedores").await, StatusCode::OK).await;
    assert_eq!(sellers.as_array().unwrap().len(), 1);
    assert_schema("Vendedor", &sellers[0]);
    assert_eq!(sellers[0]["nome"], "Ana Souza");
    assert_eq!(
        expect_json(c.get("/v1/venda/proximo-numero").await, StatusCode::OK).await,
        json!(1)
    );
}

#[tokio::test]
async fn a_valid_sale_is_created_awaiting_review_and_reads_back_as_the_spec_says() {
    let c = company().await;
    let created = expect_json(c.post("/v1/venda", &c.sale(1)).await, StatusCode::OK).await;
    assert_schema("CriacaoVendaResponse", &created);
    assert_eq!(created["situacao"]["nome"], "EM_ANDAMENTO");
    assert_eq!(created["valor_composicao"]["valor_liquido"], 87.3);
    assert_eq!(created["numero"], 1);
    assert_eq!(
        expect_json(c.get("/v1/venda/proximo-numero").await, StatusCode::OK).await,
        json!(2)
    );

    let id = created["id"].as_str().unwrap();
    let full = expect_json(c.get(&format!("/v1/venda/{id}")).await, StatusCode::OK).await;
    assert_schema("ObterVendaResponse", &full);
    assert_eq!(full["cliente"]["nome"], "Maria Silva");
    assert_eq!(full["vendedor"]["nome"], "Ana Souza");
    assert_eq!(full["venda"]["composicao_valor"]["frete"], 12.5);

    let legacy = created["id_legado"].as_i64().unwrap();
    assert_eq!(
        c.get(&format!("/v1/venda/{legacy}")).await.status(),
        StatusCode::OK
    );

    let items = expect_json(
        c.get(&format!("/v1/venda/{id}/itens")).await,
        StatusCode::OK,
    )
    .await;
    assert_schema("ItensPaginados", &items);
    assert_eq!(items["itens"][0]["descricao"], "Caneca Cerâmica 350 ml");

    let found = expect_json(c.get("/v1/venda/busca?numeros=1").await, StatusCode::OK).await;
    assert_schema("ListagemVendasResponse", &found);
    assert_eq!(found["total_itens"], 1);
    assert_eq!(found["itens"][0]["numero"], 1);
    let by_term = expect_json(
        c.get("/v1/venda/busca?termo_busca=maria").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_term["total_itens"], 1);
    let none = expect_json(c.get("/v1/venda/busca?numeros=2").await, StatusCode::OK).await;
    assert_eq!(none["total_itens"], 0);
    let that_day = expect_json(
        c.get("/v1/venda/busca?data_inicio=2026-11-29&data_fim=2026-11-29")
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(that_day["total_itens"], 1);
    let later = expect_json(
        c.get("/v1/venda/busca?data_inicio=2026-11-30").await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(later["total_itens"], 0);
    let bad_date = c.get("/v1/venda/busca?data_inicio=29/11/2026").await;
    assert_eq!(bad_date.status(), StatusCode::BAD_REQUEST);

    // What Conta Azul received, as the control API reports it.
    let sales = c.h.sandbox.control().sales();
    assert_eq!(sales.len(), 1);
    assert_eq!(
        sales[0].observacoes.as_deref(),
        Some("Pedido Nuvemshop #101")
    );
    assert_eq!(sales[0].tipo_pagamento.as_deref(), Some("DINHEIRO"));
    // Creating the sale does not move stock: it awaits the merchant's review.
    assert_eq!(
        c.h.sandbox.control().products()[0].saldo,
        "3".parse().unwrap()
    );
}

#[tokio::test]
async fn only_em_andamento_and_aprovado_can_be_created() {
    let c = company().await;
    let mut sale = c.sale(1);
    sale["situacao"] = json!("REVISAO_PENDENTE");
    let body = expect_json(c.post("/v1/venda", &sale).await, StatusCode::BAD_REQUEST).await;
    assert!(
        body["error"].as_str().unwrap().contains("situacao"),
        "{body}"
    );
    sale["situacao"] = json!("APROVADO");
    assert_eq!(c.post("/v1/venda", &sale).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_installments_must_add_up_to_items_minus_discount_plus_freight() {
    let c = company().await;
    let mut sale = c.sale(1);
    sale["condicao_pagamento"]["parcelas"][0]["valor"] = json!(92.3);
    let body = expect_json(c.post("/v1/venda", &sale).await, StatusCode::BAD_REQUEST).await;
    assert!(
        body["error"].as_str().unwrap().contains("parcelas"),
        "{body}"
    );

    // 10% off 79.80 is 7.98: 79.80 − 7.98 + 12.50 = 84.32 over two installments.
    sale["composicao_de_valor"]["desconto"] = json!({ "tipo": "PORCENTAGEM", "valor": 10 });
    sale["condicao_pagamento"]["opcao_condicao_pagamento"] = json!("30, 60");
    sale["condicao_pagamento"]["parcelas"] = json!([
        { "data_vencimento": "2026-12-29", "valor": 42.16 },
        { "data_vencimento": "2027-01-28", "valor": 42.16 },
    ]);
    assert_eq!(c.post("/v1/venda", &sale).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_sale_number_can_be_used_once() {
    let c = company().await;
    assert_eq!(
        c.post("/v1/venda", &c.sale(7)).await.status(),
        StatusCode::OK
    );
    let body = expect_json(
        c.post("/v1/venda", &c.sale(7)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["error"].as_str().unwrap().contains('7'));
    assert_eq!(c.h.sandbox.control().sales().len(), 1);
}

#[tokio::test]
async fn unknown_customers_products_and_inactive_products_are_refused() {
    let c = company().await;
    let mut sale = c.sale(1);
    sale["id_cliente"] = json!(uuid::Uuid::new_v4());
    assert!(
        expect_json(c.post("/v1/venda", &sale).await, StatusCode::BAD_REQUEST).await["error"]
            .as_str()
            .unwrap()
            .contains("Cliente")
    );
    let mut sale = c.sale(1);
    sale["itens"][0]["id"] = json!(uuid::Uuid::new_v4());
    assert_eq!(
        c.post("/v1/venda", &sale).await.status(),
        StatusCode::BAD_REQUEST
    );
    let mut sale = c.sale(1);
    sale["itens"][0]["quantidade"] = json!(0);
    assert_eq!(
        c.post("/v1/venda", &sale).await.status(),
        StatusCode::BAD_REQUEST
    );

    c.h.sandbox
        .control()
        .set_product_active(&c.product, false)
        .unwrap();
    let body = expect_json(
        c.post("/v1/venda", &c.sale(1)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(body["error"].as_str().unwrap().contains("inativo"));
    assert!(c.h.sandbox.control().sales().is_empty());
}

#[tokio::test]
async fn stock_validation_refuses_a_sale_naming_the_product_short_of_stock() {
    let c = company().await;
    let control = c.h.sandbox.control();
    control
        .set_stock("Caneca Cerâmica 350 ml", "1".parse().unwrap())
        .unwrap();
    control.set_stock_validation(true);
    let response = c.post("/v1/venda", &c.sale(1)).await;
    let body = expect_json(response, StatusCode::BAD_REQUEST).await;
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("Caneca Cerâmica 350 ml") && message.contains("estoque"),
        "{message}"
    );
    assert!(control.sales().is_empty());

    control.set_stock_validation(false);
    assert_eq!(
        c.post("/v1/venda", &c.sale(1)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_rate_limits_answer_429_per_second_and_per_minute() {
    let c = company_with(|config| {
        config.contaazul.requests_per_second = 4;
        config.contaazul.requests_per_minute = 6;
    })
    .await;
    for _ in 0..4 {
        assert_eq!(c.get("/v1/venda/vendedores").await.status(), StatusCode::OK);
    }
    let refused = c.get("/v1/venda/vendedores").await;
    assert_eq!(
        expect_json(refused, StatusCode::TOO_MANY_REQUESTS).await["message"],
        "Too Many Requests"
    );
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(c.get("/v1/venda/vendedores").await.status(), StatusCode::OK);
    assert_eq!(c.get("/v1/venda/vendedores").await.status(), StatusCode::OK);
    assert_eq!(
        c.get("/v1/venda/vendedores").await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "six in the minute"
    );
}
