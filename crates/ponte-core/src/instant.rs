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
pub const ORDER_EVENTS: [&str; 3] = ["order/paid", "order/updated", "order/cancelled"];
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
    #[serde(default)]
    pub orders: Vec<String>,
}

#[derive(Deserialize)]
struct FeedPage {
    events: Vec<FeedEvent>,
    cursor: i64,
}

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
            200 => answer.json().await.map_err(|e| {
                FeedError::Other(Error::BrokerUnreachable(format!("unreadable events: {e}")))
            }),
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

    /// Registers the order webhooks (pointing at the broker) the store does not have yet.
    pub async fn ensure_webhooks(&self) -> Result<()> {
        let Some(broker) = self.config.broker_url.clone() else {
            return Ok(());
        };
        let url = format!("{broker}/webhooks/nuvemshop");
        let client = self.nuvemshop_client()?;
        let registered = client.webhooks().await?;
        for event in ORDER_EVENTS {
            if !registered.iter().any(|(e, u)| e == event && *u == url) {
                client.register_webhook(event, &url).await?;
                tracing::info!(event, "webhook registered");
            }
        }
        Ok(())
    }

    /// Carries out one LGPD request (issue 10). Repeated deliveries are recognised by the
    /// broker's event id.
    pub async fn carry_out_lgpd(&self, event: &FeedEvent) -> Result<()> {
        let now = self.clock.now();
        let kind = match event.event.as_str() {
            "customers/redact" => crate::store::LgpdKind::CustomersRedact,
            "customers/data_request" => crate::store::LgpdKind::CustomersDataRequest,
            _ => crate::store::LgpdKind::StoreRedact,
        };
        if self
            .store
            .lgpd_seen(event.id, kind, &event.resource_id, now)?
        {
            tracing::info!(event = event.event, "LGPD request already carried out");
            return Ok(());
        }
        let orders: Vec<u64> = event
            .orders
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect();
        match event.event.as_str() {
            "customers/redact" => {
                let touched =
                    self.store
                        .redact_customer(event.id, &event.resource_id, &orders, now)?;
                tracing::info!(orders = touched, "LGPD: a customer's data removed");
            }
            "customers/data_request" => {
                let folder = self.lgpd_folder()?;
                let path = self.store.export_customer(
                    event.id,
                    &event.resource_id,
                    None,
                    &orders,
                    &folder,
                    now,
                )?;
                tracing::info!(file = %path.display(), "LGPD: a customer's data written out");
            }
            "store/redact" => {
                // Sent 48 hours after the app was uninstalled: with the store's access gone,
                // its data goes at once; a store still connected (reinstalled) asks first.
                let still_connected = self.store.settings()?.nuvemshop_store_id.is_some()
                    && !self.nuvemshop_access_revoked()?;
                if still_connected {
                    self.store
                        .record_store_redact_request(event.id, &event.resource_id, now)?;
                    tracing::info!("LGPD: store data erasure awaits the merchant's confirmation");
                } else {
                    self.erase_store(Some((event.id, &event.resource_id)))
                        .await?;
                }
            }
            other => tracing::warn!(event = other, "unknown LGPD event ignored"),
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

    fn nuvemshop_access_revoked(&self) -> Result<bool> {
        Ok(self.tokens.get(crate::app::NUVEMSHOP_TOKEN)?.is_none()
            || self
                .store
                .settings()?
                .disabled_reason
                .is_some_and(|reason| {
                    reason.code == crate::problem::ProblemCode::NuvemshopAccessChanged
                }))
    }
}

/// Reads the store's events for as long as the scheduler runs: order events wake it at once;
/// LGPD requests are carried out. The shells spawn this beside [`Scheduler::run`].
pub async fn listen(scheduler: Arc<Scheduler>) {
    let app = scheduler.app().clone();
    let mut settings = app.subscribe();
    let mut backoff = Duration::from_secs(1);
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
                if let Err(error) = handle(&app, &scheduler, &feed, page).await {
                    tracing::warn!(%error, "events not handled yet");
                    tokio::time::sleep(backoff).await;
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
/// was handled.
async fn handle(app: &App, scheduler: &Scheduler, feed: &Feed, page: FeedPage) -> Result<()> {
    let mut handled = None;
    let mut wake = false;
    let mut outcome = Ok(());
    for event in &page.events {
        if ORDER_EVENTS.contains(&event.event.as_str()) {
            wake = true;
        } else if let Err(error) = app.carry_out_lgpd(event).await {
            outcome = Err(error);
            break;
        }
        handled = Some(event.id);
    }
    if wake {
        scheduler.sync_now();
    }
    let cursor = if outcome.is_ok() && page.events.is_empty() {
        Some(page.cursor)
    } else {
        handled
    };
    if let Some(cursor) = cursor.filter(|c| *c > app.store.events_cursor().unwrap_or(0)) {
        app.store.set_events_cursor(cursor)?;
        if let Err(error) = feed.ack(cursor).await {
            // The cursor is ours; the broker keeps the events a little longer.
            tracing::debug!(%error, "ack not delivered");
        }
    }
    outcome
}
