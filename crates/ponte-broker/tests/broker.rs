//! The broker against the simulators, over HTTP: the connect as the app and the browser walk
//! it, and every refusal (issue 9).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ponte_broker::sandboxed::SandboxWithBroker;
use ponte_broker::Rate;
use ponte_sandbox::{Fault, FaultRule, Service};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

struct Connect {
    state: String,
    verifier: String,
}

impl Connect {
    fn new(tag: &str) -> Connect {
        Connect {
            state: format!("state-{tag}-0123456789abcdef"),
            verifier: format!("verifier-{tag}-{}", "v".repeat(40)),
        }
    }
}

async fn start(
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

fn authorize_url(world: &SandboxWithBroker, service: &str, state: &str) -> String {
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
async fn consent_and_land(world: &SandboxWithBroker, service: &str, state: &str) -> (u16, String) {
    let landing = world
        .sandbox
        .control()
        .consent(&authorize_url(world, service, state))
        .unwrap();
    assert!(landing.starts_with(&format!("{}/callback/{service}?", world.broker.url())));
    let page = http().get(landing).send().await.unwrap();
    (page.status().as_u16(), page.text().await.unwrap())
}

async fn claim(world: &SandboxWithBroker, state: &str, verifier: &str) -> (u16, Value) {
    let answer = http()
        .post(format!("{}/connect/claim", world.broker.url()))
        .json(&json!({ "state": state, "verifier": verifier }))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// Everything the broker logs, for the "nothing secret in the logs" checks.
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

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
    fn capture() -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs.clone(), tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn r1_conta_azul_connects_through_the_broker_and_the_tokens_never_touch_the_browser() {
    let (logs, _guard) = Logs::capture();
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let connect = Connect::new("ca");
    let started = start(&world, "contaazul", &connect, Some(47999)).await;
    assert_eq!(started.status(), 201);
    let started: Value = started.json().await.unwrap();
    assert_eq!(started["expires_in"], 600);
    assert_eq!(
        started["redirect_uri"],
        format!("{}/callback/contaazul", world.broker.url())
    );

    // Before the merchant decides, the claim says to wait.
    assert_eq!(
        claim(&world, &connect.state, &connect.verifier).await.0,
        202
    );

    let (status, page) = consent_and_land(&world, "contaazul", &connect.state).await;
    assert_eq!(status, 200);
    assert!(page.contains("Pronto, volte ao Ponte"));
    assert!(page.contains(&format!(
        "http://127.0.0.1:47999/connected/contaazul?state={}",
        connect.state
    )));

    // A wrong verifier gets nothing and spends nothing.
    let (status, body) = claim(&world, &connect.state, "someone-else").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("wrong_verifier"))
    );

    let (status, body) = claim(&world, &connect.state, &connect.verifier).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    let tokens = &body["tokens"];
    assert_eq!(tokens["service"], "contaazul");
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert!(
        access.len() > 1000 && refresh.len() > 1700,
        "realistic sizes"
    );
    assert_eq!(tokens["expires_in"], 3600);
    assert!(!page.contains(access) && !page.contains(refresh));

    // Single use: a replay is refused, and no sealed token is left behind.
    let (status, body) = claim(&world, &connect.state, &connect.verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (410, Some("already_claimed"))
    );
    assert_eq!(world.broker.sealed_rows(), 0);

    // The refresh goes through the broker, which adds the secret; rotation is Conta Azul's.
    let refreshed = http()
        .post(format!("{}/refresh/contaazul", world.broker.url()))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", "sandbox-contaazul-client"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    let renewed: Value = refreshed.json().await.unwrap();
    assert_ne!(renewed["refresh_token"].as_str().unwrap(), refresh);
    let replayed = http()
        .post(format!("{}/refresh/contaazul", world.broker.url()))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status().as_u16(), 400);
    assert_eq!(
        replayed.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    let logged = logs.text();
    assert!(logged.contains("connect settled"), "{logged}");
    for secret in [
        access,
        refresh,
        &connect.state,
        &connect.verifier,
        "sandbox-contaazul-secret",
    ] {
        assert!(!logged.contains(secret), "the log holds a secret");
    }
    assert_eq!(world.broker.sealed_rows(), 0);
    world.shutdown().await;
}

#[tokio::test]
async fn r1_nuvemshop_connects_through_the_broker_with_the_store_id() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let connect = Connect::new("ns");
    assert_eq!(
        start(&world, "nuvemshop", &connect, None).await.status(),
        201
    );
    let (status, page) = consent_and_land(&world, "nuvemshop", &connect.state).await;
    assert_eq!(status, 200);
    // Without a port, the way back is the ponte:// link.
    assert!(page.contains("ponte://connected/nuvemshop?state="));
    let (status, body) = claim(&world, &connect.state, &connect.verifier).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tokens"]["service"], "nuvemshop");
    assert_eq!(body["tokens"]["store_id"], "5120101");
    assert!(world.sandbox.control().nuvemshop_token_active());
    world.shutdown().await;
}

