//! Connecting as a merchant's Ponte does (issues 9 and 19): no secret on this machine, the
//! services' redirects to the broker, the tokens claimed from it with the verifier and the
//! return code (brought back by the browser, or typed), Conta Azul's refreshes through it with
//! the installation's key, keys revoked on disconnect, and installs from the Nuvemshop admin
//! by pairing code.

mod common;

use std::sync::atomic::Ordering;

use common::{broker_world, browser, buyer, line, paid, ManualClock};
use ponte_core::error::{ProblemCode, Result, Service};
use ponte_core::oauth::Browser;
use ponte_core::{App, Error};

#[tokio::test]
async fn r1_a_shipped_ponte_connects_both_accounts_through_the_broker_and_imports() {
    let world = broker_world().await;
    assert!(world.config.contaazul_client_secret.is_empty());
    assert!(world.config.nuvemshop_client_secret.is_empty());
    assert!(world
        .config
        .redirect_url(Service::Contaazul)
        .starts_with(&world.both.broker.url()));
    let control = world.both.sandbox.control();
    control.add_seller("Ana Souza");
    let clock = ManualClock::new();
    // Asked for only once a minute: a connect that ends before then was claimed on the return.
    let mut config = world.config.clone();
    config.claim_every = std::time::Duration::from_secs(60);
    let app = App::open_with_clock(config, clock.clone()).unwrap();

    let nudged = browser(&world, true);
    let started = std::time::Instant::now();
    let mut shown = String::new();
    app.connect(Service::Nuvemshop, &nudged, |url| shown = url.to_string())
        .await
        .unwrap();
    assert!(shown.contains("/apps/8132/authorize?state="));
    app.connect(Service::Contaazul, &nudged, |url| shown = url.to_string())
        .await
        .unwrap();
    assert!(shown.contains(&format!(
        "redirect_uri={}/callback/contaazul",
        world.both.broker.url()
    )));
    assert!(nudged.returned.load(Ordering::SeqCst));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the return to the loopback listener claims at once, not at the next minute's ask ({:?})",
        started.elapsed()
    );
    assert_eq!(
        world.both.broker.sealed_rows().await,
        0,
        "claimed, nothing left"
    );

    app.enable(None).await.unwrap();
    control.create_order(paid(
        buyer("Maria Silva", "39053344705"),
        vec![line("Camiseta", "59.90", 1)],
    ));
    app.sync_once().await.unwrap();
    assert_eq!(control.sales().len(), 1);

    // An hour on, the access token is refreshed through the broker (which adds the secret).
    let refreshes = || {
        control
            .calls()
            .get(ponte_sandbox::Service::Contaazul, "POST /oauth2/token")
    };
    let before = refreshes();
    clock.advance(chrono::Duration::minutes(65));
    control.create_order(paid(
        buyer("João Souza", "52998224725"),
        vec![line("Caneca", "29.90", 2)],
    ));
    app.sync_once().await.unwrap();
    assert_eq!(refreshes(), before + 1);
    assert_eq!(control.sales().len(), 2);
    assert!(app.status().unwrap().disabled_reason.is_none());
    world.both.shutdown().await;
}

/// Issue 19: where the browser cannot come back to Ponte (a blocked loopback), the merchant
/// types the code the broker's page shows; a wrong one is said so and the connect goes on.
#[tokio::test]
async fn r1_when_the_browser_cannot_come_back_the_merchant_types_the_code() {
    let world = broker_world().await;
    let app = App::open(world.config.clone()).unwrap();
    let refused = app
        .enter_return_code(Service::Contaazul, "ABCD-2345")
        .await
        .unwrap_err();
    assert_eq!(
        refused.problem().message,
        "Nenhuma conexão está esperando um código agora."
    );
    let stays = browser(&world, false);
    let typing = async {
        let code = stays.code().await;
        let malformed = app
            .enter_return_code(Service::Contaazul, "ABC")
            .await
            .unwrap_err();
        assert!(malformed.problem().message.contains("8 letras"));
        let wrong = app
            .enter_return_code(Service::Contaazul, "ZZZZ-ZZZZ")
            .await
            .unwrap_err();
        assert_eq!(wrong.problem().code, ProblemCode::ReturnCodeRefused);
        assert_eq!(wrong.problem().message, "Código incorreto.");
        app.enter_return_code(Service::Contaazul, &code.to_lowercase())
            .await
            .unwrap();
    };
    let (connected, ()) = tokio::join!(app.connect(Service::Contaazul, &stays, |_| {}), typing);
    connected.unwrap();
    assert!(!stays.returned.load(Ordering::SeqCst));
    assert!(app.status().unwrap().contaazul.connected);
    world.both.shutdown().await;
}

