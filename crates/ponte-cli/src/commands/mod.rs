//! One file per command, each the same shape: its arguments, a call to `ponte_core::App`,
//! what it prints. What a command decides, the core decides; what it prints in JSON is the
//! core's own serialisation of the types the window receives.

mod backfill;
mod changed;
mod connect;
mod disable;
mod doctor;
mod enable;
mod export;
mod lgpd;
mod orders;
mod payments;
mod plan;
mod profiles;
mod progress;
mod reconcile;
mod report;
mod retry;
mod sale;
mod sellers;
mod settings;
mod stats;
mod status;
mod sync;

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;
use ponte_core::problem::ProblemCode;
use ponte_core::{App, Config, Error};
use serde::Serialize;

#[derive(Subcommand)]
pub enum Command {
    /// Connects an account: opens its authorization page in the browser and waits for it to
    /// come back.
    Connect(connect::Args),
    /// Lists the Conta Azul sellers (vendedores).
    Sellers(sellers::Args),
    /// Switches the integration on; the first time, records the activation date.
    Enable(enable::Args),
    /// Switches the integration off: nothing is imported until it is switched on again.
    Disable,
    /// Shows or changes the settings the window has: the poll interval and the seller.
    Settings(settings::Args),
    /// Imports the paid orders: one pass with --once, otherwise at the configured interval.
    Sync(sync::Args),
    /// Shows whether the integration is on, the connections and the counts.
    Status(status::Args),
    /// Counts the sales imported on each of the last days.
    Stats(stats::Args),
    /// Lists the orders Ponte has seen.
    Orders(orders::Args),
    /// Writes a list of orders as a spreadsheet (CSV: UTF-8 with BOM, `;`, decimal comma).
    Export(export::Args),
    /// Shows or changes how each way of paying becomes the sale's payment in Conta Azul.
    Payments(payments::Args),
    /// Previews the paid orders of a period before the activation date; imports them with
    /// --confirm.
    Backfill(backfill::Args),
    /// Compares a period's paid orders with the sales in Conta Azul; imports the missing ones
    /// with --import or --import-missing.
    Reconcile(reconcile::Args),
    /// Shows what importing a waiting order would do, and why.
    Plan(plan::Args),
    /// Saves an imported order's sale as Conta Azul prints it (PDF).
    Sale(sale::Args),
    /// Lists the imported orders cancelled or refunded in Nuvemshop since; --checked hides
    /// one whose sale was looked at.
    Changed(changed::Args),
    /// Puts a failed order (or every failed order) back in the queue.
    Retry(retry::Args),
    /// Prints the support report of an order (personal data masked).
    Report(report::Args),
    /// Asks the connected accounts what their documents leave open, reading only: one line
    /// per assumption Ponte makes, whether it holds, and what Ponte does either way.
    Doctor(doctor::Args),
    /// Lists the profiles (each a store and a company); adds or removes one.
    Profiles(profiles::Args),
    /// Lists the LGPD requests received and what was done; sets the data requests' folder;
    /// confirms a store data erasure.
    Lgpd(lgpd::Args),
    /// Runs simulated Nuvemshop and Conta Azul on 127.0.0.1 until interrupted, and prints the
    /// environment lines that point Ponte at them.
    #[cfg(feature = "sandbox")]
    Sandbox(crate::sandbox::SandboxArgs),
}

/// `profile`: `--profile`, over `PONTE_PROFILE`; `None` for the default profile.
pub async fn run(profile: Option<String>, command: Command) -> ExitCode {
    #[cfg(feature = "sandbox")]
    if let Command::Sandbox(args) = command {
        return match crate::sandbox::run(args).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("{error:#}");
                ExitCode::FAILURE
            }
        };
    }
    let result = match config(profile, &command) {
        Ok(config) => match command {
            Command::Profiles(args) => profiles::run(config, args).await,
            command => match App::open(config) {
                Ok(app) => execute(app, command).await,
                Err(error) => Err(error),
            },
        },
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Once, in Portuguese; the English detail goes to the log when PONTE_LOG asks.
            let problem = error.problem();
            tracing::debug!(%error, "command failed");
            eprintln!("{}\n{}", problem.message, problem.hint);
            ExitCode::from(exit_code(&error))
        }
    }
}

