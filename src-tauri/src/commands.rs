//! The commands the window calls, every one of them in this module and registered from the
//! list in [`handler`]: each a few lines over `ponte_core::App`. Errors cross as
//! `{code, message, hint, details}`, never as a bare string.

use ponte_core::app::profiles::ProfileSummary;
use ponte_core::app::{OrderFilter, OrdersPage, Status};
use ponte_core::error::{Problem, Service};
use ponte_core::oauth::Browser;
use ponte_core::profiles::ProfileName;
use ponte_core::rules::payment::PaymentMapping;
use ponte_core::store::{OrderState, Seller};
use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use crate::runner::Schedule;
use crate::Shell;

type Answer<T> = Result<T, Problem>;

/// The window's whole interface.
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        overview,
        show_profile,
        add_store,
        store_removal,
        remove_store,
        connect,
        cancel_connect,
        connect_with_pairing_code,
        enter_return_code,
        disconnect,
        sellers,
        activate,
        set_enabled,
        set_seller,
        set_poll_interval,
        sync_now,
        orders,
        retry_order,
        retry_all_failed,
        check_changed,
        support_report,
        order_plan,
        backfill_preview,
        backfill,
        backfills,
        reconcile,
        import_missing,
        export_csv,
        imported_per_day,
        open_in_store,
        open_sale,
        payments,
        set_payments,
        options,
        set_options,
        lgpd,
        choose_lgpd_folder,
        confirm_store_erasure,
        diagnosis,
        run_doctor,
        about,
        set_autostart,
        check_update,
        install_update,
    ]
}

fn problem(error: ponte_core::Error) -> Problem {
    tracing::warn!(%error, "command failed");
    error.problem()
}

#[derive(Serialize, ts_rs::TS)]
pub struct Overview {
    status: Status,
    poll_interval_minutes: u64,
    schedule: Schedule,
    demo: bool,
    /// Connecting through the broker: installs from the Nuvemshop admin bring a code, and a
    /// browser that cannot come back to Ponte shows one to type.
    pairing_codes: bool,
    /// A new version found and not installed yet.
    update: Option<crate::updates::UpdateOffer>,
    /// A `ponte://` link refused since the window last looked (shown once).
    link_notice: Option<Problem>,
    /// The profile shown (its name), and every profile at a glance: the switcher and the
    /// overview of all stores.
    #[ts(type = "string")]
    profile: ProfileName,
    profiles: Vec<ProfileSummary>,
}

#[tauri::command]
pub fn overview(shell: State<'_, Shell>) -> Answer<Overview> {
    let profile = shell.shown();
    let settings = profile.app.settings().map_err(problem)?;
    Ok(Overview {
        status: profile.app.status().map_err(problem)?,
        poll_interval_minutes: settings.poll_interval_minutes(),
        schedule: profile.runner.schedule(),
        demo: shell.demo.is_some(),
        pairing_codes: profile.app.config.broker_url.is_some(),
        update: shell.update.get(),
        link_notice: shell.link_notice.take(),
        profile: profile.name().clone(),
        profiles: shell.profiles.all().iter().map(|p| p.summary()).collect(),
    })
}

fn profile_name(name: &str) -> Answer<ProfileName> {
    ProfileName::parse(name)
}

/// The switcher, the overview's *Abrir*, a notification's click: the window shows `name`.
#[tauri::command]
pub fn show_profile(shell: State<'_, Shell>, name: String) -> Answer<()> {
    shell.profiles.show(&profile_name(&name)?)?;
    Ok(())
}

/// The first `loja-N` free under the base directory.
fn next_store_name(shell: &Shell) -> Answer<ProfileName> {
    let base = &shell.config.base_dir;
    (2..1000)
        .map(|n| ProfileName::parse(&format!("loja-{n}")))
        .find_map(|name| {
            name.ok().filter(|name| {
                !ponte_core::profiles::exists(base, name) && shell.profiles.get(name).is_none()
            })
        })
        .ok_or_else(|| problem(ponte_core::Error::Io(std::io::Error::other("no free name"))))
}

