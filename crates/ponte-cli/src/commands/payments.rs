//! `ponte payments [--json] [--suggested | --reset | --set METHOD=TYPE[:parcelas]…]`

use ponte_core::problem::Problem;
use ponte_core::rules::payment::{suggested_mapping, PaymentChoice, PaymentMapping, PaymentMethod};
use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
    /// Each way of paying as its own Conta Azul type, credit card installments kept.
    #[arg(long, group = "change")]
    suggested: bool,
    /// Back to the article's rule: every sale in cash (*Dinheiro*), one installment.
    #[arg(long, group = "change")]
    reset: bool,
    /// METHOD=TYPE, or METHOD=TYPE:parcelas to keep the order's installments. METHOD:
    /// credit_card, debit_card, pix, boleto, transfer, wallet, cash, other; TYPE: a Conta Azul
    /// tipo_pagamento (CARTAO_CREDITO, PIX_PAGAMENTO_INSTANTANEO, BOLETO_BANCARIO…).
    #[arg(long, value_name = "METHOD=TYPE[:parcelas]", group = "change")]
    set: Vec<String>,
}

pub fn run(app: &App, args: Args) -> Result<(), Error> {
    if args.reset {
        app.set_payment_mapping(&PaymentMapping::new())?;
    } else if args.suggested {
        app.set_payment_mapping(&suggested_mapping())?;
    } else if !args.set.is_empty() {
        let mut mapping = app.payment_mapping()?;
        for entry in &args.set {
            let (method, choice) = parse(entry)?;
            mapping.insert(method, choice);
        }
        app.set_payment_mapping(&mapping)?;
    }
    let mapping = app.payment_mapping()?;
    if args.json {
        return super::print_json(&mapping);
    }
    for row in app.payments_view()?.rows {
        println!("{:<24} → {}", row.label, row.becomes());
    }
    Ok(())
}

fn parse(entry: &str) -> Result<(PaymentMethod, PaymentChoice), Error> {
    let invalid = |why: String| Error::Invalid(Problem::unknown_payment_entry(&why));
    let (method, choice) = entry
        .split_once('=')
        .ok_or_else(|| invalid(format!("“{entry}”")))?;
    let method: PaymentMethod =
        serde_json::from_value(serde_json::Value::String(method.trim().to_lowercase()))
            .map_err(|_| invalid(format!("o método “{method}”")))?;
    let (tipo, installments) = match choice.split_once(':') {
        Some((tipo, "parcelas")) => (tipo, true),
        Some((_, other)) => return Err(invalid(format!("“:{other}” (use “:parcelas”)"))),
        None => (choice, false),
    };
    Ok((
        method,
        PaymentChoice {
            tipo_pagamento: tipo.trim().to_uppercase(),
            installments,
        },
    ))
}
