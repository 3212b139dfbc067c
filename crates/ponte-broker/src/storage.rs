//! What the broker keeps, behind one interface with two implementations: SQLite (`db.rs`, the
//! embedded default for one instance) and Postgres (`pg.rs`, for several instances, which hear
//! of each other's events through `LISTEN/NOTIFY`). Every call is synchronous and made on the
//! blocking pool (`BrokerState::db`); the tests run the same suite against both.
//!
//! What a claim decides from its row is written once (`decide_claim`): each implementation
//! only loads the row under its lock and carries out the decision.

use std::path::PathBuf;

use crate::connects::{Claim, Proof, Settled, Started};
use crate::db::Result;
use crate::feed::{Event, NewEvent};
use crate::installations::Known;
use crate::seal::same_digest;
use crate::Service;

/// Where the broker keeps its data: `PONTE_BROKER_DATABASE`, a SQLite file (or `:memory:`)
/// or a `postgres://` URL.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    /// A connection URL (its password, if any, never printed) and the schema to use (`None`:
    /// the user's default search path).
    Postgres {
        url: String,
        schema: Option<String>,
    },
}

impl Database {
    pub fn parse(setting: &str) -> Database {
        if setting.starts_with("postgres://") || setting.starts_with("postgresql://") {
            Database::Postgres {
                url: setting.to_string(),
                schema: None,
            }
        } else {
            Database::Sqlite(PathBuf::from(setting))
        }
    }

    /// Opens it, migrated to this broker's schema.
    pub fn open(&self) -> Result<std::sync::Arc<dyn Storage>> {
        Ok(match self {
            Database::Sqlite(path) => std::sync::Arc::new(crate::db::Db::open(path)?),
            Database::Postgres { url, schema } => {
                std::sync::Arc::new(crate::pg::PgDb::open(url, schema.as_deref())?)
            }
        })
    }
}

impl From<&str> for Database {
    fn from(setting: &str) -> Database {
        Database::parse(setting)
    }
}

impl From<String> for Database {
    fn from(setting: String) -> Database {
        Database::parse(&setting)
    }
}

impl From<PathBuf> for Database {
    fn from(path: PathBuf) -> Database {
        Database::Sqlite(path)
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
            Database::Postgres { url, schema } => {
                // `postgres://user:password@host/db`: everything before the host hidden.
                let host = url.rsplit_once('@').map_or(url.as_str(), |(_, host)| host);
                write!(f, "Postgres(…@{host}, schema {schema:?})")
            }
        }
    }
}

/// Wakes the long polls of a store (`None`: of every store).
pub type Ring = Box<dyn Fn(Option<&str>) + Send + Sync>;

