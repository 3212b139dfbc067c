//! What the broker keeps of Nuvemshop's webhooks: per store, a queue of `{event, id}` (and, for
//! the LGPD requests, the ids of the orders concerned) that the store's installations of Ponte
//! read with their own key and acknowledge. Never a name, an e-mail, a document or an amount.
//!
//! Order events wait 7 days for an installation that does not read them; LGPD requests 30 (the
//! merchant must answer within 15, and Ponte may be closed for a while). A store's erasure
//! (`store/redact`) drops its queued order events at once, and each installation that reads it
//! is forgotten with its key; the store's last rows go with the last installation, or after 30
//! days when none reads it.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::db::{Db, Result};
use crate::storage::{lifetime, Event, Known, NewEvent, PAGE, STORE_REDACT};

/// No installation of the store is left: nobody will read its events.
pub(crate) fn forget_store_if_unread(tx: &Transaction<'_>, store_id: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM events WHERE store_id = ?1
           AND NOT EXISTS (SELECT 1 FROM installations WHERE store_id = ?1)",
        [store_id],
    )?;
    Ok(())
}

impl Db {
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
    pub fn queue_event(&self, new: NewEvent<'_>, now: i64) -> Result<bool> {
        let NewEvent {
            store_id,
            event,
            resource_id,
            customer,
            orders,
            verified,
        } = new;
        let orders = (!orders.is_empty()).then(|| serde_json::json!(orders).to_string());
        let mut db = self.db();
        let tx = db.transaction()?;
        if event == STORE_REDACT && verified {
            // The store's orders are to be erased: nobody needs to look at them again.
            tx.execute(
                "DELETE FROM events WHERE store_id = ?1 AND event LIKE 'order/%'",
                [store_id],
            )?;
        }
        if verified {
            // A signed request replaces an unsigned one with its id still queued (sent first
            // by anyone who knew the id), and goes to the end so that installations that read
            // the unsigned one read it again.
            tx.execute(
                "DELETE FROM events WHERE store_id = ?1 AND event = ?2 AND resource_id = ?3
                   AND verified = 0",
                params![store_id, event, resource_id],
            )?;
        }
        let inserted = tx.execute(
            "INSERT INTO events (store_id, event, resource_id, customer_id, orders, received_at,
                                 expires_at, verified)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (store_id, event, resource_id) DO NOTHING",
            params![
                store_id,
                event,
                resource_id,
                customer,
                orders,
                now,
                now + lifetime(event),
                verified
            ],
        )?;
        tx.commit()?;
        Ok(inserted == 1)
    }

    /// The store's events after `after`, oldest first.
    pub fn events_after(&self, store_id: &str, after: i64) -> Result<Vec<Event>> {
        let db = self.db();
        let mut statement = db.prepare_cached(
            "SELECT id, event, resource_id, customer_id, orders, verified FROM events
             WHERE store_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
        )?;
        let rows = statement.query_map(params![store_id, after, PAGE], |row| {
            let orders: Option<String> = row.get("orders")?;
            Ok(Event {
                id: row.get("id")?,
                event: row.get("event")?,
                resource_id: row.get("resource_id")?,
                customer: row.get("customer_id")?,
                orders: orders
                    .and_then(|text| serde_json::from_str(&text).ok())
                    .unwrap_or_default(),
                unverified: !row.get::<_, bool>("verified")?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// The installation has handled everything up to `up_to` (never past the store's newest
    /// event: a cursor from the future would let later events be deleted unread). Events every
    /// installation of the store has handled are deleted; an installation that handled its
    /// store's erasure is forgotten.
    pub fn acknowledge(&self, installation: &Known, up_to: i64) -> Result<()> {
        let Some(store_id) = installation.store_id.as_deref() else {
            return Ok(());
        };
        let mut db = self.db();
        let tx = db.transaction()?;
        let acked: i64 = tx.query_row(
            "UPDATE installations SET acked = MAX(acked, MIN(?2,
                 (SELECT COALESCE(MAX(id), 0) FROM events WHERE store_id = ?3)))
             WHERE key_digest = ?1 RETURNING acked",
            params![installation.digest, up_to, store_id],
            |row| row.get(0),
        )?;
        let erased: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM events WHERE store_id = ?1 AND event = ?2 AND id <= ?3
               AND verified = 1)",
            params![store_id, STORE_REDACT, acked],
            |row| row.get(0),
        )?;
        tx.execute(
            "DELETE FROM events WHERE store_id = ?1
               AND id <= (SELECT MIN(acked) FROM installations WHERE store_id = ?1)",
            [store_id],
        )?;
        if erased {
            tx.execute(
                "DELETE FROM installations WHERE key_digest = ?1",
                [&installation.digest],
            )?;
            forget_store_if_unread(&tx, store_id)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Expired events go; a store whose erasure nobody read in 30 days goes with it.
    pub(crate) fn purge_events(&self, now: i64, batch: i64) -> Result<i64> {
        let mut db = self.db();
        let tx = db.transaction()?;
        tx.execute(
            "DELETE FROM installations WHERE store_id IN
                (SELECT store_id FROM events WHERE expires_at <= ?1 AND event = ?2
                   AND verified = 1 LIMIT ?3)",
            params![now, STORE_REDACT, batch],
        )?;
        let deleted = tx.execute(
            "DELETE FROM events WHERE id IN
                (SELECT id FROM events WHERE expires_at <= ?1 LIMIT ?2)",
            params![now, batch],
        )?;
        tx.commit()?;
        Ok(deleted as i64)
    }

    pub fn queued_events(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM events")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Claim, Proof};
    use crate::storage::{Installation, DAY};
    use crate::Service;
    use std::path::Path;

    fn db() -> Db {
        Db::open(Path::new(":memory:")).unwrap()
    }

    fn new<'a>(
        store_id: &'a str,
        event: &'a str,
        resource_id: &'a str,
        orders: &'a [String],
    ) -> NewEvent<'a> {
        NewEvent {
            store_id,
            event,
            resource_id,
            customer: event.starts_with("customers/").then_some("77"),
            orders,
            verified: true,
        }
    }

    /// An installation of `store`, as a pairing-code claim issues it.
    fn install(db: &Db, store: &str, now: i64) -> (Installation, Known) {
        let id = format!("pair-{store}-{}", rand::random::<u32>());
        db.add_paired(&id, Service::Nuvemshop, &[1], Some(store), now + 600)
            .unwrap();
        let Claim::Ready(_, _, installation) = db.claim(&id, Proof::PairingCode, now).unwrap()
        else {
            panic!("a claim");
        };
        let known = db.installation(&installation.key, now).unwrap().unwrap();
        (installation, known)
    }

    #[test]
    fn each_installation_reads_its_store_and_events_go_once_all_have_read_them() {
        let db = db();
        db.queue_event(new("1", "order/paid", "10", &[]), 0)
            .unwrap();
        let (first, k1) = install(&db, "1", 0);
        assert_eq!(first.cursor, Some(1), "starts after what was queued");
        assert_eq!(db.events_after("1", 0).unwrap().len(), 1);
        let (_, k2) = install(&db, "1", 0);
        assert!(db
            .queue_event(new("1", "order/paid", "11", &[]), 0)
            .unwrap());
        assert!(
            !db.queue_event(new("1", "order/paid", "11", &[]), 0)
                .unwrap(),
            "a duplicate"
        );
        db.queue_event(new("2", "order/paid", "99", &[]), 0)
            .unwrap();
        let events = db.events_after("1", 0).unwrap();
        assert_eq!(events.len(), 2);
        let last = events.last().unwrap().id;
        db.acknowledge(&k1, last).unwrap();
        assert_eq!(
            db.events_after("1", 0).unwrap().len(),
            1,
            "k2 has not read them yet"
        );
        db.acknowledge(&k2, last).unwrap();
        assert!(db.events_after("1", 0).unwrap().is_empty());
        assert_eq!(
            db.events_after("2", 0).unwrap().len(),
            1,
            "another store's stay"
        );
        db.queue_event(
            new("1", "customers/redact", "7", &["10".into(), "11".into()]),
            0,
        )
        .unwrap();
        assert_eq!(
            db.events_after("1", last).unwrap()[0].orders,
            vec!["10", "11"]
        );
    }

    #[test]
    fn an_acknowledgement_from_the_future_is_clamped_to_the_newest_event() {
        let db = db();
        let (_, reader) = install(&db, "1", 0);
        let (_, lagging) = install(&db, "1", 0);
        db.queue_event(new("1", "order/paid", "10", &[]), 0)
            .unwrap();
        db.acknowledge(&reader, 1_000_000).unwrap();
        db.acknowledge(&lagging, 1_000_000).unwrap();
        // Later events are still read and not deleted by the earlier, too-far cursor.
        db.queue_event(new("1", "order/paid", "11", &[]), 0)
            .unwrap();
        db.acknowledge(&lagging, 0).unwrap();
        assert_eq!(db.events_after("1", 0).unwrap().len(), 1);
        assert_eq!(db.events_after("1", 0).unwrap()[0].resource_id, "11");
    }

    #[test]
    fn order_events_wait_7_days_lgpd_requests_30() {
        let db = db();
        install(&db, "1", 0);
        db.queue_event(new("1", "order/paid", "10", &[]), 0)
            .unwrap();
        db.queue_event(new("1", "customers/data_request", "4242", &[]), 0)
            .unwrap();
        db.purge(7 * DAY - 1).unwrap();
        assert_eq!(db.queued_events().unwrap(), 2);
        db.purge(7 * DAY).unwrap();
        assert_eq!(db.queued_events().unwrap(), 1);
        db.purge(30 * DAY).unwrap();
        assert_eq!(db.queued_events().unwrap(), 0);
    }

    #[test]
    fn a_store_erasure_leaves_nothing_of_the_store_once_read_or_after_30_days() {
        let db = db();
        let (_, reader) = install(&db, "1", 0);
        let (absent, _) = install(&db, "1", 0);
        db.queue_event(new("1", "order/paid", "10", &[]), 0)
            .unwrap();
        db.queue_event(new("1", "customers/redact", "7", &["10".into()]), 0)
            .unwrap();
        db.queue_event(new("1", STORE_REDACT, "1", &[]), 0).unwrap();
        let events = db.events_after("1", 0).unwrap();
        assert_eq!(
            events.iter().map(|e| e.event.as_str()).collect::<Vec<_>>(),
            vec!["customers/redact", STORE_REDACT],
            "the store's order events go at once"
        );
        db.acknowledge(&reader, events[1].id).unwrap();
        assert_eq!(db.installations().unwrap(), 1, "the reader is forgotten");
        assert_eq!(db.queued_events().unwrap(), 2, "the other has not read it");

        db.purge(30 * DAY).unwrap();
        assert_eq!(db.queued_events().unwrap(), 0);
        assert_eq!(db.installations().unwrap(), 0);
        assert!(db.installation(&absent.key, 0).unwrap().is_none());

        // With every installation gone, nothing of the store is left.
        let (_, only) = install(&db, "2", 0);
        db.queue_event(new("2", STORE_REDACT, "2", &[]), 0).unwrap();
        let id = db.events_after("2", 0).unwrap()[0].id;
        db.acknowledge(&only, id).unwrap();
        assert_eq!(
            (db.installations().unwrap(), db.queued_events().unwrap()),
            (0, 0)
        );
    }

    #[test]
    fn reads_and_purges_use_their_indexes() {
        let db = db();
        let plan = |sql: &str| -> String {
            db.db()
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap()
                .query_map([], |row| row.get::<_, String>(3))
                .unwrap()
                .map(|r| r.unwrap())
                .collect::<Vec<_>>()
                .join("; ")
        };
        let read =
            plan("SELECT id FROM events WHERE store_id = '1' AND id > 5 ORDER BY id LIMIT 100");
        assert!(
            read.contains("events_by_store") || read.contains("events_once"),
            "{read}"
        );
        assert!(!read.contains("SCAN events"), "{read}");
        let purge = plan("SELECT id FROM events WHERE expires_at <= 5 LIMIT 10");
        assert!(purge.contains("events_by_expiry"), "{purge}");
        let unseen = plan("SELECT key_digest FROM installations WHERE seen_at <= 5 LIMIT 10");
        assert!(unseen.contains("installations_by_seen"), "{unseen}");
    }
}