#[tokio::test]
async fn an_install_from_the_nuvemshop_admin_gets_a_pairing_code_used_once() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let landing = world.sandbox.control().install_from_admin();
    assert!(
        !landing.contains("state="),
        "installs from the admin carry no state"
    );
    let page = http()
        .get(&landing)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Digite este código") || page.contains("digite este código"));
    let code = page
        .split("id=\"codigo\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    assert_eq!(code.len(), 9, "{code}");
    let pair_url = format!("{}/connect/pair", world.broker.url());
    let pair = |code: String| {
        let url = pair_url.clone();
        async move {
            let answer = http()
                .post(url)
                .json(&json!({ "code": code }))
                .send()
                .await
                .unwrap();
            (
                answer.status().as_u16(),
                answer.json::<Value>().await.unwrap(),
            )
        }
    };
    // Typed in lower case, without the dash: the same code.
    let (status, body) = pair(code.to_lowercase().replace('-', "")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tokens"]["store_id"], "5120101");
    assert_eq!(pair(code.clone()).await.0, 410, "used once");
    assert_eq!(pair("ZZZZ-ZZZZ".into()).await.0, 404);
    assert_eq!(pair("12".into()).await.0, 400);
    world.shutdown().await;
}

#[tokio::test]
async fn every_bad_request_is_refused_with_a_clear_status_and_nothing_stored() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let base = world.broker.url();
    let post = |path: &str, body: Value| {
        let url = format!("{base}{path}");
        async move {
            http()
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let good = Connect::new("refusals");
    let hash = sha256_hex(&good.verifier);
    assert_eq!(
        post(
            "/connect/xero/start",
            json!({"state": good.state, "verifier_hash": hash})
        )
        .await,
        404
    );
    assert_eq!(
        post(
            "/connect/contaazul/start",
            json!({"state": "short", "verifier_hash": hash})
        )
        .await,
        400
    );
    assert_eq!(
        post(
            "/connect/contaazul/start",
            json!({"state": good.state, "verifier_hash": "abc"})
        )
        .await,
        400
    );
    assert_eq!(
        post(
            "/connect/contaazul/start",
            json!({"state": good.state, "verifier_hash": hash, "port": 80})
        )
        .await,
        400
    );
    assert_eq!(
        post("/connect/contaazul/start", json!({"nothing": true})).await,
        400
    );
    let huge = "x".repeat(ponte_broker::MAX_BODY + 1);
    assert_eq!(
        post(
            "/connect/contaazul/start",
            json!({"state": huge, "verifier_hash": hash})
        )
        .await,
        413
    );
    assert_eq!(
        post("/connect/claim", json!({"state": huge, "verifier": "v"})).await,
        413
    );
    assert_eq!(
        world.broker.rows(),
        0,
        "nothing stored from refused requests"
    );

    assert_eq!(start(&world, "contaazul", &good, None).await.status(), 201);
    assert_eq!(
        start(&world, "contaazul", &good, None).await.status(),
        409,
        "a state is used once"
    );
    assert_eq!(claim(&world, "never-started-0123456789", "v").await.0, 404);

    // Callbacks that are not a started connect: an error page, never a redirect.
    let get = |path: String| async move { http().get(path).send().await.unwrap() };
    let unknown = get(format!(
        "{base}/callback/contaazul?code=abc&state=forged-0123456789abcdef"
    ))
    .await;
    assert_eq!(unknown.status(), 400);
    assert!(unknown
        .text()
        .await
        .unwrap()
        .contains("Link de autorização inválido"));
    assert_eq!(
        get(format!("{base}/callback/xero?code=abc&state=x"))
            .await
            .status(),
        404
    );
    assert_eq!(
        get(format!("{base}/callback/contaazul?code=abc"))
            .await
            .status(),
        400,
        "Conta Azul has no installs without state"
    );
    // A callback for the other service's connect does not settle it.
    assert_eq!(
        get(format!(
            "{base}/callback/nuvemshop?code=abc&state={}",
            good.state
        ))
        .await
        .status(),
        400
    );

    // Refresh: only Conta Azul, only refresh_token, only our client.
    let form = |path: &str, body: &[(&str, &str)]| {
        let url = format!("{base}{path}");
        let body: Vec<(String, String)> = body
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        async move {
            http()
                .post(url)
                .form(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        form(
            "/refresh/nuvemshop",
            &[("grant_type", "refresh_token"), ("refresh_token", "r")]
        )
        .await,
        404
    );
    assert_eq!(
        form(
            "/refresh/contaazul",
            &[("grant_type", "authorization_code"), ("code", "c")]
        )
        .await,
        400
    );
    assert_eq!(
        form("/refresh/contaazul", &[("grant_type", "refresh_token")]).await,
        400
    );
    assert_eq!(
        form(
            "/refresh/contaazul",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "r"),
                ("client_id", "other")
            ]
        )
        .await,
        401
    );
    assert_eq!(get(format!("{base}/nowhere")).await.status(), 404);
    assert_eq!(get(format!("{base}/healthz")).await.status(), 200);
    world.shutdown().await;
}

#[tokio::test]
async fn a_declined_consent_reaches_the_app_as_a_refusal() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let connect = Connect::new("denied");
    start(&world, "contaazul", &connect, Some(48000)).await;
    let page = http()
        .get(format!(
            "{}/callback/contaazul?error=access_denied&state={}",
            world.broker.url(),
            connect.state
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Autorização não concluída"));
    let (status, body) = claim(&world, &connect.state, &connect.verifier).await;
    assert_eq!(
        (status, body["status"].as_str(), body["error"].as_str()),
        (200, Some("refused"), Some("access_denied"))
    );
    world.shutdown().await;
}

#[tokio::test]
async fn a_code_older_than_three_minutes_is_refused_by_conta_azul_and_the_app_is_told() {
    let world = SandboxWithBroker::start(|sandbox| {
        sandbox.contaazul.code_ttl = Duration::from_millis(50);
    })
    .await
    .unwrap();
    let connect = Connect::new("slow");
    start(&world, "contaazul", &connect, None).await;
    let landing = world
        .sandbox
        .control()
        .consent(&authorize_url(&world, "contaazul", &connect.state))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(120)).await;
    let page = http()
        .get(landing)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Não foi possível concluir a conexão"));
    let (_, body) = claim(&world, &connect.state, &connect.verifier).await;
    assert_eq!(body["status"], "refused");
    assert_eq!(body["error"], "exchange_refused:invalid_grant");
    world.shutdown().await;
}

#[tokio::test]
async fn expired_claims_and_guessed_verifiers_are_refused() {
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| {
            broker.claim_ttl = Duration::from_secs(1);
        },
    )
    .await
    .unwrap();
    let late = Connect::new("late");
    start(&world, "contaazul", &late, None).await;
    consent_and_land(&world, "contaazul", &late.state).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = claim(&world, &late.state, &late.verifier).await;
    assert_eq!((status, body["error"].as_str()), (410, Some("expired")));

    let guessed = Connect::new("guessed");
    start(&world, "contaazul", &guessed, None).await;
    consent_and_land(&world, "contaazul", &guessed.state).await;
    for attempt in 0..5 {
        assert_eq!(
            claim(&world, &guessed.state, &format!("guess-{attempt}"))
                .await
                .0,
            403
        );
    }
    let (status, body) = claim(&world, &guessed.state, &guessed.verifier).await;
    assert_eq!((status, body["error"].as_str()), (410, Some("burnt")));
    world.shutdown().await;
}

#[tokio::test]
async fn claims_are_rate_limited_per_address() {
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| {
            broker.claim_rate = Rate {
                per_minute: 6,
                burst: 3,
            };
        },
    )
    .await
    .unwrap();
    for _ in 0..3 {
        assert_eq!(claim(&world, "never-started-0123456789", "v").await.0, 404);
    }
    let limited = http()
        .post(format!("{}/connect/claim", world.broker.url()))
        .json(&json!({ "state": "never-started-0123456789", "verifier": "v" }))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    let wait: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&wait));
    world.shutdown().await;
}