/// Everything the routes ask of the database.
pub trait Storage: Send + Sync {
    /// Records a started connect; `false` when its id is already taken (a reused `state`).
    fn start(
        &self,
        id: &str,
        service: Service,
        verifier_digest: &str,
        return_port: Option<u16>,
        expires_at: i64,
    ) -> Result<bool>;
    fn started(&self, id: &str, now: i64) -> Result<Option<Started>>;
    /// The service answered: only a pending, unexpired connect takes it.
    fn settle(&self, id: &str, outcome: Settled, now: i64) -> Result<bool>;
    /// A pairing code's result: an install that started in the Nuvemshop admin.
    fn add_paired(
        &self,
        id: &str,
        service: Service,
        sealed: &[u8],
        store_id: Option<&str>,
        expires_at: i64,
    ) -> Result<bool>;
    /// Takes the result of a connect, once, in one transaction with the installation's key.
    fn claim(&self, id: &str, proof: Proof<'_>, now: i64) -> Result<Claim>;
    /// The installation a key belongs to (noting, at most hourly, that it was seen).
    fn installation(&self, key: &str, now: i64) -> Result<Option<Known>>;
    /// The merchant disconnected: the key stops working. `false` when it was unknown.
    fn revoke(&self, key: &str) -> Result<bool>;
    fn knows_store(&self, store_id: &str) -> Result<bool>;
    /// Queues an event once; `false` when the same delivery is still queued.
    fn queue_event(&self, new: NewEvent<'_>, now: i64) -> Result<bool>;
    /// The store's events after `after`, oldest first, a page at a time.
    fn events_after(&self, store_id: &str, after: i64) -> Result<Vec<Event>>;
    fn acknowledge(&self, installation: &Known, up_to: i64) -> Result<()>;
    /// Removes what has outlived its purpose.
    fn purge(&self, now: i64) -> Result<()>;
    fn healthy(&self) -> bool;
    /// Rows still holding sealed tokens (tests: nothing left behind).
    fn sealed_rows(&self) -> Result<i64>;
    fn rows(&self) -> Result<i64>;
    fn queued_events(&self) -> Result<i64>;
    fn installations(&self) -> Result<i64>;
    /// Hears of events other instances queue, calling `ring` with their store (`None`: any
    /// store, after a gap in hearing) from a thread of its own until `stop`. One instance's own
    /// events need nothing of this (SQLite's case).
    fn hear_others(&self, _ring: Ring, _stop: tokio_util::sync::CancellationToken) -> Result<()> {
        Ok(())
    }
}

/// A connect's row as a claim finds it.
pub(crate) struct ClaimRow {
    pub service: String,
    pub verifier_digest: Option<String>,
    pub return_digest: Option<String>,
    pub store_id: Option<String>,
    pub expires_at: i64,
    pub outcome: String,
    pub sealed: Option<Vec<u8>>,
    pub refusal: Option<String>,
}

/// What a claim does, decided from its row and proof alone.
pub(crate) enum ClaimStep {
    /// Answer this, changing nothing.
    Answer(Claim),
    /// A wrong verifier or return code: counted (burning the connect at the limit), then
    /// answered with this unless it burnt.
    Wrong(Claim),
    /// Issue the installation and hand over the tokens; the row becomes `claimed`.
    Hand {
        service: Service,
        sealed: Vec<u8>,
        store_id: Option<String>,
    },
    /// Hand over the refusal; the row becomes `claimed`.
    Refuse(String),
}

pub(crate) fn decide_claim(row: Option<ClaimRow>, proof: Proof<'_>, now: i64) -> ClaimStep {
    let Some(row) = row else {
        return ClaimStep::Answer(Claim::Unknown);
    };
    // A pairing row answers only to its code, a started connect only to its verifier.
    let given_return = match (proof, row.verifier_digest.as_deref()) {
        (Proof::PairingCode, None) => None,
        (
            Proof::Verifier {
                verifier_digest,
                return_digest,
            },
            Some(expected),
        ) => {
            if !same_digest(verifier_digest, expected) {
                return ClaimStep::Wrong(Claim::WrongVerifier);
            }
            return_digest
        }
        _ => return ClaimStep::Answer(Claim::Unknown),
    };
    match row.outcome.as_str() {
        "claimed" => ClaimStep::Answer(Claim::AlreadyClaimed),
        "burnt" => ClaimStep::Answer(Claim::Burnt),
        _ if row.expires_at <= now => ClaimStep::Answer(Claim::Expired),
        "pending" => ClaimStep::Answer(Claim::Pending),
        "refused" => ClaimStep::Refuse(row.refusal.unwrap_or_default()),
        "ready" => {
            if row.verifier_digest.is_some() {
                match (given_return, row.return_digest.as_deref()) {
                    (None, _) => return ClaimStep::Answer(Claim::Authorized),
                    (Some(given), Some(expected)) if same_digest(given, expected) => {}
                    _ => return ClaimStep::Wrong(Claim::WrongReturnCode),
                }
            }
            match (Service::from_path(&row.service), row.sealed) {
                (Some(service), Some(sealed)) => ClaimStep::Hand {
                    service,
                    sealed,
                    store_id: row.store_id,
                },
                _ => ClaimStep::Answer(Claim::Unknown),
            }
        }
        _ => ClaimStep::Answer(Claim::Unknown),
    }
}
