//! The order ledger: every order Ponte has seen, in one of five states. Each state change is
//! one statement or one transaction, so a crash leaves every order in a state it can resume.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::moves::Move;
use super::Store;
use crate::error::{Error, Result};
use crate::http::Exchange;
use crate::problem::{Problem, ProblemCode};

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    ts_rs::TS,
)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum OrderState {
    Queued,
    Importing,
    Imported,
    Failed,
    Skipped,
}

impl OrderState {
    /// As stored and serialised: `queued`, `importing`, …
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub const ALL: &'static [OrderState] = <OrderState as strum::VariantArray>::VARIANTS;

    /// The state in the merchant's words, as the dashboard's tabs say it.
    pub fn label(self) -> &'static str {
        match self {
            OrderState::Queued => "na fila",
            OrderState::Importing => "enviado, confirmando na Conta Azul",
            OrderState::Imported => "importado",
            OrderState::Failed => "não importado",
            OrderState::Skipped => "ignorado",
        }
    }

    /// The state as stored; anything else is a corrupt or newer ledger, never a guess.
    pub fn parse(text: &str) -> Option<OrderState> {
        text.parse().ok()
    }
}

/// Where an order stands, as far as sending its sale goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Nothing sent yet.
    Queued,
    /// The sale was (or may have been) sent under `numero`, last at `sent_at`, and no answer
    /// said it was saved. `taken`: Conta Azul refused the number as already used.
    Sent {
        numero: i64,
        sent_at: DateTime<Utc>,
        taken: bool,
    },
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct LedgerOrder {
    pub order_id: u64,
    pub number: u64,
    pub state: OrderState,
    pub customer_name: Option<String>,
    pub total: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub payload: Option<String>,
    pub sale_number: Option<i64>,
    pub sale_id: Option<String>,
    pub error: Option<Problem>,
    pub skip_reason: Option<String>,
    pub attempts: u32,
    pub updated_at: DateTime<Utc>,
    pub imported_at: Option<DateTime<Utc>>,
    /// When the sale of an `importing` order was last (or may have been) sent.
    #[serde(skip)]
    pub sent_at: Option<DateTime<Utc>>,
    /// Conta Azul refused the order's sale number as already used.
    #[serde(skip)]
    pub number_taken: bool,
}

