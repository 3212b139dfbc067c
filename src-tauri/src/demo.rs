//! *Modo demonstração*: simulated Nuvemshop and Conta Azul in-process with Ponte's connect
//! broker beside them, wired as production is (the simulated portals register the broker's
//! callbacks; the broker holds the simulated secrets), a demo store that keeps selling, and a
//! fresh data directory: a new user walks the whole flow, connect included, without any account.
//! *Adicionar loja* there starts another simulated store and company, selling too.

use std::time::Duration;

use ponte_broker::sandboxed::SandboxWithBroker;
use ponte_core::config::TokenStoreKind;
use ponte_core::profiles::ProfileName;
use ponte_core::Config;

/// The demo's check interval: its sales appear within moments even without the webhooks.
const DEMO_CHECK_EVERY: Duration = Duration::from_secs(15);

pub struct Demo {
    pub config: Config,
    pub world: SandboxWithBroker,
    /// The stores added with *Adicionar loja*, each with its company and broker.
    further: tokio::sync::Mutex<Vec<SandboxWithBroker>>,
    _data_dir: tempfile::TempDir,
}

/// How often the demo stores sell (`PONTE_DEMO_EVERY`, seconds).
fn selling_interval() -> Duration {
    let seconds = std::env::var("PONTE_DEMO_EVERY")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.05)
        .unwrap_or(8.0);
    Duration::from_secs_f64(seconds)
}

/// Ponte's configuration for `world`, in the demo's data directory.
fn config_for(world: &SandboxWithBroker, data_dir: &std::path::Path) -> Result<Config, String> {
    let env: Vec<(String, String)> = world.env_lines();
    let mut config = Config::from_lookup(|name| {
        if name == "PONTE_DATA_DIR" {
            return Some(data_dir.display().to_string());
        }
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
    .map_err(|error| error.to_string())?;
    config.token_store = TokenStoreKind::File;
    config.check_every = Some(DEMO_CHECK_EVERY);
    Ok(config)
}

impl Demo {
    pub async fn start() -> Result<Demo, Box<dyn std::error::Error>> {
        let world = SandboxWithBroker::start(|_| {})
            .await
            .map_err(|error| error.to_string())?;
        world.sandbox.start_demo(selling_interval(), 1);
        let data_dir = tempfile::Builder::new().prefix("ponte-demo-").tempdir()?;
        let config = config_for(&world, data_dir.path())?;
        tracing::info!(
            control = %world.sandbox.control_url(),
            broker = %world.broker.url(),
            "demo mode"
        );
        Ok(Demo {
            config,
            world,
            further: Default::default(),
            _data_dir: data_dir,
        })
    }

    /// *Adicionar loja* in the demo: another simulated store, with a company of its own, that
    /// sells too; the configuration of the profile `name` that connects to them.
    pub async fn another_store(&self, name: &ProfileName) -> Result<Config, String> {
        let mut further = self.further.lock().await;
        let n = further.len();
        // Each further store's company a CNPJ of its own: Ponte tells the simulated companies
        // apart as it does real ones.
        let document = ponte_sandbox::demo::company_document(n as u64);
        let world = SandboxWithBroker::start(|sandbox| {
            sandbox.nuvemshop.store_id += 1 + n as u64;
            sandbox.nuvemshop.store_name = format!("Loja Demonstração {}", n + 2);
            sandbox.contaazul.company_name = format!("Empresa Demonstração {} Ltda", n + 2);
            sandbox.contaazul.company_document = document;
        })
        .await
        .map_err(|error| error.to_string())?;
        world.sandbox.start_demo(selling_interval(), 2 + n as u64);
        let config = config_for(&world, &self.config.base_dir)?.for_profile(name.clone());
        tracing::info!(
            profile = %name,
            control = %world.sandbox.control_url(),
            "demo: another store"
        );
        further.push(world);
        Ok(config)
    }
}
