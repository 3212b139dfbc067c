//! `ponte settings [--interval MINUTES] [--seller ID] [--json]`: what the window's
//! *Configurações* set, from the command line.

use ponte_core::{App, Error};
use serde::Serialize;

#[derive(clap::Args)]
pub struct Args {
    /// How often to check for paid orders, in minutes (1 to 1440).
    #[arg(long)]
    interval: Option<u64>,
    /// The Conta Azul seller of the sales from now on (R13).
    #[arg(long)]
    seller: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Shown {
    poll_interval_minutes: u64,
    seller: Option<ponte_core::store::Seller>,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    if let Some(minutes) = args.interval {
        app.set_poll_interval_minutes(minutes)
            .map_err(Error::Invalid)?;
    }
    if let Some(seller) = &args.seller {
        app.set_seller(seller).await?;
    }
    let settings = app.settings()?;
    let shown = Shown {
        poll_interval_minutes: settings.poll_interval_minutes(),
        seller: settings.seller,
    };
    if args.json {
        return super::print_json(&shown);
    }
    println!(
        "Intervalo de verificação: {} min",
        shown.poll_interval_minutes
    );
    match shown.seller {
        Some(seller) => println!("Vendedor: {}", seller.name),
        None => println!("Vendedor: nenhum escolhido"),
    }
    Ok(())
}
