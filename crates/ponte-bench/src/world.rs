//! The merchant's world for a run: a store with a catalogue and customers, Ponte connected to
//! the sandbox as the merchant connects it, and the orders waiting.

use std::collections::BTreeSet;
use std::path::Path;

use ponte_broker::sandboxed::LandingPage;
use ponte_core::config::{Config, TokenStoreKind};
use ponte_core::error::Service;
use ponte_core::oauth::Browser;
use ponte_core::App;
use ponte_sandbox::contaazul::NewProduto;
use ponte_sandbox::nuvemshop::{NewCustomer, NewLine, NewOrder, PaymentStatus};
use ponte_sandbox::{Control, Fault, FaultRule};
use rand::rngs::StdRng;
use rand::Rng;

use crate::Args;

/// Clicks *Instalar* / *Autorizar* and follows the redirect, as the merchant's browser would:
/// straight to Ponte's listener (direct mode), or to the broker's page and, as its script
/// does, back to Ponte's listener with the return code.
/// The merchant of the simulated store, or of another of theirs (`Some(store id)`).
struct Merchant(Control, Option<u64>);

impl Browser for Merchant {
    fn open(&self, url: &str) -> ponte_core::error::Result<()> {
        let landing = self
            .0
            .consent_in_store(url, self.1)
            .expect("a sandbox consent page");
        tokio::spawn(async move {
            if let Ok(page) = LandingPage::load(&landing).await {
                if page.way_back().is_some() {
                    let _ = page.go_back().await;
                }
            }
        });
        Ok(())
    }
}

/// A valid CPF, from the well-kept crate rather than by hand.
fn cpf(rng: &mut StdRng) -> String {
    let cpf: cpf::Cpf = rng.gen();
    cpf.digits().iter().map(|d| char::from(b'0' + d)).collect()
}

/// Ponte's environment for the sandbox at `env`, with its data in `data`.
pub fn environment(env: &[(String, String)], data: &Path) -> Vec<(String, String)> {
    env.iter()
        .cloned()
        .chain([
            ("PONTE_DATA_DIR".into(), data.display().to_string()),
            ("PONTE_TOKEN_STORE".into(), "file".into()),
        ])
        .collect()
}

pub fn config(env: &[(String, String)]) -> anyhow::Result<Config> {
    let mut config =
        Config::from_lookup(|name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))?;
    config.token_store = TokenStoreKind::File;
    Ok(config)
}

/// Ponte connected to both services and activated: what follows is paid after the
/// activation date (R3).
pub async fn connected_app(env: &[(String, String)], control: &Control) -> anyhow::Result<App> {
    connected_app_in(env, control, None).await
}

/// [`connected_app`] for another of the merchant's stores (`store`), into the same company.
pub async fn connected_app_in(
    env: &[(String, String)],
    control: &Control,
    store: Option<u64>,
) -> anyhow::Result<App> {
    // One seller, whoever connects (another profile of the same run finds her there).
    if control.sellers().is_empty() {
        control.add_seller("Ana Souza");
    }
    let app = App::open(config(env)?)?;
    let merchant = Merchant(control.clone(), store);
    app.connect(Service::Nuvemshop, &merchant, |_| {}).await?;
    app.connect(Service::Contaazul, &merchant, |_| {}).await?;
    app.enable(None).await?;
    Ok(app)
}

/// The store: a catalogue of which a share already exists in Conta Azul, and customers of
/// whom a share buys again.
pub struct Shop {
    catalogue: Vec<(String, String)>,
    customers: Vec<(String, String)>,
    /// Products of the catalogue already registered in Conta Azul.
    pub existing: usize,
    pub used_products: BTreeSet<usize>,
    pub used_customers: BTreeSet<usize>,
    created: usize,
}

