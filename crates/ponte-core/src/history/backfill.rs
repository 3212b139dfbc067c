//! Backfill (R3, beyond): the paid orders of a period before the activation date, imported
//! only when the merchant asks, after a preview. Orders whose sale Conta Azul already has —
//! found by its note, whoever sent it — are recorded, never sent again.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use super::matching::{Action, OrderPlan};
use super::notes::{sales_in_period, OtherSale, SaleOfOrder, SalesInPeriod};
use super::period::Period;
use crate::error::{Error, Result};
use crate::nuvemshop::window::{orders_created, Listing};
use crate::nuvemshop::Order;
use crate::problem::Problem;
use crate::rules::eligibility::{eligibility, Eligibility};
use crate::store::{AlreadySold, OrderState, Planned, ToQueue};
use crate::sync::{Engine, Event};
use crate::time::{br_date, business_date};

/// How long after an order's day its sale may be dated (it is dated the day of payment): the
/// sales searched for an order's note reach this far past the period.
pub const SALE_DATE_REACH: Duration = Duration::days(31);

/// One order of a preview.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct PlannedOrder {
    pub order_id: u64,
    pub number: u64,
    pub customer_name: Option<String>,
    /// `1234.50`
    pub total: String,
    pub created_at: DateTime<Utc>,
    /// When it is already in Conta Azul: the sale's number.
    pub sale_number: Option<i64>,
}

/// An order of the period that will not be imported, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct NotImported {
    pub order_id: u64,
    pub number: u64,
    pub reason: String,
}

/// What confirming would do, before anything is done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct BackfillPreview {
    pub period: Period,
    /// Where the orders taken end: the end of the period, or the activation date when earlier.
    pub until: DateTime<Utc>,
    /// The orders that would be sent to Conta Azul.
    pub orders: Vec<PlannedOrder>,
    /// Their total, `1234.50`.
    pub total: String,
    /// Orders already in Ponte (imported, or on their way).
    pub already_in_ponte: usize,
    /// Orders whose sale Conta Azul already has: recorded, not sent again.
    pub already_in_contaazul: Vec<PlannedOrder>,
    pub not_imported: Vec<NotImported>,
    /// What each order would do and why.
    pub plans: Vec<OrderPlan>,
    /// Distinct names, sorted.
    pub new_customers: Vec<String>,
    pub reused_customers: Vec<String>,
    pub new_products: Vec<String>,
    pub reused_products: Vec<String>,
    /// Orders whose plan shows a problem (they would be imported and fail, with the reason).
    pub would_fail: usize,
}

/// The orders of a period sorted by what happens to them.
struct Sorted {
    until: DateTime<Utc>,
    to_queue: Vec<(Order, String)>,
    already_in_ponte: usize,
    in_contaazul: Vec<(Order, String, SaleOfOrder)>,
    not_imported: Vec<NotImported>,
}

fn planned(order: &Order, sale: Option<&SaleOfOrder>) -> PlannedOrder {
    PlannedOrder {
        order_id: order.id,
        number: order.number,
        customer_name: order.buyer_name().map(crate::rules::clean_text),
        total: format!("{:.2}", order.total),
        created_at: order.created_at,
        sale_number: sale.map(|sale| sale.sale_number),
    }
}

/// Why an order is left out: Conta Azul has a sale like it, without Ponte's note.
pub fn looks_typed_reason(sale: &OtherSale) -> String {
    let customer = sale.customer.as_deref().unwrap_or("o mesmo cliente");
    let total = sale.total.map(crate::money::brl).unwrap_or_default();
    let date = sale.date.map(br_date).unwrap_or_default();
    format!(
        "A Conta Azul já tem uma venda de {customer}, {total}, em {date} (venda {}), sem a nota \
         do Ponte: parece lançada à mão. Para não duplicá-la, este pedido não será importado; \
         se for outra venda, lance-a na Conta Azul.",
        sale.sale_number
    )
}

