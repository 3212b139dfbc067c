//! `ponte-bench --broker N --rate R --seconds T`: the broker as Nuvemshop's scale meets it.
//! N stores install Ponte through real connects (start, consent in the simulated Nuvemshop, the
//! broker's callback exchanging the code, the claim with the return code), each then keeps a
//! long poll of `/events` open as the app does; signed `order/paid` webhooks arrive at R a
//! second for T seconds, each to a random store. Reported: webhooks accepted, delivered, lost
//! and repeated, the time from a webhook's arrival to its long poll's answer, and the broker's
//! CPU and memory (its own process, started by this one, read from /proc).
//!
//! The broker runs the library's code with the production limits, but for the per-address
//! limits of the connect phase: every store connects from this one address here.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use ponte_broker::{AppCredentials, Broker, BrokerConfig, Limits, Rate, Timeouts, TrustedProxies};
use ponte_protocol::{ClaimAnswer, EventsPage};
use ponte_sandbox::{Sandbox, SandboxConfig};
use rand::Rng;
use tokio::task::JoinSet;

use crate::procfs::{cpu_ticks, status_kib, ticks_per_second, tree};

/// The first simulated store's id; store `i` is `FIRST_STORE + i`.
const FIRST_STORE: u64 = 7_000_000;
/// Connects made at once while installing.
const CONNECTS_IN_FLIGHT: usize = 32;
/// Webhooks in flight at once (Nuvemshop's senders are many; this bounds the harness).
const WEBHOOKS_IN_FLIGHT: usize = 512;
/// How long a webhook accepted may take to reach its long poll before it counts as lost.
const GRACE: Duration = Duration::from_secs(30);
/// The long polls' wait, as the app asks it.
const WAIT_SECONDS: u64 = 25;

#[derive(Clone, Debug)]
pub struct Load {
    pub installations: usize,
    pub rate: u32,
    pub seconds: u64,
    /// Broker processes behind the harness's round-robin (a load balancer's part).
    pub instances: usize,
    /// `None`: SQLite (one instance); a `postgres://` URL: a schema of this run's there.
    pub postgres: Option<String>,
    /// The Postgres server's main process, to count its CPU too.
    pub postgres_pid: Option<u32>,
}

/// What one run measured.
#[derive(Debug)]
pub struct Figures {
    pub accepted: u64,
    pub refused: u64,
    pub delivered: u64,
    pub lost: u64,
    pub repeated: u64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
    /// All instances together.
    pub cores: f64,
    /// The largest instance's.
    pub peak_rss_mib: f64,
    /// The Postgres server's processes, when its pid was given.
    pub database_cores: Option<f64>,
}

/// Webhooks sent, by their order id (the index): when each arrived and how often it was read.
struct Ledger {
    sent: Mutex<Vec<Option<Instant>>>,
    reads: Vec<AtomicU32>,
    latencies: Mutex<Vec<f64>>,
}

impl Ledger {
    fn new(total: usize) -> Ledger {
        Ledger {
            sent: Mutex::new(vec![None; total]),
            reads: (0..total).map(|_| AtomicU32::new(0)).collect(),
            latencies: Mutex::new(Vec::with_capacity(total)),
        }
    }

    fn read(&self, order: usize, at: Instant) {
        let Some(reads) = self.reads.get(order) else {
            return;
        };
        if reads.fetch_add(1, Relaxed) == 0 {
            let sent = self.sent.lock().unwrap()[order];
            if let Some(sent) = sent {
                self.latencies
                    .lock()
                    .unwrap()
                    .push(at.duration_since(sent).as_secs_f64());
            }
        }
    }
}

