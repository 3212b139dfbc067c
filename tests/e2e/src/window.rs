//! Ponte's window driven over WebDriver (tauri-driver, WebKitWebDriver) against a sandbox and a
//! connect broker of the test's own, and the merchant's browser beside it.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use ponte_broker::sandboxed::{LandingPage, SandboxWithBroker};
use ponte_sandbox::Control;
use serde_json::json;
use tokio::process::{Child, Command};

use crate::system::SessionBus;

/// The app under test: `PONTE_APP_BINARY` (the one a package installed), or the one
/// `cargo build -p ponte-app` made.
pub fn app_binary() -> PathBuf {
    if let Ok(installed) = std::env::var("PONTE_APP_BINARY") {
        let binary = PathBuf::from(installed);
        assert!(binary.exists(), "PONTE_APP_BINARY: {}", binary.display());
        return binary;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let binary = target.join("debug").join("ponte-app");
    assert!(
        binary.exists(),
        "build the app first: cargo build -p ponte-app ({})",
        binary.display()
    );
    binary
}

pub fn free_port() -> u16 {
    ponte_sandbox::free_loopback_port()
}

/// A WebDriver server and what it starts (WebKitWebDriver, the app), in a process group of
/// their own: a failing test takes the whole group down with it, so no window of one test is
/// left on the display for the next one to find.
pub struct Driver(Child);

impl Driver {
    pub fn spawn(command: &mut Command) -> std::io::Result<Driver> {
        command
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map(Driver)
    }

    pub async fn kill(&mut self) {
        self.kill_group();
        let _ = self.0.kill().await;
    }

    pub fn kill_group(&self) {
        if let Some(pid) = self.0.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill_group();
    }
}

/// The merchant's own web browser: WebKit's MiniBrowser driven by WebKitWebDriver, for the
/// broker's pages (Ponte's window shows only Ponte's pages).
pub struct MerchantBrowser {
    pub client: Client,
    pub driver: Driver,
}

/// A session with the WebDriver server on `port`, once it listens (within 30 s).
async fn webdriver_session(port: u16, capabilities: serde_json::Value) -> Client {
    let capabilities = capabilities.as_object().expect("an object").clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => return client,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(error) => panic!("no WebDriver session on port {port}: {error}"),
        }
    }
}

impl MerchantBrowser {
    pub async fn start() -> MerchantBrowser {
        let binary = std::fs::read_dir("/usr/lib")
            .unwrap()
            .flatten()
            .map(|dir| dir.path().join("webkit2gtk-4.1/MiniBrowser"))
            .find(|path| path.exists())
            .expect("WebKit's MiniBrowser (package libwebkit2gtk-4.1-0)");
        let port = free_port();
        let driver = Driver::spawn(
            Command::new("WebKitWebDriver")
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .expect("WebKitWebDriver (package webkit2gtk-driver)");
        let capabilities = json!({
            "browserName": "MiniBrowser",
            "webkitgtk:browserOptions": {
                "binary": binary,
                "args": ["--automation"],
            },
        });
        let client = webdriver_session(port, capabilities).await;
        MerchantBrowser { client, driver }
    }

    /// Opens `url` and, with `PONTE_SCREENSHOT_DIR`, keeps a picture of it.
    pub async fn show(&self, url: &str, name: &str) {
        self.client.goto(url).await.unwrap();
        if let Ok(dir) = std::env::var("PONTE_SCREENSHOT_DIR") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    pub async fn end(mut self) {
        let _ = self.client.close().await;
        self.driver.kill().await;
    }
}

pub struct Desktop {
    pub client: Client,
    pub driver: Driver,
    pub world: SandboxWithBroker,
    pub _data: tempfile::TempDir,
    /// The app's home: where the autostart entry goes (`.config/autostart/`).
    pub home: tempfile::TempDir,
}

impl Desktop {
    /// The app against this test's sandbox, in a fresh data directory.
    pub async fn start(args: &[&str]) -> Desktop {
        Self::start_with(args, &[]).await
    }

    /// As [`Desktop::start`], with more of the environment.
    pub async fn start_with(args: &[&str], env: &[(&str, String)]) -> Desktop {
        assert!(
            std::env::var("DISPLAY").is_ok(),
            "the window tests need DISPLAY (Xvfb)"
        );
        // Two TLS back-ends are linked (reqwest's and the WebDriver client's): pick one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let world = SandboxWithBroker::start(|_| {}).await.unwrap();
        let data = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let port = free_port();
        let native = free_port();
        let driver = Driver::spawn(
            Command::new("tauri-driver")
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-port",
                    &native.to_string(),
                ])
                .envs(world.env_lines())
                .env("PONTE_DATA_DIR", data.path())
                .env("HOME", home.path())
                .env("PONTE_TOKEN_STORE", "file")
                .env("PONTE_BROWSER", "none")
                .env("PONTE_LOG", "info")
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        )
        .expect("tauri-driver on the PATH (cargo install tauri-driver --locked)");
        let capabilities = json!({
            "browserName": "wry",
            "tauri:options": { "application": app_binary(), "args": args },
        });
        let client = webdriver_session(port, capabilities).await;
        Desktop {
            client,
            driver,
            world,
            _data: data,
            home,
        }
    }