/// Issue 21: where the browser cannot reach the loopback, the broker's page offers a `ponte://`
/// link the system hands to Ponte. Only the link of the connect in progress is taken: one of
/// another connect (another `state`), a malformed one, or one when no connect waits is refused
/// and the connect goes on.
#[tokio::test]
async fn r1_the_ponte_link_brings_the_merchant_back_to_the_connect_it_belongs_to() {
    let world = broker_world().await;
    let app = App::open(world.config.clone()).unwrap();
    let said = "Este link de volta não é de uma conexão em andamento neste Ponte";
    let early = app
        .return_through_link("ponte://connected/nuvemshop?state=x&code=ABCD-2345")
        .await
        .unwrap_err();
    assert!(early.problem().message.starts_with(said), "{early}");
    let stays = browser(&world, false);
    let following = async {
        let link = stays.link().await;
        assert!(
            link.starts_with("ponte://connected/nuvemshop?state="),
            "{link}"
        );
        let url = url::Url::parse(&link).unwrap();
        let code = url
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        for foreign in [
            format!("ponte://connected/nuvemshop?state=another&code={code}"),
            link.replace("/nuvemshop?", "/contaazul?"),
            link.replace("ponte://connected/", "ponte://elsewhere/"),
            format!("{link}&code=ZZZZ-ZZZZ"),
            "ponte://connected/nuvemshop".to_string(),
            "não é um link".to_string(),
        ] {
            let refused = app.return_through_link(&foreign).await.unwrap_err();
            assert!(refused.problem().message.starts_with(said), "{foreign}");
        }
        assert_eq!(
            app.return_through_link(&link).await.unwrap(),
            Service::Nuvemshop
        );
    };
    let (connected, ()) = tokio::join!(app.connect(Service::Nuvemshop, &stays, |_| {}), following);
    connected.unwrap();
    assert!(!stays.returned.load(Ordering::SeqCst));
    assert!(app.status().unwrap().nuvemshop.connected);
    world.both.shutdown().await;
}

/// Issue 19: polling alone never gets the tokens; without the return code the connect ends
/// unfinished and nothing is kept.
#[tokio::test]
async fn r1_without_the_return_code_the_connect_never_gets_the_tokens() {
    let mut world = broker_world().await;
    world.config.authorization_timeout = std::time::Duration::from_secs(3);
    let app = App::open(world.config.clone()).unwrap();
    let stays = browser(&world, false);
    let error = app
        .connect(Service::Nuvemshop, &stays, |_| {})
        .await
        .unwrap_err();
    assert_eq!(error.problem().code, ProblemCode::AuthorizationTimeout);
    assert!(stays.code().await.len() == 9, "the page did show a code");
    assert!(!app.status().unwrap().nuvemshop.connected);
    assert_eq!(world.both.broker.installations().await, 0);
    world.both.shutdown().await;
}

/// Issue 19: each connect's installation key is revoked at the broker when the merchant
/// disconnects or connects the account again; only the newest works.
#[tokio::test]
async fn disconnecting_or_reconnecting_revokes_the_installations_key_at_the_broker() {
    let world = broker_world().await;
    world.both.sandbox.control().add_seller("Ana Souza");
    let app = App::open(world.config.clone()).unwrap();
    let nudged = browser(&world, true);
    for _ in 0..2 {
        app.connect(Service::Nuvemshop, &nudged, |_| {})
            .await
            .unwrap();
        app.connect(Service::Contaazul, &nudged, |_| {})
            .await
            .unwrap();
    }
    assert_eq!(
        world.both.broker.installations().await,
        2,
        "the first keys were revoked"
    );
    app.disconnect(Service::Contaazul).await.unwrap();
    assert_eq!(world.both.broker.installations().await, 1);
    app.disconnect(Service::Nuvemshop).await.unwrap();
    assert_eq!(world.both.broker.installations().await, 0);
    world.both.shutdown().await;
}

