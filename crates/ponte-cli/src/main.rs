//! `ponte`: Ponte's headless commands. Each is a few lines over `ponte_core::App`.
//!
//! Exit codes: 0 done; 1 failed (the message says why and what to do); 2 wrong usage;
//! 3 not ready (not connected, switched off, no seller); 4 the data directory is in use.

mod commands;
mod sandbox;

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "ponte",
    version,
    about = "Ponte: imports the paid orders of a Nuvemshop store into Conta Azul",
    long_about = "Ponte: imports the paid orders of a Nuvemshop store into Conta Azul as sales \
                  awaiting review.\n\nConfiguration comes from the environment (PONTE_DATA_DIR, \
                  PONTE_NUVEMSHOP_*, PONTE_CONTAAZUL_*, PONTE_REDIRECT_PORT, PONTE_TOKEN_STORE); \
                  see the README."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Account {
    Nuvemshop,
    Contaazul,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum StateArg {
    Queued,
    Importing,
    Imported,
    Failed,
    Skipped,
}

#[derive(Subcommand)]
enum Command {
    /// Connects an account: opens its authorization page in the browser and waits for it to
    /// come back.
    Connect {
        account: Account,
        /// Only print the authorization URL; do not open the browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Lists the Conta Azul sellers (vendedores).
    Sellers {
        #[arg(long)]
        json: bool,
    },
    /// Switches the integration on; the first time, records the activation date.
    Enable {
        /// The seller whose name the sales carry; the only one when Conta Azul has one.
        #[arg(long)]
        seller: Option<String>,
    },
    /// Switches the integration off: nothing is imported until it is switched on again.
    Disable,
    /// Imports the paid orders: one pass with --once, otherwise at the configured interval.
    Sync {
        #[arg(long)]
        once: bool,
    },
    /// Shows whether the integration is on, the connections and the counts.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Lists the orders Ponte has seen.
    Orders {
        #[arg(long)]
        json: bool,
        #[arg(long, value_enum)]
        state: Option<StateArg>,
    },
    /// Puts a failed order (or every failed order) back in the queue.
    Retry {
        /// The Nuvemshop order id.
        order_id: Option<u64>,
        #[arg(long, conflicts_with = "order_id")]
        failed: bool,
    },
    /// Prints the support report of an order (personal data masked).
    Report { order_id: u64 },
    /// Runs simulated Nuvemshop and Conta Azul on 127.0.0.1 until interrupted, and prints the
    /// environment lines that point Ponte at them.
    Sandbox(sandbox::SandboxArgs),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PONTE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("Não foi possível iniciar o Ponte: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        match cli.command {
            Command::Sandbox(args) => match sandbox::run(args).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("{error:#}");
                    ExitCode::FAILURE
                }
            },
            command => commands::run(command).await,
        }
    })
}
