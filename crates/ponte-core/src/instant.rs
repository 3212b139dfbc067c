//! Instant import: Nuvemshop's webhooks reach the broker (a desktop cannot receive them); Ponte
//! long-polls its store's events there with the installation's key. `order/paid` (and updates,
//! cancellations) start a pass at once; the LGPD requests are carried out on the local data.
//! The periodic check stays on regardless: a lost webhook costs minutes, never an order.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::error::{Error, Result, Service};
use crate::problem::InstantState;
use crate::scheduler::Scheduler;
use crate::secrets::Secret;
use crate::store::LgpdState;

/// The order events Ponte registers with Nuvemshop for the store.
pub const ORDER_EVENTS: [&str; 4] = [
    "order/paid",
    "order/updated",
    "order/cancelled",
    "order/edited",
];
/// The merchant removed the app from the store: its token stops working.
pub const APP_UNINSTALLED: &str = "app/uninstalled";
/// Every webhook Ponte registers for the store.
pub const WEBHOOK_EVENTS: [&str; 5] = [
    ORDER_EVENTS[0],
    ORDER_EVENTS[1],
    ORDER_EVENTS[2],
    ORDER_EVENTS[3],
    APP_UNINSTALLED,
];
/// Where the store's installation key lives in the token store.
pub(crate) const EVENTS_KEY: &str = "broker-events";
/// How long one read waits at the broker for an event.
const LONG_POLL: Duration = Duration::from_secs(25);
/// The longest pause after the broker failed to answer.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// What the dashboard shows.
#[derive(Clone, Debug, Serialize)]
pub struct InstantStatus {
    pub active: bool,
    pub state: InstantState,
    pub message: String,
}

