//! The broker's SQLite database, one instance's (`pg.rs` is the one several share): pending
//! connects (`connects.rs`), installation keys (`installations.rs`) and the stores' webhook
//! events (`feed.rs`). Migrations are numbered and kept in `PRAGMA user_version`; a database
//! written by a newer broker is refused.
//!
//! Every change is one statement or one `IMMEDIATE` transaction, so several broker processes on
//! one host may share the file: a claim succeeds in exactly one of them. `secure_delete` is on:
//! the tokens of a finished connect are overwritten, not left in free pages.

use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use crate::storage::Storage;
use crate::storage::{Claim, Event, Known, NewEvent, Proof, Settled, Started};
pub use crate::storage::{DbError, Result};
use crate::Service;

pub fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Each step takes the schema from its index to the next. The first is the schema as the
/// broker first shipped it (tables created if missing), so older files migrate too.
const MIGRATIONS: &[&str] = &[
    // 1: pending connects, installations of a store, and its events.
    "CREATE TABLE IF NOT EXISTS connects (
        id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        verifier_digest TEXT,
        return_port INTEGER,
        expires_at INTEGER NOT NULL,
        outcome TEXT NOT NULL DEFAULT 'pending',
        sealed BLOB,
        refusal TEXT,
        wrong_verifiers INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS connects_expiry ON connects (expires_at);
    CREATE TABLE IF NOT EXISTS installations (
        key_digest TEXT PRIMARY KEY,
        store_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        seen_at INTEGER NOT NULL,
        acked INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS installations_by_store ON installations (store_id);
    CREATE TABLE IF NOT EXISTS events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        store_id TEXT NOT NULL,
        event TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        orders TEXT,
        received_at INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS events_once ON events (store_id, event, resource_id);",
    // 2: a connect's return code and store; an installation per service (Conta Azul ones
    // have no store); each event's own expiry; indexes for every purge and per-store read.
    "ALTER TABLE connects ADD COLUMN return_digest TEXT;
    ALTER TABLE connects ADD COLUMN store_id TEXT;
    ALTER TABLE connects RENAME COLUMN wrong_verifiers TO wrong_attempts;
    CREATE INDEX connects_sealed_expiry ON connects (expires_at) WHERE sealed IS NOT NULL;
    CREATE TABLE installations_v2 (
        key_digest TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        store_id TEXT,
        created_at INTEGER NOT NULL,
        seen_at INTEGER NOT NULL,
        acked INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO installations_v2 (key_digest, service, store_id, created_at, seen_at, acked)
        SELECT key_digest, 'nuvemshop', store_id, created_at, seen_at, acked FROM installations;
    DROP TABLE installations;
    ALTER TABLE installations_v2 RENAME TO installations;
    CREATE INDEX installations_by_store ON installations (store_id) WHERE store_id IS NOT NULL;
    CREATE INDEX installations_by_seen ON installations (seen_at);
    ALTER TABLE events ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
    UPDATE events SET expires_at = received_at + CASE WHEN event LIKE 'order/%'
        THEN 7 * 86400 ELSE 30 * 86400 END;
    CREATE INDEX events_by_store ON events (store_id, id);
    CREATE INDEX events_by_expiry ON events (expires_at);",
    // 3: the customer a customer request is about.
    "ALTER TABLE events ADD COLUMN customer_id TEXT;",
    // 4: an LGPD request that came without Nuvemshop's signature.
    "ALTER TABLE events ADD COLUMN verified INTEGER NOT NULL DEFAULT 1;",
];

pub struct Db {
    db: Mutex<Connection>,
}

impl Db {
    pub fn open(path: &Path) -> Result<Db> {
        let mut db = Connection::open(path)?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        if path != Path::new(":memory:") {
            db.pragma_update(None, "journal_mode", "WAL")?;
        }
        db.pragma_update(None, "secure_delete", "ON")?;
        migrate(&mut db)?;
        Ok(Db { db: Mutex::new(db) })
    }

    pub(crate) fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn healthy(&self) -> bool {
        self.db()
            .query_row("SELECT 1", [], |row| row.get::<_, i64>(0))
            .is_ok()
    }

    /// Removes what has outlived its purpose, a batch at a time (the lock is let go between
    /// batches, and every statement walks an index of what is due, never the whole table).
    pub fn purge(&self, now: i64) -> Result<()> {
        const BATCH: i64 = 1_000;
        loop {
            let done = self.purge_connects(now, BATCH)?
                + self.purge_installations(now, BATCH)?
                + self.purge_events(now, BATCH)?;
            if done < BATCH {
                return Ok(());
            }
        }
    }

    pub(crate) fn count(&self, sql: &str) -> Result<i64> {
        Ok(self.db().query_row(sql, [], |row| row.get(0))?)
    }
}

/// The inherent methods live beside their tables (`connects.rs`, `installations.rs`,
/// `feed.rs`); this names them as the storage the routes use.
impl Storage for Db {
    fn start(
        &self,
        id: &str,
        service: Service,
        verifier_digest: &str,
        return_port: Option<u16>,
        expires_at: i64,
    ) -> Result<bool> {
        Db::start(self, id, service, verifier_digest, return_port, expires_at)
    }
    fn started(&self, id: &str, now: i64) -> Result<Option<Started>> {
        Db::started(self, id, now)
    }
    fn settle(&self, id: &str, outcome: Settled, now: i64) -> Result<bool> {
        Db::settle(self, id, outcome, now)
    }
    fn add_paired(
        &self,
        id: &str,
        service: Service,
        sealed: &[u8],
        store_id: Option<&str>,
        expires_at: i64,
    ) -> Result<bool> {
        Db::add_paired(self, id, service, sealed, store_id, expires_at)
    }
    fn claim(&self, id: &str, proof: Proof<'_>, now: i64) -> Result<Claim> {
        Db::claim(self, id, proof, now)
    }
    fn installation(&self, key: &str, now: i64) -> Result<Option<Known>> {
        Db::installation(self, key, now)
    }
    fn revoke(&self, key: &str) -> Result<bool> {
        Db::revoke(self, key)
    }
    fn knows_store(&self, store_id: &str) -> Result<bool> {
        Db::knows_store(self, store_id)
    }
    fn queue_event(&self, new: NewEvent<'_>, now: i64) -> Result<bool> {
        Db::queue_event(self, new, now)
    }
    fn events_after(&self, store_id: &str, after: i64) -> Result<Vec<Event>> {
        Db::events_after(self, store_id, after)
    }
    fn acknowledge(&self, installation: &Known, up_to: i64) -> Result<()> {
        Db::acknowledge(self, installation, up_to)
    }
    fn purge(&self, now: i64) -> Result<()> {
        Db::purge(self, now)
    }
    fn healthy(&self) -> bool {
        Db::healthy(self)
    }
    fn sealed_rows(&self) -> Result<i64> {
        Db::sealed_rows(self)
    }
    fn rows(&self) -> Result<i64> {
        Db::rows(self)
    }
    fn queued_events(&self) -> Result<i64> {
        Db::queued_events(self)
    }
    fn installations(&self) -> Result<i64> {
        Db::installations(self)
    }
}

fn migrate(db: &mut Connection) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = db.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > known {
        return Err(DbError::TooNew { found, known });
    }
    if found == known {
        return Ok(());
    }
    let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // Another process may have migrated while this one waited for the lock.
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    for (index, step) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_of_the_first_schema_migrates_with_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broker.sqlite3");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(MIGRATIONS[0]).unwrap();
            old.execute_batch(
                "INSERT INTO installations VALUES ('k', '5120101', 1, 1, 3);
                 INSERT INTO events (store_id, event, resource_id, received_at)
                     VALUES ('5120101', 'order/paid', '9', 100),
                            ('5120101', 'customers/redact', '7', 100);",
            )
            .unwrap();
        }
        let db = Db::open(&path).unwrap();
        let conn = db.db();
        let (service, store, acked): (String, String, i64) = conn
            .query_row(
                "SELECT service, store_id, acked FROM installations",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (service.as_str(), store.as_str(), acked),
            ("nuvemshop", "5120101", 3)
        );
        let expiries: Vec<i64> = conn
            .prepare("SELECT expires_at FROM events ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(expiries, vec![100 + 7 * 86400, 100 + 30 * 86400]);
        let secure: i64 = conn
            .query_row("PRAGMA secure_delete", [], |r| r.get(0))
            .unwrap();
        assert_eq!(secure, 1);
        drop(conn);
        drop(db);
        assert!(Db::open(&path).is_ok(), "opening again changes nothing");
    }

    #[test]
    fn a_database_from_a_newer_broker_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("broker.sqlite3");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(
            Db::open(&path),
            Err(DbError::TooNew { found: 99, .. })
        ));
    }
}
