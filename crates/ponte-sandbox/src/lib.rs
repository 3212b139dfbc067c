#![recursion_limit = "256"]

//! Simulated Nuvemshop and Conta Azul, served over real HTTP on 127.0.0.1.
//!
//! Ponte cannot reach the real services from a developer's machine or from CI, so every client
//! and every rule is proven against these simulators. They follow the contracts described in the
//! project's API references (OAuth flows, headers, envelopes, pagination, rate limits, error
//! bodies and the payload quirks), and they share no code with `ponte-core`: two independent
//! readings of the same contract catch each other's mistakes.
//!
//! Where the references mark a fact as unconfirmed, the simulator's choice lives in
//! [`assumptions`], and nowhere else.
//!
//! A [`Sandbox`] runs three listeners: the Nuvemshop simulator (authorization pages, token
//! endpoint and the `/v1/{store_id}` API), the Conta Azul simulator (`/oauth2/*` and `/v1/*`),
//! and a control API to seed data, drive orders, switch faults on and inspect what Conta Azul
//! received. The same control operations are available in-process through [`Control`].

pub mod answers;
pub mod assumptions;
mod calls;
mod config;
pub mod contaazul;
mod control;
pub mod demo;
mod faults;
mod http;
mod money;
pub mod nuvemshop;
mod pages;
mod ports;
mod query;
mod serve;
mod world;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use answers::Answers;
pub use calls::CallCounts;
pub use config::{ContaAzulConfig, NuvemshopConfig, RegistrationError, SandboxConfig};
pub use control::{Control, ControlError};
pub use faults::{Fault, FaultRule, Service};
pub use ports::free_loopback_port;

use world::World;

/// Everything the handlers of all three listeners share.
#[derive(Clone)]
pub(crate) struct AppState {
    pub world: Arc<Mutex<World>>,
    pub config: Arc<SandboxConfig>,
}

impl AppState {
    /// Runs `f` with the world locked. Handlers never hold the lock across an `.await`.
    pub fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut world = self
            .world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut world)
    }
}

/// A running sandbox. Dropping it (or calling [`Sandbox::shutdown`]) stops the listeners.
pub struct Sandbox {
    state: AppState,
    nuvemshop_addr: SocketAddr,
    contaazul_addr: SocketAddr,
    control_addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Binds the three listeners (port 0 picks a free port) and starts serving.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Sandbox> {
        config
            .check_registration()
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
        let nuvemshop_listener = TcpListener::bind((config.host, config.nuvemshop_port)).await?;
        let contaazul_listener = TcpListener::bind((config.host, config.contaazul_port)).await?;
        let control_listener = TcpListener::bind((config.host, config.control_port)).await?;

        let state = AppState {
            world: Arc::new(Mutex::new(World::new(&config))),
            config: Arc::new(config),
        };
        let shutdown = CancellationToken::new();
        let nuvemshop_addr = nuvemshop_listener.local_addr()?;
        let contaazul_addr = contaazul_listener.local_addr()?;
        let control_addr = control_listener.local_addr()?;

        let tasks = vec![
            tokio::spawn(serve::serve(
                nuvemshop_listener,
                // Every call counted, then its fault (if one is set) before the simulator's own
                // answer: the same for both services, so layered here, around each.
                nuvemshop::router(state.clone())
                    .route_layer(axum::middleware::from_fn_with_state(
                        state.clone(),
                        faults::nuvemshop_faults,
                    ))
                    .route_layer(axum::middleware::from_fn_with_state(
                        state.clone(),
                        calls::count_nuvemshop,
                    )),
                shutdown.clone(),
            )),
            tokio::spawn(serve::serve(
                contaazul_listener,
                contaazul::router(state.clone())
                    .route_layer(axum::middleware::from_fn_with_state(
                        state.clone(),
                        faults::contaazul_faults,
                    ))
                    .route_layer(axum::middleware::from_fn_with_state(
                        state.clone(),
                        calls::count_contaazul,
                    )),
                shutdown.clone(),
            )),
            tokio::spawn(serve::serve(
                control_listener,
                control::router(state.clone()),
                shutdown.clone(),
            )),
            tokio::spawn(nuvemshop::webhooks::deliver(
                state.clone(),
                shutdown.clone(),
            )),
        ];
        tracing::info!(%nuvemshop_addr, %contaazul_addr, %control_addr, "sandbox listening");
        Ok(Sandbox {
            state,
            nuvemshop_addr,
            contaazul_addr,
            control_addr,
            shutdown,
            tasks,
        })
    }

    /// The Nuvemshop host: authorization at `{url}/apps/{app_id}/authorize`, token at
    /// `{url}/apps/authorize/token`, API at `{url}/v1/{store_id}/…`.
    pub fn nuvemshop_url(&self) -> String {
        format!("http://{}", self.nuvemshop_addr)
    }

    /// The Nuvemshop API base, as Ponte's `PONTE_NUVEMSHOP_API_URL` expects it.
    pub fn nuvemshop_api_url(&self) -> String {
        format!("{}/v1", self.nuvemshop_url())
    }

    /// The Conta Azul host: `{url}/oauth2/authorize`, `{url}/oauth2/token` and `{url}/v1/…`.
    pub fn contaazul_url(&self) -> String {
        format!("http://{}", self.contaazul_addr)
    }

    /// The control API (seeding, faults, inspection).
    pub fn control_url(&self) -> String {
        format!("http://{}", self.control_addr)
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.state.config
    }

    /// The in-process control API: the same operations as the HTTP control API.
    pub fn control(&self) -> Control {
        Control::new(self.state.clone())
    }

    /// The environment lines that point Ponte at this sandbox.
    pub fn env_lines(&self) -> Vec<(String, String)> {
        let config = &self.state.config;
        vec![
            ("PONTE_NUVEMSHOP_AUTH_URL".into(), self.nuvemshop_url()),
            ("PONTE_NUVEMSHOP_API_URL".into(), self.nuvemshop_api_url()),
            (
                "PONTE_NUVEMSHOP_CLIENT_ID".into(),
                config.nuvemshop.app_id.clone(),
            ),
            (
                "PONTE_NUVEMSHOP_CLIENT_SECRET".into(),
                config.nuvemshop.client_secret.clone(),
            ),
            ("PONTE_CONTAAZUL_AUTH_URL".into(), self.contaazul_url()),
            ("PONTE_CONTAAZUL_API_URL".into(), self.contaazul_url()),
            (
                "PONTE_CONTAAZUL_CLIENT_ID".into(),
                config.contaazul.client_id.clone(),
            ),
            (
                "PONTE_CONTAAZUL_CLIENT_SECRET".into(),
                config.contaazul.client_secret.clone(),
            ),
            (
                "PONTE_REDIRECT_PORT".into(),
                config.redirect_port.to_string(),
            ),
            ("PONTE_SANDBOX_CONTROL_URL".into(), self.control_url()),
        ]
    }

    /// Seeds the demo world (sellers, a catalog with stock, returning customers) and starts
    /// generating orders every `interval`. Replaces a generator already running.
    pub fn start_demo(&self, interval: std::time::Duration, seed: u64) {
        self.control().start_demo(interval, seed);
    }

    /// Stops the listeners and the demo generator, and waits for the listeners to close.
    pub async fn shutdown(mut self) {
        self.control().stop_demo();
        self.shutdown.cancel();
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.control().stop_demo();
        self.shutdown.cancel();
    }
}

/// The TLS of every HTTP client: rustls with *ring*, the provider the updater uses too, so the
/// app carries one TLS stack and one `reqwest`. Installed once per process, before a client is
/// built (reqwest asks for the process's provider).
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
