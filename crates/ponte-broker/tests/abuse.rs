//! What one abusive caller, or many, can make the broker do (issue 19): every limit answers
//! 429 with `Retry-After` before any work with the app's secrets, slow clients are cut off,
//! every answer carries the security headers, and no log holds a secret.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ponte_broker::sandboxed::{LandingPage, SandboxWithBroker};
use ponte_broker::{Rate, TrustedProxies};
use ponte_sandbox::{Fault, FaultRule, Service};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// A request as if it came, through the one trusted proxy, from `address`.
fn from(address: &str, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request.header("x-forwarded-for", address)
}

#[tokio::test]
async fn refreshes_are_limited_per_address_per_installation_and_for_everyone() {
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| {
            broker.trusted_proxies = TrustedProxies::Hops(1);
            broker.limits.refresh = Rate::new(60, 2);
            broker.limits.refresh_per_installation = Rate::new(60, 3);
            broker.limits.refresh_global = Rate::new(600, 5);
        },
    )
    .await
    .unwrap();
    let azul = connected(&world, "contaazul", "limits").await;
    let key = azul["installation"]["key"].as_str().unwrap().to_string();
    let url = format!("{}/refresh/contaazul", world.broker.url());
    let send = |address: &str, key: &str| {
        from(address, http().post(&url))
            .bearer_auth(key)
            .form(&[("grant_type", "refresh_token"), ("refresh_token", "spent")])
            .send()
    };
    // One address: two, then wait.
    assert_eq!(send("203.0.113.1", &key).await.unwrap().status(), 400);
    assert_eq!(send("203.0.113.1", &key).await.unwrap().status(), 400);
    let limited = send("203.0.113.1", &key).await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(retry_after(&limited) >= 1);
    // One installation from another address: its third goes, its fourth waits.
    assert_eq!(send("203.0.113.2", &key).await.unwrap().status(), 400);
    let limited = send("203.0.113.3", &key).await.unwrap();
    assert_eq!(limited.status(), 429, "the installation's own rate");
    // Everyone together: strangers with keys that do not exist still spend the global rate
    // (checked before any lookup), and past it everyone waits.
    let mut statuses = Vec::new();
    for n in 10..16 {
        statuses.push(
            send(&format!("198.51.100.{n}"), &"0".repeat(64))
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    world.shutdown().await;
}

#[tokio::test]
async fn callbacks_without_state_are_limited_before_any_exchange() {
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| {
            broker.trusted_proxies = TrustedProxies::Hops(1);
            // One token back every 10 s: a slow exchange on a busy machine cannot refill a
            // budget between the calls below (the shared one, at 600 a minute, refilled one in
            // 100 ms and let a call through that the test expected refused).
            broker.limits.install = Rate::new(6, 2);
            broker.limits.install_global = Rate::new(6, 3);
        },
    )
    .await
    .unwrap();
    let control = world.sandbox.control();
    let exchanges = || {
        control
            .calls()
            .get(Service::Nuvemshop, "POST /apps/authorize/token")
    };
    let url = format!("{}/callback/nuvemshop?code=forged", world.broker.url());
    let call = |address: &str| from(address, http().get(&url)).send();
    assert_eq!(call("203.0.113.1").await.unwrap().status(), 502);
    assert_eq!(call("203.0.113.1").await.unwrap().status(), 502);
    let limited = call("203.0.113.1").await.unwrap();
    assert_eq!(limited.status(), 429);
    assert!(retry_after(&limited) >= 1);
    assert!(limited.text().await.unwrap().contains("Muitas tentativas"));
    assert_eq!(call("203.0.113.2").await.unwrap().status(), 502);
    assert_eq!(
        call("203.0.113.3").await.unwrap().status(),
        429,
        "everyone's share is spent"
    );
    assert_eq!(exchanges(), 3, "refused callbacks made no exchange");
    world.shutdown().await;
}

