//! What the orders in flight in one pass share: the customers and products resolved (each
//! once, by key, however many orders need it at the same moment), the catalogue and customer
//! base read whole, and the sale numbers, handed out in the order the orders were paid.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use tokio::sync::{watch, OnceCell};

use crate::contaazul::wire::{PessoaSummary, ProdutoSummary};
use crate::problem::Problem;

#[derive(Default)]
pub(crate) struct PassShared {
    pub(super) customers: Resolutions,
    pub(super) products: Resolutions,
    /// The whole catalogue (active and inactive) when it fits one page per status; `None` when
    /// it is too large and products are searched one by one.
    pub(super) catalogue: OnceCell<Option<Vec<ProdutoSummary>>>,
    /// Likewise the customers, when they fit one page.
    pub(super) customer_base: OnceCell<Option<Vec<PessoaSummary>>>,
    pub(super) numbering: Numbering,
    /// Set when something ended the pass: orders not yet started stay as they are.
    pub(super) stopping: AtomicBool,
    /// The merchant's payment mapping as the pass began (R14): a change applies to the sales
    /// sent after it.
    pub(super) payments: crate::rules::payment::PaymentMapping,
    /// R10, beyond: products matched by SKU, as the pass began.
    pub(crate) match_by_sku: bool,
    /// The sale's number written into the order's private note, as the pass began.
    pub(super) write_owner_note: bool,
    /// The company other profiles import into too (`company`).
    pub(super) company: Option<Arc<crate::company::Company>>,
}

impl PassShared {
    /// Nothing resolved yet. In a company other profiles import into, the customers and the
    /// catalogue are never read whole for the pass: another profile may create one at any
    /// moment, and a list read before it would not have it (each lookup asks Conta Azul then).
    pub(crate) fn in_company(company: Option<Arc<crate::company::Company>>) -> PassShared {
        fn one_by_one<T>(shared: bool) -> OnceCell<Option<T>> {
            OnceCell::new_with(shared.then_some(None))
        }
        PassShared {
            catalogue: one_by_one(company.is_some()),
            customer_base: one_by_one(company.is_some()),
            company,
            ..PassShared::default()
        }
    }

    /// Nothing resolved yet, products matched by SKU or not.
    pub(crate) fn matching_by_sku(match_by_sku: bool) -> PassShared {
        PassShared {
            match_by_sku,
            ..PassShared::default()
        }
    }
}

/// Why a customer or product could not be resolved.
pub(super) enum Unresolved {
    /// This order's problem (a refusal); the next order with the same key tries again.
    Problem(Problem),
    Error(crate::error::Error),
}

/// A Conta Azul id, and whether it came from an earlier pass (and so may be stale).
#[derive(Clone)]
pub(super) struct Resolved {
    pub id: String,
    pub remembered: bool,
}

/// Ids resolved in this pass, by key. A key being resolved is awaited by every other order
/// that needs it, so that two orders in flight never create the same customer or product.
#[derive(Default)]
pub(super) struct Resolutions(Mutex<HashMap<String, Arc<OnceCell<Resolved>>>>);

impl Resolutions {
    pub fn cell(&self, key: &str) -> Arc<OnceCell<Resolved>> {
        let mut cells = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cells.entry(key.to_string()).or_default().clone()
    }

