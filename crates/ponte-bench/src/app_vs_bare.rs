//! Ponte's app against a bare Tauri app (issue 12, item 7): start to the page loaded, memory
//! of all their processes (the WebView's included), idle CPU with the integration on, binary
//! size. Ponte runs as a merchant's does: through the broker, connected, switched on, with a
//! large ledger. Linux only (it reads /proc), under a display (Xvfb in CI).

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use ponte_broker::sandboxed::SandboxWithBroker;
use ponte_core::store::Store;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::procfs::{cpu_ticks, pss_by_mapping, pss_kib, ticks_per_second, tree, tree_pss_kib};
use crate::world;
use crate::Args;

/// What both apps write when their page has loaded (Ponte logs it; the bare app prints it).
const PAGE_LOADED: &str = "page loaded";
/// Time for the start's work (the first pass, the WebView's own) to settle before idling.
const SETTLE: Duration = Duration::from_secs(5);

struct Sample {
    start: Duration,
    memory_mib: f64,
    cpu_percent: f64,
}

pub async fn run(args: &Args, app: &Path, bare: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        cfg!(target_os = "linux"),
        "--app-vs-bare reads /proc: Linux only"
    );
    anyhow::ensure!(
        std::env::var_os("DISPLAY").is_some(),
        "--app-vs-bare opens windows: set DISPLAY (Xvfb :99 &, DISPLAY=:99)"
    );
    let both = SandboxWithBroker::start(|_| {}).await?;
    let data = tempfile::tempdir()?;
    // The demo makes its own world and data directory at every start.
    let (env, app_args): (Vec<(String, String)>, &[&str]) = if args.demo {
        (Vec::new(), &["--sandbox"])
    } else {
        let env = world::environment(&both.env_lines(), data.path());
        drop(world::connected_app(&env, &both.sandbox.control()).await?);
        seed_ledger(&data.path().join("ponte.sqlite3"), args.ledger)?;
        for n in 2..=args.profiles {
            another_profile(&both, data.path(), n, args.ledger).await?;
        }
        (env, &[])
    };

    let idle = Duration::from_secs(args.idle_secs);
    let (mut ponte, mut yardstick) = (Vec::new(), Vec::new());
    for _ in 0..args.runs {
        yardstick.push(measure(bare, &[], &[], idle, args.verbose).await?);
        ponte.push(measure(app, &env, app_args, idle, args.verbose).await?);
    }
    let median = |samples: &[Sample], value: fn(&Sample) -> f64| {
        crate::percentiles(samples.iter().map(value).collect()).0
    };
    let start = |s: &Sample| s.start.as_secs_f64() * 1000.0;
    let memory = |s: &Sample| s.memory_mib;
    let cpu = |s: &Sample| s.cpu_percent;
    let size = |path: &Path| -> anyhow::Result<f64> {
        Ok(std::fs::metadata(path)?.len() as f64 / (1024.0 * 1024.0))
    };
    if args.demo {
        println!(
            "Ponte's demo (--sandbox, first screen) against a bare Tauri app — medians of {} runs",
            args.runs
        );
    } else {
        println!(
            "Ponte's app against a bare Tauri app — medians of {} runs; Ponte connected, switched on, {} orders in its ledger{}",
            args.runs,
            args.ledger,
            if args.profiles > 1 {
                format!(", {} stores open at once (each so)", args.profiles)
            } else {
                String::new()
            }
        );
    }
    println!(
        "  {:<34} {:>10} {:>10} {:>7}   goal",
        "", "bare", "Ponte", "ratio"
    );
    let line = |what: &str, unit: &str, bare: f64, ponte: f64, goal: f64| {
        let ratio = ponte / bare.max(f64::EPSILON);
        let verdict = if ratio <= goal { "met" } else { "NOT MET" };
        println!(
            "  {what:<34} {bare:>7.1} {unit:<2} {ponte:>7.1} {unit:<2} {ratio:>7.2}   ≤ {goal:.1}× {verdict}"
        );
    };
    line(
        "start to page loaded",
        "ms",
        median(&yardstick, start),
        median(&ponte, start),
        1.3,
    );
    line(
        "memory, all processes (PSS)",
        "Mi",
        median(&yardstick, memory),
        median(&ponte, memory),
        1.2,
    );
    line("binary size", "Mi", size(bare)?, size(app)?, 2.0);
    let idle_cpu = median(&ponte, cpu);
    println!(
        "  idle CPU over {} s                 {:>7.2} %  {:>7.2} %            Ponte < 0.5 % {}",
        args.idle_secs,
        median(&yardstick, cpu),
        idle_cpu,
        if idle_cpu < 0.5 { "met" } else { "NOT MET" }
    );
    both.shutdown().await;
    Ok(())
}

