//! The import of a backlog: throughput against the rate-limit bound, Conta Azul calls per
//! order, and (with `--orders 10000`) the catch-up after a week away. Ponte runs in a process
//! of its own, as the merchant's app does, so that its peak memory is measured without the
//! simulators'.

use std::time::Instant;

use ponte_core::App;
use ponte_sandbox::{Sandbox, SandboxConfig};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::world::{self, Shop};
use crate::Args;

/// Passes a backlog may take before the run is declared stuck.
const MAX_PASSES: usize = 50;

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(args.seed);
    let redirect = ponte_sandbox::free_loopback_port();
    let sandbox = Sandbox::start(SandboxConfig::with_redirect_port(redirect)).await?;
    let control = sandbox.control();
    let data = tempfile::tempdir()?;
    let env = world::environment(&sandbox.env_lines(), data.path());
    let mut shop = Shop::open(args, &control, &mut rng);
    // Connected, activated and closed: the orders below wait for it, as after a week away.
    drop(world::connected_app(&env, &control).await?);
    for _ in 0..args.orders {
        shop.paid_order(&control, &mut rng);
    }
    world::add_latency(&control, args.latency_ms);
    control.reset_calls();

    let started = Instant::now();
    let output = tokio::process::Command::new(std::env::current_exe()?)
        .arg("--import-child")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .await?;
    let elapsed = started.elapsed();
    anyhow::ensure!(
        output.status.success(),
        "the import ended with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8_lossy(&output.stdout).to_string();
    let passes = report
        .lines()
        .find(|l| l.starts_with("passes"))
        .unwrap_or("passes ?")
        .to_string();
    let peak = report
        .lines()
        .find_map(|l| l.strip_prefix("peak_kib "))
        .and_then(|kib| kib.trim().parse::<f64>().ok())
        .map(|kib| kib / 1024.0);

    let app = App::open(world::config(&env)?)?;
    let counts = app.status()?.counts;
    let calls = control.calls();
    let imported = counts.imported as f64;
    let per_minute = imported / elapsed.as_secs_f64() * 60.0;
    let contaazul_calls = calls.total(ponte_sandbox::Service::Contaazul) as f64;
    // The fewest Conta Azul calls this import needs: a sale per order, a lookup or creation per
    // distinct customer and product, and one next-number read.
    let fewest =
        imported + shop.used_customers.len() as f64 + shop.used_products.len() as f64 + 1.0;
    let fewest_per_order = fewest / imported.max(1.0);
    let bound_per_minute = 600.0 / fewest_per_order;
    println!(
        "Ponte benchmark — {} orders, {} ms per call, {:.0}% returning customers, catalogue {} ({} in Conta Azul)",
        args.orders,
        args.latency_ms,
        args.returning * 100.0,
        args.catalogue,
        shop.existing
    );
    println!(
        "imported {} · failed {} · {passes} · {:.1} s",
        counts.imported,
        counts.failed,
        elapsed.as_secs_f64()
    );
    println!(
        "throughput           {per_minute:>8.1} orders/min   bound {bound_per_minute:.1}   ratio {:.2}   goal ≥ 0.90",
        per_minute / bound_per_minute
    );
    println!(
        "Conta Azul calls     {:>8.2} per order    fewest {fewest_per_order:.2}   ratio {:.2}   goal ≤ 1.10",
        contaazul_calls / imported.max(1.0),
        contaazul_calls / fewest
    );
    match peak {
        Some(mib) => {
            println!("peak memory          {mib:>8.1} MiB (Ponte's process)   goal < 100 MB")
        }
        None => println!("peak memory          not measured on this system"),
    }
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
    // Exactly once: one sale per order, whatever was retried.
    anyhow::ensure!(
        control.sales().len() == args.orders,
        "{} sales for {} orders",
        control.sales().len(),
        args.orders
    );
    sandbox.shutdown().await;
    Ok(())
}

/// The child: Ponte as the app runs it, passes until the queue is empty.
pub async fn child() -> anyhow::Result<()> {
    let env: Vec<(String, String)> = std::env::vars().collect();
    let app = App::open(world::config(&env)?)?;
    let mut passes = 0;
    loop {
        passes += 1;
        app.sync_once().await?;
        let counts = app.status()?.counts;
        if counts.queued + counts.importing == 0 || passes >= MAX_PASSES {
            break;
        }
    }
    println!("passes {passes}");
    if let Some(kib) = peak_memory_kib() {
        println!("peak_kib {kib}");
    }
    Ok(())
}

/// This process's largest resident set, in KiB: the high-water mark of its own memory map
/// (`VmHWM`). Not `getrusage`, whose figure survives `exec` and so may be the launcher's
/// (`cargo run`'s) rather than Ponte's.
fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