/// *Adicionar loja*: a new profile, shown at once at its first step (connect its store and
/// company). Answers its name.
#[tauri::command]
pub async fn add_store(handle: AppHandle, shell: State<'_, Shell>) -> Answer<String> {
    let name = next_store_name(&shell)?;
    let config = match &shell.demo {
        Some(demo) => demo.another_store(&name).await.map_err(|error| {
            tracing::error!(%error, "the demo's next store did not start");
            Problem::demo_not_started()
        })?,
        None => shell.config.clone().for_profile(name.clone()),
    };
    let (lock, app) = crate::startup::lock_and_open(&config)?;
    let profile = crate::profiles::Profile::start(&handle, lock, app);
    // The window is there already: no start to wait for.
    profile.runner.page_loaded();
    shell.profiles.insert(profile);
    shell.profiles.show(&name)?;
    crate::tray::follow(&handle);
    tracing::info!(profile = %name, "store added");
    Ok(name.to_string())
}

/// What removing a store takes from this computer and what it keeps, for its confirmation.
#[tauri::command]
pub fn store_removal(shell: State<'_, Shell>, name: String) -> Answer<String> {
    let name = profile_name(&name)?;
    let profile = shell.profiles.open(&name)?;
    Ok(ponte_core::app::profiles::removal_notice(
        &profile.summary(),
    ))
}

/// *Remover esta loja*, confirmed: its passes stop (after the order being imported), access
/// is forgotten here and at the broker, then its data leaves this computer. The window shows
/// the default profile then.
#[tauri::command]
pub async fn remove_store(handle: AppHandle, shell: State<'_, Shell>, name: String) -> Answer<()> {
    let name = profile_name(&name)?;
    let taken = shell.profiles.take(&name)?;
    taken.runner.stop_and_wait().await;
    let config = taken.app.config.clone();
    // Its ledger closes and its lock goes with the last handle on it.
    drop(taken);
    let removed = ponte_core::app::profiles::remove(&config, &name).await;
    if removed.is_err() {
        // Not removed (the broker out of reach, a file held): the store goes on as it was.
        if let Ok((lock, app)) = crate::startup::lock_and_open(&config) {
            let profile = crate::profiles::Profile::start(&handle, lock, app);
            profile.runner.page_loaded();
            shell.profiles.insert(profile);
        }
    }
    crate::tray::follow(&handle);
    removed.map_err(problem)?;
    tracing::info!(profile = %name, "store removed");
    Ok(())
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

/// The connects waiting for the browser, by account: *Cancelar* ends one.
#[derive(Default)]
pub struct Connecting(
    std::sync::Mutex<std::collections::HashMap<String, tokio::sync::oneshot::Sender<()>>>,
);

impl Connecting {
    fn begin(&self, account: &str) -> tokio::sync::oneshot::Receiver<()> {
        let (cancel, cancelled) = tokio::sync::oneshot::channel();
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(account.to_string(), cancel);
        cancelled
    }

    fn end(&self, account: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account);
    }

    /// `true` when a connect was waiting.
    fn cancel(&self, account: &str) -> bool {
        let waiting = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(account);
        waiting.is_some_and(|cancel| cancel.send(()).is_ok())
    }
}

/// Connects an account; answers `false` when the merchant cancelled it first (nothing kept:
/// the waiting listener is dropped with the connect, and the broker forgets the unfinished
/// connect when it expires).
#[tauri::command]
pub async fn connect(handle: AppHandle, shell: State<'_, Shell>, account: String) -> Answer<bool> {
    let service = service(&account)?;
    // The profile shown when the merchant clicked, whichever is shown when the browser comes
    // back.
    let profile = shell.shown();
    let cancelled = profile.connecting.begin(&account);
    let connecting = profile.app.connect(service, &WindowBrowser, |url| {
        let _ = handle.emit(
            "ponte://authorize-url",
            AuthorizeUrl {
                service: account.clone(),
                url: url.to_string(),
            },
        );
    });
    let outcome = tokio::select! {
        outcome = connecting => Some(outcome),
        _ = cancelled => None,
    };
    profile.connecting.end(&account);
    match outcome {
        None => {
            tracing::info!(account, "connect cancelled by the merchant");
            Ok(false)
        }
        Some(outcome) => {
            outcome.map_err(problem)?;
            profile.runner.sync_now();
            Ok(true)
        }
    }
}

/// *Cancelar* on a connect waiting for the browser: the merchant starts again.
#[tauri::command]
pub fn cancel_connect(shell: State<'_, Shell>, account: String) -> Answer<bool> {
    service(&account)?;
    // A connect waits in one profile: the merchant may have switched since.
    Ok(shell
        .profiles
        .all()
        .iter()
        .any(|profile| profile.connecting.cancel(&account)))
}

