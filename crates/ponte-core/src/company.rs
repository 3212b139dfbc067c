//! What the profiles importing into one Conta Azul company share, whichever process each runs
//! in (the window, a `ponte sync` per profile): the customers and products Ponte found or
//! created there, the sale numbers handed out, and the schedule of calls under the account's
//! rate limits.
//!
//! Two stores into one company is the common case: the same buyer in both is one customer, the
//! same product one product, and no two sales get one number. Each profile keeps its own
//! ledger; the company's book lives beside the profiles, in `companies/` under the base
//! directory, one folder per company, under the OS's file locks (released if a process dies).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::Remembered;

/// The folder of every company's book, under the base directory.
const COMPANIES_DIR: &str = "companies";
/// How long a process waits for another's turn at the book before saying the data directory
/// is busy: a turn is one lookup and at most one creation at Conta Azul.
const PATIENCE: Duration = Duration::from_secs(120);

pub struct Company {
    dir: PathBuf,
    book: Mutex<Connection>,
}

/// Held while one customer or product is found or created in the company: every other
/// profile's process waits for it.
pub struct CreationTurn {
    _file: File,
}

/// A company's folder under `base`: named by a digest of its key, which holds a CNPJ.
fn folder_of(base: &Path, key: &str) -> PathBuf {
    let folder = hex::encode(&Sha256::digest(key.as_bytes())[..12]);
    base.join(COMPANIES_DIR).join(folder)
}