    /// The next order needing `key` resolves it again.
    pub fn forget(&self, key: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

/// Sale numbers: one `proximo-numero` per pass, counted up here, handed out in turn, the turn
/// being the order's place in the pass (orders are taken in the order they were paid, R15).
pub(super) struct Numbering {
    turns: watch::Sender<Turns>,
    counter: Mutex<Counter>,
}

#[derive(Default)]
struct Turns {
    /// The place whose turn it is.
    next: usize,
    /// Places after `next` that no longer need a turn.
    passed: BTreeSet<usize>,
}

#[derive(Default)]
struct Counter {
    next: Option<i64>,
    highest: Option<i64>,
}

impl Default for Numbering {
    fn default() -> Self {
        Numbering {
            turns: watch::Sender::new(Turns::default()),
            counter: Mutex::default(),
        }
    }
}

impl Numbering {
    pub fn turn(&self, place: usize) -> Turn<'_> {
        Turn {
            numbering: self,
            place,
        }
    }

    async fn wait_for(&self, place: usize) {
        let mut turns = self.turns.subscribe();
        // The sender lives as long as `self`: waiting cannot fail.
        let _ = turns.wait_for(|turns| turns.next >= place).await;
    }

    fn pass(&self, place: usize) {
        self.turns.send_if_modified(|turns| {
            if place < turns.next {
                return false;
            }
            turns.passed.insert(place);
            let before = turns.next;
            while turns.passed.remove(&turns.next) {
                turns.next += 1;
            }
            turns.next != before
        });
    }

    /// The next number, if one was read in this pass and not forgotten since.
    pub fn hand_out(&self) -> Option<i64> {
        let mut counter = self.counter.lock().unwrap_or_else(|p| p.into_inner());
        let next = counter.next?;
        // Never below a number already handed out: a re-read may come back while sales under
        // higher numbers are still on their way.
        let numero = counter
            .highest
            .map_or(next, |highest| next.max(highest + 1));
        counter.next = Some(numero + 1);
        counter.highest = Some(numero);
        Some(numero)
    }

    /// What `proximo-numero` answered.
    pub fn read(&self, next: i64) {
        let mut counter = self.counter.lock().unwrap_or_else(|p| p.into_inner());
        counter.next = Some(next);
    }

    /// A number handed out elsewhere in the company (`Company::hand_out_number`) instead of
    /// the one counted here: counting goes on after it.
    pub fn settle(&self, numero: i64) {
        let mut counter = self.counter.lock().unwrap_or_else(|p| p.into_inner());
        counter.next = Some(numero + 1);
        counter.highest = Some(
            counter
                .highest
                .map_or(numero, |highest| highest.max(numero)),
        );
    }

    /// Someone else numbered a sale: the next one reads the number again.
    pub fn forget(&self) {
        self.counter.lock().unwrap_or_else(|p| p.into_inner()).next = None;
    }
}

/// An order's place in the numbering. Dropping it (the order got its number, or needs none,
/// or its import stopped) lets the next place take its turn.
pub(super) struct Turn<'a> {
    numbering: &'a Numbering,
    place: usize,
}

impl Turn<'_> {
    /// Waits until every order before this one has its number or needs none.
    pub async fn wait(&self) {
        self.numbering.wait_for(self.place).await;
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.numbering.pass(self.place);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn turns_follow_places_whatever_order_they_finish_in() {
        let numbering = Numbering::default();
        let first = numbering.turn(0);
        let second = numbering.turn(1);
        let third = numbering.turn(2);
        // The third cannot go before the first two.
        let waited = tokio::time::timeout(Duration::from_millis(50), third.wait()).await;
        assert!(waited.is_err());
        drop(second);
        let waited = tokio::time::timeout(Duration::from_millis(50), third.wait()).await;
        assert!(waited.is_err(), "the first still holds its turn");
        first.wait().await;
        drop(first);
        tokio::time::timeout(Duration::from_millis(50), third.wait())
            .await
            .expect("both before it are done");
    }

    #[test]
    fn numbers_are_counted_up_and_never_repeat_after_a_re_read() {
        let numbering = Numbering::default();
        assert_eq!(numbering.hand_out(), None, "nothing read yet");
        numbering.read(100);
        assert_eq!(numbering.hand_out(), Some(100));
        assert_eq!(numbering.hand_out(), Some(101));
        numbering.forget();
        assert_eq!(numbering.hand_out(), None);
        // Read while 101 is still on its way: 101 is not handed out twice.
        numbering.read(101);
        assert_eq!(numbering.hand_out(), Some(102));
        numbering.read(200);
        assert_eq!(numbering.hand_out(), Some(200));
    }
}
