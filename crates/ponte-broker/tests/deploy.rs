//! `cargo run -p ponte-broker` as an operator runs it, and the container it ships in.

use std::process::Stdio;
use std::time::{Duration, Instant};

use ponte_sandbox::{Sandbox, SandboxConfig};

const SETTINGS: &[&str] = &[
    "PONTE_BROKER_LISTEN",
    "PONTE_BROKER_PUBLIC_URL",
    "PONTE_BROKER_DATABASE",
    "PONTE_BROKER_DATABASE_FILE",
    "PONTE_BROKER_METRICS_LISTEN",
    "PONTE_LOG_FORMAT",
    "PONTE_BROKER_KEY",
    "PONTE_BROKER_KEY_FILE",
    "PONTE_NUVEMSHOP_AUTH_URL",
    "PONTE_NUVEMSHOP_CLIENT_ID",
    "PONTE_NUVEMSHOP_CLIENT_SECRET",
    "PONTE_NUVEMSHOP_CLIENT_SECRET_FILE",
    "PONTE_CONTAAZUL_AUTH_URL",
    "PONTE_CONTAAZUL_CLIENT_ID",
    "PONTE_CONTAAZUL_CLIENT_SECRET",
    "PONTE_CONTAAZUL_CLIENT_SECRET_FILE",
    "PONTE_BROKER_CLAIMS_PER_MINUTE",
    "PONTE_BROKER_TRUSTED_PROXIES",
    "PONTE_BROKER_MAX_CONNECTIONS",
    "PONTE_BROKER_MAX_OUTBOUND",
];

#[test]
fn help_lists_every_setting_and_no_secret_value() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ponte-broker"))
        .arg("--help")
        .env("PONTE_CONTAAZUL_CLIENT_SECRET", "do-not-print-me")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for setting in SETTINGS {
        assert!(help.contains(setting), "--help lacks {setting}");
    }
    assert!(!help.contains("do-not-print-me"));
}

#[test]
fn missing_credentials_or_a_plain_http_public_url_stop_it_at_start() {
    let run = |env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ponte-broker"));
        for setting in SETTINGS {
            command.env_remove(setting);
        }
        command
            .args(["--database", ":memory:", "--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let credentials = [
        ("PONTE_NUVEMSHOP_CLIENT_ID", "1"),
        ("PONTE_NUVEMSHOP_CLIENT_SECRET", "s"),
        ("PONTE_CONTAAZUL_CLIENT_ID", "c"),
        ("PONTE_CONTAAZUL_CLIENT_SECRET", "s"),
    ];
    assert!(!run(&credentials[..2]).status.success());
    let mut plain_http = credentials.to_vec();
    plain_http.push(("PONTE_BROKER_PUBLIC_URL", "http://conectar.example.com"));
    let output = run(&plain_http);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("https"));
    // Issue 19: an https broker must be given its sealing key.
    let mut https_without_key = credentials.to_vec();
    https_without_key.push(("PONTE_BROKER_PUBLIC_URL", "https://conectar.example.com"));
    let output = run(&https_without_key);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("PONTE_BROKER_KEY"));
}

#[tokio::test]
async fn it_serves_healthz_and_stops_cleanly_on_sigterm() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let port = ponte_sandbox::free_loopback_port();
    let dir = tempfile::tempdir().unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ponte-broker"))
        .env("PONTE_BROKER_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "PONTE_BROKER_PUBLIC_URL",
            format!("http://127.0.0.1:{port}"),
        )
        .env("PONTE_BROKER_DATABASE", dir.path().join("broker.sqlite3"))
        .env("PONTE_BROKER_KEY", "ab".repeat(32))
        .env("PONTE_NUVEMSHOP_AUTH_URL", sandbox.nuvemshop_url())
        .env("PONTE_NUVEMSHOP_CLIENT_ID", "8132")
        .env("PONTE_NUVEMSHOP_CLIENT_SECRET", "sandbox-nuvemshop-secret")
        .env("PONTE_CONTAAZUL_AUTH_URL", sandbox.contaazul_url())
        .env("PONTE_CONTAAZUL_CLIENT_ID", "sandbox-contaazul-client")
        .env("PONTE_CONTAAZUL_CLIENT_SECRET", "sandbox-contaazul-secret")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        ponte_broker::install_tls_provider();
        if let Ok(answer) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await {
            assert_eq!(answer.status(), 200);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the broker never answered /healthz"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(dir.path().join("broker.sqlite3").exists());
    #[cfg(unix)]
    {
        // A client keeping a connection open does not hold the stop.
        let _idle = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let pid = child.id().unwrap().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = tokio::time::timeout(Duration::from_secs(7), child.wait())
            .await
            .expect("stopped well within a container's 10 s")
            .unwrap();
        assert!(status.success(), "{status}");
    }
    // No SIGTERM elsewhere; the broker is deployed in a Linux container.
    #[cfg(not(unix))]
    child.kill().await.unwrap();
    sandbox.shutdown().await;
}

