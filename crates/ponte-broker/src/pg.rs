//! The broker's Postgres database, for several instances behind one load balancer: the same
//! tables as SQLite's (`db.rs`), written for concurrent writers.
//!
//! - **Claims**: the connect's row is read `FOR UPDATE`, so of any number of claims of one
//!   result on any number of instances exactly one hands the tokens over.
//! - **Event numbers** are per store, taken from the store's row in the event's own transaction
//!   (`stores.last_event`): writers of one store queue one after the other, so a number is
//!   visible only after every smaller one of its store, and a cursor never skips an event.
//! - **Wake-ups across instances**: queuing an event sends `NOTIFY` with its store once it is
//!   committed; each instance `LISTEN`s (`hear_others`) and rings that store's long polls.
//!
//! The connection is plain TCP (no TLS): run the broker and Postgres on one private network
//! or host (`deploy/compose.yaml` does).

use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls, Transaction};
use r2d2_postgres::PostgresConnectionManager;
use tokio_util::sync::CancellationToken;

use crate::storage::{
    self as installations, lifetime, Claim, DbError, Event, Installation, Known, NewEvent, Proof,
    Result, Settled, Started, KEEP_UNSEEN_SECONDS, MAX_WRONG_ATTEMPTS, PAGE, SEEN_EVERY_SECONDS,
    STORE_REDACT,
};
use crate::storage::{decide_claim, ClaimRow, ClaimStep, Ring, Storage};
use crate::Service;

type Pool = r2d2::Pool<PostgresConnectionManager<NoTls>>;

/// Connections each instance keeps to Postgres (every call also holds a blocking thread).
const POOL_SIZE: u32 = 32;
/// Rows an expired connect keeps after its expiry (see `connects.rs`).
const KEEP_EXPIRED_SECONDS: i64 = 3600;
/// Serialises migrations of one database across instances starting at once.
/// ("ponte" in ASCII.)
const MIGRATION_LOCK: i64 = 0x0070_6f6e_7465;

/// Each step takes the schema from its index to the next.
const MIGRATIONS: &[&str] = &[
    // 1: the schema as SQLite's fourth, with events numbered per store.
    "CREATE TABLE connects (
        id TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        verifier_digest TEXT,
        return_port INTEGER,
        expires_at BIGINT NOT NULL,
        outcome TEXT NOT NULL DEFAULT 'pending',
        sealed BYTEA,
        refusal TEXT,
        wrong_attempts INTEGER NOT NULL DEFAULT 0,
        return_digest TEXT,
        store_id TEXT
    );
    CREATE INDEX connects_expiry ON connects (expires_at);
    CREATE INDEX connects_sealed_expiry ON connects (expires_at) WHERE sealed IS NOT NULL;
    CREATE TABLE installations (
        key_digest TEXT PRIMARY KEY,
        service TEXT NOT NULL,
        store_id TEXT,
        created_at BIGINT NOT NULL,
        seen_at BIGINT NOT NULL,
        acked BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX installations_by_store ON installations (store_id) WHERE store_id IS NOT NULL;
    CREATE INDEX installations_by_seen ON installations (seen_at);
    CREATE TABLE stores (
        store_id TEXT PRIMARY KEY,
        last_event BIGINT NOT NULL
    );
    CREATE TABLE events (
        store_id TEXT NOT NULL,
        id BIGINT NOT NULL,
        event TEXT NOT NULL,
        resource_id TEXT NOT NULL,
        customer_id TEXT,
        orders TEXT,
        received_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        verified BOOLEAN NOT NULL,
        PRIMARY KEY (store_id, id),
        UNIQUE (store_id, event, resource_id)
    );
    CREATE INDEX events_by_expiry ON events (expires_at);",
];

pub struct PgDb {
    /// Always `Some` but while dropping (see `Drop`).
    pool: Option<Pool>,
    /// How to open the listening connection (`hear_others`).
    config: postgres::Config,
    /// The channel of this schema's events.
    channel: String,
}

