//! The progress of a long import on stderr: one line rewritten in a terminal, a line every
//! tenth of the way otherwise (a log, a pipe).

use ponte_core::problem::count;
use std::io::{IsTerminal, Write};

use ponte_core::sync::Event;
use ponte_core::App;

/// Prints the pass's progress until dropped.
pub struct Progress(tokio::task::JoinHandle<()>);

impl Progress {
    pub fn show(app: &App) -> Progress {
        let mut events = app.subscribe();
        let terminal = std::io::stderr().is_terminal();
        Progress(tokio::spawn(async move {
            let mut shown_tenth = None;
            while let Ok(event) = events.recv().await {
                let line = match event {
                    Event::OrdersListed { count } => format!("Pedidos lidos da Nuvemshop: {count}"),
                    Event::Progress { done, total } => {
                        let tenth = done * 10 / total.max(1);
                        if !terminal && shown_tenth == Some(tenth) && done < total {
                            continue;
                        }
                        shown_tenth = Some(tenth);
                        format!(
                            "Importando: {done} de {}",
                            count(total as u64, "pedido", "pedidos")
                        )
                    }
                    _ => continue,
                };
                let mut err = std::io::stderr().lock();
                if terminal {
                    let _ = write!(err, "\r\x1b[2K{line}");
                } else {
                    let _ = writeln!(err, "{line}");
                }
            }
        }))
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.abort();
        if std::io::stderr().is_terminal() {
            let _ = writeln!(std::io::stderr());
        }
    }
}
