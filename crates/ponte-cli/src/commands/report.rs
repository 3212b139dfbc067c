//! `ponte report ORDER_ID`

use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    /// The Nuvemshop order id.
    order_id: u64,
}

pub fn run(app: &App, args: Args) -> Result<(), Error> {
    println!("{}", app.support_report(args.order_id)?);
    Ok(())
}
