//! Conta Azul ids of customers and products resolved in earlier passes, by a digest of their
//! matching key (R10, R12): what makes a returning customer's order one sale and no lookup.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use sha2::{Digest, Sha256};

use super::Store;
use crate::error::Result;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remembered {
    Customer,
    Product,
}

impl Remembered {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Remembered::Customer => "customer",
            Remembered::Product => "product",
        }
    }
}

/// The matching key as stored: a customer's key holds a name and a CPF, which the ledger keeps
/// only as a digest.
pub(crate) fn key_digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl Store {
    pub fn remembered_id(&self, kind: Remembered, key: &str) -> Result<Option<String>> {
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT contaazul_id FROM remembered_ids WHERE kind = ?1 AND key_digest = ?2",
                    params![kind.as_str(), key_digest(key)],
                    |row| row.get(0),
                )
                .optional()?)
        })
    }

    pub fn remember_id(
        &self,
        kind: Remembered,
        key: &str,
        contaazul_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO remembered_ids (kind, key_digest, contaazul_id, remembered_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (kind, key_digest) DO UPDATE
                 SET contaazul_id = excluded.contaazul_id, remembered_at = excluded.remembered_at",
                params![
                    kind.as_str(),
                    key_digest(key),
                    contaazul_id,
                    now.to_rfc3339()
                ],
            )?;
            Ok(())
        })
    }

    /// Forgets the id remembered for `key`, so that the next order looks it up again.
    pub fn forget_id(&self, kind: Remembered, key: &str) -> Result<()> {
        self.with(|conn| {
            conn.execute(
                "DELETE FROM remembered_ids WHERE kind = ?1 AND key_digest = ?2",
                params![kind.as_str(), key_digest(key)],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_remembered_by_a_digest_and_forgotten_on_demand() {
        let store = Store::open_in_memory().unwrap();
        let now = Utc::now();
        let key = "maria silva|52998224725";
        assert_eq!(
            store.remembered_id(Remembered::Customer, key).unwrap(),
            None
        );
        store
            .remember_id(Remembered::Customer, key, "pessoa-1", now)
            .unwrap();
        assert_eq!(
            store.remembered_id(Remembered::Customer, key).unwrap(),
            Some("pessoa-1".into())
        );
        assert_eq!(
            store.remembered_id(Remembered::Product, key).unwrap(),
            None,
            "kinds apart"
        );
        let stored: String = store
            .with(|conn| {
                Ok(conn.query_row("SELECT key_digest FROM remembered_ids", [], |r| r.get(0))?)
            })
            .unwrap();
        assert!(!stored.contains("52998224725") && !stored.contains("maria"));
        store.forget_id(Remembered::Customer, key).unwrap();
        assert_eq!(
            store.remembered_id(Remembered::Customer, key).unwrap(),
            None
        );
    }
}