/// The configuration of the profile named. A profile that was never made is made by
/// `connect` (adding a store is connecting it) and refused by every other command, so that a
/// mistyped name does not quietly show an empty Ponte.
fn config(profile: Option<String>, command: &Command) -> Result<Config, Error> {
    let mut config = Config::from_env()?;
    if let Some(typed) = profile {
        let name = ponte_core::profiles::ProfileName::parse(&typed).map_err(Error::Invalid)?;
        config = config.for_profile(name);
    }
    if !matches!(command, Command::Connect(_) | Command::Profiles(_)) {
        ponte_core::profiles::must_exist(&config.base_dir, &config.profile)?;
    }
    Ok(config)
}

async fn execute(app: App, command: Command) -> Result<(), Error> {
    match command {
        Command::Connect(args) => connect::run(&app, args).await,
        Command::Sellers(args) => sellers::run(&app, args).await,
        Command::Enable(args) => enable::run(&app, args).await,
        Command::Disable => disable::run(&app),
        Command::Settings(args) => settings::run(&app, args).await,
        Command::Sync(args) => sync::run(app, args).await,
        Command::Status(args) => status::run(&app, args),
        Command::Stats(args) => stats::run(&app, args),
        Command::Orders(args) => orders::run(&app, args),
        Command::Export(args) => export::run(&app, args),
        Command::Payments(args) => payments::run(&app, args),
        Command::Backfill(args) => backfill::run(&app, args).await,
        Command::Reconcile(args) => reconcile::run(&app, args).await,
        Command::Plan(args) => plan::run(&app, args).await,
        Command::Sale(args) => sale::run(&app, args).await,
        Command::Changed(args) => changed::run(&app, args),
        Command::Retry(args) => retry::run(&app, args).await,
        Command::Report(args) => report::run(&app, args),
        Command::Lgpd(args) => lgpd::run(&app, args).await,
        Command::Doctor(args) => doctor::run(&app, args).await,
        Command::Profiles(_) => unreachable!("run before opening a profile"),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(_) => unreachable!("run before opening the app"),
    }
}

/// A period as `--from` and `--to` (`2026-10-01` or `01/10/2026`), both days included: what
/// `backfill` and `reconcile` take.
#[derive(clap::Args)]
pub struct PeriodArgs {
    /// First day of the period (2026-10-01 or 01/10/2026).
    #[arg(long)]
    from: String,
    /// Last day of the period (a backfill takes only what was created before the activation
    /// date).
    #[arg(long)]
    to: String,
}

impl PeriodArgs {
    fn of(&self, app: &App) -> Result<ponte_core::history::Period, Error> {
        app.period(&self.from, &self.to)
    }
}

/// 0 done; 1 failed; 2 wrong usage (clap's own); 3 not ready; 4 the data directory is in use.
fn exit_code(error: &Error) -> u8 {
    match error {
        Error::NotConnected(_) | Error::Disabled | Error::NoSeller => 3,
        Error::NuvemshopAccessRevoked
        | Error::ContaAzulAccessRevoked
        | Error::NuvemshopSuspended => 3,
        Error::Locked(_) => 4,
        // Never switched on: not ready for what needs the activation date.
        Error::Invalid(problem) if problem.code == ProblemCode::IntegrationDisabled => 3,
        // Not there, as an order or a seller that is not.
        Error::Invalid(problem)
            if matches!(
                problem.code,
                ProblemCode::UnknownProfile | ProblemCode::StoreInAnotherProfile
            ) =>
        {
            1
        }
        Error::Invalid(_) => 2,
        _ => 1,
    }
}

/// The core's own serialisation, pretty-printed: the same fields the window receives.
fn print_json(value: &impl Serialize) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|error| Error::Config(format!("JSON: {error}")))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")?;
    Ok(())
}
