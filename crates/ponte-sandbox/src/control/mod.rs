//! The control API: seed data, drive orders through their life, switch faults, inspect what
//! Conta Azul received. [`Control`] is the in-process form; `http` serves the same over HTTP.

mod http;

use std::time::Duration;

use rust_decimal::Decimal;
use uuid::Uuid;

use crate::calls::CallCounts;
use crate::contaazul::model::{NewPessoa, NewProduto, Pessoa, Produto, Venda, Vendedor};
use crate::faults::FaultRule;
use crate::nuvemshop::model::{NewOrder, Order, PaymentStatus};
use crate::AppState;

pub(crate) use http::router;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ControlError {
    #[error("no Nuvemshop order with id {0}")]
    OrderNotFound(u64),
    #[error("no Conta Azul product {0}")]
    ProductNotFound(String),
    #[error("no Conta Azul customer {0}")]
    CustomerNotFound(String),
    #[error("not an authorization page of this sandbox: {0}")]
    NotAnAuthorizePage(String),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Clone)]
pub struct Control {
    state: AppState,
}

impl Control {
    pub(crate) fn new(state: AppState) -> Self {
        Control { state }
    }

    /// Forgets orders, Conta Azul records, faults and call counts. Connections (tokens) stay.
    pub fn reset(&self) {
        self.stop_demo();
        self.state.with(|world| {
            world.nuvemshop.clear_orders();
            world.nuvemshop.bucket.empty();
            world.contaazul.clear_data();
            world.contaazul.limiter.reset();
            world.faults.clear();
            world.answers = Default::default();
            world.calls = CallCounts::default();
        });
    }

    /// Switches the answers the documents leave open (see [`crate::answers`]).
    pub fn set_answers(&self, answers: crate::answers::Answers) {
        self.state.with(|world| world.answers = answers);
    }

    pub fn answers(&self) -> crate::answers::Answers {
        self.state.with(|world| world.answers.clone())
    }

    // --- Consent --------------------------------------------------------------------------

    /// Plays the merchant on an authorization page (Nuvemshop's or Conta Azul's): clicks
    /// *Instalar* / *Autorizar* and answers where the browser is sent, code and state included.
    pub fn consent(&self, authorize_url: &str) -> Result<String, ControlError> {
        self.consent_in_store(authorize_url, None)
    }

    /// [`Control::consent`] by the merchant of another Nuvemshop store than the simulated one
    /// (`store`): its token is issued with that store's id; its API is not simulated.
    pub fn consent_in_store(
        &self,
        authorize_url: &str,
        store: Option<u64>,
    ) -> Result<String, ControlError> {
        let refuse = || ControlError::NotAnAuthorizePage(authorize_url.to_string());
        let url = url::Url::parse(authorize_url).map_err(|_| refuse())?;
        let params: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        let client_state = params.get("state").map(String::as_str);
        let nuvemshop_page = format!("/apps/{}/authorize", self.state.config.nuvemshop.app_id);
        if url.path() == nuvemshop_page {
            return Ok(crate::nuvemshop::oauth::approve(
                &self.state,
                client_state,
                store,
            ));
        }
        if url.path() == "/oauth2/authorize"
            && crate::contaazul::oauth::is_registered(&self.state, &params)
        {
            return Ok(crate::contaazul::oauth::approve(&self.state, client_state));
        }
        Err(refuse())
    }

    // --- Nuvemshop -------------------------------------------------------------------------

    pub fn create_order(&self, order: NewOrder) -> Order {
        self.state.with(|world| world.nuvemshop.create_order(order))
    }

    /// The payment is confirmed: `payment_status` becomes `paid`, `paid_at` is set.
    pub fn pay_order(&self, id: u64) -> Result<Order, ControlError> {
        self.state
            .with(|world| world.nuvemshop.mark_paid(id))
            .ok_or(ControlError::OrderNotFound(id))
    }

    pub fn cancel_order(&self, id: u64) -> Result<Order, ControlError> {
        self.state
            .with(|world| world.nuvemshop.cancel(id))
            .ok_or(ControlError::OrderNotFound(id))
    }

    pub fn refund_order(&self, id: u64) -> Result<Order, ControlError> {
        self.state
            .with(|world| world.nuvemshop.refund(id))
            .ok_or(ControlError::OrderNotFound(id))
    }

    /// The merchant writes a private note on an order in the Nuvemshop admin.
    pub fn set_owner_note(&self, id: u64, note: &str) -> Result<Order, ControlError> {
        self.state
            .with(|world| world.nuvemshop.set_owner_note(id, note.to_string()))
            .ok_or(ControlError::OrderNotFound(id))
    }

    /// The merchant edits an order in the Nuvemshop admin: a line's quantity.
    pub fn edit_order_quantity(
        &self,
        id: u64,
        line: usize,
        quantity: i64,
    ) -> Result<Order, ControlError> {
        self.state
            .with(|world| world.nuvemshop.set_line_quantity(id, line, quantity))
            .ok_or(ControlError::OrderNotFound(id))
    }

