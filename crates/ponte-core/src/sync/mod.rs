//! The engine: poll → recover → apply, several orders in flight, each exactly once (R8).
//!
//! 1. Poll: paid orders created since activation and updated since the cursor (minus an
//!    overlap) are written to the ledger as `queued` in one transaction with the new cursor,
//!    window by window under Nuvemshop's result cap.
//! 2. Advance each due order, those whose sale may already exist first: `decide::next_step`
//!    says what to do from the ledger row and Conta Azul's last answer; this module carries it
//!    out (customer R11–R12, products R10, the sale R9, R13–R15, lookups by number and note).
//!    A few orders are in flight at once, so that the network's latency does not keep Conta
//!    Azul's rate limit idle; what they share (`shared`) resolves each customer and product
//!    once and hands sale numbers out in the order of payment.
//! 3. Only what stops every order ends a pass: access revoked (R5), a suspended store, a
//!    service that cannot be reached, the local database. Anything else that goes wrong with
//!    one order becomes that order's failure or wait, and the pass goes on (R18).

mod decide;
mod events;
mod order;
mod owner_note;
mod poll;
mod resolve;
pub(crate) mod shared;
mod watch;

pub(crate) use resolve::{customer_key, product_key};

use std::sync::atomic::Ordering;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use serde::Serialize;

pub use decide::{
    next_step, Answer, Lookup, Progress, Step, Why, INDEX_SETTLE, LOOKUP_GRACE, RECHECK,
    RETRY_PAUSE,
};
pub use events::{Event, Events};

use crate::contaazul::wire::ProdutoSummary;
use crate::contaazul::ContaAzulClient;
use crate::error::{Error, Result, Service};
use crate::failpoint::fail_point;
use crate::nuvemshop::window::Paged;
use crate::nuvemshop::{NuvemshopClient, Order};
use crate::problem::Problem;
use crate::rules::customer::{customer_draft, matching_customer, CustomerDraft};
use crate::rules::eligibility::{eligibility, without_id_reason, Eligibility};
use crate::rules::failure::classify_refusal;
use crate::rules::product::{match_by_sku, match_product, new_product, ProductMatch};
use crate::rules::sale::{is_note_of, new_venda, sale_draft, SaleDraft, SaleLine};
use crate::store::{LedgerOrder, OrderState, Remembered, Seen, SeenState, Seller, Store};
use crate::time::SharedClock;
use shared::{PassShared, Resolved, Turn, Unresolved};

/// How long the exchanges of an order are kept for its support report (R21).
const AUDIT_RETENTION: Duration = Duration::days(90);
/// How far back each poll looks past the cursor, for orders that changed while a page was read.
const OVERLAP: Duration = Duration::minutes(10);
/// How far ahead of this computer's clock Nuvemshop's timestamps may run: the end of the open
/// listing window when it has to be narrowed.
const CLOCK_SKEW: Duration = Duration::hours(1);
/// A transient failure before any sale was sent that persists this many times is shown to
/// the merchant.
const TRANSIENT_ATTEMPTS: u32 = 6;
/// Sales one order may send in one pass; a bound, so that no run of answers keeps a pass busy.
const MAX_SENDS: usize = 3;
/// Orders advanced at once. With a real network's latency (100–200 ms a call) one request in
/// flight leaves Conta Azul's 10 requests a second unused; a few keep it busy, and the pacer
/// keeps them under the limit.
pub(crate) const IN_FLIGHT: usize = 4;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PassReport {
    pub new_orders: usize,
    pub imported: usize,
    pub failed: usize,
    /// Left for a later pass: a transient failure, or a sale that may exist and is waited for.
    pub deferred: usize,
    /// The listing failed this time (the service was unreachable or sent a bad page).
    pub poll_failed: bool,
    /// The integration was switched off during the pass; what was left waits for it.
    pub interrupted: bool,
    /// Imported orders newly found cancelled or refunded in Nuvemshop.
    pub changed_after_import: usize,
}

pub struct Engine {
    pub store: Arc<Store>,
    pub nuvemshop: NuvemshopClient,
    pub contaazul: ContaAzulClient,
    pub clock: SharedClock,
    pub events: Events,
    /// Set when the pass must stop between two orders (the scheduler stopping).
    pub interrupt: Arc<std::sync::atomic::AtomicBool>,
    /// The company shared with other profiles: its customers, products and sale numbers are
    /// found, created and handed out one profile at a time.
    pub company: Option<Arc<crate::company::Company>>,
    /// The store a sale's note names besides its order: its id while the company is shared
    /// (`rules::sale::order_note`), none otherwise.
    pub note_store: Option<String>,
}

enum Outcome {
    Imported,
    Failed,
    Deferred,
    /// Switched off (or the pass ended) before anything was sent for it: left as it was.
    Interrupted,
}

