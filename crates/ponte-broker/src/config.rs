//! What the broker needs to run: its public address, where it keeps pending connects, the key
//! that seals them, the two apps' credentials, and the limits one caller meets. All of it from
//! the environment (or flags); each secret also from a file (`…_FILE`, for container secrets).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context};
use ipnet::IpNet;
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

/// How many requests one caller may make, per minute and in a burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

impl Rate {
    pub const fn new(per_minute: u32, burst: u32) -> Rate {
        Rate { per_minute, burst }
    }
}

/// What one caller, and all of them together, can make the broker do. Per-address limits key
/// an IPv6 client by its /64 (one subscriber's whole allocation), see `limit::rate_key`.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Claims and pairing-code attempts per address.
    pub claim: Rate,
    /// Connect starts per address, and by everyone (each start is a row for ten minutes).
    pub start: Rate,
    pub start_global: Rate,
    /// Conta Azul refreshes (each an outbound call with the secret) per address, per
    /// installation, and by everyone.
    pub refresh: Rate,
    pub refresh_per_installation: Rate,
    pub refresh_global: Rate,
    /// Nuvemshop callbacks without a `state` (each an outbound exchange with the secret) per
    /// address and by everyone.
    pub install: Rate,
    pub install_global: Rate,
    /// Wrong pairing codes tolerated from everyone together in an hour; past it, pairing
    /// pauses for all and the log raises an alert (someone is guessing).
    pub pairing_failures_per_hour: u32,
    /// LGPD requests without a signature kept per store in an hour (whether Nuvemshop signs
    /// the ones set in the partner panel is undocumented); past it they are refused with 429
    /// and Nuvemshop delivers them again later.
    pub unsigned_lgpd_per_store_per_hour: u32,
    /// Calls to the services carrying a secret, in flight at once.
    pub outbound_in_flight: usize,
    /// Long polls of `/events` waiting at once under one installation key.
    pub long_polls_per_key: usize,
    /// Open client connections; past it, new ones wait in the kernel's queue.
    pub connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            claim: Rate::new(60, 20),
            start: Rate::new(30, 10),
            start_global: Rate::new(3_000, 500),
            refresh: Rate::new(30, 10),
            refresh_per_installation: Rate::new(6, 3),
            refresh_global: Rate::new(3_000, 300),
            install: Rate::new(10, 5),
            install_global: Rate::new(300, 50),
            pairing_failures_per_hour: 600,
            unsigned_lgpd_per_store_per_hour: 5,
            outbound_in_flight: 32,
            long_polls_per_key: 3,
            connections: 16_384,
        }
    }
}

/// How long the server waits on a client.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// For a request's head, and between two requests on a kept-alive connection.
    pub header: Duration,
    /// For a request's body.
    pub body: Duration,
    /// For a whole request (a long poll waits 25 s at most).
    pub request: Duration,
    /// At shutdown, for requests in flight to finish (a container is killed after 10 s).
    pub drain: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            header: Duration::from_secs(10),
            body: Duration::from_secs(10),
            request: Duration::from_secs(60),
            drain: Duration::from_secs(5),
        }
    }
}

#[derive(Clone)]
pub struct BrokerConfig {
    /// The address the services send the browser back to: `{public_url}/callback/{service}`
    /// is what each app's portal registers.
    pub public_url: Url,
    /// Where pending connects, installations and events are kept: a SQLite file (`:memory:`
    /// for one short-lived process) or Postgres, for several instances.
    pub database: crate::storage::Database,
    /// Seals the tokens of pending connects (ChaCha20-Poly1305).
    pub key: [u8; 32],
    pub nuvemshop: AppCredentials,
    pub contaazul: AppCredentials,
    /// How long an exchanged result waits for its claim.
    pub claim_ttl: Duration,
    pub limits: Limits,
    pub timeouts: Timeouts,
    /// Who may say, in `X-Forwarded-For`, which address a request came from.
    pub trusted_proxies: TrustedProxies,
    /// Where `GET /metrics` is served, apart from the public listener (`None`: nowhere).
    pub metrics_listen: Option<SocketAddr>,
}

impl std::fmt::Debug for BrokerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerConfig")
            .field("public_url", &self.public_url.as_str())
            .field("database", &self.database)
            .field("nuvemshop", &self.nuvemshop)
            .field("contaazul", &self.contaazul)
            .field("claim_ttl", &self.claim_ttl)
            .field("limits", &self.limits)
            .field("timeouts", &self.timeouts)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// `ponte-broker --help` lists every setting; each has an environment variable.