#[tokio::test]
async fn tokens_of_4000_characters_pass_through_the_broker() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let access = "a".repeat(4000);
    let refresh = "r".repeat(4000);
    let mut rule = FaultRule::new(
        Service::Contaazul,
        Fault::Answer {
            status: 200,
            body: json!({"access_token": access, "refresh_token": refresh, "expires_in": 3600, "token_type": "Bearer"}),
        },
    );
    rule.path_contains = Some("/oauth2/token".into());
    rule.times = Some(1);
    world.sandbox.control().add_fault(rule);
    let connect = Connect::new("big");
    start(&world, "contaazul", &connect, None).await;
    consent_and_land(&world, "contaazul", &connect.state).await;
    let (status, body) = claim(&world, &connect.state, &connect.verifier).await;
    assert_eq!(status, 200);
    assert_eq!(body["tokens"]["access_token"], access);
    assert_eq!(body["tokens"]["refresh_token"], refresh);
    world.shutdown().await;
}

// ---- Webhooks (issue 10) -----------------------------------------------------------------

/// Connects the store through the broker: its installation's events key and cursor.
async fn installed(world: &SandboxWithBroker) -> (String, i64) {
    let connect = Connect::new("events");
    start(world, "nuvemshop", &connect, None).await;
    consent_and_land(world, "nuvemshop", &connect.state).await;
    let (_, body) = claim(world, &connect.state, &connect.verifier).await;
    (
        body["events"]["key"].as_str().unwrap().to_string(),
        body["events"]["cursor"].as_i64().unwrap(),
    )
}

