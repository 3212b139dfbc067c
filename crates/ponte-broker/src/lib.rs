//! `ponte-broker`: the one piece of Ponte that runs away from the merchant's machine.
//!
//! Conta Azul registers one exact HTTPS redirect and wants the app's secret for the code
//! exchange and for every refresh; Nuvemshop wants its secret for the exchange. A desktop app
//! can hold neither, so the broker does, and nothing else: the app starts a connect here (its
//! `state` and the hash of a verifier only it knows), the service sends the browser back here,
//! the broker exchanges the code at once, keeps the tokens sealed and single-use for ten
//! minutes, and the app claims them over its own connection with the verifier and the return
//! code the broker's page handed back to it. Tokens never pass through the browser. The claim
//! issues an installation key, which the app's later calls (refreshes, the events feed) carry.
//! See `docs/broker.md`, whose threat model says who may call each route and what for.

mod codes;
pub mod config;
mod connect;
mod connects;
mod db;
mod events;
mod exchange;
mod feed;
mod installations;
pub mod limit;
mod metrics;
mod pages;
mod pg;
mod refresh;
mod routes;
#[cfg(feature = "sandbox")]
pub mod sandboxed;
mod seal;
mod server;
pub mod storage;
mod wakeups;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// The TLS of every HTTP client: rustls with *ring*, the provider the updater uses too, so the
/// app carries one TLS stack and one `reqwest`. Installed once per process, before a client is
/// built (reqwest asks for the process's provider).
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

pub use codes::normalise as normalise_code;
pub use config::TrustedProxies;
pub use config::{AppCredentials, BrokerArgs, BrokerConfig, Limits, Rate, Timeouts};
pub use db::Db;
pub use exchange::Tokens;
pub use storage::{Database, Storage};

/// Requests are small JSON or form bodies; a 4,000-character token fits many times over.
pub const MAX_BODY: usize = 16 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Nuvemshop,
    Contaazul,
}

impl Service {
    pub fn path(self) -> &'static str {
        match self {
            Service::Nuvemshop => "nuvemshop",
            Service::Contaazul => "contaazul",
        }
    }

    pub fn from_path(path: &str) -> Option<Service> {
        match path {
            "nuvemshop" => Some(Service::Nuvemshop),
            "contaazul" => Some(Service::Contaazul),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Service::Nuvemshop => "Nuvemshop",
            Service::Contaazul => "Conta Azul",
        }
    }
}

#[derive(Clone)]
pub(crate) struct BrokerState {
    config: Arc<BrokerConfig>,
    db: Arc<dyn Storage>,
    sealer: Arc<seal::Sealer>,
    http: reqwest::Client,
    guards: Arc<limit::Guards>,
    counters: Arc<Counters>,
    /// Wakes the long polls of `/events` of one store when a webhook of it is queued.
    wakeups: Arc<wakeups::Wakeups>,
    long_polls: Arc<events::LongPolls>,
    metrics: Arc<metrics::Metrics>,
    /// Cancelled when the broker stops: long polls answer at once.
    shutdown: CancellationToken,
}

/// What the broker counts beyond its log.
#[derive(Default)]
pub(crate) struct Counters {
    /// LGPD requests that came without a signature for a known store: kept, unverified.
    pub(crate) unsigned_lgpd_kept: std::sync::atomic::AtomicU64,
    /// The same, refused for now over the per-store limit.
    pub(crate) unsigned_lgpd_refused: std::sync::atomic::AtomicU64,
    /// Reads of a store's queue by `/events` (a long poll reads once, then once per wake-up).
    pub(crate) feed_reads: std::sync::atomic::AtomicU64,
}

impl BrokerState {
    /// Database work, on the blocking pool: a slow disk or a writer holding the lock never
    /// holds one of the few async workers every other request needs.
    pub(crate) async fn db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn Storage) -> db::Result<T> + Send + 'static,
    ) -> db::Result<T> {
        let db = self.db.clone();
        let started = std::time::Instant::now();
        let done = tokio::task::spawn_blocking(move || work(&*db))
            .await
            .unwrap_or_else(|failed| Err(db::DbError::Task(failed.to_string())));
        self.metrics
            .database_seconds
            .observe(started.elapsed().as_secs_f64());
        done
    }

    /// Who a request counts as for the per-address limits (see `limit::caller`).
    pub(crate) fn caller(
        &self,
        peer: SocketAddr,
        headers: &axum::http::HeaderMap,
    ) -> std::net::IpAddr {
        limit::caller(peer, headers, &self.config.trusted_proxies)
    }
}

pub(crate) fn router(state: BrokerState) -> Router {
    let timeouts = state.config.timeouts;
    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::healthz))
        .route("/livez", get(routes::livez))
        .route("/connect/{service}/start", post(connect::start))
        .route("/callback/{service}", get(connect::callback))
        .route("/connect/claim", post(connect::claim))
        .route("/connect/pair", post(connect::pair))
        .route("/refresh/{service}", post(refresh::refresh))
        .route("/installation", delete(refresh::revoke))
        .route("/events", get(events::read))
        .route("/events/ack", post(events::ack))
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .merge(
            Router::new()
                .route("/webhooks/nuvemshop", post(webhooks::order_event))
                .route("/webhooks/nuvemshop/{kind}", post(webhooks::lgpd))
                .layer(DefaultBodyLimit::max(webhooks::MAX_WEBHOOK_BODY)),
        )
        .layer(RequestBodyTimeoutLayer::new(timeouts.body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeouts.request,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            routes::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            routes::log_requests,
        ))
        .with_state(state)
}

