//! Ponte's window shows Ponte's pages and nothing else: a navigation anywhere else (a link, a
//! script, a page that found its way in) is refused. New windows are refused by the webview
//! itself (no new-window handler: wry denies them). Links the merchant follows (the store's
//! admin, a sale) go through commands to the system browser.

use tauri::plugin::TauriPlugin;
use tauri::{Runtime, Url};

/// Ponte's own pages: the app's origin as each platform serves it (`tauri://localhost` on
/// macOS and Linux, `http(s)://tauri.localhost` on Windows).
pub fn is_own_page(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

fn on_navigation(url: &Url) -> bool {
    let own = is_own_page(url);
    if !own {
        tracing::warn!(
            scheme = url.scheme(),
            "a navigation away from Ponte's pages refused"
        );
    }
    own
}

/// Guards every webview of the app, the window from `tauri.conf.json` included.
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation")
        .on_navigation(|_webview, url| on_navigation(url))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ponte_s_own_pages_open_in_its_window() {
        for own in [
            "tauri://localhost/index.html",
            "http://tauri.localhost/",
            "https://tauri.localhost/index.html#x",
        ] {
            assert!(is_own_page(&Url::parse(own).unwrap()), "{own}");
        }
        for other in [
            "https://loja.lojavirtualnuvem.com.br/admin/orders/1",
            "http://127.0.0.1:47900/callback/contaazul",
            "https://tauri.localhost.evil.example/",
            "file:///etc/passwd",
            "tauri://evil/",
            "javascript:alert(1)",
        ] {
            assert!(!is_own_page(&Url::parse(other).unwrap()), "{other}");
        }
    }
}
