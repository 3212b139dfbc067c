//! A sandbox, a data directory and an App pointed at them; and a "browser" that clicks
//! *Instalar* / *Autorizar* on the consent pages the way a merchant would.

#![allow(dead_code)]

use ponte_core::config::{Config, Pacing, TokenStoreKind};
use ponte_core::error::{Result, Service};
use ponte_core::oauth::Browser;
use ponte_core::time::Clock;
use ponte_core::App;
use ponte_sandbox::contaazul::{NewPessoa, NewProduto};
use ponte_sandbox::nuvemshop::{NewCustomer, NewLine, NewOrder, PaymentStatus};
use ponte_sandbox::{Control, Sandbox, SandboxConfig};
use rust_decimal::Decimal;
use tempfile::TempDir;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ponte_broker::sandboxed::{LandingPage, SandboxWithBroker};

pub struct World {
    pub sandbox: Sandbox,
    pub dir: TempDir,
    pub config: Config,
}

fn free_port() -> u16 {
    ponte_sandbox::free_loopback_port()
}

pub async fn world() -> World {
    world_with(|_| {}).await
}

/// A sandbox whose Conta Azul limits are generous, so that tests about something else run
/// fast; tests about limits set their own.
pub async fn world_with(adjust: impl FnOnce(&mut SandboxConfig)) -> World {
    let port = free_port();
    let mut sandbox_config = SandboxConfig::with_redirect_port(port);
    sandbox_config.contaazul.requests_per_second = 200;
    sandbox_config.contaazul.requests_per_minute = 100_000;
    sandbox_config.nuvemshop.bucket_size = 200;
    sandbox_config.nuvemshop.leak_per_second = 50.0;
    adjust(&mut sandbox_config);
    let sandbox = Sandbox::start(sandbox_config).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> = sandbox
        .env_lines()
        .into_iter()
        .chain([
            ("PONTE_DATA_DIR".into(), dir.path().display().to_string()),
            ("PONTE_TOKEN_STORE".into(), "file".into()),
        ])
        .collect();
    let mut config =
        Config::from_lookup(|name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .unwrap();
    assert_eq!(config.token_store, TokenStoreKind::File);
    config.authorization_timeout = std::time::Duration::from_secs(10);
    config.pacing = Pacing {
        nuvemshop_burst: 200,
        nuvemshop_per_second: 50,
        contaazul_per_second: 150,
        contaazul_per_minute: 90_000,
    };
    World {
        sandbox,
        dir,
        config,
    }
}

/// What a browser does while Ponte waits for it, on threads of their own: joined when the
/// browser goes, so that an assertion that fails there fails the test that used it.
#[derive(Default)]
pub struct BrowserTasks(std::sync::Mutex<Vec<std::thread::JoinHandle<()>>>);

impl BrowserTasks {
    pub fn spawn<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        let handle = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(task)
        });
        self.0.lock().unwrap().push(handle);
    }
}

impl Drop for BrowserTasks {
    fn drop(&mut self) {
        for handle in self.0.lock().unwrap().drain(..) {
            let outcome = handle.join();
            if outcome.is_err() && !std::thread::panicking() {
                panic!("the browser's side of the connect failed (its message is above)");
            }
        }
    }
}

/// Plays the merchant in the browser: consents on the sandbox's page, and the browser follows
/// the redirect to Ponte's loopback listener.
pub struct ConsentingBrowser {
    control: Control,
    tasks: BrowserTasks,
}

impl ConsentingBrowser {
    pub fn new(control: Control) -> ConsentingBrowser {
        ConsentingBrowser {
            control,
            tasks: BrowserTasks::default(),
        }
    }
}

impl Browser for ConsentingBrowser {
    fn open(&self, url: &str) -> Result<()> {
        let redirect = self
            .control
            .consent(url)
            .expect("a sandbox authorization page");
        self.tasks.spawn(async move {
            ponte_core::http::install_tls_provider();
            let landing = reqwest::get(redirect).await.unwrap();
            assert_eq!(landing.status(), 200);
        });
        Ok(())
    }
}

