//! Nuvemshop's webhooks through the broker, and the store's events as its installations read
//! them (issues 10 and 19).

mod common;

use std::time::{Duration, Instant};

use common::*;
use ponte_broker::sandboxed::SandboxWithBroker;
use serde_json::{json, Value};

/// Connects the store through the broker: its installation's key and starting cursor.
async fn installed(world: &SandboxWithBroker, tag: &str) -> (String, i64) {
    let body = connected(world, "nuvemshop", tag).await;
    (
        body["installation"]["key"].as_str().unwrap().to_string(),
        body["installation"]["cursor"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn webhooks_are_checked_queued_without_personal_data_and_read_by_the_installation() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let (key, cursor) = installed(&world, "events").await;
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
    assert_eq!(world.broker.queued_events().await, 0);

    // A long poll started before the webhook returns as soon as it is queued.
    let reading = {
        let url = format!("{}/events?after={cursor}&wait=20", world.broker.url());
        let key = key.clone();
        tokio::spawn(async move {
            let started = Instant::now();
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
    assert_eq!(world.broker.queued_events().await, 1);

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
    let (status, body) = read_events(&world, &key, cursor, 0).await;
    assert_eq!(status, 200);
    let text = body.to_string();
    for personal in ["maria@", "98765", "39053344705"] {
        assert!(!text.contains(personal), "{text}");
    }
    let events = body["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[1]["event"], "customers/redact");
    assert_eq!(events[1]["resource_id"], "77");
    assert_eq!(events[1]["orders"], json!(["901", "902"]));
    assert_eq!(events[1]["customer"], "77");
    assert_eq!(events[2]["event"], "customers/data_request");
    assert_eq!(events[2]["resource_id"], "4242");
    assert_eq!(
        events[2]["customer"], "77",
        "the app checks the orders against it"
    );

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
    assert_eq!(ack(&world, &key, last).await, 200);
    assert_eq!(world.broker.queued_events().await, 0);
    world.shutdown().await;
}

/// Issue 19: an LGPD request for a store no installation claimed is answered and stores
/// nothing; a store's erasure, once its installation has read it, leaves nothing of the store.
#[tokio::test]
async fn lgpd_requests_store_nothing_for_strangers_and_an_erasure_leaves_nothing_of_the_store() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    for (path, body) in [
        ("/store-redact", r#"{"store_id":999}"#),
        (
            "/customers-redact",
            r#"{"store_id":999,"customer":{"id":1},"orders_to_redact":[1]}"#,
        ),
        (
            "/customers-data-request",
            r#"{"store_id":999,"customer":{"id":1},"data_request":{"id":2}}"#,
        ),
    ] {
        assert_eq!(
            deliver(&world, path, body, hex_signed(body)).await,
            200,
            "{path}"
        );
    }
    assert_eq!(world.broker.queued_events().await, 0);

    let (key, cursor) = installed(&world, "erased").await;
    let paid = r#"{"store_id":5120101,"event":"order/paid","id":901}"#;
    assert_eq!(deliver(&world, "", paid, hex_signed(paid)).await, 200);
    let store = r#"{"store_id":5120101}"#;
    assert_eq!(
        deliver(&world, "/store-redact", store, hex_signed(store)).await,
        200
    );
    let (_, body) = read_events(&world, &key, cursor, 0).await;
    let events = body["events"].as_array().unwrap();
    assert_eq!(
        events.len(),
        1,
        "the store's order events went with the erasure: {body}"
    );
    assert_eq!(events[0]["event"], "store/redact");
    assert_eq!(
        ack(&world, &key, body["cursor"].as_i64().unwrap()).await,
        200
    );
    assert_eq!(world.broker.queued_events().await, 0);
    assert_eq!(world.broker.installations().await, 0);
    assert_eq!(read_events(&world, &key, 0, 0).await.0, 401);
    world.shutdown().await;
}

/// Issue 22: whether Nuvemshop signs the LGPD webhooks set in the partner panel is not
/// documented. Signed ones are queued as before; an unsigned one for a known store is kept,
/// marked unverified, a few per store an hour (then 429, delivered again later), counted; an
/// unsigned erasure drops nothing and forgets no installation; a signed request sent after an
/// unsigned one with its id replaces it; a wrong signature is still refused.
#[tokio::test]
async fn unsigned_lgpd_requests_are_kept_unverified_and_never_erase_anything_by_themselves() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let stranger = r#"{"store_id":999,"customer":{"id":1},"data_request":{"id":2}}"#;
    assert_eq!(
        deliver(&world, "/customers-data-request", stranger, None).await,
        200
    );
    assert_eq!(
        world.broker.queued_events().await,
        0,
        "nothing for a stranger"
    );

    let (key, cursor) = installed(&world, "unsigned").await;
    let paid = r#"{"store_id":5120101,"event":"order/paid","id":901}"#;
    assert_eq!(deliver(&world, "", paid, hex_signed(paid)).await, 200);
    let request = r#"{"store_id":5120101,"customer":{"id":77},"data_request":{"id":5}}"#;
    assert_eq!(
        deliver(
            &world,
            "/customers-data-request",
            request,
            Some("00ff".into())
        )
        .await,
        401,
        "a wrong signature is refused"
    );
    assert_eq!(
        deliver(&world, "/customers-data-request", request, None).await,
        200
    );
    let store = r#"{"store_id":5120101}"#;
    assert_eq!(deliver(&world, "/store-redact", store, None).await, 200);
    let (_, body) = read_events(&world, &key, cursor, 0).await;
    let events = body["events"].as_array().unwrap();
    assert_eq!(events.len(), 3, "the order event stays: {body}");
    assert_eq!(events[0]["event"], "order/paid");
    assert!(events[0].get("unverified").is_none());
    assert_eq!(events[1]["event"], "customers/data_request");
    assert_eq!(events[1]["unverified"], true);
    assert_eq!(events[2]["event"], "store/redact");
    assert_eq!(events[2]["unverified"], true);
    assert_eq!(
        ack(&world, &key, body["cursor"].as_i64().unwrap()).await,
        200
    );
    assert_eq!(
        world.broker.installations().await,
        1,
        "an unsigned erasure forgets nobody"
    );

    // The signed request with the same id comes after it, as a new event.
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
    let after = body["cursor"].as_i64().unwrap();
    let (_, body) = read_events(&world, &key, after, 0).await;
    let events = body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{body}");
    assert!(events[0].get("unverified").is_none(), "{body}");

    // Five unsigned requests an hour per store: the third to the fifth pass, then 429.
    let mut statuses = Vec::new();
    for id in 10..14 {
        let request = format!(
            r#"{{"store_id":5120101,"customer":{{"id":77}},"data_request":{{"id":{id}}}}}"#
        );
        statuses.push(deliver(&world, "/customers-data-request", &request, None).await);
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    assert_eq!(world.broker.unsigned_lgpd(), (5, 1));
    world.shutdown().await;
}

/// Issue 19: a few long polls per key, and none outlives the broker: a stop drains at once
/// instead of waiting 25 seconds for each poll.
#[tokio::test]
async fn long_polls_are_capped_per_key_and_end_when_the_broker_stops() {
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| {
            broker.limits.long_polls_per_key = 2;
        },
    )
    .await
    .unwrap();
    let (key, cursor) = installed(&world, "polls").await;
    let url = format!("{}/events?after={cursor}&wait=25", world.broker.url());
    let poll = |url: String, key: String| {
        tokio::spawn(async move {
            let started = Instant::now();
            let answer = http().get(url).bearer_auth(key).send().await.unwrap();
            (started.elapsed(), answer.status().as_u16())
        })
    };
    let first = poll(url.clone(), key.clone());
    let second = poll(url.clone(), key.clone());
    tokio::time::sleep(Duration::from_millis(400)).await;
    let third = http().get(&url).bearer_auth(&key).send().await.unwrap();
    assert_eq!(third.status(), 429);
    assert!(third.headers().contains_key("retry-after"));
    // A read that does not wait is not a long poll.
    assert_eq!(read_events(&world, &key, cursor, 0).await.0, 200);

    let stopping = Instant::now();
    world.shutdown().await;
    let stopped = stopping.elapsed();
    for poll in [first, second] {
        let (waited, status) = poll.await.unwrap();
        assert_eq!(status, 200);
        assert!(waited < Duration::from_secs(5), "{waited:?}");
    }
    assert!(
        stopped < Duration::from_secs(3),
        "the stop took {stopped:?}"
    );
}

/// Issue 24: a webhook wakes the long polls of its own store and no other's; nothing re-reads
/// on a timer (a store's poll left alone sleeps until its deadline); a store is watched only
/// while someone waits on it.
#[tokio::test]
async fn a_webhook_wakes_its_own_stores_long_poll_and_no_other() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let installed_in = |tag: &'static str, store: u64| {
        let world = &world;
        async move {
            let body = connected_in_store(world, "nuvemshop", tag, Some(store)).await;
            (
                body["installation"]["key"].as_str().unwrap().to_string(),
                body["installation"]["cursor"].as_i64().unwrap(),
            )
        }
    };
    let (key_a, cursor_a) = installed_in("store-a", 7_100_001).await;
    let (key_b, cursor_b) = installed_in("store-b", 7_100_002).await;
    let poll = |key: String, cursor: i64, wait: u64| {
        let url = format!("{}/events?after={cursor}&wait={wait}", world.broker.url());
        tokio::spawn(async move {
            let answer = http().get(url).bearer_auth(key).send().await.unwrap();
            (Instant::now(), answer.json::<Value>().await.unwrap())
        })
    };
    let waiting_a = poll(key_a.clone(), cursor_a, 20);
    let waiting_b = poll(key_b.clone(), cursor_b, 3);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(world.broker.stores_waiting(), 2);
    let reads_before = world.broker.feed_reads();
    assert_eq!(reads_before, 2, "each poll read its queue once, then waits");

    let paid = r#"{"store_id":7100001,"event":"order/paid","id":4242}"#;
    let sent = Instant::now();
    assert_eq!(deliver(&world, "", paid, hex_signed(paid)).await, 200);
    let (answered_a, page_a) = waiting_a.await.unwrap();
    assert!(
        answered_a.duration_since(sent) < Duration::from_secs(1),
        "store A's poll answered {:?} after the webhook",
        answered_a.duration_since(sent)
    );
    assert_eq!(page_a["events"][0]["resource_id"], "4242");
    // Store B's poll was not woken: it answers, empty, at its own deadline.
    let (answered_b, page_b) = waiting_b.await.unwrap();
    assert_eq!(page_b["events"], json!([]));
    assert!(answered_b.duration_since(sent) > Duration::from_millis(1500));
    assert_eq!(
        world.broker.feed_reads(),
        reads_before + 2,
        "two reads more: store A's on its webhook, store B's at its deadline (never on a timer \
         or on another store's webhook)"
    );
    assert_eq!(
        world.broker.stores_waiting(),
        0,
        "nobody waits: nothing watched"
    );
    world.shutdown().await;
}

/// Issue 24: what an operator watches. `/metrics` on its own listener only (the public address
/// answers 404), counting the webhook, the delivery, the claim and the requests by route; the
/// liveness and readiness checks apart.
#[tokio::test]
async fn metrics_are_served_to_the_operator_only_and_count_what_happened() {
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| broker.metrics_listen = Some("127.0.0.1:0".parse().unwrap()),
    )
    .await
    .unwrap();
    let (key, cursor) = installed(&world, "metrics").await;
    let paid = r#"{"store_id":5120101,"event":"order/paid","id":777}"#;
    assert_eq!(deliver(&world, "", paid, hex_signed(paid)).await, 200);
    assert_eq!(deliver(&world, "", paid, None).await, 401);
    let (status, page) = read_events(&world, &key, cursor, 0).await;
    assert_eq!((status, page["events"].as_array().unwrap().len()), (200, 1));

    let public = http()
        .get(format!("{}/metrics", world.broker.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 404, "never on the public address");
    let metrics_url = format!("http://{}/metrics", world.broker.metrics_addr().unwrap());
    let answer = http().get(metrics_url).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    for line in [
        r#"ponte_broker_webhooks_total{outcome="accepted"} 1"#,
        r#"ponte_broker_webhooks_total{outcome="refused"} 1"#,
        "ponte_broker_events_queued_total 1",
        "ponte_broker_events_delivered_total 1",
        r#"ponte_broker_claims_total{outcome="ready"} 1"#,
        r#"ponte_broker_requests_total{route="/events",status="200"} 1"#,
        r#"ponte_broker_requests_total{route="other",status="404"} 1"#,
        "ponte_broker_long_polls_open 0",
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    assert!(text.contains("ponte_broker_database_seconds_count"));

    assert_eq!(
        http()
            .get(format!("{}/livez", world.broker.url()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        http()
            .get(format!("{}/readyz", world.broker.url()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    world.shutdown().await;
}
