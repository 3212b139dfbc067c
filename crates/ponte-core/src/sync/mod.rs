//! The engine: poll → plan → apply, one order at a time, exactly once (R8).
//!
//! 1. Poll: paid orders created since activation and updated since the cursor (minus an
//!    overlap) are written to the ledger as `queued` in one transaction with the new cursor.
//! 2. Recover: an order left `importing` by a crash is looked up in Conta Azul by the sale
//!    number recorded before the sale was sent; found and ours, it is done; absent, it is
//!    queued again.
//! 3. Apply: customer (R11–R12), products (R10), the sale (R9, R13–R15). The sale number is
//!    recorded before the sale is created. Failures are classified (R18–R21) and never block
//!    the other orders; an authorization failure switches the integration off (R5).

mod events;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

pub use events::{Event, Events};

use crate::contaazul::ContaAzulClient;
use crate::error::{Error, Problem, Result};
use crate::failpoint::fail_point;
use crate::nuvemshop::{NuvemshopClient, Order};
use crate::rules::customer::{customer_draft, matching_customer, CustomerDraft};
use crate::rules::eligibility::{eligibility, Eligibility};
use crate::rules::failure::classify_refusal;
use crate::rules::product::{match_product, new_product, ProductMatch};
use crate::rules::sale::{new_venda, sale_draft};
use crate::store::{LedgerOrder, OrderState, Seen, SeenState, Seller, Store};
use crate::time::SharedClock;

/// How far back each poll looks past the cursor, for orders that changed while a page was read.
const OVERLAP: Duration = Duration::minutes(10);
/// Pages per poll: Nuvemshop refuses to go past 10,000 results (200 × 50).
const MAX_PAGES: u32 = 50;
/// A transient failure that persists this many times is shown to the merchant.
const TRANSIENT_ATTEMPTS: u32 = 6;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PassReport {
    pub new_orders: usize,
    pub imported: usize,
    pub failed: usize,
    /// Left for a later pass after a transient failure.
    pub deferred: usize,
    /// The listing failed this time (the service was unreachable or sent a bad page).
    pub poll_failed: bool,
}

pub struct Engine {
    pub store: Arc<Store>,
    pub nuvemshop: NuvemshopClient,
    pub contaazul: ContaAzulClient,
    pub clock: SharedClock,
    pub events: Events,
}

enum Outcome {
    Imported,
    Failed,
    Deferred,
}

/// Ids already resolved in this pass, so that one pass asks Conta Azul once per customer and
/// product.
#[derive(Default)]
struct PassCache {
    customers: HashMap<String, String>,
    products: HashMap<String, String>,
}

impl Engine {
    /// One full pass. `Err` only when the pass could not run (switched off, not connected,
    /// access revoked); failed orders are recorded, not returned.
    pub async fn run_pass(&self) -> Result<PassReport> {
        let settings = self.store.settings()?;
        if !settings.enabled {
            return Err(Error::Disabled);
        }
        let activated_at = settings.activated_at.ok_or(Error::Disabled)?;
        let seller = settings.seller.clone().ok_or(Error::NoSeller)?;
        self.events.send(Event::SyncStarted);
        let result = self.pass(activated_at, settings.cursor, &seller).await;
        match &result {
            Err(error @ (Error::NuvemshopAccessRevoked | Error::ContaAzulAccessRevoked)) => {
                // R5: off, and why; nothing is lost, the cursor has not moved past anything.
                let problem = error.problem();
                self.store.disable_with_reason(&problem)?;
                tracing::warn!(%error, "integration switched itself off");
                self.events.send(Event::IntegrationDisabled(problem));
            }
            Err(error) => tracing::warn!(%error, "sync pass stopped"),
            Ok(report) => tracing::info!(?report, "sync pass done"),
        }
        if !matches!(result, Err(Error::SimulatedCrash(_))) {
            self.store.set_last_sync(self.clock.now())?;
        }
        self.events.send(Event::SyncFinished);
        result
    }

