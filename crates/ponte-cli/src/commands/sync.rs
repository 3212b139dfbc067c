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
