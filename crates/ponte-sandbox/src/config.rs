use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// How a sandbox is laid out: where it listens, which apps are registered, and the limits.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub host: IpAddr,
    /// 0 picks a free port.
    pub nuvemshop_port: u16,
    pub contaazul_port: u16,
    pub control_port: u16,
    /// Ponte's loopback port: the registered redirect URLs are derived from it.
    pub redirect_port: u16,
    pub nuvemshop: NuvemshopConfig,
    pub contaazul: ContaAzulConfig,
}

/// The app registered in the (simulated) Nuvemshop Partners portal, and the store installing it.
#[derive(Clone, Debug)]
pub struct NuvemshopConfig {
    /// The app id, which is also the OAuth `client_id`.
    pub app_id: String,
    pub client_secret: String,
    /// Registered per app, as in the Partners portal: never sent as a request parameter.
    pub redirect_url: String,
    pub store_id: u64,
    pub store_name: String,
    /// Leaky bucket: this many requests in a burst…
    pub bucket_size: u32,
    /// …draining at this many requests per second.
    pub leak_per_second: f64,
    /// Authorization codes are single-use and short-lived.
    pub code_ttl: Duration,
    /// How many results one query may reach (`assumptions::NUVEMSHOP_RESULT_WINDOW`; tests
    /// shrink it to exercise narrowing without ten thousand orders).
    pub result_window: u64,
    /// Webhook URLs must be `https` and not on localhost or a Nuvemshop domain; a loopback
    /// `http` URL is accepted only with this on (a broker on 127.0.0.1 in tests).
    pub allow_loopback_webhooks: bool,
    /// The app's scopes, as registered in the Partners portal (comma-separated): every token
    /// carries them. Writing an order's `owner_note` needs `write_orders`.
    pub scopes: String,
    /// The LGPD webhooks' base URL, as set in the app's panel (`{base}/store-redact`,
    /// `/customers-redact`, `/customers-data-request`); none when the panel has none.
    pub lgpd_webhook_base: Option<String>,
}

/// The app registered in the (simulated) Conta Azul developer portal, and the company using it.
#[derive(Clone, Debug)]
pub struct ContaAzulConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Must equal the `redirect_uri` of the authorize and token requests.
    pub redirect_uri: String,
    /// The portal registers HTTPS redirects only; `http://` on a loopback host is accepted
    /// when this is on, as Cognito accepts `http://localhost` "for testing purposes only".
    /// Whether the real portal does so is UNCONFIRMED: Ponte in production never relies on it.
    pub allow_loopback_redirect: bool,
    pub company_name: String,
    /// The company's CNPJ, as `conta-conectada` answers it: what tells two companies apart.
    pub company_document: String,
    pub access_token_ttl: Duration,
    pub code_ttl: Duration,
    pub requests_per_second: u32,
    pub requests_per_minute: u32,
    /// The number the first sale gets when the company has none.
    pub first_sale_number: i64,
}

pub const DEFAULT_REDIRECT_PORT: u16 = 47800;

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig::with_redirect_port(DEFAULT_REDIRECT_PORT)
    }
}

/// Why the simulated portals would not register an app.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RegistrationError {
    #[error("Conta Azul registers one exact https redirect URL, not {0}")]
    ContaAzulRedirect(String),
    #[error("Nuvemshop's redirect URL must be an absolute http(s) URL, not {0}")]
    NuvemshopRedirect(String),
}

pub(crate) fn is_loopback_http(url: &url::Url) -> bool {
    url.scheme() == "http"
        && match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name == "localhost",
            None => false,
        }
}

impl SandboxConfig {
    /// A sandbox whose registered redirects are a broker's callbacks
    /// (`{broker_url}/callback/nuvemshop` and `/callback/contaazul`), as in production.
    pub fn with_broker(broker_url: &str) -> Self {
        let base = broker_url.trim_end_matches('/');
        let mut config = SandboxConfig::with_redirect_port(DEFAULT_REDIRECT_PORT);
        config.nuvemshop.redirect_url = format!("{base}/callback/nuvemshop");
        config.contaazul.redirect_uri = format!("{base}/callback/contaazul");
        let loopback = url::Url::parse(base)
            .map(|url| is_loopback_http(&url))
            .unwrap_or(false);
        config.contaazul.allow_loopback_redirect = loopback;
        config.nuvemshop.allow_loopback_webhooks = loopback;
        config.nuvemshop.lgpd_webhook_base = Some(format!("{base}/webhooks/nuvemshop"));
        config
    }