    pub fn set_payment_status(
        &self,
        id: u64,
        status: PaymentStatus,
    ) -> Result<Order, ControlError> {
        self.state
            .with(|world| world.nuvemshop.set_payment_status(id, status))
            .ok_or(ControlError::OrderNotFound(id))
    }

    pub fn orders(&self) -> Vec<Order> {
        self.state
            .with(|world| world.nuvemshop.orders.values().cloned().collect())
    }

    /// As if the merchant uninstalled the app: the current token stops working (401).
    /// The merchant installs the app from the Nuvemshop admin or App Store: consent happens
    /// there, and the browser goes to the registered redirect URL with a code and no `state`.
    /// Returns that URL (what the browser would open).
    pub fn install_from_admin(&self) -> String {
        crate::nuvemshop::oauth::approve(&self.state, None, None)
    }

    /// The webhooks registered through the API.
    pub fn webhooks(&self) -> Vec<crate::nuvemshop::webhooks::Webhook> {
        self.state.with(|world| world.nuvemshop.webhooks.clone())
    }

    /// A webhook the app registered earlier, as `POST /webhooks` would (e.g. for a broker's
    /// former address).
    pub fn add_webhook(&self, event: &str, url: &str) -> crate::nuvemshop::webhooks::Webhook {
        self.state
            .with(|world| world.nuvemshop.add_webhook(event, url))
    }

    /// How unreliable webhook delivery is from now on.
    pub fn set_webhook_faults(&self, faults: crate::nuvemshop::webhooks::WebhookFaults) {
        self.state.with(|world| world.webhook_faults = faults);
    }

    /// Webhook POSTs sent so far (retries included).
    pub fn webhook_deliveries(&self) -> u64 {
        self.state.with(|world| {
            world
                .webhook_deliveries
                .load(std::sync::atomic::Ordering::SeqCst)
        })
    }

    /// Sends an LGPD webhook as the app's panel would: `store-redact`, or `customers-redact` /
    /// `customers-data-request` for the customer of these orders (their e-mail, phone and
    /// document go in the payload, as Nuvemshop sends them).
    pub fn send_lgpd_webhook(&self, kind: &str, order_ids: &[u64]) -> Result<(), ControlError> {
        let delivery = crate::nuvemshop::webhooks::lgpd_delivery(&self.state, kind, order_ids)
            .map_err(ControlError::Invalid)?;
        self.state
            .with(|world| world.nuvemshop.outbox.push(delivery));
        Ok(())
    }

    /// The merchant removes the app from the store's admin: the token stops working and
    /// `app/uninstalled` is delivered.
    pub fn uninstall_app(&self) {
        let app_id = self.state.config.nuvemshop.app_id.parse().unwrap_or(1);
        self.state
            .with(|world| world.nuvemshop.uninstall_app(app_id));
    }

    /// Conta Azul requests answered 429 for the account's limits since the last reset.
    pub fn contaazul_rate_refusals(&self) -> u64 {
        self.state.with(|world| world.contaazul.limiter.refused())
    }

    pub fn revoke_nuvemshop_token(&self) {
        self.state
            .with(|world| world.nuvemshop.current_token = None);
    }

    /// The store or the app is suspended for lack of payment (every API call answers 402), or
    /// paid again.
    pub fn set_store_suspended(&self, suspended: bool) {
        self.state
            .with(|world| world.nuvemshop.suspended = suspended);
    }

    pub fn nuvemshop_token_active(&self) -> bool {
        self.state
            .with(|world| world.nuvemshop.current_token.is_some())
    }

    // --- Conta Azul -----------------------------------------------------------------------

    pub fn add_seller(&self, nome: &str) -> Vendedor {
        self.state.with(|world| world.contaazul.add_vendedor(nome))
    }

    pub fn add_customer(&self, pessoa: NewPessoa) -> Pessoa {
        self.state.with(|world| world.contaazul.add_pessoa(pessoa))
    }

    /// Deletes a customer, by id or by exact name, as the merchant may in Conta Azul.
    pub fn delete_customer(&self, customer: &str) -> Result<Pessoa, ControlError> {
        let id = Uuid::parse_str(customer).ok();
        self.state
            .with(|world| {
                let pessoas = &mut world.contaazul.pessoas;
                let at = pessoas
                    .iter()
                    .position(|p| Some(p.id) == id || p.nome == customer)?;
                Some(pessoas.remove(at))
            })
            .ok_or_else(|| ControlError::CustomerNotFound(customer.to_string()))
    }

    pub fn add_product(&self, produto: NewProduto) -> Produto {
        self.state
            .with(|world| world.contaazul.add_produto(produto))
    }

