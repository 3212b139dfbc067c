//! What the broker keeps, behind one interface with two implementations: SQLite (`db.rs`, the
//! embedded default for one instance) and Postgres (`pg.rs`, for several instances, which hear
//! of each other's events through `LISTEN/NOTIFY`). Every call is synchronous and made on the
//! blocking pool (`BrokerState::db`); the tests run the same suite against both.
//!
//! What a claim decides from its row is written once (`decide_claim`): each implementation
//! only loads the row under its lock and carries out the decision.

use std::path::PathBuf;

use crate::seal::{digest, same_digest};
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

// ---- The interface's vocabulary: what the routes and both backends speak ----------------

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("broker database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the broker database was written by a newer broker (schema {found}, this one knows {known})")]
    TooNew { found: i64, known: i64 },
    #[error("broker database: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("broker database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("broker database work did not finish: {0}")]
    Task(String),
}

pub type Result<T> = std::result::Result<T, DbError>;

/// After this many wrong verifiers or return codes a pending connect is burnt: its tokens are
/// dropped.
pub const MAX_WRONG_ATTEMPTS: i64 = 5;

/// A started connect, as the callback finds it.
#[derive(Debug)]
pub struct Started {
    pub service: Service,
    pub return_port: Option<u16>,
    pub expired: bool,
    pub settled: bool,
}

/// What the service's answer left for the app.
pub enum Settled {
    Ready {
        sealed: Vec<u8>,
        /// The digest of the return code the page shows (see `codes::return_digest`).
        return_digest: String,
        /// Nuvemshop's store, for the installation issued at the claim.
        store_id: Option<String>,
    },
    Refused(String),
}

/// How a claim proves it is owed the result.
#[derive(Clone, Copy)]
pub enum Proof<'a> {
    /// A started connect: the verifier's digest and, once the app has it, the return code's.
    Verifier {
        verifier_digest: &'a str,
        return_digest: Option<&'a str>,
    },
    /// A pairing code: its digest is the row's id.
    PairingCode,
}

/// What a claim finds.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    Unknown,
    Expired,
    AlreadyClaimed,
    WrongVerifier,
    WrongReturnCode,
    Burnt,
    /// The merchant has not finished in the browser yet.
    Pending,
    /// The service gave tokens; they wait for the return code.
    Authorized,
    /// The tokens (sealed), and the installation key issued with them.
    Ready(Service, Vec<u8>, Installation),
    Refused(String),
}

impl Claim {
    /// Its name in the metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            Claim::Unknown => "unknown",
            Claim::Expired => "expired",
            Claim::AlreadyClaimed => "already_claimed",
            Claim::WrongVerifier => "wrong_verifier",
            Claim::WrongReturnCode => "wrong_return_code",
            Claim::Burnt => "burnt",
            Claim::Pending => "pending",
            Claim::Authorized => "authorized",
            Claim::Ready(..) => "ready",
            Claim::Refused(_) => "refused",
        }
    }
}

pub(crate) const DAY: i64 = 24 * 3600;
/// How long an order event waits to be read.
const KEEP_ORDER_EVENTS_SECONDS: i64 = 7 * DAY;
/// How long an LGPD request waits to be read.
const KEEP_LGPD_EVENTS_SECONDS: i64 = 30 * DAY;
pub const STORE_REDACT: &str = "store/redact";
/// Events handed out per read.
pub const PAGE: i64 = 100;

/// An event as the store's installations read it.
pub use ponte_protocol::FeedEvent as Event;

/// A delivery to queue for a store.
pub struct NewEvent<'a> {
    pub store_id: &'a str,
    pub event: &'a str,
    pub resource_id: &'a str,
    pub customer: Option<&'a str>,
    pub orders: &'a [String],
    /// Signed by Nuvemshop (order events always are).
    pub verified: bool,
}

pub(crate) fn lifetime(event: &str) -> i64 {
    if event.starts_with("order/") {
        KEEP_ORDER_EVENTS_SECONDS
    } else {
        KEEP_LGPD_EVENTS_SECONDS
    }
}

/// An installation unseen this long is forgotten (its key stops working).
pub(crate) const KEEP_UNSEEN_SECONDS: i64 = 180 * 24 * 3600;
/// `seen_at` moves at most this often: a long poll every 25 s is not a write every 25 s.
pub(crate) const SEEN_EVERY_SECONDS: i64 = 3600;

/// A key handed to an app at its claim. `cursor`: where a Nuvemshop installation's reading of
/// the store's events starts (after those already queued).
#[derive(PartialEq, Eq)]
pub struct Installation {
    pub key: String,
    pub cursor: Option<i64>,
}

impl std::fmt::Debug for Installation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installation")
            .field("cursor", &self.cursor)
            .finish_non_exhaustive()
    }
}

/// An installation a key belongs to.
#[derive(Clone, Debug)]
pub struct Known {
    pub digest: String,
    pub service: Service,
    pub store_id: Option<String>,
}

pub fn key_digest(key: &str) -> String {
    digest(&format!("install:{key}"))
}

/// A new installation key: 256 random bits, kept here only as its digest.
pub(crate) fn new_key() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}
