//! `ponte sandbox`: starts both simulators, prints where they are and how to point Ponte at
//! them, keeps generating demo orders, and stops cleanly on Ctrl+C. Interrupting a process the
//! way Ctrl+C does needs a Unix signal: Unix only.
#![cfg(unix)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn ponte_sandbox_prints_the_environment_and_serves_until_interrupted() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ponte"))
        .args([
            "sandbox",
            "--nuvemshop-port",
            "0",
            "--contaazul-port",
            "0",
            "--control-port",
            "0",
            "--redirect-port",
            "47999",
            "--demo-every",
            "0.1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("ponte runs");
    let stdout = child.stdout.take().unwrap();
    let mut env = HashMap::new();
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some((name, value)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
            env.insert(name.to_string(), value.to_string());
        }
        let done = line.starts_with("Press Ctrl+C");
        printed.push(line);
        if done {
            break;
        }
    }
    for name in [
        "PONTE_NUVEMSHOP_AUTH_URL",
        "PONTE_NUVEMSHOP_API_URL",
        "PONTE_NUVEMSHOP_CLIENT_ID",
        "PONTE_NUVEMSHOP_CLIENT_SECRET",
        "PONTE_CONTAAZUL_AUTH_URL",
        "PONTE_CONTAAZUL_API_URL",
        "PONTE_CONTAAZUL_CLIENT_ID",
        "PONTE_CONTAAZUL_CLIENT_SECRET",
        "PONTE_REDIRECT_PORT",
        "PONTE_SANDBOX_CONTROL_URL",
    ] {
        assert!(
            env.contains_key(name),
            "{name} missing from:\n{}",
            printed.join("\n")
        );
    }
    assert_eq!(env["PONTE_REDIRECT_PORT"], "47999");
    assert!(env["PONTE_NUVEMSHOP_API_URL"].ends_with("/v1"));

    ponte_core::http::install_tls_provider();
    let http = reqwest::Client::new();
    let consent = http
        .get(format!(
            "{}/apps/{}/authorize",
            env["PONTE_NUVEMSHOP_AUTH_URL"], env["PONTE_NUVEMSHOP_CLIENT_ID"]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 200);
    let token_page = http
        .get(format!(
            "{}/oauth2/authorize",
            env["PONTE_CONTAAZUL_AUTH_URL"]
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        token_page.status(),
        400,
        "Conta Azul answers: no client_id given"
    );

    tokio::time::sleep(Duration::from_millis(500)).await;
    let orders: serde_json::Value = http
        .get(format!(
            "{}/control/nuvemshop/orders",
            env["PONTE_SANDBOX_CONTROL_URL"]
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !orders.as_array().unwrap().is_empty(),
        "the demo generates orders"
    );

    interrupt(&mut child);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

fn interrupt(child: &mut std::process::Child) {
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}
