//! `ponte connect` as a merchant's Ponte does it (issues 9 and 19): through the broker, with no
//! secret in the environment; the code the broker's page shows typed on standard input when the
//! browser cannot come back; and `--code` for installs that started in the Nuvemshop admin.

use std::process::Stdio;

use ponte_broker::sandboxed::{LandingPage, SandboxWithBroker};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

fn ponte(world: &SandboxWithBroker, dir: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ponte"));
    command
        .args(args)
        .envs(world.env_lines())
        .env("PONTE_DATA_DIR", dir)
        .env("PONTE_TOKEN_STORE", "file")
        .env_remove("PONTE_NUVEMSHOP_CLIENT_SECRET")
        .env_remove("PONTE_CONTAAZUL_CLIENT_SECRET")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn r1_connect_goes_through_the_broker_without_any_secret() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    assert!(world
        .env_lines()
        .iter()
        .all(|(name, _)| !name.contains("SECRET")));
    let dir = tempfile::tempdir().unwrap();

    let mut child = ponte(
        &world,
        dir.path(),
        &["connect", "contaazul", "--no-browser"],
    )
    .stdin(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let url = first.strip_prefix("Open: ").unwrap();
    assert!(url.contains(&format!(
        "redirect_uri={}/callback/contaazul",
        world.broker.url()
    )));
    let landing = world.sandbox.control().consent(url).unwrap();
    let page = LandingPage::load(&landing).await.unwrap();
    assert!(page.html.contains("Pronto, volte ao Ponte"));
    // The browser stays on the page: the merchant types its code, a wrong one first.
    let code = page.code().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"ZZZZ-ZZZZ\n").await.unwrap();
    stdin
        .write_all(format!("{}\n", code.to_lowercase()).as_bytes())
        .await
        .unwrap();
    let output = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("connected once the code was typed")
        .unwrap();
    assert!(output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("digite aqui o código"), "{said}");
    assert!(said.contains("Código incorreto."), "{said}");

    let landing = world.sandbox.control().install_from_admin();
    let code = LandingPage::load(&landing).await.unwrap().code().unwrap();
    let wrong = ponte(
        &world,
        dir.path(),
        &["connect", "nuvemshop", "--code", "ZZZZ-ZZZZ"],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("Código não encontrado"));
    let misused = ponte(
        &world,
        dir.path(),
        &["connect", "contaazul", "--code", &code],
    )
    .output()
    .await
    .unwrap();
    assert_eq!(misused.status.code(), Some(2));
    let paired = ponte(
        &world,
        dir.path(),
        &["connect", "nuvemshop", "--code", &code],
    )
    .output()
    .await
    .unwrap();
    assert!(
        paired.status.success(),
        "{}",
        String::from_utf8_lossy(&paired.stderr)
    );

    let status = ponte(&world, dir.path(), &["status", "--json"])
        .output()
        .await
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["nuvemshop"]["connected"], true);
    assert_eq!(status["nuvemshop"]["store_id"], "5120101");
    assert_eq!(status["contaazul"]["connected"], true);
    world.shutdown().await;
}

