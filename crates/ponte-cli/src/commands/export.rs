//! `ponte export --state STATE [--output FILE]`

use std::io::Write;
use std::path::PathBuf;

use ponte_core::store::OrderState;
use ponte_core::{App, Error};

use super::orders::StateArg;

#[derive(clap::Args)]
pub struct Args {
    /// The list: imported (*Vendas importadas*), failed (*Pedidos não importados*), skipped…
    #[arg(long, value_enum)]
    state: StateArg,
    /// The file to write; standard output without it.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub fn run(app: &App, args: Args) -> Result<(), Error> {
    let csv = app.export_csv(OrderState::from(args.state))?;
    match args.output {
        Some(path) => {
            std::fs::write(&path, csv)?;
            println!("{}", path.display());
        }
        None => std::io::stdout().lock().write_all(&csv)?,
    }
    Ok(())
}
