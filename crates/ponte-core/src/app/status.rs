//! What the dashboard, the tray and `ponte status` show: the integration's state, why it switched
//! itself off, what needs the merchant's attention, and the imported sales per day.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{App, NUVEMSHOP_TOKEN};
use crate::error::{Problem, ProblemCode, Result, Service};
use crate::nuvemshop::NuvemshopClient;
use crate::store::{Counts, Seller};

/// `ponte status --json`.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct Status {
    pub enabled: bool,
    /// The switch's words (*Integração ativada*), as the window, the tray and the CLI say them.
    pub label: &'static str,
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
    pub instant: super::instant::InstantStatus,
    /// A `store/redact` waits for the merchant's confirmation.
    pub store_erasure_requested: bool,
    /// Imported orders cancelled or refunded in Nuvemshop since, not checked yet.
    pub changed_after_import: Vec<crate::store::ChangedOrder>,
}

/// What the tray's icon shows at a glance, the most pressing first: an account to connect
/// again (nothing is imported until then), the imports stopped (switched off, or never switched
/// on), orders waiting for the merchant, or all well.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TrayState {
    Fine,
    OrdersFailed,
    SwitchedOff,
    AccessLost,
}

impl TrayState {
    /// The one state the tray shows for several profiles: an account to connect again or
    /// orders waiting in any of them comes first; grey only when every one is switched off
    /// (one store off on purpose does not grey the others' work).
    pub fn of_all(states: impl IntoIterator<Item = TrayState>) -> TrayState {
        let states: Vec<TrayState> = states.into_iter().collect();
        let any = |wanted: TrayState| states.contains(&wanted);
        if any(TrayState::AccessLost) {
            TrayState::AccessLost
        } else if any(TrayState::OrdersFailed) {
            TrayState::OrdersFailed
        } else if !states.is_empty() && states.iter().all(|s| *s == TrayState::SwitchedOff) {
            TrayState::SwitchedOff
        } else {
            TrayState::Fine
        }
    }
}

impl Status {
    /// One line for the tray and its tooltip: the switch, the account to connect again, and
    /// what failed.
    pub fn line(&self) -> String {
        let mut parts = vec![self.label.to_string()];
        if let Some(service) = self.attention.as_ref().and_then(|a| a.reconnect) {
            parts.push(format!("conecte de novo a {}", service.name()));
        }
        if self.counts.failed > 0 {
            parts.push(crate::problem::count(
                self.counts.failed,
                "pedido não importado",
                "pedidos não importados",
            ));
        }
        parts.join(" · ")
    }

    pub fn tray_state(&self) -> TrayState {
        if self
            .attention
            .as_ref()
            .is_some_and(|a| a.reconnect.is_some())
        {
            TrayState::AccessLost
        } else if !self.enabled || self.attention.is_some() {
            TrayState::SwitchedOff
        } else if self.counts.failed > 0 {
            TrayState::OrdersFailed
        } else {
            TrayState::Fine
        }
    }

    fn with_attention(mut self, unsaved_tokens: bool, tokens_lost: bool) -> Status {
        self.attention = Attention::of(&self, unsaved_tokens, tokens_lost);
        self
    }
}

/// Something that stops the imports until the merchant acts (R5): why, and which account to
/// connect again, when connecting again is the cure.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct DayCount {
    pub date: chrono::NaiveDate,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct NuvemshopStatus {
    pub connected: bool,
    pub store_id: Option<String>,
    /// The store's name (read when it was connected), shown instead of its id.
    pub store_name: Option<String>,
    /// The start of an order's page in the store's admin: the order id completes it.
    pub admin_orders_url: Option<String>,
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct ContaAzulStatus {
    pub connected: bool,
    /// The company's name (read when it was connected), shown instead of "Conta Azul".
    pub company_name: Option<String>,
}

impl App {
    pub fn status(&self) -> Result<Status> {
        let settings = self.store.settings()?;
        let status = Status {
            enabled: settings.enabled,
            label: crate::problem::integration_label(settings.enabled),
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connected_and_on() -> Status {
        Status {
            enabled: true,
            label: crate::problem::integration_label(true),
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
        }
    }

    #[test]
    fn r5_unsaved_tokens_come_first_on_the_banner() {
        let status = connected_and_on();
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

    /// The tray's icon and line: an account to connect again before the imports stopped,
    /// before orders that failed (R5, R13).
    #[test]
    fn the_tray_tells_the_most_pressing_state() {
        let fine = connected_and_on().with_attention(false, false);
        assert_eq!(fine.tray_state(), TrayState::Fine);
        assert_eq!(fine.line(), "Integração ativada");

        let mut failed = fine.clone();
        failed.counts.failed = 2;
        assert_eq!(failed.tray_state(), TrayState::OrdersFailed);
        assert_eq!(
            failed.line(),
            "Integração ativada · 2 pedidos não importados"
        );

        let mut off = failed.clone();
        off.enabled = false;
        off.label = crate::problem::integration_label(false);
        assert_eq!(off.tray_state(), TrayState::SwitchedOff);

        let mut stopped = fine.clone();
        stopped.disabled_reason = Some(Problem::of(ProblemCode::NoSeller));
        assert_eq!(
            stopped.with_attention(false, false).tray_state(),
            TrayState::SwitchedOff
        );

        let mut lost = failed.clone();
        lost.nuvemshop.connected = false;
        let lost = lost.with_attention(false, false);
        assert_eq!(lost.tray_state(), TrayState::AccessLost);
        assert_eq!(
            lost.line(),
            "Integração ativada · conecte de novo a Nuvemshop · 2 pedidos não importados"
        );
    }

    /// Issue 26: one tray for several stores.
    #[test]
    fn several_profiles_show_the_most_urgent_state() {
        use TrayState::*;
        assert_eq!(
            TrayState::of_all([Fine, OrdersFailed, SwitchedOff]),
            OrdersFailed
        );
        assert_eq!(TrayState::of_all([OrdersFailed, AccessLost]), AccessLost);
        assert_eq!(
            TrayState::of_all([Fine, SwitchedOff]),
            Fine,
            "one off on purpose"
        );
        assert_eq!(TrayState::of_all([SwitchedOff, SwitchedOff]), SwitchedOff);
        assert_eq!(TrayState::of_all([]), Fine);
    }
}
