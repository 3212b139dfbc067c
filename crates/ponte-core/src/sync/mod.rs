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
mod owner_note;
pub(crate) mod shared;
mod watch;

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
}

enum Outcome {
    Imported,
    Failed,
    Deferred,
    /// Switched off (or the pass ended) before anything was sent for it: left as it was.
    Interrupted,
}

/// An order's sale with everything resolved but its number.
struct Prepared {
    draft: SaleDraft,
    customer_id: String,
    product_ids: Vec<String>,
    /// The keys whose ids came from an earlier pass: forgotten if Conta Azul refuses the sale.
    remembered: Vec<(Remembered, String)>,
}

/// What a listing window gave.
enum Window {
    /// More results than one query may reach: narrow it (`refused`: how the API said so).
    TooBig { refused: Option<Error> },
    /// Its orders are in the ledger, page by page, so that a long listing is never held whole.
    Read {
        recorded: usize,
        newest: Option<DateTime<Utc>>,
        /// Every order of the window could be recorded.
        complete: bool,
    },
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
            ..PassShared::default()
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

    /// Lists what changed and records it; answers how many orders were new. The listing is
    /// read in `updated_at` windows that each stay under Nuvemshop's result cap, and the cursor
    /// moves after each window, so a flood of changes is read in several passes at worst and
    /// never re-read from the start forever.
    async fn poll(
        &self,
        activated_at: DateTime<Utc>,
        cursor: Option<DateTime<Utc>>,
    ) -> Result<usize> {
        let now = self.clock.now();
        let mut from = cursor.map(|cursor| cursor - OVERLAP);
        let mut upper: Option<DateTime<Utc>> = None;
        let mut newest = cursor;
        let mut new = 0;
        loop {
            match self.read_window(activated_at, from, upper).await? {
                Window::TooBig { refused } => {
                    let start = from.unwrap_or(activated_at);
                    let end = upper.unwrap_or(now + CLOCK_SKEW).max(start);
                    if end - start <= Duration::seconds(1) {
                        // Refused even for one second: the refusal was not the cap's.
                        if let Some(error) = refused {
                            return Err(error);
                        }
                        tracing::warn!(%start, "more changed orders in one second than a query may list");
                        return Ok(new);
                    }
                    upper = Some(start + (end - start) / 2);
                }
                Window::Read {
                    recorded,
                    newest: seen_newest,
                    complete,
                } => {
                    newest = newest.max(seen_newest);
                    // Never move the cursor past an order that could not be recorded.
                    let moved = match (complete, upper) {
                        (false, _) => None,
                        // Never back: a window may start before the cursor (the overlap).
                        (true, Some(to)) => Some(to).max(cursor),
                        (true, None) => newest,
                    };
                    if moved.is_some() {
                        self.store.record_seen(&[], moved, self.clock.now())?;
                    }
                    if recorded > 0 {
                        self.events.send(Event::OrdersFound { count: recorded });
                    }
                    new += recorded;
                    match (complete, upper) {
                        (true, Some(to)) => {
                            from = Some(to);
                            newest = newest.max(Some(to));
                            upper = None;
                        }
                        _ => return Ok(new),
                    }
                }
            }
        }
    }

    async fn read_window(
        &self,
        activated_at: DateTime<Utc>,
        from: Option<DateTime<Utc>>,
        upper: Option<DateTime<Utc>>,
    ) -> Result<Window> {
        let query = crate::nuvemshop::client::OrdersQuery {
            paid_only: true,
            only: None,
            created_min: activated_at,
            created_max: None,
            updated_min: from,
            updated_max: upper,
        };
        let mut recorded = 0;
        let mut newest = None;
        let mut complete = true;
        let paged = crate::nuvemshop::window::read(&self.nuvemshop, &query, |orders| {
            let mut seen = Vec::with_capacity(orders.len());
            for value in orders {
                let (entry, updated_at) = self.seen(&value, activated_at);
                match updated_at {
                    Some(updated_at) => newest = newest.max(Some(updated_at)),
                    // Without a readable updated_at, this order cannot vouch for the cursor.
                    None => complete = false,
                }
                seen.extend(entry);
            }
            // Recorded without moving the cursor: that waits for the whole window.
            fail_point!("poll_before_record");
            recorded += self.store.record_seen(&seen, None, self.clock.now())?;
            Ok(())
        })
        .await?;
        Ok(match paged {
            Paged::TooBig { refused } => Window::TooBig { refused },
            Paged::Read => Window::Read {
                recorded,
                newest,
                complete,
            },
        })
    }

