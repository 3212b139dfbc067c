//! *Modo demonstração*: simulated Nuvemshop and Conta Azul in-process, a demo store that keeps
//! selling, and a fresh data directory, so a new user sees the whole flow without any account.

use std::time::Duration;

use ponte_core::config::TokenStoreKind;
use ponte_core::Config;
use ponte_sandbox::{Sandbox, SandboxConfig};

pub struct Demo {
    pub config: Config,
    pub sandbox: Sandbox,
    _data_dir: tempfile::TempDir,
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Demo {
    pub async fn start() -> Result<Demo, Box<dyn std::error::Error>> {
        let redirect_port = free_port()?;
        let sandbox = Sandbox::start(SandboxConfig::with_redirect_port(redirect_port)).await?;
        let interval = std::env::var("PONTE_DEMO_EVERY")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.05)
            .unwrap_or(8.0);
        sandbox.start_demo(Duration::from_secs_f64(interval), 1);
        let data_dir = tempfile::Builder::new().prefix("ponte-demo-").tempdir()?;
        let env: Vec<(String, String)> = sandbox.env_lines();
        let mut config = Config::from_lookup(|name| {
            if name == "PONTE_DATA_DIR" {
                return Some(data_dir.path().display().to_string());
            }
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })?;
        config.token_store = TokenStoreKind::File;
        tracing::info!(control = %sandbox.control_url(), "demo mode");
        Ok(Demo {
            config,
            sandbox,
            _data_dir: data_dir,
        })
    }
}
