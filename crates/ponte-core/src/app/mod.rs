//! The one entry point the CLI and the desktop app share: connect, pick the seller, switch on
//! and off, sync, list, retry, report. Nothing here knows about terminals or windows.

pub(crate) mod connect;
pub mod doctor;
mod files;
mod history;
pub(crate) mod instant;
pub mod profiles;
mod status;
pub mod views;

pub use status::{Attention, ContaAzulStatus, DayCount, NuvemshopStatus, Status, TrayState};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::contaazul::{ContaAzulAuth, ContaAzulClient};
use crate::error::{Error, Problem, Result, Service};
use crate::nuvemshop::NuvemshopClient;

use crate::secrets::{open_store, Secret, TokenStore};
pub use crate::store::OrderFilter;
use crate::store::{LedgerOrder, OrderState, Seller, Settings, Store};
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
    /// The company's book once opened (and joined), with the company's key: opened again
    /// only when the profile connects to another company.
    company_book: std::sync::Mutex<Option<(String, Arc<crate::company::Company>)>>,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct OrdersPage {
    pub items: Vec<LedgerOrder>,
    /// How many orders match the filter, on every page.
    pub total: u64,
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
            company_book: Default::default(),
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
        crate::rules::payment::check_mapping(mapping)
            .map_err(|reason| Error::Invalid(Problem::unknown_payment_type(&reason)))?;
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
        self.contaazul_client_in(self.company()?.as_deref())
    }

    /// The Conta Azul client, taking its turns from `company`'s schedule when it shares one.
    fn contaazul_client_in(
        &self,
        company: Option<&crate::company::Company>,
    ) -> Result<ContaAzulClient> {
        if !self.contaazul_auth.is_connected()? {
            return Err(Error::NotConnected(Service::Contaazul));
        }
        let schedule = match company {
            Some(company) => company.pace_schedule(),
            None => self
                .config
                .data_dir
                .join(crate::contaazul::CONTAAZUL_SCHEDULE),
        };
        ContaAzulClient::new(&self.config, self.contaazul_auth.clone(), schedule)
    }

    /// The book of the company this profile imports into, when there are other profiles and
    /// the connected company is known (`company`): its customers, products and numbers are
    /// taken through it from then on, whether or not another profile imports there yet — one
    /// may start at any moment, in another process.
    pub(crate) fn company(&self) -> Result<Option<Arc<crate::company::Company>>> {
        if !crate::profiles::several(&self.config.base_dir) {
            return Ok(None);
        }
        let Some(key) = self.store.contaazul_company_key()? else {
            return Ok(None);
        };
        let mut book = self.company_book.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((known, company)) = book.as_ref() {
            if *known == key {
                return Ok(Some(company.clone()));
            }
        }
        let company = Arc::new(crate::company::Company::open(&self.config.base_dir, &key)?);
        company.join(self.config.profile.as_str())?;
        *book = Some((key, company.clone()));
        Ok(Some(company))
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
        let company = self.company()?;
        // The store named in the notes only while another store imports into the company: a
        // company of one store reads its notes as ever.
        let note_store = match &company {
            Some(company) if company.shared()? => self.store.settings()?.nuvemshop_store_id,
            _ => None,
        };
        Ok(Engine {
            store: self.store.clone(),
            nuvemshop: self.nuvemshop_client()?,
            contaazul: self.contaazul_client_in(company.as_deref())?,
            clock: self.clock.clone(),
            events: self.events.clone(),
            interrupt: self.interrupt.clone(),
            company,
            note_store,
        })
    }

    /// One full pass (the caller holds the data directory's lock).
    pub async fn sync_once(&self) -> Result<PassReport> {
        let settings = self.store.settings()?;
        if !settings.enabled {
            return Err(Error::Disabled);
        }
        self.interrupt.store(false, Ordering::SeqCst);
        // A company connected before profiles shared one is asked which it is, once: until
        // then its profile could not meet the others in it.
        if crate::profiles::several(&self.config.base_dir)
            && self.store.contaazul_company_key()?.is_none()
            && self.contaazul_auth.is_connected()?
        {
            self.keep_company_name().await?;
        }
        self.engine()?.run_pass().await
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
}