#[derive(clap::Parser)]
#[command(
    name = "ponte-broker",
    version,
    about = "Ponte's connect broker: the registered HTTPS redirects, the two app secrets, the \
             code exchange, the Conta Azul refresh and Nuvemshop's webhooks. See \
             docs/broker.md for what it stores and for how long."
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
    /// A SQLite file (one instance; `ponte-broker.sqlite3` when unset), or a
    /// `postgres://user:password@host/database` URL (several instances share it).
    #[arg(long, env = "PONTE_BROKER_DATABASE", hide_env_values = true)]
    pub database: Option<String>,
    /// A file holding PONTE_BROKER_DATABASE (a container secret: the URL has a password).
    #[arg(long, env = "PONTE_BROKER_DATABASE_FILE")]
    pub database_file: Option<PathBuf>,
    /// 64 hex characters sealing pending connects; required with an https public URL.
    /// Several instances must share it.
    #[arg(long, env = "PONTE_BROKER_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// A file holding PONTE_BROKER_KEY (a container secret).
    #[arg(long, env = "PONTE_BROKER_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    #[arg(
        long,
        env = "PONTE_NUVEMSHOP_AUTH_URL",
        default_value = "https://www.nuvemshop.com.br"
    )]
    pub nuvemshop_auth_url: String,
    #[arg(long, env = "PONTE_NUVEMSHOP_CLIENT_ID")]
    pub nuvemshop_client_id: String,
    #[arg(long, env = "PONTE_NUVEMSHOP_CLIENT_SECRET", hide_env_values = true)]
    pub nuvemshop_client_secret: Option<String>,
    /// A file holding PONTE_NUVEMSHOP_CLIENT_SECRET.
    #[arg(long, env = "PONTE_NUVEMSHOP_CLIENT_SECRET_FILE")]
    pub nuvemshop_client_secret_file: Option<PathBuf>,
    #[arg(
        long,
        env = "PONTE_CONTAAZUL_AUTH_URL",
        default_value = "https://auth.contaazul.com"
    )]
    pub contaazul_auth_url: String,
    #[arg(long, env = "PONTE_CONTAAZUL_CLIENT_ID")]
    pub contaazul_client_id: String,
    #[arg(long, env = "PONTE_CONTAAZUL_CLIENT_SECRET", hide_env_values = true)]
    pub contaazul_client_secret: Option<String>,
    /// A file holding PONTE_CONTAAZUL_CLIENT_SECRET.
    #[arg(long, env = "PONTE_CONTAAZUL_CLIENT_SECRET_FILE")]
    pub contaazul_client_secret_file: Option<PathBuf>,
    /// Claims and pairing-code attempts per client address per minute.
    #[arg(long, env = "PONTE_BROKER_CLAIMS_PER_MINUTE", default_value_t = 60)]
    pub claims_per_minute: u32,
    /// Behind reverse proxies: how many stand in front (`1`, `2`…), or the address ranges they
    /// speak from (`10.0.0.0/8,fd00::/8`). The client is then read from `X-Forwarded-For`,
    /// counting from the right; without it the header is ignored.
    #[arg(long, env = "PONTE_BROKER_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Open client connections at most (long polls included).
    #[arg(long, env = "PONTE_BROKER_MAX_CONNECTIONS", default_value_t = 16_384)]
    pub max_connections: usize,
    /// Calls to Nuvemshop and Conta Azul in flight at most.
    #[arg(long, env = "PONTE_BROKER_MAX_OUTBOUND", default_value_t = 32)]
    pub max_outbound: usize,
    /// Serves `GET /metrics` (Prometheus) on this address, apart from the public listener;
    /// keep it private (`127.0.0.1:9464`, or a port only the monitoring network reaches).
    #[arg(long, env = "PONTE_BROKER_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// `json`: one JSON object per log line (for a log collector); plain text otherwise.
    #[arg(long, env = "PONTE_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
}