impl From<InstantState> for InstantStatus {
    fn from(state: InstantState) -> Self {
        InstantStatus {
            active: state.is_active(),
            state,
            message: state.message().to_string(),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct FeedEvent {
    pub id: i64,
    pub event: String,
    pub resource_id: String,
    /// The customer a customer request is about: its orders are checked against it.
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub orders: Vec<String>,
    /// An LGPD request that reached the broker without Nuvemshop's signature: carried out only
    /// where that is harmless (a customer's file written on this computer, Ponte's own copy of
    /// a customer removed); a store's erasure waits for the merchant as always.
    #[serde(default)]
    pub unverified: bool,
}

/// A page of the feed. The broker's own `cursor` is not trusted: the cursor moves only past
/// events read and handled here.
#[derive(Deserialize)]
struct FeedPage {
    events: Vec<FeedEvent>,
}

/// A page of events is small (the broker hands out 100 at most); an answer past this is not
/// the broker's.
const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// The longest wait before a failing event is tried again.
const MAX_EVENT_BACKOFF: Duration = Duration::from_secs(600);

/// The store's event queue at the broker.
pub struct Feed {
    http: reqwest::Client,
    base: String,
    key: Secret,
}

/// Why a read did not work.
enum FeedError {
    /// The broker does not know this key (forgotten installation): reconnecting issues one.
    UnknownKey,
    Other(Error),
}

impl Feed {
    fn new(base: &str, key: Secret, user_agent: &str) -> Result<Feed> {
        let http = reqwest::Client::builder()
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(LONG_POLL + Duration::from_secs(15))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(Feed {
            http,
            base: base.trim_end_matches('/').to_string(),
            key,
        })
    }

    async fn read(&self, after: i64, wait: Duration) -> std::result::Result<FeedPage, FeedError> {
        let answer = self
            .http
            .get(format!(
                "{}/events?after={after}&wait={}",
                self.base,
                wait.as_secs()
            ))
            .bearer_auth(self.key.expose())
            .send()
            .await
            .map_err(|e| FeedError::Other(Error::BrokerUnreachable(e.without_url().to_string())))?;
        match answer.status().as_u16() {
            200 => {
                let body = crate::http::read_capped(answer, MAX_PAGE_BYTES)
                    .await
                    .map_err(|e| {
                        FeedError::Other(Error::BrokerUnreachable(e.without_url().to_string()))
                    })?
                    .ok_or_else(|| {
                        FeedError::Other(Error::BrokerUnreachable("events page too large".into()))
                    })?;
                serde_json::from_slice(&body).map_err(|e| {
                    FeedError::Other(Error::BrokerUnreachable(format!("unreadable events: {e}")))
                })
            }
            401 => Err(FeedError::UnknownKey),
            status => Err(FeedError::Other(Error::BrokerUnreachable(format!(
                "events answered {status}"
            )))),
        }
    }

    async fn ack(&self, up_to: i64) -> Result<()> {
        let answer = self
            .http
            .post(format!("{}/events/ack", self.base))
            .bearer_auth(self.key.expose())
            .json(&serde_json::json!({ "up_to": up_to }))
            .send()
            .await
            .map_err(|e| Error::BrokerUnreachable(e.without_url().to_string()))?;
        if !answer.status().is_success() {
            return Err(Error::BrokerUnreachable(format!(
                "ack answered {}",
                answer.status()
            )));
        }
        Ok(())
    }
}

impl App {
    pub fn instant_status(&self) -> InstantStatus {
        let listened = *self.instant.lock().unwrap_or_else(|p| p.into_inner());
        listened
            .unwrap_or_else(|| self.instant_seen_from_outside())
            .into()
    }

    /// The state for a process with no listener of its own (`ponte status`): what keeps
    /// instant import off is known without listening; otherwise the listener running
    /// elsewhere (the window, `ponte sync`) saved its state, or none runs.
    fn instant_seen_from_outside(&self) -> InstantState {
        match self.feed() {
            Ok(Err(state)) => state,
            Ok(Ok(_)) if crate::lock::ListenerLock::held_elsewhere(&self.config.data_dir) => self
                .store
                .instant_state()
                .ok()
                .flatten()
                .and_then(|saved| serde_json::from_value(serde_json::Value::String(saved)).ok())
                .unwrap_or(InstantState::Starting),
            Ok(Ok(_)) | Err(_) => InstantState::Idle,
        }
    }

    fn set_instant(&self, state: InstantState) {
        let changed = {
            let mut current = self.instant.lock().unwrap_or_else(|p| p.into_inner());
            current.replace(state) != Some(state)
        };
        if changed {
            tracing::info!(?state, "instant import");
            if let Ok(serde_json::Value::String(name)) = serde_json::to_value(state) {
                if let Err(error) = self.store.set_instant_state(&name) {
                    tracing::warn!(%error, "instant import state not saved");
                }
            }
            self.events.send(crate::sync::Event::SettingsChanged);
        }
    }

    /// The feed of this store's events, when Ponte connects through a broker and holds a key.
    fn feed(&self) -> Result<std::result::Result<Feed, InstantState>> {
        let Some(broker) = self.config.broker_url.clone() else {
            return Ok(Err(InstantState::NoBroker));
        };
        if self.store.settings()?.nuvemshop_store_id.is_none() {
            return Ok(Err(InstantState::NotConnected));
        }
        let Some(key) = self.tokens.get(EVENTS_KEY)? else {
            return Ok(Err(InstantState::NeedsReconnect));
        };
        Ok(Ok(Feed::new(&broker, key, &self.config.user_agent)?))
    }

    /// Registers the webhooks (pointing at the broker) the store does not have yet, and deletes
    /// the app's webhooks for Ponte's events that point anywhere else (a broker's former
    /// address would otherwise be called for every order, and Nuvemshop keeps retrying it).
    pub async fn ensure_webhooks(&self) -> Result<()> {
        let Some(broker) = self.config.broker_url.clone() else {
            return Ok(());
        };
        let url = format!("{broker}/webhooks/nuvemshop");
        let client = self.nuvemshop_client()?;
        let registered = client.webhooks().await?;
        for old in registered
            .iter()
            .filter(|hook| hook.url != url && WEBHOOK_EVENTS.contains(&hook.event.as_str()))
        {
            client.delete_webhook(old.id).await?;
            tracing::info!(event = old.event, "webhook for a former address deleted");
        }
        for event in WEBHOOK_EVENTS {
            if !registered
                .iter()
                .any(|hook| hook.event == event && hook.url == url)
            {
                client.register_webhook(event, &url).await?;
                tracing::info!(event, "webhook registered");
            }
        }
        Ok(())
    }

    /// `order/edited`: an imported order whose sale no longer matches it is told to the
    /// merchant (Ponte never changes a sale).
    pub async fn notice_edit(&self, resource_id: &str) -> Result<bool> {
        let Ok(order_id) = resource_id.parse::<u64>() else {
            tracing::warn!("order/edited without a readable order id ignored");
            return Ok(false);
        };
        self.engine()?.notice_edit(order_id).await
    }

    /// `app/uninstalled`: when the store's token indeed stopped working, it is dropped and the
    /// integration switches itself off saying the app was removed from the store (R5). An event
    /// that arrives after the app was installed again finds a working token and changes
    /// nothing.
    pub async fn app_uninstalled(&self) -> Result<()> {
        let client = match self.nuvemshop_client() {
            Ok(client) => client,
            // No token: nothing left to drop.
            Err(_) => return Ok(()),
        };
        match client.store().await {
            Err(Error::NuvemshopAccessRevoked) => {}
            Ok(_) => {
                tracing::info!("app/uninstalled, but the store's token still works: ignored");
                return Ok(());
            }
            Err(error) => return Err(error),
        }
        self.tokens.delete(crate::app::NUVEMSHOP_TOKEN)?;
        self.store
            .disable_with_reason(&crate::problem::Problem::app_removed_from_store())?;
        tracing::warn!("the app was removed from the store: integration switched off");
        self.events.send(crate::sync::Event::SettingsChanged);
        Ok(())
    }

    /// Carries out one LGPD request (issues 10 and 20), checked against Ponte's own data first:
    /// a customer request touches only the listed orders that are that customer's; a store's
    /// erasure must name the connected store, and always waits for the merchant. Repeated
    /// deliveries are recognised by the broker's event id.
    pub async fn carry_out_lgpd(&self, event: &FeedEvent) -> Result<()> {
        let now = self.clock.now();
        let kind = match event.event.as_str() {
            "customers/redact" => crate::store::LgpdKind::CustomersRedact,
            "customers/data_request" => crate::store::LgpdKind::CustomersDataRequest,
            "store/redact" => crate::store::LgpdKind::StoreRedact,
            other => {
                tracing::warn!(event = other, "unknown LGPD event ignored");
                return Ok(());
            }
        };
        if self
            .store
            .lgpd_seen(event.id, kind, &event.resource_id, now)?
        {
            tracing::info!(event = event.event, "LGPD request already carried out");
            return Ok(());
        }
        if event.orders.len() > crate::store::MAX_ORDERS_PER_REQUEST {
            tracing::warn!(
                orders = event.orders.len(),
                "LGPD request with too many orders ignored"
            );
            let note = format!(
                "A solicitação lista {} pedidos, mais do que um cliente pode ter: nada foi feito. \
                 Confira-a no painel da Nuvemshop.",
                event.orders.len()
            );
            return self.store.record_lgpd_outcome(
                event.id,
                kind,
                &event.resource_id,
                crate::store::LgpdState::Ignored,
                &note,
                now,
            );
        }
        let orders: Vec<u64> = event
            .orders
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect();
        match kind {
            crate::store::LgpdKind::CustomersRedact => {
                let customer = event.customer.as_deref().unwrap_or(&event.resource_id);
                let redaction = self
                    .store
                    .redact_customer(event.id, customer, &orders, now)?;
                for file in &redaction.files {
                    if let Err(error) = std::fs::remove_file(file) {
                        if error.kind() != std::io::ErrorKind::NotFound {
                            tracing::warn!(%error, "an earlier data request's file was not removed");
                        }
                    }
                }
                let wiped =
                    crate::privacy::wipe_from_files(&self.config.log_dir(), &redaction.traces);
                tracing::info!(
                    orders = redaction.orders,
                    files = redaction.files.len(),
                    log_files = wiped,
                    "LGPD: a customer's data removed"
                );
            }
            crate::store::LgpdKind::CustomersDataRequest => {
                let folder = self.lgpd_folder()?;
                let path = self.store.export_customer(
                    event.id,
                    &event.resource_id,
                    event.customer.as_deref(),
                    &orders,
                    &folder,
                    now,
                )?;
                tracing::info!(file = %path.display(), "LGPD: a customer's data written out");
            }
            crate::store::LgpdKind::StoreRedact => {
                let connected = self.store.settings()?.nuvemshop_store_id;
                if connected.as_deref() == Some(event.resource_id.as_str()) {
                    // Sent 48 hours after an uninstall, or by anyone who holds the app's
                    // secret: the merchant decides.
                    self.store
                        .record_store_redact_request(event.id, &event.resource_id, now)?;
                    tracing::info!("LGPD: store data erasure awaits the merchant's confirmation");
                } else {
                    tracing::warn!("LGPD: an erasure for another store ignored");
                    self.store.record_lgpd_outcome(
                        event.id,
                        kind,
                        &event.resource_id,
                        crate::store::LgpdState::Ignored,
                        &format!(
                            "Pedido de exclusão dos dados da loja {}, que não é a loja \
                             conectada: nada foi apagado.",
                            event.resource_id
                        ),
                        now,
                    )?;
                }
            }
        }
        if event.unverified {
            tracing::warn!(event = event.event, "LGPD request carried out unverified");
            self.store.note_unverified(event.id, kind)?;
        }
        self.events.send(crate::sync::Event::SettingsChanged);
        Ok(())
    }

    /// Where data requests are written: the merchant's chosen folder, or `lgpd/` in the data
    /// directory.
    pub fn lgpd_folder(&self) -> Result<std::path::PathBuf> {
        Ok(self
            .store
            .lgpd_folder()?
            .unwrap_or_else(|| self.config.data_dir.join("lgpd")))
    }

    /// `store/redact`: the store's orders, audit and connection go.
    pub async fn erase_store(&self, request: Option<(i64, &str)>) -> Result<u64> {
        let erased = self.store.erase_store_data(request, self.clock.now())?;
        self.tokens.delete(crate::app::NUVEMSHOP_TOKEN)?;
        self.tokens.delete(EVENTS_KEY)?;
        tracing::info!(orders = erased, "LGPD: the store's data erased");
        self.events.send(crate::sync::Event::SettingsChanged);
        Ok(erased)
    }

    /// The merchant confirms a `store/redact` that waited (the store was still connected).
    pub async fn confirm_store_erasure(&self) -> Result<u64> {
        let waiting = self
            .store
            .lgpd_requests()?
            .into_iter()
            .any(|r| r.state == LgpdState::AwaitingConfirmation);
        if !waiting {
            return Err(Error::NotFound(
                "no store data erasure is waiting for confirmation".into(),
            ));
        }
        self.erase_store(None).await
    }
}

/// Reads the store's events for as long as the scheduler runs: order events wake it at once;
/// LGPD requests are carried out. The shells spawn this beside [`Scheduler::run`].
pub async fn listen(scheduler: Arc<Scheduler>) {
    let app = scheduler.app().clone();
    let mut settings = app.subscribe();
    let mut backoff = Duration::from_secs(1);
    // A request that cannot be carried out is tried again, less and less often.
    let mut event_backoff = Duration::from_secs(1);
    let mut registered = false;
    app.set_instant(InstantState::Starting);
    let mut seen = None;
    while !scheduler.is_stopped() {
        // Held from the first turn it is free (a `ponte status` may be checking it just then).
        if seen.is_none() {
            seen = crate::lock::ListenerLock::try_hold(&app.config.data_dir);
        }
        let feed = match app.feed() {
            Ok(Ok(feed)) => feed,
            Ok(Err(state)) => {
                app.set_instant(state);
                registered = false;
                // Connecting or reconnecting changes the settings: look again then.
                tokio::select! {
                    _ = settings.recv() => {}
                    _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                }
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "instant import cannot start");
                tokio::time::sleep(MAX_BACKOFF).await;
                continue;
            }
        };
        if !registered {
            match app.ensure_webhooks().await {
                Ok(()) => registered = true,
                Err(Error::NotConnected(Service::Nuvemshop)) => continue,
                Err(error) => {
                    tracing::warn!(%error, "webhooks not registered yet");
                    app.set_instant(InstantState::NotRegistered);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
        }
        let after = app.store.events_cursor().unwrap_or(0);
        // Until the broker has answered once, ask without waiting: "active" must be known.
        let wait = if app.instant_status().active {
            LONG_POLL
        } else {
            Duration::ZERO
        };
        match feed.read(after, wait).await {
            Ok(page) => {
                app.set_instant(InstantState::Active);
                backoff = Duration::from_secs(1);
                match handle(&app, &scheduler, &feed, after, page).await {
                    Ok(()) => event_backoff = Duration::from_secs(1),
                    Err(error) => {
                        tracing::warn!(%error, ?event_backoff, "events not handled yet");
                        tokio::select! {
                            _ = tokio::time::sleep(event_backoff) => {}
                            _ = settings.recv() => {}
                        }
                        event_backoff = (event_backoff * 2).min(MAX_EVENT_BACKOFF);
                    }
                }
            }
            Err(FeedError::UnknownKey) => {
                app.set_instant(InstantState::NeedsReconnect);
                tokio::select! {
                    _ = settings.recv() => {}
                    _ = tokio::time::sleep(MAX_BACKOFF) => {}
                }
            }
            Err(FeedError::Other(error)) => {
                tracing::warn!(%error, "broker events unreachable");
                app.set_instant(InstantState::BrokerUnreachable);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Handles a page of events in order; the cursor moves (and the broker hears) only past what
/// was handled, and only forwards: an event at or before the cursor, or out of order, ends the
/// page (the broker is not taken at its word). An LGPD request that fails is recorded with why,
/// for the merchant to see, and tried again later.
async fn handle(
    app: &App,
    scheduler: &Scheduler,
    feed: &Feed,
    after: i64,
    page: FeedPage,
) -> Result<()> {
    let mut handled: Option<i64> = None;
    let mut wake = false;
    let mut outcome = Ok(());
    for event in &page.events {
        if event.id <= handled.unwrap_or(after) {
            tracing::warn!(
                id = event.id,
                after = handled.unwrap_or(after),
                "an event out of order from the broker: the page ends here"
            );
            break;
        }
        if event.event == APP_UNINSTALLED {
            if let Err(error) = app.app_uninstalled().await {
                // The next pass meets the same refusal and switches off as R5 says.
                tracing::warn!(%error, "app/uninstalled not checked");
            }
        } else if ORDER_EVENTS.contains(&event.event.as_str()) {
            wake = true;
            if event.event == "order/edited" {
                if let Err(error) = app.notice_edit(&event.resource_id).await {
                    tracing::warn!(%error, "an edited order not compared with its sale");
                }
            }
        } else if let Err(error) = app.carry_out_lgpd(event).await {
            report_failure(app, event, &error);
            outcome = Err(error);
            break;
        }
        handled = Some(event.id);
    }
    if wake {
        scheduler.sync_now();
    }
    if let Some(cursor) = handled.filter(|c| *c > app.store.events_cursor().unwrap_or(0)) {
        app.store.set_events_cursor(cursor)?;
        if let Err(error) = feed.ack(cursor).await {
            // The cursor is ours; the broker keeps the events a little longer.
            tracing::debug!(%error, "ack not delivered");
        }
    }
    outcome
}

/// An LGPD request that could not be carried out: recorded as failed, with what went wrong in
/// Portuguese (the list in *Configurações* shows it), until a later try succeeds.
fn report_failure(app: &App, event: &FeedEvent, error: &Error) {
    let kind = match event.event.as_str() {
        "customers/redact" => crate::store::LgpdKind::CustomersRedact,
        "customers/data_request" => crate::store::LgpdKind::CustomersDataRequest,
        _ => crate::store::LgpdKind::StoreRedact,
    };
    let problem = error.problem();
    let note = format!(
        "Ainda não foi possível atender: {} {} O Ponte tentará de novo sozinho.",
        problem.message, problem.hint
    );
    if let Err(error) = app.store.record_lgpd_outcome(
        event.id,
        kind,
        &event.resource_id,
        LgpdState::Failed,
        &note,
        app.clock.now(),
    ) {
        tracing::warn!(%error, "an LGPD request's failure not recorded");
    }
    app.events.send(crate::sync::Event::SettingsChanged);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> (tempfile::TempDir, Arc<App>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let config = crate::config::Config::from_lookup(|name| match name {
            "PONTE_DATA_DIR" => Some(path.clone()),
            "PONTE_TOKEN_STORE" => Some("file".into()),
            _ => None,
        })
        .unwrap();
        (dir, Arc::new(App::open(config).unwrap()))
    }

    fn event(id: i64) -> FeedEvent {
        FeedEvent {
            id,
            event: "order/paid".into(),
            resource_id: "1".into(),
            customer: None,
            orders: vec![],
            unverified: false,
        }
    }

    /// Issue 20: the broker is not taken at its word on where the feed goes on.
    #[tokio::test]
    async fn the_cursor_moves_only_forwards_past_events_handled_here() {
        let (_dir, app) = app();
        let scheduler = Scheduler::new(app.clone());
        // Nothing listens there: the acknowledgement fails quietly, the cursor is ours.
        let feed = Feed::new("http://127.0.0.1:9", Secret::new(String::from("k")), "test").unwrap();
        app.store.set_events_cursor(4).unwrap();
        let page = |ids: &[i64]| FeedPage {
            events: ids.iter().map(|id| event(*id)).collect(),
        };
        handle(&app, &scheduler, &feed, 4, page(&[])).await.unwrap();
        assert_eq!(
            app.store.events_cursor().unwrap(),
            4,
            "an empty page moves nothing"
        );
        handle(&app, &scheduler, &feed, 4, page(&[3, 9]))
            .await
            .unwrap();
        assert_eq!(
            app.store.events_cursor().unwrap(),
            4,
            "an event from before ends the page"
        );
        handle(&app, &scheduler, &feed, 4, page(&[6, 5, 7]))
            .await
            .unwrap();
        assert_eq!(
            app.store.events_cursor().unwrap(),
            6,
            "out of order: up to the last in order"
        );
    }

    #[tokio::test]
    async fn an_answer_larger_than_a_page_is_not_read() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 4096];
            let _ = stream.read(&mut request).await;
            let body = vec![b' '; MAX_PAGE_BYTES + 1];
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body).await;
        });
        let feed = Feed::new(
            &format!("http://127.0.0.1:{port}"),
            Secret::new(String::from("k")),
            "test",
        )
        .unwrap();
        match feed.read(0, Duration::ZERO).await {
            Err(FeedError::Other(Error::BrokerUnreachable(why))) => {
                assert!(why.contains("too large"), "{why}")
            }
            _ => panic!("a page past the cap was read"),
        }
    }

    #[tokio::test]
    async fn a_request_listing_more_orders_than_a_customer_has_is_ignored_and_said_so() {
        let (_dir, app) = app();
        let flood = FeedEvent {
            id: 1,
            event: "customers/redact".into(),
            resource_id: "7".into(),
            customer: Some("7".into()),
            orders: (0..crate::store::MAX_ORDERS_PER_REQUEST as u64 + 1)
                .map(|id| id.to_string())
                .collect(),
            unverified: false,
        };
        app.carry_out_lgpd(&flood).await.unwrap();
        let request = &app.lgpd_requests().unwrap()[0];
        assert_eq!(request.state, LgpdState::Ignored);
        assert!(request.note.as_deref().unwrap().contains("5001 pedidos"));
        // Under the cap, thousands of ids are fine (no statement over SQLite's limits).
        let many = FeedEvent {
            id: 2,
            orders: (0..crate::store::MAX_ORDERS_PER_REQUEST as u64)
                .map(|id| id.to_string())
                .collect(),
            ..flood
        };
        app.carry_out_lgpd(&many).await.unwrap();
        assert_eq!(app.lgpd_requests().unwrap()[0].state, LgpdState::Done);
    }
}
