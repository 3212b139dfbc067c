//! The broker's SQLite database (its tables: `connects` here, `installations` and `events` in
//! `feed.rs`). Pending connects: a row per started connect (under the digest of its `state`) or
//! per pairing code (under the digest of the code), holding the sealed tokens once the service
//! sent the browser back, until the app claims them once or ten minutes pass.
//!
//! Every change is one statement or one `IMMEDIATE` transaction, so several broker processes
//! may share the file: a claim succeeds in exactly one of them.

use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::seal::same_digest;
use crate::Service;

/// After this many wrong verifiers a pending connect is burnt: its tokens are dropped.
pub const MAX_WRONG_VERIFIERS: i64 = 5;
/// Rows stay this long after they expire, so that a late claim hears "expired", not "unknown".
const KEEP_EXPIRED_SECONDS: i64 = 24 * 3600;

pub fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A started connect, as the callback finds it.
#[derive(Debug)]
pub struct Started {
    pub service: Service,
    pub return_port: Option<u16>,
    pub expired: bool,
    pub settled: bool,
}

/// What a claim finds.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    Unknown,
    Expired,
    AlreadyClaimed,
    WrongVerifier,
    Burnt,
    Pending,
    Ready(Service, Vec<u8>),
    Refused(String),
}

pub struct Db {
    db: Mutex<Connection>,
}