impl PgDb {
    /// Connects, makes the schema if asked for one (`[a-z0-9_]`), and migrates it.
    pub fn open(url: &str, schema: Option<&str>) -> Result<PgDb> {
        let mut config: postgres::Config = url.parse()?;
        if let Some(schema) = schema {
            if schema.is_empty()
                || !schema
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(DbError::Task(format!("not a schema name: {schema}")));
            }
            // `IF NOT EXISTS` is no guard against another instance creating it at the same
            // moment (a unique violation): the migration's lock is taken first.
            let mut client = config.connect(NoTls)?;
            let mut tx = client.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
            tx.commit()?;
            config.options(&format!("-c search_path={schema}"));
        }
        let manager = PostgresConnectionManager::new(config.clone(), NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            // A query of its own before every call would double the round trips; a broken
            // connection fails its call instead, and the pool drops it (`has_broken`).
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(5))
            .build(manager)?;
        migrate(&mut *pool.get()?)?;
        Ok(PgDb {
            pool: Some(pool),
            config,
            channel: format!("ponte_events_{}", schema.unwrap_or("public")),
        })
    }

    fn client(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>> {
        Ok(self.pool.as_ref().expect("open").get()?)
    }

    fn count(&self, sql: &str) -> Result<i64> {
        Ok(self.client()?.query_one(sql, &[])?.get(0))
    }
}

/// A synchronous client says goodbye to the server as it closes, blocking on its own runtime,
/// which panics on an async worker: the last holder of the pool may well be one (a broker
/// dropped by a test), so the pool closes on a thread of its own.
impl Drop for PgDb {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::Builder::new()
                .name("ponte-broker-pg-close".into())
                .spawn(move || drop(pool));
        }
    }
}

fn migrate(client: &mut Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS ponte_broker_schema (version BIGINT NOT NULL)")?;
    let found: i64 = tx
        .query_opt("SELECT version FROM ponte_broker_schema", &[])?
        .map_or(0, |row| row.get(0));
    let known = MIGRATIONS.len() as i64;
    if found > known {
        return Err(DbError::TooNew { found, known });
    }
    for step in MIGRATIONS.iter().skip(found as usize) {
        tx.batch_execute(step)?;
    }
    tx.execute("DELETE FROM ponte_broker_schema", &[])?;
    tx.execute(
        "INSERT INTO ponte_broker_schema (version) VALUES ($1)",
        &[&known],
    )?;
    tx.commit()?;
    Ok(())
}

/// No installation of the store is left: nobody will read its events, and its numbering goes.
fn forget_store_if_unread(tx: &mut Transaction<'_>, store_id: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM events WHERE store_id = $1
           AND NOT EXISTS (SELECT 1 FROM installations WHERE store_id = $1)",
        &[&store_id],
    )?;
    tx.execute(
        "DELETE FROM stores WHERE store_id = $1
           AND NOT EXISTS (SELECT 1 FROM installations WHERE store_id = $1)
           AND NOT EXISTS (SELECT 1 FROM events WHERE store_id = $1)",
        &[&store_id],
    )?;
    Ok(())
}

/// Issues a key inside the claim's transaction, its cursor the store's last event number:
/// an event whose transaction has not committed yet gets a larger one.
fn issue(
    tx: &mut Transaction<'_>,
    service: Service,
    store_id: Option<&str>,
    now: i64,
) -> Result<Installation> {
    let key = installations::new_key();
    let cursor: i64 = tx
        .query_one(
            "INSERT INTO installations (key_digest, service, store_id, created_at, seen_at, acked)
             VALUES ($1, $2, $3, $4, $4,
                     COALESCE((SELECT last_event FROM stores WHERE store_id = $3), 0))
             RETURNING acked",
            &[
                &installations::key_digest(&key),
                &service.path(),
                &store_id,
                &now,
            ],
        )?
        .get(0);
    Ok(Installation {
        key,
        cursor: (service == Service::Nuvemshop).then_some(cursor),
    })
}

impl Storage for PgDb {
    fn start(
        &self,
        id: &str,
        service: Service,
        verifier_digest: &str,
        return_port: Option<u16>,
        expires_at: i64,
    ) -> Result<bool> {
        let port = return_port.map(i32::from);
        let inserted = self.client()?.execute(
            "INSERT INTO connects (id, service, verifier_digest, return_port, expires_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            &[&id, &service.path(), &verifier_digest, &port, &expires_at],
        )?;
        Ok(inserted == 1)
    }

    fn started(&self, id: &str, now: i64) -> Result<Option<Started>> {
        let row = self.client()?.query_opt(
            "SELECT service, return_port, expires_at, outcome FROM connects
             WHERE id = $1 AND verifier_digest IS NOT NULL",
            &[&id],
        )?;
        Ok(row.and_then(|row| {
            let port: Option<i32> = row.get("return_port");
            let expires_at: i64 = row.get("expires_at");
            let outcome: String = row.get("outcome");
            Some(Started {
                service: Service::from_path(row.get("service"))?,
                return_port: port.and_then(|p| u16::try_from(p).ok()),
                expired: expires_at <= now,
                settled: outcome != "pending",
            })
        }))
    }

