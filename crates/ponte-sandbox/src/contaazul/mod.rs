//! The Conta Azul simulator: `/oauth2/*` (the auth host) and `/v1/*` (the api-v2 host).

mod limits;
pub mod model;
pub(crate) mod oauth;
mod pdf;
mod pessoas;
mod produtos;
pub mod schema;
mod vendas;

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde_json::Value;

use crate::assumptions::{
    contaazul_error, contaazul_too_many_requests, contaazul_unauthorized, CONTAAZUL_PAGE_SIZE_ERROR,
};
use crate::http::{header_str, json_response, Rejection};
use crate::query::Query;
use crate::AppState;

pub use model::{NewPessoa, NewProduto};

pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/pessoas", get(pessoas::list).post(pessoas::create))
        .route(
            "/v1/pessoas/conta-conectada",
            get(pessoas::connected_company),
        )
        .route("/v1/pessoas/{id}", get(pessoas::get_one))
        .route("/v1/produtos", get(produtos::list).post(produtos::create))
        .route("/v1/produtos/{id}", get(produtos::get_one))
        .route("/v1/venda", axum::routing::post(vendas::create))
        .route("/v1/venda/busca", get(vendas::search))
        .route("/v1/venda/proximo-numero", get(vendas::next_number))
        .route("/v1/venda/vendedores", get(vendas::sellers))
        .route("/v1/venda/{id}", get(vendas::get_one))
        .route("/v1/venda/{id}/itens", get(vendas::items))
        .route("/v1/venda/{id}/imprimir", get(vendas::print))
        .route_layer(from_fn_with_state(state.clone(), rate_limit))
        .route_layer(from_fn_with_state(state.clone(), authenticate));

    Router::new()
        .route(
            "/oauth2/authorize",
            get(oauth::consent_page).post(oauth::consent),
        )
        .route("/oauth2/token", axum::routing::post(oauth::token))
        .merge(api)
        .route_layer(axum::middleware::from_fn(crate::http::reject_long_urls))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &contaazul_error(
            "A URL informada não corresponde a um recurso da API. Verifique o endereço e o método.",
        ),
    )
}

async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let token = header_str(request.headers(), header::AUTHORIZATION.as_str()).and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string())
    });
    let valid = token.is_some_and(|token| {
        state.with(|world| {
            world
                .contaazul
                .access_tokens
                .get(&token)
                .is_some_and(|expires| *expires > Instant::now())
        })
    });
    if !valid {
        return json_response(StatusCode::UNAUTHORIZED, &contaazul_unauthorized());
    }
    next.run(request).await
}

async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !state.with(|world| world.contaazul.limiter.admit()) {
        return json_response(
            StatusCode::TOO_MANY_REQUESTS,
            &contaazul_too_many_requests(),
        );
    }
    next.run(request).await
}

/// `pagina` (1-based) and `tamanho_pagina` (only the documented sizes).
pub(crate) struct Paging {
    pub pagina: usize,
    pub tamanho: usize,
}

const PAGE_SIZES: [usize; 7] = [10, 20, 50, 100, 200, 500, 1000];

impl Paging {
    /// The documented sizes, or those the sandbox's answers switched to.
    pub fn parse_for(state: &crate::AppState, query: &Query) -> Result<Paging, Rejection> {
        let sizes = state.with(|world| world.answers.contaazul.page_sizes.clone());
        Self::parse_within(query, sizes.as_deref().unwrap_or(&PAGE_SIZES))
    }

    fn parse_within(query: &Query, sizes: &[usize]) -> Result<Paging, Rejection> {
        let tamanho = match query.get("tamanho_pagina") {
            None => 10,
            Some(text) => match text.parse::<usize>() {
                Ok(size) if sizes.contains(&size) => size,
                _ => return Err(reject(CONTAAZUL_PAGE_SIZE_ERROR)),
            },
        };
        let pagina = match query.get("pagina") {
            None => 1,
            Some(text) => match text.parse::<usize>() {
                Ok(page) if page >= 1 => page,
                _ => return Err(reject("pagina deve ser um número maior ou igual a 1")),
            },
        };
        Ok(Paging { pagina, tamanho })
    }

    /// The `{items, totalItems}` envelope of people and products.
    pub fn items_envelope<T>(&self, matching: &[T], render: impl Fn(&T) -> Value) -> Response {
        let items: Vec<Value> = matching
            .iter()
            .skip((self.pagina - 1) * self.tamanho)
            .take(self.tamanho)
            .map(render)
            .collect();
        json_response(
            StatusCode::OK,
            &serde_json::json!({ "items": items, "totalItems": matching.len() }),
        )
    }

    pub fn slice<T: Clone>(&self, items: &[T]) -> Vec<T> {
        items
            .iter()
            .skip((self.pagina - 1) * self.tamanho)
            .take(self.tamanho)
            .cloned()
            .collect()
    }
}

pub(crate) fn bad_request(message: impl Into<String>) -> Response {
    json_response(StatusCode::BAD_REQUEST, &contaazul_error(message))
}

pub(crate) fn reject(message: impl Into<String>) -> Rejection {
    bad_request(message).into()
}

/// Reads a JSON body, answering 400 when it is not an object.
pub(crate) fn json_object(body: &[u8]) -> Result<serde_json::Map<String, Value>, Rejection> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(reject("O corpo da requisição deve ser um objeto JSON")),
        Err(_) => Err(reject("JSON inválido no corpo da requisição")),
    }
}

pub(crate) fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// CPF and CNPJ as the Conta Azul screens show them.
pub(crate) fn format_document(digits: &str) -> String {
    if let Ok(cpf) = digits.parse::<cpf::Cpf>() {
        if digits.len() == 11 {
            return cpf.to_string();
        }
    }
    if let Ok(cnpj) = digits.parse::<cnpj::Cnpj>() {
        return cnpj.to_string();
    }
    digits.to_string()
}
