//! `ponte lgpd [--json] [--folder PATH] [--erase-store]`: the LGPD requests Nuvemshop sent
//! (through the broker) and what Ponte did about each; where data requests are written; the
//! merchant's confirmation of a store data erasure.

use ponte_core::store::LgpdState;
use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    /// The folder where customers' data requests are written (an absolute path).
    #[arg(long, value_name = "PATH")]
    folder: Option<std::path::PathBuf>,
    /// Confirms the erasure of the store's data that Nuvemshop asked for (store/redact).
    #[arg(long)]
    erase_store: bool,
    #[arg(long)]
    json: bool,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    if let Some(folder) = &args.folder {
        app.set_lgpd_folder(Some(folder))?;
    }
    if args.erase_store {
        let erased = app.confirm_store_erasure().await?;
        // With --json, standard output holds the JSON alone.
        if args.json {
            eprintln!("Dados da loja apagados ({erased} pedidos).");
        } else {
            println!("Dados da loja apagados ({erased} pedidos).");
        }
    }
    let requests = app.lgpd_requests()?;
    if args.json {
        return super::print_json(&requests);
    }
    println!(
        "Pasta dos pedidos de dados: {}",
        app.lgpd_folder()?.display()
    );
    if requests.is_empty() {
        println!("Nenhum pedido LGPD recebido.");
    }
    for request in requests {
        let when = ponte_core::time::br_date(ponte_core::time::business_date(request.received_at));
        let state = match request.state {
            LgpdState::AwaitingConfirmation => {
                format!("{} (ponte lgpd --erase-store)", request.state.label())
            }
            other => other.label().to_string(),
        };
        let orders = ponte_core::problem::count(request.orders, "pedido", "pedidos");
        print!("{when}  {}: {orders}, {state}", request.kind.label());
        match request.file {
            Some(file) => println!(" — {file}"),
            None => println!(),
        }
        if let Some(note) = request.note {
            println!("    {note}");
        }
    }
    Ok(())
}
