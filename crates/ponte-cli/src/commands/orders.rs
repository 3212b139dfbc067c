//! `ponte orders [--json] [--state STATE] [--search TEXT]`

use ponte_core::app::OrderFilter;
use ponte_core::money::brl;
use ponte_core::store::OrderState;
use ponte_core::{App, Error};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum StateArg {
    Queued,
    Importing,
    Imported,
    Failed,
    Skipped,
}

impl From<StateArg> for OrderState {
    fn from(arg: StateArg) -> Self {
        match arg {
            StateArg::Queued => OrderState::Queued,
            StateArg::Importing => OrderState::Importing,
            StateArg::Imported => OrderState::Imported,
            StateArg::Failed => OrderState::Failed,
            StateArg::Skipped => OrderState::Skipped,
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum)]
    state: Option<StateArg>,
    /// The order number, the customer's name or the Conta Azul sale number.
    #[arg(long)]
    search: Option<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), Error> {
    let filter = OrderFilter {
        state: args.state.map(OrderState::from),
        search: args.search,
    };
    let mut orders = Vec::new();
    for page in 0.. {
        let found = app.orders_page(&filter, page, 500)?;
        let done = found.items.len() < 500;
        orders.extend(found.items);
        if done {
            break;
        }
    }
    if args.json {
        return super::print_json(&orders);
    }
    for o in orders {
        let detail = o
            .error
            .as_ref()
            .map(|p| format!("{} {}", p.message, p.hint))
            .or(o.skip_reason.clone())
            .or(o.sale_number.map(|n| format!("venda {n} na Conta Azul")))
            .unwrap_or_default();
        let total = o
            .total
            .as_deref()
            .and_then(|t| t.parse().ok())
            .map(brl)
            .unwrap_or_default();
        println!("#{}  {}  {}  {}", o.number, o.state.as_str(), total, detail);
    }
    Ok(())
}
