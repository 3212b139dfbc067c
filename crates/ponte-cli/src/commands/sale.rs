//! `ponte sale ORDER_ID [--output FILE]`: an imported order's sale as Conta Azul prints it.

use std::path::PathBuf;

use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    /// The Nuvemshop order id of an imported order.
    order_id: u64,
    /// Where to write the PDF (by default `ponte-venda-N.pdf` in the Downloads folder).
    #[arg(long)]
    output: Option<PathBuf>,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    let path = app
        .save_sale_pdf(args.order_id, args.output.as_deref())
        .await?;
    println!("{}", path.display());
    Ok(())
}