#[tauri::command]
pub async fn connect_with_pairing_code(shell: State<'_, Shell>, code: String) -> Answer<()> {
    let profile = shell.shown();
    profile
        .app
        .connect_with_pairing_code(&code)
        .await
        .map_err(problem)?;
    profile.runner.sync_now();
    Ok(())
}

/// The code the broker's page showed after the merchant authorized, for the connect waiting
/// in this window (the browser could not come back on its own).
#[tauri::command]
pub async fn enter_return_code(
    shell: State<'_, Shell>,
    account: String,
    code: String,
) -> Answer<()> {
    let profile = shell.shown();
    profile
        .app
        .enter_return_code(service(&account)?, &code)
        .await
        .map_err(problem)
}

#[tauri::command]
pub async fn disconnect(shell: State<'_, Shell>, account: String) -> Answer<()> {
    let profile = shell.shown();
    profile
        .app
        .disconnect(service(&account)?)
        .await
        .map_err(problem)
}

#[tauri::command]
pub async fn sellers(shell: State<'_, Shell>) -> Answer<Vec<Seller>> {
    let profile = shell.shown();
    profile.app.sellers().await.map_err(problem)
}

#[tauri::command]
pub async fn activate(shell: State<'_, Shell>, seller_id: String, autostart: bool) -> Answer<()> {
    let profile = shell.shown();
    profile
        .app
        .enable(Some(&seller_id))
        .await
        .map_err(problem)?;
    profile.runner.sync_now();
    // Sales stop whenever Ponte is closed: the activation screen offers to start it with the
    // computer (the merchant's choice, changed later in Configurações). Not in demo mode.
    if shell.demo.is_none() {
        if let Err(error) = crate::autostart::set(&shell.profiles.main().app, autostart) {
            tracing::warn!(%error, autostart, "the start-with-the-computer choice not applied");
        }
    }
    Ok(())
}

#[tauri::command]
pub async fn set_enabled(shell: State<'_, Shell>, enabled: bool) -> Answer<()> {
    let profile = shell.shown();
    if enabled {
        profile.app.enable(None).await.map_err(problem)?;
        profile.runner.sync_now();
    } else {
        profile.app.disable().map_err(problem)?;
    }
    Ok(())
}

#[tauri::command]
pub async fn set_seller(shell: State<'_, Shell>, seller_id: String) -> Answer<Seller> {
    let profile = shell.shown();
    profile.app.set_seller(&seller_id).await.map_err(problem)
}

#[tauri::command]
pub fn set_poll_interval(shell: State<'_, Shell>, minutes: u64) -> Answer<()> {
    let profile = shell.shown();
    profile.app.set_poll_interval_minutes(minutes)?;
    profile.runner.sync_now();
    Ok(())
}

#[tauri::command]
pub fn sync_now(shell: State<'_, Shell>) {
    let profile = shell.shown();
    profile.runner.sync_now();
}

#[tauri::command]
pub fn orders(
    shell: State<'_, Shell>,
    state: Option<OrderState>,
    search: Option<String>,
    page: u32,
    page_size: u32,
) -> Answer<OrdersPage> {
    let profile = shell.shown();
    let filter = OrderFilter { state, search };
    profile
        .app
        .orders_page(&filter, page, page_size)
        .map_err(problem)
}

#[tauri::command]
pub async fn retry_order(shell: State<'_, Shell>, order_id: u64) -> Answer<()> {
    let profile = shell.shown();
    profile.app.retry(order_id).await.map_err(problem)?;
    profile.runner.sync_now();
    Ok(())
}

/// *Tentar novamente todos*: every failed order back in the queue, then a pass.
#[tauri::command]
pub async fn retry_all_failed(shell: State<'_, Shell>) -> Answer<usize> {
    let profile = shell.shown();
    let count = profile.app.retry_all_failed().await.map_err(problem)?;
    profile.runner.sync_now();
    Ok(count)
}

/// *Já conferi*: the merchant looked at the sale of an order changed after its import.
#[tauri::command]
pub fn check_changed(shell: State<'_, Shell>, order_id: u64) -> Answer<()> {
    let profile = shell.shown();
    profile.app.check_changed(order_id).map_err(problem)
}

#[tauri::command]
pub fn support_report(shell: State<'_, Shell>, order_id: u64) -> Answer<String> {
    let profile = shell.shown();
    profile.app.support_report(order_id).map_err(problem)
}

