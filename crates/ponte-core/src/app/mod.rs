//! The one entry point the CLI and the desktop app share: connect, pick the seller, switch on
//! and off, sync, list, retry, report. Nothing here knows about terminals or windows.

pub(crate) mod connect;
pub mod doctor;
mod history;
pub(crate) mod instant;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::contaazul::{ContaAzulAuth, ContaAzulClient};
use crate::error::{Error, Problem, ProblemCode, Result, Service};
use crate::nuvemshop::NuvemshopClient;

use crate::secrets::{open_store, Secret, TokenStore};
pub use crate::store::OrderFilter;
use crate::store::{Counts, LedgerOrder, OrderState, Seller, Settings, Store};
use crate::sync::{Engine, Event, Events, PassReport};
use crate::time::{system_clock, SharedClock};

pub(crate) const NUVEMSHOP_TOKEN: &str = "nuvemshop";

pub struct App {
    pub config: Config,
    pub(crate) store: Arc<Store>,
    pub(crate) tokens: Arc<dyn TokenStore>,
    pub(crate) clock: SharedClock,
    pub(crate) events: Events,
    /// Instant import's state, as the listener last found it; `None` while no listener runs
    /// in this process (a `ponte status`, say).
    pub(crate) instant: std::sync::Mutex<Option<crate::problem::InstantState>>,
    pub(crate) contaazul_auth: Arc<ContaAzulAuth>,
    /// Connects through the broker waiting for a code the merchant may type.
    pub(crate) waiting_for_codes: self::connect::WaitingForCodes,
    /// Set to stop the running pass between two orders.
    interrupt: Arc<AtomicBool>,
}

#[derive(Clone, Debug, Serialize)]
pub struct OrdersPage {
    pub items: Vec<LedgerOrder>,
    /// How many orders match the filter, on every page.
    pub total: u64,
}

/// `ponte status --json`.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub enabled: bool,
    pub activated_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<Problem>,
    pub nuvemshop: NuvemshopStatus,
    pub contaazul: ContaAzulStatus,
    pub seller: Option<Seller>,
    pub counts: Counts,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// What the dashboard's banner says, when something needs the merchant.
    pub attention: Option<Attention>,
    /// Whether sales arrive within seconds (webhooks through the broker) or at the next check.
    pub instant: self::instant::InstantStatus,
    /// A `store/redact` waits for the merchant's confirmation.
    pub store_erasure_requested: bool,
    /// Imported orders cancelled or refunded in Nuvemshop since, not checked yet.
    pub changed_after_import: Vec<crate::store::ChangedOrder>,
}

impl Status {
    fn with_attention(mut self, unsaved_tokens: bool, tokens_lost: bool) -> Status {
        self.attention = Attention::of(&self, unsaved_tokens, tokens_lost);
        self
    }
}

/// Something that stops the imports until the merchant acts (R5): why, and which account to
/// connect again, when connecting again is the cure.
#[derive(Clone, Debug, Serialize)]
pub struct Attention {
    pub problem: Problem,
    pub reconnect: Option<Service>,
}

impl Attention {
    fn of(status: &Status, unsaved_tokens: bool, tokens_lost: bool) -> Option<Attention> {
        if unsaved_tokens {
            return Some(Attention {
                problem: Problem::tokens_not_saved(),
                reconnect: None,
            });
        }
        let missing = if !status.nuvemshop.connected {
            Some(Service::Nuvemshop)
        } else if !status.contaazul.connected {
            Some(Service::Contaazul)
        } else {
            None
        };
        if let (true, Some(service)) = (tokens_lost, missing) {
            return Some(Attention {
                problem: Problem::tokens_lost(),
                reconnect: Some(service),
            });
        }
        if let Some(reason) = &status.disabled_reason {
            let reconnect = match reason.code {
                ProblemCode::NuvemshopAccessChanged => Some(Service::Nuvemshop),
                ProblemCode::ContaazulAccessChanged => Some(Service::Contaazul),
                _ => None,
            };
            return Some(Attention {
                problem: reason.clone(),
                reconnect,
            });
        }
        status.activated_at?;
        let missing = missing?;
        Some(Attention {
            problem: Problem::disconnected(missing.name()),
            reconnect: Some(missing),
        })
    }
}