impl std::fmt::Debug for BrokerArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrokerArgs")
            .field("listen", &self.listen)
            .field("public_url", &self.public_url)
            .field(
                "database",
                &self
                    .database
                    .as_deref()
                    .map(crate::storage::Database::parse),
            )
            .field("database_file", &self.database_file)
            .field("key_file", &self.key_file)
            .field("nuvemshop_auth_url", &self.nuvemshop_auth_url)
            .field("nuvemshop_client_id", &self.nuvemshop_client_id)
            .field(
                "nuvemshop_client_secret_file",
                &self.nuvemshop_client_secret_file,
            )
            .field("contaazul_auth_url", &self.contaazul_auth_url)
            .field("contaazul_client_id", &self.contaazul_client_id)
            .field(
                "contaazul_client_secret_file",
                &self.contaazul_client_secret_file,
            )
            .field("claims_per_minute", &self.claims_per_minute)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("max_connections", &self.max_connections)
            .field("max_outbound", &self.max_outbound)
            .finish_non_exhaustive()
    }
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

/// A secret given as itself or as a file holding it (trailing line ends dropped); never both.
pub fn secret_setting(
    value: Option<&str>,
    file: Option<&Path>,
    name: &str,
) -> anyhow::Result<Option<String>> {
    match (value, file) {
        (Some(_), Some(_)) => bail!("set {name} or {name}_FILE, not both"),
        (Some(value), None) => Ok(Some(value.to_string())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("{name}_FILE: cannot read {}", path.display()))?;
            Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
        }
        (None, None) => Ok(None),
    }
}