#[tokio::test]
async fn outbound_calls_with_the_secrets_are_capped_in_flight() {
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| {
            broker.limits.outbound_in_flight = 1;
        },
    )
    .await
    .unwrap();
    let azul = connected(&world, "contaazul", "outbound").await;
    let key = azul["installation"]["key"].as_str().unwrap().to_string();
    let mut slow = FaultRule::new(Service::Contaazul, Fault::Latency { millis: 5_000 });
    slow.path_contains = Some("/oauth2/token".into());
    world.sandbox.control().add_fault(slow);
    let first = {
        let world_url = world.broker.url();
        let key = key.clone();
        tokio::spawn(async move {
            http()
                .post(format!("{world_url}/refresh/contaazul"))
                .bearer_auth(key)
                .form(&[("grant_type", "refresh_token"), ("refresh_token", "r")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let second = refresh(&world, Some(&key), "r").await;
    assert_eq!(second.status(), 429);
    assert!(retry_after(&second) >= 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "refused without waiting for the slow one"
    );
    assert_eq!(first.await.unwrap(), 400, "the first went through");
    world.shutdown().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_pairing_code_guesser_spends_everyones_budget_and_the_log_raises_an_alert() {
    let (logs, _guard) = Logs::capture();
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| {
            broker.trusted_proxies = TrustedProxies::Hops(1);
            broker.limits.pairing_failures_per_hour = 3;
        },
    )
    .await
    .unwrap();
    let page = LandingPage::load(&world.sandbox.control().install_from_admin())
        .await
        .unwrap();
    let code = page.code().unwrap();
    let pair = |address: String, code: &str| {
        from(
            &address,
            http().post(format!("{}/connect/pair", world.broker.url())),
        )
        .json(&json!({ "code": code }))
        .send()
    };
    // Each guess from a new address: the per-address limit never sees them. Three wrong codes
    // fit the budget; the fourth spends it, and from then on everyone waits.
    for n in 0..5 {
        let status = pair(format!("2001:db8:{n}::1"), "ZZZZ-ZZZZ")
            .await
            .unwrap()
            .status();
        assert_eq!(status, if n < 4 { 404 } else { 429 }, "guess {n}");
    }
    let merchant = pair("203.0.113.50".into(), &code).await.unwrap();
    assert_eq!(merchant.status(), 429, "paused for everyone");
    assert!(retry_after(&merchant) > 60);
    let logged = logs.text();
    assert!(logged.contains("ALERT"), "{logged}");
    assert!(logged.contains("pairing_guessing"));
    world.shutdown().await;
}

#[tokio::test]
async fn starts_count_an_ipv6_client_by_its_64_and_ignore_untrusted_forwarding() {
    for trusted in [TrustedProxies::Hops(1), TrustedProxies::None] {
        let world = SandboxWithBroker::start_with(
            |_| {},
            |broker| {
                broker.trusted_proxies = trusted.clone();
                broker.limits.start = Rate::new(60, 2);
            },
        )
        .await
        .unwrap();
        let start_from = |address: &str, tag: &str| {
            let connect = Connect::new(tag);
            from(
                address,
                http().post(format!("{}/connect/contaazul/start", world.broker.url())),
            )
            .json(&json!({"state": connect.state, "verifier_hash": sha256_hex(&connect.verifier)}))
            .send()
        };
        let a = start_from("2001:db8:1:2::1", "a")
            .await
            .unwrap()
            .status()
            .as_u16();
        let b = start_from("2001:db8:1:2::ffff", "b")
            .await
            .unwrap()
            .status()
            .as_u16();
        let c = start_from("2001:db8:1:2:9::9", "c")
            .await
            .unwrap()
            .status()
            .as_u16();
        let elsewhere = start_from("2001:db8:1:3::1", "d")
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(
            (a, b, c),
            (201, 201, 429),
            "{trusted:?}: one /64, one client"
        );
        let expected = if trusted == TrustedProxies::None {
            429 // the header is the client's own words: all of these were one peer
        } else {
            201
        };
        assert_eq!(elsewhere, expected, "{trusted:?}");
        world.shutdown().await;
    }
}

#[tokio::test]
async fn clients_that_send_slowly_or_nothing_are_cut_off_and_connections_are_capped() {
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| {
            broker.timeouts.header = Duration::from_secs(1);
            broker.timeouts.body = Duration::from_secs(1);
            broker.limits.connections = 4;
        },
    )
    .await
    .unwrap();
    let addr = world.broker.addr();
    let closed_within = |mut stream: tokio::net::TcpStream| async move {
        let started = Instant::now();
        let mut answer = Vec::new();
        let _ =
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
        (
            started.elapsed(),
            String::from_utf8_lossy(&answer).into_owned(),
        )
    };
    // Half a request head, then silence.
    let mut head = tokio::net::TcpStream::connect(addr).await.unwrap();
    head.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let (waited, _) = closed_within(head).await;
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    // A body promised and never sent.
    let mut body = tokio::net::TcpStream::connect(addr).await.unwrap();
    body.write_all(
        b"POST /connect/claim HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"state\"",
    )
    .await
    .unwrap();
    let (waited, answer) = closed_within(body).await;
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );

    // Four idle connections take every slot: the next request waits until they are cut.
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(tokio::net::TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    ponte_broker::install_tls_provider();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let url = format!("{}/healthz", world.broker.url());
    assert!(client.get(&url).send().await.is_err(), "no slot for it yet");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(client.get(&url).send().await.unwrap().status(), 200);
    drop(idle);
    world.shutdown().await;
}

#[tokio::test]
async fn every_answer_says_nosniff_and_an_https_broker_says_to_keep_to_https() {
    for https in [false, true] {
        let world = SandboxWithBroker::start_with(
            |_| {},
            |broker| {
                if https {
                    broker.public_url = url::Url::parse("https://conectar.example.com.br").unwrap();
                }
            },
        )
        .await
        .unwrap();
        for path in ["/healthz", "/nowhere", "/callback/contaazul?state=x&code=y"] {
            let answer = http()
                .get(format!("{}{path}", world.broker.url()))
                .send()
                .await
                .unwrap();
            let headers = answer.headers();
            assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
            assert_eq!(
                headers.contains_key("strict-transport-security"),
                https,
                "{path}"
            );
        }
        world.shutdown().await;
    }
}

/// Issue 19: a log captured over a whole day's work (both connects, a pairing code, a
/// refresh, webhooks with personal data, the events feed) holds no secret, token, code,
/// state, verifier or key.
#[tokio::test(flavor = "current_thread")]
async fn a_log_of_connects_refreshes_webhooks_and_events_holds_no_secret() {
    let (logs, _guard) = Logs::capture();
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| {
            broker.key = [0x5a; 32];
        },
    )
    .await
    .unwrap();
    let mut secrets: Vec<String> = vec![
        "sandbox-contaazul-secret".into(),
        "sandbox-nuvemshop-secret".into(),
        hex::encode([0x5a; 32]),
        "maria@exemplo.com.br".into(),
        "39053344705".into(),
    ];

    let connect = Connect::new("logged");
    start(&world, "contaazul", &connect, Some(47998)).await;
    let page = consent_and_land(&world, "contaazul", &connect.state).await;
    let code = page.code().unwrap();
    let landing_query = page.way_back().unwrap();
    let (_, azul) = claim(&world, &connect.state, &connect.verifier, Some(&code)).await;
    secrets.extend([
        connect.state.clone(),
        connect.verifier.clone(),
        sha256_hex(&connect.verifier),
        code.clone(),
        code.replace('-', ""),
        landing_query.split("code=").nth(1).unwrap().to_string(),
    ]);
    let key = azul["installation"]["key"].as_str().unwrap().to_string();
    let refresh_token = azul["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    secrets.extend([
        key.clone(),
        refresh_token.clone(),
        azul["tokens"]["access_token"].as_str().unwrap().to_string(),
    ]);
    let renewed: serde_json::Value = refresh(&world, Some(&key), &refresh_token)
        .await
        .json()
        .await
        .unwrap();
    secrets.extend([
        renewed["access_token"].as_str().unwrap().to_string(),
        renewed["refresh_token"].as_str().unwrap().to_string(),
    ]);

    let pairing = LandingPage::load(&world.sandbox.control().install_from_admin())
        .await
        .unwrap()
        .code()
        .unwrap();
    let paired: serde_json::Value = http()
        .post(format!("{}/connect/pair", world.broker.url()))
        .json(&json!({ "code": pairing }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events_key = paired["installation"]["key"].as_str().unwrap().to_string();
    secrets.extend([
        pairing.clone(),
        pairing.replace('-', ""),
        events_key.clone(),
        paired["tokens"]["access_token"]
            .as_str()
            .unwrap()
            .to_string(),
    ]);

    let paid = r#"{"store_id":5120101,"event":"order/paid","id":901}"#;
    let signed = hex_signed(paid).unwrap();
    secrets.push(signed.clone());
    assert_eq!(deliver(&world, "", paid, Some(signed)).await, 200);
    let redact = r#"{"store_id":5120101,"customer":{"id":77,"email":"maria@exemplo.com.br","identification":"39053344705"},"orders_to_redact":[901]}"#;
    assert_eq!(
        deliver(&world, "/customers-redact", redact, hex_signed(redact)).await,
        200
    );
    let (_, events) = read_events(&world, &events_key, 0, 1).await;
    assert_eq!(
        ack(&world, &events_key, events["cursor"].as_i64().unwrap()).await,
        200
    );
    assert_eq!(
        http()
            .delete(format!("{}/installation", world.broker.url()))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    world.shutdown().await;

    let logged = logs.text();
    for expected in [
        "connect settled",
        "pairing code issued",
        "Conta Azul refresh forwarded",
        "webhook queued",
        "installation revoked",
        "/events/ack",
    ] {
        assert!(logged.contains(expected), "the log lacks {expected:?}");
    }
    for secret in &secrets {
        assert!(
            !logged.contains(secret.as_str()),
            "the log holds a secret ({} characters)",
            secret.len()
        );
    }
}
