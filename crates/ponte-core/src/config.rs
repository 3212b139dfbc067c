//! Where Ponte talks to and where it keeps its data. The defaults are the production services;
//! every URL can be pointed elsewhere (the sandbox, tests) through `PONTE_*` variables.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStoreKind {
    /// The OS keychain (Keychain, Credential Manager, Secret Service).
    Keychain,
    /// A 0600 file in the data directory, for tests and headless machines.
    File,
}

/// Request pacing under each service's rate limit.
#[derive(Clone, Debug)]
pub struct Pacing {
    /// Nuvemshop's leaky bucket: burst size and drain rate per second.
    pub nuvemshop_burst: u32,
    pub nuvemshop_per_second: u32,
    /// Conta Azul: requests per second and per minute.
    pub contaazul_per_second: u32,
    pub contaazul_per_minute: u32,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            nuvemshop_burst: 40,
            nuvemshop_per_second: 2,
            contaazul_per_second: 10,
            contaazul_per_minute: 600,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub data_dir: PathBuf,
    pub nuvemshop_auth_url: String,
    pub nuvemshop_api_url: String,
    pub contaazul_auth_url: String,
    pub contaazul_api_url: String,
    pub nuvemshop_client_id: String,
    pub nuvemshop_client_secret: String,
    pub contaazul_client_id: String,
    pub contaazul_client_secret: String,
    pub redirect_port: u16,
    pub token_store: TokenStoreKind,
    /// How long the loopback listener waits for the browser to come back.
    pub authorization_timeout: Duration,
    /// `Ponte (contato@…)`: Nuvemshop refuses requests without one.
    pub user_agent: String,
    pub pacing: Pacing,
    /// How many results one Nuvemshop query may reach (tests shrink it with the sandbox's).
    pub nuvemshop_result_window: u64,
}

pub const DEFAULT_REDIRECT_PORT: u16 = 47800;

/// Creates the data directory (and its parents) readable by this user only: it holds the
/// ledger, with customers' names, and the token file.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(120);

impl Config {
    /// Reads the `PONTE_*` environment.
    pub fn from_env() -> Result<Config> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let get = |name: &str, default: &str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        let data_dir = match lookup("PONTE_DATA_DIR").filter(|v| !v.trim().is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => dirs::data_dir()
                .map(|dir| dir.join("Ponte"))
                .ok_or_else(|| {
                    Error::Config("no application data directory; set PONTE_DATA_DIR".into())
                })?,
        };
        let redirect_port = get("PONTE_REDIRECT_PORT", &DEFAULT_REDIRECT_PORT.to_string())
            .parse::<u16>()
            .map_err(|_| Error::Config("PONTE_REDIRECT_PORT must be a port number".into()))?;
        let token_store = match get("PONTE_TOKEN_STORE", "keychain").as_str() {
            "file" => TokenStoreKind::File,
            "keychain" => TokenStoreKind::Keychain,
            other => {
                return Err(Error::Config(format!(
                    "PONTE_TOKEN_STORE must be 'file' or 'keychain', not '{other}'"
                )))
            }
        };
        let trim = |url: String| url.trim_end_matches('/').to_string();
        Ok(Config {
            data_dir,
            nuvemshop_auth_url: trim(get(
                "PONTE_NUVEMSHOP_AUTH_URL",
                "https://www.nuvemshop.com.br",
            )),
            nuvemshop_api_url: trim(get(
                "PONTE_NUVEMSHOP_API_URL",
                "https://api.nuvemshop.com.br/v1",
            )),
            contaazul_auth_url: trim(get(
                "PONTE_CONTAAZUL_AUTH_URL",
                "https://auth.contaazul.com",
            )),
            contaazul_api_url: trim(get(
                "PONTE_CONTAAZUL_API_URL",
                "https://api-v2.contaazul.com",
            )),
            nuvemshop_client_id: get("PONTE_NUVEMSHOP_CLIENT_ID", ""),
            nuvemshop_client_secret: get("PONTE_NUVEMSHOP_CLIENT_SECRET", ""),
            contaazul_client_id: get("PONTE_CONTAAZUL_CLIENT_ID", ""),
            contaazul_client_secret: get("PONTE_CONTAAZUL_CLIENT_SECRET", ""),
            redirect_port,
            token_store,
            authorization_timeout: Duration::from_secs(300),
            user_agent: "Ponte (suporte@ponte.app.br)".into(),
            pacing: Pacing::default(),
            nuvemshop_result_window: crate::nuvemshop::client::RESULT_WINDOW,
        })
    }

    pub fn redirect_url(&self, service: crate::error::Service) -> String {
        let path = match service {
            crate::error::Service::Nuvemshop => "nuvemshop",
            crate::error::Service::Contaazul => "contaazul",
        };
        format!("http://127.0.0.1:{}/callback/{path}", self.redirect_port)
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("ponte.sqlite3")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults_are_the_production_services() {
        let env: HashMap<&str, &str> = HashMap::from([("PONTE_DATA_DIR", "/tmp/p")]);
        let config = Config::from_lookup(|name| env.get(name).map(|v| v.to_string())).unwrap();
        assert_eq!(config.nuvemshop_api_url, "https://api.nuvemshop.com.br/v1");
        assert_eq!(config.contaazul_api_url, "https://api-v2.contaazul.com");
        assert_eq!(config.contaazul_auth_url, "https://auth.contaazul.com");
        assert_eq!(config.token_store, TokenStoreKind::Keychain);
        assert_eq!(
            config.redirect_url(crate::error::Service::Contaazul),
            "http://127.0.0.1:47800/callback/contaazul"
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_named() {
        let env: HashMap<&str, &str> =
            HashMap::from([("PONTE_DATA_DIR", "/tmp/p"), ("PONTE_TOKEN_STORE", "cloud")]);
        let error = Config::from_lookup(|name| env.get(name).map(|v| v.to_string())).unwrap_err();
        assert!(error.to_string().contains("PONTE_TOKEN_STORE"));
    }
}
