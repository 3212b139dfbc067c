//! The connect through the broker over HTTP, against the simulators: as the app and the
//! merchant's browser walk it, as a stranger would try to abuse it, and every refusal
//! (issues 9 and 19).

mod common;

use std::time::Duration;

use common::*;
use ponte_broker::sandboxed::{LandingPage, SandboxWithBroker};
use ponte_broker::Rate;
use ponte_sandbox::{Fault, FaultRule, Service};
use serde_json::{json, Value};

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
    let (status, body) = claim(&world, &connect.state, &connect.verifier, None).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("pending")));

    let page = consent_and_land(&world, "contaazul", &connect.state).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("Pronto, volte ao Ponte"));
    let code = page.code().expect("a return code to type");
    assert_eq!(code.len(), 9, "{code}");
    assert!(page.html.contains("Nunca o digite em outro lugar"));
    // The way back: the app's loopback listener, with the state and the return code.
    assert_eq!(
        page.way_back().unwrap(),
        format!(
            "http://127.0.0.1:47999/connected/contaazul?state={}&code={code}",
            connect.state
        )
    );

    // With the verifier alone: the consent happened, nothing more.
    let (status, body) = claim(&world, &connect.state, &connect.verifier, None).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("authorized")));
    assert!(body.get("tokens").is_none());
    // A wrong verifier gets nothing, with or without the code.
    let (status, body) = claim(&world, &connect.state, "someone-else", Some(&code)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("wrong_verifier"))
    );

    let (status, body) = claim(&world, &connect.state, &connect.verifier, Some(&code)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    let tokens = &body["tokens"];
    assert_eq!(tokens["service"], "contaazul");
    let access = tokens["access_token"].as_str().unwrap();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    assert!(
        access.len() > 1000 && refresh_token.len() > 1700,
        "realistic sizes"
    );
    assert_eq!(tokens["expires_in"], 3600);
    assert!(!page.html.contains(access) && !page.html.contains(refresh_token));
    let key = body["installation"]["key"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 64);
    assert!(
        body["installation"].get("cursor").is_none(),
        "no events for Conta Azul"
    );

    // Single use: a replay is refused, and no sealed token is left behind.
    let (status, body) = claim(&world, &connect.state, &connect.verifier, Some(&code)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (410, Some("already_claimed"))
    );
    assert_eq!(world.broker.sealed_rows().await, 0);

    // The refresh goes through the broker with the installation's key; the broker adds the
    // secret, the rotation is Conta Azul's.
    let refreshed = refresh(&world, Some(&key), refresh_token).await;
    assert_eq!(refreshed.status(), 200);
    let renewed: Value = refreshed.json().await.unwrap();
    let rotated = renewed["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(rotated, refresh_token);
    let replayed = refresh(&world, Some(&key), refresh_token).await;
    assert_eq!(replayed.status().as_u16(), 400);
    assert_eq!(
        replayed.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );

    let logged = logs.text();
    assert!(logged.contains("connect settled"), "{logged}");
    for secret in [
        access,
        refresh_token,
        &rotated,
        &connect.state,
        &connect.verifier,
        &code,
        &code.replace('-', ""),
        &key,
        "sandbox-contaazul-secret",
    ] {
        assert!(!logged.contains(secret), "the log holds a secret");
    }
    world.shutdown().await;
}

#[tokio::test]
async fn r1_nuvemshop_connects_through_the_broker_with_the_store_id_and_its_events_key() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let connect = Connect::new("ns");
    assert_eq!(
        start(&world, "nuvemshop", &connect, None).await.status(),
        201
    );
    let page = consent_and_land(&world, "nuvemshop", &connect.state).await;
    assert_eq!(page.status, 200);
    // Without a listener to go back to, the code alone: no link, no script.
    assert!(page.way_back().is_none());
    assert!(!page.html.contains("<script>"));
    let code = page.code().unwrap();
    // Typed by the merchant: any case, with or without the dash.
    let typed = code.to_lowercase().replace('-', " ");
    let (status, body) = claim(&world, &connect.state, &connect.verifier, Some(&typed)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tokens"]["service"], "nuvemshop");
    assert_eq!(body["tokens"]["store_id"], "5120101");
    assert_eq!(body["installation"]["cursor"], 0);
    assert!(world.sandbox.control().nuvemshop_token_active());
    world.shutdown().await;
}

/// Issue 19, the attack: a stranger starts a connect with a state and verifier of their own
/// and sends the authorize link to a merchant signed in to the service. The merchant's browser
/// finishes the consent; the stranger, who holds the verifier, must still get nothing.
#[tokio::test]
async fn a_connect_link_started_by_a_stranger_never_gives_them_the_merchants_tokens() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    for service in ["contaazul", "nuvemshop"] {
        let stranger = Connect::new(&format!("stranger-{service}"));
        assert_eq!(
            start(&world, service, &stranger, Some(41000))
                .await
                .status(),
            201
        );
        // The merchant follows the link and consents; the page tries to go back to a Ponte on
        // the merchant's own computer, where nothing listens for this connect.
        let page = consent_and_land(&world, service, &stranger.state).await;
        assert!(page.html.contains("Pronto, volte ao Ponte"));
        assert!(page
            .way_back()
            .unwrap()
            .starts_with("http://127.0.0.1:41000/"));

        // The stranger polls with their verifier: consent happened, the tokens stay.
        for _ in 0..3 {
            let (status, body) = claim(&world, &stranger.state, &stranger.verifier, None).await;
            assert_eq!((status, body["status"].as_str()), (202, Some("authorized")));
            assert!(body.get("tokens").is_none() && body.get("installation").is_none());
        }
        // Guessing the code burns the connect: the tokens are dropped for good.
        for guess in ["ZZZZ-ZZZZ", "2345-6789", "ABCD-EFGH", "HJKM-NPQR"] {
            let (status, body) =
                claim(&world, &stranger.state, &stranger.verifier, Some(guess)).await;
            assert_eq!(
                (status, body["error"].as_str()),
                (403, Some("wrong_return_code"))
            );
        }
        let (status, body) = claim(
            &world,
            &stranger.state,
            &stranger.verifier,
            Some("WXYZ-WXYZ"),
        )
        .await;
        assert_eq!((status, body["error"].as_str()), (410, Some("burnt")));
        let right = page.code().unwrap();
        let (status, body) = claim(&world, &stranger.state, &stranger.verifier, Some(&right)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (410, Some("burnt")),
            "even the right code is too late"
        );
        assert!(body.get("tokens").is_none());
    }
    assert_eq!(world.broker.sealed_rows().await, 0);
    assert_eq!(
        world.broker.installations().await,
        0,
        "no key was issued to anyone"
    );
    world.shutdown().await;
}

