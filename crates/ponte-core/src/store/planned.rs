//! Orders the merchant asked for by hand — a backfill before the activation date, or the
//! missing orders a reconciliation found — entering the ledger.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;
use serde::Serialize;

use super::moves::Move;
use super::Store;
use crate::error::Result;

/// An order to be imported: it enters the queue, or goes back to it when it was kept aside
/// (skipped as older than the activation date) or failed.
pub struct ToQueue {
    pub order_id: u64,
    pub number: u64,
    pub customer_name: Option<String>,
    pub total: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    pub payload: String,
}

impl ToQueue {
    /// The columns both inserts start with: `order_id, number, customer_name, total,
    /// created_at, paid_at, payload`.
    fn columns(&self) -> [rusqlite::types::Value; 7] {
        let time = |at: Option<DateTime<Utc>>| at.map(|t| t.to_rfc3339()).into();
        [
            (self.order_id as i64).into(),
            (self.number as i64).into(),
            self.customer_name.clone().into(),
            self.total.clone().into(),
            time(self.created_at),
            time(self.paid_at),
            self.payload.clone().into(),
        ]
    }
}

/// An order whose sale is already in Conta Azul (found by its note): recorded as imported,
/// never sent again.
pub struct AlreadySold {
    pub order: ToQueue,
    pub sale_id: String,
    pub sale_number: i64,
}

/// A confirmed backfill, as *Configurações* lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BackfillRecord {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub confirmed_at: DateTime<Utc>,
    pub queued: u64,
    pub recorded: u64,
}

/// What entering the ledger did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Planned {
    /// Orders now in the queue.
    pub queued: usize,
    /// Orders recorded as imported with the sale found in Conta Azul.
    pub recorded: usize,
}

impl Store {
    /// In one transaction: `to_queue` enters the queue (a new order, or one skipped or failed;
    /// one queued, importing or imported is left as it is — its sale is Ponte's to send once),
    /// `sold` is recorded as imported when it was kept aside or failed (one in the queue is the
    /// engine's, which may be sending it at this moment), and, when
    /// `backfill` names a period, the backfill is recorded.
    pub fn record_planned(
        &self,
        to_queue: &[ToQueue],
        sold: &[AlreadySold],
        backfill: Option<(NaiveDate, NaiveDate)>,
        now: DateTime<Utc>,
    ) -> Result<Planned> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut planned = Planned::default();
            let now_text = now.to_rfc3339();
            for order in to_queue {
                let changed = tx.execute(
                    &format!(
                    "INSERT INTO orders (order_id, number, state, customer_name, total, created_at,
                        paid_at, payload, first_seen_at, updated_at)
                     VALUES (?1, ?2, 'queued', ?3, ?4, ?5, ?6, ?7, ?8, ?8)
                     ON CONFLICT (order_id) DO UPDATE SET
                        state = CASE WHEN orders.sale_number IS NULL THEN 'queued'
                                     ELSE 'importing' END,
                        payload = excluded.payload, customer_name = excluded.customer_name,
                        total = excluded.total, paid_at = excluded.paid_at,
                        skip_reason = NULL, error_code = NULL, error_message = NULL,
                        error_hint = NULL, error_details = NULL, next_attempt_at = NULL,
                        attempts = 0, updated_at = excluded.updated_at
                     WHERE {}",
                        Move::Queue.guard("orders.state")
                    ),
                    rusqlite::params_from_iter(
                        order.columns().into_iter().chain([now_text.clone().into()]),
                    ),
                )?;
                planned.queued += changed;
            }
            for AlreadySold {
                order,
                sale_id,
                sale_number,
            } in sold
            {
                let changed = tx.execute(
                    &format!(
                    "INSERT INTO orders (order_id, number, state, customer_name, total, created_at,
                        paid_at, payload, sale_id, sale_number, imported_at, first_seen_at,
                        updated_at)
                     VALUES (?1, ?2, 'imported', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?10)
                     ON CONFLICT (order_id) DO UPDATE SET
                        state = 'imported', sale_id = excluded.sale_id,
                        sale_number = excluded.sale_number, imported_at = excluded.imported_at,
                        skip_reason = NULL, error_code = NULL, error_message = NULL,
                        error_hint = NULL, error_details = NULL, next_attempt_at = NULL,
                        sent_at = NULL, number_taken = 0, updated_at = excluded.updated_at
                     WHERE {}",
                        Move::RecordSold.guard("orders.state")
                    ),
                    rusqlite::params_from_iter(order.columns().into_iter().chain([
                        sale_id.clone().into(),
                        (*sale_number).into(),
                        now_text.clone().into(),
                    ])),
                )?;
                planned.recorded += changed;
            }
            if let Some((from, to)) = backfill {
                tx.execute(
                    "INSERT INTO backfills (period_from, period_to, confirmed_at, queued, recorded)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![
                        from.to_string(),
                        to.to_string(),
                        now_text,
                        planned.queued as i64,
                        planned.recorded as i64
                    ],
                )?;
            }
            tx.commit()?;
            Ok(planned)
        })
    }

    /// The backfills confirmed, newest first.
    pub fn backfills(&self) -> Result<Vec<BackfillRecord>> {
        self.with(|conn| {
            let mut statement = conn.prepare(
                "SELECT period_from, period_to, confirmed_at, queued, recorded FROM backfills
                 ORDER BY id DESC",
            )?;
            let rows = statement.query_map([], |row| {
                let date = |index: usize| -> rusqlite::Result<NaiveDate> {
                    let text: String = row.get(index)?;
                    text.parse().map_err(|error| {
                        rusqlite::Error::FromSqlConversionFailure(
                            index,
                            rusqlite::types::Type::Text,
                            Box::new(error),
                        )
                    })
                };
                let confirmed: String = row.get(2)?;
                Ok(BackfillRecord {
                    from: date(0)?,
                    to: date(1)?,
                    confirmed_at: crate::time::stored_time(Some(confirmed)).unwrap_or_default(),
                    queued: row.get::<_, i64>(3)? as u64,
                    recorded: row.get::<_, i64>(4)? as u64,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The sale id of every imported order, with the order's number: the sales Ponte already
    /// knows are its own without reading their notes.
    pub fn imported_sales(&self) -> Result<Vec<(String, u64)>> {
        self.with(|conn| {
            let mut statement = conn.prepare(
                "SELECT sale_id, number FROM orders WHERE state = 'imported' AND sale_id IS NOT NULL",
            )?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as u64))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}
