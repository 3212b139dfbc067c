//! The facade's side of instant import: the state the dashboard shows, the webhooks registered
//! for the store, and what an event asks of the local data (an edited order, the app removed
//! from the store, the LGPD requests).

use serde::Serialize;

use crate::app::App;
use crate::error::{Error, Result};
use crate::instant::feed::{Feed, FeedEvent, EVENTS_KEY, WEBHOOK_EVENTS};
use crate::problem::InstantState;
use crate::store::LgpdState;

/// What the dashboard shows.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
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
    pub(crate) fn instant_seen_from_outside(&self) -> InstantState {
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

    pub(crate) fn set_instant(&self, state: InstantState) {
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
    pub(crate) fn feed(&self) -> Result<std::result::Result<Feed, InstantState>> {
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