#[derive(Debug, thiserror::Error)]
#[error("broker database: {0}")]
pub struct DbError(#[from] rusqlite::Error);

type Result<T> = std::result::Result<T, DbError>;

impl Db {
    pub fn open(path: &Path) -> Result<Db> {
        let db = Connection::open(path)?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        if path != Path::new(":memory:") {
            db.pragma_update(None, "journal_mode", "WAL")?;
        }
        db.execute_batch(
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
        )?;
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

    /// Records a started connect; `false` when its id is already taken (a reused `state`).
    pub fn start(
        &self,
        id: &str,
        service: Service,
        verifier_digest: &str,
        return_port: Option<u16>,
        expires_at: i64,
    ) -> Result<bool> {
        let inserted = self.db().execute(
            "INSERT OR IGNORE INTO connects (id, service, verifier_digest, return_port, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, service.path(), verifier_digest, return_port, expires_at],
        )?;
        Ok(inserted == 1)
    }

    pub fn started(&self, id: &str, now: i64) -> Result<Option<Started>> {
        let row = self
            .db()
            .query_row(
                "SELECT service, return_port, expires_at, outcome FROM connects
                 WHERE id = ?1 AND verifier_digest IS NOT NULL",
                [id],
                |row| {
                    Ok((
                        row.get::<_, String>("service")?,
                        row.get::<_, Option<u16>>("return_port")?,
                        row.get::<_, i64>("expires_at")?,
                        row.get::<_, String>("outcome")?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(service, return_port, expires_at, outcome)| {
            Some(Started {
                service: Service::from_path(&service)?,
                return_port,
                expired: expires_at <= now,
                settled: outcome != "pending",
            })
        }))
    }

    /// The service answered: tokens (sealed) or a refusal. Only a pending, unexpired connect
    /// takes it; `false` otherwise.
    pub fn settle(&self, id: &str, outcome: Settled, now: i64) -> Result<bool> {
        let (kind, sealed, refusal) = match outcome {
            Settled::Ready(sealed) => ("ready", Some(sealed), None),
            Settled::Refused(reason) => ("refused", None, Some(reason)),
        };
        let changed = self.db().execute(
            "UPDATE connects SET outcome = ?2, sealed = ?3, refusal = ?4
             WHERE id = ?1 AND outcome = 'pending' AND expires_at > ?5",
            params![id, kind, sealed, refusal, now],
        )?;
        Ok(changed == 1)
    }

    /// A pairing code's result: an install that started in the Nuvemshop admin.
    pub fn add_paired(
        &self,
        id: &str,
        service: Service,
        sealed: &[u8],
        expires_at: i64,
    ) -> Result<bool> {
        let inserted = self.db().execute(
            "INSERT OR IGNORE INTO connects (id, service, expires_at, outcome, sealed)
             VALUES (?1, ?2, ?3, 'ready', ?4)",
            params![id, service.path(), expires_at, sealed],
        )?;
        Ok(inserted == 1)
    }

    /// Takes the result of a connect, once. `verifier_digest` is `None` for a pairing code.
    pub fn claim(&self, id: &str, verifier_digest: Option<&str>, now: i64) -> Result<Claim> {
        let mut db = self.db();
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = tx
            .query_row(
                "SELECT service, verifier_digest, expires_at, outcome, sealed, refusal
                 FROM connects WHERE id = ?1",
                [id],
                |row| {
                    Ok((
                        row.get::<_, String>("service")?,
                        row.get::<_, Option<String>>("verifier_digest")?,
                        row.get::<_, i64>("expires_at")?,
                        row.get::<_, String>("outcome")?,
                        row.get::<_, Option<Vec<u8>>>("sealed")?,
                        row.get::<_, Option<String>>("refusal")?,
                    ))
                },
            )
            .optional()?;
        let Some((service, expected, expires_at, outcome, sealed, refusal)) = row else {
            return Ok(Claim::Unknown);
        };
        // A pairing row answers only to a code, a started connect only to its verifier.
        match (verifier_digest, expected.as_deref()) {
            (Some(given), Some(expected)) if same_digest(given, expected) => {}
            (None, None) => {}
            (Some(_), Some(_)) => {
                if outcome == "burnt" {
                    return Ok(Claim::Burnt);
                }
                tx.execute(
                    "UPDATE connects SET wrong_verifiers = wrong_verifiers + 1,
                        outcome = CASE WHEN wrong_verifiers + 1 >= ?2 AND outcome <> 'claimed'
                                       THEN 'burnt' ELSE outcome END,
                        sealed = CASE WHEN wrong_verifiers + 1 >= ?2 THEN NULL ELSE sealed END
                     WHERE id = ?1",
                    params![id, MAX_WRONG_VERIFIERS],
                )?;
                tx.commit()?;
                return Ok(Claim::WrongVerifier);
            }
            _ => return Ok(Claim::Unknown),
        }
        let answer = match outcome.as_str() {
            "claimed" => Claim::AlreadyClaimed,
            "burnt" => Claim::Burnt,
            _ if expires_at <= now => Claim::Expired,
            "pending" => Claim::Pending,
            "refused" => Claim::Refused(refusal.unwrap_or_default()),
            "ready" => match (Service::from_path(&service), sealed) {
                (Some(service), Some(sealed)) => Claim::Ready(service, sealed),
                _ => Claim::Unknown,
            },
            _ => Claim::Unknown,
        };
        if matches!(answer, Claim::Ready(..) | Claim::Refused(_)) {
            // Single use: the tokens leave the database with this answer.
            tx.execute(
                "UPDATE connects SET outcome = 'claimed', sealed = NULL WHERE id = ?1",
                [id],
            )?;
        }
        tx.commit()?;
        Ok(answer)
    }

    /// Drops expired tokens at once and forgets rows a day after they expired.
    pub fn purge(&self, now: i64) -> Result<()> {
        let db = self.db();
        db.execute(
            "UPDATE connects SET sealed = NULL WHERE expires_at <= ?1 AND sealed IS NOT NULL",
            [now],
        )?;
        db.execute(
            "DELETE FROM connects WHERE expires_at <= ?1",
            [now - KEEP_EXPIRED_SECONDS],
        )?;
        Ok(())
    }

    /// How many rows still hold sealed tokens (tests: nothing left behind).
    pub fn sealed_rows(&self) -> Result<i64> {
        Ok(self.db().query_row(
            "SELECT COUNT(*) FROM connects WHERE sealed IS NOT NULL",
            [],
            |row| row.get(0),
        )?)
    }

    pub fn rows(&self) -> Result<i64> {
        Ok(self
            .db()
            .query_row("SELECT COUNT(*) FROM connects", [], |row| row.get(0))?)
    }
}

/// The outcome of the callback.
pub enum Settled {
    Ready(Vec<u8>),
    Refused(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::digest;

    fn claims() -> Db {
        Db::open(Path::new(":memory:")).unwrap()
    }

    #[test]
    fn a_result_is_claimed_once_with_its_verifier() {
        let claims = claims();
        let verifier = digest("v");
        assert!(claims
            .start("s", Service::Contaazul, &verifier, Some(5000), 100)
            .unwrap());
        assert!(!claims
            .start("s", Service::Contaazul, &verifier, None, 100)
            .unwrap());
        assert_eq!(
            claims.claim("s", Some(&verifier), 10).unwrap(),
            Claim::Pending
        );
        assert!(claims.settle("s", Settled::Ready(vec![1, 2]), 10).unwrap());
        assert!(!claims.settle("s", Settled::Ready(vec![3]), 10).unwrap());
        assert_eq!(
            claims.claim("s", Some(&digest("w")), 10).unwrap(),
            Claim::WrongVerifier
        );
        assert_eq!(
            claims.claim("s", Some(&verifier), 10).unwrap(),
            Claim::Ready(Service::Contaazul, vec![1, 2])
        );
        assert_eq!(
            claims.claim("s", Some(&verifier), 10).unwrap(),
            Claim::AlreadyClaimed
        );
        assert_eq!(claims.sealed_rows().unwrap(), 0);
        assert_eq!(
            claims.claim("nope", Some(&verifier), 10).unwrap(),
            Claim::Unknown
        );
    }

    #[test]
    fn expired_and_burnt_results_are_never_handed_out() {
        let claims = claims();
        let verifier = digest("v");
        claims
            .start("late", Service::Nuvemshop, &verifier, None, 100)
            .unwrap();
        claims.settle("late", Settled::Ready(vec![1]), 50).unwrap();
        assert_eq!(
            claims.claim("late", Some(&verifier), 100).unwrap(),
            Claim::Expired
        );
        claims.purge(100).unwrap();
        assert_eq!(claims.sealed_rows().unwrap(), 0);

        claims
            .start("guessed", Service::Nuvemshop, &verifier, None, 100)
            .unwrap();
        claims
            .settle("guessed", Settled::Ready(vec![1]), 50)
            .unwrap();
        for _ in 0..MAX_WRONG_VERIFIERS {
            assert_eq!(
                claims.claim("guessed", Some(&digest("x")), 50).unwrap(),
                Claim::WrongVerifier
            );
        }
        assert_eq!(
            claims.claim("guessed", Some(&verifier), 50).unwrap(),
            Claim::Burnt
        );
        assert_eq!(claims.sealed_rows().unwrap(), 0);
    }

    #[test]
    fn a_settle_after_expiry_is_refused() {
        let claims = claims();
        claims
            .start("s", Service::Contaazul, &digest("v"), None, 100)
            .unwrap();
        assert!(!claims
            .settle("s", Settled::Refused("x".into()), 100)
            .unwrap());
    }

    #[test]
    fn a_pairing_code_is_claimed_without_verifier_and_only_so() {
        let claims = claims();
        claims
            .add_paired("p", Service::Nuvemshop, &[9], 100)
            .unwrap();
        assert_eq!(
            claims.claim("p", Some(&digest("v")), 10).unwrap(),
            Claim::Unknown
        );
        assert_eq!(
            claims.claim("p", None, 10).unwrap(),
            Claim::Ready(Service::Nuvemshop, vec![9])
        );
        assert_eq!(claims.claim("p", None, 10).unwrap(), Claim::AlreadyClaimed);
        claims
            .start("s", Service::Contaazul, &digest("v"), None, 100)
            .unwrap();
        assert_eq!(claims.claim("s", None, 10).unwrap(), Claim::Unknown);
    }
}
