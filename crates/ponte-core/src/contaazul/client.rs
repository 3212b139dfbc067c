//! The Conta Azul API client: bearer tokens that refresh themselves, pacing under 10/s and
//! 600/min, the two envelope styles, and the searches the rules need.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::auth::ContaAzulAuth;
use super::wire::{
    Created, Items, Itens, NewPessoa, NewProduto, NewVenda, PessoaSummary, ProdutoSummary,
    VendaCreated, VendaSummary, Vendedor,
};
use crate::config::Config;
use crate::error::{Error, Result, Service};
use crate::http::{Pacer, Recorder, Reply, Request, Transport};

/// The largest page size the API allows for these searches.
const PAGE_SIZE: u32 = 100;
/// The largest documented page size: a whole catalogue up to this many products per status
/// costs one call.
pub const CATALOGUE_PAGE_SIZE: u32 = 1000;
/// The documented sizes below it, tried in turn should Conta Azul refuse a size (the Sales
/// OpenAPI lists `10, 20, 50, 100, 200, 500, 1000`; whether every list takes 1000 is
/// UNCONFIRMED).
const SMALLER_PAGE_SIZES: [u32; 3] = [500, 200, PAGE_SIZE];
/// A search that matches more than this many records is narrowed by the caller, not paged.
const MAX_PAGES: u32 = 10;

/// The file in the data directory from which every Ponte process on it takes its turns at
/// Conta Azul (the account's limits are shared); profiles sharing one company take theirs
/// from the company's (`Company::pace_schedule`).
pub const CONTAAZUL_SCHEDULE: &str = "contaazul-pace";

pub struct ContaAzulClient {
    transport: Transport,
    api_url: String,
    auth: Arc<ContaAzulAuth>,
    /// The largest page the lists took so far: `CATALOGUE_PAGE_SIZE` until one is refused.
    largest_page: std::sync::atomic::AtomicU32,
}

impl ContaAzulClient {
    /// `schedule`: the file whose turns this client takes (`CONTAAZUL_SCHEDULE` in the data
    /// directory, or the company's).
    pub fn new(
        config: &Config,
        auth: Arc<ContaAzulAuth>,
        schedule: std::path::PathBuf,
    ) -> Result<Self> {
        let pacing = &config.pacing;
        Ok(ContaAzulClient {
            transport: Transport::new(
                Service::Contaazul,
                &config.user_agent,
                Pacer::windows(
                    pacing.contaazul_per_second,
                    pacing.contaazul_per_minute,
                    Some(schedule),
                ),
            )?,
            api_url: config.contaazul_api_url.clone(),
            auth,
            largest_page: std::sync::atomic::AtomicU32::new(CATALOGUE_PAGE_SIZE),
        })
    }

    pub fn recorder(&self) -> &Recorder {
        &self.transport.recorder
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = format!("{}{}", self.api_url, path);
        if !query.is_empty() {
            let encoded: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish();
            url.push('?');
            url.push_str(&encoded);
        }
        url
    }

    /// Sends with a fresh token; after a 401, refreshes once and sends again.
    async fn send(&self, request: Request) -> Result<Reply> {
        let token = self.auth.access_token().await?;
        let bearer = |token: String| move |b: reqwest::RequestBuilder| b.bearer_auth(&token);
        let reply = self
            .transport
            .send(&request, bearer(token.expose().to_string()))
            .await?;
        if reply.status != 401 {
            return Ok(reply);
        }
        let renewed = self.auth.refresh_after_rejection(&token).await?;
        self.transport
            .send(&request, bearer(renewed.expose().to_string()))
            .await
    }

    async fn get_json<T: DeserializeOwned>(&self, url: String) -> Result<T> {
        let reply = self.send(Request::get(url)).await?;
        if !reply.is_success() {
            return Err(reply.into_error(Service::Contaazul));
        }
        reply.json(Service::Contaazul)
    }