    async fn pass(
        &self,
        activated_at: DateTime<Utc>,
        cursor: Option<DateTime<Utc>>,
        seller: &Seller,
    ) -> Result<PassReport> {
        let mut report = PassReport::default();
        match self.poll(activated_at, cursor).await {
            Ok(new) => report.new_orders = new,
            // A bad or missing page only delays the listing: what is queued still goes out.
            Err(error) if error.is_transient() => {
                tracing::warn!(%error, "could not list the orders this time");
                report.poll_failed = true;
            }
            Err(error) => return Err(error),
        }
        for order in self.store.in_state(OrderState::Importing)? {
            self.recover(&order).await?;
        }
        let mut cache = PassCache::default();
        let started = self.clock.now();
        while let Some(order) = self.store.next_queued(started)? {
            let outcome = self.import(&order, seller, &mut cache).await;
            self.keep_audit(order.order_id)?;
            match outcome? {
                Outcome::Imported => report.imported += 1,
                Outcome::Failed => report.failed += 1,
                Outcome::Deferred => report.deferred += 1,
            }
            if let Some(now) = self.store.order(order.order_id)? {
                self.events.send(Event::OrderChanged {
                    order_id: now.order_id,
                    state: now.state,
                });
            }
        }
        Ok(report)
    }

    fn keep_audit(&self, order_id: u64) -> Result<()> {
        let mut exchanges = self.nuvemshop.recorder().take();
        exchanges.extend(self.contaazul.recorder().take());
        self.store
            .append_audit(order_id, &exchanges, self.clock.now())
    }

    /// Lists what changed and records it; answers how many orders were new.
    async fn poll(
        &self,
        activated_at: DateTime<Utc>,
        cursor: Option<DateTime<Utc>>,
    ) -> Result<usize> {
        let updated_min = cursor.map(|cursor| cursor - OVERLAP);
        let mut seen = Vec::new();
        let mut newest = cursor;
        let mut complete = true;
        let mut page = 1;
        loop {
            let Some(found) = self
                .nuvemshop
                .paid_orders_page(activated_at, updated_min, page)
                .await?
            else {
                break;
            };
            for value in found.orders {
                match self.seen(&value, activated_at) {
                    Ok((entry, updated_at)) => {
                        newest = newest.max(Some(updated_at));
                        seen.extend(entry);
                    }
                    Err(()) => complete = false,
                }
            }
            if page >= MAX_PAGES {
                tracing::warn!("more than 10,000 changed orders; the rest waits for the next poll");
                complete = false;
                break;
            }
            page += 1;
        }
        // The listing itself is not an order's story: keep it out of the audits.
        self.nuvemshop.recorder().take();
        // Never move the cursor past an order that could not be recorded.
        let cursor = if complete { newest } else { None };
        fail_point!("poll_before_record");
        let new = self.store.record_seen(&seen, cursor, self.clock.now())?;
        if new > 0 {
            self.events.send(Event::OrdersFound(new));
        }
        Ok(new)
    }

    /// An order of the page as the ledger takes it, with its `updated_at`.
    fn seen(
        &self,
        value: &serde_json::Value,
        activated_at: DateTime<Utc>,
    ) -> std::result::Result<(Option<Seen>, DateTime<Utc>), ()> {
        let payload = value.to_string();
        match Order::parse(value) {
            Ok(order) => {
                let state = match eligibility(&order, activated_at) {
                    Eligibility::Import => SeenState::Queued,
                    Eligibility::Skip(reason) => SeenState::Skipped(reason),
                    Eligibility::NotYet => return Ok((None, order.updated_at)),
                };
                Ok((
                    Some(Seen {
                        order_id: order.id,
                        number: order.number,
                        state,
                        customer_name: order.buyer_name().map(str::to_string),
                        total: Some(format!("{:.2}", order.total)),
                        created_at: Some(order.created_at),
                        paid_at: order.paid_at,
                        payload,
                    }),
                    order.updated_at,
                ))
            }
            Err((Some(id), detail)) => {
                tracing::warn!(order = id, %detail, "unreadable order");
                let number = value
                    .get("number")
                    .and_then(|n| n.as_u64().or_else(|| n.as_str()?.parse().ok()));
                Ok((
                    Some(Seen {
                        order_id: id,
                        number: number.unwrap_or(0),
                        state: SeenState::Failed(unreadable_order(&detail)),
                        customer_name: None,
                        total: None,
                        created_at: None,
                        paid_at: None,
                        payload,
                    }),
                    // Without a readable updated_at, keep the cursor where the others put it.
                    activated_at,
                ))
            }
            Err((None, detail)) => {
                tracing::warn!(%detail, "an order without an id; the cursor stays");
                Err(())
            }
        }
    }

