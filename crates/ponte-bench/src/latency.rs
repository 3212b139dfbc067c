//! Payment to sale (issue 12, item 5): orders paid one by one at random moments while Ponte
//! runs as the app does — the periodic check at the default interval, and with `--webhooks` the
//! broker's webhooks as well — and the time from each payment to its sale in Conta Azul.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ponte_broker::sandboxed::SandboxWithBroker;
use ponte_core::problem::InstantState;
use ponte_core::scheduler::Scheduler;
use ponte_sandbox::{Control, Sandbox, SandboxConfig};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::world::{self, Shop};
use crate::Args;

/// The services, with or without the broker in front.
enum Services {
    Direct(Sandbox),
    Brokered(Box<SandboxWithBroker>),
}

impl Services {
    fn control(&self) -> Control {
        match self {
            Services::Direct(sandbox) => sandbox.control(),
            Services::Brokered(both) => both.sandbox.control(),
        }
    }

    fn env_lines(&self) -> Vec<(String, String)> {
        match self {
            Services::Direct(sandbox) => sandbox.env_lines(),
            Services::Brokered(both) => both.env_lines(),
        }
    }
}

pub async fn run(args: &Args, orders: usize) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(args.seed);
    let services = if args.webhooks {
        Services::Brokered(Box::new(SandboxWithBroker::start(|_| {}).await?))
    } else {
        let redirect = ponte_sandbox::free_loopback_port();
        Services::Direct(Sandbox::start(SandboxConfig::with_redirect_port(redirect)).await?)
    };
    let control = services.control();
    let data = tempfile::tempdir()?;
    let env = world::environment(&services.env_lines(), data.path());
    let mut shop = Shop::open(args, &control, &mut rng);
    let app = Arc::new(world::connected_app(&env, &control).await?);
    let interval = Duration::from_secs(60 * app.settings()?.poll_interval_minutes());
    let scheduler = Scheduler::new(app.clone());
    let mut tasks = vec![tokio::spawn({
        let scheduler = scheduler.clone();
        async move { scheduler.run(|_| true).await }
    })];
    if args.webhooks {
        tasks.push(tokio::spawn(ponte_core::instant::listen(scheduler.clone())));
        until(Duration::from_secs(30), "instant import", || {
            app.status()
                .is_ok_and(|s| s.instant.state == InstantState::Active)
        })
        .await?;
    }
    until(Duration::from_secs(30), "the first check", || {
        scheduler.schedule().last_check_at.is_some()
    })
    .await?;
    world::add_latency(&control, args.latency_ms);

    // Paid at random moments, so that payments meet every phase of the interval.
    let over = Duration::from_secs_f64(args.over.unwrap_or(2.0 * interval.as_secs_f64()));
    let mut moments: Vec<Duration> = (0..orders)
        .map(|_| over.mul_f64(rng.gen_range(0.0..1.0)))
        .collect();
    moments.sort();
    let started = Instant::now();
    let deadline = over + interval + Duration::from_secs(60);
    let mut paid: HashMap<u64, Instant> = HashMap::new();
    let mut waits = Vec::new();
    let mut next = 0;
    while waits.len() < orders {
        anyhow::ensure!(
            started.elapsed() < deadline,
            "{} of {orders} sales after {:?}",
            waits.len(),
            started.elapsed()
        );
        while next < orders && started.elapsed() >= moments[next] {
            paid.insert(shop.paid_order(&control, &mut rng), Instant::now());
            next += 1;
        }
        paid.retain(|number, at| {
            let done = world::sales_for(&control, *number) > 0;
            if done {
                waits.push(at.elapsed().as_secs_f64());
            }
            !done
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    scheduler.stop();
    for task in tasks {
        task.abort();
    }

    let (p50, p95) = crate::percentiles(waits.clone());
    let slowest = waits.iter().cloned().fold(0.0, f64::max);
    let (how, goal) = if args.webhooks {
        ("through the broker's webhooks", 15.0)
    } else {
        ("by the periodic check alone", interval.as_secs_f64() + 10.0)
    };
    println!(
        "Payment to sale, {how} — {orders} orders paid over {:.0} s, check every {} s, {} ms per call",
        over.as_secs_f64(),
        interval.as_secs(),
        args.latency_ms
    );
    let verdict = if p95 < goal { "met" } else { "NOT MET" };
    println!(
        "p50 {p50:.1} s   p95 {p95:.1} s   slowest {slowest:.1} s   goal p95 < {goal:.0} s: {verdict}"
    );
    anyhow::ensure!(
        control.sales().len() == orders,
        "{} sales for {orders} orders",
        control.sales().len()
    );
    anyhow::ensure!(
        p95 < goal,
        "payment to sale p95 {p95:.1} s {how}: the goal is {goal:.0} s"
    );
    Ok(())
}

async fn until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let started = Instant::now();
    while !done() {
        anyhow::ensure!(started.elapsed() < limit, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
