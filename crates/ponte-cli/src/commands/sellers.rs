//! `ponte sellers [--json]`

use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    let sellers = app.sellers().await?;
    if args.json {
        return super::print_json(&sellers);
    }
    for seller in sellers {
        println!("{}  {}", seller.id, seller.name);
    }
    Ok(())
}