/// The profile `loja-N` under `base`: another of the merchant's stores (a sibling of the
/// simulated one, without orders), connected into the same company, switched on, its ledger
/// seeded.
async fn another_profile(
    world: &SandboxWithBroker,
    base: &Path,
    n: usize,
    ledger: u64,
) -> anyhow::Result<()> {
    let name = format!("loja-{n}");
    let env: Vec<(String, String)> = world::environment(&world.env_lines(), base)
        .into_iter()
        .chain([("PONTE_PROFILE".to_string(), name.clone())])
        .collect();
    let store = 5_120_101 + 1_000 + n as u64;
    drop(world::connected_app_in(&env, &world.sandbox.control(), Some(store)).await?);
    seed_ledger(
        &base.join("profiles").join(name).join("ponte.sqlite3"),
        ledger,
    )?;
    Ok(())
}

/// A ledger of `orders`: 98 % imported with their sales, 2 % failed, as after months of use.
fn seed_ledger(path: &Path, orders: u64) -> anyhow::Result<()> {
    let store = Store::open(path)?;
    world::seed_ledger(&store, orders)?;
    drop(store);
    // The imported ones in one statement: the engine's way (a transaction per order, on
    // disk before the next) would take minutes for a fixture.
    let conn = rusqlite::Connection::open(path)?;
    conn.execute(
        "UPDATE orders SET state = 'imported', sale_id = 'venda-' || order_id,
             sale_number = number, imported_at = created_at, updated_at = created_at
         WHERE state = 'queued'",
        [],
    )?;
    Ok(())
}

/// Starts `binary`, times it to its page, lets it settle, then measures it idle.
async fn measure(
    binary: &Path,
    env: &[(String, String)],
    args: &[&str],
    idle: Duration,
    verbose: bool,
) -> anyhow::Result<Sample> {
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("PONTE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no pid"))?;
    let mut lines = BufReader::new(child.stderr.take().expect("piped")).lines();
    let loaded = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if verbose {
                eprintln!("{:>6} ms  {line}", started.elapsed().as_millis());
            }
            if line.contains(PAGE_LOADED) {
                return Ok(());
            }
        }
        anyhow::bail!("{} ended before its page loaded", binary.display())
    })
    .await;
    let start = started.elapsed();
    // Keep reading, so that a full pipe never stalls the app.
    let drain = tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if verbose {
                eprintln!("{:>6} ms  {line}", started.elapsed().as_millis());
            }
        }
    });
    let measured = match loaded {
        Err(_) => Err(anyhow::anyhow!("{}: no page after 60 s", binary.display())),
        Ok(Err(error)) => Err(error),
        Ok(Ok(())) => {
            tokio::time::sleep(SETTLE).await;
            let before: HashMap<u32, u64> =
                tree(pid).into_iter().map(|p| (p, cpu_ticks(p))).collect();
            let idle_from = Instant::now();
            tokio::time::sleep(idle).await;
            let spent: Vec<(u32, u64)> = tree(pid)
                .into_iter()
                .map(|p| {
                    (
                        p,
                        cpu_ticks(p).saturating_sub(*before.get(&p).unwrap_or(&0)),
                    )
                })
                .collect();
            let ticks = spent.iter().map(|(_, t)| t).sum::<u64>() as f64;
            let per_second = ticks_per_second();
            let cpu_percent = ticks / per_second / idle_from.elapsed().as_secs_f64() * 100.0;
            if verbose {
                for (member, ticks) in &spent {
                    let name =
                        std::fs::read_to_string(format!("/proc/{member}/comm")).unwrap_or_default();
                    eprintln!(
                        "  {:>8.1} MiB  {ticks:>5} CPU ticks idle  {}",
                        pss_kib(*member) as f64 / 1024.0,
                        name.trim()
                    );
                    for (mapping, kib) in pss_by_mapping(*member).into_iter().take(8) {
                        eprintln!("      {:>8.1} MiB  {mapping}", kib as f64 / 1024.0);
                    }
                }
            }
            Ok(Sample {
                start,
                memory_mib: tree_pss_kib(pid) as f64 / 1024.0,
                cpu_percent,
            })
        }
    };
    let family = tree(pid);
    let _ = child.start_kill();
    let _ = child.wait().await;
    for pid in family {
        // SAFETY: a plain signal to a process of this run's tree.
        unsafe {
            libc::kill(pid as i32, libc::SIGKILL);
        }
    }
    drain.abort();
    measured
}