/// R5: a broker that no longer knows this installation's key refuses its refresh; the
/// integration switches itself off and *Refazer a integração* (a new connect, a new key)
/// brings it back.
#[tokio::test]
async fn r5_a_refresh_refused_for_the_installations_key_switches_off_until_reconnected() {
    let world = broker_world().await;
    let control = world.both.sandbox.control();
    control.add_seller("Ana Souza");
    let clock = ManualClock::new();
    let app = App::open_with_clock(world.config.clone(), clock.clone()).unwrap();
    let nudged = browser(&world, true);
    app.connect(Service::Nuvemshop, &nudged, |_| {})
        .await
        .unwrap();
    app.connect(Service::Contaazul, &nudged, |_| {})
        .await
        .unwrap();
    app.enable(None).await.unwrap();
    // The broker forgets the key (as after 180 days unseen).
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(world.config.data_dir.join("tokens.json")).unwrap())
            .unwrap();
    let key = stored["broker-contaazul"].as_str().unwrap();
    ponte_core::http::install_tls_provider();
    let revoked = reqwest::Client::new()
        .delete(format!("{}/installation", world.both.broker.url()))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);

    clock.advance(chrono::Duration::minutes(65));
    control.create_order(paid(
        buyer("Maria Silva", "39053344705"),
        vec![line("Camiseta", "59.90", 1)],
    ));
    let _ = app.sync_once().await;
    let status = app.status().unwrap();
    assert_eq!(
        status.disabled_reason.map(|p| p.code),
        Some(ProblemCode::ContaazulAccessChanged)
    );
    assert!(control.sales().is_empty());
    app.connect(Service::Contaazul, &nudged, |_| {})
        .await
        .unwrap();
    assert!(
        app.status().unwrap().enabled,
        "back on after reconnecting (R5)"
    );
    app.sync_once().await.unwrap();
    assert_eq!(control.sales().len(), 1, "nothing lost");
    world.both.shutdown().await;
}

/// Declines on the consent page: the broker's callback gets `error=access_denied`.
struct DecliningBrowser(String);

impl Browser for DecliningBrowser {
    fn open(&self, url: &str) -> Result<()> {
        let state = url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .unwrap();
        let callback = format!(
            "{}/callback/contaazul?error=access_denied&state={state}",
            self.0
        );
        tokio::spawn(async move {
            ponte_core::http::install_tls_provider();
            reqwest::get(callback).await.unwrap();
        });
        Ok(())
    }
}

#[tokio::test]
async fn r1_a_declined_consent_ends_the_connect_with_nothing_kept() {
    let world = broker_world().await;
    let app = App::open(world.config.clone()).unwrap();
    let error = app
        .connect(
            Service::Contaazul,
            &DecliningBrowser(world.both.broker.url()),
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Authorization(e) if e.contains("access_denied")),
        "{error}"
    );
    assert_eq!(error.problem().code, ProblemCode::AuthorizationFailed);
    assert!(!app.status().unwrap().contaazul.connected);
    world.both.shutdown().await;
}

#[tokio::test]
async fn an_install_from_the_nuvemshop_admin_connects_with_its_pairing_code() {
    let world = broker_world().await;
    let app = App::open(world.config.clone()).unwrap();
    let landing = world.both.sandbox.control().install_from_admin();
    let code = ponte_broker::sandboxed::LandingPage::load(&landing)
        .await
        .unwrap()
        .code()
        .unwrap();

    let malformed = app.connect_with_pairing_code("ABC").await.unwrap_err();
    assert_eq!(malformed.problem().code, ProblemCode::PairingCodeRefused);
    assert!(malformed.problem().message.contains("8 letras"));
    let unknown = app
        .connect_with_pairing_code("ZZZZ-ZZZZ")
        .await
        .unwrap_err();
    assert_eq!(unknown.problem().message, "Código não encontrado.");

    app.connect_with_pairing_code(&format!(" {} ", code.to_lowercase()))
        .await
        .unwrap();
    let status = app.status().unwrap();
    assert!(status.nuvemshop.connected);
    assert_eq!(status.nuvemshop.store_id.as_deref(), Some("5120101"));
    let again = app.connect_with_pairing_code(&code).await.unwrap_err();
    assert!(again.problem().message.contains("expirou ou já foi usado"));
    world.both.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_broker_is_told_in_portuguese_and_nothing_is_kept() {
    let world = broker_world().await;
    let mut config = world.config.clone();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    config.broker_url = Some(format!("http://{}", closed.local_addr().unwrap()));
    drop(closed);
    let app = App::open(config).unwrap();
    let error = app
        .connect(Service::Nuvemshop, &browser(&world, true), |_| {})
        .await
        .unwrap_err();
    assert_eq!(error.problem().code, ProblemCode::ConnectServiceUnreachable);
    assert!(error
        .problem()
        .message
        .contains("serviço de conexão do Ponte"));
    assert!(!app.status().unwrap().nuvemshop.connected);
    world.both.shutdown().await;
}
