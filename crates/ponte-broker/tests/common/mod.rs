//! The broker's tests walk it as its callers do: the app (start, claim, refresh, events), the
//! merchant's browser (consent, the broker's page, the way back) and Nuvemshop (webhooks).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use ponte_broker::sandboxed::{LandingPage, SandboxWithBroker};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub fn http() -> reqwest::Client {
    ponte_broker::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// What an app keeps of a connect it started.
pub struct Connect {
    pub state: String,
    pub verifier: String,
}

impl Connect {
    pub fn new(tag: &str) -> Connect {
        Connect {
            state: format!("state-{tag}-0123456789abcdef"),
            verifier: format!("verifier-{tag}-{}", "v".repeat(40)),
        }
    }
}

pub async fn start(
    world: &SandboxWithBroker,
    service: &str,
    connect: &Connect,
    port: Option<u16>,
) -> reqwest::Response {
    http()
        .post(format!("{}/connect/{service}/start", world.broker.url()))
        .json(&json!({
            "state": connect.state,
            "verifier_hash": sha256_hex(&connect.verifier),
            "port": port,
        }))
        .send()
        .await
        .unwrap()
}

pub fn authorize_url(world: &SandboxWithBroker, service: &str, state: &str) -> String {
    let config = world.sandbox.config();
    match service {
        "nuvemshop" => format!(
            "{}/apps/{}/authorize?state={state}",
            world.sandbox.nuvemshop_url(),
            config.nuvemshop.app_id
        ),
        _ => format!(
            "{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}/callback/contaazul&state={state}",
            world.sandbox.contaazul_url(),
            config.contaazul.client_id,
            world.broker.url()
        ),
    }
}

/// The merchant consents; the browser lands on the broker's callback. Its page.
pub async fn consent_and_land(
    world: &SandboxWithBroker,
    service: &str,
    state: &str,
) -> LandingPage {
    let landing = world
        .sandbox
        .control()
        .consent(&authorize_url(world, service, state))
        .unwrap();
    assert!(landing.starts_with(&format!("{}/callback/{service}?", world.broker.url())));
    LandingPage::load(&landing).await.unwrap()
}

pub async fn claim(
    world: &SandboxWithBroker,
    state: &str,
    verifier: &str,
    return_code: Option<&str>,
) -> (u16, Value) {
    let mut body = json!({ "state": state, "verifier": verifier });
    if let Some(code) = return_code {
        body["return_code"] = json!(code);
    }
    let answer = http()
        .post(format!("{}/connect/claim", world.broker.url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// A whole connect as the merchant's Ponte makes it: the claim's answer (tokens and the
/// installation's key).
pub async fn connected(world: &SandboxWithBroker, service: &str, tag: &str) -> Value {
    connected_in_store(world, service, tag, None).await
}

/// [`connected`], by the merchant of another Nuvemshop store (`store`).
pub async fn connected_in_store(
    world: &SandboxWithBroker,
    service: &str,
    tag: &str,
    store: Option<u64>,
) -> Value {
    let connect = Connect::new(tag);
    assert_eq!(
        start(world, service, &connect, Some(47999)).await.status(),
        201
    );
    let landing = world
        .sandbox
        .control()
        .consent_in_store(&authorize_url(world, service, &connect.state), store)
        .unwrap();
    let page = LandingPage::load(&landing).await.unwrap();
    let code = page.code().expect("the page shows the return code");
    let (status, body) = claim(world, &connect.state, &connect.verifier, Some(&code)).await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn refresh(
    world: &SandboxWithBroker,
    key: Option<&str>,
    refresh_token: &str,
) -> reqwest::Response {
    let mut request = http()
        .post(format!("{}/refresh/contaazul", world.broker.url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", "sandbox-contaazul-client"),
        ]);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}

pub fn signature(body: &str, secret: &str) -> Vec<u8> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::sign(&key, body.as_bytes()).as_ref().to_vec()
}

pub fn hex_signed(body: &str) -> Option<String> {
    Some(hex::encode(signature(body, "sandbox-nuvemshop-secret")))
}

pub async fn deliver(
    world: &SandboxWithBroker,
    path: &str,
    body: &str,
    signature: Option<String>,
) -> u16 {
    let mut request = http()
        .post(format!("{}/webhooks/nuvemshop{path}", world.broker.url()))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(signature) = signature {
        request = request.header("X-Linkedstore-HMAC-SHA256", signature);
    }
    request.send().await.unwrap().status().as_u16()
}

pub async fn read_events(
    world: &SandboxWithBroker,
    key: &str,
    after: i64,
    wait: u64,
) -> (u16, Value) {
    let answer = http()
        .get(format!(
            "{}/events?after={after}&wait={wait}",
            world.broker.url()
        ))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    (
        answer.status().as_u16(),
        answer.json().await.unwrap_or(Value::Null),
    )
}

pub async fn ack(world: &SandboxWithBroker, key: &str, up_to: i64) -> u16 {
    http()
        .post(format!("{}/events/ack", world.broker.url()))
        .bearer_auth(key)
        .json(&json!({ "up_to": up_to }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Everything the broker logs, for the "nothing secret in the logs" checks.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Captures the logs of this thread (tests using it run on a current-thread runtime).
    pub fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs.clone(), tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}
