//! What a Linux desktop session provides around the window: a D-Bus session bus, a
//! notification server (Debian's dunst) and a panel with a tray (Debian's trayer).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

/// A D-Bus session bus of the test's own: single-instance speaks D-Bus on Linux, and a second
/// launch finds the first Ponte on it.
pub struct SessionBus {
    pub address: String,
    pub _daemon: Child,
}

impl SessionBus {
    pub async fn start() -> SessionBus {
        use tokio::io::AsyncBufReadExt;
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("dbus-daemon (package dbus)");
        let mut lines = tokio::io::BufReader::new(daemon.stdout.take().unwrap()).lines();
        let address = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("the bus says its address")
            .unwrap()
            .unwrap();
        SessionBus {
            address,
            _daemon: daemon,
        }
    }
}

/// A real notification server (Debian's dunst) on a test's session bus and display: what Ponte
/// shows is written down as the server received it, and a click is the server's own action.
pub struct NotificationServer {
    pub dir: tempfile::TempDir,
    pub bus: String,
    pub _daemon: Child,
}

impl NotificationServer {
    pub async fn start(bus: &SessionBus) -> NotificationServer {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let seen = dir.path().join("seen");
        let script = dir.path().join("record.sh");
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\nprintf '%s|%s|%s\\n' \"$1\" \"$2\" \"$3\" >> '{}'\n",
                seen.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let config = dir.path().join("dunstrc");
        std::fs::write(
            &config,
            format!(
                "[global]\n    timeout = 0\n[record]\n    summary = \"*\"\n    script = {}\n",
                script.display()
            ),
        )
        .unwrap();
        let daemon = Command::new("dunst")
            .arg("-config")
            .arg(&config)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("dunst (package dunst)");
        let server = NotificationServer {
            dir,
            bus: bus.address.clone(),
            _daemon: daemon,
        };
        // Up once it answers on the bus.
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.dunstctl(&["count", "displayed"]).await.is_none() {
            assert!(Instant::now() < deadline, "dunst never answered");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        server
    }

    pub async fn dunstctl(&self, args: &[&str]) -> Option<String> {
        let out = Command::new("dunstctl")
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .output()
            .await
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Waits for a notification `summary|body` containing `expected`.
    pub async fn wait_for(&self, expected: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let seen = std::fs::read_to_string(self.dir.path().join("seen")).unwrap_or_default();
            if let Some(line) = seen.lines().find(|line| line.contains(expected)) {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no notification with {expected:?}; seen: {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A click on the newest notification on screen (its default action).
    pub async fn click_newest(&self) {
        self.dunstctl(&["action", "0"])
            .await
            .expect("dunstctl action");
    }
}

/// A desktop panel's tray (Debian's trayer, an XEmbed tray, at the screen's top right): where
/// no StatusNotifier host runs, the tray icon embeds in it, and its pixels can be looked at.
pub struct Panel {
    pub _trayer: Child,
}

impl Panel {
    pub async fn start() -> Panel {
        let trayer = Command::new("trayer")
            .args([
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
            ])
            .args([
                "--height",
                "32",
                "--tint",
                "0xffffff",
                "--transparent",
                "true",
            ])
            .args(["--alpha", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("trayer (package trayer)");
        tokio::time::sleep(Duration::from_millis(500)).await;
        Panel { _trayer: trayer }
    }

    /// Where Ponte's icon sits in the panel: `WxH+X+Y` on the screen.
    pub fn icon_geometry() -> Option<String> {
        let tree = std::process::Command::new("xwininfo")
            .args(["-root", "-tree"])
            .output()
            .ok()?;
        let tree = String::from_utf8_lossy(&tree.stdout);
        let line = tree
            .lines()
            .find(|line| line.contains("\"tray-icon tray app"))?;
        // `… 32x30+0+0  +1666+1`: the size, then the position on the screen.
        let mut fields = line.split_whitespace().rev();
        let at = fields.next()?;
        let size = fields.next()?.split('+').next()?;
        Some(format!("{size}{at}"))
    }

    /// The icon's pixels as the screen shows them, and a picture of them with
    /// `PONTE_SCREENSHOT_DIR`.
    pub async fn icon(&self, name: &str) -> Vec<[u8; 3]> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let geometry = loop {
            if let Some(geometry) = Self::icon_geometry() {
                break geometry;
            }
            assert!(Instant::now() < deadline, "no tray icon in the panel");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        // The panel redraws after the icon changed.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let shot = Command::new("import")
            .args(["-window", "root", "-crop", &geometry, "+repage", "png:-"])
            .output()
            .await
            .unwrap()
            .stdout;
        if let Ok(dir) = std::env::var("PONTE_SCREENSHOT_DIR") {
            std::fs::write(PathBuf::from(dir).join(format!("{name}.png")), &shot).unwrap();
        }
        let mut convert = Command::new("convert")
            .args(["png:-", "-depth", "8", "rgb:-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        use tokio::io::AsyncWriteExt;
        let mut stdin = convert.stdin.take().unwrap();
        stdin.write_all(&shot).await.unwrap();
        drop(stdin);
        let raw = convert.wait_with_output().await.unwrap().stdout;
        raw.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect()
    }
}

impl Panel {
    /// Waits until the icon on the screen is what `expected` says (the panel redraws on its own
    /// time after the icon changed), keeping its last picture as `name`.
    pub async fn wait_icon(&self, name: &str, what: &str, expected: impl Fn(&[[u8; 3]]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if expected(&self.icon(name).await) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the tray icon never showed {what}"
            );
        }
    }
}

/// Whether some of `pixels` are near `colour` (the panel scales and smooths the icon).
pub fn shows(pixels: &[[u8; 3]], colour: [u8; 3]) -> bool {
    let near = |p: &[u8; 3]| (0..3).all(|c| (p[c] as i32 - colour[c] as i32).abs() <= 40);
    pixels.iter().filter(|p| near(p)).count() >= 4
}

/// Whether every pixel is a grey (no colour).
pub fn all_grey(pixels: &[[u8; 3]]) -> bool {
    pixels.iter().all(|p| {
        let (most, least) = (*p.iter().max().unwrap(), *p.iter().min().unwrap());
        most - least <= 24
    })
}