    /// An order of the page as the ledger takes it, with its `updated_at` when readable.
    fn seen(
        &self,
        value: &serde_json::Value,
        activated_at: DateTime<Utc>,
    ) -> (Option<Seen>, Option<DateTime<Utc>>) {
        let payload = value.to_string();
        let number = value
            .get("number")
            .and_then(|n| n.as_u64().or_else(|| n.as_str()?.trim().parse().ok()));
        match Order::parse(value) {
            Ok(order) => {
                let state = match eligibility(&order, activated_at) {
                    Eligibility::Import => SeenState::Queued,
                    Eligibility::Skip(reason) => SeenState::Skipped(reason),
                    Eligibility::NotYet => return (None, Some(order.updated_at)),
                };
                (
                    Some(Seen {
                        order_id: order.id,
                        number: order.number,
                        state,
                        customer_name: order.buyer_name().map(crate::rules::clean_text),
                        total: Some(format!("{:.2}", order.total)),
                        created_at: Some(order.created_at),
                        paid_at: order.paid_at,
                        payload,
                    }),
                    Some(order.updated_at),
                )
            }
            Err((id, detail)) => {
                tracing::warn!(order = ?id, %detail, "unreadable order");
                let updated_at = value
                    .get("updated_at")
                    .and_then(|v| v.as_str())
                    .and_then(crate::time::parse_timestamp);
                let (order_id, state) = match id {
                    Some(id) => (id, SeenState::Failed(Problem::invalid_order(detail))),
                    None => (
                        without_id_key(number, &payload),
                        SeenState::Skipped(without_id_reason()),
                    ),
                };
                (
                    Some(Seen {
                        order_id,
                        number: number.unwrap_or(0),
                        state,
                        customer_name: None,
                        total: None,
                        created_at: None,
                        paid_at: None,
                        payload,
                    }),
                    // Recorded as failed or skipped: it no longer holds the cursor back.
                    updated_at.or(Some(activated_at)),
                )
            }
        }
    }

    /// Takes one order as far as it can go in this pass. `Err` only for what ends the pass.
    async fn advance(
        &self,
        ledger: &LedgerOrder,
        seller: &Seller,
        shared: &PassShared,
        turn: Turn<'_>,
    ) -> Result<Outcome> {
        let mut progress = ledger.progress();
        // Only an order without a number waits for its turn to take one; the others go ahead.
        let turn = matches!(progress, Progress::Queued).then_some(turn);
        match self
            .steps(ledger, &mut progress, seller, shared, turn)
            .await
        {
            Ok(outcome) => Ok(outcome),
            // Switched off before it created anything: as it was.
            Err(Error::Disabled) => Ok(Outcome::Interrupted),
            Err(error) if ends_the_pass(&error) => Err(error),
            Err(error) => {
                let now = self.clock.now();
                match progress {
                    // Before any sale was sent: a passing trouble is tried again, and shown if
                    // it persists; anything else is this order's failure.
                    Progress::Queued if error.is_transient() => self.defer(ledger, &error),
                    Progress::Queued => self.fail(
                        ledger.order_id,
                        Problem::unexpected_answer(service_of(&error))
                            .with_details(error.to_string()),
                    ),
                    // The sale may exist: never failed on a doubt (a retry would send it under
                    // a new number). It keeps its number and is looked at again later.
                    Progress::Sent { .. } => {
                        let pause = backoff(ledger.attempts + 1);
                        tracing::warn!(order = ledger.order_id, %error, ?pause, "waiting on an order whose sale may exist");
                        self.store
                            .wait_after_trouble(ledger.order_id, now + pause, now)?;
                        Ok(Outcome::Deferred)
                    }
                }
            }
        }
    }

