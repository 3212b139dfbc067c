//! Where Ponte talks to and where it keeps its data. The defaults are the production services;
//! every URL can be pointed elsewhere (the sandbox, tests) through `PONTE_*` variables.
//!
//! Two ways to connect the accounts:
//! - **through the broker** (what a merchant's Ponte does): the app holds only the public client
//!   ids; `ponte-broker` holds the secrets, receives the services' redirects, exchanges the
//!   codes and forwards Conta Azul's refreshes. The broker's URL and the client ids are compiled
//!   in (`PONTE_BUILD_*` at build time) and may be overridden at run time.
//! - **direct** (development and the README's CLI contract): with `PONTE_*_CLIENT_SECRET` set
//!   and no `PONTE_BROKER_URL`, Ponte exchanges codes itself with a loopback redirect.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::profiles::ProfileName;

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
    /// This profile's data directory (`profiles`): the base directory for the default one.
    pub data_dir: PathBuf,
    /// `PONTE_DATA_DIR` (or the system's default): the default profile's data directory, under
    /// which the other profiles and what profiles into one company share (`company`) live.
    pub base_dir: PathBuf,
    /// `PONTE_PROFILE`, or the default profile.
    pub profile: ProfileName,
    /// Where an earlier version kept the data, moved into `data_dir` once when the app opens
    /// (Windows, the default directory only: see `data_dir`).
    pub earlier_data_dir: Option<PathBuf>,
    pub nuvemshop_auth_url: String,
    pub nuvemshop_api_url: String,
    pub contaazul_auth_url: String,
    pub contaazul_api_url: String,
    pub nuvemshop_client_id: String,
    pub nuvemshop_client_secret: String,
    pub contaazul_client_id: String,
    pub contaazul_client_secret: String,
    pub redirect_port: u16,
    /// `Some`: connect through this broker (no secret on this machine). `None`: direct.
    pub broker_url: Option<String>,
    pub token_store: TokenStoreKind,
    /// How long the loopback listener waits for the browser to come back.
    pub authorization_timeout: Duration,
    /// How often a connect through the broker asks for its result while the browser has not
    /// come back (the return to Ponte claims at once; this is for a browser that cannot).
    pub claim_every: Duration,
    /// `Ponte (contato@…)`: Nuvemshop refuses requests without one.
    pub user_agent: String,
    pub pacing: Pacing,
    /// How many results one Nuvemshop query may reach (tests shrink it with the sandbox's).
    pub nuvemshop_result_window: u64,
    /// A check interval that overrides the merchant's: demo mode checks every 15 seconds, so
    /// that its sales appear within moments. `None`: the interval set in *Configurações*.
    pub check_every: Option<Duration>,
}

pub const DEFAULT_REDIRECT_PORT: u16 = 47800;

/// What a release build carries: set at build time, public by nature (never a secret).
pub mod build {
    /// `PONTE_BUILD_BROKER_URL`: the broker the services' portals register.
    pub const BROKER_URL: &str = match option_env!("PONTE_BUILD_BROKER_URL") {
        Some(url) => url,
        None => "https://conectar.ponte.app.br",
    };
    /// `PONTE_BUILD_NUVEMSHOP_CLIENT_ID`: the app id in the Nuvemshop Partners portal.
    pub const NUVEMSHOP_CLIENT_ID: &str = match option_env!("PONTE_BUILD_NUVEMSHOP_CLIENT_ID") {
        Some(id) => id,
        None => "",
    };
    /// `PONTE_BUILD_CONTAAZUL_CLIENT_ID`: the app's client id in Conta Azul's portal.
    pub const CONTAAZUL_CLIENT_ID: &str = match option_env!("PONTE_BUILD_CONTAAZUL_CLIENT_ID") {
        Some(id) => id,
        None => "",
    };
}

/// `https://`, or `http://` on this computer's loopback (the sandbox, development).
pub fn is_https_or_loopback(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    match parsed.scheme() {
        "https" => true,
        "http" => loopback,
        _ => false,
    }
}

/// The broker's URL is `https://`, or `http://` on a loopback host (the sandbox, development).
pub fn check_broker_url(url: &str) -> Result<String> {
    if url::Url::parse(url).is_err() {
        return Err(Error::Config(format!(
            "PONTE_BROKER_URL is not a URL: {url}"
        )));
    }
    if !is_https_or_loopback(url) {
        return Err(Error::Config(format!(
            "PONTE_BROKER_URL must be https (http only on 127.0.0.1): {url}"
        )));
    }
    Ok(url.trim_end_matches('/').to_string())
}

