//! `ponte connect nuvemshop|contaazul [--no-browser]` · `ponte connect nuvemshop --code CODE`

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
            return Err(Error::Invalid(ponte_core::Problem {
                message: "O código de conexão vale só para a Nuvemshop.".into(),
                ..ponte_core::error::ProblemCode::BadRequest.into()
            }));
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
    app.connect(service, browser, |url| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "Open: {url}");
        let _ = out.flush();
    })
    .await?;
    println!("Conectado com {}.", service.name());
    Ok(())
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