/// Sales imported on one day (São Paulo date).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub date: chrono::NaiveDate,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct NuvemshopStatus {
    pub connected: bool,
    pub store_id: Option<String>,
    /// The store's name (read when it was connected), shown instead of its id.
    pub store_name: Option<String>,
    /// The start of an order's page in the store's admin: the order id completes it.
    pub admin_orders_url: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ContaAzulStatus {
    pub connected: bool,
    /// The company's name (read when it was connected), shown instead of "Conta Azul".
    pub company_name: Option<String>,
}

impl App {
    pub fn open(config: Config) -> Result<App> {
        Self::open_with_clock(config, system_clock())
    }

    pub fn open_with_clock(config: Config, clock: SharedClock) -> Result<App> {
        if let Some(earlier) = &config.earlier_data_dir {
            crate::data_dir::adopt_earlier(
                earlier,
                &config.data_dir,
                crate::secrets::os_keychain_entry,
            )?;
        }
        let store = Arc::new(Store::open(&config.database_path())?);
        let tokens: Arc<dyn TokenStore> = Arc::from(open_store(&config));
        let contaazul_auth = Arc::new(ContaAzulAuth::new(&config, tokens.clone(), clock.clone())?);
        Ok(App {
            config,
            store,
            tokens,
            clock,
            events: Events::default(),
            instant: std::sync::Mutex::new(None),
            contaazul_auth,
            waiting_for_codes: Default::default(),
            interrupt: Arc::new(AtomicBool::new(false)),
        })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    pub fn settings(&self) -> Result<Settings> {
        self.store.settings()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Whether a pass can run: switched on (R4), both accounts connected, a seller chosen.
    pub fn ready(&self) -> Result<()> {
        let status = self.status()?;
        if !status.enabled {
            return Err(Error::Disabled);
        }
        if !status.nuvemshop.connected {
            return Err(Error::NotConnected(Service::Nuvemshop));
        }
        if !status.contaazul.connected {
            return Err(Error::NotConnected(Service::Contaazul));
        }
        if status.seller.is_none() {
            return Err(Error::NoSeller);
        }
        Ok(())
    }

    /// Stops the running pass between two orders (the scheduler stopping).
    pub fn interrupt_pass(&self) {
        self.interrupt.store(true, Ordering::SeqCst);
    }

    /// R7: how often a pass runs, within 1 minute and 24 hours.
    pub fn set_poll_interval_minutes(&self, minutes: u64) -> std::result::Result<(), Problem> {
        let interval = crate::config::interval_from_minutes(minutes)?;
        self.set_poll_interval(interval).map_err(|e| e.problem())
    }

    /// Sales imported on each of the last `days` days (São Paulo dates, oldest first, days
    /// without sales included): the dashboard's chart and `ponte stats`.
    pub fn imported_per_day(&self, days: u32) -> Result<Vec<DayCount>> {
        let days = days.clamp(1, 366);
        let today = crate::time::business_date(self.clock.now());
        let first = today - chrono::Days::new(u64::from(days - 1));
        // A day early, so that the São Paulo morning of the first day is in.
        let since = first
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc() - chrono::Duration::days(1))
            .unwrap_or_else(|| self.clock.now());
        let mut counts = std::collections::BTreeMap::new();
        for at in self.store.imported_since(since)? {
            *counts.entry(crate::time::business_date(at)).or_insert(0u64) += 1;
        }
        Ok(first
            .iter_days()
            .take(days as usize)
            .map(|date| DayCount {
                date,
                count: counts.get(&date).copied().unwrap_or(0),
            })
            .collect())
    }

    /// *Configurações › Forma de pagamento*: how each way of paying becomes the sale's payment
    /// (R14, beyond); empty: the article's *Dinheiro*, one installment.
    pub fn payment_mapping(&self) -> Result<crate::rules::payment::PaymentMapping> {
        self.store.payment_mapping()
    }

    /// Keeps the mapping for the sales sent from now on; a type Conta Azul does not know is
    /// refused with the reason.
    pub fn set_payment_mapping(
        &self,
        mapping: &crate::rules::payment::PaymentMapping,
    ) -> Result<()> {
        crate::rules::payment::check_mapping(mapping).map_err(|reason| {
            Error::Invalid(Problem {
                message: format!("Forma de pagamento não reconhecida: {reason}."),
                hint: "Escolha uma das formas de pagamento da lista.".into(),
                ..ProblemCode::Configuration.into()
            })
        })?;
        self.store.set_payment_mapping(mapping)?;
        self.events.send(Event::SettingsChanged);
        Ok(())
    }

    /// A page of the ledger, newest first, and how many orders match in all.
    pub fn orders_page(
        &self,
        filter: &OrderFilter,
        page: u32,
        page_size: u32,
    ) -> Result<OrdersPage> {
        let page_size = page_size.clamp(1, 500);
        Ok(OrdersPage {
            items: self
                .store
                .list(filter, page_size, page.saturating_mul(page_size))?,
            total: self.store.count_matching(filter)?,
        })
    }

    pub(crate) fn nuvemshop_client(&self) -> Result<NuvemshopClient> {
        let token: Secret = self
            .tokens
            .get(NUVEMSHOP_TOKEN)?
            .ok_or(Error::NotConnected(Service::Nuvemshop))?;
        let store_id = self
            .store
            .settings()?
            .nuvemshop_store_id
            .and_then(|id| id.parse::<u64>().ok())
            .ok_or(Error::NotConnected(Service::Nuvemshop))?;
        NuvemshopClient::new(&self.config, store_id, token)
    }

    pub(crate) fn contaazul_client(&self) -> Result<ContaAzulClient> {
        if !self.contaazul_auth.is_connected()? {
            return Err(Error::NotConnected(Service::Contaazul));
        }
        ContaAzulClient::new(&self.config, self.contaazul_auth.clone())
    }

    /// R13: Conta Azul's sellers, to pick the one the sales will name.
    pub async fn sellers(&self) -> Result<Vec<Seller>> {
        let sellers = self.contaazul_client()?.vendedores().await?;
        Ok(sellers
            .into_iter()
            .map(|v| Seller {
                id: v.id,
                name: v.nome,
            })
            .collect())
    }

    /// R2, R4, R13: switches the integration on with a seller (the only one when there is one).
    pub async fn enable(&self, seller_id: Option<&str>) -> Result<Settings> {
        self.nuvemshop_client()?;
        let sellers = self.sellers().await?;
        let seller = match seller_id {
            Some(id) => sellers
                .into_iter()
                .find(|s| s.id == id)
                .ok_or_else(|| Error::NotFound(format!("no seller with id {id}")))?,
            None => match self.store.settings()?.seller {
                Some(chosen) if sellers.contains(&chosen) => chosen,
                _ if sellers.len() == 1 => sellers.into_iter().next().expect("one seller"),
                _ => return Err(Error::NoSeller),
            },
        };
        self.store.activate(&seller, self.clock.now())?;
        if self.store.settings()?.contaazul_company_name.is_none() {
            // Connected before Ponte read the company's name.
            self.keep_company_name().await?;
        }
        self.events.send(Event::SettingsChanged);
        self.store.settings()
    }

    /// R13: another seller for the sales from now on.
    pub async fn set_seller(&self, seller_id: &str) -> Result<Seller> {
        let seller = self
            .sellers()
            .await?
            .into_iter()
            .find(|s| s.id == seller_id)
            .ok_or_else(|| Error::NotFound(format!("no seller with id {seller_id}")))?;
        self.store.set_seller(&seller)?;
        self.events.send(Event::SettingsChanged);
        Ok(seller)
    }

    /// R10, beyond: products matched by SKU first, for the orders imported from now on.
    pub fn set_match_by_sku(&self, on: bool) -> Result<()> {
        self.store.set_match_by_sku(on)?;
        self.events.send(Event::SettingsChanged);
        Ok(())
    }

    /// *Iniciar o Ponte com o computador*: the merchant's choice, kept with the data. The desktop
    /// app makes the system's entry from it at every start (`None`: no choice made yet).
    pub fn start_with_computer(&self) -> Result<Option<bool>> {
        self.store.start_with_computer()
    }

    pub fn set_start_with_computer(&self, on: bool) -> Result<()> {
        self.store.set_start_with_computer(on)
    }

    /// The sale's number into each imported order's private note in Nuvemshop, from now on.
    pub fn set_write_owner_note(&self, on: bool) -> Result<()> {
        self.store.set_write_owner_note(on)?;
        self.events.send(Event::SettingsChanged);
        Ok(())
    }

    pub fn set_poll_interval(&self, interval: std::time::Duration) -> Result<()> {
        self.store.set_poll_interval(interval)?;
        self.events.send(Event::SettingsChanged);
        Ok(())
    }

    /// R4: off; nothing is created while off.
    pub fn disable(&self) -> Result<()> {
        self.store.set_enabled(false)?;
        self.events.send(Event::SettingsChanged);
        Ok(())
    }

    pub fn engine(&self) -> Result<Engine> {
        Ok(Engine {
            store: self.store.clone(),
            nuvemshop: self.nuvemshop_client()?,
            contaazul: self.contaazul_client()?,
            clock: self.clock.clone(),
            events: self.events.clone(),
            interrupt: self.interrupt.clone(),
        })
    }

    /// One full pass (the caller holds the data directory's lock).
    pub async fn sync_once(&self) -> Result<PassReport> {
        let settings = self.store.settings()?;
        if !settings.enabled {
            return Err(Error::Disabled);
        }
        self.interrupt.store(false, Ordering::SeqCst);
        self.engine()?.run_pass().await
    }

    pub fn status(&self) -> Result<Status> {
        let settings = self.store.settings()?;
        let status = Status {
            enabled: settings.enabled,
            activated_at: settings.activated_at,
            disabled_reason: settings.disabled_reason,
            nuvemshop: NuvemshopStatus {
                connected: self.tokens.get(NUVEMSHOP_TOKEN)?.is_some()
                    && settings.nuvemshop_store_id.is_some(),
                admin_orders_url: settings.nuvemshop_store_id.as_ref().map(|_| {
                    NuvemshopClient::admin_orders_base(settings.nuvemshop_domain.as_deref())
                }),
                store_id: settings.nuvemshop_store_id,
                store_name: settings.nuvemshop_store_name,
            },
            contaazul: ContaAzulStatus {
                connected: self.contaazul_auth.is_connected()?,
                company_name: settings.contaazul_company_name.clone(),
            },
            seller: settings.seller,
            counts: self.store.counts()?,
            last_sync_at: settings.last_sync_at,
            attention: None,
            instant: self.instant_status(),
            store_erasure_requested: self
                .store
                .lgpd_requests()?
                .iter()
                .any(|r| r.state == crate::store::LgpdState::AwaitingConfirmation),
            changed_after_import: self.changed_orders()?,
        };
        // Tokens put aside (their key left the keychain) are told until both accounts are
        // connected again; then they go.
        let lost = self.tokens.lost();
        if lost && status.nuvemshop.connected && status.contaazul.connected {
            self.tokens.forget_lost();
        }
        Ok(status.with_attention(self.contaazul_auth.has_unsaved_tokens(), lost))
    }

    /// The imported orders cancelled or refunded in Nuvemshop since, not checked yet.
    pub fn changed_orders(&self) -> Result<Vec<crate::store::ChangedOrder>> {
        self.store.changed_orders()
    }

    /// *Já conferi*: the merchant looked at the sale of an order changed after its import.
    pub fn check_changed(&self, order_id: u64) -> Result<()> {
        self.store.check_changed(order_id, self.clock.now())?;
        self.events.send(crate::sync::Event::SettingsChanged);
        Ok(())
    }

    /// The LGPD requests received, newest first.
    pub fn lgpd_requests(&self) -> Result<Vec<crate::store::LgpdRequest>> {
        self.store.lgpd_requests()
    }

    /// Where data requests are written (an absolute folder), or back to the default.
    pub fn set_lgpd_folder(&self, folder: Option<&std::path::Path>) -> Result<()> {
        if let Some(folder) = folder {
            let text = folder.to_string_lossy();
            if let Err(refusal) = crate::files::check_local_folder(&text) {
                return Err(Error::Invalid(Problem::folder_refused(refusal)));
            }
        }
        self.store.set_lgpd_folder(folder)?;
        self.events.send(Event::SettingsChanged);
        Ok(())
    }

    /// Every order in a state (or all), newest first.
    pub fn orders(&self, state: Option<OrderState>) -> Result<Vec<LedgerOrder>> {
        let filter = OrderFilter {
            state,
            search: None,
        };
        self.store.list(&filter, u32::MAX, 0)
    }

    /// One of the dashboard's lists as a spreadsheet (`export`: UTF-8 with a BOM, `;`, a
    /// decimal comma).
    pub fn export_csv(&self, state: OrderState) -> Result<Vec<u8>> {
        crate::export::orders_csv(state, &self.orders(Some(state))?)
    }

    /// *Exportar planilha*: the list written to `folder` (by default the Downloads folder),
    /// named after the list and the moment; answers the file's path.
    pub fn export_csv_file(
        &self,
        state: OrderState,
        folder: Option<&std::path::Path>,
    ) -> Result<std::path::PathBuf> {
        let folder = match folder {
            Some(folder) => folder.to_path_buf(),
            None => crate::files::downloads(&self.config.data_dir),
        };
        let at = self
            .clock
            .now()
            .with_timezone(&chrono_tz::America::Sao_Paulo);
        let name = format!(
            "ponte-{}-{}.csv",
            crate::export::file_stem(state),
            at.format("%Y-%m-%d-%H%M%S")
        );
        Ok(crate::files::write_new(
            &folder,
            &name,
            &self.export_csv(state)?,
        )?)
    }

    /// *Ver venda*: an imported order's sale as Conta Azul prints it, written to `to`, or by
    /// default to a new `ponte-venda-N.pdf` in the Downloads folder (`ponte-venda-N (2).pdf`
    /// when that name is taken: nothing is overwritten); answers the file's path.
    pub async fn save_sale_pdf(
        &self,
        order_id: u64,
        to: Option<&std::path::Path>,
    ) -> Result<std::path::PathBuf> {
        let order = self
            .store
            .order(order_id)?
            .filter(|order| order.state == OrderState::Imported)
            .ok_or_else(|| Error::NotFound(format!("no imported order {order_id}")))?;
        let sale_id = order
            .sale_id
            .ok_or_else(|| Error::NotFound(format!("order {order_id} has no sale id")))?;
        let pdf = self
            .contaazul_client()?
            .venda_pdf(&sale_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("sale {sale_id} is no longer in Conta Azul")))?;
        match to {
            Some(path) => {
                std::fs::write(path, pdf)?;
                Ok(path.to_path_buf())
            }
            None => Ok(crate::files::write_new(
                &crate::files::downloads(&self.config.data_dir),
                &format!("ponte-venda-{}.pdf", order.sale_number.unwrap_or_default()),
                &pdf,
            )?),
        }
    }

