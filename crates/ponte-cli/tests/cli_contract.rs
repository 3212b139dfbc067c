//! The `ponte` commands as other tools use them: names, JSON shapes and exit codes, against
//! ponte-sandbox, including a sync killed with SIGKILL mid-way.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{cli, sales_for, Cli, CPFS};
use ponte_sandbox::contaazul::NewProduto;
use ponte_sandbox::nuvemshop::NewOrder;
use ponte_sandbox::{Fault, FaultRule, Service};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

impl Cli {
    fn order(&self, name: &str, cpf: &str, product: &str) -> u64 {
        self.sandbox
            .control()
            .create_order(common::paid_order(name, cpf, product))
            .id
    }
}

#[tokio::test]
async fn the_commands_keep_their_names_shapes_and_exit_codes() {
    let cli = cli().await;
    let control = cli.sandbox.control();
    control.add_seller("Ana Souza");
    let carlos = control.add_seller("Carlos Mendes").id.to_string();

    let before = cli.run(&["status", "--json"]).await;
    assert_eq!(before.code, 0);
    let status = before.json();
    assert_eq!(status["enabled"], false);
    assert_eq!(status["nuvemshop"]["connected"], false);
    // Direct mode (the sandbox's secrets): no broker, so no instant import, and why.
    assert_eq!(status["instant"]["active"], false);
    assert_eq!(status["instant"]["state"], "NO_BROKER");
    assert_eq!(cli.run(&["sync", "--once"]).await.code, 3, "not connected");
    let looping = tokio::time::timeout(Duration::from_secs(20), cli.run(&["sync"]))
        .await
        .expect("`ponte sync` not ready says so at once, it does not wait");
    assert_eq!(looping.code, 3, "{}", looping.stderr);

    cli.connect("nuvemshop").await;
    // No browser on this machine (none on the PATH): the printed link is enough.
    let mut headless = cli.command(&["connect", "contaazul"]);
    headless.env("PATH", cli.dir.path().join("no-browser-here"));
    let mut child = headless.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let redirect = control
        .consent(first.strip_prefix("Open: ").unwrap())
        .unwrap();
    ponte_core::http::install_tls_provider();
    reqwest::get(redirect).await.unwrap();
    let connected = child.wait_with_output().await.unwrap();
    assert!(connected.status.success());
    assert!(String::from_utf8_lossy(&connected.stderr).contains("abra o endereço acima"));

    let sellers = cli.run(&["sellers", "--json"]).await.json();
    let sellers = sellers.as_array().unwrap();
    assert_eq!(sellers.len(), 2);
    assert!(sellers
        .iter()
        .all(|s| s["id"].is_string() && s["name"].is_string()));

    let ambiguous = cli.run(&["enable"]).await;
    assert_eq!(ambiguous.code, 3);
    assert!(ambiguous.stderr.contains("Carlos Mendes") && ambiguous.stderr.contains(&carlos));
    let enabled = cli.run(&["enable", "--seller", &carlos]).await;
    assert_eq!(enabled.code, 0, "{}", enabled.stderr);
    assert!(enabled.stdout.contains("Data de ativação"));

    control.add_product(NewProduto {
        nome: "Luminária".into(),
        saldo: "0".parse().unwrap(),
        ..Default::default()
    });
    control.add_product(NewProduto {
        nome: "Caneca".into(),
        saldo: "10".parse().unwrap(),
        ..Default::default()
    });
    control.set_stock_validation(true);
    let good = cli.order("Maria Silva", "529.982.247-25", "Caneca");
    let short = cli.order("João Lima", "111.444.777-35", "Luminária");

    let sync = cli.run(&["sync", "--once"]).await;
    assert_eq!(
        sync.code, 0,
        "a failed order does not fail the pass: {}",
        sync.stderr
    );

    let status = cli.run(&["status", "--json"]).await.json();
    assert_eq!(status["enabled"], true);
    assert!(status["activated_at"].as_str().unwrap().contains('T'));
    assert_eq!(status["disabled_reason"], Value::Null);
    assert_eq!(status["nuvemshop"]["connected"], true);
    assert_eq!(status["nuvemshop"]["store_id"], "5120101");
    assert_eq!(status["nuvemshop"]["store_name"], "Loja Demonstração");
    assert_eq!(status["contaazul"]["connected"], true);
    assert_eq!(status["contaazul"]["company_name"], "Empresa Demonstração");
    assert_eq!(status["seller"]["name"], "Carlos Mendes");
    assert_eq!(status["seller"]["id"], carlos.as_str());
    assert_eq!(status["counts"]["imported"], 1);
    assert_eq!(status["counts"]["failed"], 1);
    for key in ["queued", "importing", "skipped"] {
        assert_eq!(status["counts"][key], 0, "{key}");
    }
    assert!(status["last_sync_at"].is_string());

    let failed = cli
        .run(&["orders", "--json", "--state", "failed"])
        .await
        .json();
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["order_id"], short);
    assert!(failed[0]["number"].is_u64());
    assert_eq!(failed[0]["state"], "failed");
    assert_eq!(failed[0]["error"]["code"], "STOCK_VALIDATION");
    assert!(failed[0]["error"]["hint"]
        .as_str()
        .unwrap()
        .contains("Permissões do estoque"));
    assert_eq!(failed[0]["sale_id"], Value::Null);
    assert_eq!(failed[0]["skip_reason"], Value::Null);
    let imported = cli
        .run(&["orders", "--json", "--state", "imported"])
        .await
        .json();
    assert_eq!(imported[0]["order_id"], good);
    assert!(imported[0]["sale_id"].is_string() && imported[0]["sale_number"].is_i64());
    assert_eq!(imported[0]["error"], Value::Null);

    // Issue 13: sales imported per day, today last.
    let stats = cli.run(&["stats", "--days", "3", "--json"]).await.json();
    let stats = stats.as_array().unwrap();
    assert_eq!(stats.len(), 3);
    assert_eq!(stats[2]["count"], 1);
    assert!(stats[2]["date"].as_str().unwrap().starts_with("20"));
    assert_eq!(cli.run(&["stats", "--days", "0"]).await.code, 2);

    // Issue 13: the lists as spreadsheets (UTF-8 with a BOM, `;`, a decimal comma).
    let sheet = cli.run(&["export", "--state", "imported"]).await;
    assert_eq!(sheet.code, 0, "{}", sheet.stderr);
    let mut lines = sheet.stdout.split("\r\n");
    assert_eq!(
        lines.next(),
        Some("\u{feff}Pedido;Cliente;Total;Data;Venda na Conta Azul;Situação")
    );
    let row = lines.next().unwrap();
    let sale_number = imported[0]["sale_number"].as_i64().unwrap();
    assert!(
        row.starts_with(&format!("#{};", imported[0]["number"]))
            && row.ends_with(&format!(";{sale_number};Revisão Pendente")),
        "{row}"
    );
    assert!(row.contains(";25,00;"), "a decimal comma: {row}");
    let file = cli.dir.path().join("nao-importados.csv");
    let written = cli
        .run(&[
            "export",
            "--state",
            "failed",
            "--output",
            file.to_str().unwrap(),
        ])
        .await;
    assert_eq!(written.code, 0, "{}", written.stderr);
    assert_eq!(written.stdout.trim(), file.display().to_string());
    let failed_sheet = std::fs::read_to_string(&file).unwrap();
    assert!(failed_sheet.contains("Motivo;O que fazer"));
    assert!(failed_sheet.contains("Permissões do estoque"));
    assert_eq!(cli.run(&["export"]).await.code, 2, "the list is required");

    control.set_stock_validation(false);
    assert_eq!(cli.run(&["retry", &short.to_string()]).await.code, 0);
    assert_eq!(cli.run(&["sync", "--once"]).await.code, 0);
    assert_eq!(
        cli.run(&["status", "--json"]).await.json()["counts"]["imported"],
        2
    );
    assert_eq!(cli.run(&["retry", "--failed"]).await.code, 0);

    assert_eq!(cli.run(&["disable"]).await.code, 0);
    let off = cli.run(&["sync", "--once"]).await;
    assert_eq!(off.code, 3);
    assert!(off.stderr.contains("Integração ativada"), "{}", off.stderr);

    let lock = ponte_core_lock(cli.dir.path());
    assert_eq!(
        cli.run(&["enable"]).await.code,
        0,
        "only sync needs the lock"
    );
    let locked = cli.run(&["sync", "--once"]).await;
    assert_eq!(locked.code, 4, "{}", locked.stderr);
    drop(lock);

    for command in [
        &["--help"][..],
        &["sync", "--help"],
        &["orders", "--help"],
        &["connect", "--help"],
    ] {
        assert_eq!(cli.run(command).await.code, 0);
    }
    assert_eq!(
        cli.run(&["orders", "--state", "lost"]).await.code,
        2,
        "wrong usage"
    );
}