/// A running broker.
pub struct Broker {
    addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
    db: Arc<dyn Storage>,
    wakeups: Arc<wakeups::Wakeups>,
    counters: Arc<Counters>,
    shutdown: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Broker {
    /// Serves on `listener` (bound by the caller, so that its address can be registered with
    /// the services before the broker knows theirs).
    pub async fn start(config: BrokerConfig, listener: TcpListener) -> anyhow::Result<Broker> {
        let db = {
            let database = config.database.clone();
            tokio::task::spawn_blocking(move || database.open()).await??
        };
        let shutdown = CancellationToken::new();
        let counters = Arc::new(Counters::default());
        let wakeups: Arc<wakeups::Wakeups> = Arc::default();
        let metrics: Arc<metrics::Metrics> = Arc::default();
        let long_polls = Arc::new(events::LongPolls::new(config.limits.long_polls_per_key));
        // Other instances' events (Postgres): their stores' long polls here wake too.
        let ringing = wakeups.clone();
        db.hear_others(
            Box::new(move |store| match store {
                Some(store) => ringing.ring(store),
                None => ringing.ring_all(),
            }),
            shutdown.clone(),
        )?;
        let state = BrokerState {
            counters: counters.clone(),
            sealer: Arc::new(seal::Sealer::new(&config.key)),
            guards: Arc::new(limit::Guards::new(&config.limits)),
            wakeups: wakeups.clone(),
            long_polls,
            metrics,
            db: db.clone(),
            http: exchange::http_client(),
            shutdown: shutdown.clone(),
            config: Arc::new(config),
        };
        let addr = listener.local_addr()?;
        let serving = tokio::spawn(server::serve(
            listener,
            router(state.clone()),
            state.config.timeouts,
            state.config.limits.connections,
            shutdown.clone(),
        ));
        let tidying = {
            let (state, shutdown) = (state.clone(), shutdown.clone());
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tokio::select! {
                        _ = every.tick() => {}
                        _ = shutdown.cancelled() => break,
                    }
                    let db = state.db.clone();
                    let purged =
                        tokio::task::spawn_blocking(move || db.purge(db::now_seconds())).await;
                    if let Ok(Err(error)) = purged {
                        tracing::warn!(%error, "purge failed");
                    }
                    state.guards.tidy();
                }
            })
        };
        tracing::info!(%addr, "broker listening");
        let mut tasks = vec![serving, tidying];
        let mut metrics_addr = None;
        if let Some(listen) = state.config.metrics_listen {
            let listener = TcpListener::bind(listen).await?;
            metrics_addr = Some(listener.local_addr()?);
            tracing::info!(%listen, "metrics listening");
            tasks.push(tokio::spawn(metrics_server(
                listener,
                state.clone(),
                shutdown.clone(),
            )));
        }
        Ok(Broker {
            addr,
            metrics_addr,
            db,
            wakeups,
            counters,
            shutdown,
            tasks,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many times `/events` read a store's queue.
    pub fn feed_reads(&self) -> u64 {
        self.counters
            .feed_reads
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Where `/metrics` is served, when it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// How many stores have a long poll waiting for their events.
    pub fn stores_waiting(&self) -> usize {
        self.wakeups.stores_waiting()
    }

    /// A count of the database's, -1 when it cannot tell (the tests' view of what is kept).
    async fn count(&self, of: fn(&dyn Storage) -> db::Result<i64>) -> i64 {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || of(&*db))
            .await
            .ok()
            .and_then(|counted| counted.ok())
            .unwrap_or(-1)
    }

    /// How many pending connects still hold sealed tokens (tests: nothing left behind).
    pub async fn sealed_rows(&self) -> i64 {
        self.count(|db| db.sealed_rows()).await
    }

    pub async fn rows(&self) -> i64 {
        self.count(|db| db.rows()).await
    }

    /// Webhook events waiting to be read (tests: what was stored).
    pub async fn queued_events(&self) -> i64 {
        self.count(|db| db.queued_events()).await
    }

    /// Unsigned LGPD requests for known stores: kept, and refused for now over the limit.
    pub fn unsigned_lgpd(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.counters.unsigned_lgpd_kept.load(Relaxed),
            self.counters.unsigned_lgpd_refused.load(Relaxed),
        )
    }

    /// Installation keys that work (tests: what a revocation or an erasure left).
    pub async fn installations(&self) -> i64 {
        self.count(|db| db.installations()).await
    }

    /// Stops accepting, ends long polls, and waits (a few seconds at most) for requests in
    /// flight.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// `GET /metrics` on the operator's listener (`PONTE_BROKER_METRICS_LISTEN`), apart from the
/// public one: what the broker counts is for whoever runs it, not for the internet.
async fn metrics_server(listener: TcpListener, state: BrokerState, shutdown: CancellationToken) {
    let app = Router::new()
        .route(
            "/metrics",
            get(
                |axum::extract::State(broker): axum::extract::State<BrokerState>| async move {
                    broker
                        .metrics
                        .long_polls_open
                        .set(broker.long_polls.open() as i64);
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        broker.metrics.render(),
                    )
                },
            ),
        )
        .with_state(state);
    let stopped = shutdown.clone();
    if let Err(error) = axum::serve(listener, app)
        .with_graceful_shutdown(async move { stopped.cancelled().await })
        .await
    {
        tracing::warn!(%error, "metrics listener stopped");
    }
}

impl storage::Database {
    /// Opens it, migrated to this broker's schema (here, above both backends: the interface
    /// itself names neither).
    pub fn open(&self) -> db::Result<Arc<dyn storage::Storage>> {
        Ok(match self {
            storage::Database::Sqlite(path) => Arc::new(db::Db::open(path)?),
            storage::Database::Postgres { url, schema } => {
                Arc::new(pg::PgDb::open(url, schema.as_deref())?)
            }
        })
    }
}