/// An order as the ledger takes it.
fn queued(order: &Order, payload: String) -> ToQueue {
    ToQueue {
        order_id: order.id,
        number: order.number,
        customer_name: order.buyer_name().map(crate::rules::clean_text),
        total: Some(format!("{:.2}", order.total)),
        created_at: Some(order.created_at),
        paid_at: order.paid_at,
        payload,
    }
}

fn not_before_activation(period: &Period, activated_at: DateTime<Utc>) -> Problem {
    Problem::period_after_activation(&br_date(business_date(activated_at)))
        .with_details(format!("period {}", period.label()))
}

impl Engine {
    /// The paid orders created within the period and before `activated_at` (all of them, or
    /// those of `only`), sorted by what importing them would do.
    async fn sort_period(
        &self,
        period: &Period,
        activated_at: DateTime<Utc>,
        only: Option<&HashSet<u64>>,
    ) -> Result<Sorted> {
        let start = period.start();
        let until = period.end().min(activated_at);
        if until <= start {
            return Err(Error::Invalid(not_before_activation(period, activated_at)));
        }
        let events = self.events.clone();
        let listed = orders_created(&self.nuvemshop, start, until, Listing::PAID, |count| {
            events.send(Event::OrdersListed { count })
        })
        .await?;
        let today = business_date(self.clock.now());
        let reach = (business_date(until) + SALE_DATE_REACH).min(today);
        let sales = sales_in_period(self, period.from, reach).await?;
        let mut sorted = Sorted {
            until,
            to_queue: Vec::new(),
            already_in_ponte: 0,
            in_contaazul: Vec::new(),
            not_imported: Vec::new(),
        };
        // Every order of the period is sorted, also when only some are asked for: which sale
        // typed by hand is whose is decided over all of them, the same way a reconciliation
        // decides it.
        for value in listed {
            self.sort_one(value, start, until, &sales, &mut sorted)?;
        }
        let waiting: Vec<&Order> = sorted.to_queue.iter().map(|(order, _)| order).collect();
        let typed = sales.typed_matches(&waiting, SALE_DATE_REACH);
        let (looks_typed, to_queue): (Vec<_>, Vec<_>) = std::mem::take(&mut sorted.to_queue)
            .into_iter()
            .partition(|(order, _)| typed.contains_key(&order.id));
        sorted.to_queue = to_queue;
        // R8 above all: a sale that looks typed by hand is not sent again.
        for (order, _) in looks_typed {
            sorted.not_imported.push(NotImported {
                order_id: order.id,
                number: order.number,
                reason: looks_typed_reason(&sales.others[typed[&order.id]]),
            });
        }
        if let Some(only) = only {
            sorted
                .to_queue
                .retain(|(order, _)| only.contains(&order.id));
            sorted
                .in_contaazul
                .retain(|(order, _, _)| only.contains(&order.id));
            sorted
                .not_imported
                .retain(|order| only.contains(&order.order_id));
        }
        sorted
            .to_queue
            .sort_by_key(|(order, _)| (order.created_at, order.id));
        Ok(sorted)
    }

    fn sort_one(
        &self,
        value: Value,
        start: DateTime<Utc>,
        until: DateTime<Utc>,
        sales: &SalesInPeriod,
        sorted: &mut Sorted,
    ) -> Result<()> {
        let payload = value.to_string();
        let order = match Order::parse(&value) {
            Ok(order) => order,
            Err((id, detail)) => {
                let number = value.get("number").and_then(Value::as_u64).unwrap_or(0);
                let problem = Problem::invalid_order(detail);
                sorted.not_imported.push(NotImported {
                    order_id: id.unwrap_or(0),
                    number,
                    reason: format!("{} {}", problem.message, problem.hint),
                });
                return Ok(());
            }
        };
        // The listing's bounds, checked again: a store's filter is not trusted to the second.
        if order.created_at < start || order.created_at >= until {
            return Ok(());
        }
        match eligibility(&order, start) {
            Eligibility::Import => {}
            Eligibility::NotYet => return Ok(()),
            Eligibility::Skip(reason) => {
                sorted.not_imported.push(NotImported {
                    order_id: order.id,
                    number: order.number,
                    reason,
                });
                return Ok(());
            }
        }
        let state = self.store.order(order.id)?.map(|known| known.state);
        if matches!(
            state,
            Some(OrderState::Imported | OrderState::Queued | OrderState::Importing)
        ) {
            sorted.already_in_ponte += 1;
        } else if let Some(sale) = sales.of_orders.get(&order.number) {
            sorted.in_contaazul.push((order, payload, sale.clone()));
        } else {
            sorted.to_queue.push((order, payload));
        }
        Ok(())
    }

