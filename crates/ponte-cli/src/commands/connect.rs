//! `ponte connect nuvemshop|contaazul [--no-browser]` · `ponte connect nuvemshop --code CODE`
//!
//! Through the broker, a browser that cannot come back to Ponte on its own leaves the connect
//! waiting for the code its page shows: typed on standard input, a line each.

use std::io::Write;

use clap::ValueEnum;
use ponte_core::error::Service;
use ponte_core::oauth::{Browser, NoBrowser, SystemBrowser};
use ponte_core::{App, Error};

#[derive(Clone, Copy, ValueEnum)]
pub enum Account {
    Nuvemshop,
    Contaazul,
}

#[derive(clap::Args)]
pub struct Args {
    account: Account,
    /// Only print the authorization URL; do not open the browser.
    #[arg(long)]
    no_browser: bool,
    /// Nuvemshop only: the pairing code the broker's page showed after an install started in
    /// the Nuvemshop admin (through the broker only).
    #[arg(long, value_name = "CODE")]
    code: Option<String>,
}

pub async fn run(app: &App, args: Args) -> Result<(), Error> {
    let service = match args.account {
        Account::Nuvemshop => Service::Nuvemshop,
        Account::Contaazul => Service::Contaazul,
    };
    if let Some(code) = &args.code {
        if service != Service::Nuvemshop {
            return Err(Error::Invalid(
                ponte_core::Problem::pairing_code_for_contaazul(),
            ));
        }
        app.connect_with_pairing_code(code).await?;
        println!("Conectado com {}.", service.name());
        return Ok(());
    }
    let browser: &dyn Browser = if args.no_browser {
        &NoBrowser
    } else {
        &BrowserOrLink
    };
    let connecting = app.connect(service, browser, |url| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Open: {url}");
        let _ = out.flush();
    });
    if app.config.broker_url.is_some() {
        eprintln!(
            "Se o navegador não voltar ao Ponte sozinho, digite aqui o código que a página \
             mostrou e tecle Enter."
        );
        tokio::select! {
            connected = connecting => connected?,
            _ = typed_codes(app, service) => {}
        }
    } else {
        connecting.await?;
    }
    println!("Conectado com {}.", service.name());
    Ok(())
}

/// Hands each line typed on standard input to the waiting connect, and says when a code was
/// refused. Never ends on its own: the connect does.
async fn typed_codes(app: &App, service: Service) {
    let (sender, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    // A plain thread, not the runtime's: a read blocked on a terminal must not hold the exit.
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = lines.recv().await {
        let code = line.trim();
        if code.is_empty() {
            continue;
        }
        if let Err(error) = app.enter_return_code(service, code).await {
            let problem = error.problem();
            eprintln!("{} {}", problem.message, problem.hint);
        }
    }
    std::future::pending::<()>().await
}

/// The system browser; where none opens (a server, a remote shell), the printed link is
/// enough: the merchant opens it anywhere and the wait goes on.
struct BrowserOrLink;

impl Browser for BrowserOrLink {
    fn open(&self, url: &str) -> Result<(), Error> {
        if let Err(error) = SystemBrowser.open(url) {
            tracing::warn!(%error, "the browser did not open; the link is printed");
            eprintln!("Não foi possível abrir o navegador: abra o endereço acima para continuar.");
        }
        Ok(())
    }
}
