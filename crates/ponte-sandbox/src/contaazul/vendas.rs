//! `/v1/venda`: create (validated against the published schema and the totals rule), search,
//! read one, its items, the next free number and the sellers. Envelope `{itens, total_itens}`.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::model::{discount_amount, ContaAzulState, Desconto, Parcela, Venda, VendaItem};
use super::{bad_request, format_document, json_object, reject, schema, Paging};
use crate::assumptions::{
    contaazul_error, contaazul_stock_validation_error, CONTAAZUL_STOCK_VALIDATION_STATUS,
};
use crate::http::{json_response, Rejection};
use crate::money::{cents, from_json_number, to_json_number};
use crate::query::Query;
use crate::AppState;

fn situacao_descricao(nome: &str) -> &'static str {
    match nome {
        "EM_ANDAMENTO" => "Em andamento",
        "APROVADO" => "Aprovado",
        _ => "Outro",
    }
}

/// A sale date as the response schema types it (`date-time`), midnight in São Paulo.
fn date_time(date: NaiveDate) -> String {
    format!("{date}T00:00:00-03:00")
}

fn render_desconto(desconto: &Option<Desconto>) -> Option<Value> {
    desconto
        .as_ref()
        .map(|d| json!({ "tipo": d.tipo, "valor": to_json_number(d.valor) }))
}

fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

/// `tipo_pagamento` as the Sales OpenAPI lists it, plus the two spellings other copies of
/// the documentation use (`CARTAO_CREDITO_VIA_LINK`, `PIX_COBRANCA`).
const TIPOS_PAGAMENTO: [&str; 24] = [
    "BOLETO_BANCARIO",
    "CARTAO_CREDITO",
    "CARTAO_DEBITO",
    "CARTEIRA_DIGITAL",
    "CASHBACK",
    "CHEQUE",
    "CREDITO_LOJA",
    "CREDITO_VIRTUAL",
    "DEPOSITO_BANCARIO",
    "DINHEIRO",
    "OUTRO",
    "DEBITO_AUTOMATICO",
    "LINK_PAGAMENTO",
    "PIX_PAGAMENTO_INSTANTANEO",
    "COBRANCA_PIX",
    "PROGRAMA_FIDELIDADE",
    "SEM_PAGAMENTO",
    "TRANSFERENCIA_BANCARIA",
    "VALE_ALIMENTACAO",
    "VALE_COMBUSTIVEL",
    "VALE_PRESENTE",
    "VALE_REFEICAO",
    "CARTAO_CREDITO_VIA_LINK",
    "PIX_COBRANCA",
];

fn render_parcelas(venda: &Venda, with_ids: bool) -> Vec<Value> {
    venda
        .parcelas
        .iter()
        .map(|parcela| {
            let mut value = json!({
                "numero": parcela.numero,
                "data_vencimento": parcela.data_vencimento.to_string(),
                "valor": to_json_number(parcela.valor),
                "descricao": parcela.descricao,
            });
            if with_ids {
                value["id"] = json!(parcela.id);
            }
            value
        })
        .collect()
}

/// `CriacaoVendaResponse`.
fn render_created(venda: &Venda) -> Value {
    without_nulls(json!({
        "id": venda.id,
        "id_legado": venda.id_legado,
        "id_cliente": venda.id_cliente,
        "numero": venda.numero,
        "origem": "API",
        "data_venda": date_time(venda.data_venda),
        "situacao": { "nome": venda.situacao, "descricao": situacao_descricao(&venda.situacao) },
        "pendencia": { "nome": "NENHUMA", "descricao": "Nenhuma" },
        "valor_composicao": {
            "valor_bruto": to_json_number(venda.valor_bruto()),
            "desconto": render_desconto(&venda.desconto),
            "frete": to_json_number(venda.frete),
            "valor_liquido": to_json_number(venda.total()),
        },
        "condicao_pagamento": {
            "tipo_pagamento": venda.tipo_pagamento,
            "opcao_condicao_pagamento": venda.opcao_condicao_pagamento,
            "parcelas": render_parcelas(venda, false),
            "observacoes_pagamento": venda.observacoes_pagamento,
            "troco_total": 0,
        },
        "observacoes": venda.observacoes,
        "id_vendedor": venda.id_vendedor,
        "versao": venda.versao,
    }))
}

