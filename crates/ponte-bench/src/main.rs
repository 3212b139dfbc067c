//! `ponte-bench`: Ponte against the sandbox with the services' documented limits (Conta Azul
//! 10 requests/s and 600/min, Nuvemshop's bucket of 40 draining 2/s) and a latency on every
//! call, as a new merchant's first import would meet them. Prints each figure beside its goal
//! (issue 12); `docs/benchmarks.md` records runs.

use std::collections::BTreeSet;
use std::time::Instant;

use clap::Parser;
use ponte_core::config::{Config, TokenStoreKind};
use ponte_core::error::Service;
use ponte_core::oauth::Browser;
use ponte_core::time::Clock;
use ponte_core::App;
use ponte_sandbox::contaazul::NewProduto;
use ponte_sandbox::nuvemshop::{NewCustomer, NewLine, NewOrder, PaymentStatus};
use ponte_sandbox::{Control, Fault, FaultRule, Sandbox, SandboxConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

#[derive(Parser)]
#[command(about = "Ponte's import against the sandbox at the real rate limits, with latency")]
struct Args {
    /// Paid orders waiting when the import starts.
    #[arg(long, default_value_t = 1000)]
    orders: usize,
    /// Latency added to every call to both services, in milliseconds.
    #[arg(long, default_value_t = 150)]
    latency_ms: u64,
    /// Share of orders from a customer who bought before.
    #[arg(long, default_value_t = 0.6)]
    returning: f64,
    /// Products in the store's catalogue.
    #[arg(long, default_value_t = 200)]
    catalogue: usize,
    /// Share of the catalogue already registered in Conta Azul.
    #[arg(long, default_value_t = 0.15)]
    existing: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Instead of an import: the dashboard's queries over a ledger of this many orders (use a
    /// release build: `cargo run --release -p ponte-bench -- --dashboard 100000`).
    #[arg(long, value_name = "ORDERS")]
    dashboard: Option<u64>,
}

/// Clicks *Instalar* / *Autorizar* and follows the redirect, as the merchant's browser would.
struct Merchant(Control);

impl Browser for Merchant {
    fn open(&self, url: &str) -> ponte_core::error::Result<()> {
        let landing = self.0.consent(url).expect("a sandbox consent page");
        tokio::spawn(async move {
            let _ = get(&landing).await;
        });
        Ok(())
    }
}

async fn get(url: &str) -> std::io::Result<()> {
    // A bare HTTP GET on the loopback listener: enough to deliver the code.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let parsed: Vec<&str> = url.trim_start_matches("http://").splitn(2, '/').collect();
    let mut stream = tokio::net::TcpStream::connect(parsed[0]).await?;
    let request = format!(
        "GET /{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        parsed[1], parsed[0]
    );
    stream.write_all(request.as_bytes()).await?;
    let mut sink = Vec::new();
    stream.read_to_end(&mut sink).await?;
    Ok(())
}

/// A valid CPF, from the well-kept crate rather than by hand.
fn cpf(rng: &mut StdRng) -> String {
    let cpf: cpf::Cpf = rng.gen();
    cpf.digits().iter().map(|d| char::from(b'0' + d)).collect()
}

/// p50 and p95 of `runs` timings of `query`, in milliseconds.
fn timed(runs: usize, mut query: impl FnMut() -> usize) -> (f64, f64, usize) {
    let mut found = 0;
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            found = query();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95), found)
}

