//! `ponte sandbox`.

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use ponte_sandbox::{Sandbox, SandboxConfig};

#[derive(clap::Args)]
pub struct SandboxArgs {
    /// Port of the simulated Nuvemshop (authorization pages and API).
    #[arg(long, default_value_t = 47810)]
    nuvemshop_port: u16,
    /// Port of the simulated Conta Azul (authorization pages and API).
    #[arg(long, default_value_t = 47820)]
    contaazul_port: u16,
    /// Port of the control API (seed data, faults, inspection).
    #[arg(long, default_value_t = 47830)]
    control_port: u16,
    /// Ponte's loopback port, where both services send the browser back after consent.
    #[arg(long, env = "PONTE_REDIRECT_PORT", default_value_t = 47800)]
    redirect_port: u16,
    /// Generates demo orders every this many seconds (0: no demo orders).
    #[arg(long, default_value_t = 20.0, value_parser = demo_interval)]
    demo_every: f64,
    /// Seed of the demo generator, for a repeatable run.
    #[arg(long, default_value_t = 1)]
    demo_seed: u64,
}

/// 0 (no demo orders) or at least 0.05 seconds: a usage error otherwise, before any port is
/// taken.
fn demo_interval(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds == 0.0 || (seconds.is_finite() && seconds >= 0.05) => Ok(seconds),
        _ => Err("must be 0 or at least 0.05 seconds".into()),
    }
}

pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let mut config = SandboxConfig::with_redirect_port(args.redirect_port);
    config.nuvemshop_port = args.nuvemshop_port;
    config.contaazul_port = args.contaazul_port;
    config.control_port = args.control_port;
    let sandbox = Sandbox::start(config)
        .await
        .context("Could not start the sandbox (is another one already running on these ports?)")?;
    if args.demo_every > 0.0 {
        sandbox.start_demo(Duration::from_secs_f64(args.demo_every), args.demo_seed);
    }

    let mut out = std::io::stdout().lock();
    writeln!(out, "Ponte sandbox")?;
    writeln!(out, "  Nuvemshop:  {}", sandbox.nuvemshop_url())?;
    writeln!(out, "  Conta Azul: {}", sandbox.contaazul_url())?;
    writeln!(out, "  Control:    {}/control", sandbox.control_url())?;
    if args.demo_every > 0.0 {
        writeln!(out, "  Demo:       a new order every {} s", args.demo_every)?;
    }
    writeln!(out)?;
    writeln!(out, "# Point Ponte at the sandbox:")?;
    for (name, value) in sandbox.env_lines() {
        writeln!(out, "export {name}={value}")?;
    }
    writeln!(out)?;
    writeln!(out, "Press Ctrl+C to stop.")?;
    out.flush()?;
    drop(out);

    tokio::signal::ctrl_c()
        .await
        .context("Could not wait for Ctrl+C")?;
    sandbox.shutdown().await;
    Ok(())
}