    pub fn control(&self) -> Control {
        self.world.sandbox.control()
    }

    pub async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    pub async fn visible(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Waits until `css` holds `expected` (and is shown).
    pub async fn wait_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.text(css).await;
            if text.contains(expected) && self.visible(css).await {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed {expected:?}; it shows {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn wait_visible(&self, css: &str, shown: bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.visible(css).await != shown {
            assert!(
                Instant::now() < deadline,
                "{css} never became {}",
                if shown { "visible" } else { "hidden" }
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Clicks `css`, again if the window re-rendered it between finding and clicking.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let attempt = match self.client.find(Locator::Css(css)).await {
                Ok(element) => element.click().await.map_err(|e| e.to_string()),
                Err(error) => Err(error.to_string()),
            };
            match attempt {
                Ok(()) => return,
                Err(error) if Instant::now() >= deadline => panic!("click {css}: {error}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// How far the page runs off the side of the window, in pixels (0 or less: it fits).
    pub async fn horizontal_overflow(&self) -> i64 {
        self.client
            .execute(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                vec![],
            )
            .await
            .unwrap()
            .as_i64()
            .unwrap_or(1)
    }

    /// Plays the merchant in the browser: the consent page, then the button; the broker's
    /// page sends the browser back to Ponte, as its script does.
    pub async fn consent(&self, account: &str) {
        let page = self.consent_and_stay(account).await;
        assert_eq!(page.go_back().await.unwrap(), 200);
    }

    /// The consent, with a browser that stays on the broker's page (one that blocks the way
    /// back to Ponte): the page, with its code for the merchant to type.
    pub async fn consent_and_stay(&self, account: &str) -> LandingPage {
        let css = format!("code.authorize-url[data-account=\"{account}\"]");
        // The window may re-render the link while it is read: read until it is whole.
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            if let Ok(url) = url::Url::parse(&self.text(&css).await) {
                if self.visible(&css).await {
                    break url;
                }
            }
            if Instant::now() >= deadline {
                self.snapshot(&format!("no-link-{account}")).await;
                panic!("{css} never showed an authorization link");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        self.snapshot(&format!("link-{account}")).await;
        // However long the link, it wraps inside its card: nothing runs off the window.
        let overflow = self.horizontal_overflow().await;
        assert!(
            overflow <= 0,
            "the {account} link pushes the window sideways by {overflow} px"
        );
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        form.push((
            "decision".into(),
            if account == "nuvemshop" {
                "install"
            } else {
                "allow"
            }
            .into(),
        ));
        let redirect = http
            .post(url.as_str().split('?').next().unwrap())
            .form(&form)
            .send()
            .await
            .unwrap();
        let location = redirect.headers()["location"].to_str().unwrap().to_string();
        let page = LandingPage::load(&location).await.unwrap();
        assert!(page.html.contains("Pronto, volte ao Ponte"));
        page
    }

    pub async fn connect_and_activate(&self) {
        self.connect_and_activate_with(true).await;
    }

    /// Connects both accounts and activates; `autostart`: the activation screen's offer to
    /// start Ponte with the computer, taken or declined.
    pub async fn connect_and_activate_with(&self, autostart: bool) {
        self.control().add_seller("Ana Souza");
        self.click("button[data-account=\"nuvemshop\"]").await;
        self.wait_text(
            ".step[data-account=\"nuvemshop\"] [data-role=\"state\"]",
            "Continue no navegador",
        )
        .await;
        self.consent("nuvemshop").await;
        self.wait_text(
            ".step[data-account=\"nuvemshop\"] [data-role=\"state\"]",
            "Conectado",
        )
        .await;
        self.click("button[data-account=\"contaazul\"]").await;
        self.consent("contaazul").await;
        self.wait_visible("#screen-activate", true).await;
        self.wait_text("#activate-seller", "Ana Souza").await;
        assert!(self.visible("#activate-autostart").await, "offered");
        self.snapshot("activate").await;
        if !autostart {
            self.click("#activate-autostart").await;
        }
        self.click("#activate").await;
        self.wait_visible("#screen-dashboard", true).await;
        self.wait_text("#toggle-label", "Integração ativada").await;
    }

    /// With `PONTE_SCREENSHOT_DIR`, keeps a picture of the window for people to look at.
    pub async fn snapshot(&self, name: &str) {
        if let Ok(dir) = std::env::var("PONTE_SCREENSHOT_DIR") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    /// axe-core (the npm package, pinned in package.json) run on the window as it is now: the
    /// serious and critical violations, each with the elements it found, and every violation
    /// printed for the record.
    pub async fn audit(&self, screen: &str) -> Vec<String> {
        let axe = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../node_modules/axe-core/axe.min.js"
        ))
        .expect("axe-core installed (npm ci)");
        self.client.execute(&axe, vec![]).await.unwrap();
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then((r) => done(r.violations.map((v) => ({
                     id: v.id, impact: v.impact, help: v.help,
                     nodes: v.nodes.map((n) => n.target.join(' ') + ' — ' + n.failureSummary),
                   }))))
                   .catch((e) => done([{ id: 'axe-failed', impact: 'critical', help: String(e), nodes: [] }]));",
                vec![],
            )
            .await
            .unwrap();
        let mut serious = Vec::new();
        for violation in found.as_array().unwrap() {
            let line = format!(
                "{screen}: {} ({}) {}: {}",
                violation["id"].as_str().unwrap_or_default(),
                violation["impact"].as_str().unwrap_or_default(),
                violation["help"].as_str().unwrap_or_default(),
                violation["nodes"]
            );
            println!("axe {line}");
            if matches!(
                violation["impact"].as_str(),
                Some("serious") | Some("critical")
            ) {
                serious.push(line);
            }
        }
        serious
    }

    /// Presses a key where the keyboard's focus is, as a merchant without a mouse does.
    pub async fn press(&self, key: char) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client.perform_actions(actions).await.unwrap();
        self.client.release_actions().await.unwrap();
    }

    /// Presses Tab until `css` has the focus; every element the keyboard reaches on the way
    /// must show that it has it (an outline or a ring).
    pub async fn tab_to(&self, css: &str) {
        let tab = char::from(fantoccini::key::Key::Tab);
        for _ in 0..60 {
            self.press(tab).await;
            let reached = self
                .client
                .execute(
                    "const e = document.activeElement, s = getComputedStyle(e);
                     const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                       || s.boxShadow !== 'none';
                     return [e.matches(arguments[0]), ring,
                       e.tagName + (e.id ? '#' + e.id : '') + ' ' + (e.textContent || '').trim().slice(0, 40)];",
                    vec![json!(css)],
                )
                .await
                .unwrap();
            let name = reached[2].as_str().unwrap_or_default().to_string();
            assert_eq!(
                reached[1].as_bool(),
                Some(true),
                "the keyboard reached {name} and nothing shows it"
            );
            if reached[0].as_bool() == Some(true) {
                return;
            }
        }
        panic!("the keyboard never reached {css}");
    }

    /// What the app wrote to its log so far.
    pub fn log(&self) -> String {
        std::fs::read_dir(self._data.path().join("logs"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
            .collect()
    }

    pub async fn wait_log(&self, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.log().contains(expected) {
            assert!(Instant::now() < deadline, "the log never said {expected:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn end(mut self) {
        let _ = self.client.close().await;
        self.driver.kill().await;
    }
}

/// Types `keys` into `css` as a keyboard would, after emptying it.
pub async fn type_into(desktop: &Desktop, css: &str, keys: &str) {
    let field = desktop.client.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(keys).await.unwrap();
}

impl Desktop {
    /// What the system does with a `ponte://` link (Windows, Linux): Ponte launched with the
    /// link as its only argument, in the merchant's session. It hands the link over to the
    /// running Ponte and ends.
    pub async fn launch_with_link(&self, bus: &SessionBus, link: &str) {
        let second = Command::new(app_binary())
            .arg(link)
            .envs(self.world.env_lines())
            .env("PONTE_DATA_DIR", self._data.path())
            .env("HOME", self.home.path())
            .env("PONTE_TOKEN_STORE", "file")
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .status();
        let status = tokio::time::timeout(Duration::from_secs(20), second)
            .await
            .expect("the second launch hands over and ends")
            .unwrap();
        assert!(status.success(), "{status}");
    }
}
