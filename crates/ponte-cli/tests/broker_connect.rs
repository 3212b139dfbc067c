//! `ponte connect` as a merchant's Ponte does it (issue 9): through the broker, with no secret
//! in the environment, and `--code` for installs that started in the Nuvemshop admin.

use std::process::Stdio;

use ponte_broker::sandboxed::SandboxWithBroker;
use tokio::io::{AsyncBufReadExt, BufReader};
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
    let page = reqwest::get(landing).await.unwrap().text().await.unwrap();
    assert!(page.contains("Pronto, volte ao Ponte"));
    // The page's script would bring the browser back; without it, the claim is polled.
    let status = child.wait().await.unwrap();
    assert!(status.success());

    let landing = world.sandbox.control().install_from_admin();
    let page = reqwest::get(landing).await.unwrap().text().await.unwrap();
    let code = page
        .split("id=\"codigo\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
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
