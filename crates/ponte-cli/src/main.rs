//! `ponte`: Ponte's headless commands. Each is a few lines over `ponte_core::App`.
//!
//! Exit codes: 0 done; 1 failed (the message says why and what to do); 2 wrong usage;
//! 3 not ready (not connected, switched off, no seller); 4 the data directory is in use.

mod commands;
#[cfg(feature = "sandbox")]
mod sandbox;

use std::process::ExitCode;

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "ponte",
    version,
    about = "Ponte: imports the paid orders of a Nuvemshop store into Conta Azul",
    long_about = "Ponte: imports the paid orders of a Nuvemshop store into Conta Azul as sales \
                  awaiting review.\n\nConfiguration comes from the environment (PONTE_DATA_DIR, \
                  PONTE_PROFILE, PONTE_NUVEMSHOP_*, PONTE_CONTAAZUL_*, PONTE_REDIRECT_PORT, \
                  PONTE_TOKEN_STORE); see the README. PONTE_LOG (a tracing filter such as ponte_core=debug) writes \
                  logs to stderr."
)]
struct Cli {
    /// The profile (a store and a company) to act on; the default profile when not named.
    /// `ponte profiles` lists them.
    #[arg(long, global = true, env = "PONTE_PROFILE", value_name = "NAME")]
    profile: Option<String>,
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    // `ponte orders | head` ends quietly when the reader has read enough, as a Unix command
    // should, instead of a panic on the closed pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Elsewhere (Windows) a closed pipe is a failed print: the command ends quietly too, never
    // with a panic's message.
    let panicked = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") {
            std::process::exit(1);
        }
        panicked(info);
    }));
    // Logs only when asked for: an error is told once, in Portuguese, by the command.
    let filter = tracing_subscriber::EnvFilter::try_from_env("PONTE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off"));
    // Colours only for a terminal that shows them (Windows' older console prints the codes).
    let colours = cfg!(not(windows)) && std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("Não foi possível iniciar o Ponte: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(commands::run(cli.profile, cli.command))
}