    /// What a backfill of `period` would do: nothing is created or recorded.
    pub async fn backfill_preview(
        &self,
        period: &Period,
        activated_at: DateTime<Utc>,
    ) -> Result<BackfillPreview> {
        let sorted = self.sort_period(period, activated_at, None).await?;
        let planning = self.planning()?;
        let mut plans = Vec::with_capacity(sorted.to_queue.len());
        for (order, _) in &sorted.to_queue {
            plans.push(self.plan_order(order, &planning).await?);
        }
        let mut names: BTreeMap<(bool, Action), Vec<String>> = BTreeMap::new();
        for plan in &plans {
            let choices = plan
                .customer
                .iter()
                .map(|choice| (true, choice))
                .chain(plan.products.iter().map(|choice| (false, choice)));
            for (is_customer, choice) in choices {
                names
                    .entry((is_customer, choice.action.clone()))
                    .or_default()
                    .push(choice.name.clone());
            }
        }
        let mut take = |is_customer: bool, action: Action| {
            let mut list = names.remove(&(is_customer, action)).unwrap_or_default();
            list.sort();
            list.dedup();
            list
        };
        // Created by one order and reused by the next: new, not reused.
        let new_customers = take(true, Action::Create);
        let mut reused_customers = take(true, Action::Reuse);
        reused_customers.retain(|name| !new_customers.contains(name));
        let new_products = take(false, Action::Create);
        let mut reused_products = take(false, Action::Reuse);
        reused_products.retain(|name| !new_products.contains(name));
        let total: Decimal = sorted.to_queue.iter().map(|(order, _)| order.total).sum();
        Ok(BackfillPreview {
            period: *period,
            until: sorted.until,
            orders: sorted
                .to_queue
                .iter()
                .map(|(order, _)| planned(order, None))
                .collect(),
            total: format!("{total:.2}"),
            already_in_ponte: sorted.already_in_ponte,
            already_in_contaazul: sorted
                .in_contaazul
                .iter()
                .map(|(order, _, sale)| planned(order, Some(sale)))
                .collect(),
            not_imported: sorted.not_imported,
            would_fail: plans.iter().filter(|plan| plan.would_fail()).count(),
            new_customers,
            reused_customers,
            new_products,
            reused_products,
            plans,
        })
    }

    /// Queues the orders of `period` (or those of `only`) and records those Conta Azul already
    /// has; the import itself is the next pass's, under every rule of a normal one. Read again
    /// from both services, not taken from an earlier preview: what changed since counts.
    pub async fn queue_period(
        &self,
        period: &Period,
        activated_at: DateTime<Utc>,
        only: Option<&HashSet<u64>>,
    ) -> Result<Planned> {
        let sorted = self.sort_period(period, activated_at, only).await?;
        let to_queue: Vec<ToQueue> = sorted
            .to_queue
            .into_iter()
            .map(|(order, payload)| queued(&order, payload))
            .collect();
        let sold: Vec<AlreadySold> = sorted
            .in_contaazul
            .into_iter()
            .map(|(order, payload, sale)| AlreadySold {
                order: queued(&order, payload),
                sale_id: sale.sale_id,
                sale_number: sale.sale_number,
            })
            .collect();
        let backfill = only.is_none().then_some((period.from, period.to));
        let planned = self
            .store
            .record_planned(&to_queue, &sold, backfill, self.clock.now())?;
        tracing::info!(?planned, period = %period.label(), "orders of a period entered the ledger");
        if planned.queued > 0 {
            self.events.send(Event::OrdersFound {
                count: planned.queued,
            });
        }
        self.events.send(Event::SettingsChanged);
        Ok(planned)
    }
}