/// The environment the broker's process is started with.
const ENV_PORT: &str = "PONTE_BENCH_BROKER_PORT";
const ENV_DATABASE: &str = "PONTE_BENCH_BROKER_DATABASE";
const ENV_SCHEMA: &str = "PONTE_BENCH_BROKER_SCHEMA";
const ENV_KEY: &str = "PONTE_BENCH_BROKER_KEY";
/// The first instance's port: where the services send the browser (the balancer's address).
const ENV_PUBLIC_PORT: &str = "PONTE_BENCH_PUBLIC_PORT";
const ENV_NUVEMSHOP: &str = "PONTE_BENCH_NUVEMSHOP_URL";
const ENV_CONTAAZUL: &str = "PONTE_BENCH_CONTAAZUL_URL";

/// The broker's own process (`ponte-bench --broker-child`): serves until its stdin closes.
pub async fn child() -> anyhow::Result<()> {
    raise_open_files();
    let var = |name: &str| std::env::var(name).with_context(|| format!("{name} is not set"));
    let port: u16 = var(ENV_PORT)?.parse()?;
    let public: u16 = var(ENV_PUBLIC_PORT)?.parse()?;
    let sandbox = SandboxConfig::with_broker(&format!("http://127.0.0.1:{public}"));
    let database = match ponte_broker::Database::parse(&var(ENV_DATABASE)?) {
        ponte_broker::Database::Postgres { url, .. } => ponte_broker::Database::Postgres {
            url,
            schema: Some(var(ENV_SCHEMA)?),
        },
        sqlite => sqlite,
    };
    let nuvemshop_url = var(ENV_NUVEMSHOP)?;
    let contaazul_url = var(ENV_CONTAAZUL)?;
    let wide = Rate::new(1_000_000, 100_000);
    let config = BrokerConfig {
        public_url: format!("http://127.0.0.1:{public}").parse()?,
        database,
        // Instances share the key that seals pending connects.
        key: hex::decode(var(ENV_KEY)?)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("{ENV_KEY}: 32 bytes"))?,
        nuvemshop: AppCredentials {
            client_id: sandbox.nuvemshop.app_id.clone(),
            client_secret: sandbox.nuvemshop.client_secret.clone(),
            token_url: format!("{nuvemshop_url}/apps/authorize/token").parse()?,
        },
        contaazul: AppCredentials {
            client_id: sandbox.contaazul.client_id.clone(),
            client_secret: sandbox.contaazul.client_secret.clone(),
            token_url: format!("{contaazul_url}/oauth2/token").parse()?,
        },
        claim_ttl: Duration::from_secs(600),
        limits: Limits {
            claim: wide,
            start: wide,
            start_global: wide,
            install: wide,
            install_global: wide,
            ..Limits::default()
        },
        timeouts: Timeouts::default(),
        trusted_proxies: TrustedProxies::None,
        metrics_listen: None,
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let broker = Broker::start(config, listener).await?;
    // The benchmark closes our stdin when it is done (or dies).
    let _ = tokio::task::spawn_blocking(|| {
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new())
    })
    .await;
    broker.shutdown().await;
    Ok(())
}