fn signature(body: &str, secret: &str) -> Vec<u8> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    ring::hmac::sign(&key, body.as_bytes()).as_ref().to_vec()
}

async fn deliver(
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

fn hex_signed(body: &str) -> Option<String> {
    Some(hex::encode(signature(body, "sandbox-nuvemshop-secret")))
}

async fn read_events(world: &SandboxWithBroker, key: &str, after: i64, wait: u64) -> (u16, Value) {
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

#[tokio::test]
async fn webhooks_are_checked_queued_without_personal_data_and_read_by_the_installation() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let (key, cursor) = installed(&world).await;
    let paid = r#"{"store_id":5120101,"event":"order/paid","id":901}"#;

    // Refused, nothing stored: no signature, a wrong one, an unknown store, a huge body.
    assert_eq!(deliver(&world, "", paid, None).await, 401);
    assert_eq!(
        deliver(
            &world,
            "",
            paid,
            Some(hex::encode(signature(paid, "guess")))
        )
        .await,
        401
    );
    let stranger = r#"{"store_id":999,"event":"order/paid","id":1}"#;
    assert_eq!(
        deliver(&world, "", stranger, hex_signed(stranger)).await,
        404
    );
    let huge = format!(
        r#"{{"store_id":5120101,"event":"order/paid","id":1,"pad":"{}"}}"#,
        "x".repeat(300_000)
    );
    assert_eq!(deliver(&world, "", &huge, hex_signed(&huge)).await, 413);
    assert_eq!(
        deliver(&world, "/unknown-kind", "{}", hex_signed("{}")).await,
        404
    );
    assert_eq!(world.broker.queued_events(), 0);

    // A long poll started before the webhook returns as soon as it is queued.
    let reading = {
        let url = format!("{}/events?after={cursor}&wait=20", world.broker.url());
        let key = key.clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let body: Value = http()
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (started.elapsed(), body)
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(deliver(&world, "", paid, hex_signed(paid)).await, 200);
    let (waited, body) = reading.await.unwrap();
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert_eq!(body["events"][0]["event"], "order/paid");
    assert_eq!(body["events"][0]["resource_id"], "901");

    // Duplicates are expected: one event. base64 signatures are accepted too. Events Ponte
    // does not use are acknowledged and dropped.
    let base64 = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        signature(paid, "sandbox-nuvemshop-secret"),
    );
    assert_eq!(deliver(&world, "", paid, Some(base64)).await, 200);
    let created = r#"{"store_id":5120101,"event":"product/created","id":5}"#;
    assert_eq!(deliver(&world, "", created, hex_signed(created)).await, 200);
    assert_eq!(world.broker.queued_events(), 1);

    // LGPD: only the customer's id and the orders' ids are kept.
    let redact = r#"{"store_id":5120101,"customer":{"id":77,"email":"maria@exemplo.com.br","phone":"+5511987654321","identification":"39053344705"},"orders_to_redact":[901,902]}"#;
    assert_eq!(
        deliver(&world, "/customers-redact", redact, hex_signed(redact)).await,
        200
    );
    let request = r#"{"store_id":5120101,"customer":{"id":77,"email":"maria@exemplo.com.br"},"orders_requested":[901],"checkouts_requested":[],"drafts_orders_requested":[],"data_request":{"id":4242}}"#;
    assert_eq!(
        deliver(
            &world,
            "/customers-data-request",
            request,
            hex_signed(request)
        )
        .await,
        200
    );
    let store = r#"{"store_id":5120101}"#;
    assert_eq!(
        deliver(&world, "/store-redact", store, hex_signed(store)).await,
        200
    );
    let (status, body) = read_events(&world, &key, cursor, 0).await;
    assert_eq!(status, 200);
    let text = body.to_string();
    for personal in ["maria@", "98765", "39053344705"] {
        assert!(!text.contains(personal), "{text}");
    }
    let events = body["events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!(events[1]["event"], "customers/redact");
    assert_eq!(events[1]["resource_id"], "77");
    assert_eq!(events[1]["orders"], json!(["901", "902"]));
    assert_eq!(events[2]["event"], "customers/data_request");
    assert_eq!(events[2]["resource_id"], "4242");
    assert_eq!(events[3]["event"], "store/redact");

    // Keys: none, wrong → 401. Acknowledged events leave the queue.
    assert_eq!(read_events(&world, "wrong", 0, 0).await.0, 401);
    assert_eq!(
        http()
            .get(format!("{}/events", world.broker.url()))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let last = body["cursor"].as_i64().unwrap();
    let acked = http()
        .post(format!("{}/events/ack", world.broker.url()))
        .bearer_auth(&key)
        .json(&json!({ "up_to": last }))
        .send()
        .await
        .unwrap();
    assert_eq!(acked.status(), 200);
    assert_eq!(world.broker.queued_events(), 0);
    world.shutdown().await;
}
