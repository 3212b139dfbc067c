//! *Modo demonstração*: simulated Nuvemshop and Conta Azul in-process with Ponte's connect
//! broker beside them, wired as production is (the simulated portals register the broker's
//! callbacks; the broker holds the simulated secrets), a demo store that keeps selling, and a
//! fresh data directory: a new user walks the whole flow, connect included, without any account.

use std::time::Duration;

use ponte_broker::sandboxed::SandboxWithBroker;
use ponte_core::config::TokenStoreKind;
use ponte_core::Config;

/// The demo's check interval: its sales appear within moments even without the webhooks.
const DEMO_CHECK_EVERY: Duration = Duration::from_secs(15);

pub struct Demo {
    pub config: Config,
    pub world: SandboxWithBroker,
    _data_dir: tempfile::TempDir,
}

impl Demo {
    pub async fn start() -> Result<Demo, Box<dyn std::error::Error>> {
        let world = SandboxWithBroker::start(|_| {})
            .await
            .map_err(|error| error.to_string())?;
        let interval = std::env::var("PONTE_DEMO_EVERY")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.05)
            .unwrap_or(8.0);
        world
            .sandbox
            .start_demo(Duration::from_secs_f64(interval), 1);
        let data_dir = tempfile::Builder::new().prefix("ponte-demo-").tempdir()?;
        let env: Vec<(String, String)> = world.env_lines();
        let mut config = Config::from_lookup(|name| {
            if name == "PONTE_DATA_DIR" {
                return Some(data_dir.path().display().to_string());
            }
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })?;
        config.token_store = TokenStoreKind::File;
        config.check_every = Some(DEMO_CHECK_EVERY);
        tracing::info!(
            control = %world.sandbox.control_url(),
            broker = %world.broker.url(),
            "demo mode"
        );
        Ok(Demo {
            config,
            world,
            _data_dir: data_dir,
        })
    }
}