/// *O que vai acontecer*: what importing a waiting order would do, and why.
#[tauri::command]
pub async fn order_plan(
    shell: State<'_, Shell>,
    order_id: u64,
) -> Answer<ponte_core::history::OrderPlan> {
    let profile = shell.shown();
    profile.app.order_plan(order_id).await.map_err(problem)
}

/// *Importar pedidos anteriores à ativação*: the preview; nothing is created.
#[tauri::command]
pub async fn backfill_preview(
    shell: State<'_, Shell>,
    from: String,
    to: String,
) -> Answer<ponte_core::history::BackfillPreview> {
    let profile = shell.shown();
    let period = profile.app.period(&from, &to).map_err(problem)?;
    profile.app.backfill_preview(&period).await.map_err(problem)
}

/// *Confirmar importação*: the period's orders queued, then a pass (its progress bar shows).
#[tauri::command]
pub async fn backfill(
    shell: State<'_, Shell>,
    from: String,
    to: String,
) -> Answer<ponte_core::store::Planned> {
    let profile = shell.shown();
    let period = profile.app.period(&from, &to).map_err(problem)?;
    let planned = profile.app.backfill(&period).await.map_err(problem)?;
    profile.runner.sync_now();
    Ok(planned)
}

#[tauri::command]
pub fn backfills(shell: State<'_, Shell>) -> Answer<Vec<ponte_core::store::BackfillRecord>> {
    let profile = shell.shown();
    profile.app.backfills().map_err(problem)
}

/// *Conferir período*: the period's paid orders against the sales in Conta Azul; reads only.
#[tauri::command]
pub async fn reconcile(
    shell: State<'_, Shell>,
    from: String,
    to: String,
) -> Answer<ponte_core::history::Reconciliation> {
    let profile = shell.shown();
    let period = profile.app.period(&from, &to).map_err(problem)?;
    profile.app.reconcile(&period).await.map_err(problem)
}

/// *Importar*: missing orders of a reconciliation queued (or recorded), then a pass.
#[tauri::command]
pub async fn import_missing(
    shell: State<'_, Shell>,
    from: String,
    to: String,
    order_ids: Vec<u64>,
) -> Answer<ponte_core::store::Planned> {
    let profile = shell.shown();
    let period = profile.app.period(&from, &to).map_err(problem)?;
    let planned = profile
        .app
        .import_missing(&period, &order_ids)
        .await
        .map_err(problem)?;
    profile.runner.sync_now();
    Ok(planned)
}

/// The chart of sales imported per day.
#[tauri::command]
pub fn imported_per_day(
    shell: State<'_, Shell>,
    days: u32,
) -> Answer<Vec<ponte_core::app::DayCount>> {
    let profile = shell.shown();
    profile.app.imported_per_day(days).map_err(problem)
}

/// *Ver pedido na Nuvemshop*: the order's page in the store's admin, in the system browser;
/// answers the address, which the window also shows.
#[tauri::command]
pub fn open_in_store(shell: State<'_, Shell>, order_id: u64) -> Answer<String> {
    let profile = shell.shown();
    let status = profile.app.status().map_err(problem)?;
    let base = status
        .nuvemshop
        .admin_orders_url
        .ok_or_else(|| problem(ponte_core::Error::NotConnected(Service::Nuvemshop)))?;
    let url = format!("{base}{order_id}");
    WindowBrowser.open(&url).map_err(problem)?;
    Ok(url)
}

/// *Ver venda*: the sale as Conta Azul prints it, saved to the Downloads folder and opened;
/// answers where it was saved.
#[tauri::command]
pub async fn open_sale(shell: State<'_, Shell>, order_id: u64) -> Answer<String> {
    let profile = shell.shown();
    let path = profile
        .app
        .save_sale_pdf(order_id, None)
        .await
        .map_err(problem)?;
    // The folder it went to, not the file itself: the merchant opens it knowing what it is.
    if let Some(folder) = path.parent() {
        WindowBrowser
            .open(&folder.display().to_string())
            .map_err(problem)?;
    }
    Ok(path.display().to_string())
}

#[tauri::command]
pub fn payments(shell: State<'_, Shell>) -> Answer<ponte_core::app::views::Payments> {
    let profile = shell.shown();
    profile.app.payments_view().map_err(problem)
}

#[tauri::command]
pub fn set_payments(shell: State<'_, Shell>, mapping: PaymentMapping) -> Answer<()> {
    let profile = shell.shown();
    profile.app.set_payment_mapping(&mapping).map_err(problem)
}