    /// Sets a product's stock balance, by id or by exact name.
    pub fn set_stock(&self, product: &str, saldo: Decimal) -> Result<Produto, ControlError> {
        self.update_product(product, |produto| produto.saldo = saldo)
    }

    pub fn set_product_active(&self, product: &str, ativo: bool) -> Result<Produto, ControlError> {
        self.update_product(product, |produto| produto.ativo = ativo)
    }

    fn update_product(
        &self,
        product: &str,
        change: impl FnOnce(&mut Produto),
    ) -> Result<Produto, ControlError> {
        let id = Uuid::parse_str(product).ok();
        self.state
            .with(|world| {
                let produto = world
                    .contaazul
                    .produtos
                    .iter_mut()
                    .find(|p| Some(p.id) == id || p.nome == product)?;
                change(produto);
                Some(produto.clone())
            })
            .ok_or_else(|| ControlError::ProductNotFound(product.to_string()))
    }

    /// *Verificar estoque ao criar uma venda*.
    pub fn set_stock_validation(&self, enabled: bool) {
        self.state
            .with(|world| world.contaazul.verificar_estoque = enabled);
    }

    pub fn stock_validation(&self) -> bool {
        self.state.with(|world| world.contaazul.verificar_estoque)
    }

    /// Every refresh token stops working: the next refresh gets `invalid_grant`.
    pub fn reject_refresh_tokens(&self) {
        self.state
            .with(|world| world.contaazul.refresh_tokens.clear());
    }

    /// Every access token expires now: the next call gets 401 and must refresh.
    pub fn expire_access_tokens(&self) {
        self.state
            .with(|world| world.contaazul.access_tokens.clear());
    }

    /// Every sale created from now on stays out of `GET /v1/venda/busca` for `lag`.
    pub fn set_sale_search_lag(&self, lag: Duration) {
        self.state
            .with(|world| world.contaazul.sale_search_lag = lag);
    }

    pub fn sales(&self) -> Vec<Venda> {
        self.state.with(|world| world.contaazul.vendas.clone())
    }

    /// The merchant types a sale in Conta Azul's screens: no note, one line.
    pub fn type_sale(&self, customer: &str, total: Decimal, date: chrono::NaiveDate) -> Venda {
        self.state
            .with(|world| world.contaazul.type_sale(customer, total, date))
    }

    /// A sale typed under a number another sale already has (where the sandbox's answers let
    /// numbers repeat, `duplicate_sale_numbers`).
    pub fn type_sale_numbered(&self, numero: i64) -> Venda {
        self.state.with(|world| {
            let today = chrono::Utc::now().date_naive();
            let mut venda =
                world
                    .contaazul
                    .type_sale("Cliente de balcão", Decimal::new(10, 0), today);
            if let Some(typed) = world.contaazul.vendas.iter_mut().find(|v| v.id == venda.id) {
                typed.numero = numero;
            }
            venda.numero = numero;
            venda
        })
    }

    /// The merchant deletes a sale in Conta Azul's screens; answers whether it existed.
    pub fn delete_sale(&self, id: &str) -> bool {
        self.state.with(|world| {
            let before = world.contaazul.vendas.len();
            world
                .contaazul
                .vendas
                .retain(|venda| venda.id.to_string() != id);
            world.contaazul.vendas.len() < before
        })
    }

    pub fn customers(&self) -> Vec<Pessoa> {
        self.state.with(|world| world.contaazul.pessoas.clone())
    }

    pub fn products(&self) -> Vec<Produto> {
        self.state.with(|world| world.contaazul.produtos.clone())
    }

    pub fn sellers(&self) -> Vec<Vendedor> {
        self.state.with(|world| world.contaazul.vendedores.clone())
    }

    // --- Faults and calls -----------------------------------------------------------------

    pub fn add_fault(&self, rule: FaultRule) {
        self.state.with(|world| world.faults.add(rule));
    }

    pub fn clear_faults(&self) {
        self.state.with(|world| world.faults.clear());
    }

    pub fn faults(&self) -> Vec<FaultRule> {
        self.state.with(|world| world.faults.rules().to_vec())
    }

    pub fn calls(&self) -> CallCounts {
        self.state.with(|world| world.calls.clone())
    }

    pub fn reset_calls(&self) {
        self.state.with(|world| world.calls = CallCounts::default());
    }

    // --- Demo -----------------------------------------------------------------------------

    /// Seeds the demo world and generates orders every `interval` until stopped.
    pub fn start_demo(&self, interval: Duration, seed: u64) {
        let handle = crate::demo::DemoHandle::start(self.state.clone(), interval, seed);
        // The previous generator, if any, is dropped (and stops) outside the lock.
        let previous = self.state.with(|world| world.demo.replace(handle));
        drop(previous);
    }

    pub fn stop_demo(&self) {
        let previous = self.state.with(|world| world.demo.take());
        drop(previous);
    }

    pub fn demo_running(&self) -> bool {
        self.state.with(|world| world.demo.is_some())
    }
}
