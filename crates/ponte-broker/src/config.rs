//! What the broker needs to run: its public address, where it keeps pending connects, the key
//! that seals them, and the two apps' credentials. All of it from the environment (or flags).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use url::Url;

/// One service's registered app, as the broker sees it: the only place its secret lives.
#[derive(Clone)]
pub struct AppCredentials {
    pub client_id: String,
    pub client_secret: String,
    /// The service's token endpoint.
    pub token_url: Url,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url.as_str())
            .finish_non_exhaustive()
    }
}

/// How many requests one address may make, per minute and in a burst.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// The address the services send the browser back to: `{public_url}/callback/{service}`
    /// is what each app's portal registers.
    pub public_url: Url,
    /// SQLite file of pending connects (`:memory:` for one short-lived process).
    pub database: PathBuf,
    /// Seals the tokens of pending connects (ChaCha20-Poly1305).
    pub key: [u8; 32],
    pub nuvemshop: AppCredentials,
    pub contaazul: AppCredentials,
    /// How long an exchanged result waits for its claim.
    pub claim_ttl: Duration,
    /// Claims (and pairing codes) per client address.
    pub claim_rate: Rate,
    /// Connect starts per client address.
    pub start_rate: Rate,
    /// Behind a reverse proxy, the client's address is the last `X-Forwarded-For` entry.
    pub trust_forwarded_for: bool,
}

/// `ponte-broker --help` lists every setting; each has an environment variable.
#[derive(clap::Parser, Debug)]
#[command(
    name = "ponte-broker",
    version,
    about = "Ponte's connect broker: the registered HTTPS redirects, the two app secrets, the \
             code exchange and the Conta Azul refresh. Stores only pending connects, sealed, \
             for ten minutes."
)]
pub struct BrokerArgs {
    /// Address to listen on.
    #[arg(long, env = "PONTE_BROKER_LISTEN", default_value = "127.0.0.1:47900")]
    pub listen: SocketAddr,
    /// Public base URL (HTTPS; http only for a loopback host). The services' portals register
    /// `{url}/callback/nuvemshop` and `{url}/callback/contaazul`.
    #[arg(
        long,
        env = "PONTE_BROKER_PUBLIC_URL",
        default_value = "http://127.0.0.1:47900"
    )]
    pub public_url: String,
    /// SQLite file of pending connects; several instances on one host may share it.
    #[arg(
        long,
        env = "PONTE_BROKER_DATABASE",
        default_value = "ponte-broker.sqlite3"
    )]
    pub database: PathBuf,
    /// 64 hex characters sealing pending connects. Several instances must share it; without
    /// it a random key is made at start, and connects pending at a restart are lost.
    #[arg(long, env = "PONTE_BROKER_KEY", hide_env_values = true)]
    pub key: Option<String>,
    #[arg(
        long,
        env = "PONTE_NUVEMSHOP_AUTH_URL",
        default_value = "https://www.nuvemshop.com.br"
    )]
    pub nuvemshop_auth_url: String,
    #[arg(long, env = "PONTE_NUVEMSHOP_CLIENT_ID")]
    pub nuvemshop_client_id: String,
    #[arg(long, env = "PONTE_NUVEMSHOP_CLIENT_SECRET", hide_env_values = true)]
    pub nuvemshop_client_secret: String,
    #[arg(
        long,
        env = "PONTE_CONTAAZUL_AUTH_URL",
        default_value = "https://auth.contaazul.com"
    )]
    pub contaazul_auth_url: String,
    #[arg(long, env = "PONTE_CONTAAZUL_CLIENT_ID")]
    pub contaazul_client_id: String,
    #[arg(long, env = "PONTE_CONTAAZUL_CLIENT_SECRET", hide_env_values = true)]
    pub contaazul_client_secret: String,
    /// Claims and pairing-code attempts per client address per minute.
    #[arg(long, env = "PONTE_BROKER_CLAIMS_PER_MINUTE", default_value_t = 60)]
    pub claims_per_minute: u32,
    /// Take the client's address from the last `X-Forwarded-For` entry (behind a proxy).
    #[arg(
        long,
        env = "PONTE_BROKER_TRUST_FORWARDED_FOR",
        default_value_t = false
    )]
    pub trust_forwarded_for: bool,
}

