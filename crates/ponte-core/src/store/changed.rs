//! Orders cancelled or refunded in Nuvemshop after Ponte saw them paid, as each pass noticed
//! them: shown to the merchant, once imported, until they say the sale was checked.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};
use crate::rules::changes::{after_import_message, Flag};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ChangedOrder {
    pub order_id: u64,
    pub number: u64,
    pub sale_number: Option<i64>,
    pub flag: Flag,
    /// What happened and what to do, in Portuguese.
    pub message: String,
    pub noticed_at: DateTime<Utc>,
}

impl Store {
    /// Records a change; `true` the first time this order is seen so changed. `returned`:
    /// how the money went back, for a refund.
    pub fn record_changed(
        &self,
        order_id: u64,
        flag: Flag,
        returned: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.with(|conn| {
            let added = conn.execute(
                "INSERT OR IGNORE INTO changed_after_import (order_id, flag, returned, noticed_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![order_id as i64, flag.name(), returned, now.to_rfc3339()],
            )?;
            Ok(added == 1)
        })
    }

    /// The changes of imported orders not checked yet, newest first. (An order changed while
    /// it waited appears once its sale exists.)
    pub fn changed_orders(&self) -> Result<Vec<ChangedOrder>> {
        self.with(|conn| {
            let mut statement = conn.prepare(
                "SELECT c.order_id, o.number, o.sale_number, c.flag, c.returned, c.noticed_at
                 FROM changed_after_import c JOIN orders o ON o.order_id = c.order_id
                 WHERE c.checked_at IS NULL AND o.state = 'imported'
                 ORDER BY c.noticed_at DESC, c.order_id DESC",
            )?;
            let rows = statement.query_map([], |row| {
                Ok((
                    row.get::<_, i64>(0)? as u64,
                    row.get::<_, i64>(1)? as u64,
                    row.get::<_, Option<i64>>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })?;
            let mut changed = Vec::new();
            for row in rows {
                let (order_id, number, sale_number, flag, returned, noticed) = row?;
                // A kind this version does not know (written by a newer one) is left out.
                let Some(flag) = Flag::from_name(&flag) else {
                    continue;
                };
                changed.push(ChangedOrder {
                    order_id,
                    number,
                    sale_number,
                    flag,
                    message: after_import_message(flag, returned.as_deref(), sale_number),
                    noticed_at: crate::time::stored_time(Some(noticed)).unwrap_or_default(),
                });
            }
            Ok(changed)
        })
    }

    /// The creation date of the oldest order Ponte knows: no older order can be one of its
    /// sales.
    pub fn oldest_known_created_at(&self) -> Result<Option<DateTime<Utc>>> {
        self.with(|conn| {
            let oldest: Option<String> = conn.query_row(
                "SELECT MIN(created_at) FROM orders WHERE state != 'skipped'",
                [],
                |row| row.get(0),
            )?;
            Ok(crate::time::stored_time(oldest))
        })
    }

    /// *Já conferi*: the order's changes are no longer shown.
    pub fn check_changed(&self, order_id: u64, now: DateTime<Utc>) -> Result<()> {
        self.with(|conn| {
            let checked = conn.execute(
                "UPDATE changed_after_import SET checked_at = ?2
                 WHERE order_id = ?1 AND checked_at IS NULL
                   AND order_id IN (SELECT order_id FROM orders WHERE state = 'imported')",
                params![order_id as i64, now.to_rfc3339()],
            )?;
            if checked == 0 {
                return Err(Error::NotFound(format!(
                    "no change to check for order {order_id}"
                )));
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_is_stored_under_the_name_it_is_shown_with() {
        for flag in Flag::ALL {
            assert_eq!(serde_json::to_value(flag).unwrap(), flag.name());
            assert_eq!(Flag::from_name(flag.name()), Some(flag));
        }
        assert_eq!(Flag::from_name("renamed_later"), None);
    }
}