    /// After a crash between recording the sale number and marking the order: is the sale in
    /// Conta Azul?
    async fn recover(&self, order: &LedgerOrder) -> Result<()> {
        let now = self.clock.now();
        let Some(numero) = order.sale_number else {
            return self.store.requeue(order.order_id, now, now);
        };
        match self.find_own_sale(numero, order.number).await? {
            Some(sale_id) => {
                tracing::info!(
                    order = order.order_id,
                    numero,
                    "recovered a sale created before a crash"
                );
                self.store
                    .mark_imported(order.order_id, &sale_id, numero, now)
            }
            None => self.store.requeue(order.order_id, now, now),
        }
    }

    /// The sale with this number, if it is the one Ponte made for this order.
    async fn find_own_sale(&self, numero: i64, order_number: u64) -> Result<Option<String>> {
        let Some(found) = self.contaazul.venda_by_number(numero).await? else {
            return Ok(None);
        };
        let notes = self
            .contaazul
            .venda_notes(&found.id)
            .await?
            .unwrap_or_default();
        Ok(notes
            .contains(&format!("Pedido Nuvemshop #{order_number}"))
            .then_some(found.id))
    }

    async fn import(
        &self,
        ledger: &LedgerOrder,
        seller: &Seller,
        cache: &mut PassCache,
    ) -> Result<Outcome> {
        let id = ledger.order_id;
        let parsed = ledger
            .payload
            .as_deref()
            .ok_or_else(|| "no payload".to_string())
            .and_then(|payload| {
                serde_json::from_str::<serde_json::Value>(payload).map_err(|e| e.to_string())
            })
            .and_then(|value| Order::parse(&value).map_err(|(_, e)| e));
        let order = match parsed {
            Ok(order) => order,
            Err(detail) => return self.fail(id, unreadable_order(&detail)),
        };
        let (customer, draft) = match (customer_draft(&order), sale_draft(&order)) {
            (Ok(customer), Ok(draft)) => (customer, draft),
            (Err(problem), _) | (_, Err(problem)) => return self.fail(id, problem),
        };
        match self
            .create(&order, ledger, &customer, &draft, seller, cache)
            .await
        {
            Ok(outcome) => Ok(outcome),
            Err(error) if error.is_transient() => self.defer(ledger, &error),
            Err(error) => Err(error),
        }
    }

