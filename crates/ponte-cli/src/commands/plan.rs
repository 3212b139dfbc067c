//! `ponte plan ORDER_ID [--json]`: what importing a waiting order would do, and why.

use ponte_core::history::Action;
use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    /// The Nuvemshop order id of a queued or failed order.
    order_id: u64,
    #[arg(long)]
    json: bool,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    let plan = app.order_plan(args.order_id).await?;
    if args.json {
        return super::print_json(&plan);
    }
    println!("Pedido #{}:", plan.number);
    if let Some(problem) = &plan.problem {
        println!("  Não pode ser importado como está: {problem}");
    }
    for choice in plan.customer.iter().chain(&plan.products) {
        let mark = match choice.action {
            Action::Reuse => "=",
            Action::Create => "+",
            Action::Problem => "!",
        };
        println!("  {mark} {} — {}", choice.name, choice.why);
    }
    Ok(())
}
