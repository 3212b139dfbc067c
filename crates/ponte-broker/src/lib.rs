//! `ponte-broker`: the one piece of Ponte that runs away from the merchant's machine.
//!
//! Conta Azul registers one exact HTTPS redirect and wants the app's secret for the code
//! exchange and for every refresh; Nuvemshop wants its secret for the exchange. A desktop app
//! can hold neither, so the broker does, and nothing else: the app starts a connect here (its
//! `state` and the hash of a verifier only it knows), the service sends the browser back here,
//! the broker exchanges the code at once, keeps the tokens sealed and single-use for ten
//! minutes, and the app claims them over its own connection with the verifier. Tokens never
//! pass through the browser. See `docs/broker.md`.

mod claims;
pub mod config;
mod events;
mod exchange;
mod feed;
mod limit;
mod pages;
mod pairing;
mod routes;
#[cfg(feature = "sandbox")]
pub mod sandboxed;
mod seal;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use claims::Db;
pub use config::{AppCredentials, BrokerArgs, BrokerConfig, Rate};
pub use exchange::Tokens;
pub use pairing::normalise as normalise_pairing_code;

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
    claims: Arc<Db>,
    sealer: Arc<seal::Sealer>,
    http: reqwest::Client,
    claim_limit: Arc<limit::Limiter>,
    start_limit: Arc<limit::Limiter>,
    /// Wakes the long polls of `/events` when a webhook is queued.
    new_events: Arc<tokio::sync::Notify>,
}

pub(crate) fn router(state: BrokerState) -> Router {
    Router::new()
        .route("/healthz", get(routes::healthz))
        .route("/connect/{service}/start", post(routes::start))
        .route("/callback/{service}", get(routes::callback))
        .route("/connect/claim", post(routes::claim))
        .route("/connect/pair", post(routes::pair))
        .route("/refresh/{service}", post(routes::refresh))
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
        .layer(axum::middleware::from_fn(routes::log_requests))
        .with_state(state)
}

/// A running broker.
pub struct Broker {
    addr: SocketAddr,
    claims: Arc<Db>,
    shutdown: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Broker {
    /// Serves on `listener` (bound by the caller, so that its address can be registered with
    /// the services before the broker knows theirs).
    pub async fn start(config: BrokerConfig, listener: TcpListener) -> anyhow::Result<Broker> {
        let claims = Arc::new(Db::open(&config.database)?);
        let state = BrokerState {
            sealer: Arc::new(seal::Sealer::new(&config.key)),
            claim_limit: Arc::new(limit::Limiter::new(config.claim_rate)),
            start_limit: Arc::new(limit::Limiter::new(config.start_rate)),
            new_events: Arc::new(tokio::sync::Notify::new()),
            config: Arc::new(config),
            claims: claims.clone(),
            http: exchange::http_client(),
        };
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let serving = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                if let Err(error) = axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown.cancelled_owned())
                    .await
                {
                    tracing::error!(%error, "broker stopped");
                }
            })
        };
        let tidying = {
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(60));
                loop {
                    tokio::select! {
                        _ = every.tick() => {}
                        _ = shutdown.cancelled() => break,
                    }
                    let now = claims::now_seconds();
                    if let Err(error) = state.claims.purge(now).and(state.claims.purge_feed(now)) {
                        tracing::warn!(%error, "purge failed");
                    }
                    state.claim_limit.tidy();
                    state.start_limit.tidy();
                }
            })
        };
        tracing::info!(%addr, "broker listening");
        Ok(Broker {
            addr,
            claims,
            shutdown,
            tasks: vec![serving, tidying],
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many pending connects still hold sealed tokens (tests: nothing left behind).
    pub fn sealed_rows(&self) -> i64 {
        self.claims.sealed_rows().unwrap_or(-1)
    }

    pub fn rows(&self) -> i64 {
        self.claims.rows().unwrap_or(-1)
    }

    /// Webhook events waiting to be read (tests: what was stored).
    pub fn queued_events(&self) -> i64 {
        self.claims.queued_events().unwrap_or(-1)
    }

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