    /// Carries out `decide::next_step` until the order is imported, failed or waiting.
    async fn steps(
        &self,
        ledger: &LedgerOrder,
        progress: &mut Progress,
        seller: &Seller,
        shared: &PassShared,
        mut turn: Option<Turn<'_>>,
    ) -> Result<Outcome> {
        let id = ledger.order_id;
        let mut answer = Answer::Start;
        let mut prepared: Option<Prepared> = None;
        let mut sends = 0;
        // The last send was refused (so saved nothing) and its ids are being looked up again.
        let mut refused = false;
        // Nothing was sent for it before this pass: a refusal leaves no doubt about its sale.
        let first_sent_now = matches!(progress, Progress::Queued);
        loop {
            let now = self.clock.now();
            let unique = crate::contaazul::assumptions::SALE_NUMBERS_UNIQUE;
            match next_step(progress, answer, now, unique) {
                Step::Imported { sale_id, numero } => {
                    self.store.mark_imported(id, &sale_id, numero, now)?;
                    tracing::info!(order = ledger.number, sale = numero, "imported");
                    if shared.write_owner_note {
                        self.write_owner_note(id, numero).await?;
                    }
                    return Ok(Outcome::Imported);
                }
                Step::Fail(problem) => return self.fail(id, problem),
                Step::Wait { until } => {
                    tracing::info!(order = ledger.number, %until, "the sale may exist; waiting before sending again");
                    self.store.wait(id, until, now)?;
                    return Ok(Outcome::Deferred);
                }
                Step::LookUp { numero, why } => {
                    answer = Answer::Found(self.look_up(numero, ledger.number, why).await?);
                }
                // Bounded, so that no run of answers keeps the pass on one order.
                Step::Send { .. } if sends >= MAX_SENDS => {
                    return match progress {
                        Progress::Queued => {
                            self.defer(ledger, &Error::NotFound("too many sends".into()))
                        }
                        Progress::Sent { .. } => {
                            self.store.wait(id, now + RECHECK, now)?;
                            Ok(Outcome::Deferred)
                        }
                    };
                }
                Step::Send { numero } => {
                    let sale = match prepared.take() {
                        Some(sale) => sale,
                        None => match self.prepare(ledger, shared).await? {
                            Ok(sale) => sale,
                            // Its sale may exist: never failed on that (a retry would send it
                            // under a new number). It waits, and is looked up again.
                            Err(problem)
                                if matches!(progress, Progress::Sent { .. })
                                    && !(refused && first_sent_now) =>
                            {
                                tracing::warn!(order = ledger.number, code = %problem.code, "cannot rebuild a sale that may exist; waiting");
                                let pause = backoff(ledger.attempts + 1);
                                self.store.wait_after_trouble(id, now + pause, now)?;
                                return Ok(Outcome::Deferred);
                            }
                            Err(problem) => return self.fail(id, problem),
                        },
                    };
                    if let Some(turn) = &turn {
                        turn.wait().await;
                    }
                    // R4: nothing is sent once switched off, even by an order already in flight.
                    if self.stopping(shared)? {
                        return Err(Error::Disabled);
                    }
                    let numero = match numero {
                        // A sale that may exist is sent again only under its own number (R8).
                        Some(numero) => numero,
                        // Handed out once in the pass, whatever its sale's fate.
                        None => loop {
                            if let Some(numero) = shared.numbering.hand_out() {
                                break numero;
                            }
                            shared
                                .numbering
                                .read(self.contaazul.next_sale_number().await?);
                        },
                    };
                    // R8: the number and the moment are on disk before the sale is sent.
                    let now = self.clock.now();
                    self.store.begin_import(id, numero, now)?;
                    // Numbered: the next order may take its number while this sale travels.
                    turn = None;
                    let taken = matches!(progress, Progress::Sent { numero: kept, taken: true, .. } if *kept == numero);
                    *progress = Progress::Sent {
                        numero,
                        sent_at: now,
                        taken,
                    };
                    fail_point!("after_intent");
                    sends += 1;
                    answer = self.send(&sale, seller, numero, &shared.payments).await?;
                    if let Answer::Refused(problem) = &answer {
                        // A stock refusal is about stock; any other may be about an id
                        // remembered from an earlier pass (a product deactivated or deleted
                        // since): those are looked up afresh and the sale goes again, once.
                        if !sale.remembered.is_empty()
                            && problem.code != crate::problem::ProblemCode::StockValidation
                        {
                            tracing::info!(
                                order = ledger.number,
                                "refused with remembered ids; looking them up again"
                            );
                            for (kind, key) in &sale.remembered {
                                self.store.forget_id(*kind, key)?;
                                match kind {
                                    Remembered::Customer => shared.customers.forget(key),
                                    Remembered::Product => shared.products.forget(key),
                                }
                            }
                            answer = Answer::RefusedWithStaleIds;
                            refused = true;
                            continue;
                        }
                    }
                    if answer == Answer::NumberTaken {
                        // Someone else numbered a sale: read the next number again.
                        shared.numbering.forget();
                        self.store.mark_number_taken(id, now)?;
                        if let Progress::Sent { taken, .. } = progress {
                            *taken = true;
                        }
                    }
                    prepared = Some(sale);
                }
            }
        }
    }