    /// One page of a list in the largest size Conta Azul takes, and that size. A 400 to a
    /// page of a list (which carries no data of the merchant's) is taken as the size refused:
    /// the next smaller documented size is tried, and kept for the client's later pages.
    async fn get_page<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<(T, u32)> {
        use std::sync::atomic::Ordering::Relaxed;
        loop {
            let size = self.largest_page.load(Relaxed);
            let size_text = size.to_string();
            let mut sized = query.to_vec();
            sized.push(("tamanho_pagina", size_text.as_str()));
            match self.get_json(self.url(path, &sized)).await {
                Err(Error::Api { status: 400, .. }) if size > PAGE_SIZE => {
                    let smaller = SMALLER_PAGE_SIZES
                        .into_iter()
                        .find(|smaller| *smaller < size)
                        .unwrap_or(PAGE_SIZE);
                    tracing::warn!(size, smaller, "page size refused: trying a smaller one");
                    self.largest_page.store(smaller, Relaxed);
                }
                other => return other.map(|page| (page, size)),
            }
        }
    }

    /// A read-only `GET` answered as it came, for `ponte doctor`: what Conta Azul said, not
    /// what Ponte makes of it.
    pub async fn probe(&self, path: &str, query: &[(&str, &str)]) -> Result<Reply> {
        self.send(Request::get(self.url(path, query))).await
    }

    /// Every page of a `{items, totalItems}` search.
    async fn search_items<T: DeserializeOwned>(
        &self,
        path: &str,
        filters: &[(&str, &str)],
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        let size = PAGE_SIZE.to_string();
        for page in 1..=MAX_PAGES {
            let page_text = page.to_string();
            let mut query = filters.to_vec();
            query.extend([
                ("pagina", page_text.as_str()),
                ("tamanho_pagina", size.as_str()),
            ]);
            let items: Items<T> = self.get_json(self.url(path, &query)).await?;
            let received = items.items.len();
            all.extend(items.items);
            if received < PAGE_SIZE as usize || all.len() as u64 >= items.total_items {
                break;
            }
        }
        Ok(all)
    }

    pub async fn pessoas_by_document(&self, document: &str) -> Result<Vec<PessoaSummary>> {
        self.search_items("/v1/pessoas", &[("documentos", document)])
            .await
    }

    pub async fn pessoas_by_name(&self, name: &str) -> Result<Vec<PessoaSummary>> {
        self.search_items("/v1/pessoas", &[("nomes", name)]).await
    }

    /// Products whose name or code contains `text`, with this `status` (`ATIVO` or `INATIVO`,
    /// the documented values).
    pub async fn produtos_by_text(&self, text: &str, status: &str) -> Result<Vec<ProdutoSummary>> {
        let found = self
            .search_items("/v1/produtos", &[("busca", text), ("status", status)])
            .await?;
        Ok(listed_with_status(found, status))
    }

    /// Products whose code is `sku` (the filter's exact semantics are UNCONFIRMED: the caller
    /// compares the codes), with this `status`.
    pub async fn produtos_by_sku(&self, sku: &str, status: &str) -> Result<Vec<ProdutoSummary>> {
        let found = self
            .search_items("/v1/produtos", &[("sku", sku), ("status", status)])
            .await?;
        Ok(listed_with_status(found, status))
    }

    /// `GET path`; `None` when Conta Azul answers 404 (what it names does not exist).
    async fn get_existing(&self, path: &str) -> Result<Option<Reply>> {
        let reply = self.send(Request::get(self.url(path, &[]))).await?;
        if reply.status == 404 {
            return Ok(None);
        }
        if !reply.is_success() {
            return Err(reply.into_error(Service::Contaazul));
        }
        Ok(Some(reply))
    }

    /// One product as `GET /v1/produtos/{id}` answers it; `None` for one that does not exist.
    pub async fn produto(&self, id: &str) -> Result<Option<Value>> {
        self.get_existing(&format!("/v1/produtos/{id}"))
            .await?
            .map(|reply| reply.json(Service::Contaazul))
            .transpose()
    }