impl World {
    pub fn control(&self) -> Control {
        self.sandbox.control()
    }

    pub fn app(&self) -> App {
        App::open(self.config.clone()).unwrap()
    }

    pub fn app_with_clock(&self, clock: std::sync::Arc<ManualClock>) -> App {
        App::open_with_clock(self.config.clone(), clock).unwrap()
    }

    pub async fn connect(&self, app: &App) {
        let browser = ConsentingBrowser::new(self.control());
        app.connect(Service::Nuvemshop, &browser, |_| {})
            .await
            .unwrap();
        app.connect(Service::Contaazul, &browser, |_| {})
            .await
            .unwrap();
    }

    /// Both accounts connected, one seller, the integration on.
    pub async fn ready_app(&self) -> App {
        self.ready(self.app()).await
    }

    /// [`World::ready_app`] on a clock the test moves.
    pub async fn ready_app_with_clock(&self, clock: std::sync::Arc<ManualClock>) -> App {
        self.ready(self.app_with_clock(clock)).await
    }

    async fn ready(&self, app: App) -> App {
        if self.control().sellers().is_empty() {
            self.control().add_seller("Ana Souza");
        }
        self.connect(&app).await;
        app.enable(None).await.unwrap();
        app
    }
}

/// A clock the test moves by hand, starting at the real now: the sandbox keeps real time, so
/// orders it creates still fall after the activation date.
pub struct ManualClock(std::sync::Mutex<chrono::DateTime<chrono::Utc>>);

impl ManualClock {
    pub fn new() -> std::sync::Arc<ManualClock> {
        std::sync::Arc::new(ManualClock(std::sync::Mutex::new(
            ponte_core::time::SystemClock.now(),
        )))
    }

    pub fn advance(&self, by: chrono::Duration) {
        *self.0.lock().unwrap() += by;
    }
}

impl ponte_core::time::Clock for ManualClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        // Never behind the real clock: the sandbox stamps orders with real time.
        (*self.0.lock().unwrap()).max(ponte_core::time::SystemClock.now())
    }
}

pub fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

pub fn buyer(name: &str, document: &str) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        email: format!("{}@exemplo.com.br", name.to_lowercase().replace(' ', ".")),
        identification: Some(document.into()),
        phone: Some("+5511987654321".into()),
        billing_phone: Some("+551133334444".into()),
    }
}

pub fn line(name: &str, price: &str, quantity: i64) -> NewLine {
    NewLine {
        name: name.into(),
        price: d(price),
        quantity,
        sku: None,
        variant_values: vec![],
    }
}

pub fn paid(customer: NewCustomer, products: Vec<NewLine>) -> NewOrder {
    NewOrder {
        customer,
        products,
        payment_status: Some(PaymentStatus::Paid),
        ..NewOrder::default()
    }
}

pub fn product(nome: &str, saldo: &str) -> NewProduto {
    NewProduto {
        nome: nome.into(),
        codigo_sku: None,
        valor_venda: d("10"),
        saldo: d(saldo),
        ativo: None,
    }
}

pub fn pessoa(nome: &str, documento: &str) -> NewPessoa {
    NewPessoa {
        nome: nome.into(),
        documento: Some(documento.into()),
        ..NewPessoa::default()
    }
}

pub const CPF_MARIA: &str = "529.982.247-25";
pub const CPF_JOAO: &str = "111.444.777-35";
pub const CNPJ_AURORA: &str = "11.222.333/0001-81";

/// How many sales Conta Azul holds for the Nuvemshop order number.
/// The sale that carries this order's note.
pub fn sale_of(control: &Control, number: u64) -> ponte_sandbox::contaazul::model::Venda {
    let note = format!("Pedido Nuvemshop #{number}");
    control
        .sales()
        .into_iter()
        .find(|s| s.observacoes.as_deref() == Some(note.as_str()))
        .unwrap_or_else(|| panic!("no sale for order #{number}"))
}