#[test]
fn the_container_runs_the_broker_unprivileged_on_the_port_it_exposes() {
    let dockerfile = include_str!("../Dockerfile");
    let instructions: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let has = |prefix: &str| instructions.iter().any(|line| line.starts_with(prefix));
    assert!(
        has("FROM rust:") && has("FROM debian:"),
        "a build stage and a slim runtime"
    );
    assert!(dockerfile.contains("cargo build --release --locked -p ponte-broker"));
    assert!(has("USER ponte"), "not root");
    assert!(has("EXPOSE 8080"));
    assert!(dockerfile.contains("PONTE_BROKER_LISTEN=0.0.0.0:8080"));
    assert!(dockerfile.contains("PONTE_BROKER_DATABASE=/data/"));
    assert!(has("ENTRYPOINT [\"/usr/local/bin/ponte-broker\"]"));
    assert!(dockerfile.contains("HEALTHCHECK"), "a health check");
    assert!(dockerfile.contains("/readyz"), "on readiness");
    // Pinned to a release, not a moving tag.
    for line in dockerfile.lines().filter(|l| l.starts_with("FROM ")) {
        let image = line.split_whitespace().nth(1).unwrap();
        let tag = image.split(':').nth(1).unwrap_or("");
        assert!(
            tag.split('-').next().unwrap().matches('.').count() >= 1 && !tag.contains("latest"),
            "{image} is not pinned to a release"
        );
    }
    assert!(!dockerfile.contains("SECRET="), "no secret baked in");
    // The rust image is at least the workspace's rust-version.
    let manifest = include_str!("../../../Cargo.toml");
    let version = manifest
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap();
    assert!(dockerfile.contains(&format!("FROM rust:{version}")));
    let ignore = include_str!("../../../.dockerignore");
    assert!(ignore.lines().any(|line| line.trim() == "target/"));
}

/// Issue 24: `deploy/compose.yaml` as an operator starts it: Postgres, two brokers sharing it
/// and Caddy in front. Only Caddy is published; each broker gets its secrets from files, trusts
/// one proxy, serves its metrics on the compose network; every image is pinned to a release.
#[test]
fn the_compose_file_runs_two_brokers_on_postgres_behind_caddy() {
    let compose: serde_norway::Value =
        serde_norway::from_str(include_str!("../../../deploy/compose.yaml")).unwrap();
    let services = compose["services"].as_mapping().unwrap();
    let names: Vec<&str> = services.keys().filter_map(|k| k.as_str()).collect();
    assert_eq!(names, ["postgres", "broker-1", "broker-2", "caddy"]);
    for broker in ["broker-1", "broker-2"] {
        let service = &compose["services"][broker];
        let env = &service["environment"];
        for (name, value) in [
            ("PONTE_BROKER_DATABASE_FILE", "/run/secrets/database_url"),
            ("PONTE_BROKER_KEY_FILE", "/run/secrets/broker_key"),
            ("PONTE_BROKER_TRUSTED_PROXIES", "1"),
            ("PONTE_BROKER_METRICS_LISTEN", "0.0.0.0:9464"),
            ("PONTE_LOG_FORMAT", "json"),
        ] {
            assert_eq!(env[name].as_str(), Some(value), "{broker}: {name}");
        }
        assert!(env["PONTE_BROKER_PUBLIC_URL"]
            .as_str()
            .unwrap()
            .starts_with("https://"));
        assert!(service.get("ports").is_none(), "{broker} is not published");
        assert_eq!(
            service["depends_on"]["postgres"]["condition"].as_str(),
            Some("service_healthy")
        );
    }
    assert!(compose["services"]["postgres"].get("ports").is_none());
    for service in ["postgres", "caddy"] {
        let image = compose["services"][service]["image"].as_str().unwrap();
        let tag = image.split(':').nth(1).unwrap();
        assert!(
            tag.split('-').next().unwrap().contains('.'),
            "{image} is pinned"
        );
    }
    let caddyfile = include_str!("../../../deploy/Caddyfile");
    assert!(caddyfile.contains("reverse_proxy broker-1:8080 broker-2:8080"));
    assert!(caddyfile.contains("health_uri /readyz"));
    assert!(
        caddyfile.contains("flush_interval -1"),
        "long polls are not buffered"
    );
    let ignored = include_str!("../../../.gitignore");
    assert!(ignored.contains("/deploy/secrets/") && ignored.contains("/deploy/.env"));
}