fn credentials(
    id: &str,
    secret: Option<String>,
    token_url: String,
    name: &str,
) -> anyhow::Result<AppCredentials> {
    let secret = secret.unwrap_or_default();
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
        let public_url = check_public_url(&args.public_url).context("PONTE_BROKER_PUBLIC_URL")?;
        let key = secret_setting(
            args.key.as_deref(),
            args.key_file.as_deref(),
            "PONTE_BROKER_KEY",
        )?;
        let key = match key {
            Some(key) => parse_key(&key)?,
            None if public_url.scheme() == "https" => bail!(
                "PONTE_BROKER_KEY (or PONTE_BROKER_KEY_FILE) is required with an https public \
                 URL: with a random key each restart loses the connects under way, and \
                 instances cannot open each other's"
            ),
            None => {
                tracing::warn!("no PONTE_BROKER_KEY: a random one seals this process's connects");
                rand::random()
            }
        };
        let trim = |url: &str| url.trim_end_matches('/').to_string();
        let nuvemshop_secret = secret_setting(
            args.nuvemshop_client_secret.as_deref(),
            args.nuvemshop_client_secret_file.as_deref(),
            "PONTE_NUVEMSHOP_CLIENT_SECRET",
        )?;
        let contaazul_secret = secret_setting(
            args.contaazul_client_secret.as_deref(),
            args.contaazul_client_secret_file.as_deref(),
            "PONTE_CONTAAZUL_CLIENT_SECRET",
        )?;
        let defaults = Limits::default();
        Ok(BrokerConfig {
            public_url,
            database: crate::storage::Database::parse(
                &secret_setting(
                    args.database.as_deref(),
                    args.database_file.as_deref(),
                    "PONTE_BROKER_DATABASE",
                )?
                .unwrap_or_else(|| "ponte-broker.sqlite3".to_string()),
            ),
            key,
            nuvemshop: credentials(
                &args.nuvemshop_client_id,
                nuvemshop_secret,
                format!("{}/apps/authorize/token", trim(&args.nuvemshop_auth_url)),
                "Nuvemshop",
            )?,
            contaazul: credentials(
                &args.contaazul_client_id,
                contaazul_secret,
                format!("{}/oauth2/token", trim(&args.contaazul_auth_url)),
                "Conta Azul",
            )?,
            claim_ttl: Duration::from_secs(600),
            limits: Limits {
                claim: Rate::new(args.claims_per_minute.max(1), defaults.claim.burst),
                connections: args.max_connections.max(16),
                outbound_in_flight: args.max_outbound.max(1),
                ..defaults
            },
            timeouts: Timeouts::default(),
            trusted_proxies: args
                .trusted_proxies
                .parse()
                .context("PONTE_BROKER_TRUSTED_PROXIES")?,
            metrics_listen: args.metrics_listen,
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

    /// Behind HTTPS, browsers are told to keep to it (HSTS).
    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// Who may say where a request came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TrustedProxies {
    /// `X-Forwarded-For` is ignored: the peer is the client.
    #[default]
    None,
    /// This many proxies stand in front, each appending the address it saw: the client is
    /// that many entries from the right.
    Hops(usize),
    /// Proxies speak from these ranges: from the peer leftwards, the first address outside
    /// them is the client.
    Ranges(Vec<IpNet>),
}

impl FromStr for TrustedProxies {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<TrustedProxies> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("none") {
            return Ok(TrustedProxies::None);
        }
        if let Ok(hops) = text.parse::<usize>() {
            anyhow::ensure!(
                (1..=10).contains(&hops),
                "a hop count goes from 1 to 10: {text}"
            );
            return Ok(TrustedProxies::Hops(hops));
        }
        let ranges = text
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!(
                            "not a hop count nor an address range: {part} (say 1, or \
                             10.0.0.0/8,fd00::/8)"
                        )
                    })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(TrustedProxies::Ranges(ranges))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

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

    fn args(extra: &[&str]) -> BrokerArgs {
        let mut all = vec![
            "ponte-broker",
            "--nuvemshop-client-id",
            "8132",
            "--nuvemshop-client-secret",
            "nuvem-secret-value",
            "--contaazul-client-id",
            "ca-id",
            "--contaazul-client-secret",
            "ca-secret-value",
        ];
        all.extend_from_slice(extra);
        BrokerArgs::try_parse_from(all).unwrap()
    }

    #[test]
    fn neither_the_arguments_nor_the_config_print_a_key_or_a_secret() {
        let key = "ab".repeat(32);
        let args = args(&["--key", &key]);
        let config = BrokerConfig::from_args(&args).unwrap();
        for printed in [format!("{args:?}"), format!("{config:?}")] {
            assert!(printed.contains("ca-id"), "{printed}");
            for secret in ["nuvem-secret-value", "ca-secret-value", &key, "171, 171"] {
                assert!(!printed.contains(secret), "{printed}");
            }
        }
    }

    #[test]
    fn an_https_broker_needs_its_sealing_key() {
        let random = args(&["--public-url", "https://conectar.ponte.app.br"]);
        let error = BrokerConfig::from_args(&random).unwrap_err().to_string();
        assert!(error.contains("PONTE_BROKER_KEY"), "{error}");
        let key = "cd".repeat(32);
        let given = args(&[
            "--public-url",
            "https://conectar.ponte.app.br",
            "--key",
            &key,
        ]);
        assert_eq!(BrokerConfig::from_args(&given).unwrap().key, [0xcd; 32]);
        // A loopback broker (development) may seal with a random key.
        assert!(BrokerConfig::from_args(&args(&[])).is_ok());
    }

    #[test]
    fn every_secret_can_come_from_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let key = write("key", &format!("{}\n", "ef".repeat(32)));
        let nuvem = write("nuvem", "from-file-nuvem\r\n");
        let azul = write("azul", "from-file-azul\n");
        let args = BrokerArgs::try_parse_from([
            "ponte-broker",
            "--public-url",
            "https://conectar.ponte.app.br",
            "--key-file",
            key.to_str().unwrap(),
            "--nuvemshop-client-id",
            "8132",
            "--nuvemshop-client-secret-file",
            nuvem.to_str().unwrap(),
            "--contaazul-client-id",
            "ca",
            "--contaazul-client-secret-file",
            azul.to_str().unwrap(),
        ])
        .unwrap();
        let config = BrokerConfig::from_args(&args).unwrap();
        assert_eq!(config.key, [0xef; 32]);
        assert_eq!(config.nuvemshop.client_secret, "from-file-nuvem");
        assert_eq!(config.contaazul.client_secret, "from-file-azul");

        let both = secret_setting(Some("x"), Some(&nuvem), "PONTE_X").unwrap_err();
        assert!(both.to_string().contains("not both"));
        let missing = secret_setting(None, Some(&dir.path().join("none")), "PONTE_X");
        assert!(missing.unwrap_err().to_string().contains("PONTE_X_FILE"));
    }

    #[test]
    fn trusted_proxies_are_a_hop_count_or_address_ranges() {
        assert!(BrokerConfig::from_args(&args(&["--trusted-proxies", "2"])).is_ok());
        assert!(BrokerConfig::from_args(&args(&[
            "--trusted-proxies",
            "10.0.0.0/8, fd00::/8,192.168.1.7"
        ]))
        .is_ok());
        assert!(BrokerConfig::from_args(&args(&["--trusted-proxies", "last"])).is_err());
    }
}