/// The lock a running `ponte sync` holds, taken the same way.
fn ponte_core_lock(dir: &std::path::Path) -> std::fs::File {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("ponte.lock"))
        .unwrap();
    file.try_lock().unwrap();
    file
}

#[cfg(unix)]
#[tokio::test]
async fn r8_a_sync_killed_mid_way_leaves_no_duplicate_and_no_lost_sale() {
    let cli = cli().await;
    let control = cli.sandbox.control();
    cli.ready().await;
    let cpfs = CPFS;
    let numbers: Vec<u64> = cpfs
        .iter()
        .enumerate()
        .map(|(n, cpf)| {
            let id = cli.order(&format!("Cliente {n}"), cpf, &format!("Produto {n}"));
            control.orders().iter().find(|o| o.id == id).unwrap().number
        })
        .collect();
    control.add_fault(
        FaultRule::new(Service::Contaazul, Fault::Latency { millis: 300 }).on("POST", "/v1/venda"),
    );

    let mut sync = cli.command(&["sync", "--once"]).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while control.calls().get(Service::Contaazul, "POST /v1/venda") < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sync never reached the third sale"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    sync.start_kill().unwrap(); // SIGKILL
    sync.wait().await.unwrap();
    let before = control.sales().len();
    assert!(
        before < cpfs.len(),
        "killed before the end ({before} sales)"
    );

    control.clear_faults();
    let rerun = cli.run(&["sync", "--once"]).await;
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    for number in numbers {
        assert_eq!(sales_for(&control, number), 1, "order #{number}");
    }
    let status = cli.run(&["status", "--json"]).await.json();
    assert_eq!(status["counts"]["imported"], 6);
    assert_eq!(status["counts"]["importing"], 0);
}