/// An item of `ListagemVendasResponse`.
fn render_summary(venda: &Venda, company: &ContaAzulState) -> Value {
    let cliente = company.pessoa(venda.id_cliente);
    without_nulls(json!({
        "id": venda.id,
        "id_legado": venda.id_legado,
        "numero": venda.numero,
        "data": venda.data_venda.to_string(),
        "criado_em": venda.criado_em.to_rfc3339(),
        "data_alteracao": venda.criado_em.to_rfc3339(),
        "total": to_json_number(venda.total()),
        "tipo": "VENDA",
        "origem": "API",
        "versao": venda.versao,
        "cliente": cliente.map(|c| json!({ "id": c.id, "nome": c.nome, "email": c.email })),
        "situacao": { "nome": venda.situacao, "descricao": situacao_descricao(&venda.situacao) },
    }))
}

/// `ObterVendaResponse`.
fn render_full(venda: &Venda, company: &ContaAzulState) -> Value {
    let cliente = company.pessoa(venda.id_cliente);
    let vendedor = venda.id_vendedor.and_then(|id| company.vendedor(id));
    without_nulls(json!({
        "cliente": cliente.map(|c| json!({
            "uuid": c.id,
            "tipo_pessoa": c.tipo_pessoa.as_str(),
            "documento": c.documento.as_deref().map(format_document),
            "nome": c.nome,
        })),
        "venda": {
            "id": venda.id,
            "status": venda.situacao,
            "id_legado": venda.id_legado,
            "tipo_negociacao": "VENDA",
            "numero": venda.numero,
            "data_compromisso": venda.data_venda.to_string(),
            "composicao_valor": {
                "valor_bruto": to_json_number(venda.valor_bruto()),
                "desconto": to_json_number(venda.valor_desconto()),
                "frete": to_json_number(venda.frete),
                "impostos": 0,
                "impostos_deduzidos": 0,
                "seguro": 0,
                "despesas_incidentais": 0,
                "valor_liquido": to_json_number(venda.total()),
            },
            "condicao_pagamento": {
                "tipo_pagamento": venda.tipo_pagamento,
                "pagamento_a_vista": venda.parcelas.len() == 1,
                "parcelas": render_parcelas(venda, true),
                "observacoes_pagamento": venda.observacoes_pagamento,
                "opcao_condicao_pagamento": venda.opcao_condicao_pagamento,
            },
            "total_itens": {
                "contagem_produtos": venda.itens.len(),
                "contagem_servicos": 0,
                "contagem_nao_conciliados": 0,
            },
            "observacoes": venda.observacoes,
            "id_cliente": venda.id_cliente,
            "versao": venda.versao,
            "tipo_pendencia": { "nome": "NENHUMA", "descricao": "Nenhuma" },
            "situacao": {
                "nome": venda.situacao,
                "descricao": situacao_descricao(&venda.situacao),
                "ativado": true,
            },
            "origem": "API",
        },
        "vendedor": vendedor.map(|v| json!({ "id": v.id, "nome": v.nome, "id_legado": v.id_legado })),
    }))
}

fn render_item(item: &VendaItem) -> Value {
    without_nulls(json!({
        "id": item.id_item,
        "id_item": item.id_produto,
        "nome": item.nome_produto,
        "descricao": item.descricao,
        "tipo": "PRODUTO",
        "quantidade": to_json_number(item.quantidade),
        "valor": to_json_number(item.valor),
        "custo": 0,
    }))
}

fn uuid_field(object: &Map<String, Value>, key: &str) -> Option<Uuid> {
    object
        .get(key)
        .and_then(Value::as_str)
        .and_then(|text| Uuid::parse_str(text).ok())
}

fn text_field(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.get(key).and_then(Value::as_str).map(str::to_string)
}

/// `À vista`, a list of days (`30, 60, 90`) or a count (`3x`).
fn valid_payment_option(option: &str) -> bool {
    let option = option.trim();
    if option == "À vista" {
        return true;
    }
    if let Some(count) = option.strip_suffix('x') {
        return count.trim().parse::<u32>().is_ok_and(|n| n >= 1);
    }
    !option.is_empty()
        && option
            .split(',')
            .all(|days| days.trim().parse::<u32>().is_ok())
}