    fn settle(&self, id: &str, outcome: Settled, now: i64) -> Result<bool> {
        let (kind, sealed, return_digest, store_id, refusal) = match outcome {
            Settled::Ready {
                sealed,
                return_digest,
                store_id,
            } => ("ready", Some(sealed), Some(return_digest), store_id, None),
            Settled::Refused(reason) => ("refused", None, None, None, Some(reason)),
        };
        let changed = self.client()?.execute(
            "UPDATE connects SET outcome = $2, sealed = $3, return_digest = $4, store_id = $5,
                                 refusal = $6
             WHERE id = $1 AND outcome = 'pending' AND expires_at > $7",
            &[
                &id,
                &kind,
                &sealed,
                &return_digest,
                &store_id,
                &refusal,
                &now,
            ],
        )?;
        Ok(changed == 1)
    }

    fn add_paired(
        &self,
        id: &str,
        service: Service,
        sealed: &[u8],
        store_id: Option<&str>,
        expires_at: i64,
    ) -> Result<bool> {
        let inserted = self.client()?.execute(
            "INSERT INTO connects (id, service, expires_at, outcome, sealed, store_id)
             VALUES ($1, $2, $3, 'ready', $4, $5) ON CONFLICT (id) DO NOTHING",
            &[&id, &service.path(), &expires_at, &sealed, &store_id],
        )?;
        Ok(inserted == 1)
    }

    fn claim(&self, id: &str, proof: Proof<'_>, now: i64) -> Result<Claim> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let row = tx
            .query_opt(
                "SELECT service, verifier_digest, return_digest, store_id, expires_at, outcome,
                        sealed, refusal
                 FROM connects WHERE id = $1 FOR UPDATE",
                &[&id],
            )?
            .map(|row| ClaimRow {
                service: row.get("service"),
                verifier_digest: row.get("verifier_digest"),
                return_digest: row.get("return_digest"),
                store_id: row.get("store_id"),
                expires_at: row.get("expires_at"),
                outcome: row.get("outcome"),
                sealed: row.get("sealed"),
                refusal: row.get("refusal"),
            });
        let answer = match decide_claim(row, proof, now) {
            ClaimStep::Answer(answer) => return Ok(answer),
            ClaimStep::Wrong(answer) => {
                let outcome: String = tx
                    .query_one(
                        "UPDATE connects SET wrong_attempts = wrong_attempts + 1,
                            outcome = CASE WHEN wrong_attempts + 1 >= $2 AND outcome <> 'claimed'
                                           THEN 'burnt' ELSE outcome END,
                            sealed = CASE WHEN wrong_attempts + 1 >= $2 THEN NULL ELSE sealed END,
                            return_digest = CASE WHEN wrong_attempts + 1 >= $2 THEN NULL
                                                 ELSE return_digest END
                         WHERE id = $1 RETURNING outcome",
                        &[&id, &(MAX_WRONG_ATTEMPTS as i32)],
                    )?
                    .get(0);
                tx.commit()?;
                return Ok(if outcome == "burnt" {
                    Claim::Burnt
                } else {
                    answer
                });
            }
            ClaimStep::Hand {
                service,
                sealed,
                store_id,
            } => {
                let installation = issue(&mut tx, service, store_id.as_deref(), now)?;
                Claim::Ready(service, sealed, installation)
            }
            ClaimStep::Refuse(reason) => Claim::Refused(reason),
        };
        tx.execute(
            "UPDATE connects SET outcome = 'claimed', sealed = NULL, return_digest = NULL
             WHERE id = $1",
            &[&id],
        )?;
        tx.commit()?;
        Ok(answer)
    }

    fn installation(&self, key: &str, now: i64) -> Result<Option<Known>> {
        let mut client = self.client()?;
        let digest = installations::key_digest(key);
        let Some(row) = client.query_opt(
            "SELECT service, store_id, seen_at FROM installations WHERE key_digest = $1",
            &[&digest],
        )?
        else {
            return Ok(None);
        };
        let seen_at: i64 = row.get("seen_at");
        if seen_at <= now - SEEN_EVERY_SECONDS {
            client.execute(
                "UPDATE installations SET seen_at = $2 WHERE key_digest = $1",
                &[&digest, &now],
            )?;
        }
        Ok(Service::from_path(row.get("service")).map(|service| Known {
            digest,
            service,
            store_id: row.get("store_id"),
        }))
    }