pub use crate::files::create_private_dir;

/// The app's identifier (`tauri.conf.json`): the folder Windows' uninstaller knows.
pub const APP_IDENTIFIER: &str = "br.app.ponte";

/// The data directory when `PONTE_DATA_DIR` is not set, and where an earlier version may have
/// left data to move (Windows only).
pub fn default_dirs() -> Option<(PathBuf, Option<PathBuf>)> {
    dirs::data_local_dir().map(|local| dirs_in(&local, cfg!(windows)))
}

fn dirs_in(local: &Path, windows: bool) -> (PathBuf, Option<PathBuf>) {
    if windows {
        (local.join(APP_IDENTIFIER), Some(local.join("Ponte")))
    } else {
        (local.join("Ponte"), None)
    }
}

/// The logs of a data directory: known before the configuration is (the shell's log file is
/// opened first, to report a configuration that fails).
pub fn log_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("logs")
}

/// Nuvemshop answers no query past its 10,000th result (documented in its changelog): a
/// longer listing is read in narrower windows (`nuvemshop::window`).
pub const NUVEMSHOP_RESULT_WINDOW: u64 = 10_000;

/// How often Ponte looks for paid orders unless the merchant chose otherwise (R7), and the
/// bounds of that choice.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(120);
/// The shortest poll interval a merchant can choose.
pub const MIN_INTERVAL_MINUTES: u64 = 1;
/// The longest: a day, the article's own promise (*em até 24h*).
pub const MAX_INTERVAL_MINUTES: u64 = 1440;