pub(super) async fn create(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_object(&body) {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    if let Err(errors) = schema::validate("CriacaoVendaRequest", &Value::Object(body.clone())) {
        return bad_request(format!("Requisição inválida: {}", errors.join("; ")));
    }
    // The schema guarantees the required fields and their types from here on.
    let Some(id_cliente) = uuid_field(&body, "id_cliente") else {
        return bad_request("id_cliente deve ser um UUID");
    };
    let Some(numero) = body.get("numero").and_then(Value::as_i64) else {
        return bad_request("numero deve ser um inteiro");
    };
    let situacao = text_field(&body, "situacao").unwrap_or_default();
    let Some(data_venda) = text_field(&body, "data_venda")
        .and_then(|text| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok())
    else {
        return bad_request("data_venda deve estar no formato AAAA-MM-DD");
    };
    let id_vendedor = match body.get("id_vendedor") {
        None => None,
        Some(_) => match uuid_field(&body, "id_vendedor") {
            Some(id) => Some(id),
            None => return bad_request("id_vendedor deve ser um UUID"),
        },
    };

    let mut itens = Vec::new();
    for item in body["itens"].as_array().into_iter().flatten() {
        let object = item.as_object().cloned().unwrap_or_default();
        let (Some(id), Some(quantidade), Some(valor)) = (
            uuid_field(&object, "id"),
            object.get("quantidade").and_then(from_json_number),
            object.get("valor").and_then(from_json_number),
        ) else {
            return bad_request("Cada item precisa de id (UUID), quantidade e valor numéricos");
        };
        if quantidade <= Decimal::ZERO {
            return bad_request("A quantidade de cada item deve ser maior que zero");
        }
        if valor < Decimal::ZERO {
            return bad_request("O valor de um item não pode ser negativo");
        }
        itens.push((id, text_field(&object, "descricao"), quantidade, valor));
    }
    if itens.is_empty() {
        return bad_request("A venda precisa de ao menos um item");
    }

    let composicao = body
        .get("composicao_de_valor")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let frete = composicao
        .get("frete")
        .and_then(from_json_number)
        .unwrap_or_default();
    if frete < Decimal::ZERO {
        return bad_request("O frete não pode ser negativo");
    }
    let desconto = composicao
        .get("desconto")
        .and_then(Value::as_object)
        .map(|d| Desconto {
            tipo: text_field(d, "tipo").unwrap_or_default(),
            valor: d
                .get("valor")
                .and_then(from_json_number)
                .unwrap_or_default(),
        });

    let condicao = body["condicao_pagamento"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Some(tipo) = text_field(&condicao, "tipo_pagamento") {
        let names = state.with(|world| world.answers.contaazul.payment_types);
        if !TIPOS_PAGAMENTO.contains(&tipo.as_str()) || !names.accepts(&tipo) {
            return bad_request(format!("tipo_pagamento inválido: {tipo}"));
        }
    }
    let opcao = text_field(&condicao, "opcao_condicao_pagamento").unwrap_or_default();
    if !valid_payment_option(&opcao) {
        return bad_request(
            "opcao_condicao_pagamento deve ser 'À vista', uma lista de dias ('30, 60') ou parcelas ('3x')",
        );
    }
    let mut parcelas = Vec::new();
    for (index, parcela) in condicao["parcelas"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let object = parcela.as_object().cloned().unwrap_or_default();
        let (Some(data_vencimento), Some(valor)) = (
            text_field(&object, "data_vencimento")
                .and_then(|text| NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()),
            object.get("valor").and_then(from_json_number),
        ) else {
            return bad_request("Cada parcela precisa de data_vencimento (AAAA-MM-DD) e valor");
        };
        parcelas.push(Parcela {
            id: Uuid::new_v4(),
            numero: index as u32 + 1,
            data_vencimento,
            valor,
            descricao: text_field(&object, "descricao"),
        });
    }
    if parcelas.is_empty() {
        return bad_request("A condição de pagamento precisa de ao menos uma parcela");
    }

    let created = state.with(|world| {
        let company = &mut world.contaazul;
        if company.pessoa(id_cliente).is_none() {
            return Err(reject(format!("Cliente não encontrado: {id_cliente}")));
        }
        if let Some(id) = id_vendedor {
            if company.vendedor(id).is_none() {
                return Err(reject(format!("Vendedor não encontrado: {id}")));
            }
        }
        if !world.answers.contaazul.duplicate_sale_numbers
            && company.vendas.iter().any(|venda| venda.numero == numero)
        {
            return Err(reject(format!(
                "Já existe uma venda com o número {numero}. Use GET /v1/venda/proximo-numero."
            )));
        }
        let mut venda_itens = Vec::new();
        let mut wanted: BTreeMap<Uuid, Decimal> = BTreeMap::new();
        for (id, descricao, quantidade, valor) in &itens {
            let Some(produto) = company.produto(*id) else {
                return Err(reject(format!("Produto ou serviço não encontrado: {id}")));
            };
            if !produto.ativo {
                return Err(reject(format!(
                    "O produto \"{}\" está inativo e não pode ser vendido",
                    produto.nome
                )));
            }
            *wanted.entry(*id).or_default() += *quantidade;
            venda_itens.push(VendaItem {
                id_item: Uuid::new_v4(),
                id_produto: *id,
                nome_produto: produto.nome.clone(),
                descricao: descricao.clone(),
                quantidade: *quantidade,
                valor: *valor,
            });
        }

        let bruto: Decimal = venda_itens.iter().map(|i| cents(i.quantidade * i.valor)).sum();
        let total = bruto - discount_amount(bruto, desconto.as_ref()) + frete;
        let parcelas_total: Decimal = parcelas.iter().map(|p| cents(p.valor)).sum();
        if cents(total) != parcelas_total {
            return Err(reject(format!(
                "A soma das parcelas ({parcelas_total}) deve ser igual ao valor total da venda ({}): \
                 itens {bruto}, desconto {}, frete {frete}",
                cents(total),
                discount_amount(bruto, desconto.as_ref()),
            )));
        }

        if company.verificar_estoque {
            for (id, quantity) in &wanted {
                let produto = company.produto(*id).expect("checked above");
                if produto.saldo < *quantity {
                    return Err(json_response(
                        CONTAAZUL_STOCK_VALIDATION_STATUS,
                        &contaazul_stock_validation_error(
                            &produto.nome,
                            &produto.saldo.normalize().to_string(),
                            &quantity.normalize().to_string(),
                        ),
                    )
                    .into());
                }
            }
        }

        let venda = Venda {
            id: Uuid::new_v4(),
            id_legado: company.legacy_id(),
            numero,
            id_cliente,
            id_vendedor,
            data_venda,
            situacao,
            observacoes: text_field(&body, "observacoes"),
            observacoes_pagamento: text_field(&body, "observacoes_pagamento"),
            itens: venda_itens,
            frete,
            desconto,
            tipo_pagamento: text_field(&condicao, "tipo_pagamento"),
            opcao_condicao_pagamento: opcao,
            parcelas,
            criado_em: Utc::now(),
            versao: 1,
            hidden_until: (!company.sale_search_lag.is_zero())
                .then(|| std::time::Instant::now() + company.sale_search_lag),
        };
        // The sale awaits review: stock moves only when the merchant confirms it.
        company.vendas.push(venda.clone());
        Ok(venda)
    });
    match created {
        Ok(venda) => json_response(StatusCode::OK, &render_created(&venda)),
        Err(rejection) => rejection.into_response(),
    }
}

pub(super) async fn search(State(state): State<AppState>, uri: Uri) -> Response {
    let query = Query::parse(uri.query());
    let paging = match Paging::parse_for(&state, &query) {
        Ok(paging) => paging,
        Err(rejection) => return rejection.into_response(),
    };
    let mut numeros = Vec::new();
    for text in query.list("numeros") {
        match text.parse::<i64>() {
            Ok(numero) => numeros.push(numero),
            Err(_) => return bad_request(format!("numeros deve conter inteiros: {text}")),
        }
    }
    let date = |name: &str| -> Result<Option<NaiveDate>, Rejection> {
        match query.get(name) {
            None => Ok(None),
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| reject(format!("{name} deve estar no formato AAAA-MM-DD"))),
        }
    };
    let (inicio, fim) = match (date("data_inicio"), date("data_fim")) {
        (Ok(inicio), Ok(fim)) => (inicio, fim),
        (Err(rejection), _) | (_, Err(rejection)) => return rejection.into_response(),
    };
    let termo = query.get("termo_busca").map(str::to_lowercase);
    let ids_clientes: Vec<String> = query.list("ids_clientes");
    let ids_vendedores: Vec<String> = query.list("ids_vendedores");
    let situacoes: Vec<String> = query.list("situacoes");
    let ascending = query.get("campo_ordenado_ascendente").is_some();

    let body = state.with(|world| {
        let company = &world.contaazul;
        let mut matching: Vec<&Venda> = company
            .vendas
            .iter()
            .filter(|venda| {
                let cliente = company.pessoa(venda.id_cliente);
                let indexed = venda
                    .hidden_until
                    .is_none_or(|until| until <= std::time::Instant::now());
                indexed
                    && (numeros.is_empty() || numeros.contains(&venda.numero))
                    && inicio.is_none_or(|inicio| venda.data_venda >= inicio)
                    && fim.is_none_or(|fim| venda.data_venda <= fim)
                    && (ids_clientes.is_empty() || ids_clientes.contains(&venda.id_cliente.to_string()))
                    && (ids_vendedores.is_empty()
                        || venda
                            .id_vendedor
                            .is_some_and(|id| ids_vendedores.contains(&id.to_string())))
                    && (situacoes.is_empty() || situacoes.contains(&venda.situacao))
                    && termo.as_deref().is_none_or(|termo| {
                        venda.numero.to_string() == termo
                            || cliente.is_some_and(|c| {
                                c.nome.to_lowercase().contains(termo)
                                    || c.email.as_deref().unwrap_or("").to_lowercase().contains(termo)
                            })
                    })
            })
            .collect();
        matching.sort_by_key(|venda| venda.numero);
        if !ascending {
            matching.reverse();
        }
        let total: Decimal = matching.iter().map(|venda| venda.total()).sum();
        let count = matching.len();
        let page: Vec<Value> = paging
            .slice(&matching)
            .iter()
            .map(|venda| render_summary(venda, company))
            .collect();
        json!({
            "totais": {
                "total": to_json_number(total),
                "aprovado": 0,
                "cancelado": 0,
                "esperando_aprovacao": to_json_number(total),
            },
            "quantidades": { "total": count, "aprovado": 0, "cancelado": 0, "esperando_aprovacao": count },
            "total_itens": count,
            "itens": page,
        })
    });
    json_response(StatusCode::OK, &body)
}

pub(super) async fn next_number(State(state): State<AppState>) -> Response {
    let (next, shape) = state.with(|world| {
        (
            world.contaazul.next_sale_number(),
            world.answers.contaazul.next_number,
        )
    });
    let body = match shape {
        crate::answers::NextNumber::Bare => json!(next),
        crate::answers::NextNumber::Object => json!({ "proximo_numero": next }),
    };
    json_response(StatusCode::OK, &body)
}

pub(super) async fn sellers(State(state): State<AppState>) -> Response {
    let sellers: Vec<Value> = state.with(|world| {
        world
            .contaazul
            .vendedores
            .iter()
            .map(|v| json!({ "id": v.id, "nome": v.nome, "id_legado": v.id_legado }))
            .collect()
    });
    json_response(StatusCode::OK, &sellers)
}

fn find<'a>(company: &'a ContaAzulState, id: &str) -> Option<&'a Venda> {
    // The id is a UUID or the legacy numeric id.
    match Uuid::parse_str(id) {
        Ok(uuid) => company.vendas.iter().find(|venda| venda.id == uuid),
        Err(_) => id.parse::<i64>().ok().and_then(|legacy| {
            company
                .vendas
                .iter()
                .find(|venda| venda.id_legado == legacy)
        }),
    }
}