    fn revoke(&self, key: &str) -> Result<bool> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let store: Option<Option<String>> = tx
            .query_opt(
                "DELETE FROM installations WHERE key_digest = $1 RETURNING store_id",
                &[&installations::key_digest(key)],
            )?
            .map(|row| row.get(0));
        if let Some(Some(store)) = &store {
            forget_store_if_unread(&mut tx, store)?;
        }
        tx.commit()?;
        Ok(store.is_some())
    }

    fn knows_store(&self, store_id: &str) -> Result<bool> {
        Ok(self
            .client()?
            .query_opt(
                "SELECT 1 FROM installations WHERE store_id = $1 LIMIT 1",
                &[&store_id],
            )?
            .is_some())
    }

    fn queue_event(&self, new: NewEvent<'_>, now: i64) -> Result<bool> {
        let NewEvent {
            store_id,
            event,
            resource_id,
            customer,
            orders,
            verified,
        } = new;
        let orders = (!orders.is_empty()).then(|| serde_json::json!(orders).to_string());
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        // The store's row, locked: its writers take their turns from here to the commit.
        tx.execute(
            "INSERT INTO stores (store_id, last_event) VALUES ($1, 0)
             ON CONFLICT (store_id) DO UPDATE SET last_event = stores.last_event",
            &[&store_id],
        )?;
        if event == STORE_REDACT && verified {
            tx.execute(
                "DELETE FROM events WHERE store_id = $1 AND event LIKE 'order/%'",
                &[&store_id],
            )?;
        }
        if verified {
            // A signed request replaces an unsigned one with its id (see `feed.rs`).
            tx.execute(
                "DELETE FROM events WHERE store_id = $1 AND event = $2 AND resource_id = $3
                   AND NOT verified",
                &[&store_id, &event, &resource_id],
            )?;
        }
        let queued = tx
            .query_opt(
                "SELECT 1 FROM events WHERE store_id = $1 AND event = $2 AND resource_id = $3",
                &[&store_id, &event, &resource_id],
            )?
            .is_some();
        if queued {
            tx.commit()?;
            return Ok(false);
        }
        let number: i64 = tx
            .query_one(
                "UPDATE stores SET last_event = last_event + 1 WHERE store_id = $1
                 RETURNING last_event",
                &[&store_id],
            )?
            .get(0);
        tx.execute(
            "INSERT INTO events (store_id, id, event, resource_id, customer_id, orders,
                                 received_at, expires_at, verified)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &store_id,
                &number,
                &event,
                &resource_id,
                &customer,
                &orders,
                &now,
                &(now + lifetime(event)),
                &verified,
            ],
        )?;
        tx.commit()?;
        // Every instance's long polls of this store wake. Sent after the commit, in a
        // transaction of its own: commits that notify are serialised by Postgres, and this one
        // writes nothing to wait for on disk (inside the event's, each held the next through its
        // disk flush: seconds of queueing at 200 webhooks a second). Lost only if this process
        // dies in between: the other instances' readers then see the event when their poll
        // ends (within 25 s).
        client.execute("SELECT pg_notify($1, $2)", &[&self.channel, &store_id])?;
        Ok(true)
    }

    fn events_after(&self, store_id: &str, after: i64) -> Result<Vec<Event>> {
        let rows = self.client()?.query(
            "SELECT id, event, resource_id, customer_id, orders, verified FROM events
             WHERE store_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            &[&store_id, &after, &PAGE],
        )?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let orders: Option<String> = row.get("orders");
                Event {
                    id: row.get("id"),
                    event: row.get("event"),
                    resource_id: row.get("resource_id"),
                    customer: row.get("customer_id"),
                    orders: orders
                        .and_then(|text| serde_json::from_str(&text).ok())
                        .unwrap_or_default(),
                    unverified: !row.get::<_, bool>("verified"),
                }
            })
            .collect())
    }

    fn acknowledge(&self, installation: &Known, up_to: i64) -> Result<()> {
        let Some(store_id) = installation.store_id.as_deref() else {
            return Ok(());
        };
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        // Never past the store's last number: a cursor from the future would let later events
        // be deleted unread.
        let Some(acked) = tx.query_opt(
            "UPDATE installations SET acked = GREATEST(acked, LEAST($2,
                 COALESCE((SELECT last_event FROM stores WHERE store_id = $3), 0)))
             WHERE key_digest = $1 RETURNING acked",
            &[&installation.digest, &up_to, &store_id],
        )?
        else {
            return Ok(());
        };
        let acked: i64 = acked.get(0);
        let erased: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM events WHERE store_id = $1 AND event = $2
                   AND id <= $3 AND verified)",
                &[&store_id, &STORE_REDACT, &acked],
            )?
            .get(0);
        tx.execute(
            "DELETE FROM events WHERE store_id = $1
               AND id <= (SELECT MIN(acked) FROM installations WHERE store_id = $1)",
            &[&store_id],
        )?;
        if erased {
            tx.execute(
                "DELETE FROM installations WHERE key_digest = $1",
                &[&installation.digest],
            )?;
            forget_store_if_unread(&mut tx, store_id)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn purge(&self, now: i64) -> Result<()> {
        const BATCH: i64 = 1_000;
        let mut client = self.client()?;
        loop {
            let mut done = client.execute(
                "UPDATE connects SET sealed = NULL, return_digest = NULL WHERE id IN
                    (SELECT id FROM connects WHERE sealed IS NOT NULL AND expires_at <= $1
                     LIMIT $2)",
                &[&now, &BATCH],
            )?;
            done += client.execute(
                "DELETE FROM connects WHERE id IN
                    (SELECT id FROM connects WHERE expires_at <= $1 LIMIT $2)",
                &[&(now - KEEP_EXPIRED_SECONDS), &BATCH],
            )?;
            done += client.execute(
                "DELETE FROM installations WHERE key_digest IN
                    (SELECT key_digest FROM installations WHERE seen_at <= $1 LIMIT $2)",
                &[&(now - KEEP_UNSEEN_SECONDS), &BATCH],
            )?;
            let mut tx = client.transaction()?;
            tx.execute(
                "DELETE FROM installations WHERE store_id IN
                    (SELECT store_id FROM events WHERE expires_at <= $1 AND event = $2
                       AND verified LIMIT $3)",
                &[&now, &STORE_REDACT, &BATCH],
            )?;
            done += tx.execute(
                "DELETE FROM events WHERE (store_id, id) IN
                    (SELECT store_id, id FROM events WHERE expires_at <= $1 LIMIT $2)",
                &[&now, &BATCH],
            )?;
            tx.commit()?;
            if (done as i64) < BATCH {
                return Ok(());
            }
        }
    }

    fn healthy(&self) -> bool {
        self.client()
            .and_then(|mut client| Ok(client.query_one("SELECT 1", &[])?))
            .is_ok()
    }

    fn sealed_rows(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM connects WHERE sealed IS NOT NULL")
    }

    fn rows(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM connects")
    }

    fn queued_events(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM events")
    }

    fn installations(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM installations")
    }

    fn hear_others(&self, ring: Ring, stop: CancellationToken) -> Result<()> {
        let (config, channel) = (self.config.clone(), self.channel.clone());
        std::thread::Builder::new()
            .name("ponte-broker-listen".into())
            .spawn(move || listen(&config, &channel, &ring, &stop))
            .map_err(|e| DbError::Task(e.to_string()))?;
        Ok(())
    }
}

