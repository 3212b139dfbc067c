//! Reconciliation: for a period, the paid orders in Nuvemshop against the sales Ponte created
//! (found by their note in Conta Azul). What is missing can be imported in one click; an order
//! cancelled, refunded or edited after its import is flagged for the merchant — its sale is
//! never changed automatically.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::backfill::looks_typed_reason;
use super::backfill::SALE_DATE_REACH;
use super::notes::{sales_in_period, SaleOfOrder, SalesInPeriod};
use super::period::Period;
use crate::error::Result;
use crate::nuvemshop::window::{orders_created, Listing};
use crate::nuvemshop::Order;
use crate::problem::Problem;
pub use crate::rules::changes::Flag;
use crate::rules::changes::{after_import_change, after_import_message, changes_since_import};
use crate::rules::eligibility::BEFORE_ACTIVATION;
use crate::store::{LedgerOrder, OrderState};
use crate::sync::{Engine, Event};
use crate::time::business_date;

/// A paid order without its sale in Conta Azul.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct MissingOrder {
    pub order_id: u64,
    pub number: u64,
    pub customer_name: Option<String>,
    /// `1234.50`
    pub total: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// Why it is not in Conta Azul, and what importing it would do.
    pub reason: String,
    /// Its sale is in Conta Azul (found by its note) though Ponte has no record of it:
    /// importing it records that sale, it does not send another.
    pub sale_number: Option<i64>,
}

/// An imported order that changed in Nuvemshop, or whose sale is gone: for the merchant to
/// look at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct FlaggedOrder {
    pub order_id: u64,
    pub number: u64,
    pub sale_number: Option<i64>,
    pub flag: Flag,
    /// What happened and what to do, in Portuguese.
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Reconciliation {
    pub period: Period,
    /// Orders of the period paid in Nuvemshop now.
    pub paid: usize,
    /// Of them, imported with their sale in Conta Azul.
    pub matched: usize,
    /// Of them, on their way (in the queue, or being imported).
    pub on_the_way: usize,
    pub missing: Vec<MissingOrder>,
    pub flagged: Vec<FlaggedOrder>,
}

/// A paid order without its sale in Conta Azul, and why.
fn missing_order(
    order: &Order,
    known: Option<&LedgerOrder>,
    sale: Option<&SaleOfOrder>,
    activated_at: Option<DateTime<Utc>>,
) -> MissingOrder {
    let reason = match (known, sale) {
        (_, Some(sale)) => format!(
            "A venda {} já está na Conta Azul, mas o Ponte não a registrou. Importar só a \
             registra, sem enviar outra.",
            sale.sale_number
        ),
        (Some(known), None) if known.state == OrderState::Failed => match &known.error {
            Some(problem) => format!("Não importado: {} {}", problem.message, problem.hint),
            None => "Não importado.".into(),
        },
        (Some(known), None) => known
            .skip_reason
            .clone()
            .unwrap_or_else(|| "Deixado de lado pelo Ponte.".into()),
        (None, None) if activated_at.is_none_or(|at| order.created_at < at) => {
            format!("Pedido anterior à data de ativação. {BEFORE_ACTIVATION}")
        }
        (None, None) => "O Ponte ainda não encontrou este pedido; a próxima verificação \
                         deve importá-lo."
            .into(),
    };
    MissingOrder {
        order_id: order.id,
        number: order.number,
        customer_name: order.buyer_name().map(crate::rules::clean_text),
        total: Some(format!("{:.2}", order.total)),
        created_at: Some(order.created_at),
        reason,
        sale_number: sale.map(|sale| sale.sale_number),
    }
}

impl Engine {
    /// The period's orders against Conta Azul's sales. Reads only: nothing is created,
    /// recorded or changed.
    pub async fn reconcile(
        &self,
        period: &Period,
        activated_at: Option<DateTime<Utc>>,
    ) -> Result<Reconciliation> {
        let events = self.events.clone();
        let listed = orders_created(
            &self.nuvemshop,
            period.start(),
            period.end(),
            Listing::ANY,
            |count| events.send(Event::OrdersListed { count }),
        )
        .await?;
        let today = business_date(self.clock.now());
        let reach = (period.to + SALE_DATE_REACH).min(today);
        let sales = sales_in_period(self, period.from, reach).await?;
        let mut report = Reconciliation {
            period: *period,
            paid: 0,
            matched: 0,
            on_the_way: 0,
            missing: Vec::new(),
            flagged: Vec::new(),
        };
        let mut missing = Vec::new();
        for value in listed {
            if let Some(order) = self.reconcile_one(&value, &sales, &mut report).await? {
                missing.push(order);
            }
        }
        // Which sale typed by hand is whose, decided over all the missing orders at once (as
        // a backfill decides it).
        let unsold: Vec<&Order> = missing
            .iter()
            .map(|(order, _)| order)
            .filter(|order| !sales.of_orders.contains_key(&order.number))
            .collect();
        let typed = sales.typed_matches(&unsold, SALE_DATE_REACH);
        for (order, known) in missing {
            match typed.get(&order.id) {
                Some(&sale) => {
                    let other = &sales.others[sale];
                    report.flagged.push(FlaggedOrder {
                        order_id: order.id,
                        number: order.number,
                        sale_number: Some(other.sale_number),
                        flag: Flag::LooksTyped,
                        message: looks_typed_reason(other),
                    });
                }
                None => report.missing.push(missing_order(
                    &order,
                    known.as_ref(),
                    sales.of_orders.get(&order.number),
                    activated_at,
                )),
            }
        }
        report.missing.sort_by_key(|order| order.number);
        report.flagged.sort_by_key(|order| order.number);
        Ok(report)
    }

