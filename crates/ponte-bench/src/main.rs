//! `ponte-bench`: Ponte against the sandbox with the services' documented limits (Conta Azul
//! 10 requests/s and 600/min, Nuvemshop's bucket of 40 draining 2/s) and a latency on every
//! call, as a merchant's import would meet them. Prints each figure beside its goal (issue 12);
//! `docs/benchmarks.md` records runs.

// It reads /proc: the app beside bare Tauri is measured on Linux.
#[cfg(target_os = "linux")]
mod app_vs_bare;
#[cfg(target_os = "linux")]
mod broker_load;
mod dashboard;
mod import;
mod latency;
#[cfg(target_os = "linux")]
mod procfs;
mod world;

use clap::Parser;

#[derive(Parser)]
#[command(about = "Ponte's import against the sandbox at the real rate limits, with latency")]
pub struct Args {
    /// Paid orders waiting when the import starts (10000: the catch-up after a week away).
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
    /// Instead of a backlog: this many orders paid one by one at random moments while Ponte
    /// runs, and the time from each payment to its sale.
    #[arg(long, value_name = "ORDERS")]
    payments: Option<usize>,
    /// With `--payments`: the seconds over which they are paid (default: two check intervals).
    #[arg(long, value_name = "SECONDS")]
    over: Option<f64>,
    /// With `--payments`: through the broker, with Nuvemshop's webhooks.
    #[arg(long)]
    webhooks: bool,
    /// Instead of an import: the dashboard's queries over a ledger of this many orders (use a
    /// release build: `cargo run --release -p ponte-bench -- --dashboard 100000`).
    #[arg(long, value_name = "ORDERS")]
    dashboard: Option<u64>,
    /// Instead of an import: Ponte's desktop app (this binary) against a bare Tauri app
    /// (`--bare`), both built with the same profile; needs a display.
    #[arg(long, value_name = "PONTE_APP", requires = "bare")]
    app_vs_bare: Option<std::path::PathBuf>,
    /// With `--app-vs-bare`: the bare Tauri app's binary (`cargo build -p bare-tauri`).
    #[arg(long, value_name = "BARE_APP")]
    bare: Option<std::path::PathBuf>,
    /// With `--app-vs-bare`: orders in Ponte's ledger.
    #[arg(long, default_value_t = 100_000)]
    ledger: u64,
    /// With `--app-vs-bare`: starts of each app.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// With `--app-vs-bare`: seconds each app is watched idle.
    #[arg(long, default_value_t = 30)]
    idle_secs: u64,
    /// With `--app-vs-bare`: echo the apps' logs, with the time since each started.
    #[arg(long)]
    verbose: bool,
    /// With `--app-vs-bare`: stores open in Ponte at once (issue 26), each a profile connected,
    /// switched on and with its ledger of `--ledger` orders.
    #[arg(long, default_value_t = 1)]
    profiles: usize,
    /// With `--app-vs-bare`: Ponte as a newcomer first sees it, `--sandbox` (a build with the
    /// `sandbox` feature), each start in a fresh demo, instead of connected with a ledger.
    #[arg(long)]
    demo: bool,
    /// Instead of an import: the broker under this many stores' long polls and signed
    /// webhooks (`--rate`, `--seconds`); use a release build.
    #[arg(long, value_name = "STORES")]
    broker: Option<usize>,
    /// With `--broker`: webhooks a second.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// With `--broker`: seconds of webhooks.
    #[arg(long, default_value_t = 300)]
    seconds: u64,
    /// With `--broker`: broker processes sharing the load (Postgres only beyond one).
    #[arg(long, default_value_t = 1)]
    instances: usize,
    /// With `--broker`: the brokers' database, a `postgres://` URL (a schema of the run's is
    /// made there); SQLite otherwise.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
    /// With `--postgres`: its server's main process, whose CPU is reported too.
    #[arg(long, value_name = "PID")]
    postgres_pid: Option<u32>,
    /// The import's own process (started by the benchmark).
    #[arg(long, hide = true)]
    import_child: bool,
    /// The broker's own process (started by `--broker`).
    #[arg(long, hide = true)]
    broker_child: bool,
}

impl Args {
    /// The orders the store will see in this run.
    fn orders_in_run(&self) -> usize {
        self.payments.unwrap_or(self.orders)
    }
}

/// p50 and p95 of a sample.
fn percentiles(mut values: Vec<f64>) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.import_child {
        return import::child().await;
    }
    #[cfg(target_os = "linux")]
    if args.broker_child {
        return broker_load::child().await;
    }
    if let Some(installations) = args.broker {
        #[cfg(target_os = "linux")]
        {
            if args.instances > 1 && args.postgres.is_none() {
                anyhow::bail!("--instances beyond one needs --postgres: SQLite is one instance's");
            }
            let load = broker_load::Load {
                installations,
                rate: args.rate,
                seconds: args.seconds,
                instances: args.instances,
                postgres: args.postgres.clone(),
                postgres_pid: args.postgres_pid,
            };
            let figures = broker_load::run(load.clone()).await?;
            return broker_load::report(&load, &figures);
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = installations;
            anyhow::bail!("--broker reads /proc: it measures on Linux only");
        }
    }
    if let Some(orders) = args.dashboard {
        return dashboard::run(orders);
    }
    if let (Some(app), Some(bare)) = (&args.app_vs_bare, &args.bare) {
        #[cfg(target_os = "linux")]
        return app_vs_bare::run(&args, app, bare).await;
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (app, bare);
            anyhow::bail!("--app-vs-bare reads /proc: it measures on Linux only");
        }
    }
    if let Some(orders) = args.payments {
        return latency::run(&args, orders).await;
    }
    import::run(&args).await
}
