//! `/v1/produtos`: search and create products. Envelope `{items, totalItems}`; price in
//! `estoque.valor_venda`, balance as `saldo` in lists and `estoque.quantidade_disponivel` in detail.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::model::Produto;
use super::{bad_request, json_object, reject, Paging};
use crate::assumptions::{
    contaazul_error, CONTAAZUL_CREATE_STATUS, CONTAAZUL_PRODUCTS_DEFAULT_ACTIVE_ONLY,
    CONTAAZUL_SKU_UNIQUE,
};
use crate::http::{json_response, Rejection};
use crate::money::{from_json_number, to_json_number};
use crate::query::Query;
use crate::AppState;

fn status(produto: &Produto) -> &'static str {
    if produto.ativo {
        "ATIVO"
    } else {
        "INATIVO"
    }
}

pub(crate) fn render(produto: &Produto) -> Value {
    json!({
        "id": produto.id,
        "id_legado": produto.id_legado,
        "nome": produto.nome,
        "codigo": produto.codigo_sku,
        "ean": null,
        "saldo": to_json_number(produto.saldo),
        "valor_venda": to_json_number(produto.valor_venda),
        "custo_medio": to_json_number(produto.custo_medio),
        "estoque_minimo": 0,
        "estoque_maximo": 0,
        "nivel_estoque": if produto.saldo > Decimal::ZERO { "NORMAL" } else { "SEM_ESTOQUE" },
        "status": status(produto),
        "formato": "SIMPLES",
    })
}

fn render_detail(produto: &Produto) -> Value {
    json!({
        "id": produto.id,
        "id_legado": produto.id_legado,
        "nome": produto.nome,
        "codigo_sku": produto.codigo_sku,
        "codigo_ean": null,
        "formato": "SIMPLES",
        "status": status(produto),
        "ativo": produto.ativo,
        "estoque": {
            "valor_venda": to_json_number(produto.valor_venda),
            "custo_medio": to_json_number(produto.custo_medio),
            "quantidade_disponivel": to_json_number(produto.saldo),
            "quantidade_reservada": 0,
            "quantidade_total": to_json_number(produto.saldo),
            "minimumStock": 0,
            "maximumStock": 0,
        },
    })
}

pub(super) async fn list(State(state): State<AppState>, uri: Uri) -> Response {
    let query = Query::parse(uri.query());
    let paging = match Paging::parse_for(&state, &query) {
        Ok(paging) => paging,
        Err(rejection) => return rejection.into_response(),
    };
    let status_filter = match query.get("status") {
        None if CONTAAZUL_PRODUCTS_DEFAULT_ACTIVE_ONLY => Some(true),
        None => None,
        Some("ATIVO") => Some(true),
        Some("INATIVO") => Some(false),
        // `TODOS` belongs to the older `/v1/produto/busca`; it is not a documented value here.
        Some(_) => return bad_request("status deve ser ATIVO ou INATIVO"),
    };
    let busca = query.get("busca").map(str::to_lowercase);
    let sku = query.get("sku").map(str::to_string);
    let matching: Vec<Produto> = state.with(|world| {
        let status_filter =
            status_filter.filter(|_| !world.answers.contaazul.products_status_ignored);
        world
            .contaazul
            .produtos
            .iter()
            .filter(|produto| {
                status_filter.is_none_or(|ativo| produto.ativo == ativo)
                    && busca.as_deref().is_none_or(|busca| {
                        produto.nome.to_lowercase().contains(busca)
                            || produto
                                .codigo_sku
                                .as_deref()
                                .is_some_and(|code| code.to_lowercase().contains(busca))
                    })
                    && sku
                        .as_deref()
                        .is_none_or(|sku| produto.codigo_sku.as_deref() == Some(sku))
            })
            .cloned()
            .collect()
    });
    paging.items_envelope(&matching, render)
}

pub(super) async fn get_one(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let found = Uuid::parse_str(&id)
        .ok()
        .and_then(|id| state.with(|world| world.contaazul.produto(id).cloned()));
    match found {
        Some(produto) => json_response(StatusCode::OK, &render_detail(&produto)),
        None => json_response(
            StatusCode::NOT_FOUND,
            &contaazul_error("Produto não encontrado"),
        ),
    }
}

fn decimal_field(object: &Map<String, Value>, key: &str) -> Result<Option<Decimal>, Rejection> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match from_json_number(value) {
            Some(number) if number >= Decimal::ZERO => Ok(Some(number)),
            _ => Err(reject(format!(
                "O campo '{key}' deve ser um número positivo"
            ))),
        },
    }
}

pub(super) async fn create(State(state): State<AppState>, body: Bytes) -> Response {
    let body = match json_object(&body) {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let nome = match body.get("nome") {
        Some(Value::String(nome)) if !nome.trim().is_empty() => nome.trim().to_string(),
        _ => return bad_request("O campo 'nome' é obrigatório"),
    };
    if nome.chars().count() > 120 {
        return bad_request("O campo 'nome' deve ter no máximo 120 caracteres");
    }
    let codigo_sku = match body.get("codigo_sku") {
        None | Some(Value::Null) => None,
        Some(Value::String(sku)) if sku.trim().is_empty() => None,
        Some(Value::String(sku)) => Some(sku.trim().to_string()),
        Some(_) => return bad_request("O campo 'codigo_sku' deve ser um texto"),
    };
    match body.get("formato").and_then(Value::as_str) {
        None | Some("SIMPLES") => {}
        Some("VARIACAO") => return bad_request("Produtos com variação exigem o campo 'variacao'"),
        Some(_) => return bad_request("formato deve ser SIMPLES ou VARIACAO"),
    }
    let empty = Map::new();
    let estoque = match body.get("estoque") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(estoque)) => estoque,
        Some(_) => return bad_request("O campo 'estoque' deve ser um objeto"),
    };
    let (valor_venda, custo_medio, saldo) = match (
        decimal_field(estoque, "valor_venda"),
        decimal_field(estoque, "custo_medio"),
        decimal_field(estoque, "estoque_disponivel"),
    ) {
        (Ok(v), Ok(c), Ok(s)) => (v, c, s),
        (Err(r), _, _) | (_, Err(r), _) | (_, _, Err(r)) => return r.into_response(),
    };
    let created = state.with(|world| {
        let company = &mut world.contaazul;
        if CONTAAZUL_SKU_UNIQUE {
            if let Some(sku) = &codigo_sku {
                if company
                    .produtos
                    .iter()
                    .any(|p| p.codigo_sku.as_ref() == Some(sku))
                {
                    return Err(reject(format!("Já existe um produto com o código '{sku}'")));
                }
            }
        }
        let produto = Produto {
            id: Uuid::new_v4(),
            id_legado: company.legacy_id(),
            nome,
            codigo_sku,
            valor_venda: valor_venda.unwrap_or_default(),
            custo_medio: custo_medio.unwrap_or_default(),
            saldo: saldo.unwrap_or_default(),
            ativo: true,
            data_criacao: Utc::now(),
            criado_pela_api: true,
        };
        company.produtos.push(produto.clone());
        Ok(produto)
    });
    match created {
        Ok(produto) => json_response(CONTAAZUL_CREATE_STATUS, &render_detail(&produto)),
        Err(rejection) => rejection.into_response(),
    }
}