impl Company {
    /// The book of the company `key` (`assumptions::company_key`) under `base`.
    pub fn open(base: &Path, key: &str) -> Result<Company> {
        let dir = folder_of(base, key);
        crate::config::create_private_dir(&dir)?;
        let book = Connection::open(dir.join("company.sqlite3"))?;
        book.busy_timeout(PATIENCE)?;
        book.pragma_update(None, "journal_mode", "WAL")?;
        book.execute_batch(
            "CREATE TABLE IF NOT EXISTS ids (
                 kind TEXT NOT NULL,
                 key_digest TEXT NOT NULL,
                 contaazul_id TEXT NOT NULL,
                 PRIMARY KEY (kind, key_digest)
             );
             CREATE TABLE IF NOT EXISTS numbers (
                 one INTEGER PRIMARY KEY CHECK (one = 1),
                 highest INTEGER NOT NULL
             );
             CREATE TABLE IF NOT EXISTS members (profile TEXT PRIMARY KEY);",
        )?;
        Ok(Company {
            dir,
            book: Mutex::new(book),
        })
    }

    /// The book of the company `key`, if one was ever opened under `base`.
    pub fn existing(base: &Path, key: &str) -> Result<Option<Company>> {
        if folder_of(base, key).is_dir() {
            Company::open(base, key).map(Some)
        } else {
            Ok(None)
        }
    }

    /// `profile` imports into this company.
    pub fn join(&self, profile: &str) -> Result<()> {
        self.with(|book| {
            book.execute(
                "INSERT OR IGNORE INTO members (profile) VALUES (?1)",
                [profile],
            )?;
            Ok(())
        })
    }

    /// `profile` no longer imports into this company (disconnected from it, or removed).
    pub fn leave(&self, profile: &str) -> Result<()> {
        self.with(|book| {
            book.execute("DELETE FROM members WHERE profile = ?1", [profile])?;
            Ok(())
        })
    }

    /// Whether more than one profile imports into this company: only then are its customers,
    /// products and numbers taken in turns, and its sales' notes name their store.
    pub fn shared(&self) -> Result<bool> {
        self.with(|book| {
            let members: i64 =
                book.query_row("SELECT count(*) FROM members", [], |row| row.get(0))?;
            Ok(members > 1)
        })
    }

    /// The file from which every process of every profile in this company takes its turns
    /// at Conta Azul (`http::Pacer::windows`): the limits are the account's.
    pub fn pace_schedule(&self) -> PathBuf {
        self.dir.join("contaazul-pace")
    }

    /// Waits for this process's turn to find or create a customer or product.
    pub async fn creation_turn(&self) -> Result<CreationTurn> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("creating.lock"))?;
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(CreationTurn { _file: file }),
                Err(TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Locked(self.dir.display().to_string()))
                }
                Err(TryLockError::Error(error)) => return Err(Error::Io(error)),
            }
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut book = self.book.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut book)
    }

    /// The id another profile (or this one) found or created for `key` in this company.
    pub fn known(&self, kind: Remembered, key: &str) -> Result<Option<String>> {
        self.with(|book| {
            Ok(book
                .query_row(
                    "SELECT contaazul_id FROM ids WHERE kind = ?1 AND key_digest = ?2",
                    params![kind.as_str(), crate::store::key_digest(key)],
                    |row| row.get(0),
                )
                .optional()?)
        })
    }

    pub fn record(&self, kind: Remembered, key: &str, contaazul_id: &str) -> Result<()> {
        self.with(|book| {
            book.execute(
                "INSERT INTO ids (kind, key_digest, contaazul_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind, key_digest) DO UPDATE SET contaazul_id = excluded.contaazul_id",
                params![kind.as_str(), crate::store::key_digest(key), contaazul_id],
            )?;
            Ok(())
        })
    }

    /// An id found stale (deleted or deactivated in Conta Azul): found afresh next time.
    pub fn forget(&self, kind: Remembered, key: &str) -> Result<()> {
        self.with(|book| {
            book.execute(
                "DELETE FROM ids WHERE kind = ?1 AND key_digest = ?2",
                params![kind.as_str(), crate::store::key_digest(key)],
            )?;
            Ok(())
        })
    }

    /// A sale number for this process: `candidate` (what its own count says is next), or past
    /// every number any profile was handed in this company, whichever is higher. One at a
    /// time, in one transaction: two profiles never get one number.
    pub fn hand_out_number(&self, candidate: i64) -> Result<i64> {
        self.with(|book| {
            let turn = book.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let highest: Option<i64> = turn
                .query_row("SELECT highest FROM numbers WHERE one = 1", [], |row| {
                    row.get(0)
                })
                .optional()?;
            let numero = highest.map_or(candidate, |highest| candidate.max(highest + 1));
            turn.execute(
                "INSERT INTO numbers (one, highest) VALUES (1, ?1)
                 ON CONFLICT (one) DO UPDATE SET highest = excluded.highest",
                [numero],
            )?;
            turn.commit()?;
            Ok(numero)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_books_of_one_company_share_ids_and_never_one_number() {
        let base = tempfile::tempdir().unwrap();
        // Two processes' views of one company, one of another company.
        let first = Company::open(base.path(), "documento:11222333000181").unwrap();
        let second = Company::open(base.path(), "documento:11222333000181").unwrap();
        let other = Company::open(base.path(), "documento:99888777000100").unwrap();
        assert_eq!(first.pace_schedule(), second.pace_schedule());
        assert_ne!(first.pace_schedule(), other.pace_schedule());

        first
            .record(Remembered::Customer, "ana|52998224725", "c-1")
            .unwrap();
        assert_eq!(
            second
                .known(Remembered::Customer, "ana|52998224725")
                .unwrap()
                .as_deref(),
            Some("c-1")
        );
        assert_eq!(
            second
                .known(Remembered::Product, "ana|52998224725")
                .unwrap(),
            None
        );
        assert_eq!(
            other
                .known(Remembered::Customer, "ana|52998224725")
                .unwrap(),
            None
        );
        second
            .forget(Remembered::Customer, "ana|52998224725")
            .unwrap();
        assert_eq!(
            first
                .known(Remembered::Customer, "ana|52998224725")
                .unwrap(),
            None
        );

        // Both read "next is 10" from Conta Azul: 10 and 11, never 10 twice.
        assert_eq!(first.hand_out_number(10).unwrap(), 10);
        assert_eq!(second.hand_out_number(10).unwrap(), 11);
        assert_eq!(first.hand_out_number(12).unwrap(), 12);
        assert_eq!(second.hand_out_number(40).unwrap(), 40);
        assert_eq!(
            other.hand_out_number(10).unwrap(),
            10,
            "another company counts alone"
        );
    }

    #[tokio::test]
    async fn one_profile_at_a_time_finds_or_creates() {
        let base = tempfile::tempdir().unwrap();
        let first = Company::open(base.path(), "id:7").unwrap();
        let second = Company::open(base.path(), "id:7").unwrap();
        let turn = first.creation_turn().await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(100), second.creation_turn());
        assert!(waiting.await.is_err(), "the second waits for the first");
        drop(turn);
        tokio::time::timeout(Duration::from_secs(1), second.creation_turn())
            .await
            .expect("its turn once the first is done")
            .unwrap();
    }

    /// Issue 26: a company is shared while two profiles import into it, no longer.
    #[test]
    fn a_company_is_shared_while_two_profiles_import_into_it() {
        let base = tempfile::tempdir().unwrap();
        let company = Company::open(base.path(), "documento:11222333000181").unwrap();
        company.join("principal").unwrap();
        company.join("principal").unwrap();
        assert!(!company.shared().unwrap(), "one profile, twice");
        company.join("loja-2").unwrap();
        let seen_elsewhere = Company::existing(base.path(), "documento:11222333000181")
            .unwrap()
            .unwrap();
        assert!(seen_elsewhere.shared().unwrap());
        seen_elsewhere.leave("loja-2").unwrap();
        assert!(!company.shared().unwrap());
        assert!(Company::existing(base.path(), "documento:99")
            .unwrap()
            .is_none());
    }
}
