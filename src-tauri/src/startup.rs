//! Opening Ponte before any window exists: the log file, the configuration, the data
//! directory's lock and the database. A failure here is shown in a native dialog in Portuguese
//! (a Windows release build has no console to print to) and written to the log file.

use std::path::PathBuf;

use ponte_core::error::Problem;
use ponte_core::lock::DataDirLock;
use ponte_core::{App, Config};

/// Logs rotate daily; a week of them is kept.
const LOG_FILES_KEPT: usize = 7;

/// Where the logs go: `logs/` in the data directory (the local, not roaming, application-data
/// directory on Windows).
pub fn log_dir() -> PathBuf {
    ponte_core::config::log_dir(&data_dir())
}

/// The data directory, known before the configuration is read (the log file is opened first,
/// to report a configuration that fails).
pub fn data_dir() -> PathBuf {
    std::env::var_os("PONTE_DATA_DIR")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| ponte_core::data_dir::default_dirs().map(|(dir, _)| dir))
        .unwrap_or_else(std::env::temp_dir)
}

/// `--forget-keychain`: what the Windows uninstaller runs when the merchant asks it to remove
/// Ponte's data (which it deletes itself): the keychain's key that sealed the tokens goes too.
pub fn forget_keychain() -> ! {
    let key = ponte_core::secrets::KeychainKey::new(&data_dir());
    match key.forget() {
        Ok(()) => std::process::exit(0),
        Err(error) => {
            tracing::warn!(%error, "the keychain's key was not removed");
            std::process::exit(1)
        }
    }
}

/// Logs to stderr and to a rotating file; the guard flushes the file when dropped.
pub fn init_logging() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = || {
        tracing_subscriber::EnvFilter::try_from_env("PONTE_LOG")
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
    };
    let dir = log_dir();
    let file = ponte_core::config::create_private_dir(&dir)
        .ok()
        .and_then(|()| {
            tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix("ponte")
                .filename_suffix("log")
                .max_log_files(LOG_FILES_KEPT)
                .build(&dir)
                .ok()
        });
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let to_file = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter());
            tracing_subscriber::registry()
                .with(stderr)
                .with(to_file)
                .init();
            Some(guard)
        }
        None => {
            tracing_subscriber::registry().with(stderr).init();
            None
        }
    }
}

use tracing_subscriber::Layer;

/// What Ponte runs with, before it takes its data directory.
pub struct Prepared {
    pub config: Config,
    pub demo: Option<crate::demo::Demo>,
}

pub fn prepare(sandbox_mode: bool) -> Result<Prepared, Problem> {
    let (config, demo) = if sandbox_mode {
        let demo = tauri::async_runtime::block_on(crate::demo::Demo::start()).map_err(|error| {
            tracing::error!(%error, "demo mode did not start");
            Problem::demo_not_started()
        })?;
        (demo.config.clone(), Some(demo))
    } else {
        let config = Config::from_env().map_err(|e| e.problem())?;
        // A merchant's build ignores the development switches: the broker only (no secret
        // on the machine), the keychain, https. Development builds keep them.
        #[cfg(not(debug_assertions))]
        let config = config.for_a_merchants_build().map_err(|e| e.problem())?;
        (config, None)
    };
    preflight_webview()?;
    Ok(Prepared { config, demo })
}

/// Takes the data directory and opens the ledger.
pub fn lock_and_open(config: &Config) -> Result<(DataDirLock, App), Problem> {
    let lock = DataDirLock::acquire(&config.data_dir).map_err(|e| e.problem())?;
    let app = App::open(config.clone()).map_err(|e| e.problem())?;
    Ok((lock, app))
}

/// Windows without the WebView2 runtime (LTSC, trimmed images, users who removed it) would
/// fail to create the window, often silently.
fn preflight_webview() -> Result<(), Problem> {
    #[cfg(windows)]
    if let Err(error) = tauri::webview_version() {
        tracing::error!(%error, "WebView2 runtime missing");
        return Err(Problem::webview_missing());
    }
    Ok(())
}

fn failure_text(problem: &Problem) -> String {
    tracing::error!(
        code = problem.code.as_str(),
        details = problem.details.as_deref().unwrap_or(""),
        "Ponte could not start: {}",
        problem.message
    );
    format!(
        "{}\n\n{}\n\nDetalhes no registro: {}",
        problem.message,
        problem.hint,
        log_dir().display()
    )
}

/// Once the window's runtime is up (the data directory was found taken only then), the
/// failure is told by the runtime's own dialog, and Ponte ends when it is closed.
pub fn fail_in_app(handle: &tauri::AppHandle, problem: &Problem) {
    use tauri_plugin_dialog::{DialogExt, MessageDialogKind};
    handle
        .dialog()
        .message(failure_text(problem))
        .title("O Ponte não pôde abrir")
        .kind(MessageDialogKind::Error)
        .show(|_| std::process::exit(1));
}

/// Tells the merchant, natively, and keeps it in the log (before the window's runtime).
pub fn fail(problem: &Problem) -> ! {
    let text = failure_text(problem);
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title("O Ponte não pôde abrir")
        .set_description(text)
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
    std::process::exit(1);
}