pub fn sales_for(control: &Control, number: u64) -> usize {
    let note = format!("Pedido Nuvemshop #{number}");
    control
        .sales()
        .iter()
        .filter(|s| s.observacoes.as_deref() == Some(note.as_str()))
        .count()
}

/// The simplest paid order: one *Caneca* at R$ 10,00 for this buyer.
pub fn caneca_for(
    control: &Control,
    name: &str,
    document: &str,
) -> ponte_sandbox::nuvemshop::model::Order {
    control.create_order(paid(buyer(name, document), vec![line("Caneca", "10", 1)]))
}

// ---- Through the broker (issue 9) ----

pub struct BrokerWorld {
    pub both: SandboxWithBroker,
    pub _dir: tempfile::TempDir,
    pub config: Config,
}

pub async fn broker_world() -> BrokerWorld {
    let both = SandboxWithBroker::start(|sandbox| {
        sandbox.contaazul.requests_per_second = 200;
        sandbox.contaazul.requests_per_minute = 100_000;
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> = both
        .env_lines()
        .into_iter()
        .chain([
            ("PONTE_DATA_DIR".into(), dir.path().display().to_string()),
            ("PONTE_TOKEN_STORE".into(), "file".into()),
        ])
        .collect();
    let mut config =
        Config::from_lookup(|name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
            .unwrap();
    config.authorization_timeout = std::time::Duration::from_secs(15);
    BrokerWorld {
        both,
        _dir: dir,
        config,
    }
}

/// The merchant consents; the browser lands on the broker's page and, when `follows_script`,
/// runs its navigation back to Ponte's loopback listener (records that it did). The code the
/// page shows is kept, for a merchant who types it.
pub struct BrokerBrowser {
    pub control: Control,
    pub follows_script: bool,
    pub returned: Arc<AtomicBool>,
    pub shown_code: Arc<std::sync::Mutex<Option<String>>>,
    pub shown_link: Arc<std::sync::Mutex<Option<String>>>,
    pub tasks: BrowserTasks,
}

impl BrokerBrowser {
    /// The `ponte://` link the broker's page offered, once it has.
    pub async fn link(&self) -> String {
        for _ in 0..100 {
            if let Some(link) = self.shown_link.lock().unwrap().clone() {
                return link;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the broker's page never offered a link");
    }

    /// The code the broker's page showed, once it has.
    pub async fn code(&self) -> String {
        for _ in 0..100 {
            if let Some(code) = self.shown_code.lock().unwrap().clone() {
                return code;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the broker's page never showed a code");
    }
}

impl Browser for BrokerBrowser {
    fn open(&self, url: &str) -> Result<()> {
        let landing = self
            .control
            .consent(url)
            .expect("a sandbox authorization page");
        let follows_script = self.follows_script;
        let returned = self.returned.clone();
        let shown_code = self.shown_code.clone();
        let shown_link = self.shown_link.clone();
        self.tasks.spawn(async move {
            let page = LandingPage::load(&landing).await.unwrap();
            assert!(
                page.html.contains("Pronto, volte ao Ponte"),
                "{}",
                page.html
            );
            *shown_code.lock().unwrap() = page.code();
            *shown_link.lock().unwrap() = page.app_link();
            if follows_script {
                assert!(page.way_back().unwrap().starts_with("http://127.0.0.1:"));
                assert_eq!(page.go_back().await.unwrap(), 200);
                returned.store(true, Ordering::SeqCst);
            }
        });
        Ok(())
    }
}

pub fn browser(world: &BrokerWorld, follows_script: bool) -> BrokerBrowser {
    BrokerBrowser {
        control: world.both.sandbox.control(),
        follows_script,
        returned: Arc::new(AtomicBool::new(false)),
        shown_code: Arc::default(),
        shown_link: Arc::default(),
        tasks: BrowserTasks::default(),
    }
}