    /// *Tentar novamente*: the order is read again from Nuvemshop (it may have been corrected)
    /// and queued.
    pub async fn retry(&self, order_id: u64) -> Result<()> {
        let order = self
            .store
            .order(order_id)?
            .filter(|o| o.state == OrderState::Failed)
            .ok_or_else(|| Error::NotFound(format!("no failed order {order_id}")))?;
        let fresh = match self.nuvemshop_client() {
            Ok(client) => match client.order(order.order_id).await {
                Ok(value) => Some(value.to_string()),
                Err(error @ Error::NuvemshopAccessRevoked) => return Err(error),
                Err(error) => {
                    tracing::warn!(%error, "retrying with the order as first seen");
                    None
                }
            },
            Err(_) => None,
        };
        self.store
            .retry_failed(order_id, fresh.as_deref(), self.clock.now())?;
        self.events.send(Event::OrderChanged {
            order_id,
            state: OrderState::Queued,
        });
        Ok(())
    }

    pub async fn retry_all_failed(&self) -> Result<usize> {
        let failed = self.store.in_state(OrderState::Failed)?;
        for order in &failed {
            self.retry(order.order_id).await?;
        }
        Ok(failed.len())
    }

    /// R21: what support needs, with personal data masked and no token anywhere.
    pub fn support_report(&self, order_id: u64) -> Result<String> {
        let order = self
            .store
            .order(order_id)?
            .ok_or_else(|| Error::NotFound(format!("no order {order_id}")))?;
        let mut report = format!(
            "Relatório do Ponte para o suporte\n\nPedido Nuvemshop: #{}\nID do pedido: {}\n\
             Total: {}\nURL do pedido: {}\nSituação no Ponte: {} ({})\n",
            order.number,
            order.order_id,
            order
                .total
                .as_deref()
                .and_then(|t| t.parse().ok())
                .map(crate::money::brl)
                .unwrap_or_else(|| "—".into()),
            NuvemshopClient::admin_order_url(
                self.store.settings()?.nuvemshop_domain.as_deref(),
                order.order_id
            ),
            order.state.label(),
            order.state.as_str(),
        );
        if let Some(problem) = &order.error {
            report.push_str(&format!(
                "Motivo: {}\nO que fazer: {}\nCódigo: {}\n",
                crate::privacy::redact(&problem.message),
                problem.hint,
                problem.code
            ));
            if let Some(details) = &problem.details {
                report.push_str(&format!("Detalhes: {}\n", crate::privacy::redact(details)));
            }
        }
        report.push_str("\nRequisições e respostas:\n");
        for exchange in self.store.audit(order_id)? {
            report.push_str(&format!(
                "\n> {} {}\n",
                exchange.method,
                crate::privacy::redact_url(&exchange.url)
            ));
            if let Some(body) = &exchange.request_body {
                report.push_str(&format!("{}\n", crate::privacy::redact_body(body)));
            }
            report.push_str(&format!(
                "< {}\n{}\n",
                exchange
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "sem resposta".into()),
                crate::privacy::redact_body(&exchange.response_body)
            ));
        }
        // What the services answered where their documents are silent, when it was asked.
        if let Some(diagnosis) = self.last_diagnosis()? {
            report.push('\n');
            report.push_str(&crate::privacy::redact(&diagnosis.summary()));
        }
        // The buyer's name where a message carries it (a refused customer's, for one).
        if let Some(name) = order
            .customer_name
            .as_deref()
            .filter(|name| !name.trim().is_empty())
        {
            report = report.replace(name, &crate::privacy::mask_name(name));
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r5_unsaved_tokens_come_first_on_the_banner() {
        let status = Status {
            enabled: true,
            activated_at: Some(Utc::now()),
            disabled_reason: None,
            nuvemshop: NuvemshopStatus {
                connected: true,
                store_id: Some("1".into()),
                store_name: None,
                admin_orders_url: None,
            },
            contaazul: ContaAzulStatus {
                connected: true,
                company_name: None,
            },
            seller: None,
            counts: Counts::default(),
            last_sync_at: None,
            attention: None,
            instant: crate::problem::InstantState::Active.into(),
            store_erasure_requested: false,
            changed_after_import: Vec::new(),
        };
        assert!(status
            .clone()
            .with_attention(false, false)
            .attention
            .is_none());
        let attention = status
            .clone()
            .with_attention(true, false)
            .attention
            .unwrap();
        assert_eq!(attention.problem.code, ProblemCode::LocalStorage);
        assert!(attention.problem.message.contains("Conta Azul"));
        assert_eq!(attention.reconnect, None);
        // Tokens put aside: told while an account is missing, and which one to connect.
        let mut missing = status.clone();
        missing.contaazul.connected = false;
        let lost = missing.with_attention(false, true).attention.unwrap();
        assert!(lost.problem.message.contains("conectar as contas de novo"));
        assert_eq!(lost.reconnect, Some(Service::Contaazul));
        assert!(status.with_attention(false, true).attention.is_none());
    }
}
