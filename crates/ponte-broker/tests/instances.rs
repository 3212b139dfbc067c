//! Issue 24: two broker instances on one Postgres, as behind a load balancer: a connect started
//! on one is claimed on the other, of twenty claims of one result at once exactly one gets it,
//! and a webhook received by one reaches a long poll held by the other within a second.
//!
//! Postgres only (`PONTE_BROKER_TEST_POSTGRES`, which the test command sets to a throwaway
//! server): SQLite is one instance's database.

mod common;

use std::time::{Duration, Instant};

use common::*;
use ponte_broker::sandboxed::SandboxWithBroker;
use serde_json::{json, Value};

fn on_postgres() -> bool {
    let set = std::env::var("PONTE_BROKER_TEST_POSTGRES").is_ok_and(|url| !url.is_empty());
    if !set {
        eprintln!("skipped: PONTE_BROKER_TEST_POSTGRES names no Postgres server");
    }
    set
}

async fn claim_at(broker: &str, connect: &Connect, return_code: &str) -> (u16, Value) {
    let answer = http()
        .post(format!("{broker}/connect/claim"))
        .json(&json!({
            "state": connect.state,
            "verifier": connect.verifier,
            "return_code": return_code,
        }))
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(Value::Null))
}

/// Instances of a new deployment start together: each makes the schema and migrates it, under
/// one lock, and all of them come up.
#[tokio::test]
async fn eight_instances_starting_at_once_on_a_new_database_all_come_up() {
    if !on_postgres() {
        return;
    }
    let url = std::env::var("PONTE_BROKER_TEST_POSTGRES").unwrap();
    // The race is a matter of microseconds: several new databases, eight instances each.
    for _ in 0..10 {
        let schema = format!("fresh{}", rand::random::<u32>());
        let together = std::sync::Arc::new(std::sync::Barrier::new(8));
        let opening: Vec<_> = (0..8)
            .map(|_| {
                let database = ponte_broker::Database::Postgres {
                    url: url.clone(),
                    schema: Some(schema.clone()),
                };
                let together = together.clone();
                std::thread::spawn(move || {
                    together.wait();
                    database.open().map(|_| ())
                })
            })
            .collect();
        for opened in opening {
            opened.join().unwrap().expect("the instance came up");
        }
    }
}

#[tokio::test]
async fn a_connect_started_on_one_instance_is_claimed_on_the_other_once() {
    if !on_postgres() {
        return;
    }
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let other = world.another_instance().await.unwrap();

    // Started here, the browser back at the balancer's (the first) address, claimed there.
    let connect = Connect::new("two-instances");
    assert_eq!(
        start(&world, "nuvemshop", &connect, None).await.status(),
        201
    );
    let page = consent_and_land(&world, "nuvemshop", &connect.state).await;
    let code = page.code().expect("a return code");
    let (status, body) = claim_at(&other.url(), &connect, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    let (again, body) = claim_at(&world.broker.url(), &connect, &code).await;
    assert_eq!(again, 410, "{body}");
    assert_eq!(body["error"], "already_claimed");
    assert_eq!(other.sealed_rows().await, 0, "nothing sealed left");

    // Twenty claims of one result at once, alternating between the instances: one wins.
    let connect = Connect::new("twenty-claims");
    assert_eq!(
        start(&world, "nuvemshop", &connect, None).await.status(),
        201
    );
    let page = consent_and_land(&world, "nuvemshop", &connect.state).await;
    let code = page.code().expect("a return code");
    let urls = [world.broker.url(), other.url()];
    let claims: Vec<_> = (0..20)
        .map(|i| {
            let (url, connect, code) = (
                urls[i % 2].clone(),
                Connect {
                    state: connect.state.clone(),
                    verifier: connect.verifier.clone(),
                },
                code.clone(),
            );
            tokio::spawn(async move { claim_at(&url, &connect, &code).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for claim in claims {
        statuses.push(claim.await.unwrap().0);
    }
    statuses.sort();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(
        world.broker.installations().await,
        2,
        "one installation per connect"
    );

    other.shutdown().await;
    world.shutdown().await;
}

#[tokio::test]
async fn a_webhook_received_by_one_instance_wakes_a_long_poll_held_by_the_other() {
    if !on_postgres() {
        return;
    }
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let other = world.another_instance().await.unwrap();
    let installed = connected(&world, "nuvemshop", "across").await;
    let key = installed["installation"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let cursor = installed["installation"]["cursor"].as_i64().unwrap();

    let url = format!("{}/events?after={cursor}&wait=20", other.url());
    let waiting = tokio::spawn(async move {
        let answer = http().get(url).bearer_auth(key).send().await.unwrap();
        (Instant::now(), answer.json::<Value>().await.unwrap())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        other.stores_waiting(),
        1,
        "the long poll waits on the other instance"
    );

    let paid = r#"{"store_id":5120101,"event":"order/paid","id":5151}"#;
    let sent = Instant::now();
    assert_eq!(deliver(&world, "", paid, hex_signed(paid)).await, 200);
    let (answered, page) = waiting.await.unwrap();
    assert_eq!(page["events"][0]["resource_id"], "5151", "{page}");
    assert!(
        answered.duration_since(sent) < Duration::from_secs(1),
        "delivered {:?} after the webhook",
        answered.duration_since(sent)
    );

    other.shutdown().await;
    world.shutdown().await;
}

#[tokio::test]
async fn event_numbers_stay_in_order_under_concurrent_webhooks_on_both_instances() {
    if !on_postgres() {
        return;
    }
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let other = world.another_instance().await.unwrap();
    let installed = connected(&world, "nuvemshop", "order").await;
    let key = installed["installation"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let cursor = installed["installation"]["cursor"].as_i64().unwrap();

    // A reader that follows the cursor as the app does while 60 webhooks arrive at once,
    // half on each instance: it must see every one, once.
    let urls = [world.broker.url(), other.url()];
    let reading = {
        let (url, key) = (other.url(), key.clone());
        tokio::spawn(async move {
            let (mut cursor, mut seen) = (cursor, Vec::new());
            let deadline = Instant::now() + Duration::from_secs(20);
            while seen.len() < 60 && Instant::now() < deadline {
                let page: Value = http()
                    .get(format!("{url}/events?after={cursor}&wait=2"))
                    .bearer_auth(&key)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                for event in page["events"].as_array().unwrap() {
                    seen.push(event["resource_id"].as_str().unwrap().to_string());
                }
                cursor = page["cursor"].as_i64().unwrap();
            }
            seen
        })
    };
    let deliveries: Vec<_> = (0..60)
        .map(|i| {
            let url = urls[i % 2].clone();
            tokio::spawn(async move {
                let body = format!(
                    r#"{{"store_id":5120101,"event":"order/paid","id":{}}}"#,
                    9000 + i
                );
                http()
                    .post(format!("{url}/webhooks/nuvemshop"))
                    .header("content-type", "application/json")
                    .header("X-Linkedstore-HMAC-SHA256", hex_signed(&body).unwrap())
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for delivery in deliveries {
        assert_eq!(delivery.await.unwrap(), 200);
    }
    let mut seen = reading.await.unwrap();
    assert_eq!(seen.len(), 60, "every event read, none twice");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 60);

    other.shutdown().await;
    world.shutdown().await;
}
