//! `ponte profiles [--json]` · `ponte profiles add NAME` · `ponte profiles remove NAME
//! [--confirm]`: the stores and companies this computer's Ponte serves.

use ponte_core::app::profiles::{self, ProfileSummary};
use ponte_core::problem::count;
use ponte_core::profiles::ProfileName;
use ponte_core::{Config, Error};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// `[{"name", "default", "store_name", "company_name", "enabled", "imported_today",
    /// "counts", "attention", "attention_message"}]`
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Makes a profile for another store or company; connect its accounts with
    /// `ponte --profile NAME connect nuvemshop` and `… connect contaazul`.
    Add { name: String },
    /// Removes a profile from this computer (its ledger, settings and access); nothing in the
    /// store or the company is touched. Without --confirm, says what would be removed.
    Remove {
        name: String,
        #[arg(long)]
        confirm: bool,
    },
}

fn name(typed: &str) -> Result<ProfileName, Error> {
    ProfileName::parse(typed).map_err(Error::Invalid)
}

pub async fn run(config: Config, args: Args) -> Result<(), Error> {
    match args.action {
        None => {
            let overview = profiles::overview(&config)?;
            if args.json {
                return super::print_json(&overview);
            }
            for summary in &overview {
                println!("{}", line(summary));
            }
            Ok(())
        }
        Some(Action::Add { name: typed }) => {
            let name = name(&typed)?;
            let existed = ponte_core::profiles::exists(&config.base_dir, &name);
            profiles::add(&config, &name)?;
            if existed {
                println!("O perfil {name} já existe.");
            } else {
                println!("Perfil {name} criado.");
            }
            println!(
                "Conecte as contas dele com: ponte --profile {name} connect nuvemshop, e \
                 ponte --profile {name} connect contaazul"
            );
            Ok(())
        }
        Some(Action::Remove {
            name: typed,
            confirm,
        }) => {
            let name = name(&typed)?;
            if name.is_default() {
                // Refused with its reason before anything is opened.
                return ponte_core::profiles::remove(&config.base_dir, &name);
            }
            ponte_core::profiles::must_exist(&config.base_dir, &name)?;
            let summary = profiles::add(&config, &name)?.summary()?;
            let notice = profiles::removal_notice(&summary);
            if !confirm {
                println!("{notice}");
                println!("Para remover, repita com --confirm.");
                return Ok(());
            }
            profiles::remove(&config, &name).await?;
            println!(
                "Perfil {name} removido deste computador. {}",
                profiles::what_removal_keeps(&summary)
            );
            Ok(())
        }
    }
}

fn line(summary: &ProfileSummary) -> String {
    let store = summary
        .store_name
        .as_deref()
        .unwrap_or("loja não conectada");
    let company = summary
        .company_name
        .as_deref()
        .unwrap_or("Conta Azul não conectada");
    let mut line = format!(
        "{}: {store} → {company} · {} · {} hoje · {}",
        summary.name,
        ponte_core::problem::integration_label(summary.enabled),
        count(
            summary.imported_today,
            "venda importada",
            "vendas importadas"
        ),
        count(
            summary.counts.failed,
            "pedido não importado",
            "pedidos não importados"
        ),
    );
    if let Some(message) = &summary.attention_message {
        line.push_str(&format!(" · {message}"));
    }
    line
}
