//! The simulators and a broker wired together as production is: the simulated portals
//! register the broker's callbacks, and the broker holds the simulated apps' secrets. Sandbox
//! mode and the tests walk the same connect path as a merchant's Ponte.

use std::time::Duration;

use ponte_sandbox::{Sandbox, SandboxConfig};
use tokio::net::TcpListener;
use url::Url;

use crate::{AppCredentials, Broker, BrokerConfig, Limits, Rate, Timeouts, TrustedProxies};

/// Where a broker of the tests keeps its data: in memory, or, when `PONTE_BROKER_TEST_POSTGRES`
/// names a Postgres server (the test command starts a throwaway one), in a schema of its own
/// there: the same tests run against both databases.
pub fn test_database() -> crate::storage::Database {
    match std::env::var("PONTE_BROKER_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => crate::storage::Database::Postgres {
            url,
            schema: Some(format!("t{}", hex::encode(rand::random::<[u8; 8]>()))),
        },
        _ => ":memory:".into(),
    }
}

pub struct SandboxWithBroker {
    pub sandbox: Sandbox,
    pub broker: Broker,
    /// The broker's settings, for another instance of it.
    config: BrokerConfig,
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
            database: test_database(),
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
            // One merchant at a time, polling; tests that prove the limits set their own.
            limits: Limits {
                claim: Rate::new(600, 100),
                start: Rate::new(600, 100),
                refresh: Rate::new(600, 100),
                refresh_per_installation: Rate::new(600, 100),
                install: Rate::new(600, 100),
                ..Limits::default()
            },
            timeouts: Timeouts::default(),
            trusted_proxies: TrustedProxies::None,
            metrics_listen: None,
        };
        adjust_broker(&mut config);
        let broker = Broker::start(config.clone(), listener).await?;
        Ok(SandboxWithBroker {
            sandbox,
            broker,
            config,
        })
    }

    /// Another instance of the broker, on a port of its own, sharing the first one's database
    /// and key, as instances behind one load balancer do (the services still send the browser
    /// to the first one's address: the balancer's).
    pub async fn another_instance(&self) -> anyhow::Result<Broker> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        Broker::start(self.config.clone(), listener).await
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

/// The broker's page as the merchant's browser shows it after a consent: what the tests read
/// off it, as a merchant would.
pub struct LandingPage {
    pub status: u16,
    pub html: String,
}

impl LandingPage {
    pub async fn load(url: &str) -> anyhow::Result<LandingPage> {
        let page = {
            crate::install_tls_provider();
            reqwest::get(url).await?
        };
        Ok(LandingPage {
            status: page.status().as_u16(),
            html: page.text().await?,
        })
    }

    fn element_text(&self, marker: &str) -> Option<String> {
        let rest = self.html.split(marker).nth(1)?;
        Some(rest.split(['"', '<']).next()?.replace("&amp;", "&"))
    }

    /// The code it shows for the merchant to type (a return code or a pairing code).
    pub fn code(&self) -> Option<String> {
        self.element_text("id=\"codigo\">")
    }

    /// Where its script sends the browser back to Ponte: the *Voltar ao Ponte* link.
    pub fn way_back(&self) -> Option<String> {
        self.element_text("id=\"voltar\" href=\"")
    }

    /// The `ponte://` link that brings the merchant back through the system.
    pub fn app_link(&self) -> Option<String> {
        self.element_text("id=\"abrir\" href=\"")
    }

    /// What a browser running the page's script does: a top-level visit to the way back.
    pub async fn go_back(&self) -> anyhow::Result<u16> {
        let back = self
            .way_back()
            .ok_or_else(|| anyhow::anyhow!("the page has no way back"))?;
        crate::install_tls_provider();
        Ok(reqwest::get(back).await?.status().as_u16())
    }
}
