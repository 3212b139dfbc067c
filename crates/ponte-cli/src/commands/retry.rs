//! `ponte retry ORDER_ID` · `ponte retry --failed`

use ponte_core::{App, Error};

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct Args {
    /// The Nuvemshop order id.
    order_id: Option<u64>,
    /// Every failed order.
    #[arg(long)]
    failed: bool,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    match args.order_id {
        Some(order_id) => {
            app.retry(order_id).await?;
            println!("Pedido de volta à fila.");
        }
        None => {
            let count = app.retry_all_failed().await?;
            println!(
                "{} de volta à fila.",
                ponte_core::problem::count(count as u64, "pedido", "pedidos")
            );
        }
    }
    Ok(())
}
