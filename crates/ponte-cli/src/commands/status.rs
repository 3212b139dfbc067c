//! `ponte status [--json]`

use ponte_core::time::{br_date, business_date};
use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), Error> {
    let status = app.status()?;
    if args.json {
        return super::print_json(&status);
    }
    println!("{}", status.label);
    if let Some(reason) = &status.disabled_reason {
        println!("{} {}", reason.message, reason.hint);
    }
    println!("{}", status.instant.message);
    if status.store_erasure_requested {
        println!(
            "A Nuvemshop pediu a exclusão dos dados desta loja (LGPD): confirme com \
             ponte lgpd --erase-store."
        );
    }
    let yes_no = |b: bool| if b { "conectada" } else { "não conectada" };
    println!("Nuvemshop: {}", yes_no(status.nuvemshop.connected));
    println!("Conta Azul: {}", yes_no(status.contaazul.connected));
    if let Some(at) = status.activated_at {
        println!("Data de ativação: {}", br_date(business_date(at)));
    }
    if let Some(seller) = &status.seller {
        println!("Vendedor: {}", seller.name);
    }
    let c = &status.counts;
    println!(
        "Importados: {}  Não importados: {}  Na fila: {}  Ignorados: {}",
        c.imported,
        c.failed,
        c.queued + c.importing,
        c.skipped
    );
    if !status.changed_after_import.is_empty() {
        println!(
            "Mudaram na Nuvemshop depois de importados: {} (ponte changed)",
            status.changed_after_import.len()
        );
    }
    Ok(())
}
