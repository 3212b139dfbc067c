//! `ponte doctor [--json]`

use ponte_core::doctor::Verdict;
use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    let diagnosis = app.doctor().await?;
    if args.json {
        return super::print_json(&diagnosis);
    }
    for check in &diagnosis.checks {
        let mark = match check.verdict {
            Verdict::Holds => "✓",
            Verdict::DoesNotHold => "✗",
            Verdict::CouldNotTell => "?",
        };
        println!(
            "{mark} {} · {} — {}",
            check.service.name(),
            check.verdict.label(),
            check.id
        );
        println!("  O Ponte supõe: {}", check.assumption);
        println!("  Resposta: {}", check.answer);
        println!("  O que o Ponte faz: {}", check.consequence);
    }
    Ok(())
}