/// Rings each store another instance queued an event for, until `stop`. A dropped connection
/// is opened again; everyone waiting is rung then, since events may have gone unheard.
fn listen(config: &postgres::Config, channel: &str, ring: &Ring, stop: &CancellationToken) {
    while !stop.is_cancelled() {
        let mut client = match config.connect(NoTls) {
            Ok(client) => client,
            Err(error) => {
                tracing::warn!(%error, "postgres: cannot listen for other instances' events");
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        if let Err(error) = client.batch_execute(&format!("LISTEN {channel}")) {
            tracing::warn!(%error, "postgres: LISTEN failed");
            std::thread::sleep(Duration::from_secs(1));
            continue;
        }
        ring(None);
        while !stop.is_cancelled() {
            // A fresh wait each time: the iterator's own timer is not re-armed after it fires.
            let heard = client
                .notifications()
                .timeout_iter(Duration::from_millis(500))
                .next();
            match heard {
                Ok(Some(notification)) => ring(Some(notification.payload())),
                // Half a second without news (look at `stop`), or the connection gone.
                Ok(None) if !client.is_closed() => {}
                Ok(None) => {
                    tracing::warn!("postgres: the listening connection closed");
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, "postgres: the listening connection dropped");
                    break;
                }
            }
        }
    }
}