    /// The first page of every product with this `status`, in the largest page the API allows,
    /// and how many there are in all: a small catalogue is read whole in one call.
    pub async fn produtos_first_page(&self, status: &str) -> Result<(Vec<ProdutoSummary>, u64)> {
        let query = [("status", status), ("pagina", "1")];
        let (items, _): (Items<ProdutoSummary>, _) = self.get_page("/v1/produtos", &query).await?;
        Ok((listed_with_status(items.items, status), items.total_items))
    }

    /// The first page of every customer, in the largest page the API allows, and how many
    /// there are in all: a small customer base is read whole in one call.
    pub async fn pessoas_first_page(&self) -> Result<(Vec<PessoaSummary>, u64)> {
        let (items, _): (Items<PessoaSummary>, _) =
            self.get_page("/v1/pessoas", &[("pagina", "1")]).await?;
        Ok((items.items, items.total_items))
    }

    /// Creates; the answer is returned as is when Conta Azul refuses, for the caller to classify.
    async fn create(&self, path: &str, body: Value) -> Result<std::result::Result<Reply, Reply>> {
        let reply = self.send(Request::post(self.url(path, &[]), body)).await?;
        if reply.is_success() {
            Ok(Ok(reply))
        } else if reply.status == 429 || reply.status >= 500 {
            Err(reply.into_error(Service::Contaazul))
        } else {
            Ok(Err(reply))
        }
    }

    pub async fn create_pessoa(
        &self,
        pessoa: &NewPessoa,
    ) -> Result<std::result::Result<String, Reply>> {
        let body = serde_json::to_value(pessoa).map_err(|e| Error::Config(e.to_string()))?;
        Ok(match self.create("/v1/pessoas", body).await? {
            Ok(reply) => Ok(reply.json::<Created>(Service::Contaazul)?.id),
            Err(refused) => Err(refused),
        })
    }

    pub async fn create_produto(
        &self,
        produto: &NewProduto,
    ) -> Result<std::result::Result<String, Reply>> {
        let body = serde_json::to_value(produto).map_err(|e| Error::Config(e.to_string()))?;
        Ok(match self.create("/v1/produtos", body).await? {
            Ok(reply) => Ok(reply.json::<Created>(Service::Contaazul)?.id),
            Err(refused) => Err(refused),
        })
    }

    pub async fn create_venda(
        &self,
        venda: &NewVenda,
    ) -> Result<std::result::Result<VendaCreated, Reply>> {
        let body = serde_json::to_value(venda).map_err(|e| Error::Config(e.to_string()))?;
        Ok(match self.create("/v1/venda", body).await? {
            Ok(reply) => Ok(reply.json::<VendaCreated>(Service::Contaazul)?),
            Err(refused) => Err(refused),
        })
    }

    /// The company the token belongs to.
    pub async fn conta_conectada(&self) -> Result<Value> {
        self.get_json(self.url("/v1/pessoas/conta-conectada", &[]))
            .await
    }

    pub async fn vendedores(&self) -> Result<Vec<Vendedor>> {
        self.get_json(self.url("/v1/venda/vendedores", &[])).await
    }

    /// The next free sale number (`assumptions::next_number_from`); when `proximo-numero`
    /// gives none, the number after the highest sale listed, or 1.
    pub async fn next_sale_number(&self) -> Result<i64> {
        let value: Value = self
            .get_json(self.url("/v1/venda/proximo-numero", &[]))
            .await?;
        match super::assumptions::next_number_from(&value) {
            super::assumptions::NextNumber::Given(next) => return Ok(next),
            super::assumptions::NextNumber::None => {}
            super::assumptions::NextNumber::Unreadable => {
                return Err(Error::Unreadable {
                    service: Service::Contaazul,
                    detail: format!("proximo-numero answered {value}"),
                })
            }
        }
        let url = self.url(
            "/v1/venda/busca",
            &[
                ("campo_ordenado_descendente", "NUMERO"),
                ("pagina", "1"),
                ("tamanho_pagina", "10"),
            ],
        );
        let found: Itens<VendaSummary> = self.get_json(url).await?;
        let highest = found.itens.iter().map(|venda| venda.numero).max();
        let highest = highest.unwrap_or(0);
        highest.checked_add(1).ok_or_else(|| Error::Unreadable {
            service: Service::Contaazul,
            detail: format!("the highest sale number is {highest}"),
        })
    }