fn sale_not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &contaazul_error("Venda não encontrada"),
    )
}

pub(super) async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let found = state.with(|world| {
        find(&world.contaazul, &id).map(|venda| render_full(venda, &world.contaazul))
    });
    match found {
        Some(body) => json_response(StatusCode::OK, &body),
        None => sale_not_found(),
    }
}

/// `GET /v1/venda/{id}/imprimir`: the sale as a PDF.
pub(super) async fn print(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let found = state.with(|world| {
        find(&world.contaazul, &id).map(|venda| {
            let cliente = world
                .contaazul
                .pessoa(venda.id_cliente)
                .map(|c| c.nome.clone());
            super::pdf::sale_pdf(venda, cliente.as_deref())
        })
    });
    match found {
        Some(pdf) => axum::response::IntoResponse::into_response((
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "application/pdf")],
            pdf,
        )),
        None => sale_not_found(),
    }
}

pub(super) async fn items(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
) -> Response {
    let query = Query::parse(uri.query());
    let paging = match Paging::parse_for(&state, &query) {
        Ok(paging) => paging,
        Err(rejection) => return rejection.into_response(),
    };
    let found = state.with(|world| find(&world.contaazul, &id).map(|venda| venda.itens.clone()));
    match found {
        Some(itens) => {
            let page: Vec<Value> = paging.slice(&itens).iter().map(render_item).collect();
            json_response(
                StatusCode::OK,
                &json!({
                    "itens": page,
                    "itens_totais": itens.len(),
                    "totais": { "quantidade_produtos": itens.len(), "quantidade_servicos": 0, "quantidade_nao_conciliados": 0 },
                }),
            )
        }
        None => sale_not_found(),
    }
}
