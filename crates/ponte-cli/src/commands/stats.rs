//! `ponte stats [--days N] [--json]`

use ponte_core::time::br_date;
use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    /// How many days back, today included.
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=366))]
    days: u32,
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), Error> {
    let days = app.imported_per_day(args.days)?;
    if args.json {
        return super::print_json(&days);
    }
    for day in days {
        println!(
            "{}  {:>5} {}",
            br_date(day.date),
            day.count,
            if day.count == 1 {
                "venda importada"
            } else {
                "vendas importadas"
            }
        );
    }
    Ok(())
}