/// *Configurações › Produtos e pedidos*: what the merchant switched on beyond the article.
#[tauri::command]
pub fn options(shell: State<'_, Shell>) -> Answer<ponte_core::store::Options> {
    let profile = shell.shown();
    Ok(profile.app.settings().map_err(problem)?.options)
}

#[tauri::command]
pub fn set_options(
    shell: State<'_, Shell>,
    match_by_sku: bool,
    write_owner_note: bool,
) -> Answer<ponte_core::store::Options> {
    let profile = shell.shown();
    let before = profile.app.settings().map_err(problem)?.options;
    if before.match_by_sku != match_by_sku {
        profile
            .app
            .set_match_by_sku(match_by_sku)
            .map_err(problem)?;
    }
    if before.write_owner_note != write_owner_note {
        profile
            .app
            .set_write_owner_note(write_owner_note)
            .map_err(problem)?;
    }
    Ok(profile.app.settings().map_err(problem)?.options)
}

/// *Exportar planilha*: the list written to the Downloads folder; answers where.
#[tauri::command]
pub fn export_csv(shell: State<'_, Shell>, state: OrderState) -> Answer<String> {
    let profile = shell.shown();
    profile
        .app
        .export_csv_file(state, None)
        .map(|path| path.display().to_string())
        .map_err(problem)
}

/// *Configurações › Pedidos LGPD*: what Nuvemshop asked for and what was done.
#[tauri::command]
pub fn lgpd(shell: State<'_, Shell>) -> Answer<ponte_core::app::views::Lgpd> {
    let profile = shell.shown();
    profile.app.lgpd_view().map_err(problem)
}

/// *Configurações › Diagnóstico*: the last run of `ponte doctor`, if any.
#[tauri::command]
pub fn diagnosis(shell: State<'_, Shell>) -> Answer<Option<ponte_core::doctor::Diagnosis>> {
    let profile = shell.shown();
    profile.app.last_diagnosis().map_err(problem)
}

/// *Verificar agora*: asks both accounts, reading only.
#[tauri::command]
pub async fn run_doctor(shell: State<'_, Shell>) -> Answer<ponte_core::doctor::Diagnosis> {
    let profile = shell.shown();
    profile.app.doctor().await.map_err(problem)
}

/// Where data requests are written: a folder the merchant picks in the system's own folder
/// picker (never typed), or, with `default`, back to the data directory's. The folder now in
/// use; `None` when the picker was closed without choosing.
#[tauri::command]
pub async fn choose_lgpd_folder(
    handle: AppHandle,
    shell: State<'_, Shell>,
    default: bool,
) -> Answer<Option<String>> {
    let profile = shell.shown();
    let chosen = if default {
        None
    } else {
        use tauri_plugin_dialog::DialogExt;
        let (picked, answer) = tokio::sync::oneshot::channel();
        handle
            .dialog()
            .file()
            .set_title(ponte_core::problem::LGPD_FOLDER_PICKER)
            .pick_folder(move |folder| {
                let _ = picked.send(folder);
            });
        match answer.await.ok().flatten().and_then(|f| f.into_path().ok()) {
            Some(folder) => Some(folder),
            None => return Ok(None),
        }
    };
    profile
        .app
        .set_lgpd_folder(chosen.as_deref())
        .map_err(problem)?;
    Ok(Some(
        profile
            .app
            .lgpd_folder()
            .map_err(problem)?
            .display()
            .to_string(),
    ))
}

#[tauri::command]
pub async fn confirm_store_erasure(shell: State<'_, Shell>) -> Answer<u64> {
    let profile = shell.shown();
    profile.app.confirm_store_erasure().await.map_err(problem)
}

/// *Configurações › Sobre o Ponte*.
#[derive(Serialize, ts_rs::TS)]
pub struct About {
    version: String,
    autostart: crate::autostart::State,
}

#[tauri::command]
pub fn about(handle: AppHandle, shell: State<'_, Shell>) -> Answer<About> {
    Ok(About {
        version: handle.package_info().version.to_string(),
        autostart: crate::autostart::state(&shell.profiles.main().app),
    })
}

fn shell_problem(message: &str, error: impl std::fmt::Display) -> Problem {
    tracing::warn!(%error, "{message}");
    Problem::of_the_system(message).with_details(error.to_string())
}