    async fn create(
        &self,
        order: &Order,
        ledger: &LedgerOrder,
        customer: &CustomerDraft,
        draft: &crate::rules::sale::SaleDraft,
        seller: &Seller,
        cache: &mut PassCache,
    ) -> Result<Outcome> {
        let id = ledger.order_id;
        let customer_id = match self.resolve_customer(customer, cache).await? {
            Ok(customer_id) => customer_id,
            Err(problem) => return self.fail(id, problem),
        };
        fail_point!("after_customer");
        let mut product_ids = Vec::with_capacity(draft.lines.len());
        for line in &draft.lines {
            match self
                .resolve_product(&line.description, line.unit_price, cache)
                .await?
            {
                Ok(product_id) => product_ids.push(product_id),
                Err(problem) => return self.fail(id, problem),
            }
            fail_point!("after_product");
        }
        let numero = self.contaazul.next_sale_number().await?;
        // R8: the intent is on disk before the sale is sent.
        self.store.begin_import(id, numero, self.clock.now())?;
        fail_point!("after_intent");
        let venda = new_venda(draft, &customer_id, &product_ids, &seller.id, numero);
        match self.contaazul.create_venda(&venda).await {
            Ok(Ok(created)) => {
                fail_point!("after_sale_created");
                self.store
                    .mark_imported(id, &created.id, created.numero, self.clock.now())?;
                tracing::info!(order = order.number, sale = created.numero, "imported");
                Ok(Outcome::Imported)
            }
            Ok(Err(refused)) => {
                let message = crate::contaazul::assumptions::error_message(&refused.body);
                if crate::contaazul::assumptions::is_number_taken(refused.status, &message) {
                    // Someone took the number in between: queue again for a fresh one.
                    let now = self.clock.now();
                    self.store.requeue(id, now, now)?;
                    return Ok(Outcome::Deferred);
                }
                let descriptions: Vec<String> =
                    draft.lines.iter().map(|l| l.description.clone()).collect();
                self.fail(
                    id,
                    classify_refusal(refused.status, &refused.body, &descriptions),
                )
            }
            Err(error) if error.is_transient() => {
                // The sale may or may not exist: look before anything is sent again.
                match self.find_own_sale(numero, order.number).await {
                    Ok(Some(sale_id)) => {
                        self.store
                            .mark_imported(id, &sale_id, numero, self.clock.now())?;
                        Ok(Outcome::Imported)
                    }
                    Ok(None) => self.defer(ledger, &error),
                    // Still unreachable: the order stays `importing` and the next pass looks.
                    Err(lookup) if lookup.is_transient() => Ok(Outcome::Deferred),
                    Err(lookup) => Err(lookup),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// R11–R12: the customer's id, reused or created; a refusal becomes the order's problem.
    async fn resolve_customer(
        &self,
        draft: &CustomerDraft,
        cache: &mut PassCache,
    ) -> Result<std::result::Result<String, Problem>> {
        let key = format!(
            "{}|{}",
            crate::rules::same_text_key(&draft.name),
            draft.document.as_ref().map(|d| d.digits()).unwrap_or("")
        );
        if let Some(id) = cache.customers.get(&key) {
            return Ok(Ok(id.clone()));
        }
        let candidates = match &draft.document {
            Some(document) => {
                let query = if crate::contaazul::assumptions::SEARCH_DOCUMENTS_FORMATTED {
                    document.formatted()
                } else {
                    document.digits().to_string()
                };
                self.contaazul.pessoas_by_document(&query).await?
            }
            None => self.contaazul.pessoas_by_name(&draft.name).await?,
        };
        let id = match matching_customer(draft, &candidates) {
            Some(found) => found.id.clone(),
            None => match self.contaazul.create_pessoa(&draft.to_new_pessoa()).await? {
                Ok(id) => id,
                Err(refused) => {
                    let message = crate::contaazul::assumptions::error_message(&refused.body);
                    return Ok(Err(Problem::new(
                        "CUSTOMER_REFUSED",
                        format!("A Conta Azul não aceitou o cadastro do cliente “{}”: {message}", draft.name),
                        "Confira os dados do cliente no pedido (nome, CPF/CNPJ, e-mail) e clique em \
                         Tentar novamente. Se continuar, use Copiar relatório para o suporte.",
                    )
                    .with_details(refused.body)));
                }
            },
        };
        cache.customers.insert(key, id.clone());
        Ok(Ok(id))
    }

    /// R10: the product with the same description, or a new one.
    async fn resolve_product(
        &self,
        description: &str,
        price: rust_decimal::Decimal,
        cache: &mut PassCache,
    ) -> Result<std::result::Result<String, Problem>> {
        let key = crate::rules::same_text_key(description);
        if let Some(id) = cache.products.get(&key) {
            return Ok(Ok(id.clone()));
        }
        let candidates = self.contaazul.produtos_by_text(description).await?;
        let id = match match_product(description, &candidates) {
            ProductMatch::Reuse(id) => id,
            ProductMatch::Unusable(problem) => return Ok(Err(problem)),
            ProductMatch::Create => match self
                .contaazul
                .create_produto(&new_product(description, price))
                .await?
            {
                Ok(id) => id,
                Err(refused) => {
                    return Ok(Err(classify_refusal(
                        refused.status,
                        &refused.body,
                        &[description.to_string()],
                    )))
                }
            },
        };
        cache.products.insert(key, id.clone());
        Ok(Ok(id))
    }

    fn fail(&self, order_id: u64, problem: Problem) -> Result<Outcome> {
        tracing::info!(order = order_id, code = %problem.code, "order failed");
        self.store
            .mark_failed(order_id, &problem, self.clock.now())?;
        self.events.send(Event::OrderFailed {
            order_id,
            problem: problem.clone(),
        });
        Ok(Outcome::Failed)
    }

    /// A transient failure: try again later, with growing pauses; shown only if it persists.
    fn defer(&self, ledger: &LedgerOrder, error: &Error) -> Result<Outcome> {
        let attempts = ledger.attempts + 1;
        if attempts >= TRANSIENT_ATTEMPTS {
            return self.fail(ledger.order_id, error.problem());
        }
        let now = self.clock.now();
        let pause = Duration::seconds(30 * (1 << attempts.min(6)));
        tracing::info!(order = ledger.order_id, %error, ?pause, "deferred");
        self.store.requeue(ledger.order_id, now + pause, now)?;
        Ok(Outcome::Deferred)
    }
}

fn unreadable_order(detail: &str) -> Problem {
    Problem::new(
        "INVALID_ORDER_DATA",
        "Os dados deste pedido vieram num formato que o Ponte não entende.",
        "Clique em Tentar novamente. Se continuar, use Copiar relatório para o suporte.",
    )
    .with_details(detail.to_string())
}