pub async fn run(load: Load) -> anyhow::Result<Figures> {
    raise_open_files();
    ponte_broker::install_tls_provider();
    let ports: Vec<u16> = (0..load.instances.max(1))
        .map(|_| ponte_sandbox::free_loopback_port())
        .collect();
    let urls: Vec<String> = ports
        .iter()
        .map(|port| format!("http://127.0.0.1:{port}"))
        .collect();
    let sandbox = Sandbox::start(SandboxConfig::with_broker(&urls[0])).await?;
    let data = tempfile::tempdir()?;
    let database = match &load.postgres {
        Some(url) => url.clone(),
        None => data.path().join("broker.sqlite3").display().to_string(),
    };
    let schema = format!("bench_{}", hex::encode(rand::random::<[u8; 6]>()));
    let key = hex::encode(rand::random::<[u8; 32]>());
    let mut brokers = Vec::new();
    for port in &ports {
        let broker = tokio::process::Command::new(std::env::current_exe()?)
            .arg("--broker-child")
            .env(ENV_PORT, port.to_string())
            .env(ENV_PUBLIC_PORT, ports[0].to_string())
            .env(ENV_DATABASE, &database)
            .env(ENV_SCHEMA, &schema)
            .env(ENV_KEY, &key)
            .env(ENV_NUVEMSHOP, sandbox.nuvemshop_url())
            .env(ENV_CONTAAZUL, sandbox.contaazul_url())
            .env(
                "PONTE_LOG",
                std::env::var("PONTE_LOG").unwrap_or("warn".into()),
            )
            .stdin(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting a broker's process")?;
        brokers.push(broker);
    }
    let pids: Vec<u32> = brokers
        .iter()
        .map(|broker| broker.id().context("a broker's pid"))
        .collect::<anyhow::Result<_>>()?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(90))
        .build()?;
    for url in &urls {
        wait_until_up(&http, url).await?;
    }

    let setup = Instant::now();
    let installed = install(&http, &sandbox, &urls, load.installations).await?;
    let setup_seconds = setup.elapsed().as_secs_f64();
    println!(
        "{} stores installed through real connects in {setup_seconds:.1} s",
        installed.len()
    );

    let total = (u64::from(load.rate) * load.seconds) as usize;
    let ledger = Arc::new(Ledger::new(total));
    let stop = Arc::new(AtomicBool::new(false));
    let mut polls = JoinSet::new();
    for (index, (_, key, cursor)) in installed.iter().enumerate() {
        polls.spawn(long_poll(
            http.clone(),
            urls[index % urls.len()].clone(),
            key.clone(),
            *cursor,
            ledger.clone(),
            stop.clone(),
        ));
    }
    // Every long poll waiting before the first webhook (each starts at a random moment of the
    // first wait, as merchants open Ponte at different times).
    tokio::time::sleep(Duration::from_secs(WAIT_SECONDS + 2)).await;

    let ticks = || pids.iter().map(|pid| cpu_ticks(*pid)).sum::<u64>();
    let ticks_before = ticks();
    let database_ticks = || {
        load.postgres_pid
            .map(|pid| tree(pid).into_iter().map(cpu_ticks).sum::<u64>())
    };
    let database_before = database_ticks();
    let measured = Instant::now();
    let (accepted, refused) =
        send_webhooks(&http, &urls, &sandbox, &installed, &load, &ledger).await;
    let deadline = Instant::now() + GRACE;
    while Instant::now() < deadline && delivered(&ledger) < accepted {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let spent = ticks().saturating_sub(ticks_before) as f64 / ticks_per_second();
    let cores = spent / measured.elapsed().as_secs_f64();
    let database_cores = database_ticks()
        .zip(database_before)
        .map(|(after, before)| {
            after.saturating_sub(before) as f64
                / ticks_per_second()
                / measured.elapsed().as_secs_f64()
        });
    let peak_rss_mib = pids
        .iter()
        .map(|pid| status_kib(*pid, "VmHWM"))
        .max()
        .unwrap_or(0) as f64
        / 1024.0;
    // Repeated deliveries come after the first: wait a long poll's round before counting them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Relaxed);
    polls.abort_all();
    for mut broker in brokers {
        drop(broker.stdin.take());
        let _ = tokio::time::timeout(Duration::from_secs(10), broker.wait()).await;
    }
    sandbox.shutdown().await;

    let delivered = delivered(&ledger);
    let repeated: u64 = ledger
        .reads
        .iter()
        .map(|reads| u64::from(reads.load(Relaxed).saturating_sub(1)))
        .sum();
    let mut latencies = std::mem::take(&mut *ledger.latencies.lock().unwrap());
    latencies.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Ok(Figures {
        accepted,
        refused,
        delivered,
        lost: accepted.saturating_sub(delivered),
        repeated,
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        max: latencies.last().copied().unwrap_or(0.0),
        cores,
        peak_rss_mib,
        database_cores,
    })
}

fn delivered(ledger: &Ledger) -> u64 {
    ledger.reads.iter().filter(|r| r.load(Relaxed) > 0).count() as u64
}

async fn wait_until_up(http: &reqwest::Client, broker: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if let Ok(answer) = http.get(format!("{broker}/healthz")).send().await {
            if answer.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the broker did not come up")
}

/// Installs `count` stores, each through a whole connect: (store, key, cursor).
async fn install(
    http: &reqwest::Client,
    sandbox: &Sandbox,
    brokers: &[String],
    count: usize,
) -> anyhow::Result<Vec<(u64, String, i64)>> {
    let control = Arc::new(sandbox.control());
    let app_id = sandbox.config().nuvemshop.app_id.clone();
    let nuvemshop = sandbox.nuvemshop_url();
    let mut installed = Vec::with_capacity(count);
    let mut connects = JoinSet::new();
    for index in 0..count {
        if connects.len() >= CONNECTS_IN_FLIGHT {
            installed.push(connects.join_next().await.expect("a connect")??);
        }
        // Started on one instance, claimed on the next: as a balancer may send them.
        let (http, control) = (http.clone(), control.clone());
        let start_at = brokers[index % brokers.len()].clone();
        let claim_at = brokers[(index + 1) % brokers.len()].clone();
        let authorize = format!("{nuvemshop}/apps/{app_id}/authorize");
        connects.spawn(async move {
            let store = FIRST_STORE + index as u64;
            connect(&http, &control, [&start_at, &claim_at], &authorize, store).await
        });
    }
    while let Some(done) = connects.join_next().await {
        installed.push(done??);
    }
    Ok(installed)
}

async fn connect(
    http: &reqwest::Client,
    control: &ponte_sandbox::Control,
    [start_at, claim_at]: [&str; 2],
    authorize: &str,
    store: u64,
) -> anyhow::Result<(u64, String, i64)> {
    let state = format!("bench-{store}-{}", hex::encode(rand::random::<[u8; 12]>()));
    let verifier = hex::encode(rand::random::<[u8; 32]>());
    let verifier_hash = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        verifier.as_bytes(),
    ));
    let started = http
        .post(format!("{start_at}/connect/nuvemshop/start"))
        .json(&ponte_protocol::StartRequest {
            state: state.clone(),
            verifier_hash,
            port: None,
        })
        .send()
        .await?;
    if started.status().as_u16() != 201 {
        bail!("start answered {}", started.status());
    }
    let landing = control
        .consent_in_store(&format!("{authorize}?state={state}"), Some(store))
        .map_err(|e| anyhow::anyhow!("consent: {e:?}"))?;
    let page = http.get(&landing).send().await?.text().await?;
    let code = page
        .split("id=\"codigo\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .context("the broker's page shows no return code")?
        .to_string();
    let claimed = http
        .post(format!("{claim_at}/connect/claim"))
        .json(&ponte_protocol::ClaimRequest {
            state,
            verifier,
            return_code: Some(code),
        })
        .send()
        .await?
        .json::<ClaimAnswer>()
        .await?;
    match claimed {
        ClaimAnswer::Ready {
            installation: Some(installation),
            ..
        } => Ok((store, installation.key, installation.cursor.unwrap_or(0))),
        _ => bail!("the claim did not hand over an installation"),
    }
}

/// One store's Ponte: reads, acknowledges, reads again, as `instant::feed` does.
async fn long_poll(
    http: reqwest::Client,
    broker: String,
    key: String,
    mut cursor: i64,
    ledger: Arc<Ledger>,
    stop: Arc<AtomicBool>,
) {
    let opened = Duration::from_secs(WAIT_SECONDS).mul_f64(rand::random::<f64>());
    tokio::time::sleep(opened).await;
    while !stop.load(Relaxed) {
        let answer = http
            .get(format!(
                "{broker}/events?after={cursor}&wait={WAIT_SECONDS}"
            ))
            .bearer_auth(&key)
            .timeout(Duration::from_secs(WAIT_SECONDS + 20))
            .send()
            .await;
        let page = match answer {
            Ok(answer) if answer.status().is_success() => answer.json::<EventsPage>().await,
            _ => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        let Ok(page) = page else { continue };
        let now = Instant::now();
        for event in &page.events {
            if let Ok(order) = event.resource_id.parse::<usize>() {
                ledger.read(order, now);
            }
        }
        if page.cursor > cursor {
            cursor = page.cursor;
            let _ = http
                .post(format!("{broker}/events/ack"))
                .bearer_auth(&key)
                .json(&ponte_protocol::AckRequest { up_to: cursor })
                .send()
                .await;
        }
    }
}

/// Signed `order/paid` webhooks at the rate asked, to random stores: (accepted, refused).
async fn send_webhooks(
    http: &reqwest::Client,
    brokers: &[String],
    sandbox: &Sandbox,
    installed: &[(u64, String, i64)],
    load: &Load,
    ledger: &Arc<Ledger>,
) -> (u64, u64) {
    let secret = sandbox.config().nuvemshop.client_secret.clone();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    let accepted = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let total = (u64::from(load.rate) * load.seconds) as usize;
    let every = Duration::from_secs_f64(1.0 / f64::from(load.rate.max(1)));
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(WEBHOOKS_IN_FLIGHT));
    let mut sending = JoinSet::new();
    for order in 0..total {
        ticker.tick().await;
        let store = installed[rand::thread_rng().gen_range(0..installed.len())].0;
        let body = format!(r#"{{"store_id":{store},"event":"order/paid","id":{order}}}"#);
        let signature = hex::encode(ring::hmac::sign(&key, body.as_bytes()));
        let permit = in_flight.clone().acquire_owned().await.expect("open");
        let url = format!("{}/webhooks/nuvemshop", brokers[order % brokers.len()]);
        let http = http.clone();
        let (ledger, accepted, refused) = (ledger.clone(), accepted.clone(), refused.clone());
        sending.spawn(async move {
            let _permit = permit;
            ledger.sent.lock().unwrap()[order] = Some(Instant::now());
            let answer = http
                .post(url)
                .header("content-type", "application/json")
                .header("X-Linkedstore-HMAC-SHA256", signature)
                .body(body)
                .send()
                .await;
            match answer {
                Ok(answer) if answer.status().is_success() => accepted.fetch_add(1, Relaxed),
                _ => refused.fetch_add(1, Relaxed),
            };
        });
        while sending.try_join_next().is_some() {}
    }
    while sending.join_next().await.is_some() {}
    (accepted.load(Relaxed), refused.load(Relaxed))
}

/// Thousands of long polls are thousands of sockets: as many open files as allowed.
fn raise_open_files() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: reads and sets this process's own limit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Prints the figures beside the goals of issue 24; fails when a delivery was lost or repeated.
pub fn report(load: &Load, figures: &Figures) -> anyhow::Result<()> {
    println!(
        "broker under load: {} stores long-polling, {} webhooks/s for {} s, {} instance(s) on {}",
        load.installations,
        load.rate,
        load.seconds,
        load.instances,
        if load.postgres.is_some() {
            "Postgres"
        } else {
            "SQLite"
        }
    );
    println!(
        "  webhooks accepted {}, refused {}, delivered {}, lost {}, repeated {}",
        figures.accepted, figures.refused, figures.delivered, figures.lost, figures.repeated
    );
    println!(
        "  webhook to long poll: p50 {:.3} s, p95 {:.3} s, p99 {:.3} s (goal < 0.5 s), max {:.3} s",
        figures.p50, figures.p95, figures.p99, figures.max
    );
    println!(
        "  broker: {:.2} cores on average, all instances (goal < 1), peak resident {:.0} MiB, \
         largest instance (goal < 300)",
        figures.cores, figures.peak_rss_mib
    );
    if let Some(cores) = figures.database_cores {
        println!("  postgres: {cores:.2} cores on average (its server's processes)");
    }
    if figures.accepted == 0 || figures.lost > 0 || figures.repeated > 0 || figures.refused > 0 {
        bail!("webhooks were refused, lost or repeated");
    }
    Ok(())
}