/// Whether an error stops every order, not only the one being imported: access revoked (R5),
/// a suspended store, a service that cannot be reached, the local database. An answer about
/// one order (a 4xx, a 5xx, a body that does not decode) concerns that order only.
fn ends_the_pass(error: &Error) -> bool {
    !matches!(
        error,
        Error::Api { .. } | Error::Unreadable { .. } | Error::NotFound(_)
    )
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
            Err(
                error @ (Error::NuvemshopAccessRevoked
                | Error::ContaAzulAccessRevoked
                | Error::NuvemshopSuspended),
            ) => {
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
            self.store.prune_audit(self.clock.now() - AUDIT_RETENTION)?;
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
            Err(error) if error.is_transient() || !ends_the_pass(&error) => {
                tracing::warn!(%error, "could not list the orders this time");
                report.poll_failed = true;
            }
            Err(error) => return Err(error),
        }
        let options = self.store.settings()?.options;
        let shared = PassShared {
            payments: self.store.payment_mapping()?,
            match_by_sku: options.match_by_sku,
            write_owner_note: options.write_owner_note,
            ..PassShared::in_company(self.company.clone())
        };
        // Exchanges of orders a previous pass left unfinished (it ended on an error) are not
        // kept for ever; those orders record their story again when advanced.
        self.nuvemshop.recorder().clear();
        self.contaazul.recorder().clear();
        let due = self.store.due(self.clock.now())?;
        let total = due.len();
        let mut done = 0;
        let mut in_flight = futures_util::stream::iter(due.into_iter().enumerate())
            .map(|(place, order_id)| {
                let turn = shared.numbering.turn(place);
                let advanced = self.advance_due(order_id, seller, &shared, turn);
                crate::http::for_order(order_id, async move { (order_id, advanced.await) })
            })
            .buffer_unordered(IN_FLIGHT);
        let mut ended: Option<Error> = None;
        while let Some((order_id, outcome)) = in_flight.next().await {
            done += 1;
            self.events.send(Event::Progress { done, total });
            let outcome = match outcome {
                Ok(outcome) => outcome,
                // What ends the pass: the orders in flight finish their step, the others
                // are not started.
                Err(error) => {
                    shared.stopping.store(true, Ordering::SeqCst);
                    ended.get_or_insert(error);
                    None
                }
            };
            self.keep_audit(order_id)?;
            match outcome {
                None => continue,
                Some(Outcome::Imported) => report.imported += 1,
                Some(Outcome::Failed) => report.failed += 1,
                Some(Outcome::Deferred) => report.deferred += 1,
                Some(Outcome::Interrupted) => {
                    report.interrupted = true;
                    continue;
                }
            }
            if let Some(now) = self.store.order(order_id)? {
                self.events.send(Event::OrderChanged {
                    order_id: now.order_id,
                    state: now.state,
                });
            }
        }
        if let Some(error) = ended {
            return Err(error);
        }
        // After the sales went out: what changed in Nuvemshop since they were imported — not
        // while Nuvemshop is failing, nor when the pass is being stopped.
        if !report.poll_failed && !report.interrupted && !self.interrupt.load(Ordering::SeqCst) {
            report.changed_after_import = self.watch_after_import(cursor).await;
        }
        Ok(report)
    }

    /// Whether nothing more may be created in this pass: switched off (R4), the scheduler
    /// stopping, or something that ended the pass.
    fn stopping(&self, shared: &PassShared) -> Result<bool> {
        Ok(shared.stopping.load(Ordering::SeqCst)
            || self.interrupt.load(Ordering::SeqCst)
            || !self.store.settings()?.enabled)
    }

    /// One due order, read again from the ledger (another process may have moved it), taken as
    /// far as it goes; `None` when it is no longer due.
    async fn advance_due(
        &self,
        order_id: u64,
        seller: &Seller,
        shared: &PassShared,
        turn: Turn<'_>,
    ) -> Result<Option<Outcome>> {
        // R4: switched off (or stopping) between two orders, nothing more is sent.
        if self.stopping(shared)? {
            return Ok(Some(Outcome::Interrupted));
        }
        let Some(order) = self.store.order(order_id)? else {
            return Ok(None);
        };
        if !matches!(order.state, OrderState::Queued | OrderState::Importing) {
            return Ok(None);
        }
        self.advance(&order, seller, shared, turn).await.map(Some)
    }

    fn keep_audit(&self, order_id: u64) -> Result<()> {
        let mut exchanges = self.nuvemshop.recorder().take_for(order_id);
        exchanges.extend(self.contaazul.recorder().take_for(order_id));
        self.store
            .append_audit(order_id, &exchanges, self.clock.now())
    }

    /// R12: the id of the customer with the same name and document, if Conta Azul has one.
    pub(crate) async fn find_customer(
        &self,
        draft: &CustomerDraft,
        shared: &PassShared,
    ) -> Result<Option<String>> {
        let base = shared
            .customer_base
            .get_or_try_init(|| async {
                let (first, total) = self.contaazul.pessoas_first_page().await?;
                Ok::<_, Error>((total <= first.len() as u64).then_some(first))
            })
            .await?;
        let whole = base
            .as_ref()
            .map(|base| matching_customer(draft, base).map(|found| found.id.clone()));
        let found = match (whole, &draft.document) {
            (Some(found), _) => found,
            // The digits first (what public clients of the API send), then the formatted
            // document; either way the candidates are compared here, by digits and name.
            (None, Some(document)) => {
                let by_digits = self
                    .contaazul
                    .pessoas_by_document(document.digits())
                    .await?;
                match matching_customer(draft, &by_digits) {
                    Some(found) => Some(found.id.clone()),
                    None => {
                        let formatted = self
                            .contaazul
                            .pessoas_by_document(&document.formatted())
                            .await?;
                        matching_customer(draft, &formatted).map(|found| found.id.clone())
                    }
                }
            }
            (None, None) => {
                let by_name = self.contaazul.pessoas_by_name(&draft.name).await?;
                matching_customer(draft, &by_name).map(|found| found.id.clone())
            }
        };
        Ok(found)
    }

    /// R10 beyond: the product whose code is the line's SKU, when matching by SKU and one has
    /// it; `None` otherwise (the description decides).
    pub(crate) async fn find_product_by_sku(
        &self,
        line: &SaleLine,
        shared: &PassShared,
    ) -> Result<Option<ProductMatch>> {
        let Some(sku) = line.sku.as_deref().filter(|_| shared.match_by_sku) else {
            return Ok(None);
        };
        let catalogue = shared
            .catalogue
            .get_or_try_init(|| self.whole_catalogue())
            .await?;
        if let Some(catalogue) = catalogue {
            return Ok(match_by_sku(sku, &line.description, catalogue));
        }
        let mut candidates = self.contaazul.produtos_by_sku(sku, "ATIVO").await?;
        if match_by_sku(sku, &line.description, &candidates).is_none() {
            candidates.extend(self.contaazul.produtos_by_sku(sku, "INATIVO").await?);
        }
        Ok(match_by_sku(sku, &line.description, &candidates))
    }

    /// R10: what the product with this description would be: reused, created, or a problem.
    pub(crate) async fn find_product(
        &self,
        description: &str,
        shared: &PassShared,
    ) -> Result<ProductMatch> {
        let catalogue = shared
            .catalogue
            .get_or_try_init(|| self.whole_catalogue())
            .await?;
        let matched = match catalogue {
            Some(catalogue) => match_product(description, catalogue),
            None => {
                let mut candidates = self
                    .contaazul
                    .produtos_by_text(description, "ATIVO")
                    .await?;
                if matches!(
                    match_product(description, &candidates),
                    ProductMatch::Create
                ) {
                    candidates.extend(
                        self.contaazul
                            .produtos_by_text(description, "INATIVO")
                            .await?,
                    );
                }
                match_product(description, &candidates)
            }
        };
        Ok(matched)
    }

    fn fail(&self, order_id: u64, problem: Problem) -> Result<Outcome> {
        tracing::info!(order = order_id, code = %problem.code, "order failed");
        self.store
            .mark_failed(order_id, &problem, self.clock.now())?;
        let number = self
            .store
            .order(order_id)?
            .map_or(order_id, |order| order.number);
        self.events.send(Event::OrderFailed {
            order_id,
            number,
            problem: problem.clone(),
        });
        Ok(Outcome::Failed)
    }

    /// A transient failure before any sale was sent: try again later, with growing pauses;
    /// shown only if it persists.
    fn defer(&self, ledger: &LedgerOrder, error: &Error) -> Result<Outcome> {
        let attempts = ledger.attempts + 1;
        if attempts >= TRANSIENT_ATTEMPTS {
            return self.fail(ledger.order_id, error.problem());
        }
        let now = self.clock.now();
        let pause = backoff(attempts);
        tracing::info!(order = ledger.order_id, %error, ?pause, "deferred");
        self.store.requeue(ledger.order_id, now + pause, now)?;
        Ok(Outcome::Deferred)
    }
}

/// 1, 2, 4… minutes, at most an hour.
fn backoff(attempts: u32) -> Duration {
    Duration::seconds(30 * (1 << attempts.clamp(1, 7)))
}

fn service_of(error: &Error) -> &'static str {
    match error {
        Error::Api { service, .. }
        | Error::Unreadable { service, .. }
        | Error::Unreachable { service, .. }
        | Error::NoAnswer { service, .. } => service.name(),
        _ => Service::Contaazul.name(),
    }
}
