//! A minimal Tauri 2 app: one window, one static page. `ponte-bench --app-vs-bare` starts it
//! beside Ponte's app, built with the same profile, to tell what Ponte adds to Tauri itself.

fn main() {
    tauri::Builder::default()
        .on_page_load(|_, payload| {
            // The same marker Ponte's shell logs: the benchmark times the start up to it.
            if matches!(payload.event(), tauri::webview::PageLoadEvent::Finished) {
                eprintln!("page loaded");
            }
        })
        .run(tauri::generate_context!())
        .expect("the window opens");
}
