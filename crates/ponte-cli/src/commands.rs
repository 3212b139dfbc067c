//! The commands over `ponte_core::App`.

use std::io::Write;
use std::process::ExitCode;

use ponte_core::error::Service;
use ponte_core::lock::DataDirLock;
use ponte_core::oauth::{Browser, NoBrowser, SystemBrowser};
use ponte_core::store::OrderState;
use ponte_core::{App, Config, Error};
use serde_json::json;

use crate::{Account, Command, StateArg};

pub async fn run(command: Command) -> ExitCode {
    let result = match Config::from_env().and_then(App::open) {
        Ok(app) => execute(&app, command).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let problem = error.problem();
            tracing::error!(%error, "command failed");
            eprintln!("{}\n{}", problem.message, problem.hint);
            ExitCode::from(exit_code(&error))
        }
    }
}

fn exit_code(error: &Error) -> u8 {
    match error {
        Error::NotConnected(_) | Error::Disabled | Error::NoSeller => 3,
        Error::NuvemshopAccessRevoked | Error::ContaAzulAccessRevoked => 3,
        Error::Locked(_) => 4,
        _ => 1,
    }
}

fn state(arg: StateArg) -> OrderState {
    match arg {
        StateArg::Queued => OrderState::Queued,
        StateArg::Importing => OrderState::Importing,
        StateArg::Imported => OrderState::Imported,
        StateArg::Failed => OrderState::Failed,
        StateArg::Skipped => OrderState::Skipped,
    }
}

fn print_json(value: &serde_json::Value) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    )?;
    Ok(())
}

async fn execute(app: &App, command: Command) -> Result<(), Error> {
    match command {
        Command::Connect {
            account,
            no_browser,
        } => {
            let service = match account {
                Account::Nuvemshop => Service::Nuvemshop,
                Account::Contaazul => Service::Contaazul,
            };
            let browser: &dyn Browser = if no_browser {
                &NoBrowser
            } else {
                &SystemBrowser
            };
            app.connect(service, browser, |url| {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "Open: {url}");
                let _ = out.flush();
            })
            .await?;
            println!("Conectado com {}.", service.name());
        }
        Command::Sellers { json } => {
            let sellers = app.sellers().await?;
            if json {
                print_json(&json!(sellers
                    .iter()
                    .map(|s| json!({ "id": s.id, "name": s.name }))
                    .collect::<Vec<_>>()))?;
            } else {
                for seller in sellers {
                    println!("{}  {}", seller.id, seller.name);
                }
            }
        }
        Command::Enable { seller } => match app.enable(seller.as_deref()).await {
            Err(Error::NoSeller) => {
                let sellers = app.sellers().await.unwrap_or_default();
                eprintln!("Escolha o vendedor com --seller ID:");
                for seller in sellers {
                    eprintln!("  {}  {}", seller.id, seller.name);
                }
                return Err(Error::NoSeller);
            }
            Err(error) => return Err(error),
            Ok(settings) => {
                let activated = settings
                    .activated_at
                    .map(|at| ponte_core::time::br_date(ponte_core::time::business_date(at)))
                    .unwrap_or_default();
                println!("Integração ativada. Data de ativação: {activated}.");
                println!(
                        "Vendas realizadas antes da data de ativação devem ser lançadas manualmente na Conta Azul."
                    );
            }
        },
        Command::Disable => {
            app.disable()?;
            println!("Integração desativada.");
        }
        Command::Sync { once } => {
            let _lock = DataDirLock::acquire(&app.config.data_dir)?;
            if once {
                let report = app.sync_once().await?;
                println!(
                    "Novos pedidos: {}, importados: {}, não importados: {}, para depois: {}.",
                    report.new_orders, report.imported, report.failed, report.deferred
                );
            } else {
                loop {
                    match app.sync_once().await {
                        Ok(report) => println!(
                            "Novos pedidos: {}, importados: {}, não importados: {}.",
                            report.new_orders, report.imported, report.failed
                        ),
                        Err(error) => {
                            let problem = error.problem();
                            eprintln!("{} {}", problem.message, problem.hint);
                            if matches!(error, Error::NotConnected(_) | Error::Locked(_)) {
                                return Err(error);
                            }
                        }
                    }
                    let interval = app.settings()?.poll_interval();
                    tokio::select! {
                        _ = tokio::time::sleep(interval) => {}
                        _ = tokio::signal::ctrl_c() => break,
                    }
                }
            }
        }
        Command::Status { json } => {
            let status = app.status()?;
            if json {
                let value = json!({
                    "enabled": status.enabled,
                    "activated_at": status.activated_at.map(|t| t.to_rfc3339()),
                    "disabled_reason": status.disabled_reason.map(|p| json!({ "code": p.code, "message": p.message, "hint": p.hint })),
                    "nuvemshop": { "connected": status.nuvemshop.connected, "store_id": status.nuvemshop.store_id },
                    "contaazul": { "connected": status.contaazul.connected },
                    "seller": status.seller.map(|s| json!({ "id": s.id, "name": s.name })),
                    "counts": status.counts,
                    "last_sync_at": status.last_sync_at.map(|t| t.to_rfc3339()),
                });
                print_json(&value)?;
            } else {
                println!(
                    "{}",
                    if status.enabled {
                        "Integração ativada"
                    } else {
                        "Integração desativada"
                    }
                );
                if let Some(reason) = status.disabled_reason {
                    println!("{} {}", reason.message, reason.hint);
                }
                let yes_no = |b: bool| if b { "conectada" } else { "não conectada" };
                println!("Nuvemshop: {}", yes_no(status.nuvemshop.connected));
                println!("Conta Azul: {}", yes_no(status.contaazul.connected));
                if let Some(at) = status.activated_at {
                    println!(
                        "Data de ativação: {}",
                        ponte_core::time::br_date(ponte_core::time::business_date(at))
                    );
                }
                if let Some(seller) = status.seller {
                    println!("Vendedor: {}", seller.name);
                }
                let c = status.counts;
                println!(
                    "Importados: {}  Não importados: {}  Na fila: {}  Ignorados: {}",
                    c.imported,
                    c.failed,
                    c.queued + c.importing,
                    c.skipped
                );
            }
        }
        Command::Orders {
            json,
            state: filter,
        } => {
            let orders = app.orders(filter.map(state), None, u32::MAX, 0)?;
            if json {
                let list: Vec<serde_json::Value> = orders
                    .iter()
                    .map(|o| {
                        json!({
                            "order_id": o.order_id,
                            "number": o.number,
                            "state": o.state.as_str(),
                            "sale_id": o.sale_id,
                            "sale_number": o.sale_number,
                            "error": o.error.as_ref().map(|p| json!({ "code": p.code, "message": p.message, "hint": p.hint })),
                            "skip_reason": o.skip_reason,
                        })
                    })
                    .collect();
                print_json(&json!(list))?;
            } else {
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
                        .map(ponte_core::money::brl)
                        .unwrap_or_default();
                    println!("#{}  {}  {}  {}", o.number, o.state.as_str(), total, detail);
                }
            }
        }
        Command::Retry { order_id, failed } => {
            if failed {
                let count = app.retry_all_failed().await?;
                println!("{count} pedido(s) de volta à fila.");
            } else if let Some(order_id) = order_id {
                app.retry(order_id).await?;
                println!("Pedido de volta à fila.");
            } else {
                return Err(Error::NotFound("informe o ID do pedido ou --failed".into()));
            }
        }
        Command::Report { order_id } => {
            println!("{}", app.support_report(order_id)?);
        }
        Command::Sandbox(_) => unreachable!("handled in main"),
    }
    Ok(())
}