    /// A sale as `GET /v1/venda/{id}` answers it; `None` for one that does not exist.
    pub async fn venda(&self, id: &str) -> Result<Option<Value>> {
        self.get_existing(&format!("/v1/venda/{id}"))
            .await?
            .map(|reply| reply.json(Service::Contaazul))
            .transpose()
    }

    /// The sale as Conta Azul prints it (`GET /v1/venda/{id}/imprimir`, a PDF: the documented
    /// way to show a sale to the merchant); `None` for a sale that no longer exists.
    pub async fn venda_pdf(&self, id: &str) -> Result<Option<Vec<u8>>> {
        let reply = self
            .send(Request::get(
                self.url(&format!("/v1/venda/{id}/imprimir"), &[]),
            ))
            .await?;
        if reply.status == 404 {
            return Ok(None);
        }
        if !reply.is_success() {
            return Err(reply.into_error(Service::Contaazul));
        }
        // A PDF by its own first bytes, not by what the answer says it is: the file is
        // opened by the merchant's viewer.
        reply
            .pdf
            .filter(|bytes| bytes.starts_with(b"%PDF-"))
            .map(Some)
            .ok_or_else(|| Error::Unreadable {
                service: Service::Contaazul,
                detail: "the printed sale is not a PDF".into(),
            })
    }

    /// The notes of a sale: how Ponte recognises a sale of its own (`Pedido Nuvemshop #N`).
    /// `None` for a sale without notes, or one that no longer exists.
    pub async fn venda_notes(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .venda(id)
            .await?
            .and_then(|value| value["venda"]["observacoes"].as_str().map(str::to_string)))
    }

    /// Every sale dated (`data_venda`) within `inicio..=fim`, page after page in the largest
    /// page the search allows.
    pub async fn vendas_between(
        &self,
        inicio: chrono::NaiveDate,
        fim: chrono::NaiveDate,
    ) -> Result<Vec<VendaSummary>> {
        let (inicio, fim) = (inicio.to_string(), fim.to_string());
        let mut all = Vec::new();
        for page in 1u32.. {
            let page_text = page.to_string();
            let query = [
                ("data_inicio", inicio.as_str()),
                ("data_fim", fim.as_str()),
                ("campo_ordenado_ascendente", "NUMERO"),
                ("pagina", page_text.as_str()),
            ];
            let (found, size): (Itens<VendaSummary>, _) =
                self.get_page("/v1/venda/busca", &query).await?;
            let received = found.itens.len();
            all.extend(found.itens);
            // Read on while the count says more remain (a page may hold fewer than asked);
            // without a count, until a page is not full.
            let done = match found.total_itens {
                0 => received < size as usize,
                total => all.len() as u64 >= total,
            };
            if received == 0 || done {
                break;
            }
        }
        Ok(all)
    }

    /// Every sale the search lists with this number (more than one where numbers repeat).
    pub async fn vendas_by_number(&self, numero: i64) -> Result<Vec<VendaSummary>> {
        let text = numero.to_string();
        let url = self.url(
            "/v1/venda/busca",
            &[
                ("numeros", &text),
                ("pagina", "1"),
                ("tamanho_pagina", "50"),
            ],
        );
        let found: Itens<VendaSummary> = self.get_json(url).await?;
        Ok(found
            .itens
            .into_iter()
            .filter(|venda| venda.numero == numero)
            .collect())
    }
}

/// Products a listing per `status` gave: one that does not say its status has the listing's
/// (`assumptions::PRODUCTS_FILTERED_BY_STATUS`); one that says it keeps its own, so that a
/// listing the API did not filter cannot make an inactive product look active.
fn listed_with_status(products: Vec<ProdutoSummary>, status: &str) -> Vec<ProdutoSummary> {
    products
        .into_iter()
        .map(|mut product| {
            if product.status.is_none() && super::assumptions::PRODUCTS_FILTERED_BY_STATUS {
                product.status = Some(status.to_string());
            }
            product
        })
        .collect()
}
