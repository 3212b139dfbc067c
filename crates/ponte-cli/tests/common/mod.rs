//! The `ponte` binary against an in-process sandbox: a data directory of its own, the
//! sandbox's environment, and the merchant's click on the consent pages.

#![allow(dead_code)]

use std::process::Stdio;

use ponte_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

pub struct Cli {
    pub sandbox: Sandbox,
    pub dir: tempfile::TempDir,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

pub async fn cli() -> Cli {
    cli_with(|_| {}).await
}

/// A sandbox adjusted by the test (its limits, for one).
pub async fn cli_with(adjust: impl FnOnce(&mut SandboxConfig)) -> Cli {
    let port = ponte_sandbox::free_loopback_port();
    let mut config = SandboxConfig::with_redirect_port(port);
    adjust(&mut config);
    let sandbox = Sandbox::start(config).await.unwrap();
    Cli {
        sandbox,
        dir: tempfile::tempdir().unwrap(),
    }
}

impl Cli {
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ponte"));
        command
            .args(args)
            .envs(self.sandbox.env_lines())
            .env("PONTE_DATA_DIR", self.dir.path())
            .env("PONTE_TOKEN_STORE", "file")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        output_of(self.command(args)).await
    }

    /// A seller, both accounts connected and the integration on, as `ponte enable` leaves it.
    pub async fn ready(&self) {
        self.sandbox.control().add_seller("Ana Souza");
        self.connect("nuvemshop").await;
        self.connect("contaazul").await;
        assert_eq!(self.run(&["enable"]).await.code, 0);
    }

    /// `ponte connect X --no-browser`, with this test clicking the consent button.
    pub async fn connect(&self, account: &str) {
        let command = self.command(&["connect", account, "--no-browser"]);
        connect_by(command, &self.sandbox.control(), account).await;
    }

    /// `ponte` for the profile `profile`, whose store is `store`'s (another sandbox's, on the
    /// same redirect port) and whose company is this sandbox's.
    pub fn profile_command(&self, profile: &str, store: &Sandbox, args: &[&str]) -> Command {
        let mut command = self.command(args);
        command.env("PONTE_PROFILE", profile);
        for (name, value) in store.env_lines() {
            if name.starts_with("PONTE_NUVEMSHOP_") {
                command.env(name, value);
            }
        }
        command
    }

    /// `profile_command`'s output.
    pub async fn run_profile(&self, profile: &str, store: &Sandbox, args: &[&str]) -> Output {
        output_of(self.profile_command(profile, store, args)).await
    }
}

/// A `ponte connect X --no-browser` command run, with the test clicking the consent button of
/// the sandbox it authorizes at.
pub async fn connect_by(mut command: Command, control: &ponte_sandbox::Control, account: &str) {
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let url = first
        .strip_prefix("Open: ")
        .unwrap_or_else(|| panic!("{first}"));
    let redirect = control.consent(url).unwrap();
    ponte_core::http::install_tls_provider();
    let landing = reqwest::get(redirect).await.unwrap();
    assert!(landing.text().await.unwrap().contains("Conectado"));
    let status = child.wait().await.unwrap();
    assert!(status.success(), "connect {account}: {status}");
}

/// A command's exit code and output.
pub async fn output_of(mut command: Command) -> Output {
    let output = command.output().await.unwrap();
    Output {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// How many sales Conta Azul holds for the Nuvemshop order number.
pub fn sales_for(control: &ponte_sandbox::Control, number: u64) -> usize {
    let note = format!("Pedido Nuvemshop #{number}");
    control
        .sales()
        .iter()
        .filter(|s| s.observacoes.as_deref() == Some(note.as_str()))
        .count()
}

/// Valid CPFs of six different buyers.
pub const CPFS: &[&str] = &[
    "529.982.247-25",
    "111.444.777-35",
    "390.533.447-05",
    "714.602.380-01",
    "853.513.468-93",
    "248.438.034-80",
];

/// A paid order of one product at R$ 25,00.
pub fn paid_order(name: &str, cpf: &str, product: &str) -> ponte_sandbox::nuvemshop::NewOrder {
    use ponte_sandbox::nuvemshop::{NewCustomer, NewLine, NewOrder, PaymentStatus};
    NewOrder {
        customer: NewCustomer {
            name: name.into(),
            email: "cliente@exemplo.com.br".into(),
            identification: Some(cpf.into()),
            phone: None,
            billing_phone: None,
        },
        products: vec![NewLine {
            name: product.into(),
            price: "25.00".parse().unwrap(),
            quantity: 1,
            sku: None,
            variant_values: vec![],
        }],
        payment_status: Some(PaymentStatus::Paid),
        ..NewOrder::default()
    }
}