/// A poll interval in minutes, within its bounds.
pub fn interval_from_minutes(
    minutes: u64,
) -> std::result::Result<Duration, crate::problem::Problem> {
    if (MIN_INTERVAL_MINUTES..=MAX_INTERVAL_MINUTES).contains(&minutes) {
        Ok(Duration::from_secs(minutes * 60))
    } else {
        Err(crate::problem::Problem::of(
            crate::problem::ProblemCode::BadInterval,
        ))
    }
}

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
        let (base_dir, earlier_data_dir) =
            match lookup("PONTE_DATA_DIR").filter(|v| !v.trim().is_empty()) {
                Some(dir) => (PathBuf::from(dir), None),
                None => default_dirs().ok_or_else(|| {
                    Error::Config("no application data directory; set PONTE_DATA_DIR".into())
                })?,
            };
        let profile = match lookup("PONTE_PROFILE").filter(|v| !v.trim().is_empty()) {
            Some(name) => ProfileName::parse(&name).map_err(Error::Invalid)?,
            None => ProfileName::default_profile(),
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
        let has_secret = [
            "PONTE_NUVEMSHOP_CLIENT_SECRET",
            "PONTE_CONTAAZUL_CLIENT_SECRET",
        ]
        .iter()
        .any(|name| lookup(name).is_some_and(|v| !v.trim().is_empty()));
        let broker_url = match lookup("PONTE_BROKER_URL").filter(|v| !v.trim().is_empty()) {
            Some(url) => Some(check_broker_url(url.trim())?),
            None if has_secret => None,
            None => Some(build::BROKER_URL.to_string()),
        };
        Ok(Config {
            data_dir: profile.data_dir(&base_dir),
            // Only the default profile's data can have been an earlier version's.
            earlier_data_dir: earlier_data_dir.filter(|_| profile.is_default()),
            base_dir,
            profile,
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
            nuvemshop_client_id: get("PONTE_NUVEMSHOP_CLIENT_ID", build::NUVEMSHOP_CLIENT_ID),
            nuvemshop_client_secret: get("PONTE_NUVEMSHOP_CLIENT_SECRET", ""),
            contaazul_client_id: get("PONTE_CONTAAZUL_CLIENT_ID", build::CONTAAZUL_CLIENT_ID),
            contaazul_client_secret: get("PONTE_CONTAAZUL_CLIENT_SECRET", ""),
            redirect_port,
            broker_url,
            token_store,
            authorization_timeout: Duration::from_secs(300),
            claim_every: Duration::from_secs(2),
            user_agent: "Ponte (suporte@ponte.app.br)".into(),
            pacing: Pacing::default(),
            nuvemshop_result_window: NUVEMSHOP_RESULT_WINDOW,
            check_every: None,
        })
    }

    /// Where the service sends the browser back: the broker's registered callback, or (direct)
    /// Ponte's loopback listener.
    pub fn redirect_url(&self, service: crate::error::Service) -> String {
        let path = match service {
            crate::error::Service::Nuvemshop => "nuvemshop",
            crate::error::Service::Contaazul => "contaazul",
        };
        match &self.broker_url {
            Some(broker) => format!("{broker}/callback/{path}"),
            None => format!("http://127.0.0.1:{}/callback/{path}", self.redirect_port),
        }
    }

    /// A merchant's build ignores the development switches: it connects through the broker
    /// only, whatever the environment says about secrets (a secret inside a merchant's machine
    /// is not a secret); its tokens live under the keychain's key, never in a plain file; and
    /// every address it sends a token to is `https` (or this computer's loopback), so that an
    /// environment variable cannot send them elsewhere.
    pub fn for_a_merchants_build(mut self) -> Result<Config> {
        if self.broker_url.is_none() {
            self.broker_url = Some(build::BROKER_URL.to_string());
        }
        self.nuvemshop_client_secret.clear();
        self.contaazul_client_secret.clear();
        if self.token_store == TokenStoreKind::File {
            tracing::warn!("PONTE_TOKEN_STORE=file is for development: the keychain is used");
            self.token_store = TokenStoreKind::Keychain;
        }
        for (name, url) in [
            ("PONTE_BROKER_URL", self.broker_url.as_deref().unwrap_or("")),
            ("PONTE_NUVEMSHOP_AUTH_URL", &self.nuvemshop_auth_url),
            ("PONTE_NUVEMSHOP_API_URL", &self.nuvemshop_api_url),
            ("PONTE_CONTAAZUL_AUTH_URL", &self.contaazul_auth_url),
            ("PONTE_CONTAAZUL_API_URL", &self.contaazul_api_url),
        ] {
            if !is_https_or_loopback(url) {
                return Err(Error::Config(format!(
                    "{name} must be https (http only on 127.0.0.1): {url}"
                )));
            }
        }
        Ok(self)
    }

    /// The same configuration for another profile under the same base directory.
    pub fn for_profile(mut self, profile: ProfileName) -> Config {
        self.data_dir = profile.data_dir(&self.base_dir);
        if !profile.is_default() {
            self.earlier_data_dir = None;
        }
        self.profile = profile;
        self
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(crate::profiles::LEDGER_FILE)
    }

    /// Where the desktop app writes its logs (`logs/` in the data directory).
    pub fn log_dir(&self) -> PathBuf {
        log_dir(&self.data_dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_keeps_the_data_apart_from_the_program() {
        let local = Path::new("/local");
        assert_eq!(
            dirs_in(local, true),
            (local.join("br.app.ponte"), Some(local.join("Ponte")))
        );
        assert_eq!(dirs_in(local, false), (local.join("Ponte"), None));
    }

    use std::collections::HashMap;

    #[test]
    fn a_profile_is_a_folder_of_the_data_directory_and_the_default_is_the_directory_itself() {
        let default = config(&[("PONTE_DATA_DIR", "/tmp/p")]).unwrap();
        assert_eq!(default.data_dir, Path::new("/tmp/p"));
        assert_eq!(default.base_dir, Path::new("/tmp/p"));
        assert!(default.profile.is_default());
        let second = config(&[("PONTE_DATA_DIR", "/tmp/p"), ("PONTE_PROFILE", "Loja-2")]).unwrap();
        assert_eq!(second.data_dir, Path::new("/tmp/p/profiles/loja-2"));
        assert_eq!(second.base_dir, Path::new("/tmp/p"));
        let back = second.for_profile(ProfileName::default_profile());
        assert_eq!(back.data_dir, Path::new("/tmp/p"));
        let bad = config(&[("PONTE_DATA_DIR", "/tmp/p"), ("PONTE_PROFILE", "loja/2")]).unwrap_err();
        assert!(
            matches!(&bad, Error::Invalid(p) if p.code == crate::problem::ProblemCode::BadProfileName)
        );
    }

    fn config(env: &[(&str, &str)]) -> Result<Config> {
        let env: HashMap<&str, &str> = env.iter().copied().collect();
        Config::from_lookup(|name| env.get(name).map(|v| v.to_string()))
    }

    #[test]
    fn defaults_are_the_production_services_through_the_broker() {
        let config = config(&[("PONTE_DATA_DIR", "/tmp/p")]).unwrap();
        assert_eq!(config.nuvemshop_api_url, "https://api.nuvemshop.com.br/v1");
        assert_eq!(config.contaazul_api_url, "https://api-v2.contaazul.com");
        assert_eq!(config.contaazul_auth_url, "https://auth.contaazul.com");
        assert_eq!(config.token_store, TokenStoreKind::Keychain);
        assert_eq!(config.broker_url.as_deref(), Some(build::BROKER_URL));
        assert_eq!(
            config.redirect_url(crate::error::Service::Contaazul),
            format!("{}/callback/contaazul", build::BROKER_URL)
        );
        assert!(config.contaazul_client_secret.is_empty());
    }

    #[test]
    fn secrets_in_the_environment_mean_direct_mode_with_the_loopback_redirect() {
        let direct = config(&[
            ("PONTE_DATA_DIR", "/tmp/p"),
            ("PONTE_CONTAAZUL_CLIENT_SECRET", "s"),
        ])
        .unwrap();
        assert_eq!(direct.broker_url, None);
        assert_eq!(
            direct.redirect_url(crate::error::Service::Contaazul),
            "http://127.0.0.1:47800/callback/contaazul"
        );
        // A shipped app ignores them.
        let shipped = direct.for_a_merchants_build().unwrap();
        assert!(shipped.broker_url.is_some() && shipped.contaazul_client_secret.is_empty());
        // An explicit broker wins over secrets.
        let brokered = config(&[
            ("PONTE_DATA_DIR", "/tmp/p"),
            ("PONTE_CONTAAZUL_CLIENT_SECRET", "s"),
            ("PONTE_BROKER_URL", "http://127.0.0.1:47900/"),
        ])
        .unwrap();
        assert_eq!(
            brokered.broker_url.as_deref(),
            Some("http://127.0.0.1:47900")
        );
    }

    /// Issue 20: what a development switch would change, a merchant's build does not.
    #[test]
    fn a_merchants_build_ignores_the_development_switches() {
        let switched = config(&[
            ("PONTE_DATA_DIR", "/tmp/p"),
            ("PONTE_TOKEN_STORE", "file"),
            ("PONTE_CONTAAZUL_CLIENT_SECRET", "s"),
        ])
        .unwrap()
        .for_a_merchants_build()
        .unwrap();
        assert_eq!(switched.token_store, TokenStoreKind::Keychain);
        assert!(switched.broker_url.is_some());
        for (name, url) in [
            ("PONTE_CONTAAZUL_API_URL", "http://coletor.example.com"),
            ("PONTE_NUVEMSHOP_AUTH_URL", "http://192.168.0.9"),
            ("PONTE_NUVEMSHOP_API_URL", "ftp://x"),
        ] {
            let error = config(&[("PONTE_DATA_DIR", "/tmp/p"), (name, url)])
                .unwrap()
                .for_a_merchants_build()
                .unwrap_err();
            assert!(error.to_string().contains(name), "{error}");
        }
        // This computer's loopback stays possible (the benchmarks' simulators).
        assert!(config(&[
            ("PONTE_DATA_DIR", "/tmp/p"),
            ("PONTE_CONTAAZUL_API_URL", "http://127.0.0.1:47820"),
        ])
        .unwrap()
        .for_a_merchants_build()
        .is_ok());
    }

    #[test]
    fn the_broker_is_https_or_loopback() {
        for bad in ["http://conectar.ponte.app.br", "ftp://x", "nonsense"] {
            let error =
                config(&[("PONTE_DATA_DIR", "/tmp/p"), ("PONTE_BROKER_URL", bad)]).unwrap_err();
            assert!(error.to_string().contains("PONTE_BROKER_URL"), "{bad}");
        }
    }

    #[test]
    fn bad_values_are_refused_with_the_variable_named() {
        let env: HashMap<&str, &str> =
            HashMap::from([("PONTE_DATA_DIR", "/tmp/p"), ("PONTE_TOKEN_STORE", "cloud")]);
        let error = Config::from_lookup(|name| env.get(name).map(|v| v.to_string())).unwrap_err();
        assert!(error.to_string().contains("PONTE_TOKEN_STORE"));
    }

    #[test]
    fn r7_the_interval_stays_between_a_minute_and_a_day() {
        assert_eq!(interval_from_minutes(2).unwrap(), Duration::from_secs(120));
        assert_eq!(
            interval_from_minutes(1440).unwrap(),
            Duration::from_secs(86_400)
        );
        for wrong in [0, 1441, u64::MAX / 60 + 1] {
            assert_eq!(
                interval_from_minutes(wrong).unwrap_err().code,
                crate::problem::ProblemCode::BadInterval
            );
        }
    }
}