/// Issue 22: `ponte doctor --json` reads only and answers one entry per assumption; in direct
/// mode (no broker) the webhooks cannot be asked about, everything else holds.
#[tokio::test]
async fn doctor_reports_each_assumption_and_writes_nothing() {
    let cli = cli().await;
    cli.ready().await;
    cli.order("Maria Silva", CPFS[0], "Caneca");
    assert_eq!(cli.run(&["sync", "--once"]).await.code, 0);
    let control = cli.sandbox.control();
    control.reset_calls();
    let output = cli.run(&["doctor", "--json"]).await;
    assert_eq!(output.code, 0, "{}", output.stderr);
    let diagnosis = output.json();
    assert!(diagnosis["ran_at"].is_string());
    let checks = diagnosis["checks"].as_array().unwrap();
    assert!(checks.len() >= 9);
    for check in checks {
        for field in [
            "id",
            "service",
            "assumption",
            "answer",
            "verdict",
            "consequence",
        ] {
            assert!(check[field].is_string(), "{field}: {check}");
        }
        let expected = if check["id"] == "nuvemshop.webhooks" {
            "could_not_tell"
        } else {
            "holds"
        };
        assert_eq!(check["verdict"], expected, "{check}");
    }
    let calls = control.calls();
    assert!(calls
        .contaazul
        .keys()
        .chain(calls.nuvemshop.keys())
        .all(|endpoint| endpoint.starts_with("GET ")));
    let text = cli.run(&["doctor"]).await;
    assert_eq!(text.code, 0);
    assert!(text.stdout.contains("Confere"), "{}", text.stdout);
}

#[tokio::test]
async fn the_environment_is_checked_with_a_clear_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_ponte"))
        .args(["status"])
        .env("PONTE_DATA_DIR", "/tmp")
        .env("PONTE_TOKEN_STORE", "cloud")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr: HashMap<usize, String> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .map(str::to_string)
        .enumerate()
        .collect();
    assert!(stderr.values().any(|l| l.contains("PONTE_*")), "{stderr:?}");
}

