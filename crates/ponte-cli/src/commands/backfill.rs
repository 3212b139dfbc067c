//! `ponte backfill --from DATE --to DATE [--confirm] [--json]`: the orders of a period before
//! the activation date, previewed, then imported only with `--confirm`.

use ponte_core::history::BackfillPreview;
use ponte_core::money::brl;
use ponte_core::problem::count;
use ponte_core::time::{br_date, business_date};
use ponte_core::{App, Error};

use super::progress::Progress;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    period: super::PeriodArgs,
    /// Import them: queue the orders (recording those Conta Azul already has) and, while the
    /// integration is on, run a pass with its progress.
    #[arg(long)]
    confirm: bool,
    /// The preview (or what was queued) as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    let period = args.period.of(app)?;
    if !args.confirm {
        let preview = {
            let _progress = (!args.json).then(|| Progress::show(app));
            app.backfill_preview(&period).await?
        };
        if args.json {
            return super::print_json(&preview);
        }
        print_preview(&preview);
        return Ok(());
    }
    let planned = {
        let _progress = (!args.json).then(|| Progress::show(app));
        app.backfill(&period).await?
    };
    super::sync::import_planned(app, planned, args.json).await
}

/// Up to ten names, then how many more.
fn names(list: &[String]) -> String {
    let mut shown = list.iter().take(10).cloned().collect::<Vec<_>>().join(", ");
    if list.len() > 10 {
        shown.push_str(&format!(" e mais {}", list.len() - 10));
    }
    shown
}

fn print_preview(preview: &BackfillPreview) {
    let total = preview.total.parse().map(brl).unwrap_or_default();
    println!(
        "Pedidos pagos de {} a {} (antes da ativação):",
        br_date(preview.period.from),
        // `until` is exclusive: the last day taken is the one before it.
        br_date(business_date(preview.until - chrono::Duration::seconds(1)))
    );
    println!(
        "  {} a importar, total {}",
        count(preview.orders.len() as u64, "pedido", "pedidos"),
        total
    );
    for (label, list) in [
        ("Clientes novos", &preview.new_customers),
        ("Clientes reutilizados", &preview.reused_customers),
        ("Produtos novos", &preview.new_products),
        ("Produtos reutilizados", &preview.reused_products),
    ] {
        if !list.is_empty() {
            println!("  {label} ({}): {}", list.len(), names(list));
        }
    }
    if preview.already_in_ponte > 0 {
        println!(
            "  Já no Ponte: {}",
            count(preview.already_in_ponte as u64, "pedido", "pedidos")
        );
    }
    for order in &preview.already_in_contaazul {
        println!(
            "  Pedido #{}: a venda {} já está na Conta Azul (será só registrada)",
            order.number,
            order.sale_number.unwrap_or_default()
        );
    }
    for order in &preview.not_imported {
        println!(
            "  Pedido #{} não será importado: {}",
            order.number, order.reason
        );
    }
    if preview.would_fail > 0 {
        println!(
            "  {} com problema: {} importados e {} em Não importados, com o que fazer",
            count(preview.would_fail as u64, "pedido", "pedidos"),
            if preview.would_fail == 1 {
                "será"
            } else {
                "serão"
            },
            if preview.would_fail == 1 {
                "ficará"
            } else {
                "ficarão"
            },
        );
    }
    if preview.orders.is_empty() {
        println!("Nada a importar neste período.");
    } else {
        println!("Para importar, rode de novo com --confirm.");
    }
}
