//! What the broker keeps of Nuvemshop's webhooks: per store, a queue of `{event, id}` (and, for
//! the LGPD requests, the ids of the orders concerned) that the store's installations of Ponte
//! read with their own key and acknowledge. Never a name, an e-mail, a document or an amount.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::claims::{now_seconds, Db, DbError};
use crate::seal::digest;

/// Events wait this long for an installation that never reads them.
const KEEP_EVENTS_SECONDS: i64 = 7 * 24 * 3600;
/// An installation unseen this long is forgotten (its key stops working).
const KEEP_INSTALLATIONS_SECONDS: i64 = 180 * 24 * 3600;
/// Events handed out per read.
pub const PAGE: i64 = 100;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    pub id: i64,
    pub event: String,
    pub resource_id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<String>,
}

type Result<T> = std::result::Result<T, DbError>;

impl Db {
    /// A new installation of Ponte for a store (issued when it claims the store's token): its
    /// key's digest, starting after the events already queued.
    pub fn add_installation(&self, key: &str, store_id: &str) -> Result<()> {
        let now = now_seconds();
        self.db().execute(
            "INSERT INTO installations (key_digest, store_id, created_at, seen_at, acked)
             VALUES (?1, ?2, ?3, ?3,
                     (SELECT COALESCE(MAX(id), 0) FROM events WHERE store_id = ?2))",
            params![digest(&format!("install:{key}")), store_id, now],
        )?;
        Ok(())
    }

    /// The store an installation key belongs to (and the moment it was last seen).
    pub fn installation(&self, key: &str) -> Result<Option<String>> {
        let db = self.db();
        let key_digest = digest(&format!("install:{key}"));
        let store = db
            .query_row(
                "SELECT store_id FROM installations WHERE key_digest = ?1",
                [&key_digest],
                |row| row.get::<_, String>(0),
            )
            .optional()?;
        if store.is_some() {
            db.execute(
                "UPDATE installations SET seen_at = ?2 WHERE key_digest = ?1",
                params![key_digest, now_seconds()],
            )?;
        }
        Ok(store)
    }

    /// The newest event of a store: where a new installation's reading starts.
    pub fn last_event_id(&self, store_id: &str) -> Result<i64> {
        Ok(self.db().query_row(
            "SELECT COALESCE(MAX(id), 0) FROM events WHERE store_id = ?1",
            [store_id],
            |row| row.get(0),
        )?)
    }

    pub fn knows_store(&self, store_id: &str) -> Result<bool> {
        Ok(self
            .db()
            .query_row(
                "SELECT 1 FROM installations WHERE store_id = ?1 LIMIT 1",
                [store_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// Queues an event once: a delivery repeated while the first is still queued adds nothing.
    pub fn queue_event(
        &self,
        store_id: &str,
        event: &str,
        resource_id: &str,
        orders: &[String],
    ) -> Result<bool> {
        let orders = (!orders.is_empty()).then(|| serde_json::json!(orders).to_string());
        let inserted = self.db().execute(
            "INSERT OR IGNORE INTO events (store_id, event, resource_id, orders, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![store_id, event, resource_id, orders, now_seconds()],
        )?;
        Ok(inserted == 1)
    }

    /// The store's events after `after`, oldest first.
    pub fn events_after(&self, store_id: &str, after: i64) -> Result<Vec<Event>> {
        let db = self.db();
        let mut statement = db.prepare(
            "SELECT id, event, resource_id, orders FROM events
             WHERE store_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )?;
        let rows = statement.query_map(params![store_id, after, PAGE], |row| {
            let orders: Option<String> = row.get("orders")?;
            Ok(Event {
                id: row.get("id")?,
                event: row.get("event")?,
                resource_id: row.get("resource_id")?,
                orders: orders
                    .and_then(|text| serde_json::from_str(&text).ok())
                    .unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The installation has handled everything up to `up_to`; events every installation of
    /// the store has handled are deleted.
    pub fn acknowledge(&self, key: &str, up_to: i64) -> Result<()> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let key_digest = digest(&format!("install:{key}"));
        tx.execute(
            "UPDATE installations SET acked = MAX(acked, ?2) WHERE key_digest = ?1",
            params![key_digest, up_to],
        )?;
        tx.execute(
            "DELETE FROM events WHERE store_id =
                 (SELECT store_id FROM installations WHERE key_digest = ?1)
               AND id <= (SELECT MIN(acked) FROM installations WHERE store_id =
                 (SELECT store_id FROM installations WHERE key_digest = ?1))",
            [&key_digest],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn purge_feed(&self, now: i64) -> Result<()> {
        let db = self.db();
        db.execute(
            "DELETE FROM events WHERE received_at <= ?1",
            [now - KEEP_EVENTS_SECONDS],
        )?;
        db.execute(
            "DELETE FROM installations WHERE seen_at <= ?1",
            [now - KEEP_INSTALLATIONS_SECONDS],
        )?;
        Ok(())
    }

    pub fn queued_events(&self) -> Result<i64> {
        Ok(self
            .db()
            .query_row("SELECT COUNT(*) FROM events", [], |row| row.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn each_installation_reads_its_store_and_events_go_once_all_have_read_them() {
        let db = Db::open(Path::new(":memory:")).unwrap();
        db.queue_event("1", "order/paid", "10", &[]).unwrap();
        db.add_installation("k1", "1").unwrap();
        assert!(
            db.events_after("1", 0).unwrap().len() == 1,
            "the queue is the store's"
        );
        assert_eq!(db.installation("k1").unwrap().as_deref(), Some("1"));
        assert_eq!(db.installation("nope").unwrap(), None);
        db.add_installation("k2", "1").unwrap();
        assert!(db.queue_event("1", "order/paid", "11", &[]).unwrap());
        assert!(
            !db.queue_event("1", "order/paid", "11", &[]).unwrap(),
            "a duplicate"
        );
        db.queue_event("2", "order/paid", "99", &[]).unwrap();
        let events = db.events_after("1", 0).unwrap();
        assert_eq!(events.len(), 2);
        let last = events.last().unwrap().id;
        db.acknowledge("k1", last).unwrap();
        assert_eq!(
            db.events_after("1", 0).unwrap().len(),
            1,
            "k2 has not read them yet"
        );
        db.acknowledge("k2", last).unwrap();
        assert!(db.events_after("1", 0).unwrap().is_empty());
        assert_eq!(
            db.events_after("2", 0).unwrap().len(),
            1,
            "another store's stay"
        );
        db.queue_event("1", "customers/redact", "7", &["10".into(), "11".into()])
            .unwrap();
        assert_eq!(
            db.events_after("1", last).unwrap()[0].orders,
            vec!["10", "11"]
        );
    }
}