#[tokio::test]
async fn usage_errors_exit_2_and_errors_are_told_once_in_portuguese() {
    let cli = cli().await;
    let retry = cli.run(&["retry"]).await;
    assert_eq!(retry.code, 2, "retry needs an order id or --failed");
    let both = cli.run(&["retry", "12", "--failed"]).await;
    assert_eq!(both.code, 2);
    let interval = cli.run(&["settings", "--interval", "0"]).await;
    assert_eq!(interval.code, 2);
    assert_eq!(
        interval.stderr.lines().collect::<Vec<_>>(),
        vec![
            "O intervalo deve ficar entre 1 minuto e 24 horas.",
            "Escolha um valor entre 1 e 1440 minutos."
        ],
        "the message and the hint, once, and no log line"
    );
    let not_connected = cli.run(&["sync", "--once"]).await;
    assert_eq!(not_connected.code, 3);
    assert_eq!(
        not_connected.stderr.lines().count(),
        2,
        "{}",
        not_connected.stderr
    );
    // Checked before any port is taken (the in-process sandbox holds the default ones' peers).
    let demo = cli.run(&["sandbox", "--demo-every", "0.01"]).await;
    assert_eq!(demo.code, 2, "{}", demo.stderr);
    assert!(demo.stderr.contains("0.05"));
}

#[tokio::test]
async fn r7_r13_settings_set_what_the_window_sets() {
    let cli = cli().await;
    let control = cli.sandbox.control();
    control.add_seller("Ana Souza");
    let carlos = control.add_seller("Carlos Mendes").id.to_string();
    cli.connect("nuvemshop").await;
    cli.connect("contaazul").await;
    let shown = cli.run(&["settings", "--json"]).await.json();
    assert_eq!(shown["poll_interval_minutes"], 2, "two minutes by default");
    let changed = cli
        .run(&[
            "settings",
            "--interval",
            "15",
            "--seller",
            &carlos,
            "--json",
        ])
        .await;
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    let changed = changed.json();
    assert_eq!(changed["poll_interval_minutes"], 15);
    assert_eq!(changed["seller"]["name"], "Carlos Mendes");
    let status = cli.run(&["status", "--json"]).await.json();
    assert_eq!(status["seller"]["id"], carlos.as_str());
}

/// Ctrl+C is a signal only on Unix (`kill -INT`); Windows' console events are not sent so.
#[cfg(unix)]
#[tokio::test]
async fn r7_ponte_sync_imports_and_stops_cleanly_on_ctrl_c() {
    let cli = cli().await;
    let control = cli.sandbox.control();
    cli.ready().await;
    let number = {
        let id = cli.order("Maria Silva", "529.982.247-25", "Caneca");
        control.orders().iter().find(|o| o.id == id).unwrap().number
    };
    let mut sync = cli.command(&["sync"]).spawn().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while control.sales().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no sale imported");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = sync.id().unwrap().to_string();
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = tokio::time::timeout(Duration::from_secs(10), sync.wait())
        .await
        .expect("stopped within seconds")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(sales_for(&control, number), 1);
}

/// `ponte orders | head` ends quietly when the reader stops reading, as a Unix command does:
/// no panic on the closed pipe.
#[cfg(unix)]
#[tokio::test]
async fn a_closed_stdout_ends_the_command_quietly() {
    let cli = cli().await;
    let mut child = cli.command(&["status"]).spawn().unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(output.status.code(), Some(101), "{stderr}");
}

