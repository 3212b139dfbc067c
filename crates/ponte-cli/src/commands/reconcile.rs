//! `ponte reconcile --from DATE --to DATE [--json] [--import ORDER_ID…]`: a period's paid
//! orders against the sales in Conta Azul; `--import` brings the missing ones in.

use ponte_core::money::brl;
use ponte_core::{App, Error};

use super::progress::Progress;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    period: super::PeriodArgs,
    /// Imports these missing orders (Nuvemshop order ids), queued or, when Conta Azul already
    /// has their sale, recorded.
    #[arg(long = "import", value_name = "ORDER_ID", num_args = 1..)]
    import: Vec<u64>,
    /// Imports every missing order of the period.
    #[arg(long, conflicts_with = "import")]
    import_missing: bool,
    #[arg(long)]
    json: bool,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    let period = args.period.of(app)?;
    let mut ids = args.import.clone();
    if ids.is_empty() {
        let report = {
            let _progress = (!args.json).then(|| Progress::show(app));
            app.reconcile(&period).await?
        };
        if !args.import_missing {
            if args.json {
                return super::print_json(&report);
            }
            print_report(&report);
            return Ok(());
        }
        ids = report.missing.iter().map(|order| order.order_id).collect();
    }
    let planned = app.import_missing(&period, &ids).await?;
    super::sync::import_planned(app, planned, args.json).await
}

fn print_report(report: &ponte_core::history::Reconciliation) {
    println!("Conciliação de {}:", report.period.label());
    println!(
        "  Pedidos pagos na Nuvemshop: {} · com venda na Conta Azul: {} · a caminho: {}",
        report.paid, report.matched, report.on_the_way
    );
    if report.missing.is_empty() {
        println!("  Nenhum pedido pago faltando na Conta Azul.");
    } else {
        println!("  Faltando na Conta Azul ({}):", report.missing.len());
        for order in &report.missing {
            let total = order
                .total
                .as_deref()
                .and_then(|total| total.parse().ok())
                .map(brl)
                .unwrap_or_default();
            println!(
                "    #{} {} {} — {}",
                order.number,
                order.customer_name.as_deref().unwrap_or(""),
                total,
                order.reason
            );
        }
        println!("  Para importá-los: --import ORDER_ID… ou --import-missing.");
    }
    if !report.flagged.is_empty() {
        println!("  Para conferir ({}):", report.flagged.len());
        for order in &report.flagged {
            println!("    #{} — {}", order.number, order.message);
        }
    }
}