impl Shop {
    pub fn open(args: &Args, control: &Control, rng: &mut StdRng) -> Shop {
        let catalogue: Vec<(String, String)> = (0..args.catalogue)
            .map(|i| {
                (
                    format!("Produto {i:03} da loja"),
                    format!("{}.90", 19 + i % 80),
                )
            })
            .collect();
        let existing = (args.catalogue as f64 * args.existing).round() as usize;
        for (name, price) in catalogue.iter().take(existing) {
            control.add_product(NewProduto {
                nome: name.clone(),
                codigo_sku: None,
                valor_venda: price.parse().unwrap_or_default(),
                saldo: rust_decimal::Decimal::from(1000),
                ativo: None,
            });
        }
        let orders = args.orders_in_run();
        let distinct = ((orders as f64) * (1.0 - args.returning)).ceil().max(1.0) as usize;
        let customers = (0..distinct)
            .map(|i| (format!("Cliente {i:05} Teste"), cpf(rng)))
            .collect();
        Shop {
            catalogue,
            customers,
            existing,
            used_products: BTreeSet::new(),
            used_customers: BTreeSet::new(),
            created: 0,
        }
    }

    /// A paid order: every customer buys once first, then the returning orders pick among
    /// them; one to three lines from the catalogue.
    pub fn paid_order(&mut self, control: &Control, rng: &mut StdRng) -> u64 {
        let customer = if self.created < self.customers.len() {
            self.created
        } else {
            rng.gen_range(0..self.customers.len())
        };
        self.created += 1;
        self.used_customers.insert(customer);
        let lines: Vec<NewLine> = (0..rng.gen_range(1..=3))
            .map(|_| {
                let p = rng.gen_range(0..self.catalogue.len());
                self.used_products.insert(p);
                NewLine {
                    name: self.catalogue[p].0.clone(),
                    price: self.catalogue[p].1.parse().unwrap_or_default(),
                    quantity: rng.gen_range(1..=2),
                    sku: None,
                    variant_values: vec![],
                }
            })
            .collect();
        control
            .create_order(NewOrder {
                customer: NewCustomer {
                    name: self.customers[customer].0.clone(),
                    email: format!("cliente{customer}@exemplo.com.br"),
                    identification: Some(self.customers[customer].1.clone()),
                    phone: None,
                    billing_phone: None,
                },
                products: lines,
                payment_status: Some(PaymentStatus::Paid),
                ..NewOrder::default()
            })
            .number
    }
}

/// A ledger of `orders` as after long use: 98 % queued, 2 % failed, 5,000 distinct customers,
/// one order a minute back from now; recorded in chunks, so a large one is never held whole.
pub fn seed_ledger(store: &ponte_core::store::Store, orders: u64) -> anyhow::Result<()> {
    use ponte_core::store::{Seen, SeenState};
    use ponte_core::time::Clock;
    let now = ponte_core::time::SystemClock.now();
    let mut next = 0;
    while next < orders {
        let chunk: Vec<Seen> = (next..orders.min(next + 10_000))
            .map(|n| {
                let at = now - chrono::Duration::minutes((orders - n) as i64);
                Seen {
                    order_id: 1_000_000 + n,
                    number: 100 + n,
                    state: if n % 50 == 0 {
                        SeenState::Failed(ponte_core::Problem::of(
                            ponte_core::problem::ProblemCode::StockValidation,
                        ))
                    } else {
                        SeenState::Queued
                    },
                    customer_name: Some(format!("Cliente {}", n % 5000)),
                    total: Some("99.90".into()),
                    created_at: Some(at),
                    paid_at: Some(at),
                    payload: "{}".into(),
                }
            })
            .collect();
        store.record_seen(&chunk, Some(now), now)?;
        next += chunk.len() as u64;
    }
    Ok(())
}

/// Every call to both services answers `millis` later, as over a real network.
pub fn add_latency(control: &Control, millis: u64) {
    for service in [
        ponte_sandbox::Service::Contaazul,
        ponte_sandbox::Service::Nuvemshop,
    ] {
        control.add_fault(FaultRule::new(service, Fault::Latency { millis }));
    }
}

/// How many sales carry this order's note.
pub fn sales_for(control: &Control, order_number: u64) -> usize {
    let note = format!("Pedido Nuvemshop #{order_number}");
    control
        .sales()
        .iter()
        .filter(|s| s.observacoes.as_deref() == Some(note.as_str()))
        .count()
}
