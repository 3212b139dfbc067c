//! `ponte settings [--interval MINUTES] [--seller ID] [--match-by-sku on|off]
//! [--owner-note on|off] [--json]`: what the window's *Configurações* set, from the command
//! line.

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
    /// Match products by SKU first (R10 beyond; off by default).
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    match_by_sku: Option<bool>,
    /// Write the sale's number into the Nuvemshop order's private note (needs write_orders).
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    owner_note: Option<bool>,
    #[arg(long)]
    json: bool,
}

fn on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err("use on ou off".into()),
    }
}

#[derive(Serialize)]
struct Shown {
    poll_interval_minutes: u64,
    seller: Option<ponte_core::store::Seller>,
    match_by_sku: bool,
    write_owner_note: bool,
    owner_note_problem: Option<String>,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    if let Some(minutes) = args.interval {
        app.set_poll_interval_minutes(minutes)
            .map_err(Error::Invalid)?;
    }
    if let Some(seller) = &args.seller {
        app.set_seller(seller).await?;
    }
    if let Some(on) = args.match_by_sku {
        app.set_match_by_sku(on)?;
    }
    if let Some(on) = args.owner_note {
        app.set_write_owner_note(on)?;
    }
    let settings = app.settings()?;
    let shown = Shown {
        poll_interval_minutes: settings.poll_interval_minutes(),
        seller: settings.seller,
        match_by_sku: settings.options.match_by_sku,
        write_owner_note: settings.options.write_owner_note,
        owner_note_problem: settings.options.owner_note_problem,
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
    let yes_no = |on: bool| if on { "sim" } else { "não" };
    println!("Produtos pelo SKU: {}", yes_no(shown.match_by_sku));
    println!(
        "Número da venda na nota do pedido: {}",
        yes_no(shown.write_owner_note)
    );
    if let Some(problem) = &shown.owner_note_problem {
        println!("  {problem}");
    }
    Ok(())
}