/// *Iniciar o Ponte com o computador*.
#[tauri::command]
pub fn set_autostart(shell: State<'_, Shell>, enabled: bool) -> Answer<crate::autostart::State> {
    crate::autostart::set(&shell.profiles.main().app, enabled).map_err(|failure| match failure {
        crate::autostart::Failure::Merchant(message) => shell_problem(message, message),
        crate::autostart::Failure::System(error) => {
            shell_problem(ponte_core::problem::AUTOSTART_FAILED, error)
        }
    })
}

/// *Verificar atualizações*: the release's `latest.json` now (Ponte also looks by itself).
#[tauri::command]
pub async fn check_update(handle: AppHandle) -> Answer<crate::updates::UpdateCheck> {
    crate::updates::look(&handle)
        .await
        .map(crate::updates::UpdateCheck::from)
        .map_err(|e| shell_problem(ponte_core::problem::UPDATE_CHECK_FAILED, e))
}

/// Installs the offered update: after the order being imported (never in the middle of a
/// sale), then Ponte restarts.
#[tauri::command]
pub async fn install_update(handle: AppHandle, shell: State<'_, Shell>) -> Answer<()> {
    let failed =
        |e: &dyn std::fmt::Display| shell_problem(ponte_core::problem::UPDATE_INSTALL_FAILED, e);
    let update = crate::updates::check(&handle)
        .await
        .map_err(|e| failed(&e))?
        .ok_or_else(|| failed(&"no update any more"))?;
    let bytes = update
        .download(|_, _| {}, || {})
        .await
        .map_err(|e| failed(&e))?;
    shell.stop_and_wait().await;
    if let Err(error) = update.install(bytes) {
        // The scheduler has stopped: Ponte restarts in the version it has, and syncs again.
        tracing::error!(%error, "{}", ponte_core::problem::UPDATE_INSTALL_FAILED);
    }
    handle.restart();
}

#[cfg(test)]
mod tests {
    /// The names between `generate_handler![` and `]` in this file.
    fn registered() -> Vec<String> {
        let source = include_str!("commands.rs");
        let start = source.find("generate_handler![").expect("a handler list") + 18;
        let end = start + source[start..].find(']').expect("the list ends");
        source[start..end]
            .split(',')
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .collect()
    }

    /// The window's script, every module of it.
    const SCRIPT: [&str; 9] = [
        include_str!("../../ui/dates.js"),
        include_str!("../../ui/dom.js"),
        include_str!("../../ui/plans.js"),
        include_str!("../../ui/connect.js"),
        include_str!("../../ui/dashboard.js"),
        include_str!("../../ui/period.js"),
        include_str!("../../ui/settings.js"),
        include_str!("../../ui/stores.js"),
        include_str!("../../ui/main.js"),
    ];

    /// Every `call("name"` and `invoke("name"` of the window's script.
    fn called_by_the_window() -> Vec<String> {
        let script = SCRIPT.concat();
        let mut names = Vec::new();
        for marker in ["call(\"", "invoke(\""] {
            for (at, _) in script.match_indices(marker) {
                let rest = &script[at + marker.len()..];
                if let Some(end) = rest.find('"') {
                    names.push(rest[..end].to_string());
                }
            }
        }
        names.sort();
        names.dedup();
        names
    }

    #[test]
    fn every_command_the_window_calls_exists() {
        let modules = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/ui"))
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "js"))
            })
            .count();
        assert_eq!(modules, SCRIPT.len(), "every module of ui/ is read here");
        let registered = registered();
        let called = called_by_the_window();
        assert!(called.len() >= 10, "{called:?}");
        for name in &called {
            assert!(
                registered.contains(name),
                "the window calls {name}, which is not registered"
            );
        }
        for name in &registered {
            assert!(
                called.contains(name),
                "{name} is registered but the window never calls it"
            );
        }
    }

    /// Every element the script looks up by id is in the page: a missing one stops the whole
    /// window at *Carregando…*.
    #[test]
    fn every_element_the_window_looks_up_exists() {
        let script = SCRIPT.concat();
        let page = include_str!("../../ui/index.html");
        let mut looked_up = 0;
        for marker in ["$(\"", "getElementById(\""] {
            for (at, _) in script.match_indices(marker) {
                let rest = &script[at + marker.len()..];
                let id = &rest[..rest.find('"').expect("a closing quote")];
                looked_up += 1;
                assert!(
                    page.contains(&format!("id=\"{id}\"")),
                    "the script looks up #{id}, which the page does not have"
                );
            }
        }
        assert!(looked_up > 30, "{looked_up}");
    }
}
