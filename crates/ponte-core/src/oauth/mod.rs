//! Connecting an account: the authorize page in the system browser, the loopback listener that
//! receives the code, and the code exchange.

pub mod broker;
mod loopback;
mod nuvemshop;

use rand::Rng;

pub use loopback::{serve_returns, wait_for_code};
pub use nuvemshop::exchange_code as exchange_nuvemshop_code;

use crate::config::Config;
use crate::error::{Error, Result, Service};

/// Opens a URL for the merchant.
pub trait Browser: Send + Sync {
    fn open(&self, url: &str) -> Result<()>;
}

/// The system browser, where the merchant is already logged in.
pub struct SystemBrowser;

impl Browser for SystemBrowser {
    fn open(&self, url: &str) -> Result<()> {
        open::that_detached(url)
            .map_err(|error| Error::Authorization(format!("could not open the browser: {error}")))
    }
}

/// For `--no-browser`: the URL is only printed.
pub struct NoBrowser;

impl Browser for NoBrowser {
    fn open(&self, _url: &str) -> Result<()> {
        Ok(())
    }
}

pub fn new_state() -> String {
    let mut rng = rand::thread_rng();
    (0..32)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// The authorize page. Conta Azul's `redirect_uri` goes literally and scopes are joined with
/// `+`, as its auth server expects (reference §1.1). The redirect is the broker's callback, or
/// in direct mode the loopback listener; Nuvemshop's is registered, never sent.
pub fn authorize_url(config: &Config, service: Service, state: &str) -> String {
    match service {
        Service::Nuvemshop => format!(
            "{}/apps/{}/authorize?state={state}",
            config.nuvemshop_auth_url, config.nuvemshop_client_id
        ),
        Service::Contaazul => format!(
            "{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&state={state}\
             &scope=openid+profile+aws.cognito.signin.user.admin",
            config.contaazul_auth_url,
            config.contaazul_client_id,
            config.redirect_url(Service::Contaazul),
        ),
    }
}