/// The merchant's own connect, where the browser came back: the app's listener received the
/// code, and the claim with it succeeds.
#[tokio::test]
async fn the_way_back_hands_the_return_code_to_the_apps_listener() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connect = Connect::new("loopback");
    start(&world, "contaazul", &connect, Some(port)).await;
    let page = consent_and_land(&world, "contaazul", &connect.state).await;
    let visit = tokio::spawn(async move { page.go_back().await });
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut head = vec![0u8; 4096];
    let read = tokio::io::AsyncReadExt::read(&mut stream, &mut head)
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut stream,
        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    drop(stream);
    assert_eq!(visit.await.unwrap().unwrap(), 200);
    let line = String::from_utf8_lossy(&head[..read])
        .lines()
        .next()
        .unwrap()
        .to_string();
    let target = line.split_whitespace().nth(1).unwrap();
    let url = url::Url::parse(&format!("http://127.0.0.1{target}")).unwrap();
    assert_eq!(url.path(), "/connected/contaazul");
    let params: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(params["state"], connect.state);
    let (status, body) = claim(
        &world,
        &connect.state,
        &connect.verifier,
        Some(&params["code"]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
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
    let page = LandingPage::load(&landing).await.unwrap();
    assert!(page.html.contains("digite este código"));
    assert!(page.html.contains("Nunca o digite em outro lugar"));
    let code = page.code().unwrap();
    assert_eq!(code.len(), 9, "{code}");
    let pair = |code: String| {
        let url = format!("{}/connect/pair", world.broker.url());
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
    assert_eq!(body["installation"]["key"].as_str().unwrap().len(), 64);
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
    for (path, body, status) in [
        (
            "/connect/xero/start",
            json!({"state": good.state, "verifier_hash": hash}),
            404,
        ),
        (
            "/connect/contaazul/start",
            json!({"state": "short", "verifier_hash": hash}),
            400,
        ),
        (
            "/connect/contaazul/start",
            json!({"state": good.state, "verifier_hash": "abc"}),
            400,
        ),
        (
            "/connect/contaazul/start",
            json!({"state": good.state, "verifier_hash": hash, "port": 80}),
            400,
        ),
        ("/connect/contaazul/start", json!({"nothing": true}), 400),
        (
            "/connect/claim",
            json!({"state": good.state, "verifier": "v", "return_code": "not a code"}),
            400,
        ),
    ] {
        assert_eq!(post(path, body.clone()).await, status, "{path} {body}");
    }
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
        world.broker.rows().await,
        0,
        "nothing stored from refused requests"
    );

    assert_eq!(start(&world, "contaazul", &good, None).await.status(), 201);
    assert_eq!(
        start(&world, "contaazul", &good, None).await.status(),
        409,
        "a state is used once"
    );
    assert_eq!(
        claim(&world, "never-started-0123456789", "v", None).await.0,
        404
    );

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
    assert_eq!(get(format!("{base}/nowhere")).await.status(), 404);
    assert_eq!(get(format!("{base}/healthz")).await.status(), 200);
    world.shutdown().await;
}

/// Issue 19: the app's secret works only for installations. A refresh token alone (leaked from
/// a computer) buys nothing here, and a disconnected installation's key stops at once.
#[tokio::test]
async fn refreshes_need_a_conta_azul_installations_key_and_stop_when_it_is_revoked() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let azul = connected(&world, "contaazul", "refresh").await;
    let key = azul["installation"]["key"].as_str().unwrap().to_string();
    let token = azul["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let store = connected(&world, "nuvemshop", "refresh-store").await;
    let store_key = store["installation"]["key"].as_str().unwrap().to_string();
    let calls_before = world.sandbox.control().calls().total(Service::Contaazul);

    for (key, why) in [
        (None, "no key"),
        (Some("f".repeat(64)), "an unknown key"),
        (Some(store_key.clone()), "a Nuvemshop installation's key"),
    ] {
        let refused = refresh(&world, key.as_deref(), &token).await;
        assert_eq!(refused.status(), 401, "{why}");
        assert_eq!(
            refused.json::<Value>().await.unwrap()["error"],
            "unknown_installation",
            "{why}"
        );
    }
    assert_eq!(
        world.sandbox.control().calls().total(Service::Contaazul),
        calls_before,
        "no call reached Conta Azul"
    );

    // With the key: only Conta Azul, only refresh_token, only our client.
    let form = |path: &str, body: &[(&str, &str)]| {
        let url = format!("{}{path}", world.broker.url());
        let body: Vec<(String, String)> = body
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let key = key.clone();
        async move {
            http()
                .post(url)
                .bearer_auth(key)
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
    assert_eq!(refresh(&world, Some(&key), &token).await.status(), 200);

    // Disconnecting revokes the key: once.
    let revoke = |key: String| {
        let url = format!("{}/installation", world.broker.url());
        async move {
            http()
                .delete(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(world.broker.installations().await, 2);
    assert_eq!(revoke(key.clone()).await, 204);
    assert_eq!(revoke(key.clone()).await, 401);
    assert_eq!(refresh(&world, Some(&key), &token).await.status(), 401);
    assert_eq!(revoke(store_key.clone()).await, 204);
    assert_eq!(read_events(&world, &store_key, 0, 0).await.0, 401);
    assert_eq!(world.broker.installations().await, 0);
    world.shutdown().await;
}

#[tokio::test]
async fn a_declined_consent_reaches_the_app_as_a_refusal_without_a_code() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let connect = Connect::new("denied");
    start(&world, "contaazul", &connect, Some(48000)).await;
    let page = LandingPage::load(&format!(
        "{}/callback/contaazul?error=access_denied&state={}",
        world.broker.url(),
        connect.state
    ))
    .await
    .unwrap();
    assert!(page.html.contains("Autorização não concluída"));
    assert!(page.code().is_none());
    assert!(page
        .html
        .contains("href=\"http://127.0.0.1:48000/connected/contaazul?state="));
    let (status, body) = claim(&world, &connect.state, &connect.verifier, None).await;
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
    let page = LandingPage::load(&landing).await.unwrap();
    assert!(page.html.contains("Não foi possível concluir a conexão"));
    let (_, body) = claim(&world, &connect.state, &connect.verifier, None).await;
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
    let page = consent_and_land(&world, "contaazul", &late.state).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = claim(&world, &late.state, &late.verifier, page.code().as_deref()).await;
    assert_eq!((status, body["error"].as_str()), (410, Some("expired")));

    let guessed = Connect::new("guessed");
    start(&world, "contaazul", &guessed, None).await;
    let page = consent_and_land(&world, "contaazul", &guessed.state).await;
    for attempt in 0..4 {
        let (status, _) = claim(&world, &guessed.state, &format!("guess-{attempt}"), None).await;
        assert_eq!(status, 403);
    }
    let (status, body) = claim(&world, &guessed.state, "guess-4", None).await;
    assert_eq!((status, body["error"].as_str()), (410, Some("burnt")));
    let (status, body) = claim(
        &world,
        &guessed.state,
        &guessed.verifier,
        page.code().as_deref(),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (410, Some("burnt")));
    world.shutdown().await;
}

#[tokio::test]
async fn tokens_of_4000_characters_pass_through_the_broker() {
    let world = SandboxWithBroker::start(|_| {}).await.unwrap();
    let access = "a".repeat(4000);
    let refresh_token = "r".repeat(4000);
    let mut rule = FaultRule::new(
        Service::Contaazul,
        Fault::Answer {
            status: 200,
            body: json!({"access_token": access, "refresh_token": refresh_token, "expires_in": 3600, "token_type": "Bearer"}),
        },
    );
    rule.path_contains = Some("/oauth2/token".into());
    rule.times = Some(1);
    world.sandbox.control().add_fault(rule);
    let body = connected(&world, "contaazul", "big").await;
    assert_eq!(body["tokens"]["access_token"], access);
    assert_eq!(body["tokens"]["refresh_token"], refresh_token);
    world.shutdown().await;
}

#[tokio::test]
async fn claims_are_rate_limited_per_address() {
    let world = SandboxWithBroker::start_with(
        |_| {},
        |broker| {
            broker.limits.claim = Rate::new(6, 3);
        },
    )
    .await
    .unwrap();
    for _ in 0..3 {
        assert_eq!(
            claim(&world, "never-started-0123456789", "v", None).await.0,
            404
        );
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