/// `https://…`, or `http://` on a loopback host (development and the sandbox).
pub fn check_public_url(text: &str) -> anyhow::Result<Url> {
    let url =
        Url::parse(text.trim_end_matches('/')).with_context(|| format!("not a URL: {text}"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => bail!("the URL has no host: {text}"),
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => bail!("the URL must be https (http only on a loopback host): {text}"),
    }
}

pub fn parse_key(hex_key: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = hex::decode(hex_key.trim()).context("PONTE_BROKER_KEY must be hex")?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("PONTE_BROKER_KEY must be 64 hex characters (32 bytes)"))
}

fn credentials(
    id: &str,
    secret: &str,
    token_url: String,
    name: &str,
) -> anyhow::Result<AppCredentials> {
    if id.trim().is_empty() || secret.trim().is_empty() {
        bail!("the {name} client id and secret are required");
    }
    Ok(AppCredentials {
        client_id: id.trim().to_string(),
        client_secret: secret.trim().to_string(),
        token_url: check_public_url(&token_url)
            .with_context(|| format!("{name} token endpoint"))?,
    })
}

impl BrokerConfig {
    pub fn from_args(args: &BrokerArgs) -> anyhow::Result<BrokerConfig> {
        let key = match &args.key {
            Some(key) => parse_key(key)?,
            None => {
                tracing::warn!("no PONTE_BROKER_KEY: a random one seals this process's connects");
                rand::random()
            }
        };
        let trim = |url: &str| url.trim_end_matches('/').to_string();
        Ok(BrokerConfig {
            public_url: check_public_url(&args.public_url).context("PONTE_BROKER_PUBLIC_URL")?,
            database: args.database.clone(),
            key,
            nuvemshop: credentials(
                &args.nuvemshop_client_id,
                &args.nuvemshop_client_secret,
                format!("{}/apps/authorize/token", trim(&args.nuvemshop_auth_url)),
                "Nuvemshop",
            )?,
            contaazul: credentials(
                &args.contaazul_client_id,
                &args.contaazul_client_secret,
                format!("{}/oauth2/token", trim(&args.contaazul_auth_url)),
                "Conta Azul",
            )?,
            claim_ttl: Duration::from_secs(600),
            claim_rate: Rate {
                per_minute: args.claims_per_minute.max(1),
                burst: 20,
            },
            start_rate: Rate {
                per_minute: 30,
                burst: 10,
            },
            trust_forwarded_for: args.trust_forwarded_for,
        })
    }

    /// Where a service sends the browser back: the URL its portal registers.
    pub fn callback_url(&self, service: crate::Service) -> String {
        format!(
            "{}/callback/{}",
            self.public_url.as_str().trim_end_matches('/'),
            service.path()
        )
    }

    pub fn app(&self, service: crate::Service) -> &AppCredentials {
        match service {
            crate::Service::Nuvemshop => &self.nuvemshop,
            crate::Service::Contaazul => &self.contaazul,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_url_is_https_or_loopback() {
        assert!(check_public_url("https://conectar.ponte.app.br").is_ok());
        assert!(check_public_url("http://127.0.0.1:47900").is_ok());
        assert!(check_public_url("http://localhost:8080/").is_ok());
        assert!(check_public_url("http://conectar.ponte.app.br").is_err());
        assert!(check_public_url("ftp://x").is_err());
    }

    #[test]
    fn the_key_is_32_bytes_of_hex() {
        assert!(parse_key(&"ab".repeat(32)).is_ok());
        assert!(parse_key("abcd").is_err());
        assert!(parse_key(&"zz".repeat(32)).is_err());
    }
}
