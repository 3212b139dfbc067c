//! `ponte enable [--seller ID]`

use ponte_core::rules::eligibility::BEFORE_ACTIVATION;
use ponte_core::time::{br_date, business_date};
use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    /// The seller whose name the sales carry; the only one when Conta Azul has one.
    #[arg(long)]
    seller: Option<String>,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    match app.enable(args.seller.as_deref()).await {
        Err(Error::NoSeller) => {
            eprintln!("Escolha o vendedor com --seller ID:");
            for seller in app.sellers().await.unwrap_or_default() {
                eprintln!("  {}  {}", seller.id, seller.name);
            }
            Err(Error::NoSeller)
        }
        Err(error) => Err(error),
        Ok(settings) => {
            let activated = settings
                .activated_at
                .map(|at| br_date(business_date(at)))
                .unwrap_or_default();
            println!(
                "{}. Data de ativação: {activated}.",
                ponte_core::problem::integration_label(true)
            );
            println!("{BEFORE_ACTIVATION}");
            Ok(())
        }
    }
}