    /// Counts one listed order; answers it when it is paid and has no sale Ponte knows of
    /// (missing, unless a sale typed by hand is its).
    async fn reconcile_one(
        &self,
        value: &Value,
        sales: &SalesInPeriod,
        report: &mut Reconciliation,
    ) -> Result<Option<(Order, Option<LedgerOrder>)>> {
        let order = match Order::parse(value) {
            Ok(order) => order,
            Err((id, detail)) => {
                let paid = value.get("payment_status").and_then(Value::as_str) == Some("paid");
                if let (true, Some(order_id)) = (paid, id) {
                    report.paid += 1;
                    let problem = Problem::invalid_order(detail);
                    report.missing.push(MissingOrder {
                        order_id,
                        number: value.get("number").and_then(Value::as_u64).unwrap_or(0),
                        customer_name: None,
                        total: None,
                        created_at: None,
                        reason: format!("{} {}", problem.message, problem.hint),
                        sale_number: None,
                    });
                }
                return Ok(None);
            }
        };
        let known = self.store.order(order.id)?;
        let paid = order.payment_status == "paid";
        let cancelled = order.status.as_deref() == Some("cancelled");
        if let Some(imported) = known.as_ref().filter(|k| k.state == OrderState::Imported) {
            self.check_imported(&order, imported, &sales.of_orders, report)
                .await?;
            if paid && !cancelled {
                report.paid += 1;
            }
            return Ok(None);
        }
        if !paid || cancelled {
            return Ok(None);
        }
        report.paid += 1;
        let state = known.as_ref().map(|known| known.state);
        if matches!(state, Some(OrderState::Queued | OrderState::Importing)) {
            report.on_the_way += 1;
            return Ok(None);
        }
        Ok(Some((order, known)))
    }

    /// An imported order: changed since, and its sale still there?
    async fn check_imported(
        &self,
        order: &Order,
        imported: &LedgerOrder,
        sales: &HashMap<u64, SaleOfOrder>,
        report: &mut Reconciliation,
    ) -> Result<()> {
        let sale_number = imported.sale_number;
        let sale_text =
            sale_number.map_or_else(|| "sua venda".to_string(), |n| format!("a venda {n}"));
        let mut flag = |flag: Flag, message: String| {
            report.flagged.push(FlaggedOrder {
                order_id: order.id,
                number: order.number,
                sale_number,
                flag,
                message,
            })
        };
        if let Some((kind, returned)) = after_import_change(order) {
            flag(kind, after_import_message(kind, returned, sale_number));
        }
        let before = imported
            .payload
            .as_deref()
            .and_then(|payload| serde_json::from_str::<Value>(payload).ok())
            .and_then(|value| Order::parse(&value).ok());
        if let Some(before) = before {
            let changes = changes_since_import(&before, order);
            if !changes.is_empty() {
                flag(
                    Flag::Edited,
                    after_import_message(Flag::Edited, Some(&changes.join(", ")), sale_number),
                );
            }
        }
        let listed = sales
            .get(&order.number)
            .is_some_and(|sale| Some(&sale.sale_id) == imported.sale_id.as_ref());
        let exists = match (&imported.sale_id, listed) {
            (_, true) => true,
            // Dated outside the period searched, or the search lags: asked by id.
            (Some(sale_id), false) => self.contaazul.venda(sale_id).await?.is_some(),
            (None, false) => true,
        };
        let paid = order.payment_status == "paid" && order.status.as_deref() != Some("cancelled");
        if exists && paid {
            report.matched += 1;
        }
        if !exists {
            report.flagged.push(FlaggedOrder {
                order_id: order.id,
                number: order.number,
                sale_number,
                flag: Flag::SaleNotFound,
                message: format!(
                    "O Ponte importou este pedido, mas {sale_text} não está mais na Conta Azul \
                     (foi excluída?). Se ela deve existir, lance-a de novo na Conta Azul."
                ),
            });
        }
        Ok(())
    }
}