    /// Sends the sale and says what Conta Azul's answer means for it.
    async fn send(
        &self,
        sale: &Prepared,
        seller: &Seller,
        numero: i64,
        payments: &crate::rules::payment::PaymentMapping,
    ) -> Result<Answer> {
        let venda = new_venda(
            &sale.draft,
            &sale.customer_id,
            &sale.product_ids,
            &seller.id,
            numero,
            payments,
        );
        Ok(match self.contaazul.create_venda(&venda).await {
            Ok(Ok(created)) => {
                fail_point!("after_sale_created");
                Answer::Created {
                    sale_id: created.id,
                    numero: created.numero,
                }
            }
            Ok(Err(refused)) => {
                let message = crate::contaazul::assumptions::error_message(&refused.body);
                if crate::contaazul::assumptions::is_number_taken(refused.status, &message) {
                    Answer::NumberTaken
                } else {
                    let descriptions: Vec<String> = sale
                        .draft
                        .lines
                        .iter()
                        .map(|l| l.description.clone())
                        .collect();
                    let mut problem =
                        classify_refusal(refused.status, &refused.body, &descriptions);
                    if problem.code == crate::problem::ProblemCode::StockValidation {
                        problem.message.push_str(&self.stock_shortfall(sale).await);
                    }
                    Answer::Refused(problem)
                }
            }
            // Never received: nothing can have been saved.
            Err(Error::Unreachable { .. } | Error::Api { status: 429, .. }) => Answer::NotReceived,
            // A 5xx, no answer, or an answer that does not decode: it may have been saved.
            Err(
                error @ (Error::NoAnswer { .. } | Error::Api { .. } | Error::Unreadable { .. }),
            ) => {
                tracing::warn!(%error, numero, "no trustworthy answer to a sale; looking before sending again");
                Answer::Unknown
            }
            Err(error) => return Err(error),
        })
    }

    /// Beside a stock refusal (R19): each line's balance in Conta Azul against the quantity
    /// ordered, where the balance is short and can be read; empty otherwise (the refusal is
    /// what matters, never lost for want of a balance).
    async fn stock_shortfall(&self, sale: &Prepared) -> String {
        // What the order asks of each product, lines of the same product added up.
        let mut wanted: Vec<(&str, &str, rust_decimal::Decimal)> = Vec::new();
        for (line, id) in sale.draft.lines.iter().zip(&sale.product_ids) {
            match wanted
                .iter_mut()
                .find(|(known, _, _)| *known == id.as_str())
            {
                Some((_, _, quantity)) => *quantity += line.quantity,
                None => wanted.push((id, &line.description, line.quantity)),
            }
        }
        let mut short = Vec::new();
        for (id, description, quantity) in wanted {
            let Ok(Some(product)) = self.contaazul.produto(id).await else {
                continue;
            };
            let balance = crate::contaazul::assumptions::product_balance(&product);
            if let Some(balance) = balance.filter(|balance| *balance < quantity) {
                short.push(format!(
                    "“{description}”: saldo {}, no pedido {}",
                    balance.normalize(),
                    quantity.normalize()
                ));
            }
        }
        if short.is_empty() {
            String::new()
        } else {
            format!(" Na Conta Azul, {}.", short.join("; "))
        }
    }