impl LedgerOrder {
    /// Where the order stands as far as sending its sale goes (R8).
    pub fn progress(&self) -> Progress {
        match (self.state, self.sale_number) {
            // Without a recorded moment (a ledger older than it), the last change is when.
            (OrderState::Importing, Some(numero)) => Progress::Sent {
                numero,
                sent_at: self.sent_at.unwrap_or(self.updated_at),
                taken: self.number_taken,
            },
            _ => Progress::Queued,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Counts {
    pub queued: u64,
    pub importing: u64,
    pub imported: u64,
    pub failed: u64,
    pub skipped: u64,
}

/// An order the poll found, and the state it enters the ledger in.
#[derive(Clone, Debug)]
pub struct Seen {
    pub order_id: u64,
    pub number: u64,
    pub state: SeenState,
    pub customer_name: Option<String>,
    pub total: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payload: String,
}

#[derive(Clone, Debug)]
pub enum SeenState {
    Queued,
    Failed(Problem),
    Skipped(String),
}

use crate::time::stored_time as time;

/// Which orders a page of the ledger shows: the dashboard's tabs and search box, and
/// `ponte orders`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub state: Option<OrderState>,
    /// A piece of the order number, the customer's name or the Conta Azul sale number.
    pub search: Option<String>,
}

impl OrderFilter {
    /// The WHERE clause the page and its count share, with only the conditions asked for, so
    /// that SQLite walks the `(state, created_at, order_id)` index in order for a state.
    fn clause(&self) -> (String, Vec<rusqlite::types::Value>) {
        let mut conditions = Vec::new();
        let mut values = Vec::new();
        if let Some(state) = self.state {
            conditions.push("state = ?".to_string());
            values.push(rusqlite::types::Value::from(state.as_str().to_string()));
        }
        if let Some(text) = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
        {
            if text.chars().count() >= 3 {
                // The trigram index: any column holding the text as a substring.
                conditions.push(
                    "order_id IN (SELECT rowid FROM orders_search WHERE orders_search MATCH ?)"
                        .to_string(),
                );
                let phrase = format!(
                    "{{number customer_name sale_number}} : \"{}\"",
                    text.replace('"', "\"\"")
                );
                values.push(rusqlite::types::Value::from(phrase));
            } else {
                // Too short for trigrams: the rows are read.
                let pattern = format!("%{}%", text.to_lowercase());
                conditions.push(
                    "(CAST(number AS TEXT) LIKE ? OR lower(customer_name) LIKE ? \
                     OR CAST(sale_number AS TEXT) LIKE ?)"
                        .to_string(),
                );
                values.extend((0..3).map(|_| rusqlite::types::Value::from(pattern.clone())));
            }
        }
        if conditions.is_empty() {
            conditions.push("1 = 1".into());
        }
        (conditions.join(" AND "), values)
    }
}

const COLUMNS: &str =
    "order_id, number, state, customer_name, total, created_at, paid_at, payload, \
    sale_number, sale_id, error_code, error_message, error_hint, error_details, skip_reason, \
    attempts, updated_at, imported_at, sent_at, number_taken";

fn corrupt(column: &str, text: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unknown {column} {text:?}").into(),
    )
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<LedgerOrder> {
    let text = |name: &str| row.get::<_, Option<String>>(name);
    let state_text: String = row.get("state")?;
    let state = OrderState::parse(&state_text).ok_or_else(|| corrupt("state", &state_text))?;
    let error = match text("error_code")? {
        Some(code) => Some(Problem {
            code: ProblemCode::parse(&code).ok_or_else(|| corrupt("error_code", &code))?,
            message: text("error_message")?.unwrap_or_default(),
            hint: text("error_hint")?.unwrap_or_default(),
            details: text("error_details")?,
        }),
        None => None,
    };
    Ok(LedgerOrder {
        order_id: row.get::<_, i64>("order_id")? as u64,
        number: row.get::<_, i64>("number")? as u64,
        state,
        customer_name: text("customer_name")?,
        total: text("total")?,
        created_at: time(text("created_at")?),
        paid_at: time(text("paid_at")?),
        payload: text("payload")?,
        // A failed order may keep the number its sale may exist under (R8): it is resumed
        // under it, but it is no sale number to show.
        sale_number: match state {
            OrderState::Failed => None,
            _ => row.get("sale_number")?,
        },
        sale_id: text("sale_id")?,
        error,
        skip_reason: text("skip_reason")?,
        attempts: row.get::<_, i64>("attempts")? as u32,
        updated_at: time(text("updated_at")?).unwrap_or_default(),
        imported_at: time(text("imported_at")?),
        sent_at: time(text("sent_at")?),
        number_taken: row.get::<_, i64>("number_taken")? != 0,
    })
}

impl Store {
    /// Records what a poll found and moves the cursor, in one transaction: the cursor never
    /// passes an order that is not in the ledger. Orders already known keep their state; a
    /// queued one gets the fresher payload. Answers how many were new.
    pub fn record_seen(
        &self,
        seen: &[Seen],
        cursor: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut new = 0;
            for order in seen {
                let (state, error, skip) = match &order.state {
                    SeenState::Queued => ("queued", None, None),
                    SeenState::Failed(problem) => ("failed", Some(problem), None),
                    SeenState::Skipped(reason) => ("skipped", None, Some(reason.as_str())),
                };
                let inserted = tx.execute(
                    "INSERT INTO orders (order_id, number, state, customer_name, total, created_at, paid_at,
                        payload, error_code, error_message, error_hint, error_details, skip_reason,
                        first_seen_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)
                     ON CONFLICT (order_id) DO NOTHING",
                    params![
                        order.order_id as i64,
                        order.number as i64,
                        state,
                        order.customer_name,
                        order.total,
                        order.created_at.map(|t| t.to_rfc3339()),
                        order.paid_at.map(|t| t.to_rfc3339()),
                        order.payload,
                        error.map(|p| p.code.as_str()),
                        error.map(|p| p.message.clone()),
                        error.map(|p| p.hint.clone()),
                        error.and_then(|p| p.details.clone()),
                        skip,
                        now.to_rfc3339(),
                    ],
                )?;
                if inserted == 1 {
                    new += 1;
                } else if matches!(order.state, SeenState::Queued) {
                    tx.execute(
                        &format!(
                            "UPDATE orders SET payload = ?2, customer_name = ?3, total = ?4,
                                paid_at = ?5
                             WHERE order_id = ?1 AND {}",
                            Move::Refresh.guard("state")
                        ),
                        params![
                            order.order_id as i64,
                            order.payload,
                            order.customer_name,
                            order.total,
                            order.paid_at.map(|t| t.to_rfc3339())
                        ],
                    )?;
                }
            }
            if let Some(cursor) = cursor {
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES ('cursor', ?1)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [cursor.to_rfc3339()],
                )?;
            }
            tx.commit()?;
            Ok(new)
        })
    }

    pub fn order(&self, order_id: u64) -> Result<Option<LedgerOrder>> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM orders WHERE order_id = ?1"),
                    [order_id as i64],
                    from_row,
                )
                .optional()?)
        })
    }

    /// The orders a pass works on, in order: those whose sale may already exist first, then
    /// the queue in the order the orders were paid (R15: sale numbers follow it); none that
    /// waits for a later time.
    pub fn due(&self, now: DateTime<Utc>) -> Result<Vec<u64>> {
        self.with(|conn| {
            let mut statement = conn.prepare(
                "SELECT order_id FROM orders
                 WHERE state IN ('importing', 'queued')
                   AND (next_attempt_at IS NULL OR next_attempt_at <= ?1)
                 ORDER BY state = 'queued', COALESCE(paid_at, created_at), order_id",
            )?;
            let ids = statement.query_map([now.to_rfc3339()], |row| row.get::<_, i64>(0))?;
            Ok(ids
                .map(|id| id.map(|id| id as u64))
                .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    pub fn in_state(&self, state: OrderState) -> Result<Vec<LedgerOrder>> {
        let filter = OrderFilter {
            state: Some(state),
            search: None,
        };
        self.list(&filter, u32::MAX, 0)
    }

    /// A page of the ledger, newest first.
    pub fn list(&self, filter: &OrderFilter, limit: u32, offset: u32) -> Result<Vec<LedgerOrder>> {
        self.with(|conn| {
            let (clause, mut values) = filter.clause();
            values.push((limit as i64).into());
            values.push((offset as i64).into());
            // The page's ids first, from the index alone (a deep page skips index entries, not
            // rows); then only those rows are read.
            let mut statement = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM orders WHERE order_id IN (
                     SELECT order_id FROM orders WHERE {clause}
                     ORDER BY created_at DESC, order_id DESC LIMIT ? OFFSET ?)
                 ORDER BY created_at DESC, order_id DESC"
            ))?;
            let rows = statement.query_map(rusqlite::params_from_iter(values), from_row)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// How many orders `list` pages through.
    pub fn count_matching(&self, filter: &OrderFilter) -> Result<u64> {
        self.with(|conn| {
            let (clause, values) = filter.clause();
            let count: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM orders WHERE {clause}"),
                rusqlite::params_from_iter(values),
                |row| row.get(0),
            )?;
            Ok(count as u64)
        })
    }

    /// When each order imported since `since` was imported.
    pub fn imported_since(&self, since: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>> {
        self.with(|conn| {
            let mut statement = conn.prepare(
                "SELECT imported_at FROM orders
                 WHERE state = 'imported' AND imported_at >= ?1",
            )?;
            let rows =
                statement.query_map([since.to_rfc3339()], |row| row.get::<_, Option<String>>(0))?;
            Ok(rows.filter_map(|row| time(row.ok().flatten())).collect())
        })
    }

    pub fn counts(&self) -> Result<Counts> {
        self.with(|conn| {
            let mut counts = Counts::default();
            let mut statement =
                conn.prepare("SELECT state, COUNT(*) FROM orders GROUP BY state")?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
            })?;
            for row in rows {
                let (state, count) = row?;
                let count = count as u64;
                match OrderState::parse(&state) {
                    Some(OrderState::Queued) => counts.queued = count,
                    Some(OrderState::Importing) => counts.importing = count,
                    Some(OrderState::Imported) => counts.imported = count,
                    Some(OrderState::Failed) => counts.failed = count,
                    Some(OrderState::Skipped) => counts.skipped = count,
                    None => {}
                }
            }
            Ok(counts)
        })
    }

    /// R8: the sale number and the moment are on disk before the sale is sent, so that after
    /// a crash or a lost answer the sale is looked up before anything is sent again.
    pub fn begin_import(&self, order_id: u64, sale_number: i64, now: DateTime<Utc>) -> Result<()> {
        self.transition(
            &format!(
                "UPDATE orders SET state = 'importing', next_attempt_at = NULL, updated_at = ?3,
                    sent_at = ?3,
                    number_taken = CASE WHEN sale_number = ?2 THEN number_taken ELSE 0 END,
                    sale_number = ?2
                 WHERE order_id = ?1 AND {}",
                Move::Begin.guard("state")
            ),
            params![order_id as i64, sale_number, now.to_rfc3339()],
            order_id,
        )
    }

    /// Conta Azul refused the order's number as already used: it is not sent under it again.
    pub fn mark_number_taken(&self, order_id: u64, now: DateTime<Utc>) -> Result<()> {
        self.transition(
            &format!(
                "UPDATE orders SET number_taken = 1, updated_at = ?2 WHERE order_id = ?1 AND {}",
                Move::Hold.guard("state")
            ),
            params![order_id as i64, now.to_rfc3339()],
            order_id,
        )
    }

    /// The sale may exist: nothing is sent for this order before `until`; it keeps its number.
    pub fn wait(&self, order_id: u64, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        self.hold(order_id, until, now, 0)
    }

    /// As [`Store::wait`], after a trouble: counted, so that the pauses grow.
    pub fn wait_after_trouble(
        &self,
        order_id: u64,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.hold(order_id, until, now, 1)
    }

    fn hold(
        &self,
        order_id: u64,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        count: i64,
    ) -> Result<()> {
        self.transition(
            &format!(
                "UPDATE orders SET next_attempt_at = ?2, updated_at = ?3, attempts = attempts + ?4
                 WHERE order_id = ?1 AND {}",
                Move::Hold.guard("state")
            ),
            params![order_id as i64, until.to_rfc3339(), now.to_rfc3339(), count],
            order_id,
        )
    }

    pub fn mark_imported(
        &self,
        order_id: u64,
        sale_id: &str,
        sale_number: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.transition(
            &format!(
                "UPDATE orders SET state = 'imported', sale_id = ?2, sale_number = ?3,
                    imported_at = ?4, updated_at = ?4, error_code = NULL, error_message = NULL,
                    error_hint = NULL, error_details = NULL, next_attempt_at = NULL,
                    sent_at = NULL, number_taken = 0
                 WHERE order_id = ?1 AND {}",
                Move::Import.guard("state")
            ),
            params![order_id as i64, sale_id, sale_number, now.to_rfc3339()],
            order_id,
        )
    }

    pub fn mark_failed(&self, order_id: u64, problem: &Problem, now: DateTime<Utc>) -> Result<()> {
        self.transition(
            &format!(
                "UPDATE orders SET state = 'failed',
                    -- An order whose sale may exist keeps its number, to be resumed under it (R8).
                    sale_number = CASE WHEN state = 'importing' THEN sale_number END,
                    sent_at = CASE WHEN state = 'importing' THEN sent_at END, error_code = ?2,
                    error_message = ?3, error_hint = ?4, error_details = ?5,
                    attempts = attempts + 1, updated_at = ?6
                 WHERE order_id = ?1 AND {}",
                Move::Fail.guard("state")
            ),
            params![
                order_id as i64,
                problem.code.as_str(),
                problem.message,
                problem.hint,
                problem.details,
                now.to_rfc3339()
            ],
            order_id,
        )
    }

    /// Tried again at `after` (a transient failure before any sale was sent). An order whose
    /// sale may exist is never put back here: it keeps its number (R8).
    pub fn requeue(&self, order_id: u64, after: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        self.transition(
            &format!(
                "UPDATE orders SET attempts = attempts + 1, next_attempt_at = ?2, updated_at = ?3
                 WHERE order_id = ?1 AND {}",
                Move::Requeue.guard("state")
            ),
            params![order_id as i64, after.to_rfc3339(), now.to_rfc3339()],
            order_id,
        )
    }

    /// *Tentar novamente*: a failed order goes back to the queue with a fresh payload.
    pub fn retry_failed(
        &self,
        order_id: u64,
        payload: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let changed = self.with(|conn| {
            Ok(conn.execute(
                &format!(
                    "UPDATE orders SET next_attempt_at = NULL, updated_at = ?2,
                        state = CASE WHEN sale_number IS NULL THEN 'queued' ELSE 'importing' END,
                        payload = COALESCE(?3, payload), error_code = NULL, error_message = NULL,
                        error_hint = NULL, error_details = NULL
                     WHERE order_id = ?1 AND {}",
                    Move::Retry.guard("state")
                ),
                params![order_id as i64, now.to_rfc3339(), payload],
            )?)
        })?;
        if changed == 0 {
            return Err(Error::NotFound(format!("no failed order {order_id}")));
        }
        Ok(())
    }

    fn transition(&self, sql: &str, params: impl rusqlite::Params, order_id: u64) -> Result<()> {
        let changed = self.with(|conn| Ok(conn.execute(sql, params)?))?;
        if changed == 0 {
            return Err(Error::NotFound(format!(
                "order {order_id} is not in a state that allows this"
            )));
        }
        Ok(())
    }

    pub fn append_audit(
        &self,
        order_id: u64,
        exchanges: &[Exchange],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if exchanges.is_empty() {
            return Ok(());
        }
        self.with(|conn| {
            let tx = conn.transaction()?;
            for exchange in exchanges {
                tx.execute(
                    "INSERT INTO audit (order_id, at, method, url, request_body, status, response_body)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![
                        order_id as i64,
                        now.to_rfc3339(),
                        exchange.method,
                        exchange.url,
                        exchange.request_body,
                        exchange.status,
                        exchange.response_body
                    ],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Forgets the exchanges recorded before `before`: they carry personal data, and a support
    /// report is asked for within days, not years.
    pub fn prune_audit(&self, before: DateTime<Utc>) -> Result<usize> {
        self.with(
            |conn| Ok(conn.execute("DELETE FROM audit WHERE at < ?1", [before.to_rfc3339()])?),
        )
    }

    pub fn audit(&self, order_id: u64) -> Result<Vec<Exchange>> {
        self.with(|conn| {
            let mut statement = conn.prepare(
                "SELECT method, url, request_body, status, response_body FROM audit
                 WHERE order_id = ?1 ORDER BY id",
            )?;
            let rows = statement.query_map([order_id as i64], |row| {
                Ok(Exchange {
                    method: row.get(0)?,
                    url: row.get(1)?,
                    request_body: row.get(2)?,
                    status: row.get(3)?,
                    // Emptied when a customer asked to be forgotten (LGPD).
                    response_body: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The stored form, the JSON form and the parser agree, for every state.
    #[test]
    fn a_state_is_written_one_way_everywhere() {
        for &state in OrderState::ALL {
            assert_eq!(OrderState::parse(state.as_str()), Some(state));
            assert_eq!(
                serde_json::to_string(&state).unwrap(),
                format!("\"{}\"", state.as_str())
            );
        }
        assert_eq!(OrderState::ALL.len(), 5);
        assert_eq!(OrderState::parse("Queued"), None, "stored lowercase only");
    }

    /// The state machine's rows, as the store's own moves make them: from each state a move
    /// starts from, it ends in one of the states its row names, and from any other state it
    /// is refused and changes nothing (`store::moves`).
    #[test]
    fn each_move_goes_where_its_row_says_and_nowhere_else() {
        use super::super::moves::Move;
        let now = Utc::now();
        let problem = Problem::of(ProblemCode::ContaazulRefused);
        // A store with order 1 in `state`.
        let with = |state: OrderState| {
            let store = Store::open_in_memory().unwrap();
            store
                .record_seen(&[seen(1, SeenState::Queued)], None, now)
                .unwrap();
            match state {
                OrderState::Queued => {}
                OrderState::Importing => store.begin_import(1, 7, now).unwrap(),
                OrderState::Imported => store.mark_imported(1, "s", 7, now).unwrap(),
                OrderState::Failed => store.mark_failed(1, &problem, now).unwrap(),
                OrderState::Skipped => {
                    store
                        .record_seen(&[seen(2, SeenState::Skipped("x".into()))], None, now)
                        .unwrap();
                    return (store, 2);
                }
            }
            (store, 1)
        };
        let states = [
            OrderState::Queued,
            OrderState::Importing,
            OrderState::Imported,
            OrderState::Failed,
            OrderState::Skipped,
        ];
        type Act = fn(&Store, u64, DateTime<Utc>, &Problem) -> Result<()>;
        let moves: [(Move, Act); 5] = [
            (Move::Begin, |s, id, now, _| s.begin_import(id, 9, now)),
            (Move::Import, |s, id, now, _| {
                s.mark_imported(id, "v", 9, now)
            }),
            (Move::Fail, |s, id, now, p| s.mark_failed(id, p, now)),
            (Move::Requeue, |s, id, now, _| s.requeue(id, now, now)),
            (Move::Retry, |s, id, now, _| s.retry_failed(id, None, now)),
        ];
        for (step, act) in moves {
            for state in states {
                let (store, id) = with(state);
                let done = act(&store, id, now, &problem);
                let after = store.order(id).unwrap().unwrap().state;
                if step.from().contains(&state) {
                    assert!(done.is_ok(), "{step:?} from {state:?}");
                    assert!(
                        step.to().contains(&after),
                        "{step:?} from {state:?}: {after:?}"
                    );
                } else {
                    assert!(done.is_err(), "{step:?} from {state:?} was allowed");
                    assert_eq!(after, state, "{step:?} from {state:?} changed it");
                }
            }
        }
    }

    fn seen(id: u64, state: SeenState) -> Seen {
        Seen {
            order_id: id,
            number: id + 100,
            state,
            customer_name: Some("Maria".into()),
            total: Some("10.00".into()),
            created_at: Some(Utc::now()),
            paid_at: None,
            payload: "{}".into(),
        }
    }

    #[test]
    fn r8_seeing_an_order_twice_records_it_once() {
        let store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        assert_eq!(
            store
                .record_seen(&[seen(1, SeenState::Queued)], Some(now), now)
                .unwrap(),
            1
        );
        store.begin_import(1, 7, now).unwrap();
        store.mark_imported(1, "sale-1", 7, now).unwrap();
        assert_eq!(
            store
                .record_seen(&[seen(1, SeenState::Queued)], Some(now), now)
                .unwrap(),
            0
        );
        let order = store.order(1).unwrap().unwrap();
        assert_eq!(order.state, OrderState::Imported);
        assert_eq!(order.sale_number, Some(7));
        assert_eq!(store.counts().unwrap().imported, 1);
    }

    #[test]
    fn the_cursor_moves_with_the_orders_it_covers() {
        let store = Store::open_in_memory().unwrap();
        let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0);
        store
            .record_seen(&[seen(1, SeenState::Queued)], Some(now), now)
            .unwrap();
        assert_eq!(store.settings().unwrap().cursor, Some(now));
    }

    #[test]
    fn failed_orders_go_back_to_the_queue_on_retry_only() {
        let store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let problem = Problem::of(ProblemCode::StockValidation);
        store
            .record_seen(&[seen(1, SeenState::Queued)], None, now)
            .unwrap();
        store.mark_failed(1, &problem, now).unwrap();
        assert!(store.due(now).unwrap().is_empty());
        assert_eq!(store.order(1).unwrap().unwrap().error, Some(problem));
        store.retry_failed(1, None, now).unwrap();
        assert_eq!(store.due(now).unwrap(), vec![1]);
        assert!(
            store.retry_failed(1, None, now).is_err(),
            "only failed orders"
        );
    }

    #[test]
    fn the_list_searches_by_number_customer_and_sale_number() {
        let search = |text: &str| OrderFilter {
            state: None,
            search: Some(text.into()),
        };
        let store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let mut joana = seen(2, SeenState::Queued);
        joana.customer_name = Some("Joana Lima".into());
        store
            .record_seen(&[seen(1, SeenState::Queued), joana], None, now)
            .unwrap();
        assert_eq!(store.list(&search("joana"), 50, 0).unwrap().len(), 1);
        assert_eq!(store.list(&search("101"), 50, 0).unwrap()[0].order_id, 1);
        assert_eq!(
            store
                .list(
                    &OrderFilter {
                        state: Some(OrderState::Queued),
                        search: None
                    },
                    1,
                    1
                )
                .unwrap()
                .len(),
            1
        );
    }

    /// Issue 12: searches of three characters or more go through the trigram index, and find
    /// what a scan would (substrings of the number, the name or the sale number, any case),
    /// accents aside; the index follows every write, an LGPD erasure included.
    #[test]
    fn the_indexed_search_finds_substrings_follows_writes_and_forgets_erased_names() {
        let search = |text: &str| OrderFilter {
            state: None,
            search: Some(text.into()),
        };
        let store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let mut jose = seen(7, SeenState::Queued);
        jose.customer_name = Some("José Conceição".into());
        jose.number = 45_123;
        let mut ana = seen(8, SeenState::Queued);
        ana.customer_name = Some("Ana \"Aninha\" Prado".into());
        store.record_seen(&[jose, ana], None, now).unwrap();
        let found = |text: &str| -> Vec<u64> {
            let mut ids: Vec<u64> = store
                .list(&search(text), 50, 0)
                .unwrap()
                .iter()
                .map(|o| o.order_id)
                .collect();
            ids.sort();
            assert_eq!(
                store.count_matching(&search(text)).unwrap(),
                ids.len() as u64,
                "count and list agree for {text:?}"
            );
            ids
        };
        assert_eq!(found("CONCEI"), vec![7], "any case");
        assert_eq!(found("conceicao"), vec![7], "without the accents");
        assert_eq!(found("5123"), vec![7], "inside the number");
        assert_eq!(found("\"Aninha\""), vec![8], "quotes are text, not syntax");
        assert_eq!(found("Jo"), vec![7], "two characters: read, not indexed");
        assert!(found("Prado José").is_empty(), "one field at a time");
        store.begin_import(8, 98_765, now).unwrap();
        assert_eq!(found("98765"), vec![8], "the sale number once it has one");
        store
            .with(|conn| {
                conn.execute(
                    "UPDATE orders SET customer_name = '' WHERE order_id = 7",
                    [],
                )?;
                Ok(())
            })
            .unwrap();
        assert!(found("Conceição").is_empty(), "an erased name is not found");
        assert_eq!(found("45123"), vec![7]);
    }

    #[test]
    fn r8_an_order_whose_sale_may_exist_keeps_its_number_and_goes_first() {
        let store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        store
            .record_seen(
                &[seen(1, SeenState::Queued), seen(2, SeenState::Queued)],
                None,
                now,
            )
            .unwrap();
        store.begin_import(2, 41, now).unwrap();
        let at = |t: DateTime<Utc>| time(Some(t.to_rfc3339())).unwrap();
        let progress = |id| store.order(id).unwrap().unwrap().progress();
        assert_eq!(
            progress(2),
            Progress::Sent {
                numero: 41,
                sent_at: at(now),
                taken: false
            }
        );
        assert_eq!(
            store.due(now).unwrap(),
            vec![2, 1],
            "the uncertain one first"
        );
        assert!(
            store.requeue(2, now, now).is_err(),
            "never back to the queue"
        );
        store.mark_number_taken(2, now).unwrap();
        let later = now + chrono::Duration::minutes(3);
        store.begin_import(2, 41, later).unwrap();
        assert_eq!(
            progress(2),
            Progress::Sent {
                numero: 41,
                sent_at: at(later),
                taken: true
            },
            "sent again under the same number: the last moment, still taken"
        );
        store.begin_import(2, 42, later).unwrap();
        assert_eq!(
            progress(2),
            Progress::Sent {
                numero: 42,
                sent_at: at(later),
                taken: false
            }
        );
        // Failed while its sale may exist, it keeps the number and is resumed under it.
        store
            .mark_failed(2, &Problem::of(ProblemCode::ContaazulRefused), later)
            .unwrap();
        let failed = store.order(2).unwrap().unwrap();
        assert_eq!(
            (failed.state, failed.sale_number),
            (OrderState::Failed, None),
            "not shown"
        );
        store.retry_failed(2, None, later).unwrap();
        assert_eq!(
            progress(2),
            Progress::Sent {
                numero: 42,
                sent_at: at(later),
                taken: false
            }
        );
        store
            .wait(2, now + chrono::Duration::minutes(5), now)
            .unwrap();
        assert_eq!(store.due(now).unwrap(), vec![1], "waits for its time");
        assert_eq!(
            store.due(now + chrono::Duration::minutes(5)).unwrap(),
            vec![2, 1]
        );
        store.mark_imported(2, "sale", 41, now).unwrap();
        assert_eq!(
            store.order(2).unwrap().unwrap().progress(),
            Progress::Queued
        );
    }

    #[test]
    fn an_unknown_state_or_problem_code_fails_loudly() {
        let store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        store
            .record_seen(&[seen(1, SeenState::Queued)], None, now)
            .unwrap();
        store
            .with(|conn| {
                conn.execute_batch(
                    "PRAGMA ignore_check_constraints = ON;
                     UPDATE orders SET state = 'archived' WHERE order_id = 1;",
                )?;
                Ok(())
            })
            .unwrap();
        assert!(store.order(1).is_err(), "never read as queued");
        store
            .with(|conn| {
                conn.execute_batch(
                    "UPDATE orders SET state = 'failed', error_code = 'MYSTERY' WHERE order_id = 1;",
                )?;
                Ok(())
            })
            .unwrap();
        assert!(store.order(1).is_err());
    }

    #[test]
    fn r21_old_exchanges_are_forgotten() {
        let store = Store::open_in_memory().unwrap();
        let exchange = Exchange {
            method: "GET".into(),
            url: "/v1/pessoas".into(),
            request_body: None,
            status: Some(200),
            response_body: "{}".into(),
        };
        let now = Utc::now();
        let old = now - chrono::Duration::days(120);
        store
            .append_audit(1, std::slice::from_ref(&exchange), old)
            .unwrap();
        store
            .append_audit(2, std::slice::from_ref(&exchange), now)
            .unwrap();
        assert_eq!(
            store.prune_audit(now - chrono::Duration::days(90)).unwrap(),
            1
        );
        assert!(store.audit(1).unwrap().is_empty());
        assert_eq!(store.audit(2).unwrap().len(), 1);
    }
}
