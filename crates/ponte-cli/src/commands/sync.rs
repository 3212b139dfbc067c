//! `ponte sync [--once]`: the core's scheduler, in a terminal.

use std::sync::Arc;

use ponte_core::lock::DataDirLock;
use ponte_core::scheduler::{Scheduler, Turn};
use ponte_core::sync::PassReport;
use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    /// One pass, then exit.
    #[arg(long)]
    once: bool,
}

fn summary(report: &PassReport) -> String {
    format!(
        "Novos pedidos: {}, importados: {}, não importados: {}, para depois: {}.",
        report.new_orders, report.imported, report.failed, report.deferred
    )
}

/// After orders were queued by hand (a backfill, a reconciliation): a pass now, with its
/// progress, when the integration is on and no `ponte sync` is running; otherwise says who
/// will import them.
pub async fn import_now(app: &App) -> Result<(), Error> {
    if !app.settings()?.enabled {
        println!("Serão importados quando a integração for ativada (ponte enable).");
        return Ok(());
    }
    let _lock = match DataDirLock::acquire(&app.config.data_dir) {
        Ok(lock) => lock,
        Err(Error::Locked(_)) => {
            println!("O ponte sync em andamento vai importá-los.");
            return Ok(());
        }
        Err(error) => return Err(error),
    };
    let report = {
        let _progress = super::progress::Progress::show(app);
        app.sync_once().await?
    };
    println!("{}", summary(&report));
    Ok(())
}

pub async fn run(app: App, args: Args) -> Result<(), Error> {
    let _lock = DataDirLock::acquire(&app.config.data_dir)?;
    if args.once {
        println!("{}", summary(&app.sync_once().await?));
        return Ok(());
    }
    let scheduler = Scheduler::new(Arc::new(app));
    let stopper = scheduler.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            // Between two orders, never in the middle of one.
            stopper.stop();
        }
    });
    // Instant import beside the schedule: order webhooks (through the broker) wake it.
    let listening = tokio::spawn(ponte_core::instant::listen(scheduler.clone()));
    let mut not_connected = None;
    scheduler
        .run(|turn| match turn {
            Turn::Pass(Ok(report)) => {
                println!("{}", summary(report));
                true
            }
            Turn::Pass(Err(error)) | Turn::NotReady(error) => {
                let problem = error.problem();
                eprintln!("{} {}", problem.message, problem.hint);
                // Not connected: nothing will change while it runs.
                if let Error::NotConnected(service) = error {
                    not_connected = Some(*service);
                    return false;
                }
                true
            }
        })
        .await;
    listening.abort();
    not_connected.map_or(Ok(()), |service| Err(Error::NotConnected(service)))
}