/// Issue 13 (R14, beyond): `ponte payments` shows the article's rule until changed, takes the
/// suggested table or single entries, refuses unknown types in Portuguese (exit 2), and the
/// sales sent afterwards follow it.
#[tokio::test]
async fn r14_ponte_payments_maps_the_ways_of_paying() {
    let cli = cli().await;
    cli.ready().await;
    let shown = cli.run(&["payments"]).await;
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    assert!(shown
        .stdout
        .contains("Cartão de crédito        → Dinheiro, à vista"));
    assert_eq!(cli.run(&["payments", "--json"]).await.json(), json!({}));

    let set = cli
        .run(&[
            "payments",
            "--set",
            "credit_card=CARTAO_CREDITO:parcelas",
            "--json",
        ])
        .await;
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert_eq!(
        set.json(),
        json!({"credit_card": {"tipo_pagamento": "CARTAO_CREDITO", "installments": true}})
    );
    let wrong = cli.run(&["payments", "--set", "pix=PIX"]).await;
    assert_eq!(wrong.code, 2);
    assert!(
        wrong.stderr.contains("Forma de pagamento não reconhecida"),
        "{}",
        wrong.stderr
    );
    assert_eq!(
        cli.run(&["payments", "--suggested", "--reset"]).await.code,
        2,
        "one change at a time"
    );

    // The sandbox's orders are paid by credit card unless told otherwise.
    cli.order("Maria Silva", "529.982.247-25", "Caneca");
    assert_eq!(cli.run(&["sync", "--once"]).await.code, 0);
    let sales = cli.sandbox.control().sales();
    assert_eq!(sales.len(), 1);
    assert_eq!(sales[0].tipo_pagamento.as_deref(), Some("CARTAO_CREDITO"));

    assert_eq!(cli.run(&["payments", "--reset"]).await.code, 0);
    assert_eq!(cli.run(&["payments", "--json"]).await.json(), json!({}));
}

#[tokio::test]
async fn backfill_previews_then_imports_on_confirm_and_reconcile_finds_the_rest() {
    let cli = cli().await;
    let control = cli.sandbox.control();
    let old = |name: &str, cpf: &str, days: i64| {
        control.create_order(NewOrder {
            created_at: Some(chrono::Utc::now() - chrono::Duration::days(days)),
            ..common::paid_order(name, cpf, "Caneca")
        })
    };
    let maria = old("Maria Silva", CPFS[0], 3);
    let joao = old("João Souza", CPFS[1], 2);
    cli.ready().await;
    let today = ponte_core::time::business_date(chrono::Utc::now());
    let from = (today - chrono::Duration::days(6))
        .format("%d/%m/%Y")
        .to_string();
    let to = today.to_string();

    // Before the activation date nothing was imported; reconcile says why, and reads only.
    let report = cli
        .run(&["reconcile", "--from", &from, "--to", &to, "--json"])
        .await;
    assert_eq!(report.code, 0, "{}", report.stderr);
    let report = report.json();
    assert_eq!(report["paid"], 2);
    assert_eq!(report["missing"][0]["number"], maria.number);
    assert!(report["missing"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("anterior à data de ativação"));

    let preview = cli.run(&["backfill", "--from", &from, "--to", &to]).await;
    assert_eq!(preview.code, 0, "{}", preview.stderr);
    assert!(
        preview
            .stdout
            .contains("2 pedidos a importar, total R$ 50,00"),
        "{}",
        preview.stdout
    );
    assert!(preview
        .stdout
        .contains("Clientes novos (2): João Souza, Maria Silva"));
    assert!(preview.stdout.contains("--confirm"));
    assert!(control.sales().is_empty(), "a preview creates nothing");

    let confirmed = cli
        .run(&["backfill", "--from", &from, "--to", &to, "--confirm"])
        .await;
    assert_eq!(confirmed.code, 0, "{}", confirmed.stderr);
    assert!(
        confirmed.stdout.contains("2 pedidos na fila"),
        "{}",
        confirmed.stdout
    );
    assert!(
        confirmed.stderr.contains("Importando: 2 de 2"),
        "{}",
        confirmed.stderr
    );
    assert_eq!(sales_for(&control, maria.number), 1);
    assert_eq!(sales_for(&control, joao.number), 1);

    let again = cli
        .run(&[
            "backfill",
            "--from",
            &from,
            "--to",
            &to,
            "--confirm",
            "--json",
        ])
        .await;
    assert_eq!(again.json(), json!({"queued": 0, "recorded": 0}));
    let report = cli
        .run(&["reconcile", "--from", &from, "--to", &to, "--json"])
        .await
        .json();
    assert_eq!(
        (
            report["matched"].as_u64(),
            report["missing"].as_array().map(Vec::len)
        ),
        (Some(2), Some(0))
    );

    // The sale as Conta Azul prints it.
    let pdf = cli.dir.path().join("venda.pdf");
    let saved = cli
        .run(&[
            "sale",
            &maria.id.to_string(),
            "--output",
            pdf.to_str().unwrap(),
        ])
        .await;
    assert_eq!(saved.code, 0, "{}", saved.stderr);
    assert_eq!(saved.stdout.trim(), pdf.display().to_string());
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));

    // Usage: a reversed period exits 2 in Portuguese; a plan of an unknown order exits 1.
    let reversed = cli.run(&["backfill", "--from", &to, "--to", &from]).await;
    assert_eq!(reversed.code, 2);
    assert!(
        reversed.stderr.contains("depois de terminar"),
        "{}",
        reversed.stderr
    );
    let plan = cli.run(&["plan", "999"]).await;
    assert_eq!(plan.code, 1, "{}", plan.stderr);
}

