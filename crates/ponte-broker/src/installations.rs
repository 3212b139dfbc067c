//! Installation keys: one per claim, for each service. A Nuvemshop installation reads its
//! store's events with it; a Conta Azul installation needs it for every refresh, so that a
//! refresh token alone (leaked from a merchant's computer) buys nothing here. Kept as digests;
//! revoked by the app when the merchant disconnects, with the store's data when the store is
//! erased, and forgotten after 180 days unseen.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::db::{Db, Result};
use crate::storage::{
    key_digest, new_key, Installation, Known, KEEP_UNSEEN_SECONDS, SEEN_EVERY_SECONDS,
};
use crate::Service;

/// Issues a key inside the claim's transaction; its row and its starting cursor are one
/// statement, so an event queued meanwhile is either before the cursor or read by it.
pub(crate) fn issue(
    tx: &Transaction<'_>,
    service: Service,
    store_id: Option<&str>,
    now: i64,
) -> Result<Installation> {
    let key = new_key();
    let cursor: i64 = tx.query_row(
        "INSERT INTO installations (key_digest, service, store_id, created_at, seen_at, acked)
         VALUES (?1, ?2, ?3, ?4, ?4,
                 (SELECT COALESCE(MAX(id), 0) FROM events WHERE store_id = ?3))
         RETURNING acked",
        params![key_digest(&key), service.path(), store_id, now],
        |row| row.get(0),
    )?;
    Ok(Installation {
        key,
        cursor: (service == Service::Nuvemshop).then_some(cursor),
    })
}

impl Db {
    /// The installation a key belongs to (noting, at most hourly, that it was seen).
    pub fn installation(&self, key: &str, now: i64) -> Result<Option<Known>> {
        let db = self.db();
        let digest = key_digest(key);
        let found = db
            .query_row(
                "SELECT service, store_id, seen_at FROM installations WHERE key_digest = ?1",
                [&digest],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                },
            )
            .optional()?;
        let Some((service, store_id, seen_at)) = found else {
            return Ok(None);
        };
        if seen_at <= now - SEEN_EVERY_SECONDS {
            db.execute(
                "UPDATE installations SET seen_at = ?2 WHERE key_digest = ?1",
                params![digest, now],
            )?;
        }
        Ok(Service::from_path(&service).map(|service| Known {
            digest,
            service,
            store_id,
        }))
    }

    /// The merchant disconnected: the key stops working. `false` when it was unknown.
    pub fn revoke(&self, key: &str) -> Result<bool> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let store: Option<Option<String>> = tx
            .query_row(
                "DELETE FROM installations WHERE key_digest = ?1 RETURNING store_id",
                [key_digest(key)],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(Some(store)) = &store {
            crate::feed::forget_store_if_unread(&tx, store)?;
        }
        tx.commit()?;
        Ok(store.is_some())
    }

    pub(crate) fn purge_installations(&self, now: i64, batch: i64) -> Result<i64> {
        let deleted = self.db().execute(
            "DELETE FROM installations WHERE key_digest IN
                (SELECT key_digest FROM installations WHERE seen_at <= ?1 LIMIT ?2)",
            params![now - KEEP_UNSEEN_SECONDS, batch],
        )?;
        Ok(deleted as i64)
    }

    pub fn installations(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM installations")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn issued(db: &Db, service: Service, store: Option<&str>, now: i64) -> Installation {
        let mut conn = db.db();
        let tx = conn.transaction().unwrap();
        let installation = issue(&tx, service, store, now).unwrap();
        tx.commit().unwrap();
        installation
    }

    #[test]
    fn a_key_is_kept_as_a_digest_seen_hourly_and_revoked_once() {
        let db = Db::open(Path::new(":memory:")).unwrap();
        let azul = issued(&db, Service::Contaazul, None, 1_000);
        assert_eq!(azul.key.len(), 64);
        let stored: String = db
            .db()
            .query_row("SELECT key_digest FROM installations", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, azul.key, "never the key itself");
        let known = db.installation(&azul.key, 1_000).unwrap().unwrap();
        assert_eq!((known.service, known.store_id), (Service::Contaazul, None));
        let seen = |db: &Db| -> i64 {
            db.db()
                .query_row("SELECT seen_at FROM installations", [], |r| r.get(0))
                .unwrap()
        };
        db.installation(&azul.key, 1_000 + 60).unwrap();
        assert_eq!(seen(&db), 1_000, "a minute later: no write");
        db.installation(&azul.key, 1_000 + SEEN_EVERY_SECONDS)
            .unwrap();
        assert_eq!(seen(&db), 1_000 + SEEN_EVERY_SECONDS);
        assert!(format!("{azul:?}").find(&azul.key).is_none());

        assert!(db.revoke(&azul.key).unwrap());
        assert!(!db.revoke(&azul.key).unwrap());
        assert!(db.installation(&azul.key, 2_000).unwrap().is_none());
    }

    #[test]
    fn installations_unseen_for_180_days_are_forgotten() {
        let db = Db::open(Path::new(":memory:")).unwrap();
        let old = issued(&db, Service::Nuvemshop, Some("1"), 0);
        let recent = issued(&db, Service::Nuvemshop, Some("1"), KEEP_UNSEEN_SECONDS);
        db.purge(KEEP_UNSEEN_SECONDS + 1).unwrap();
        assert!(db.installation(&old.key, 0).unwrap().is_none());
        assert!(db.installation(&recent.key, 0).unwrap().is_some());
    }
}
