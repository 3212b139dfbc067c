//! `ponte sync [--once]`: the core's scheduler, in a terminal.

use ponte_core::problem::count;
use std::sync::Arc;

use ponte_core::lock::DataDirLock;
use ponte_core::scheduler::{Scheduler, Turn};
use ponte_core::store::Planned;
use ponte_core::sync::PassReport;
use ponte_core::{App, Error};

#[derive(clap::Args)]
pub struct Args {
    /// One pass, then exit.
    #[arg(long)]
    once: bool,
}

fn summary(report: &PassReport) -> String {
    let mut text = format!(
        "Novos pedidos: {}, importados: {}, não importados: {}, para depois: {}.",
        report.new_orders, report.imported, report.failed, report.deferred
    );
    if report.changed_after_import > 0 {
        text.push_str(&format!(
            " Mudaram na Nuvemshop depois de importados: {} (ponte changed).",
            report.changed_after_import
        ));
    }
    text
}

/// After orders were queued by hand (a backfill, a reconciliation): what was queued, then a
/// pass now, with its progress on stderr, when the integration is on and no `ponte sync` is
/// running; otherwise who will import them. `--json` prints what was queued only.
pub async fn import_planned(app: &App, planned: Planned, json: bool) -> Result<(), Error> {
    let say = |text: &str| {
        if !json {
            println!("{text}");
        }
    };
    say(&format!(
        "{} na fila; {} já na Conta Azul, só {}.",
        count(planned.queued as u64, "pedido", "pedidos"),
        planned.recorded,
        if planned.recorded == 1 {
            "registrado"
        } else {
            "registrados"
        }
    ));
    if planned.queued > 0 {
        if !app.settings()?.enabled {
            say("Serão importados quando a integração for ativada (ponte enable).");
        } else {
            match DataDirLock::acquire(&app.config.data_dir) {
                Ok(_lock) => {
                    let report = {
                        let _progress = super::progress::Progress::show(app);
                        app.sync_once().await?
                    };
                    say(&summary(&report));
                }
                Err(Error::Locked(_)) => say("O ponte sync em andamento vai importá-los."),
                Err(error) => return Err(error),
            }
        }
    }
    if json {
        super::print_json(&planned)?;
    }
    Ok(())
}

pub async fn run(app: App, args: Args) -> Result<(), Error> {
    let _lock = DataDirLock::acquire(&app.config.data_dir)?;
    if args.once {
        println!("{}", summary(&app.sync_once().await?));
        return Ok(());
    }
    // Not ready now (switched off, an account not connected, no seller): said at once, as
    // `--once` does, rather than waiting for a change nobody is going to make here.
    app.ready()?;
    let scheduler = Scheduler::new(Arc::new(app));
    let stopper = scheduler.clone();
    tokio::spawn(async move {
        stop_requested().await;
        // Between two orders, never in the middle of one.
        stopper.stop();
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

/// Ctrl+C; on Windows also the console window being closed, a logoff or a shutdown (Windows
/// gives a few seconds: enough to finish the order being imported).
async fn stop_requested() {
    #[cfg(windows)]
    {
        use tokio::signal::windows::{ctrl_close, ctrl_logoff, ctrl_shutdown};
        if let (Ok(mut close), Ok(mut logoff), Ok(mut shutdown)) =
            (ctrl_close(), ctrl_logoff(), ctrl_shutdown())
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = close.recv() => {}
                _ = logoff.recv() => {}
                _ = shutdown.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