#[tokio::test]
async fn options_and_a_waiting_orders_plan_from_the_terminal() {
    let cli = cli().await;
    cli.ready().await;
    let shown = cli.run(&["settings", "--json"]).await.json();
    assert_eq!(
        (
            shown["match_by_sku"].clone(),
            shown["write_owner_note"].clone()
        ),
        (json!(false), json!(false)),
        "both off by default"
    );
    let set = cli
        .run(&[
            "settings",
            "--match-by-sku",
            "on",
            "--owner-note",
            "on",
            "--json",
        ])
        .await;
    assert_eq!(set.code, 0, "{}", set.stderr);
    let set = set.json();
    assert_eq!(
        (
            set["match_by_sku"].as_bool(),
            set["write_owner_note"].as_bool()
        ),
        (Some(true), Some(true))
    );
    let wrong = cli.run(&["settings", "--match-by-sku", "sim"]).await;
    assert_eq!(wrong.code, 2);

    // Conta Azul cannot create customers for now: the order waits, and its plan says why.
    cli.sandbox.control().add_fault(
        FaultRule::new(Service::Contaazul, Fault::ServerError)
            .on("POST", "/v1/pessoas")
            .times(1000),
    );
    let order = cli.order("Maria Silva", CPFS[0], "Caneca");
    assert_eq!(cli.run(&["sync", "--once"]).await.code, 0);
    let plan = cli.run(&["plan", &order.to_string(), "--json"]).await;
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    let plan = plan.json();
    assert_eq!(plan["customer"]["action"], "create");
    assert_eq!(
        plan["customer"]["why"],
        "cliente novo: nenhum cliente com o mesmo nome e CPF"
    );
    assert_eq!(plan["products"][0]["action"], "create");
    let text = cli.run(&["plan", &order.to_string()]).await;
    assert!(
        text.stdout.contains("+ Maria Silva — cliente novo"),
        "{}",
        text.stdout
    );
}

#[tokio::test]
async fn an_order_cancelled_after_its_import_is_listed_until_checked() {
    let cli = cli().await;
    let control = cli.sandbox.control();
    cli.ready().await;
    let order = cli.order("Maria Silva", CPFS[0], "Caneca");
    assert_eq!(cli.run(&["sync", "--once"]).await.code, 0);
    let none = cli.run(&["changed", "--json"]).await;
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert_eq!(none.json(), json!([]));

    control.cancel_order(order).unwrap();
    let sync = cli.run(&["sync", "--once"]).await;
    assert!(sync.stdout.contains("ponte changed"), "{}", sync.stdout);
    let listed = cli.run(&["changed", "--json"]).await.json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["order_id"], order);
    assert_eq!(listed[0]["flag"], "cancelled");
    assert!(listed[0]["sale_number"].is_i64());
    assert!(listed[0]["message"]
        .as_str()
        .unwrap()
        .contains("o Ponte não muda vendas"));
    assert!(listed[0]["noticed_at"].as_str().unwrap().contains('T'));
    let status = cli.run(&["status", "--json"]).await.json();
    assert_eq!(status["changed_after_import"].as_array().unwrap().len(), 1);

    let checked = cli
        .run(&["changed", "--checked", &order.to_string(), "--json"])
        .await;
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    assert_eq!(checked.json(), json!([]));
    let again = cli.run(&["changed", "--checked", &order.to_string()]).await;
    assert_eq!(again.code, 1, "nothing left to check: {}", again.stderr);
    assert_eq!(sales_for(&control, cli_number(&control, order)), 1);
}

fn cli_number(control: &ponte_sandbox::Control, order_id: u64) -> u64 {
    control
        .orders()
        .iter()
        .find(|o| o.id == order_id)
        .unwrap()
        .number
}