/// Issue 10: `ponte sync` listens for the broker's events: a paid order is a sale within
/// seconds though the check runs every 2 minutes; `ponte lgpd` lists what LGPD asked for.
#[tokio::test]
async fn ponte_sync_imports_a_paid_order_within_seconds_and_lists_lgpd_requests() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let control = world.sandbox.control();
    control.add_seller("Ana Souza");
    for account in ["nuvemshop", "contaazul"] {
        let mut child = ponte(&world, dir.path(), &["connect", account, "--no-browser"])
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next_line().await.unwrap().unwrap();
        let landing = control
            .consent(first.strip_prefix("Open: ").unwrap())
            .unwrap();
        // The page's script brings the browser back to `ponte connect`'s listener.
        let page = LandingPage::load(&landing).await.unwrap();
        assert_eq!(page.go_back().await.unwrap(), 200);
        assert!(child.wait().await.unwrap().success());
    }
    let enabled = ponte(&world, dir.path(), &["enable"])
        .output()
        .await
        .unwrap();
    assert!(
        enabled.status.success(),
        "{}",
        String::from_utf8_lossy(&enabled.stderr)
    );
    let mut sync = ponte(&world, dir.path(), &["sync"]).spawn().unwrap();

    // Instant import comes on (the webhooks registered), then an order is paid.
    let started = std::time::Instant::now();
    while control.webhooks().len() < 3 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no webhooks"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // `ponte status` in another process reads the running listener's state.
    let instant_state = |output: std::process::Output| {
        let status: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        status["instant"]["state"].as_str().unwrap().to_string()
    };
    loop {
        let status = ponte(&world, dir.path(), &["status", "--json"])
            .output()
            .await
            .unwrap();
        if instant_state(status) == "ACTIVE" {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "instant import never shown active"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let order = control.create_order(ponte_sandbox::nuvemshop::NewOrder {
        customer: ponte_sandbox::nuvemshop::NewCustomer {
            name: "Maria Silva".into(),
            email: "maria@exemplo.com.br".into(),
            identification: Some("39053344705".into()),
            phone: None,
            billing_phone: None,
        },
        products: vec![ponte_sandbox::nuvemshop::NewLine {
            name: "Camiseta".into(),
            price: "59.90".parse().unwrap(),
            quantity: 1,
            sku: None,
            variant_values: vec![],
        }],
        payment_status: Some(ponte_sandbox::nuvemshop::PaymentStatus::Paid),
        ..Default::default()
    });
    let paid_at = std::time::Instant::now();
    let note = format!("Pedido Nuvemshop #{}", order.number);
    while !control
        .sales()
        .iter()
        .any(|s| s.observacoes.as_deref() == Some(note.as_str()))
    {
        assert!(
            paid_at.elapsed() < std::time::Duration::from_secs(15),
            "no sale within 15 s of the payment"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    let folder = tempfile::tempdir().unwrap();
    let set = ponte(
        &world,
        dir.path(),
        &["lgpd", "--folder", folder.path().to_str().unwrap()],
    )
    .output()
    .await
    .unwrap();
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let relative = ponte(&world, dir.path(), &["lgpd", "--folder", "relativa"])
        .output()
        .await
        .unwrap();
    assert_eq!(
        relative.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&relative.stderr)
    );
    control
        .send_lgpd_webhook("customers-data-request", &[order.id])
        .unwrap();
    let asked = std::time::Instant::now();
    loop {
        let listed = ponte(&world, dir.path(), &["lgpd", "--json"])
            .output()
            .await
            .unwrap();
        let requests: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
        if let Some(file) = requests[0]["file"].as_str() {
            assert_eq!(requests[0]["kind"], "customers_data_request");
            assert!(std::fs::read_to_string(file)
                .unwrap()
                .contains("Maria Silva"));
            break;
        }
        assert!(
            asked.elapsed() < std::time::Duration::from_secs(15),
            "{requests}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let nothing_waiting = ponte(&world, dir.path(), &["lgpd", "--erase-store"])
        .output()
        .await
        .unwrap();
    assert_eq!(nothing_waiting.status.code(), Some(1));
    control.send_lgpd_webhook("store-redact", &[]).unwrap();
    let asked = std::time::Instant::now();
    loop {
        let status = ponte(&world, dir.path(), &["status", "--json"])
            .output()
            .await
            .unwrap();
        let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        if status["store_erasure_requested"] == true {
            break;
        }
        assert!(asked.elapsed() < std::time::Duration::from_secs(15));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let erased = ponte(&world, dir.path(), &["lgpd", "--erase-store", "--json"])
        .output()
        .await
        .unwrap();
    assert!(erased.status.success());
    // Standard output holds the JSON alone; the sentence goes to stderr.
    let requests: serde_json::Value = serde_json::from_slice(&erased.stdout).unwrap();
    assert!(requests
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["kind"] == "store_redact" && r["state"] == "done"));
    assert!(String::from_utf8_lossy(&erased.stderr).contains("Dados da loja apagados"));
    let _ = sync.kill().await;
    // Nothing listens any more: said as such, not as the last state the listener saved.
    let status = ponte(&world, dir.path(), &["status", "--json"])
        .output()
        .await
        .unwrap();
    // Nothing listens, and the store's data is gone: the missing connection is what counts.
    assert_eq!(instant_state(status), "NOT_CONNECTED");
    world.shutdown().await;
}
