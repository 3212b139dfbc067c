//! The commands the window calls: each a few lines over `ponte_core::App`. Errors cross as
//! `{code, message, hint, details}`, never as a bare string.

use ponte_core::app::Status;
use ponte_core::error::{Problem, ProblemCode, Service};
use ponte_core::oauth::Browser;
use ponte_core::store::{LedgerOrder, OrderState, Seller};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use crate::runner::Schedule;
use crate::Shell;

type Answer<T> = Result<T, Problem>;

fn problem(error: ponte_core::Error) -> Problem {
    tracing::warn!(%error, "command failed");
    error.problem()
}

#[derive(Serialize)]
pub struct Overview {
    status: Status,
    poll_interval_minutes: u64,
    schedule: Schedule,
    demo: bool,
}

#[tauri::command]
pub fn overview(shell: State<'_, Shell>) -> Answer<Overview> {
    let settings = shell.app.settings().map_err(problem)?;
    Ok(Overview {
        status: shell.app.status().map_err(problem)?,
        poll_interval_minutes: settings.poll_interval().as_secs().div_ceil(60),
        schedule: shell.runner.schedule(),
        demo: shell.demo.is_some(),
    })
}

fn service(name: &str) -> Answer<Service> {
    match name {
        "nuvemshop" => Ok(Service::Nuvemshop),
        "contaazul" => Ok(Service::Contaazul),
        other => Err(Problem::unknown_account(other)),
    }
}

/// Opens the system browser; when it cannot, the window still shows the link to open by hand.
struct WindowBrowser;

impl Browser for WindowBrowser {
    fn open(&self, url: &str) -> ponte_core::error::Result<()> {
        if std::env::var("PONTE_BROWSER").is_ok_and(|v| v == "none") {
            return Ok(());
        }
        if let Err(error) = ponte_core::oauth::SystemBrowser.open(url) {
            tracing::warn!(%error, "the browser did not open; the link is on screen");
        }
        Ok(())
    }
}

#[derive(Clone, Serialize)]
struct AuthorizeUrl {
    service: String,
    url: String,
}

#[tauri::command]
pub async fn connect(handle: AppHandle, shell: State<'_, Shell>, account: String) -> Answer<()> {
    let service = service(&account)?;
    shell
        .app
        .connect(service, &WindowBrowser, |url| {
            let _ = handle.emit(
                "ponte://authorize-url",
                AuthorizeUrl {
                    service: account.clone(),
                    url: url.to_string(),
                },
            );
        })
        .await
        .map_err(problem)?;
    // After *Refazer a integração*, switch back on if it had been on.
    let status = shell.app.status().map_err(problem)?;
    if status.activated_at.is_some()
        && status.disabled_reason.is_some()
        && status.nuvemshop.connected
        && status.contaazul.connected
    {
        shell.app.enable(None).await.map_err(problem)?;
        shell.runner.sync_now();
    }
    Ok(())
}

#[tauri::command]
pub async fn disconnect(shell: State<'_, Shell>, account: String) -> Answer<()> {
    shell
        .app
        .disconnect(service(&account)?)
        .await
        .map_err(problem)
}

#[tauri::command]
pub async fn sellers(shell: State<'_, Shell>) -> Answer<Vec<Seller>> {
    shell.app.sellers().await.map_err(problem)
}

#[tauri::command]
pub async fn activate(shell: State<'_, Shell>, seller_id: String) -> Answer<()> {
    shell.app.enable(Some(&seller_id)).await.map_err(problem)?;
    shell.runner.sync_now();
    Ok(())
}

#[tauri::command]
pub async fn set_enabled(shell: State<'_, Shell>, enabled: bool) -> Answer<()> {
    if enabled {
        shell.app.enable(None).await.map_err(problem)?;
        shell.runner.sync_now();
    } else {
        shell.app.disable().map_err(problem)?;
    }
    Ok(())
}

#[tauri::command]
pub async fn set_seller(shell: State<'_, Shell>, seller_id: String) -> Answer<Seller> {
    shell.app.set_seller(&seller_id).await.map_err(problem)
}

#[tauri::command]
pub fn set_poll_interval(shell: State<'_, Shell>, minutes: u64) -> Answer<()> {
    if !(1..=1440).contains(&minutes) {
        return Err(Problem::of(ProblemCode::BadInterval));
    }
    shell
        .app
        .set_poll_interval(std::time::Duration::from_secs(minutes * 60))
        .map_err(problem)?;
    shell.runner.sync_now();
    Ok(())
}

#[tauri::command]
pub fn sync_now(shell: State<'_, Shell>) {
    shell.runner.sync_now();
}

#[derive(Serialize)]
pub struct OrdersPage {
    items: Vec<LedgerOrder>,
    total: u64,
}

#[tauri::command]
pub fn orders(
    shell: State<'_, Shell>,
    state: Option<String>,
    search: Option<String>,
    page: u32,
    page_size: u32,
) -> Answer<OrdersPage> {
    let state = state.as_deref().and_then(OrderState::parse);
    let search = search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let page_size = page_size.clamp(1, 200);
    let store = shell.app.store();
    Ok(OrdersPage {
        items: store
            .list(state, search, page_size, page.saturating_mul(page_size))
            .map_err(problem)?,
        total: store.count_matching(state, search).map_err(problem)?,
    })
}

#[tauri::command]
pub async fn retry_order(shell: State<'_, Shell>, order_id: u64) -> Answer<()> {
    shell.app.retry(order_id).await.map_err(problem)?;
    shell.runner.sync_now();
    Ok(())
}

#[tauri::command]
pub fn support_report(shell: State<'_, Shell>, order_id: u64) -> Answer<String> {
    shell.app.support_report(order_id).map_err(problem)
}
