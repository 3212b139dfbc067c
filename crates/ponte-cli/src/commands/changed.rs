//! `ponte changed [--json] [--checked ORDER_ID]`: the imported orders cancelled or refunded in
//! Nuvemshop since, as the periodic check noticed them; `--checked` is the window's *Já
//! conferi*.

use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    /// The merchant looked at this order's sale in Conta Azul: it is no longer listed.
    #[arg(long, value_name = "ORDER_ID")]
    checked: Option<u64>,
    #[arg(long)]
    json: bool,
}

pub fn run(app: &App, args: Args) -> Result<(), Error> {
    if let Some(order_id) = args.checked {
        app.check_changed(order_id)?;
        if !args.json {
            println!("Pedido conferido.");
        }
    }
    let changed = app.changed_orders()?;
    if args.json {
        return super::print_json(&changed);
    }
    if changed.is_empty() {
        println!("Nenhum pedido importado mudou na Nuvemshop.");
    }
    for order in changed {
        println!("#{}  {}", order.number, order.message);
    }
    Ok(())
}
