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
}

/// The app registered in the (simulated) Conta Azul developer portal, and the company using it.
#[derive(Clone, Debug)]
pub struct ContaAzulConfig {
    pub client_id: String,
    pub client_secret: String,
    /// Must equal the `redirect_uri` of the authorize and token requests.
    pub redirect_uri: String,
    pub company_name: String,
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

impl SandboxConfig {
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
            },
            contaazul: ContaAzulConfig {
                client_id: "sandbox-contaazul-client".into(),
                client_secret: "sandbox-contaazul-secret".into(),
                redirect_uri: format!("http://127.0.0.1:{redirect_port}/callback/contaazul"),
                company_name: "Empresa Demonstração Ltda".into(),
                access_token_ttl: Duration::from_secs(3600),
                code_ttl: Duration::from_secs(180),
                requests_per_second: 10,
                requests_per_minute: 600,
                first_sale_number: 1,
            },
        }
    }
}
