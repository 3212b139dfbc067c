//! The simulators and a broker wired together as production is: the simulated portals
//! register the broker's callbacks, and the broker holds the simulated apps' secrets. Sandbox
//! mode and the tests walk the same connect path as a merchant's Ponte.

use std::time::Duration;

use ponte_sandbox::{Sandbox, SandboxConfig};
use tokio::net::TcpListener;
use url::Url;

use crate::{AppCredentials, Broker, BrokerConfig, Rate};

pub struct SandboxWithBroker {
    pub sandbox: Sandbox,
    pub broker: Broker,
}

impl SandboxWithBroker {
    /// Both on free 127.0.0.1 ports; `adjust` may change the sandbox's layout first.
    pub async fn start(adjust: impl FnOnce(&mut SandboxConfig)) -> anyhow::Result<Self> {
        Self::start_with(adjust, |_| {}).await
    }

    pub async fn start_with(
        adjust: impl FnOnce(&mut SandboxConfig),
        adjust_broker: impl FnOnce(&mut BrokerConfig),
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let broker_url = format!("http://{}", listener.local_addr()?);
        let mut sandbox_config = SandboxConfig::with_broker(&broker_url);
        adjust(&mut sandbox_config);
        let sandbox = Sandbox::start(sandbox_config).await?;
        let registered = sandbox.config().clone();
        let mut config = BrokerConfig {
            public_url: Url::parse(&broker_url)?,
            database: ":memory:".into(),
            key: rand::random(),
            nuvemshop: AppCredentials {
                client_id: registered.nuvemshop.app_id.clone(),
                client_secret: registered.nuvemshop.client_secret.clone(),
                token_url: Url::parse(&format!(
                    "{}/apps/authorize/token",
                    sandbox.nuvemshop_url()
                ))?,
            },
            contaazul: AppCredentials {
                client_id: registered.contaazul.client_id.clone(),
                client_secret: registered.contaazul.client_secret.clone(),
                token_url: Url::parse(&format!("{}/oauth2/token", sandbox.contaazul_url()))?,
            },
            claim_ttl: Duration::from_secs(600),
            // One merchant polling; tests that prove the limits set their own.
            claim_rate: Rate {
                per_minute: 600,
                burst: 100,
            },
            start_rate: Rate {
                per_minute: 600,
                burst: 100,
            },
            trust_forwarded_for: false,
        };
        adjust_broker(&mut config);
        let broker = Broker::start(config, listener).await?;
        Ok(SandboxWithBroker { sandbox, broker })
    }

    /// The environment that points Ponte at these simulators through this broker: client ids,
    /// never a secret.
    pub fn env_lines(&self) -> Vec<(String, String)> {
        self.sandbox
            .env_lines()
            .into_iter()
            .filter(|(name, _)| !name.ends_with("_SECRET") && name != "PONTE_REDIRECT_PORT")
            .chain([("PONTE_BROKER_URL".to_string(), self.broker.url())])
            .collect()
    }

    pub async fn shutdown(self) {
        self.broker.shutdown().await;
        self.sandbox.shutdown().await;
    }
}