    /// Every sale listed with this number, and whether one of them is this order's (by its
    /// note, read from each sale: R8).
    async fn look_up(&self, numero: i64, order_number: u64, why: Why) -> Result<Lookup> {
        let holders = self.contaazul.vendas_by_number(numero).await?;
        let mut ours = None;
        for sale in &holders {
            let notes = self.contaazul.venda_notes(&sale.id).await?;
            if notes.is_some_and(|notes| is_note_of(&notes, order_number)) {
                ours = Some(sale.id.clone());
                break;
            }
        }
        Ok(Lookup {
            ours,
            holders: holders.len(),
            why,
        })
    }

    /// The sale of an order with its customer and products resolved, or the order's problem.
    async fn prepare(
        &self,
        ledger: &LedgerOrder,
        shared: &PassShared,
    ) -> Result<std::result::Result<Prepared, Problem>> {
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
            Err(detail) => return Ok(Err(Problem::invalid_order(detail))),
        };
        let (customer, draft) = match (customer_draft(&order), sale_draft(&order)) {
            (Ok(customer), Ok(draft)) => (customer, draft),
            (Err(problem), _) | (_, Err(problem)) => return Ok(Err(problem)),
        };
        let mut remembered = Vec::new();
        let customer_key = customer_key(&customer);
        let customer_id = match self.resolve_customer(&customer, shared).await? {
            Ok(Resolved {
                id,
                remembered: old,
            }) => {
                if old {
                    remembered.push((Remembered::Customer, customer_key));
                }
                id
            }
            Err(problem) => return Ok(Err(problem)),
        };
        fail_point!("after_customer");
        let mut product_ids = Vec::with_capacity(draft.lines.len());
        for line in &draft.lines {
            match self.resolve_product(line, shared).await? {
                Ok(Resolved {
                    id,
                    remembered: old,
                }) => {
                    if old {
                        remembered
                            .push((Remembered::Product, product_key(line, shared.match_by_sku)));
                    }
                    product_ids.push(id);
                }
                Err(problem) => return Ok(Err(problem)),
            }
            fail_point!("after_product");
        }
        Ok(Ok(Prepared {
            draft,
            customer_id,
            product_ids,
            remembered,
        }))
    }

    /// R11–R12: the customer's id — remembered from an earlier pass, reused or created; a
    /// refusal becomes the order's problem.
    async fn resolve_customer(
        &self,
        draft: &CustomerDraft,
        shared: &PassShared,
    ) -> Result<std::result::Result<Resolved, Problem>> {
        let key = customer_key(draft);
        let cell = shared.customers.cell(&key);
        let resolved = cell
            .get_or_try_init(|| {
                self.remembered_or(Remembered::Customer, &key, async {
                    self.find_or_create_customer(draft, shared).await
                })
            })
            .await;
        unresolved(resolved)
    }

    /// The id remembered for `key`, or what `resolve` finds (then remembered).
    async fn remembered_or(
        &self,
        kind: Remembered,
        key: &str,
        resolve: impl std::future::Future<Output = Result<std::result::Result<String, Problem>>>,
    ) -> std::result::Result<Resolved, Unresolved> {
        match self.store.remembered_id(kind, key) {
            Ok(Some(id)) => {
                return Ok(Resolved {
                    id,
                    remembered: true,
                })
            }
            Ok(None) => {}
            Err(error) => return Err(Unresolved::Error(error)),
        }
        match resolve.await {
            Ok(Ok(id)) => {
                self.store
                    .remember_id(kind, key, &id, self.clock.now())
                    .map_err(Unresolved::Error)?;
                Ok(Resolved {
                    id,
                    remembered: false,
                })
            }
            Ok(Err(problem)) => Err(Unresolved::Problem(problem)),
            Err(error) => Err(Unresolved::Error(error)),
        }
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

    async fn find_or_create_customer(
        &self,
        draft: &CustomerDraft,
        shared: &PassShared,
    ) -> Result<std::result::Result<String, Problem>> {
        let found = self.find_customer(draft, shared).await?;
        if let Some(id) = found {
            return Ok(Ok(id));
        }
        // R4: nothing is created once switched off.
        if self.stopping(shared)? {
            return Err(Error::Disabled);
        }
        Ok(
            match self.contaazul.create_pessoa(&draft.to_new_pessoa()).await? {
                Ok(id) => Ok(id),
                Err(refused) => {
                    let message = crate::contaazul::assumptions::error_message(&refused.body);
                    Err(Problem::customer_refused(&draft.name, &message).with_details(refused.body))
                }
            },
        )
    }

    /// R10: the product with the same description (or, matching by SKU, the same code), or a
    /// new one. Active products are asked for first; only when none has the description are
    /// the inactive ones, so that an inactive namesake is reported (R20) rather than duplicated.
    async fn resolve_product(
        &self,
        line: &SaleLine,
        shared: &PassShared,
    ) -> Result<std::result::Result<Resolved, Problem>> {
        let key = product_key(line, shared.match_by_sku);
        let cell = shared.products.cell(&key);
        let resolved = cell
            .get_or_try_init(|| {
                self.remembered_or(Remembered::Product, &key, async {
                    self.find_or_create_product(line, shared).await
                })
            })
            .await;
        unresolved(resolved)
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

    async fn find_or_create_product(
        &self,
        line: &SaleLine,
        shared: &PassShared,
    ) -> Result<std::result::Result<String, Problem>> {
        let matched = match self.find_product_by_sku(line, shared).await? {
            Some(matched) => matched,
            None => self.find_product(&line.description, shared).await?,
        };
        Ok(match matched {
            ProductMatch::Reuse(id) => Ok(id),
            ProductMatch::Unusable(problem) => Err(problem),
            ProductMatch::Create => {
                // R4: nothing is created once switched off.
                if self.stopping(shared)? {
                    return Err(Error::Disabled);
                }
                let sku = line.sku.as_deref().filter(|_| shared.match_by_sku);
                match self
                    .contaazul
                    .create_produto(&new_product(&line.description, line.unit_price, sku))
                    .await?
                {
                    Ok(id) => Ok(id),
                    Err(refused) => Err(classify_refusal(
                        refused.status,
                        &refused.body,
                        std::slice::from_ref(&line.description),
                    )),
                }
            }
        })
    }

    /// The active and inactive products when each status fits one page (the common case for a
    /// store's first import), or `None` for a catalogue searched product by product.
    async fn whole_catalogue(&self) -> Result<Option<Vec<ProdutoSummary>>> {
        let (mut all, total_active) = self.contaazul.produtos_first_page("ATIVO").await?;
        if total_active > all.len() as u64 {
            return Ok(None);
        }
        let (inactive, total_inactive) = self.contaazul.produtos_first_page("INATIVO").await?;
        if total_inactive > inactive.len() as u64 {
            return Ok(None);
        }
        all.extend(inactive);
        Ok(Some(all))
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

/// The key a line's product is resolved and remembered by: its SKU when matching by SKU (and
/// the line has one), its description otherwise (R10).
pub(crate) fn product_key(line: &SaleLine, match_by_sku: bool) -> String {
    match line.sku.as_deref().filter(|_| match_by_sku) {
        Some(sku) => format!("sku:{sku}"),
        None => crate::rules::same_text_key(&line.description),
    }
}

/// The key a customer is matched by (R12): its name and document.
pub(crate) fn customer_key(draft: &CustomerDraft) -> String {
    format!(
        "{}|{}",
        crate::rules::same_text_key(&draft.name),
        draft.document.as_ref().map(|d| d.digits()).unwrap_or("")
    )
}

/// A resolution as the order takes it: an id, this order's problem, or an error.
fn unresolved(
    resolved: std::result::Result<&Resolved, Unresolved>,
) -> Result<std::result::Result<Resolved, Problem>> {
    match resolved {
        Ok(resolved) => Ok(Ok(resolved.clone())),
        Err(Unresolved::Problem(problem)) => Ok(Err(problem)),
        Err(Unresolved::Error(error)) => Err(error),
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

/// A ledger key for an order the listing sent without its id: in a range no Nuvemshop id
/// reaches, stable for the same order number (so seeing it again records it once).
fn without_id_key(number: Option<u64>, payload: &str) -> u64 {
    let source = match number {
        Some(number) => format!("number:{number}"),
        None => format!("payload:{payload}"),
    };
    (crate::stable_hash(source.as_bytes()) >> 2) | (1 << 61)
}
