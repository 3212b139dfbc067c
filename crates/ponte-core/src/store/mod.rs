//! SQLite: the order ledger, the settings and the audit. Plain SQL migrations embedded in the
//! binary, applied in one transaction; a database written by a newer Ponte is refused.

mod changed;
mod ledger;
mod lgpd;
mod migrations;
pub mod moves;
mod planned;
mod remembered;
mod settings;

use std::path::Path;
use std::sync::Mutex;

use rusqlite::Connection;

pub use changed::ChangedOrder;
pub use ledger::{Counts, LedgerOrder, OrderFilter, OrderState, Progress, Seen, SeenState};
pub use lgpd::{LgpdKind, LgpdRequest, LgpdState, MAX_ORDERS_PER_REQUEST};
pub use planned::{AlreadySold, BackfillRecord, Planned, ToQueue};
pub(crate) use remembered::key_digest;
pub use remembered::Remembered;
pub use settings::{Options, Seller, Settings};

use crate::error::Result;

pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            crate::config::create_private_dir(dir)?;
        }
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // What is deleted or overwritten (an LGPD erasure) is zeroed on disk, not left in
        // free pages.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations::apply(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    pub fn open_in_memory() -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        migrations::apply(&mut conn)?;
        Ok(Store {
            conn: Mutex::new(conn),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }
}
