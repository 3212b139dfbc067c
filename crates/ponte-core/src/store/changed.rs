//! Imported orders cancelled or refunded in Nuvemshop afterwards, as each pass noticed them:
//! shown to the merchant until they say the sale was checked.

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};
use crate::history::Flag;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// Records a change; `true` the first time this order is seen so changed.
    pub fn record_changed(
        &self,
        order_id: u64,
        flag: Flag,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        self.with(|conn| {
            let added = conn.execute(
                "INSERT OR IGNORE INTO changed_after_import (order_id, flag, message, noticed_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![order_id as i64, flag.name(), message, now.to_rfc3339()],
            )?;
            Ok(added == 1)
        })
    }

    /// The changes not checked yet, newest first.
    pub fn changed_orders(&self) -> Result<Vec<ChangedOrder>> {
        self.with(|conn| {
            let mut statement = conn.prepare(
                "SELECT c.order_id, o.number, o.sale_number, c.flag, c.message, c.noticed_at
                 FROM changed_after_import c JOIN orders o ON o.order_id = c.order_id
                 WHERE c.checked_at IS NULL
                 ORDER BY c.noticed_at DESC, c.order_id DESC",
            )?;
            let rows = statement.query_map([], |row| {
                let flag: String = row.get(3)?;
                let noticed: String = row.get(5)?;
                Ok((
                    ChangedOrder {
                        order_id: row.get::<_, i64>(0)? as u64,
                        number: row.get::<_, i64>(1)? as u64,
                        sale_number: row.get(2)?,
                        flag: Flag::Cancelled,
                        message: row.get(4)?,
                        noticed_at: crate::time::stored_time(Some(noticed)).unwrap_or_default(),
                    },
                    flag,
                ))
            })?;
            let mut changed = Vec::new();
            for row in rows {
                let (mut order, flag) = row?;
                // A kind this version does not know (written by a newer one) is left out.
                let Some(known) = Flag::from_name(&flag) else {
                    continue;
                };
                order.flag = known;
                changed.push(order);
            }
            Ok(changed)
        })
    }

    /// *Já conferi*: the order's changes are no longer shown.
    pub fn check_changed(&self, order_id: u64, now: DateTime<Utc>) -> Result<()> {
        self.with(|conn| {
            let checked = conn.execute(
                "UPDATE changed_after_import SET checked_at = ?2
                 WHERE order_id = ?1 AND checked_at IS NULL",
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