/// The dashboard's queries (issue 12, item 6): first page, a deep page, a search, counters.
fn dashboard(orders: u64) -> anyhow::Result<()> {
    use ponte_core::store::{OrderFilter, OrderState, Seen, SeenState, Store};
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("ponte.sqlite3"))?;
    let now = ponte_core::time::SystemClock.now();
    let seen: Vec<Seen> = (0..orders)
        .map(|n| Seen {
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
            created_at: Some(now - chrono::Duration::seconds(n as i64)),
            paid_at: None,
            payload: "{}".into(),
        })
        .collect();
    store.record_seen(&seen, Some(now), now)?;
    let queued = OrderFilter {
        state: Some(OrderState::Queued),
        search: None,
    };
    let search = OrderFilter {
        state: None,
        search: Some("cliente 4999".into()),
    };
    // A page nine tenths of the way down the list.
    let deep = (store.count_matching(&queued)? as u32) / 10 * 9 / 25 * 25;
    println!("Dashboard over {orders} orders (p50 / p95 of 50 runs; goal p95 < 20 ms)");
    let report = |what: &str, (p50, p95, found): (f64, f64, usize)| {
        let verdict = if p95 < 20.0 { "ok" } else { "over" };
        println!("  {what:<28} {p50:>7.2} ms {p95:>7.2} ms  {verdict}  ({found})");
    };
    report(
        "first page + count",
        timed(50, || {
            store.list(&queued, 25, 0).map(|p| p.len()).unwrap_or(0)
                + store.count_matching(&queued).unwrap_or(0) as usize
        }),
    );
    report(
        "deep page",
        timed(50, || {
            store.list(&queued, 25, deep).map(|p| p.len()).unwrap_or(0)
        }),
    );
    report(
        "search + count",
        timed(50, || {
            store.list(&search, 25, 0).map(|p| p.len()).unwrap_or(0)
                + store.count_matching(&search).unwrap_or(0) as usize
        }),
    );
    report(
        "counters",
        timed(50, || {
            store.counts().map(|c| c.failed as usize).unwrap_or(0)
        }),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(orders) = args.dashboard {
        return dashboard(orders);
    }
    let mut rng = StdRng::seed_from_u64(args.seed);
    let redirect = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let sandbox = Sandbox::start(SandboxConfig::with_redirect_port(redirect)).await?;
    let control = sandbox.control();
    control.add_seller("Ana Souza");

    let data = tempfile::tempdir()?;
    let env: Vec<(String, String)> = sandbox.env_lines();
    let mut config = Config::from_lookup(|name| {
        if name == "PONTE_DATA_DIR" {
            return Some(data.path().display().to_string());
        }
        env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })?;
    config.token_store = TokenStoreKind::File;
    let app = App::open(config)?;
    let merchant = Merchant(control.clone());
    app.connect(Service::Nuvemshop, &merchant, |_| {}).await?;
    app.connect(Service::Contaazul, &merchant, |_| {}).await?;
    // Activated first: the orders below are paid after the activation date (R3), as the
    // backlog of a merchant whose computer was off.
    app.enable(None).await?;

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
            valor_venda: price.parse()?,
            saldo: rust_decimal::Decimal::from(1000),
            ativo: None,
        });
    }
    let distinct_customers = ((args.orders as f64) * (1.0 - args.returning))
        .ceil()
        .max(1.0) as usize;
    let customers: Vec<(String, String)> = (0..distinct_customers)
        .map(|i| (format!("Cliente {i:05} Teste"), cpf(&mut rng)))
        .collect();
    let mut used_products = BTreeSet::new();
    let mut used_customers = BTreeSet::new();
    for i in 0..args.orders {
        // Every customer buys once first; then the returning orders pick among them.
        let customer = if i < distinct_customers {
            i
        } else {
            rng.gen_range(0..distinct_customers)
        };
        used_customers.insert(customer);
        let lines: Vec<NewLine> = (0..rng.gen_range(1..=3))
            .map(|_| {
                let p = rng.gen_range(0..args.catalogue);
                used_products.insert(p);
                NewLine {
                    name: catalogue[p].0.clone(),
                    price: catalogue[p].1.parse().unwrap(),
                    quantity: rng.gen_range(1..=2),
                    sku: None,
                    variant_values: vec![],
                }
            })
            .collect();
        control.create_order(NewOrder {
            customer: NewCustomer {
                name: customers[customer].0.clone(),
                email: format!("cliente{customer}@exemplo.com.br"),
                identification: Some(customers[customer].1.clone()),
                phone: None,
                billing_phone: None,
            },
            products: lines,
            payment_status: Some(PaymentStatus::Paid),
            ..NewOrder::default()
        });
    }

    for service in [
        ponte_sandbox::Service::Contaazul,
        ponte_sandbox::Service::Nuvemshop,
    ] {
        control.add_fault(FaultRule::new(
            service,
            Fault::Latency {
                millis: args.latency_ms,
            },
        ));
    }
    control.reset_calls();
    let started = Instant::now();
    let mut passes = 0;
    loop {
        passes += 1;
        app.sync_once().await?;
        let counts = app.status()?.counts;
        if counts.queued + counts.importing == 0 || passes > 50 {
            break;
        }
    }
    let elapsed = started.elapsed();
    let counts = app.status()?.counts;
    let calls = control.calls();

    let imported = counts.imported as f64;
    let per_minute = imported / elapsed.as_secs_f64() * 60.0;
    let contaazul_calls = calls.total(ponte_sandbox::Service::Contaazul) as f64;
    // The fewest Conta Azul calls this import needs: a sale per order, a lookup or creation per
    // distinct customer and product, and one next-number read.
    let fewest = imported + used_customers.len() as f64 + used_products.len() as f64 + 1.0;
    let fewest_per_order = fewest / imported.max(1.0);
    let bound_per_minute = 600.0 / fewest_per_order;
    println!("Ponte benchmark — {} orders, {} ms per call, {:.0}% returning customers, catalogue {} ({} in Conta Azul)",
        args.orders, args.latency_ms, args.returning * 100.0, args.catalogue, existing);
    println!(
        "imported {} · failed {} · passes {} · {:.1} s",
        counts.imported,
        counts.failed,
        passes,
        elapsed.as_secs_f64()
    );
    println!("throughput           {per_minute:>8.1} orders/min   bound {bound_per_minute:.1}   ratio {:.2}   goal ≥ 0.90", per_minute / bound_per_minute);
    println!("Conta Azul calls     {:>8.2} per order    fewest {fewest_per_order:.2}   ratio {:.2}   goal ≤ 1.10", contaazul_calls / imported.max(1.0), contaazul_calls / fewest);
    println!("Conta Azul calls by endpoint:");
    for (endpoint, count) in &calls.contaazul {
        println!(
            "  {endpoint:<40} {count:>7}  ({:.2} per order)",
            *count as f64 / imported.max(1.0)
        );
    }
    println!(
        "Nuvemshop calls: {}",
        calls.total(ponte_sandbox::Service::Nuvemshop)
    );
    if counts.imported as usize != args.orders {
        anyhow::bail!("{} of {} orders imported", counts.imported, args.orders);
    }
    sandbox.shutdown().await;
    Ok(())
}
