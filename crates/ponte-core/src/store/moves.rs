//! The ledger's state machine in one table: every move an order's row makes, from which states
//! and to which. The statements that make a move take their `WHERE state …` guard from here, so
//! the table and the SQL cannot drift apart; the tests walk the table row by row.
//!
//! ```text
//! seen ──► queued ──► importing ──► imported
//!            │  ▲          │  ▲
//!            ▼  │ retry    ▼  │ retry (sale may exist: keeps its number)
//!           failed ◄───────┘
//! skipped/failed ──(backfill, reconcile)──► queued | importing | imported
//! anything but imported ──(LGPD erasure)──► skipped
//! ```

use super::OrderState::{self, Failed, Imported, Importing, Queued, Skipped};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// A queued order seen again: its payload refreshed.
    Refresh,
    /// The sale number and the moment written before the sale is sent (R8).
    Begin,
    /// Conta Azul refused the number as taken, or the sale may exist: wait before more.
    Hold,
    /// The sale exists.
    Import,
    /// Conta Azul refused the order, or it cannot become a sale as it is.
    Fail,
    /// A transient trouble before anything was sent: tried again later.
    Requeue,
    /// *Tentar novamente*: back to where it was before failing.
    Retry,
    /// A backfill or a reconciliation queues an order Ponte had set aside.
    Queue,
    /// A backfill or a reconciliation found the order's sale in Conta Azul.
    RecordSold,
    /// An LGPD erasure: what has no sale is set aside for good.
    Redact,
}

impl Move {
    pub const ALL: [Move; 10] = [
        Move::Refresh,
        Move::Begin,
        Move::Hold,
        Move::Import,
        Move::Fail,
        Move::Requeue,
        Move::Retry,
        Move::Queue,
        Move::RecordSold,
        Move::Redact,
    ];

    /// The states the move starts from.
    pub fn from(self) -> &'static [OrderState] {
        match self {
            Move::Refresh | Move::Requeue => &[Queued],
            Move::Begin | Move::Import | Move::Fail => &[Queued, Importing],
            Move::Hold => &[Importing],
            Move::Retry => &[Failed],
            Move::Queue | Move::RecordSold => &[Skipped, Failed],
            Move::Redact => &[Queued, Importing, Failed, Skipped],
        }
    }

    /// The states it may end in.
    pub fn to(self) -> &'static [OrderState] {
        match self {
            Move::Refresh | Move::Requeue => &[Queued],
            Move::Begin | Move::Hold => &[Importing],
            Move::Import | Move::RecordSold => &[Imported],
            Move::Fail => &[Failed],
            // An order whose sale may exist goes back under its number (R8).
            Move::Retry | Move::Queue => &[Queued, Importing],
            Move::Redact => &[Skipped],
        }
    }

    /// `state IN ('queued', 'importing')`, for the statement that makes the move; `column` is
    /// `state` or, in an upsert, `orders.state`.
    pub fn guard(self, column: &str) -> String {
        let states: Vec<String> = self
            .from()
            .iter()
            .map(|state| format!("'{}'", state.as_str()))
            .collect();
        format!("{column} IN ({})", states.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATES: [OrderState; 5] = [Queued, Importing, Imported, Failed, Skipped];

    /// Each row's guard admits exactly its `from` states, asked of SQLite itself.
    #[test]
    fn each_guard_admits_exactly_the_states_its_row_names() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute("CREATE TABLE orders (state TEXT NOT NULL)", [])
            .unwrap();
        for state in STATES {
            db.execute("INSERT INTO orders (state) VALUES (?1)", [state.as_str()])
                .unwrap();
        }
        for step in Move::ALL {
            let mut statement = db
                .prepare(&format!(
                    "SELECT state FROM orders WHERE {} ORDER BY rowid",
                    step.guard("state")
                ))
                .unwrap();
            let admitted: Vec<OrderState> = statement
                .query_map([], |row| row.get::<_, String>(0))
                .unwrap()
                .map(|state| OrderState::parse(&state.unwrap()).unwrap())
                .collect();
            let expected: Vec<OrderState> = STATES
                .into_iter()
                .filter(|state| step.from().contains(state))
                .collect();
            assert_eq!(admitted, expected, "{step:?}");
        }
    }

    /// An imported order never moves again: Ponte never changes or re-sends a sale (R8).
    #[test]
    fn nothing_leaves_imported() {
        for step in Move::ALL {
            assert!(!step.from().contains(&Imported), "{step:?}");
            assert!(!step.to().is_empty(), "{step:?}");
        }
    }
}