    /// The portals' registration rules: Conta Azul wants `https` (loopback `http` only with
    /// `allow_loopback_redirect`); Nuvemshop takes any absolute http(s) URL.
    pub fn check_registration(&self) -> Result<(), RegistrationError> {
        let contaazul = &self.contaazul.redirect_uri;
        match url::Url::parse(contaazul) {
            Ok(url) if url.scheme() == "https" => {}
            Ok(url) if is_loopback_http(&url) && self.contaazul.allow_loopback_redirect => {}
            _ => return Err(RegistrationError::ContaAzulRedirect(contaazul.clone())),
        }
        let nuvemshop = &self.nuvemshop.redirect_url;
        match url::Url::parse(nuvemshop) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
            _ => Err(RegistrationError::NuvemshopRedirect(nuvemshop.clone())),
        }
    }

    /// A sandbox on free ports whose registered redirect URLs point at Ponte's loopback
    /// listener on `redirect_port`.
    pub fn with_redirect_port(redirect_port: u16) -> Self {
        SandboxConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            nuvemshop_port: 0,
            contaazul_port: 0,
            control_port: 0,
            redirect_port,
            nuvemshop: NuvemshopConfig {
                app_id: "8132".into(),
                client_secret: "sandbox-nuvemshop-secret".into(),
                redirect_url: format!("http://127.0.0.1:{redirect_port}/callback/nuvemshop"),
                store_id: 5_120_101,
                store_name: "Loja Demonstração".into(),
                bucket_size: 40,
                leak_per_second: 2.0,
                result_window: crate::assumptions::NUVEMSHOP_RESULT_WINDOW,
                code_ttl: Duration::from_secs(300),
                allow_loopback_webhooks: false,
                scopes: "read_orders,write_orders,read_customers,read_products".into(),
                lgpd_webhook_base: None,
            },
            contaazul: ContaAzulConfig {
                client_id: "sandbox-contaazul-client".into(),
                client_secret: "sandbox-contaazul-secret".into(),
                redirect_uri: format!("http://127.0.0.1:{redirect_port}/callback/contaazul"),
                allow_loopback_redirect: true,
                company_name: "Empresa Demonstração Ltda".into(),
                company_document: "11.222.333/0001-81".into(),
                access_token_ttl: Duration::from_secs(3600),
                code_ttl: Duration::from_secs(180),
                requests_per_second: 10,
                requests_per_minute: 600,
                first_sale_number: 1,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conta_azul_registers_https_and_loopback_only_with_the_testing_flag() {
        let mut config = SandboxConfig::with_broker("https://conectar.ponte.app.br");
        assert_eq!(config.check_registration(), Ok(()));
        assert!(!config.contaazul.allow_loopback_redirect);
        config.contaazul.redirect_uri = "http://127.0.0.1:47800/callback/contaazul".into();
        assert!(matches!(
            config.check_registration(),
            Err(RegistrationError::ContaAzulRedirect(_))
        ));
        config.contaazul.allow_loopback_redirect = true;
        assert_eq!(config.check_registration(), Ok(()));
        config.contaazul.redirect_uri = "http://conectar.ponte.app.br/callback/contaazul".into();
        assert!(
            config.check_registration().is_err(),
            "plain http is never registered"
        );
        config.contaazul.redirect_uri = "ponte://callback".into();
        assert!(config.check_registration().is_err());
    }

    #[tokio::test]
    async fn a_sandbox_with_an_unregistrable_redirect_does_not_start() {
        let mut config = SandboxConfig::default();
        config.contaazul.allow_loopback_redirect = false;
        let error = crate::Sandbox::start(config).await.err().unwrap();
        assert!(error.to_string().contains("https"));
    }
}
